// The one outgoing queue for every message the bridge sends to IB. IB disconnects a client that sends
// more than 50 messages per second (error 100), so the queue lets at most `maxPerWindow` (45) messages
// out in any rolling `windowMs` (1 s plus a margin): each send spends a token that comes back exactly one window
// later. It also spreads them: at most `maxBurst` (4) per `burstWindowMs` (90 ms). The client library
// throttles itself to 5 per 100 ms (maxReqPerSec 50), just above this, so it never has to hold a
// message back; a message it delayed could land in the next second on the wire beside fresh ones
// and push that second past 45. Waiting messages leave in priority order (lower number = more urgent;
// orders use a negative priority so they are always first), first-in first-out within a priority.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Order placement, modification and cancellation: ahead of everything. */
export const ORDER_PRIORITY = -2;
/** Cancelling market data frees a line; it must not wait behind new requests. */
export const CANCEL_PRIORITY = -1;

interface Item {
  priority: number;
  seq: number;
  send: () => void;
  /** Runs instead of `send` when the queue is cleared (e.g. to give back a market-data line). */
  drop?: () => void;
  label: string;
}

export interface PacerOptions {
  maxPerWindow?: number;
  windowMs?: number;
  maxBurst?: number;
  burstWindowMs?: number;
  clock?: Clock;
  /** Observer for every message actually sent (instrumentation, tests). */
  onSend?: (label: string, at: number) => void;
}

export class OutgoingQueue {
  readonly maxPerWindow: number;
  readonly windowMs: number;
  readonly maxBurst: number;
  readonly burstWindowMs: number;
  private readonly clock: Clock;
  private readonly onSend?: (label: string, at: number) => void;
  private readonly heap: Item[] = [];
  /** Send instants within the current window, oldest first. */
  private readonly sentAt: number[] = [];
  private seq = 0;
  private timer: unknown;
  private paused = false;

  constructor(options: PacerOptions = {}) {
    this.maxPerWindow = options.maxPerWindow ?? 45;
    // 100 ms beyond the second absorbs the jitter between this queue and the socket (the client
    // library's command buffer, the event loop): a message the queue let out late in one window must
    // not reach the wire inside the next second together with a full window's worth
    this.windowMs = options.windowMs ?? 1100;
    this.maxBurst = options.maxBurst ?? 4;
    this.burstWindowMs = options.burstWindowMs ?? 90;
    this.clock = options.clock ?? systemClock;
    this.onSend = options.onSend;
  }

  get length(): number {
    return this.heap.length;
  }

  /** Queues one message; `send` runs when its turn comes and the rate allows. */
  enqueue(priority: number, send: () => void, label = 'message', drop?: () => void): void {
    this.push({ priority, seq: this.seq++, send, drop, label });
    this.drain();
  }

  /**
   * Spends a token for a message sent outside the queue (the API handshake), so the window still
   * counts everything that reaches IB.
   */
  recordExternalSend(label: string): void {
    const at = this.clock.now();
    this.sentAt.push(at);
    this.onSend?.(label, at);
  }

  /** Stops sending (connection lost); queued items stay until `clear`. */
  pause(): void {
    this.paused = true;
    this.cancelTimer();
  }

  resume(): void {
    this.paused = false;
    this.drain();
  }

  /** Drops everything queued (their requests are failed by the connection on disconnect). */
  clear(): void {
    const dropped = this.heap.splice(0);
    for (const item of dropped) item.drop?.();
  }

  private drain(): void {
    if (this.paused) return;
    while (this.heap.length > 0) {
      const at = this.clock.now();
      while (this.sentAt.length > 0 && this.sentAt[0]! <= at - this.windowMs) this.sentAt.shift();
      if (this.sentAt.length >= this.maxPerWindow) {
        // the oldest token comes back one window after it was spent
        this.schedule(this.sentAt[0]! + this.windowMs - at);
        return;
      }
      const burstStart = this.sentAt[this.sentAt.length - this.maxBurst];
      if (burstStart !== undefined && burstStart > at - this.burstWindowMs) {
        this.schedule(burstStart + this.burstWindowMs - at);
        return;
      }
      const item = this.pop()!;
      this.sentAt.push(at);
      this.onSend?.(item.label, at);
      try {
        item.send();
      } catch {
        // a send that throws must not stall the queue; the request's own timeout reports it
      }
      if (this.paused) return;
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.drain();
      },
      Math.max(1, delayMs),
    );
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private before(a: Item, b: Item): boolean {
    return a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);
  }

  private push(item: Item): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Item | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && this.before(h[l]!, h[best]!)) best = l;
        if (r < h.length && this.before(h[r]!, h[best]!)) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best]!, h[i]!];
        i = best;
      }
    }
    return top;
  }
}
