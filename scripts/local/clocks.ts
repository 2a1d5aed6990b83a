// Clocks over the simulator's time: the simulator's clock is the one clock of the local stack. The jobs'
// clock reads it and its `sleep` jumps it (a 45 s reprice wait costs no real time); the bridge stamps
// quotes, checks signatures and paces IB's messages with it.
import type { Clock } from '#adapters/clock';
import type { Clock as BridgeClock } from '#bridge/pacer';
import type { Simulator } from '#simulator/index';

export interface SimulatorClock extends Clock {
  /** Jumps the simulator to `at` (no-op when already past it); the market moves on the way. */
  advanceTo(at: number): void;
}

const realDelay = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * The simulator's time, read continuously. The simulator moves its clock in steps (every 250 real ms);
 * a clock that stands still for 250 ms starves the bridge's pacer, whose burst window is 90 ms (it
 * would send 4 messages per step, a third of IB's rate). Between steps this extrapolates at `speed`,
 * never by more than one step, and never backwards.
 */
export function continuousNow(
  simulator: Pick<Simulator, 'now'>,
  speed: number,
  maxStepMs = 250,
): () => number {
  let lastSim = simulator.now();
  let lastReal = performance.now();
  let lastOut = lastSim;
  return () => {
    const sim = simulator.now();
    const real = performance.now();
    if (sim !== lastSim) {
      lastSim = sim;
      lastReal = real;
    }
    lastOut = Math.max(lastOut, sim + Math.min(real - lastReal, maxStepMs) * speed);
    return lastOut;
  };
}

/**
 * The jobs' clock: the simulator's time. `sleep` jumps the simulator instead of waiting, then gives the
 * wire a few real milliseconds, so the fills the jump caused reach the bridge before the job asks.
 */
export function simulatorClock(
  simulator: Pick<Simulator, 'now' | 'advance'>,
  now: () => number = () => simulator.now(),
  settleMs = 30,
): SimulatorClock {
  return {
    now,
    async sleep(ms) {
      // Until this clock (not the stepped simulator) has moved `ms` on.
      const step = now() + Math.max(ms, 0) - simulator.now();
      if (step > 0) simulator.advance(step);
      await realDelay(Math.min(Math.max(ms, 0), settleMs));
    },
    advanceTo(at) {
      const step = at - simulator.now();
      if (step > 0) simulator.advance(step);
    },
  };
}

/**
 * The clock IB's message pacing runs on: simulated time, and a wait for a token jumps the simulator
 * instead of waiting real time (IB allows 50 messages per simulated second; the simulator counts them
 * on its own clock). Before a jump, every message the queue has let out must have reached the simulator:
 * counted after the jump, a window's worth sent before it would share a simulated second with the next
 * window's and trip IB's error 100. Messages that never arrive (a connection dropped with them) are
 * written off after `arrivalMs` of real time.
 */
export function simulatedPacingClock(
  simulator: Pick<Simulator, 'now' | 'advance' | 'messagesReceived'>,
  now: () => number,
  sent: () => number,
  arrivalMs = 50,
): BridgeClock {
  let lost = 0;
  return {
    now,
    setTimeout(fn, ms) {
      const deadline = now() + Math.max(ms, 0);
      const startedAt = performance.now();
      const handle = { cancelled: false };
      const step = () => {
        if (handle.cancelled) return;
        const arrived = simulator.messagesReceived() + lost >= sent();
        if (!arrived && performance.now() - startedAt < arrivalMs) {
          setImmediate(step);
          return;
        }
        if (!arrived) lost = sent() - simulator.messagesReceived();
        const gap = deadline - now();
        if (gap > 0) simulator.advance(gap);
        fn();
      };
      setImmediate(step);
      return handle;
    },
    clearTimeout(handle) {
      (handle as { cancelled: boolean }).cancelled = true;
    },
  };
}

/** The bridge's clock: simulated `now` (quote stamps, trade date, signatures, pacing), real timers. */
export function bridgeClock(now: () => number): BridgeClock {
  return {
    now,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}
