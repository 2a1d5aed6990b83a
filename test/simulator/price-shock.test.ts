// The price-shock fault on the real engine: an underlying gaps at once, its options reprice with it,
// and a fault script can schedule it (the sell-off scenario of `npm start` uses the same control).
import { afterEach, describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { parseFaultScript, startSimulator } from '#simulator/index';
import type { Simulator } from '#simulator/index';

const START = nyTimeToEpoch('2026-06-01', '11:00');
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function spyAndPut(s: Simulator) {
  const stock = s.engine.findContracts({ symbol: 'SPY', secType: 'STK' })[0]!;
  const spot = s.engine.quote(stock.conId)!.last!;
  // The put nearest 5% below the money, of the second expiry.
  const puts = s.engine.findContracts({ symbol: 'SPY', secType: 'OPT' }).filter((c) => c.right === 'P');
  const expiry = [...new Set(puts.map((p) => p.lastTradeDate))].sort()[1]!;
  const put = puts
    .filter((p) => p.lastTradeDate === expiry)
    .sort((a, b) => Math.abs(a.strike - spot * 0.95) - Math.abs(b.strike - spot * 0.95))[0]!;
  return { stock, put };
}

describe('price shock', () => {
  it('gaps the underlying by the percent at once, and its options reprice on the new price and volatility', async () => {
    sim = await startSimulator({ port: 0, seed: 3, speed: 0, start: START });
    const { stock, put } = spyAndPut(sim);
    const before = { spot: sim.engine.quote(stock.conId)!.last!, put: sim.engine.quote(put.conId)! };
    const otherBefore = sim.engine.quote(
      sim.engine.findContracts({ symbol: 'QQQ', secType: 'STK' })[0]!.conId,
    )!;

    sim.faults.priceShock('SPY', -12, 0.6);

    const spot = sim.engine.quote(stock.conId)!.last!;
    // Quotes are cents: the new last is the old one times 0.88, within rounding of both.
    expect(spot).toBeCloseTo(before.spot * 0.88, 1);
    const putAfter = sim.engine.quote(put.conId)!;
    const mid = (q: { bid?: number; ask?: number }) => ((q.bid ?? 0) + (q.ask ?? 0)) / 2;
    // A put 5% out of the money before a 12% drop is ~7% in the money after it: worth more than its
    // whole value before plus half its new intrinsic value, priced on the new spot at a higher implied
    // volatility (the bump). (A European put may sit a little below intrinsic: K·e^(−rT) − S·e^(−qT).)
    expect(mid(putAfter)).toBeGreaterThan(mid(before.put) + (put.strike - spot) / 2);
    expect(putAfter.greeks!.impliedVol).toBeGreaterThan(before.put.greeks!.impliedVol);
    expect(putAfter.greeks!.undPrice).toBeCloseTo(spot, 1);
    // Only SPY moved.
    const qqq = sim.engine.quote(sim.engine.findContracts({ symbol: 'QQQ', secType: 'STK' })[0]!.conId)!;
    expect(qqq.last).toBe(otherBefore.last);
  });

  it('is scriptable at a New York time, and refuses a drop of 100% or more', async () => {
    const faults = parseFaultScript([
      { at: '2026-06-01T12:00', fault: 'priceShock', symbol: 'SPY', pct: -10 },
    ]);
    sim = await startSimulator({ port: 0, seed: 3, speed: 0, start: START, faults });
    const { stock } = spyAndPut(sim);
    const before = sim.engine.quote(stock.conId)!.last!;
    sim.advance(59 * 60_000);
    const justBefore = sim.engine.quote(stock.conId)!.last!;
    // Minute-to-minute moves are small; the shock is not among them yet.
    expect(Math.abs(justBefore / before - 1)).toBeLessThan(0.05);
    sim.advance(2 * 60_000);
    expect(sim.engine.quote(stock.conId)!.last! / justBefore).toBeCloseTo(0.9, 1);
    expect(sim.faults.state().pending).toEqual([]);

    expect(() => parseFaultScript([{ fault: 'priceShock', symbol: 'SPY', pct: -100 }])).toThrow(/pct/);
    expect(() => sim!.faults.priceShock('XYZ', -5)).toThrow(/no underlying XYZ/);
  });
});
