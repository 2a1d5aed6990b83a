import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignmentOutcome,
  closeCost,
  legQuoteProblem,
  quoteMap,
  realisedPnl,
  unrealisedPnl,
} from '#core/pnl';
import type { Fill } from '#core/pnl';
import { legKey } from '#core/chain';
import type { OptionContract, OptionQuote, Right, StrategyPosition } from '#core/types';

const EXPIRY = '2026-04-17';
const NOW = Date.UTC(2026, 2, 10, 15, 0); // 11:00 New York

function contract(right: Right, strike: number): OptionContract {
  return { symbol: 'SPY', expiry: EXPIRY, strike, right, multiplier: 100 };
}

function quote(right: Right, strike: number, bid: number, ask: number, timestamp = NOW): OptionQuote {
  return { contract: contract(right, strike), bid, ask, timestamp };
}

// Bull put 580/575, two spreads sold for 1.20 per share; 4 contracts × $0.65 commission.
const bullPut: StrategyPosition = {
  id: 'bp-1',
  strategy: 'BULL_PUT',
  symbol: 'SPY',
  expiry: EXPIRY,
  legs: [
    { contract: contract('P', 580), quantity: -2 },
    { contract: contract('P', 575), quantity: 2 },
  ],
  quantity: 2,
  entryCredit: 1.2,
  width: 5,
  openedAt: NOW - 7 * 86_400_000,
  commissionsUsd: 2.6,
};
const bullPutQuotes = quoteMap([quote('P', 580, 1.3, 1.4), quote('P', 575, 0.5, 0.6)]);

// Iron condor 575/580 puts and 620/625 calls, one condor for 2.00; 4 contracts × $0.65.
const condor: StrategyPosition = {
  id: 'ic-1',
  strategy: 'IRON_CONDOR',
  symbol: 'SPY',
  expiry: EXPIRY,
  legs: [
    { contract: contract('P', 580), quantity: -1 },
    { contract: contract('P', 575), quantity: 1 },
    { contract: contract('C', 620), quantity: -1 },
    { contract: contract('C', 625), quantity: 1 },
  ],
  quantity: 1,
  entryCredit: 2,
  width: 5,
  openedAt: NOW - 7 * 86_400_000,
  commissionsUsd: 2.6,
};
const condorQuotes = quoteMap([
  quote('P', 580, 1.0, 1.1),
  quote('P', 575, 0.4, 0.5),
  quote('C', 620, 0.9, 1.0),
  quote('C', 625, 0.3, 0.4),
]);

describe('legKey', () => {
  it('is symbol:expiry:right+strike, ignoring conId', () => {
    expect(legKey(contract('P', 572.5))).toBe('SPY:2026-04-17:P572.5');
    const withConId: OptionContract = { ...contract('C', 620), conId: 123 };
    expect(legKey(withConId)).toBe('SPY:2026-04-17:C620');
  });
});

