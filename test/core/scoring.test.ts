import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '#core/config';
import { bsGreeks } from '#core/pricing';
import {
  FACTOR_POINTS,
  evaluateCandidates,
  rankCandidates,
  scoreCandidate,
  selectForExecution,
} from '#core/scoring';
import type {
  Candidate,
  MarketContext,
  OptionQuote,
  ScoreBreakdown,
  ScoredCandidate,
  StrategyKind,
} from '#core/types';
import { NOW, TRADE_DATE, addDays, quote } from './fixtures/chain';

const config = parseConfig({});
const EXPIRY = addDays(TRADE_DATE, 45);

interface LegSpec {
  right: 'P' | 'C';
  strike: number;
  action: 'SELL' | 'BUY';
  /** Mid 2.00 unless given; `spreadPct` sets the bid-ask width around it. */
  spreadPct?: number;
  delta?: number;
  iv?: number;
  openInterest?: number;
}

function makeLeg(spec: LegSpec) {
  const m = 2;
  const half = ((spec.spreadPct ?? 5) / 100) * m * 0.5;
  const q: OptionQuote = quote({
    expiry: EXPIRY,
    strike: spec.strike,
    right: spec.right,
    bid: m - half,
    ask: m + half,
    ...(spec.delta !== undefined ? { delta: spec.delta } : {}),
    ...(spec.iv !== undefined ? { iv: spec.iv } : {}),
    openInterest: spec.openInterest ?? 1000,
  });
  return { contract: q.contract, action: spec.action, ratio: 1, quote: q };
}

/**
 * A candidate that earns full marks on every factor with `fullMarket`: credit/width 1/3, short |delta|
 * 0.23, leg spreads 5% with OI 1000, 45 DTE.
 */
function candidate(overrides: Partial<Candidate> & { legSpecs?: LegSpec[] } = {}): Candidate {
  const { legSpecs, ...rest } = overrides;
  const specs: LegSpec[] = legSpecs ?? [
    { right: 'P', strike: 580, action: 'SELL', delta: -0.23, iv: 0.2 },
    { right: 'P', strike: 577, action: 'BUY', delta: -0.19, iv: 0.21 },
  ];
  return {
    id: 'SPY:BULL_PUT:x',
    strategy: 'BULL_PUT',
    symbol: 'SPY',
    expiry: EXPIRY,
    dte: 45,
    legs: specs.map(makeLeg),
    width: 3,
    creditMid: 1,
    creditNatural: 0.9,
    maxProfitUsd: 100,
    maxLossUsd: 200,
    breakevens: [579],
    pop: 0.7,
    expectedValueUsd: 10,
    underlyingPrice: 600,
    ...rest,
  };
}

// IV rank 60 ≥ 50, IV/HV 0.30/0.20 = 1.5 ≥ 1.2, trend percentile 70 ≥ 60 (uptrend: full for a bull put).
const fullMarket: MarketContext = { symbol: 'SPY', ivRank: 60, atmIv: 0.3, hv20: 0.2, trendPercentile: 70 };

const score = (c: Candidate, m: Partial<MarketContext> = {}) =>
  scoreCandidate(c, { ...fullMarket, ...m }, config);
const factor = (key: keyof ScoreBreakdown, c: Candidate, m: Partial<MarketContext> = {}) =>
  score(c, m).breakdown[key];

