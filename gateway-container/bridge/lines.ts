// Market-data line budget. IB allows 100 concurrent market-data lines by default (error 101 beyond);
// the bridge keeps at most 90 in use so a manual TWS session or a late cancel never tips it over.
// Waiters are served by priority (lower number first), then first come first served.

export type ReleaseLine = () => void;

interface Waiter {
  priority: number;
  seq: number;
  grant: (release: ReleaseLine) => void;
}

export class LineBudget {
  private inUse = 0;
  private seq = 0;
  private readonly waiters: Waiter[] = [];
  private highWater = 0;

  constructor(readonly maxLines = 90) {
    if (!Number.isInteger(maxLines) || maxLines < 1)
      throw new Error('LineBudget: maxLines must be a positive integer');
  }

  get linesInUse(): number {
    return this.inUse;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Most lines ever in use at once (for tests and diagnostics). */
  get peak(): number {
    return this.highWater;
  }

  /**
   * Resolves with a release function once a line is free. Releasing twice is harmless. An abort while
   * waiting leaves the queue and rejects (the caller's client went away).
   */
  acquire(priority = 50, signal?: AbortSignal): Promise<ReleaseLine> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('aborted'));
        return;
      }
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('aborted'));
      };
      const waiter: Waiter = {
        priority,
        seq: this.seq++,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      if (this.inUse < this.maxLines && this.waiters.length === 0) {
        this.grant(waiter);
      } else {
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(waiter);
        this.waiters.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
      }
    });
  }

  private grant(waiter: Waiter): void {
    this.inUse++;
    this.highWater = Math.max(this.highWater, this.inUse);
    let released = false;
    waiter.grant(() => {
      if (released) return;
      released = true;
      this.inUse--;
      this.next();
    });
  }

  private next(): void {
    while (this.inUse < this.maxLines && this.waiters.length > 0) {
      this.grant(this.waiters.shift()!);
    }
  }
}
