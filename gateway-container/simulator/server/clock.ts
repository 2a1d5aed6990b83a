// The simulated clock's driver: at speed > 0 a real-time timer steps the engine; `advance` stops at
// every scheduled fault's instant so faults fire exactly when due, then pushes market data.

import type { FaultController } from './fault-controller';
import type { ServerEngine } from './server-engine';

export class ClockDriver {
  private timer: NodeJS.Timeout | undefined;
  private lastRealStep = 0;

  constructor(
    private readonly engine: ServerEngine,
    private readonly faults: FaultController,
    private readonly pushMarketData: () => void,
    /** Simulated ms per real ms; 0 never starts the timer. */
    private readonly speed: number,
    /** Real ms between steps. */
    private readonly stepMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the real-time timer (at speed > 0). */
  start(): void {
    if (this.speed <= 0) return;
    this.lastRealStep = performance.now();
    this.timer = setInterval(() => this.realTimeStep(), this.stepMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Moves simulated time forward, firing scheduled faults at their instants, then pushes market data. */
  advance(ms: number): void {
    let remaining = Math.max(0, ms);
    while (remaining > 0) {
      const now = this.engine.now();
      const next = this.faults.nextScheduledAt();
      let step = remaining;
      if (next !== undefined && next > now && next - now < step) step = next - now;
      this.engine.advance(step);
      remaining -= step;
      this.faults.runDue();
    }
    this.faults.runDue();
    this.pushMarketData();
  }

  private realTimeStep(): void {
    const now = performance.now();
    const elapsed = now - this.lastRealStep;
    this.lastRealStep = now;
    try {
      this.advance(elapsed * this.speed);
    } catch (err) {
      // A timer callback that throws would take the whole process down; report and keep the clock going.
      this.log(`clock step failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