describe('scoreCandidate', () => {
  it('gives 100 to a candidate at full marks on every factor, with no notes', () => {
    const result = score(candidate());
    expect(result.score).toBe(100);
    expect(result.breakdown).toEqual(FACTOR_POINTS);
    expect(result.notes).toEqual([]);
  });

  it('IV rank: 20 at ≥ 50, 0 at ≤ 10, 10 at 30; missing scores 0 with a note', () => {
    expect(factor('ivRank', candidate(), { ivRank: 50 })).toBe(20);
    expect(factor('ivRank', candidate(), { ivRank: 10 })).toBe(0);
    expect(factor('ivRank', candidate(), { ivRank: 3 })).toBe(0);
    expect(factor('ivRank', candidate(), { ivRank: 30 })).toBe(10);
    const missing = score(candidate(), { ivRank: undefined });
    expect(missing.breakdown.ivRank).toBe(0);
    expect(missing.score).toBe(80);
    expect(missing.notes.join(' ')).toMatch(/IV rank/);
  });

  it('credit/width: 20 at 1/3, 0 at 0.10, 10 halfway', () => {
    expect(factor('creditToWidth', candidate({ creditMid: 2, width: 5 }))).toBe(20); // 0.40 ≥ 1/3
    expect(factor('creditToWidth', candidate({ creditMid: 0.5, width: 5 }))).toBe(0); // 0.10
    // Halfway between 0.10 and 1/3 is 0.21667 = 0.65 / 3.
    expect(factor('creditToWidth', candidate({ creditMid: 0.65, width: 3 }))).toBeCloseTo(10, 2);
  });

  it('short delta: 15 in 0.16–0.30, 0 at ≤ 0.08 and ≥ 0.40, 7.5 halfway on each side', () => {
    const withShortDelta = (delta: number) =>
      candidate({
        legSpecs: [
          { right: 'P', strike: 580, action: 'SELL', delta: -delta, iv: 0.2 },
          { right: 'P', strike: 577, action: 'BUY', delta: -0.01, iv: 0.2 },
        ],
      });
    expect(factor('shortDelta', withShortDelta(0.16))).toBe(15);
    expect(factor('shortDelta', withShortDelta(0.3))).toBe(15);
    expect(factor('shortDelta', withShortDelta(0.08))).toBe(0);
    expect(factor('shortDelta', withShortDelta(0.4))).toBe(0);
    expect(factor('shortDelta', withShortDelta(0.12))).toBeCloseTo(7.5, 2);
    expect(factor('shortDelta', withShortDelta(0.35))).toBeCloseTo(7.5, 2);
  });

  it('short delta of a condor: the worse short leg decides', () => {
    const condor = candidate({
      strategy: 'IRON_CONDOR',
      legSpecs: [
        { right: 'P', strike: 580, action: 'SELL', delta: -0.23, iv: 0.2 },
        { right: 'P', strike: 577, action: 'BUY', delta: -0.19, iv: 0.2 },
        { right: 'C', strike: 620, action: 'SELL', delta: 0.12, iv: 0.2 }, // halfway 0.08 → 0.16
        { right: 'C', strike: 623, action: 'BUY', delta: 0.09, iv: 0.2 },
      ],
    });
    expect(factor('shortDelta', condor, { trendPercentile: 50 })).toBeCloseTo(7.5, 2);
  });

  it('short delta without a quote delta comes from the IV; with neither it scores 0 with a note', () => {
    const noDelta = (iv?: number) =>
      candidate({
        legSpecs: [
          { right: 'P', strike: 580, action: 'SELL', ...(iv !== undefined ? { iv } : {}) },
          { right: 'P', strike: 577, action: 'BUY', delta: -0.2 },
        ],
      });
    // Black-Scholes delta of the 580 put at 45 days, 20% vol (computed independently here).
    const d = Math.abs(
      bsGreeks({ right: 'P', spot: 600, strike: 580, years: 45 / 365, rate: 0.04, vol: 0.2 }).delta,
    );
    expect(d).toBeGreaterThan(0.16);
    expect(d).toBeLessThan(0.3);
    expect(factor('shortDelta', noDelta(0.2))).toBe(15);
    const none = score(noDelta());
    expect(none.breakdown.shortDelta).toBe(0);
    expect(none.notes.join(' ')).toMatch(/short delta/);
  });

  it('liquidity: 15 with spreads ≤ 10% and OI ≥ 500; 0 at spread 40% or OI below 50; worst leg decides', () => {
    const legs = (shortSpec: Partial<LegSpec>, longSpec: Partial<LegSpec> = {}) =>
      candidate({
        legSpecs: [
          { right: 'P', strike: 580, action: 'SELL', delta: -0.23, ...shortSpec },
          { right: 'P', strike: 577, action: 'BUY', delta: -0.19, ...longSpec },
        ],
      });
    expect(factor('liquidity', legs({ spreadPct: 10, openInterest: 500 }))).toBe(15);
    expect(factor('liquidity', legs({ spreadPct: 40 }))).toBe(0);
    expect(factor('liquidity', legs({ openInterest: 49 }))).toBe(0);
    expect(factor('liquidity', legs({ openInterest: 50 }))).toBe(0);
    // Halfway: spread 25% (between 10 and 40) or OI 275 (between 50 and 500).
    expect(factor('liquidity', legs({ spreadPct: 25 }))).toBeCloseTo(7.5, 2);
    expect(factor('liquidity', legs({ openInterest: 275 }))).toBeCloseTo(7.5, 2);
    // The lower of the two criteria, not their product: spread 25% (½) with OI 387.5 (¾) gives ½.
    expect(factor('liquidity', legs({ spreadPct: 25, openInterest: 387.5 }))).toBeCloseTo(7.5, 2);
    // One perfect leg and one half leg: the half leg decides.
    expect(factor('liquidity', legs({}, { spreadPct: 25 }))).toBeCloseTo(7.5, 2);
  });

  it('liquidity without open interest scores 0 with a note', () => {
    const c = candidate({
      legSpecs: [
        { right: 'P', strike: 580, action: 'SELL', delta: -0.23 },
        { right: 'P', strike: 577, action: 'BUY', delta: -0.19 },
      ],
    });
    delete (c.legs[0]!.quote as { openInterest?: number }).openInterest;
    const result = score(c);
    expect(result.breakdown.liquidity).toBe(0);
    expect(result.notes.join(' ')).toMatch(/open interest/);
  });

  it('DTE fit: 10 in 40–50, 0 at ≤ 21 and ≥ 70, 5 halfway', () => {
    expect(factor('dteFit', candidate({ dte: 40 }))).toBe(10);
    expect(factor('dteFit', candidate({ dte: 50 }))).toBe(10);
    expect(factor('dteFit', candidate({ dte: 21 }))).toBe(0);
    expect(factor('dteFit', candidate({ dte: 70 }))).toBe(0);
    expect(factor('dteFit', candidate({ dte: 80 }))).toBe(0);
    expect(factor('dteFit', candidate({ dte: 60 }))).toBe(5); // halfway 50 → 70
    expect(factor('dteFit', candidate({ dte: 30.5 }))).toBe(5); // halfway 21 → 40
  });

  it('IV/HV: 10 at ≥ 1.2, 0 at ≤ 0.8, 5 at 1.0; missing HV scores 0 with a note', () => {
    expect(factor('ivHv', candidate(), { atmIv: 0.3, hv20: 0.25 })).toBeCloseTo(10, 2); // 1.2
    expect(factor('ivHv', candidate(), { atmIv: 0.16, hv20: 0.2 })).toBeCloseTo(0, 2); // 0.8
    expect(factor('ivHv', candidate(), { atmIv: 0.2, hv20: 0.2 })).toBeCloseTo(5, 2); // 1.0
    const missing = score(candidate(), { hv20: undefined });
    expect(missing.breakdown.ivHv).toBe(0);
    expect(missing.notes.join(' ')).toMatch(/IV\/HV.*HV20/);
  });

  it('trend fit: full with the trend, zero against it, half in a flat market for verticals', () => {
    const bull = candidate();
    const bear = candidate({ strategy: 'BEAR_CALL' });
    expect(factor('trendFit', bull, { trendPercentile: 60 })).toBe(10);
    expect(factor('trendFit', bull, { trendPercentile: 40 })).toBe(0);
    expect(factor('trendFit', bull, { trendPercentile: 50 })).toBe(5);
    expect(factor('trendFit', bear, { trendPercentile: 40 })).toBe(10);
    expect(factor('trendFit', bear, { trendPercentile: 60 })).toBe(0);
    expect(factor('trendFit', bear, { trendPercentile: 50 })).toBe(5);
  });

  it('trend fit of a condor: full in the range, zero at the extremes, half halfway out', () => {
    const condor = candidate({ strategy: 'IRON_CONDOR' });
    for (const p of [40, 50, 60]) expect(factor('trendFit', condor, { trendPercentile: p })).toBe(10);
    expect(factor('trendFit', condor, { trendPercentile: 0 })).toBe(0);
    expect(factor('trendFit', condor, { trendPercentile: 100 })).toBe(0);
    expect(factor('trendFit', condor, { trendPercentile: 20 })).toBe(5);
    expect(factor('trendFit', condor, { trendPercentile: 80 })).toBe(5);
    const missing = score(condor, { trendPercentile: undefined });
    expect(missing.breakdown.trendFit).toBe(0);
    expect(missing.notes.join(' ')).toMatch(/trend/);
  });

  it('rounds the score to one decimal', () => {
    // IV rank 22.34 earns 20 × (22.34 − 10) / 40 = 6.17 points; with 80 from the other factors, 86.17 → 86.2.
    expect(score(candidate(), { ivRank: 22.34 }).score).toBe(86.2);
  });
});

