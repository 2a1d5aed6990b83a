// IB's API limits, enforced as the real gateway does (see ib-protocol.md, "Limits").

export interface LimitOptions {
  /** Off switches every limit below. */
  enabled: boolean;
  /** More client messages than this within one second → error 100, then disconnect. */
  maxMessagesPerSecond: number;
  /** Concurrent market-data lines across the session → error 101 beyond it. */
  maxMarketDataLines: number;
  /** Historical requests allowed per window → error 162 beyond it. */
  historicalRequestsPerWindow: number;
  historicalWindowMs: number;
  /** The same historical request again within this time → error 162. */
  identicalHistoricalWithinMs: number;
  /** Simultaneous API clients per session. */
  maxClients: number;
}

export const DEFAULT_LIMITS: LimitOptions = {
  enabled: true,
  maxMessagesPerSecond: 50,
  maxMarketDataLines: 100,
  historicalRequestsPerWindow: 60,
  historicalWindowMs: 10 * 60_000,
  identicalHistoricalWithinMs: 15_000,
  maxClients: 32,
};

export function resolveLimits(options: Partial<LimitOptions> | false | undefined): LimitOptions {
  if (options === false) return { ...DEFAULT_LIMITS, enabled: false };
  return { ...DEFAULT_LIMITS, ...options };
}

/** Counts events in a sliding window; `hit` records one and reports whether the cap is now exceeded. */
export class SlidingWindow {
  private readonly times: number[] = [];
  constructor(
    private readonly windowMs: number,
    private readonly cap: number,
  ) {}

  hit(now: number): { exceeded: boolean; count: number } {
    this.prune(now);
    this.times.push(now);
    return { exceeded: this.times.length > this.cap, count: this.times.length };
  }

  /** Whether one more event would exceed the cap, without recording it. */
  wouldExceed(now: number): boolean {
    this.prune(now);
    return this.times.length + 1 > this.cap;
  }

  private prune(now: number): void {
    while (this.times.length > 0 && (this.times[0] as number) <= now - this.windowMs) this.times.shift();
  }
}

/**
 * Historical-data pacing: at most N requests per window, and never the same request twice within
 * a short interval. Times are simulated ms, so an accelerated clock paces as the simulated day would.
 */
export class HistoricalPacer {
  private readonly window: SlidingWindow;
  private readonly lastByKey = new Map<string, number>();

  constructor(private readonly limits: LimitOptions) {
    this.window = new SlidingWindow(limits.historicalWindowMs, limits.historicalRequestsPerWindow);
  }

  /** Undefined when the request may go ahead (and records it); otherwise the reason it may not. */
  check(key: string, now: number): string | undefined {
    if (!this.limits.enabled) return undefined;
    const last = this.lastByKey.get(key);
    if (last !== undefined && now - last < this.limits.identicalHistoricalWithinMs) {
      return 'Historical Market Data Service error message:Pacing violation: identical request within 15 seconds';
    }
    if (this.window.wouldExceed(now)) {
      return `Historical Market Data Service error message:Pacing violation: more than ${this.limits.historicalRequestsPerWindow} requests in ${Math.round(this.limits.historicalWindowMs / 60_000)} minutes`;
    }
    this.window.hit(now);
    this.lastByKey.set(key, now);
    return undefined;
  }
}
