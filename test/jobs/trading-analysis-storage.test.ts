// strategy-analysis keeps memory and writes bounded: per underlying it scores candidates slice by slice,
// hands every scored slice to the archive, and stores the best N passing and best M rejected candidates
// as full items; the rest are counted by reason (and archived). The reference here is the unbounded
// path (score everything at once, rank it all) — the bounded selection must pick exactly what the
// reference would, whatever the slicing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config';
import { evaluateCandidates, rankCandidates, selectForExecution } from '#core/scoring';
import { buildCandidates } from '#core/strategies/index';
import type { MarketContext, ScoredCandidate } from '#core/types';
import { reasonFamily, SCORING_SLICE, selectForStorage } from '#jobs/strategy-analysis/candidate-storage';
import { NOW, syntheticChain, TRADE_DATE } from '../core/fixtures/chain';

const market: MarketContext = {
  symbol: 'SPY',
  ivRank: 40,
  atmIv: 0.2,
  hv20: 0.16,
  trendPercentile: 55,
  vix: 17,
};
const evaluation = { now: NOW, heldConIds: new Set<number>(), openPositions: 0, openPerUnderlying: {} };

describe('selectForStorage', () => {
  // Iron condors on $1 strikes: well over one scoring slice, and most of them rejected.
  const config = parseConfig({
    universe: {
      underlyings: ['SPY'],
      strategies: ['IRON_CONDOR', 'BULL_PUT', 'BEAR_CALL'],
      widths: [1, 2, 5],
    },
    scoring: { minScore: 60 },
  });
  const chain = syntheticChain({ strikeStep: 1, strikesEachSide: 40, dtes: [29, 45, 60], spreadPct: 25 });
  const candidates = buildCandidates(chain, config, { tradeDate: TRADE_DATE, now: NOW });
  const reference = rankCandidates(evaluateCandidates(candidates, evaluation, market, config));
  const refPassing = reference.filter((c) => c.rejections.length === 0);
  const refRejected = reference.filter((c) => c.rejections.length > 0);
  const byId = new Map(reference.map((c) => [c.id, c]));

  it('the fixture spans several slices and has both passing and rejected candidates', () => {
    expect(candidates.length).toBeGreaterThan(2 * SCORING_SLICE);
    expect(refPassing.length).toBeGreaterThan(0);
    expect(refRejected.length).toBeGreaterThan(100);
  });

  it('stores exactly the best N passing and best M rejected candidates the full ranking would pick', () => {
    const eligible = selectForExecution(reference, 60);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: refPassing.length + 10 }),
        fc.integer({ min: 0, max: 120 }),
        (passing, rejected) => {
          const out = selectForStorage(candidates, evaluation, market, config, { passing, rejected });
          const expected = [...refPassing.slice(0, passing), ...refRejected.slice(0, rejected)];
          expect(out.store.map((c) => c.id)).toEqual(expected.map((c) => c.id));
          expect(out.passed).toBe(refPassing.length);
          expect(out.eligible).toBe(eligible.length);
          expect(out.topEligible.map((c) => c.id)).toEqual(
            eligible.filter((c) => refPassing.indexOf(c) < passing).map((c) => c.id),
          );
        },
      ),
      { numRuns: 8 },
    );
  });

  it('hands every scored candidate to the archive once, in order, one slice at a time', () => {
    const slices: number[] = [];
    const ids: string[] = [];
    const archive = {
      add(scored: readonly ScoredCandidate[]) {
        slices.push(scored.length);
        for (const c of scored) ids.push(c.id);
        // What the archive is given is scored: the same score and reasons the full ranking has.
        const ref = byId.get(scored[0]!.id)!;
        expect([scored[0]!.score, scored[0]!.rejections]).toEqual([ref.score, ref.rejections]);
      },
    };
    const out = selectForStorage(
      candidates,
      evaluation,
      market,
      config,
      { passing: 5, rejected: 5 },
      archive,
    );
    expect(ids).toEqual(candidates.map((c) => c.id));
    // Never more scored copies at once than one slice: the memory bound of a 150k-candidate chain.
    expect(Math.max(...slices)).toBeLessThanOrEqual(SCORING_SLICE);
    expect(slices.length).toBe(Math.ceil(candidates.length / SCORING_SLICE));
    // The archive changes nothing about what is stored as items.
    const without = selectForStorage(candidates, evaluation, market, config, { passing: 5, rejected: 5 });
    expect(out.store.map((c) => c.id)).toEqual(without.store.map((c) => c.id));
  });

  it('counts every candidate that is not eligible once per family of its reasons', () => {
    const out = selectForStorage(candidates, evaluation, market, config, { passing: 5, rejected: 5 });
    // Independent count over the reference: a rejected candidate under each distinct reason family, a
    // passing one below the minimum score under "score below 60".
    const expected = new Map<string, number>();
    for (const c of reference) {
      const families =
        c.rejections.length > 0
          ? new Set(c.rejections.map(reasonFamily))
          : c.score < 60
            ? new Set(['score below 60'])
            : new Set<string>();
      for (const f of families) expected.set(f, (expected.get(f) ?? 0) + 1);
    }
    expect(Object.fromEntries(out.failures)).toEqual(Object.fromEntries(expected));
    expect(expected.size).toBeGreaterThan(1);
  });
});