describe('closeCost', () => {
  it('bull put by hand: mid 1.35 − 0.55 = 0.80, natural ask 1.40 − bid 0.50 = 0.90', () => {
    const cost = closeCost(bullPut, bullPutQuotes);
    expect(cost.ok).toBe(true);
    if (!cost.ok) return;
    expect(cost.mid).toBeCloseTo(0.8, 10);
    expect(cost.natural).toBeCloseTo(0.9, 10);
  });

  it('iron condor by hand: mid (1.05 − 0.45) + (0.95 − 0.35) = 1.20, natural (1.10 − 0.40) + (1.00 − 0.30) = 1.40', () => {
    const cost = closeCost(condor, condorQuotes);
    expect(cost).toEqual({ ok: true, mid: expect.closeTo(1.2, 10), natural: expect.closeTo(1.4, 10) });
  });

  it('lists every leg without a usable quote, with the reason', () => {
    const quotes = new Map(bullPutQuotes);
    quotes.delete('SPY:2026-04-17:P575');
    quotes.set('SPY:2026-04-17:P580', quote('P', 580, 1.5, 1.4));
    const cost = closeCost(bullPut, quotes);
    expect(cost.ok).toBe(false);
    if (cost.ok) return;
    expect(cost.missing).toEqual([
      { key: 'SPY:2026-04-17:P580', reason: expect.stringContaining('bid 1.5 is above ask 1.4') },
      { key: 'SPY:2026-04-17:P575', reason: 'no quote' },
    ]);
  });

  it('treats stale quotes as missing only when asked to check freshness', () => {
    const old = quoteMap([quote('P', 580, 1.3, 1.4, NOW - 61_000), quote('P', 575, 0.5, 0.6)]);
    expect(closeCost(bullPut, old).ok).toBe(true);
    const checked = closeCost(bullPut, old, { now: NOW, maxAgeSeconds: 60 });
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.missing[0]!.reason).toMatch(/stale: 61 s old \(limit 60 s\)/);
  });

  it('natural never costs less than mid (ask ≥ mid ≥ bid on every leg)', () => {
    const price = fc.double({ min: 0, max: 50, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.tuple(price, price), { minLength: 4, maxLength: 4 }), (pairs) => {
        const quotes = quoteMap(
          condor.legs.map((leg, i) => {
            const [a, b] = pairs[i]!;
            const { right, strike } = leg.contract;
            return quote(right, strike, Math.min(a, b), Math.max(a, b, 0.01));
          }),
        );
        const cost = closeCost(condor, quotes);
        expect(cost.ok).toBe(true);
        if (cost.ok) expect(cost.natural).toBeGreaterThanOrEqual(cost.mid - 1e-9);
      }),
    );
  });
});

describe('legQuoteProblem', () => {
  it('rejects missing, NaN, placeholder, negative bid, ask ≤ 0, crossed and future-dated quotes', () => {
    expect(legQuoteProblem(undefined)).toBe('no quote');
    expect(legQuoteProblem(quote('P', 580, Number.NaN, 1))).toMatch(/not a number/);
    expect(legQuoteProblem(quote('P', 580, 1, Number.MAX_VALUE))).toMatch(/placeholder/);
    expect(legQuoteProblem(quote('P', 580, -1, 1))).toMatch(/negative/);
    expect(legQuoteProblem(quote('P', 580, 0, 0))).toMatch(/ask 0 is not positive/);
    expect(legQuoteProblem(quote('P', 580, 0, 0.05))).toBeUndefined();
    expect(legQuoteProblem(quote('P', 580, 1, 1, NOW + 10_000), { now: NOW, maxAgeSeconds: 60 })).toMatch(
      /future/,
    );
    expect(
      legQuoteProblem(quote('P', 580, 1, 1, NOW - 60_000), { now: NOW, maxAgeSeconds: 60 }),
    ).toBeUndefined();
  });
});

