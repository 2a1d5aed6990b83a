// The iron butterfly, the registry's proof: one module (functions/core/strategies/iron-butterfly.ts)
// plus its registration line, and the builder, filters, score, rebuild, recognition and quote sides
// follow from it.
import { describe, expect, it } from 'vitest';
import { describeSpread } from '#core/alerts';
import { legKey, yearsToExpiry } from '#core/chain';
import { parseConfig, type ConfigInput } from '#core/config';
import { hardFilterReasons, type FilterContext } from '#core/filters';
import { externalPosition } from '#core/lifecycle';
import { probabilityBetween } from '#core/pricing';
import { FACTOR_POINTS, scoreCandidate } from '#core/scoring';
import {
  STRATEGIES,
  buildCandidates,
  buildIronButterflies,
  quoteSides,
  rebuildCandidate,
} from '#core/strategies/index';
import type { Candidate, MarketContext, OptionQuote } from '#core/types';
import { NOW, TRADE_DATE, addDays, handChain, quote, syntheticChain } from './fixtures/chain';

const ctx = { tradeDate: TRADE_DATE, now: NOW };
const EXPIRY = addDays(TRADE_DATE, 46);
const config = (universe: ConfigInput['universe'] = {}) =>
  parseConfig({ universe: { strategies: ['IRON_BUTTERFLY'], ...universe } });
const SPOT = 601.9;

const q = (strike: number, right: 'P' | 'C', bid: number, ask: number, delta: number, iv: number) =>
  quote({ expiry: EXPIRY, strike, right, bid, ask, delta, iv, openInterest: 1000 });

// SPY at 601.9. Mids: P600 10.00, C600 11.50, P590 7.50, C610 7.00, P595 8.50, C605 9.00.
// P602.5 is listed without its call: nearer to spot than 600, but no butterfly can short it.
const P600 = q(600, 'P', 9.9, 10.1, -0.47, 0.18);
const C600 = q(600, 'C', 11.4, 11.6, 0.53, 0.17);
const P590 = q(590, 'P', 7.4, 7.6, -0.38, 0.19);
const C610 = q(610, 'C', 6.9, 7.1, 0.4, 0.16);
const P595 = q(595, 'P', 8.4, 8.6, -0.42, 0.185);
const C605 = q(605, 'C', 8.9, 9.1, 0.47, 0.165);
const P6025 = q(602.5, 'P', 11.2, 11.4, -0.5, 0.18);
const HAND = [P590, P595, P600, P6025, C600, C605, C610];

describe('iron butterfly arithmetic (worked by hand)', () => {
  // Sell P600 + C600, buy P590 + C610, width 10:
  //   credit (10.00 − 7.50) + (11.50 − 7.00) = 7.00; natural (9.90 − 7.60) + (11.40 − 7.10) = 6.60
  //   max profit $700; max loss (10 − 7) × 100 = $300; breakevens 600 ∓ 7 = 593 and 607.
  const [fly, ...rest] = buildIronButterflies(handChain(SPOT, HAND), config({ widths: [10] }), ctx);

  it('shorts the put and the call at the one strike nearest spot that lists both, wings at the width', () => {
    expect(rest).toEqual([]);
    expect(fly!.id).toBe(`SPY:IRON_BUTTERFLY:${EXPIRY}:P600/590:C600/610`);
    expect(fly!.strategy).toBe('IRON_BUTTERFLY');
    expect(fly!.legs.map((l) => [l.action, l.contract.right, l.contract.strike])).toEqual([
      ['SELL', 'P', 600],
      ['BUY', 'P', 590],
      ['SELL', 'C', 600],
      ['BUY', 'C', 610],
    ]);
    expect(fly!.width).toBe(10);
    expect(fly!.dte).toBe(46);
  });

  it('has the hand-worked credit, profit, loss and breakevens (defined risk)', () => {
    expect(fly!.creditMid).toBeCloseTo(7, 10);
    expect(fly!.creditNatural).toBeCloseTo(6.6, 10);
    expect(fly!.maxProfitUsd).toBeCloseTo(700, 8);
    expect(fly!.maxLossUsd).toBeCloseTo(300, 8);
    expect(fly!.breakevens[0]).toBeCloseTo(593, 10);
    expect(fly!.breakevens[1]).toBeCloseTo(607, 10);
  });

  it('takes POP as the chance of ending between the breakevens, each side with its short IV', () => {
    const years = yearsToExpiry(NOW, EXPIRY);
    const expected = probabilityBetween({
      spot: SPOT,
      lower: 593,
      upper: 607,
      years,
      rate: 0.04,
      volLower: 0.18,
      volUpper: 0.17,
    });
    expect(fly!.pop).toBeCloseTo(expected, 12);
    expect(fly!.expectedValueUsd).toBeCloseTo(expected * 700 - (1 - expected) * 300, 8);
  });

  it('builds one butterfly per listed width, and none where a wing is not listed', () => {
    const flies = buildIronButterflies(handChain(SPOT, HAND), config({ widths: [2, 5, 10] }), ctx);
    expect(flies.map((f) => f.id)).toEqual([
      `SPY:IRON_BUTTERFLY:${EXPIRY}:P600/595:C600/605`,
      `SPY:IRON_BUTTERFLY:${EXPIRY}:P600/590:C600/610`,
    ]);
    // Width 5: (10.00 − 8.50) + (11.50 − 9.00) = 4.00.
    expect(flies[0]!.creditMid).toBeCloseTo(4, 10);
  });

  it('drops a butterfly with no credit, or a credit at or above the width (bad data)', () => {
    const noCredit = [q(600, 'P', 5, 5.2, -0.5, 0.2), q(590, 'P', 5.4, 5.6, -0.4, 0.2)];
    const calls = [q(600, 'C', 5, 5.2, 0.5, 0.2), q(610, 'C', 5.4, 5.6, 0.4, 0.2)];
    expect(
      buildIronButterflies(handChain(600, [...noCredit, ...calls]), config({ widths: [10] }), ctx),
    ).toEqual([]);
    const riskless = [q(600, 'P', 9, 9.2, -0.5, 0.2), q(590, 'P', 0.4, 0.6, -0.1, 0.2)];
    const richCalls = [q(600, 'C', 9, 9.2, 0.5, 0.2), q(610, 'C', 0.4, 0.6, 0.1, 0.2)];
    expect(
      buildIronButterflies(handChain(600, [...riskless, ...richCalls]), config({ widths: [10] }), ctx),
    ).toEqual([]);
  });
});

