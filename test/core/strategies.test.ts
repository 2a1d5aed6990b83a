import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig, type ConfigInput } from '#core/config';
import { yearsToExpiry } from '#core/chain';
import { bsGreeks, probabilityAbove, probabilityBetween } from '#core/pricing';
import { buildBearCalls, buildBullPuts, buildCandidates, buildIronCondors } from '#core/strategies/index';
import type { Candidate } from '#core/types';
import { NOW, TRADE_DATE, addDays, handChain, quote, syntheticChain } from './fixtures/chain';

const ctx = { tradeDate: TRADE_DATE, now: NOW };
const EXPIRY = addDays(TRADE_DATE, 46); // 2026-07-17
const years = () => yearsToExpiry(NOW, EXPIRY);
const config = (universe: ConfigInput['universe'] = {}) => parseConfig({ universe });

// Worked-example quotes (SPY at 600, 46 DTE). Mids: P580 2.10, P575 1.60, C620 1.90, C625 1.10, C630 0.60.
const P580 = quote({ expiry: EXPIRY, strike: 580, right: 'P', bid: 2.0, ask: 2.2, delta: -0.25, iv: 0.22 });
const P575 = quote({ expiry: EXPIRY, strike: 575, right: 'P', bid: 1.5, ask: 1.7, delta: -0.2, iv: 0.23 });
const C620 = quote({ expiry: EXPIRY, strike: 620, right: 'C', bid: 1.8, ask: 2.0, delta: 0.22, iv: 0.16 });
const C625 = quote({ expiry: EXPIRY, strike: 625, right: 'C', bid: 1.0, ask: 1.2, delta: 0.15, iv: 0.15 });
// |delta| 0.08 is below the default window (0.10), so 630 is only ever a long leg.
const C630 = quote({ expiry: EXPIRY, strike: 630, right: 'C', bid: 0.5, ask: 0.7, delta: 0.08, iv: 0.15 });

describe('bull put arithmetic (worked by hand)', () => {
  // Sell P580 (mid 2.10), buy P575 (mid 1.60), width 5:
  //   credit mid 2.10 − 1.60 = 0.50; natural: bid 2.00 − ask 1.70 = 0.30
  //   max profit 0.50 × 100 = $50; max loss (5 − 0.50) × 100 = $450; breakeven 580 − 0.50 = 579.50.
  // P575 is eligible as a short too, but its long leg P570 is not listed, so there is no second spread.
  const [spread, ...rest] = buildBullPuts(handChain(600, [P580, P575]), config({ widths: [5] }), ctx);

  it('builds exactly the one listed spread', () => {
    expect(rest).toEqual([]);
    expect(spread!.id).toBe(`SPY:BULL_PUT:${EXPIRY}:P580/575`);
    expect(spread!.strategy).toBe('BULL_PUT');
    expect(spread!.dte).toBe(46);
    expect(spread!.width).toBe(5);
    expect(spread!.legs.map((l) => [l.action, l.contract.right, l.contract.strike, l.ratio])).toEqual([
      ['SELL', 'P', 580, 1],
      ['BUY', 'P', 575, 1],
    ]);
  });

  it('has the hand-worked credit, profit, loss and breakeven', () => {
    expect(spread!.creditMid).toBeCloseTo(0.5, 10);
    expect(spread!.creditNatural).toBeCloseTo(0.3, 10);
    expect(spread!.maxProfitUsd).toBeCloseTo(50, 8);
    expect(spread!.maxLossUsd).toBeCloseTo(450, 8);
    expect(spread!.breakevens[0]).toBeCloseTo(579.5, 10);
    expect(spread!.underlyingPrice).toBe(600);
  });

  it('takes POP as the chance of finishing above the breakeven with the short put IV', () => {
    const expected = probabilityAbove({ spot: 600, level: 579.5, years: years(), rate: 0.04, vol: 0.22 });
    expect(spread!.pop).toBeCloseTo(expected, 12);
    // An OTM short put finishing above a breakeven below spot: more likely than not.
    expect(spread!.pop).toBeGreaterThan(0.5);
    expect(spread!.expectedValueUsd).toBeCloseTo(expected * 50 - (1 - expected) * 450, 8);
  });
});

