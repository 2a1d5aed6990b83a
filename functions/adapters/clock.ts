// The clock port: the one place outside the core that reads the time or waits. Jobs take `now()` once per
// step and pass it to the pure core; the order policy waits with `sleep(ms)`. Tests inject a clock whose
// sleep advances the simulator's clock instead of waiting, so a 45 s reprice interval costs no real time.

export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * A clock that starts at `start` and only moves when told to: `sleep` and `advance` move it forward at
 * once (and call `onAdvance`, e.g. to advance a simulator by the same amount). For tests and replays.
 */
export function manualClock(
  start: number,
  onAdvance?: (ms: number) => void,
): Clock & { advance(ms: number): void } {
  let now = start;
  const advance = (ms: number) => {
    const step = Math.max(0, ms);
    now += step;
    onAdvance?.(step);
  };
  return {
    now: () => now,
    advance,
    sleep: async (ms) => {
      advance(ms);
      // Yield so other work scheduled "meanwhile" (fills, events) gets its turn, as a real wait would.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