describe('score laws (property-based)', () => {
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const legArb = (action: 'SELL' | 'BUY', right: 'P' | 'C') =>
    fc.record({
      right: fc.constant(right),
      strike: fc.integer({ min: 500, max: 700 }),
      action: fc.constant(action),
      spreadPct: fc.double({ min: 0, max: 150, noNaN: true }),
      delta: maybe(fc.double({ min: -1, max: 1, noNaN: true })),
      iv: maybe(fc.double({ min: 0.05, max: 1.5, noNaN: true })),
      openInterest: fc.integer({ min: 0, max: 5000 }),
    });
  const candidateArb = fc
    .record({
      strategy: fc.constantFrom<StrategyKind>('BULL_PUT', 'BEAR_CALL', 'IRON_CONDOR'),
      dte: fc.integer({ min: 0, max: 120 }),
      width: fc.constantFrom(1, 2, 5, 10),
      creditFraction: fc.double({ min: -0.2, max: 1.2, noNaN: true }),
      legs: fc.tuple(legArb('SELL', 'P'), legArb('BUY', 'P'), legArb('SELL', 'C'), legArb('BUY', 'C')),
    })
    .map(({ strategy, dte, width, creditFraction, legs }) =>
      candidate({
        strategy,
        dte,
        width,
        creditMid: creditFraction * width,
        legSpecs:
          strategy === 'IRON_CONDOR' ? legs : strategy === 'BULL_PUT' ? legs.slice(0, 2) : legs.slice(2),
      }),
    );
  const marketArb = fc.record({
    symbol: fc.constant('SPY'),
    ivRank: maybe(fc.double({ min: 0, max: 100, noNaN: true })),
    atmIv: maybe(fc.double({ min: 0.01, max: 2, noNaN: true })),
    hv20: maybe(fc.double({ min: 0.01, max: 2, noNaN: true })),
    trendPercentile: maybe(fc.double({ min: 0, max: 100, noNaN: true })),
  });

  it('score stays within 0–100, each factor within its points, and equals the breakdown sum to one decimal', () => {
    fc.assert(
      fc.property(candidateArb, marketArb, (c, m) => {
        const { score: s, breakdown } = scoreCandidate(c, m, config);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(100);
        let sum = 0;
        for (const key of Object.keys(FACTOR_POINTS) as (keyof ScoreBreakdown)[]) {
          expect(breakdown[key]).toBeGreaterThanOrEqual(0);
          expect(breakdown[key]).toBeLessThanOrEqual(FACTOR_POINTS[key]);
          sum += breakdown[key];
        }
        expect(Math.abs(s - sum)).toBeLessThanOrEqual(0.05 + 1e-9);
        expect(Math.round(s * 10)).toBeCloseTo(s * 10, 9);
      }),
      { numRuns: 300 },
    );
  });

  it('a missing market input never raises the score', () => {
    fc.assert(
      fc.property(
        candidateArb,
        marketArb,
        fc.constantFrom('ivRank', 'atmIv', 'hv20', 'trendPercentile'),
        (c, m, key) => {
          const without = { ...m, [key]: undefined };
          expect(scoreCandidate(c, without, config).score).toBeLessThanOrEqual(
            scoreCandidate(c, m, config).score,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

function scored(
  id: string,
  s: number,
  evPerRisk: number,
  liquidity: number,
  rejections: string[] = [],
): ScoredCandidate {
  const base = candidate({ id, maxLossUsd: 100, expectedValueUsd: evPerRisk * 100 });
  return {
    ...base,
    score: s,
    breakdown: { ...FACTOR_POINTS, liquidity },
    rejections,
  };
}

describe('rankCandidates', () => {
  it('orders by score, then expected value per dollar of risk, then liquidity, then id', () => {
    const list = [
      scored('e', 70, 0.5, 15),
      scored('d', 80, 0.1, 15),
      scored('c', 80, 0.3, 5),
      scored('b', 80, 0.3, 10),
      scored('a', 80, 0.3, 10),
      scored('f', 90, -0.5, 0),
    ];
    expect(rankCandidates(list).map((c) => c.id)).toEqual(['f', 'a', 'b', 'c', 'd', 'e']);
    // The input is not reordered.
    expect(list.map((c) => c.id)).toEqual(['e', 'd', 'c', 'b', 'a', 'f']);
  });

  it('compares expected value per dollar of risk, not expected value', () => {
    // x: EV $30 on $300 risk (0.10); y: EV $20 on $100 risk (0.20) ranks first.
    const x = { ...scored('x', 75, 0, 10), expectedValueUsd: 30, maxLossUsd: 300 };
    const y = { ...scored('y', 75, 0, 10), expectedValueUsd: 20, maxLossUsd: 100 };
    expect(rankCandidates([x, y]).map((c) => c.id)).toEqual(['y', 'x']);
  });

  it('returns a sorted permutation (property-based)', () => {
    const itemArb = fc.record({
      score: fc.integer({ min: 0, max: 20 }).map((n) => n * 5),
      ev: fc.integer({ min: -3, max: 3 }).map((n) => n / 10),
      liquidity: fc.integer({ min: 0, max: 3 }).map((n) => n * 5),
    });
    fc.assert(
      fc.property(fc.array(itemArb, { maxLength: 40 }), (items) => {
        const list = items.map((it, i) =>
          scored(`id${String(i).padStart(3, '0')}`, it.score, it.ev, it.liquidity),
        );
        const ranked = rankCandidates(list);
        expect(ranked.map((c) => c.id).sort()).toEqual(list.map((c) => c.id).sort());
        for (let i = 1; i < ranked.length; i++) {
          const a = ranked[i - 1]!;
          const b = ranked[i]!;
          const key = (c: ScoredCandidate) => [
            c.score,
            c.expectedValueUsd / c.maxLossUsd,
            c.breakdown.liquidity,
          ];
          const [as, ae, al] = key(a) as [number, number, number];
          const [bs, be, bl] = key(b) as [number, number, number];
          const inOrder =
            as > bs || (as === bs && (ae > be || (ae === be && (al > bl || (al === bl && a.id < b.id)))));
          expect(inOrder).toBe(true);
        }
      }),
    );
  });
});

describe('selectForExecution', () => {
  it('keeps unrejected candidates at or above the minimum score, in ranked order', () => {
    const ranked = rankCandidates([
      scored('high', 90, 0, 10),
      scored('rejected', 95, 0, 10, ['DTE 80 is outside 21–70']),
      scored('edge', 70, 0, 10),
      scored('low', 69.9, 0, 10),
    ]);
    expect(selectForExecution(ranked, 70).map((c) => c.id)).toEqual(['high', 'edge']);
  });
});

describe('evaluateCandidates', () => {
  const evalCtx = { now: NOW, openPositions: 0, openPerUnderlying: 0 };

  it('scores every candidate with its own underlying and records rejections', () => {
    const spy = candidate({ id: 'spy' });
    const qqq = candidate({ id: 'qqq', symbol: 'QQQ' });
    const markets: MarketContext[] = [
      fullMarket,
      { ...fullMarket, symbol: 'QQQ', vix: 40, ivRank: undefined },
    ];
    const [a, b] = evaluateCandidates([spy, qqq], evalCtx, markets, config);
    expect(a!.id).toBe('spy');
    expect(a!.score).toBe(100);
    expect(a!.rejections).toEqual([]);
    expect(b!.id).toBe('qqq');
    expect(b!.breakdown.ivRank).toBe(0);
    expect(b!.score).toBe(80);
    expect(b!.rejections).toEqual(['VIX 40.0 is above 35']);
    expect(b!.notes!.join(' ')).toMatch(/IV rank/);
  });

  it('refuses a candidate whose underlying has no market context', () => {
    expect(() => evaluateCandidates([candidate({ symbol: 'IWM' })], evalCtx, fullMarket, config)).toThrow(
      /IWM/,
    );
  });
});