describe('iron butterfly in the candidate search', () => {
  const chain = syntheticChain({ spot: 601.3 });

  it('is off by default: the default config builds none, and lists the other three kinds', () => {
    const defaults = parseConfig({});
    expect(defaults.universe.strategies).toEqual(['BULL_PUT', 'BEAR_CALL', 'IRON_CONDOR']);
    const kinds = new Set(buildCandidates(chain, defaults, ctx).map((c) => c.strategy));
    expect([...kinds].sort()).toEqual(['BEAR_CALL', 'BULL_PUT', 'IRON_CONDOR']);
  });

  it('enabled, it adds one butterfly per expiry and width, at the strike nearest spot; the others are unchanged', () => {
    const withFly = parseConfig({
      universe: { strategies: ['BULL_PUT', 'BEAR_CALL', 'IRON_CONDOR', 'IRON_BUTTERFLY'] },
    });
    const all = buildCandidates(chain, withFly, ctx);
    const flies = all.filter((c) => c.strategy === 'IRON_BUTTERFLY');
    const others = all.filter((c) => c.strategy !== 'IRON_BUTTERFLY');
    expect(others.map((c) => c.id)).toEqual(buildCandidates(chain, parseConfig({}), ctx).map((c) => c.id));
    // dtes 30, 45, 60 are all in 21–70; strikes every 5 ± 100: every width listed on $5 strikes (5, 10).
    expect(flies).toHaveLength(3 * 2);
    for (const f of flies) {
      const [sp, lp, sc, lc] = f.legs;
      expect(sp!.contract.strike).toBe(600);
      expect(sc!.contract.strike).toBe(600);
      expect(600 - lp!.contract.strike).toBe(f.width);
      expect(lc!.contract.strike - 600).toBe(f.width);
      expect(f.maxProfitUsd + f.maxLossUsd).toBeCloseTo(f.width * 100, 8);
      expect(f.breakevens).toEqual([600 - f.creditMid, 600 + f.creditMid]);
      expect(f.creditNatural).toBeLessThanOrEqual(f.creditMid);
    }
    // Built after the verticals and condors: the registry's order.
    expect(all.findIndex((c) => c.strategy === 'IRON_BUTTERFLY')).toBe(others.length);
  });

  it('rebuilds from fresh quotes by the same builder, and refuses legs of another shape', () => {
    const [fly] = buildIronButterflies(handChain(SPOT, HAND), config({ widths: [10] }), ctx);
    const fresh = { underlyingPrice: SPOT, legs: fly!.legs.map((l) => l.quote) };
    const same = rebuildCandidate(fly!, fresh, config(), ctx);
    expect(same).toEqual({ ok: true, candidate: fly });
    const moved = rebuildCandidate(fly!, { ...fresh, underlyingPrice: 610 }, config(), ctx);
    expect(moved.ok && moved.candidate.pop).toBeLessThan(fly!.pop);
    const swapped: Candidate = {
      ...fly!,
      legs: [fly!.legs[1]!, fly!.legs[0]!, fly!.legs[2]!, fly!.legs[3]!],
    };
    const refused = rebuildCandidate(
      swapped,
      { underlyingPrice: SPOT, legs: swapped.legs.map((l) => l.quote) },
      config(),
      ctx,
    );
    expect(refused).toEqual({
      ok: false,
      reason: `${fly!.id}: legs are BUY P, SELL P, SELL C, BUY C, not a short and a long put then a short and a long call`,
    });
  });
});

