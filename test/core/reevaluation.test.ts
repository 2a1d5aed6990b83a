// Execution's second look: a candidate approved at 09:45 is rebuilt from the quotes its order would be
// priced from and judged again by the analysis' own filters and score (issue "A position's whole life,
// right", defect 1), and the one eligibility rule every caller uses.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config';
import { evaluateEntry } from '#core/entry';
import { marketClock } from '#core/calendar';
import { hardFilterReasons } from '#core/filters';
import { reevaluateCandidate } from '#core/reevaluation';
import { evaluateCandidates, isEligible } from '#core/scoring';
import {
  buildBearCalls,
  buildBullPuts,
  buildCandidates,
  buildIronCondors,
  rebuildCandidate,
} from '#core/strategies/index';
import type { MarketContext, OptionQuote, ScoredCandidate } from '#core/types';
import { NOW, TRADE_DATE, addDays, handChain, quote, syntheticChain } from './fixtures/chain';

const config = parseConfig({});
const EXPIRY = addDays(TRADE_DATE, 45);
/** 10:00 New York, a quarter of an hour after the 09:45 analysis. */
const AT_TEN = NOW;
const AT_ANALYSIS = NOW - 15 * 60_000;
const MARKET: MarketContext = { symbol: 'SPY', ivRank: 17.28, atmIv: 0.2, hv20: 0.16, trendPercentile: 55 };

const put = (strike: number, bid: number, ask: number, delta: number, conId: number, timestamp: number) =>
  quote({
    expiry: EXPIRY,
    strike,
    right: 'P',
    bid,
    ask,
    delta,
    iv: 0.2,
    openInterest: 1000,
    conId,
    timestamp,
  });

/** The bull put 580/575 the analysis scored at 09:45: credit 1.60 on 2.55/2.65 and 0.95/1.05. */
function approved(): ScoredCandidate {
  const chain = handChain(600, [
    put(580, 2.55, 2.65, -0.25, 11, AT_ANALYSIS),
    put(575, 0.95, 1.05, -0.2, 12, AT_ANALYSIS),
  ]);
  const built = buildBullPuts(chain, config, { tradeDate: TRADE_DATE, now: AT_ANALYSIS });
  return evaluateCandidates(
    built,
    { now: AT_ANALYSIS, openPositions: 0, openPerUnderlying: 0 },
    MARKET,
    config,
  )[0]!;
}

describe('reevaluateCandidate', () => {
  it('refuses the bull put scored 80 at 1.60 whose quotes at 10:00 are 0.28/0.60 (delta −0.62) and 0.00/0.04', () => {
    const stored = approved();
    expect(stored.score).toBe(80);
    expect(stored.creditMid).toBeCloseTo(1.6, 10);
    expect(isEligible(stored, 70)).toBe(true);

    const fresh = {
      underlyingPrice: 600,
      legs: [put(580, 0.28, 0.6, -0.62, 11, AT_TEN), put(575, 0, 0.04, -0.55, 12, AT_TEN)],
    };
    const result = reevaluateCandidate(stored, fresh, MARKET, config, AT_TEN, 70);

    expect(result.eligible).toBe(false);
    const c = result.candidate!;
    // Every derived number comes from the fresh quotes, not two patched fields.
    expect(c.creditMid).toBeCloseTo(0.42, 10);
    expect(c.creditNatural).toBeCloseTo(0.24, 10);
    expect(c.maxLossUsd).toBeCloseTo(458, 8);
    expect(c.maxProfitUsd).toBeCloseTo(42, 8);
    expect(c.breakevens[0]).toBeCloseTo(579.58, 8);
    expect(c.pop).not.toBeCloseTo(stored.pop, 3);
    expect(c.expectedValueUsd).toBeCloseTo(c.pop * 42 - (1 - c.pop) * 458, 8);
    expect(c.legs.map((l) => l.quote)).toEqual(fresh.legs);
    // The same hard filters the analysis ran, on the same quotes: three rejections.
    const rejections = [
      'credit/width 0.08 is below 0.10',
      'short put 580 bid-ask 0.28/0.60 is 73% of mid, above 50%',
      'long put 575 bid-ask 0.00/0.04 is 200% of mid, above 50%',
    ];
    expect(c.rejections).toEqual(rejections);
    expect(
      hardFilterReasons(c, { now: AT_TEN, market: MARKET, config, openPositions: 0, openPerUnderlying: 0 }),
    ).toEqual(rejections);
    expect(result).toMatchObject({ scoreBefore: 80, scoreAfter: c.score });
    expect(c.score).toBeLessThan(70);
    expect(result.reason).toBe(
      `score 80 → ${c.score} at 10:00, below 70: ` +
        `credit/width 0.08 (full at 0.33, zero at 0.10) (18.86 → 0 pts); ` +
        `short delta 0.62 outside 0.16–0.30 (15 → 0 pts); ` +
        `liquidity: widest leg bid-ask 200% of mid (full at 10%), smallest open interest 1000 (full at 500) (15 → 0 pts); ` +
        `hard filters: ${rejections.join('; ')}`,
    );
    // Never an order: the entry workflow refuses the rebuilt candidate at step 0 as well.
    const entry = evaluateEntry({
      candidate: c,
      config: { ...config, scoring: { ...config.scoring, minScore: 70 } },
      clock: marketClock(AT_TEN, config.calendar),
      account: { accountId: 'DU1', netLiquidation: 100_000, availableFunds: 100_000 },
      openPositions: [],
      todayPnlUsd: { realised: 0, unrealised: 0 },
      whatIfMargin: 500,
      jobEnabled: true,
    });
    expect(entry.ok).toBe(false);
  });

  it('keeps a candidate whose quotes did not move: same numbers, same score, eligible', () => {
    const stored = approved();
    const fresh = {
      underlyingPrice: 600,
      legs: stored.legs.map((l) => ({ ...l.quote, timestamp: AT_TEN })),
    };
    const result = reevaluateCandidate(stored, fresh, MARKET, config, AT_TEN, 70);
    expect(result.eligible).toBe(true);
    expect(result.reason).toMatch(/^score 80 → 80 at 10:00, at least 70$/);
    const { legs: _l, pop, expectedValueUsd, ...numbers } = result.candidate!;
    const { legs: _s, pop: popBefore, expectedValueUsd: evBefore, ...before } = stored;
    expect(numbers).toEqual(before);
    // A quarter of an hour less to expiry moves POP a hair, no more.
    expect(pop).toBeCloseTo(popBefore, 3);
    expect(expectedValueUsd).toBeCloseTo(evBefore, 0);
  });

  it('names a score that still passes but a hard filter that now rejects', () => {
    const stored = approved();
    const fresh = {
      underlyingPrice: 600,
      legs: [put(580, 2.55, 2.65, -0.25, 11, AT_TEN), put(575, 0.95, 1.05, -0.2, 12, AT_TEN)],
    };
    const result = reevaluateCandidate(stored, fresh, { ...MARKET, vix: 40 }, config, AT_TEN, 70);
    expect(result.eligible).toBe(false);
    expect(result.reason).toBe('score 80 → 80 at 10:00: hard filters: VIX 40.0 is above 35');
  });

  it('refuses with the reason when the candidate cannot be rebuilt from the fresh quotes', () => {
    const stored = approved();
    const swapped = {
      underlyingPrice: 600,
      legs: [put(575, 0.95, 1.05, -0.2, 12, AT_TEN), put(580, 2.55, 2.65, -0.25, 11, AT_TEN)],
    };
    expect(reevaluateCandidate(stored, swapped, MARKET, config, AT_TEN, 70)).toEqual({
      eligible: false,
      scoreBefore: 80,
      reason: 'score 80 → not scored at 10:00: fresh quote 1 is for P575 ' + EXPIRY + ', not P580 ' + EXPIRY,
    });
    const inverted = {
      underlyingPrice: 600,
      legs: [put(580, 0.5, 0.6, -0.1, 11, AT_TEN), put(575, 0.9, 1, -0.08, 12, AT_TEN)],
    };
    expect(reevaluateCandidate(stored, inverted, MARKET, config, AT_TEN, 70).reason).toBe(
      'score 80 → not scored at 10:00: no credit: the fresh mid credit is -0.40',
    );
  });
});