describe('bear call arithmetic (worked by hand)', () => {
  // Sell C620 (mid 1.90), buy C625 (mid 1.10), width 5:
  //   credit 0.80; natural bid 1.80 − ask 1.20 = 0.60; max profit $80; max loss (5 − 0.80) × 100 = $420;
  //   breakeven 620 + 0.80 = 620.80. C625/C630 is the second spread (credit 1.10 − 0.60 = 0.50).
  const spreads = buildBearCalls(handChain(600, [C620, C625, C630]), config({ widths: [5] }), ctx);
  const spread = spreads.find((s) => s.id === `SPY:BEAR_CALL:${EXPIRY}:C620/625`)!;

  it('builds both listed spreads and no spread with C630 short (|delta| 0.08 outside the window)', () => {
    expect(spreads.map((s) => s.id).sort()).toEqual([
      `SPY:BEAR_CALL:${EXPIRY}:C620/625`,
      `SPY:BEAR_CALL:${EXPIRY}:C625/630`,
    ]);
    expect(spread.legs.map((l) => [l.action, l.contract.right, l.contract.strike])).toEqual([
      ['SELL', 'C', 620],
      ['BUY', 'C', 625],
    ]);
  });

  it('has the hand-worked figures', () => {
    expect(spread.creditMid).toBeCloseTo(0.8, 10);
    expect(spread.creditNatural).toBeCloseTo(0.6, 10);
    expect(spread.maxProfitUsd).toBeCloseTo(80, 8);
    expect(spread.maxLossUsd).toBeCloseTo(420, 8);
    expect(spread.breakevens[0]).toBeCloseTo(620.8, 10);
  });

  it('takes POP as the chance of finishing below the breakeven with the short call IV', () => {
    const above = probabilityAbove({ spot: 600, level: 620.8, years: years(), rate: 0.04, vol: 0.16 });
    expect(spread.pop).toBeCloseTo(1 - above, 12);
    expect(spread.expectedValueUsd).toBeCloseTo((1 - above) * 80 - above * 420, 8);
  });
});

describe('iron condor with unequal wings (worked by hand)', () => {
  // Widths 5 and 10. Put spreads: only P580/575 (P570, P565 unlisted). Call spreads: C620/625 (0.80),
  // C620/630 (1.90 − 0.60 = 1.30), C625/630 (0.50). So 1 × 3 = 3 condors.
  // P580/575 + C620/630: total credit 0.50 + 1.30 = 1.80; the wider wing is 10, so
  //   max loss (10 − 1.80) × 100 = $820 (only one side can finish in the money), max profit $180,
  //   breakevens 580 − 1.80 = 578.20 and 620 + 1.80 = 621.80 (the TOTAL credit on both sides),
  //   natural credit (2.00 − 1.70) + (1.80 − 0.70) = 1.40.
  const cfg = config({ widths: [5, 10] });
  const chain = handChain(600, [P580, P575, C620, C625, C630]);
  const puts = buildBullPuts(chain, cfg, ctx);
  const calls = buildBearCalls(chain, cfg, ctx);
  const condors = buildIronCondors(puts, calls, cfg, ctx);
  const condor = condors.find((c) => c.id === `SPY:IRON_CONDOR:${EXPIRY}:P580/575:C620/630`)!;

  it('pairs every put spread with every call spread', () => {
    expect(puts).toHaveLength(1);
    expect(calls).toHaveLength(3);
    expect(condors).toHaveLength(3);
  });

  it('uses the wider wing for max loss and the total credit for both breakevens', () => {
    expect(condor.strategy).toBe('IRON_CONDOR');
    expect(condor.width).toBe(10);
    expect(condor.creditMid).toBeCloseTo(1.8, 10);
    expect(condor.creditNatural).toBeCloseTo(1.4, 10);
    expect(condor.maxProfitUsd).toBeCloseTo(180, 8);
    expect(condor.maxLossUsd).toBeCloseTo(820, 8);
    expect(condor.breakevens[0]).toBeCloseTo(578.2, 10);
    expect(condor.breakevens[1]).toBeCloseTo(621.8, 10);
    expect(condor.legs.map((l) => `${l.action} ${l.contract.right}${l.contract.strike}`)).toEqual([
      'SELL P580',
      'BUY P575',
      'SELL C620',
      'BUY C630',
    ]);
  });

  it('takes POP between the breakevens with each side’s short IV', () => {
    const args = { spot: 600, lower: 578.2, upper: 621.8, years: years(), rate: 0.04 };
    const expected = probabilityBetween({ ...args, volLower: 0.22, volUpper: 0.16 });
    expect(condor.pop).toBeCloseTo(expected, 12);
    // The sides' IVs differ, so swapping them must change the answer: the builder does not mix them up.
    expect(
      Math.abs(probabilityBetween({ ...args, volLower: 0.16, volUpper: 0.22 }) - condor.pop),
    ).toBeGreaterThan(1e-4);
    expect(condor.expectedValueUsd).toBeCloseTo(expected * 180 - (1 - expected) * 820, 8);
  });

  it('gives the same condors for candidates that lost their builder cache (e.g. read back from a store)', () => {
    const again = buildIronCondors(structuredClone(puts), structuredClone(calls), cfg, ctx);
    expect(again.map((c) => [c.id, c.pop])).toEqual(condors.map((c) => [c.id, c.pop]));
  });
});