describe('unrealisedPnl', () => {
  it('bull put by hand: (1.20 − 0.80)·100·2 − 2.60 = 77.40 at mid, (1.20 − 0.90)·200 − 2.60 = 57.40 natural', () => {
    const pnl = unrealisedPnl(bullPut, bullPutQuotes);
    expect(pnl.ok).toBe(true);
    if (!pnl.ok) return;
    expect(pnl.midUsd).toBeCloseTo(77.4, 9);
    expect(pnl.naturalUsd).toBeCloseTo(57.4, 9);
    expect(pnl.maxProfitUsd).toBeCloseTo(240, 9);
    // 0.40 of the 1.20 credit captured; the loss multiple is negative while winning.
    expect(pnl.pctOfMaxProfit).toBeCloseTo(100 / 3, 9);
    expect(pnl.lossMultipleOfCredit).toBeCloseTo(-1 / 3, 9);
  });

  it('iron condor by hand: (2.00 − 1.20)·100 − 2.60 = 77.40 at mid, (2.00 − 1.40)·100 − 2.60 = 57.40 natural', () => {
    const pnl = unrealisedPnl(condor, condorQuotes);
    expect(pnl.ok).toBe(true);
    if (!pnl.ok) return;
    expect(pnl.midUsd).toBeCloseTo(77.4, 9);
    expect(pnl.naturalUsd).toBeCloseTo(57.4, 9);
    expect(pnl.pctOfMaxProfit).toBeCloseTo(40, 9);
    expect(pnl.lossMultipleOfCredit).toBeCloseTo(-0.4, 9);
  });

  it('subtracts commissions dollar for dollar', () => {
    const a = unrealisedPnl({ ...bullPut, commissionsUsd: 0 }, bullPutQuotes);
    const b = unrealisedPnl({ ...bullPut, commissionsUsd: 12.34 }, bullPutQuotes);
    if (!a.ok || !b.ok) throw new Error('expected prices');
    expect(a.midUsd - b.midUsd).toBeCloseTo(12.34, 9);
    expect(a.naturalUsd - b.naturalUsd).toBeCloseTo(12.34, 9);
    // The target and the stop are price-based: commissions do not move them.
    expect(b.pctOfMaxProfit).toBe(a.pctOfMaxProfit);
  });

  it('a losing position reports its loss as a multiple of the credit', () => {
    // Close cost 3.60 against a 1.20 credit: loss 2.40 per share = 2× the credit, $480 + commissions.
    const quotes = quoteMap([quote('P', 580, 4.4, 4.6), quote('P', 575, 0.85, 0.95)]);
    const pnl = unrealisedPnl(bullPut, quotes);
    if (!pnl.ok) throw new Error('expected prices');
    expect(pnl.lossMultipleOfCredit).toBeCloseTo(2, 9);
    expect(pnl.midUsd).toBeCloseTo(-482.6, 9);
  });

  it('scales with the number of spreads: twice the spreads, twice the P&L before commissions', () => {
    const one = {
      ...bullPut,
      quantity: 1,
      legs: bullPut.legs.map((l) => ({ ...l, quantity: l.quantity / 2 })),
    };
    const price = fc.double({ min: 0.01, max: 20, noNaN: true });
    fc.assert(
      fc.property(price, price, fc.double({ min: 0, max: 5, noNaN: true }), (shortMid, longMid, spread) => {
        const quotes = quoteMap([
          quote('P', 580, shortMid, shortMid + spread),
          quote('P', 575, longMid, longMid + spread),
        ]);
        const p1 = unrealisedPnl(one, quotes);
        const p2 = unrealisedPnl(bullPut, quotes);
        if (!p1.ok || !p2.ok) throw new Error('expected prices');
        const gross1 = p1.midUsd + one.commissionsUsd;
        const gross2 = p2.midUsd + bullPut.commissionsUsd;
        expect(gross2).toBeCloseTo(2 * gross1, 6);
        expect(p2.naturalUsd).toBeLessThanOrEqual(p2.midUsd + 1e-9);
      }),
    );
  });

  it('passes the missing legs through', () => {
    const pnl = unrealisedPnl(bullPut, new Map());
    expect(pnl).toEqual({
      ok: false,
      missing: [
        { key: 'SPY:2026-04-17:P580', reason: 'no quote' },
        { key: 'SPY:2026-04-17:P575', reason: 'no quote' },
      ],
    });
  });
});