describe('rebuildCandidate', () => {
  const chain = syntheticChain({ dtes: [35, 49] });
  const ctx = { tradeDate: TRADE_DATE, now: NOW };
  const universe = { ...config, universe: { ...config.universe, widths: [5, 10] } };

  it('rebuilds every vertical and condor the builders made, number for number, from the same quotes', () => {
    const all = buildCandidates(chain, universe, ctx);
    expect(all.some((c) => c.strategy === 'IRON_CONDOR')).toBe(true);
    for (const c of all) {
      const rebuilt = rebuildCandidate(
        c,
        { underlyingPrice: chain.underlying.price, legs: c.legs.map((l) => l.quote) },
        universe,
        ctx,
      );
      expect(rebuilt).toEqual({ ok: true, candidate: c });
    }
  });

  it('rebuilds a condor from moved quotes as the builders would build it on a chain of those quotes', () => {
    const bump = (q: OptionQuote): OptionQuote => ({ ...q, bid: q.bid + 0.1, ask: q.ask + 0.15 });
    const moved = { ...chain, quotes: chain.quotes.map(bump) };
    const movedChain = handChain(chain.underlying.price, moved.quotes);
    const condorsBefore = buildIronCondors(
      buildBullPuts(chain, universe, ctx),
      buildBearCalls(chain, universe, ctx),
      universe,
      ctx,
    );
    const condorsAfter = buildIronCondors(
      buildBullPuts(movedChain, universe, ctx),
      buildBearCalls(movedChain, universe, ctx),
      universe,
      ctx,
    );
    let compared = 0;
    for (const after of condorsAfter) {
      const before = condorsBefore.find((c) => c.id === after.id);
      if (!before) continue;
      const rebuilt = rebuildCandidate(
        before,
        { underlyingPrice: chain.underlying.price, legs: after.legs.map((l) => l.quote) },
        universe,
        ctx,
      );
      expect(rebuilt).toEqual({ ok: true, candidate: after });
      compared += 1;
    }
    expect(compared).toBeGreaterThan(10);
  });
});

describe('isEligible: the one rule', () => {
  const rejected = ['credit/width 0.08 is below 0.10'];
  it.each([
    { score: 70, rejections: [], minScore: 70, eligible: true, why: 'exactly the minimum' },
    { score: 69.9, rejections: [], minScore: 70, eligible: false, why: 'a tenth below' },
    { score: 100, rejections: [], minScore: 70, eligible: true, why: 'well above' },
    { score: 0, rejections: [], minScore: 0, eligible: true, why: 'minimum 0 takes any score' },
    { score: 95, rejections: rejected, minScore: 70, eligible: false, why: 'one hard-filter rejection' },
    { score: 95, rejections: ['a', 'b'], minScore: 0, eligible: false, why: 'rejections at minimum 0' },
    { score: Number.NaN, rejections: [], minScore: 0, eligible: false, why: 'a NaN score' },
    { score: 80, rejections: [], minScore: Number.NaN, eligible: false, why: 'a NaN minimum' },
  ])('$why: score $score at minScore $minScore → $eligible', ({ score, rejections, minScore, eligible }) => {
    expect(isEligible({ score, rejections }, minScore)).toBe(eligible);
  });
});