describe('candidate search windows', () => {
  it('keeps expiries exactly at the DTE window edges and drops those just outside', () => {
    const chain = syntheticChain({ dtes: [20, 21, 70, 71] });
    const all = buildCandidates(chain, config(), ctx);
    expect(new Set(all.map((c) => c.dte))).toEqual(new Set([21, 70]));
    expect(new Set(all.map((c) => c.expiry))).toEqual(
      new Set([addDays(TRADE_DATE, 21), addDays(TRADE_DATE, 70)]),
    );
    for (const strategy of ['BULL_PUT', 'BEAR_CALL', 'IRON_CONDOR'] as const) {
      expect(new Set(all.filter((c) => c.strategy === strategy).map((c) => c.dte))).toEqual(
        new Set([21, 70]),
      );
    }
  });

  it('keeps short strikes whose |delta| is exactly at the window edges and drops those just outside', () => {
    // Shorts at 600/590/580/570 with deltas just outside, at, at and just outside [0.10, 0.35]; each has
    // its long leg 5 below (|delta| 0.05, never a short itself).
    const shorts: [number, number][] = [
      [600, -0.3501],
      [590, -0.35],
      [580, -0.1],
      [570, -0.0999],
    ];
    const quotes = shorts.flatMap(([strike, delta]) => [
      quote({ expiry: EXPIRY, strike, right: 'P', bid: 2.9, ask: 3.1, delta, iv: 0.2 }),
      quote({ expiry: EXPIRY, strike: strike - 5, right: 'P', bid: 0.9, ask: 1.1, delta: -0.05, iv: 0.2 }),
    ]);
    const spreads = buildBullPuts(handChain(600, quotes), config({ widths: [5] }), ctx);
    expect(spreads.map((s) => s.legs[0]!.contract.strike).sort()).toEqual([580, 590]);
  });

  it('computes delta from the quote IV when IB sent none, and skips strikes with neither', () => {
    const noDelta = quote({ expiry: EXPIRY, strike: 580, right: 'P', bid: 2.0, ask: 2.2, iv: 0.2 });
    const long = quote({ expiry: EXPIRY, strike: 575, right: 'P', bid: 1.5, ask: 1.7 });
    const chain = handChain(600, [noDelta, long]);
    const d = Math.abs(
      bsGreeks({ right: 'P', spot: 600, strike: 580, years: years(), rate: 0.04, vol: 0.2 }).delta,
    );
    // A window that contains only the computed delta keeps the strike; one just above it drops it.
    const around = buildBullPuts(
      chain,
      config({ widths: [5], shortDeltaMin: d - 0.005, shortDeltaMax: d + 0.005 }),
      ctx,
    );
    expect(around.map((s) => s.id)).toEqual([`SPY:BULL_PUT:${EXPIRY}:P580/575`]);
    const above = buildBullPuts(
      chain,
      config({ widths: [5], shortDeltaMin: d + 0.005, shortDeltaMax: 0.9 }),
      ctx,
    );
    expect(above).toEqual([]);
    // P575 has neither delta nor IV: even with a window covering every delta it is never a short.
    const wide = buildBullPuts(
      chain,
      config({ widths: [5], shortDeltaMin: 0.0001, shortDeltaMax: 0.9999 }),
      ctx,
    );
    expect(wide.map((s) => s.legs[0]!.contract.strike)).toEqual([580]);
  });

  it('builds every allowed width whose long strike is listed', () => {
    const chain = syntheticChain({ strikeStep: 1, strikesEachSide: 80, dtes: [45] });
    const cfg = config({ widths: [1, 2, 5, 10] });
    for (const [spreads, direction] of [
      [buildBullPuts(chain, cfg, ctx), -1],
      [buildBearCalls(chain, cfg, ctx), 1],
    ] as const) {
      const byShort = new Map<number, Candidate[]>();
      for (const s of spreads) {
        const k = s.legs[0]!.contract.strike;
        byShort.set(k, [...(byShort.get(k) ?? []), s]);
      }
      expect(byShort.size).toBeGreaterThan(3);
      for (const [shortStrike, list] of byShort) {
        expect(list.map((s) => s.width).sort((a, b) => a - b)).toEqual([1, 2, 5, 10]);
        for (const s of list) expect(s.legs[1]!.contract.strike).toBe(shortStrike + direction * s.width);
      }
    }
  });

  it('builds nothing when no width lands on a listed strike', () => {
    // Strikes every 10 points; a 5-point wing is never listed.
    const chain = syntheticChain({ strikeStep: 10, dtes: [45] });
    expect(buildCandidates(chain, config({ widths: [5] }), ctx)).toEqual([]);
    expect(buildCandidates(chain, config({ widths: [10] }), ctx).length).toBeGreaterThan(0);
  });

  it('skips spreads without a positive mid credit', () => {
    // Bad data: the long put is priced above the short put.
    const long = quote({ expiry: EXPIRY, strike: 575, right: 'P', bid: 2.3, ask: 2.5, delta: -0.2, iv: 0.2 });
    expect(buildBullPuts(handChain(600, [P580, long]), config({ widths: [5] }), ctx)).toEqual([]);
    const equal = quote({
      expiry: EXPIRY,
      strike: 575,
      right: 'P',
      bid: 2.0,
      ask: 2.2,
      delta: -0.2,
      iv: 0.2,
    });
    expect(buildBullPuts(handChain(600, [P580, equal]), config({ widths: [5] }), ctx)).toEqual([]);
  });
});