describe('realisedPnl', () => {
  const fill = (side: Fill['side'], price: number, quantity = 2, commission = 1.3): Fill => ({
    side,
    price,
    quantity,
    multiplier: 100,
    commission,
  });

  it('a round trip of the bull put by hand: (1.45 − 0.25 − 0.60 + 0.10)·200 − 4 × 1.30 = 134.80', () => {
    const fills = [fill('SLD', 1.45), fill('BOT', 0.25), fill('BOT', 0.6), fill('SLD', 0.1)];
    expect(realisedPnl(fills)).toBeCloseTo(134.8, 9);
  });

  it('stock fills use multiplier 1', () => {
    // Bought 100 at 580, sold 100 at 577.50, $1 commission each: −250 − 2.
    const stock = (side: Fill['side'], price: number): Fill => ({
      side,
      price,
      quantity: 100,
      multiplier: 1,
      commission: 1,
    });
    expect(realisedPnl([stock('BOT', 580), stock('SLD', 577.5)])).toBeCloseTo(-252, 9);
  });

  it('is additive over fills, and flipping every side negates the cash but not the commissions', () => {
    const anyFill = fc.record({
      side: fc.constantFrom<Fill['side']>('BOT', 'SLD'),
      price: fc.double({ min: 0, max: 100, noNaN: true }),
      quantity: fc.integer({ min: 0, max: 50 }),
      multiplier: fc.constantFrom(1, 100),
      commission: fc.double({ min: 0, max: 10, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(anyFill), fc.array(anyFill), (a, b) => {
        expect(realisedPnl([...a, ...b])).toBeCloseTo(realisedPnl(a) + realisedPnl(b), 6);
        const flipped = a.map((f) => ({
          ...f,
          side: f.side === 'BOT' ? ('SLD' as const) : ('BOT' as const),
        }));
        const commissions = a.reduce((sum, f) => sum + f.commission, 0);
        expect(realisedPnl(a) + realisedPnl(flipped)).toBeCloseTo(-2 * commissions, 6);
      }),
    );
  });

  it('rejects non-finite numbers and negative quantities, naming the field', () => {
    expect(() => realisedPnl([fill('BOT', Number.NaN)])).toThrow(/fills\[0\]\.price/);
    expect(() => realisedPnl([fill('BOT', 1), fill('SLD', 1, -1)])).toThrow(/fills\[1\]\.quantity/);
  });
});

describe('assignmentOutcome', () => {
  it('short put assigned, long put expired: the credit is realised and 200 shares open at the strike', () => {
    // Spot 577 at expiry: the 580 put is assigned (buy 200 at 580), the 575 put expires worthless.
    const outcome = assignmentOutcome({
      position: bullPut,
      delivered: [{ contract: contract('P', 580), contracts: 2 }],
    });
    expect(outcome.optionsRealisedUsd).toBeCloseTo(240 - 2.6, 9);
    expect(outcome.stockRealisedUsd).toBe(0);
    expect(outcome.realisedUsd).toBeCloseTo(237.4, 9);
    expect(outcome.stock).toEqual({ symbol: 'SPY', shares: 200, averagePrice: 580 });
    expect(outcome.alert.severity).toBe('CRITICAL');
    expect(outcome.alert.reason).toContain('long 200 SPY at 580.00');
  });

  it('both legs delivered: no stock left and the realised loss is the max loss plus commissions', () => {
    // Spot 570: buy 200 at 580 (assigned), sell 200 at 575 (exercised): −1000 on stock, +240 credit.
    const outcome = assignmentOutcome({
      position: bullPut,
      delivered: [
        { contract: contract('P', 580), contracts: 2 },
        { contract: contract('P', 575), contracts: 2 },
      ],
    });
    const maxLossUsd = (bullPut.width - bullPut.entryCredit) * 100 * bullPut.quantity;
    expect(outcome.stock).toBeUndefined();
    expect(outcome.stockRealisedUsd).toBeCloseTo(-1000, 9);
    expect(outcome.realisedUsd).toBeCloseTo(-maxLossUsd - bullPut.commissionsUsd, 9);
  });

  it('a short call assigned opens a short stock position at the strike', () => {
    const outcome = assignmentOutcome({
      position: condor,
      delivered: [{ contract: contract('C', 620), contracts: 1 }],
      feesUsd: 1,
    });
    expect(outcome.stock).toEqual({ symbol: 'SPY', shares: -100, averagePrice: 620 });
    expect(outcome.realisedUsd).toBeCloseTo(200 - 2.6 - 1, 9);
  });

  it('early assignment: the long leg sold at 2.10 adds its proceeds', () => {
    const outcome = assignmentOutcome({
      position: bullPut,
      delivered: [{ contract: contract('P', 580), contracts: 2 }],
      otherLegsClosedAt: new Map([['SPY:2026-04-17:P575', 2.1]]),
    });
    // 1.20·200 credit + 2.10·200 from selling the long puts − 2.60 commissions.
    expect(outcome.optionsRealisedUsd).toBeCloseTo(240 + 420 - 2.6, 9);
  });

  it('rejects legs the position does not hold, or more contracts than held', () => {
    expect(() =>
      assignmentOutcome({ position: bullPut, delivered: [{ contract: contract('P', 570), contracts: 1 }] }),
    ).toThrow(/not a leg of position bp-1/);
    expect(() =>
      assignmentOutcome({ position: bullPut, delivered: [{ contract: contract('P', 580), contracts: 3 }] }),
    ).toThrow(/3 contracts .* holds 2/);
  });
});