describe('iron butterfly hard filters (the condor rules, unchanged)', () => {
  const base: Omit<FilterContext, 'config'> = {
    now: NOW,
    market: { symbol: 'SPY' },
    openPositions: 0,
    openPerUnderlying: 0,
  };
  const filters = (c: Candidate, cfg = config()) => hardFilterReasons(c, { ...base, config: cfg });

  it('passes the worked example', () => {
    const [fly] = buildIronButterflies(handChain(SPOT, HAND), config({ widths: [10] }), ctx);
    expect(filters(fly!)).toEqual([]);
  });

  it('rejects credit/width below 0.10 and a credit below the minimum, like any spread', () => {
    // Credit (3.00 − 2.90) + (3.00 − 2.90) = 0.20 on width 10: 0.02 of the width.
    const thin = [
      q(600, 'P', 2.95, 3.05, -0.5, 0.2),
      q(590, 'P', 2.85, 2.95, -0.4, 0.2),
      q(600, 'C', 2.95, 3.05, 0.5, 0.2),
      q(610, 'C', 2.85, 2.95, 0.4, 0.2),
    ];
    const [fly] = buildIronButterflies(handChain(600, thin), config({ widths: [10] }), ctx);
    expect(fly!.creditMid).toBeCloseTo(0.2, 10);
    expect(filters(fly!)).toEqual([
      'credit/width 0.02 is below 0.10',
      'credit 0.20 is below the minimum 0.30',
    ]);
  });

  it('rejects a wing whose bid-ask is wider than 50% of its mid, naming the leg', () => {
    const wideWing = HAND.map((x) => (x === C610 ? q(610, 'C', 4, 10, 0.4, 0.16) : x));
    const [fly] = buildIronButterflies(handChain(SPOT, wideWing), config({ widths: [10] }), ctx);
    expect(filters(fly!)).toEqual(['long call 610 bid-ask 4.00/10.00 is 86% of mid, above 50%']);
  });

  it('rejects a leg already held (one short strike is shared by both rights: each is its own leg)', () => {
    const [fly] = buildIronButterflies(handChain(SPOT, HAND), config({ widths: [10] }), ctx);
    const held = new Set([legKey(C600.contract)]);
    const reasons = hardFilterReasons(fly!, { ...base, config: config(), heldLegKeys: held });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^short call 600 .* is already held$/);
  });
});

describe('iron butterfly score', () => {
  const [fly] = buildIronButterflies(handChain(SPOT, HAND), config({ widths: [10] }), ctx);
  // IV rank 60, IV/HV 1.5, trend percentile 50 (inside the 40–60 range band): full marks there.
  const market: MarketContext = { symbol: 'SPY', ivRank: 60, atmIv: 0.3, hv20: 0.2, trendPercentile: 50 };
  const scored = (m: Partial<MarketContext> = {}) => scoreCandidate(fly!, { ...market, ...m }, config());

  it('short delta scores 0 (ATM shorts, |delta| ≥ 0.40); every other factor full in a range market: 85', () => {
    const { score, breakdown, inputs } = scored();
    expect(breakdown).toEqual({ ...FACTOR_POINTS, shortDelta: 0 });
    // Both shorts score 0; the first (the put, |delta| 0.47) is the one recorded.
    expect(inputs.shortDelta).toBeCloseTo(0.47, 10);
    expect(score).toBe(85);
  });

  it('trend fit is the condor range fit: full in the band, half halfway to the extremes, zero at them', () => {
    expect(scored({ trendPercentile: 40 }).breakdown.trendFit).toBe(FACTOR_POINTS.trendFit);
    expect(scored({ trendPercentile: 80 }).breakdown.trendFit).toBeCloseTo(FACTOR_POINTS.trendFit / 2, 10);
    expect(scored({ trendPercentile: 20 }).breakdown.trendFit).toBeCloseTo(FACTOR_POINTS.trendFit / 2, 10);
    expect(scored({ trendPercentile: 100 }).breakdown.trendFit).toBe(0);
    expect(scored({ trendPercentile: 0 }).breakdown.trendFit).toBe(0);
  });
});