describe('iron condor pairing', () => {
  it('pairs every put spread with every call spread of the same expiry with the put short strike below', () => {
    const chain = syntheticChain({ dtes: [25, 45, 65], strikeStep: 2.5, strikesEachSide: 40 });
    const cfg = config();
    const puts = buildBullPuts(chain, cfg, ctx);
    const calls = buildBearCalls(chain, cfg, ctx);
    const condors = buildIronCondors(puts, calls, cfg, ctx);
    let expected = 0;
    for (const p of puts) {
      for (const c of calls) {
        if (p.expiry === c.expiry && p.legs[0]!.contract.strike < c.legs[0]!.contract.strike) expected++;
      }
    }
    expect(expected).toBeGreaterThan(100);
    expect(condors).toHaveLength(expected);
    expect(new Set(condors.map((c) => c.id)).size).toBe(condors.length);
    for (const c of condors) {
      expect(c.legs[0]!.contract.expiry).toBe(c.legs[2]!.contract.expiry);
      expect(c.legs[0]!.contract.strike).toBeLessThan(c.legs[2]!.contract.strike);
    }
  });

  it('does not pair overlapping spreads (put short strike at or above the call short strike)', () => {
    // With a 0.05–0.95 delta window the put and call shorts overlap around the money.
    const chain = syntheticChain({ dtes: [45], strikesEachSide: 8 });
    const cfg = config({ shortDeltaMin: 0.05, shortDeltaMax: 0.95 });
    const puts = buildBullPuts(chain, cfg, ctx);
    const calls = buildBearCalls(chain, cfg, ctx);
    const overlapping = puts.some((p) =>
      calls.some((c) => p.legs[0]!.contract.strike >= c.legs[0]!.contract.strike),
    );
    expect(overlapping).toBe(true);
    for (const c of buildIronCondors(puts, calls, cfg, ctx)) {
      expect(c.legs[0]!.contract.strike).toBeLessThan(c.legs[2]!.contract.strike);
    }
  });

  it('builds only the enabled strategies', () => {
    const chain = syntheticChain({ dtes: [45] });
    const only = (strategies: ('BULL_PUT' | 'BEAR_CALL' | 'IRON_CONDOR')[]) =>
      new Set(buildCandidates(chain, config({ strategies }), ctx).map((c) => c.strategy));
    expect(only(['BULL_PUT'])).toEqual(new Set(['BULL_PUT']));
    expect(only(['BEAR_CALL'])).toEqual(new Set(['BEAR_CALL']));
    expect(only(['IRON_CONDOR'])).toEqual(new Set(['IRON_CONDOR']));
    const cfg = config();
    const condorsOnly = buildCandidates(chain, config({ strategies: ['IRON_CONDOR'] }), ctx);
    const condors = buildIronCondors(
      buildBullPuts(chain, cfg, ctx),
      buildBearCalls(chain, cfg, ctx),
      cfg,
      ctx,
    );
    expect(condorsOnly.map((c) => c.id)).toEqual(condors.map((c) => c.id));
  });

  it('gives deterministic ids', () => {
    const chain = syntheticChain({ dtes: [45] });
    const first = buildCandidates(chain, config(), ctx).map((c) => c.id);
    expect(buildCandidates(chain, config(), ctx).map((c) => c.id)).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });
});

