// Which of one underlying's scored candidates are stored as full items (the rest are counted, and
// archived), scored slice by slice so only one slice of scored copies exists at a time.
import type { CandidateArchiveEncoder } from '#adapters/ports';
import type { Config } from '#core/config';
import { evaluateCandidates, isEligible, rankCandidates, selectForExecution } from '#core/scoring';
import type { Candidate, MarketContext, ScoredCandidate } from '#core/types';

/** "bid 1.2 is above ask 1.1" → "bid is above ask": reasons grouped by their shape, numbers removed. */
export function reasonFamily(reason: string): string {
  return reason
    .replace(/-?\d+(\.\d+)?%?/g, '#')
    .replace(/\$#(,#)*/g, '$#')
    .replace(/\s+/g, ' ')
    .slice(0, 80);
}

/**
 * How many of one underlying's candidates are stored as full items (legs and quotes included, in the
 * byScore index execute-strategies reads). A SPY-like chain yields ~150–190k candidates (iron condors
 * on $1 strikes), and on a liquid synthetic chain ~98% of them pass the hard filters (measured: 146,710
 * of 149,949, ~2 KB an item). An item each would be ~300k write units per underlying — over a minute
 * of a fresh on-demand table's burst and ~6,000 BatchWriteItem calls — and holding all scored copies
 * costs hundreds of MB in the Lambda. So the items are, per underlying, the best `passing` candidates
 * that passed every hard filter (any score: execution takes the top few) and the best `rejected` ones;
 * every candidate, these included, is also in the archive (one compact row each, gzip'd: measured
 * 5.1 MiB in 18 chunk items for those 149,949), built slice by slice as they are scored.
 */
export const STORAGE_LIMITS = { passing: 2000, rejected: 50 } as const;
/** Candidates scored per slice: the scored copies of one slice are all that exists at once. */
export const SCORING_SLICE = 5000;

/** Merges `add` into a best-first list (the core's ranking order), cut to `limit`. */
function keepBest(
  list: ScoredCandidate[],
  add: readonly ScoredCandidate[],
  limit: number,
): ScoredCandidate[] {
  if (add.length === 0 || limit <= 0) return limit <= 0 ? [] : list;
  return rankCandidates([...list, ...add]).slice(0, limit);
}

export interface StorageSelection {
  /** What to write: the best passing candidates, then the best rejected ones. */
  store: ScoredCandidate[];
  /** How many passed every hard filter. */
  passed: number;
  /** How many passed and scored at least minScore. */
  eligible: number;
  /** The best eligible candidates (those among `store`), best first. */
  topEligible: ScoredCandidate[];
  /** Reason family (or "score below N") → count, over every candidate that is not eligible. */
  failures: Map<string, number>;
}

/**
 * Scores one underlying's candidates slice by slice and keeps only the best `limits.passing` that pass
 * the hard filters and the best `limits.rejected` that do not (see STORAGE_LIMITS); everything else is
 * counted. Every scored slice is handed to `archive` (when given) before it is dropped, so the archive
 * gets every candidate while only one slice of scored copies exists at a time. Pure apart from what
 * `archive` does: the scoring context is a parameter.
 */
export function selectForStorage(
  candidates: readonly Candidate[],
  evaluation: Parameters<typeof evaluateCandidates>[1],
  market: MarketContext,
  config: Config,
  limits: { passing: number; rejected: number } = STORAGE_LIMITS,
  archive?: Pick<CandidateArchiveEncoder, 'add'>,
): StorageSelection {
  const minScore = config.scoring.minScore;
  let bestPassing: ScoredCandidate[] = [];
  let bestRejected: ScoredCandidate[] = [];
  let passed = 0;
  let eligible = 0;
  const failures = new Map<string, number>();
  for (let i = 0; i < candidates.length; i += SCORING_SLICE) {
    const scored = evaluateCandidates(candidates.slice(i, i + SCORING_SLICE), evaluation, market, config);
    archive?.add(scored);
    const passing: ScoredCandidate[] = [];
    const rejected: ScoredCandidate[] = [];
    for (const c of scored) {
      if (c.rejections.length === 0) {
        passing.push(c);
        passed += 1;
        if (isEligible(c, minScore)) {
          eligible += 1;
          continue;
        }
      } else rejected.push(c);
      const families =
        c.rejections.length > 0 ? new Set(c.rejections.map(reasonFamily)) : [`score below ${minScore}`];
      for (const f of families) failures.set(f, (failures.get(f) ?? 0) + 1);
    }
    bestPassing = keepBest(bestPassing, passing, limits.passing);
    bestRejected = keepBest(bestRejected, rejected, limits.rejected);
  }
  return {
    store: [...bestPassing, ...bestRejected],
    passed,
    eligible,
    topEligible: selectForExecution(bestPassing, minScore),
    failures,
  };
}