describe('iron butterfly: recognition, alert name, quote sides', () => {
  const held = (strikes: [number, number, number, number], quantities = [-2, 2, -2, 2]) => {
    const [sp, lp, sc, lc] = strikes;
    return [
      { right: 'P' as const, strike: sp, quantity: quantities[0]! },
      { right: 'P' as const, strike: lp, quantity: quantities[1]! },
      { right: 'C' as const, strike: sc, quantity: quantities[2]! },
      { right: 'C' as const, strike: lc, quantity: quantities[3]! },
    ].map((l) => ({
      contract: { symbol: 'SPY', expiry: EXPIRY, strike: l.strike, right: l.right, multiplier: 100 },
      quantity: l.quantity,
      averageCost: l.quantity < 0 ? 900 : 600,
    }));
  };

  it('legs found at IB with both shorts at one strike are an iron butterfly, not a condor', () => {
    const fly = externalPosition(held([600, 590, 600, 610]), NOW);
    expect(fly).toMatchObject({ strategy: 'IRON_BUTTERFLY', quantity: 2, width: 10, entryCredit: 6 });
    expect(externalPosition(held([595, 590, 605, 610]), NOW)?.strategy).toBe('IRON_CONDOR');
    // Unequal sides are no strategy of ours.
    expect(externalPosition(held([600, 590, 600, 610], [-2, 2, -1, 1]), NOW)).toBeUndefined();
  });

  it('is named in the trading rules’ words in alerts', () => {
    const legs = [
      { right: 'P' as const, strike: 600, short: true },
      { right: 'P' as const, strike: 590, short: false },
      { right: 'C' as const, strike: 600, short: true },
      { right: 'C' as const, strike: 610, short: false },
    ];
    expect(describeSpread('SPY', 'IRON_BUTTERFLY', EXPIRY, legs, 2)).toBe(
      `SPY iron butterfly ${EXPIRY} P600/590 C600/610 ×2`,
    );
  });

  it('asks the analysis for both rights at the money; the other kinds for their own sides only', () => {
    expect(quoteSides(['IRON_BUTTERFLY'])).toEqual({ puts: true, calls: true, atTheMoney: true });
    expect(quoteSides(['BULL_PUT'])).toEqual({ puts: true, calls: false, atTheMoney: false });
    expect(quoteSides(['BEAR_CALL'])).toEqual({ puts: false, calls: true, atTheMoney: false });
    expect(quoteSides(['BULL_PUT', 'IRON_CONDOR'])).toEqual({ puts: true, calls: true, atTheMoney: false });
  });
});

describe('strategy registry', () => {
  it('the config accepts every registered kind and names them all when refusing another', () => {
    for (const s of STRATEGIES)
      expect(config({ strategies: [s.kind] }).universe.strategies).toEqual([s.kind]);
    expect(() => parseConfig({ universe: { strategies: ['IRON_BATFLY' as never] } })).toThrow(
      /BULL_PUT.*BEAR_CALL.*IRON_CONDOR.*IRON_BUTTERFLY/,
    );
  });

  it('a kind no module registers (a record from another version) gets a clear refusal, not a crash', () => {
    const [fly] = buildIronButterflies(handChain(SPOT, HAND), config({ widths: [10] }), ctx);
    const alien = { ...fly!, strategy: 'JADE_LIZARD' as never };
    const fresh = { underlyingPrice: SPOT, legs: fly!.legs.map((l) => l.quote) };
    expect(rebuildCandidate(alien, fresh, config(), ctx)).toEqual({
      ok: false,
      reason: 'no strategy module builds JADE_LIZARD',
    });
    expect(describeSpread('SPY', 'JADE_LIZARD' as never, EXPIRY, [])).toBe(`SPY JADE_LIZARD ${EXPIRY} `);
  });

  it('kinds and labels are unique', () => {
    expect(new Set(STRATEGIES.map((s) => s.kind)).size).toBe(STRATEGIES.length);
    expect(new Set(STRATEGIES.map((s) => s.label)).size).toBe(STRATEGIES.length);
  });

  it('every module rebuilds what it builds, from the same quotes, to the same candidate', () => {
    const chain = syntheticChain({ spot: 598.7 });
    const all = parseConfig({ universe: { strategies: STRATEGIES.map((s) => s.kind) } });
    const built = buildCandidates(chain, all, ctx);
    for (const s of STRATEGIES) {
      const sample = built.filter((c) => c.strategy === s.kind).slice(0, 20);
      expect(sample.length).toBeGreaterThan(0);
      for (const c of sample) {
        const legs: OptionQuote[] = c.legs.map((l) => l.quote);
        const again = rebuildCandidate(c, { underlyingPrice: c.underlyingPrice, legs }, all, ctx);
        expect(again.ok && again.candidate.id).toBe(c.id);
        expect(again.ok && again.candidate.pop).toBeCloseTo(c.pop, 12);
      }
    }
  });
});