describe('strategy laws (property-based)', () => {
  const chainArb = fc.record({
    spot: fc.double({ min: 50, max: 1000, noNaN: true }),
    vol: fc.double({ min: 0.08, max: 0.8, noNaN: true }),
    spreadPct: fc.double({ min: 0.5, max: 40, noNaN: true }),
    strikeStep: fc.constantFrom(1, 2.5, 5),
  });

  it('verticals: max profit + max loss = width × multiplier; breakeven = short strike ∓ credit; natural ≤ mid', () => {
    fc.assert(
      fc.property(chainArb, ({ spot, vol, spreadPct, strikeStep }) => {
        const chain = syntheticChain({
          spot,
          vol,
          spreadPct,
          strikeStep,
          strikesEachSide: 25,
          dtes: [30, 60],
        });
        const cfg = config();
        for (const [spreads, sign] of [
          [buildBullPuts(chain, cfg, ctx), -1],
          [buildBearCalls(chain, cfg, ctx), 1],
        ] as const) {
          for (const s of spreads) {
            const m = s.legs[0]!.contract.multiplier;
            expect(s.maxProfitUsd + s.maxLossUsd).toBeCloseTo(s.width * m, 6);
            expect(s.breakevens[0]).toBeCloseTo(s.legs[0]!.contract.strike + sign * s.creditMid, 9);
            expect(s.creditMid).toBeGreaterThan(0);
            expect(s.creditNatural).toBeLessThanOrEqual(s.creditMid + 1e-12);
            expect(s.pop).toBeGreaterThanOrEqual(0);
            expect(s.pop).toBeLessThanOrEqual(1);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('condors: max profit + max loss = wider wing × multiplier and the breakevens straddle the shorts', () => {
    fc.assert(
      fc.property(chainArb, ({ spot, vol, spreadPct, strikeStep }) => {
        const chain = syntheticChain({ spot, vol, spreadPct, strikeStep, strikesEachSide: 20, dtes: [45] });
        const condors = buildCandidates(chain, config({ strategies: ['IRON_CONDOR'] }), ctx);
        for (const c of condors) {
          const [ps, pl, cs, cl] = c.legs.map((l) => l.contract.strike) as [number, number, number, number];
          expect(c.width).toBe(Math.max(ps - pl, cl - cs));
          expect(c.maxProfitUsd + c.maxLossUsd).toBeCloseTo(c.width * 100, 6);
          expect(c.breakevens[0]).toBeCloseTo(ps - c.creditMid, 9);
          expect(c.breakevens[1]).toBeCloseTo(cs + c.creditMid, 9);
        }
      }),
      { numRuns: 15 },
    );
  });
});
