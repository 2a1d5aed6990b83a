// Execution's second look at a candidate: the analysis scored it on its own quotes (09:45), the order is
// priced on the quotes of the moment (10:00). The candidate is rebuilt from those by the strategy
// builders and goes through the same hard filters and score, so an order never goes out on an approval
// the market has since withdrawn. Pure: quotes, context and time are parameters.
import { nyClockTime, nyDate } from './calendar';
import type { Config } from './config';
import { evaluateCandidate, FACTOR_POINTS, isEligible } from './scoring';
import type { ScoreInputs } from './scoring';
import { rebuildCandidate } from './strategies';
import type { FreshQuotes } from './strategies';
import type { MarketContext, ScoreBreakdown, ScoredCandidate } from './types';

export interface Reevaluation {
  /** Still tradable: no hard-filter rejection on the fresh quotes and a score of at least `minScore`. */
  eligible: boolean;
  /** The candidate rebuilt from the fresh quotes and scored; absent when it could not be rebuilt. */
  candidate?: ScoredCandidate;
  scoreBefore: number;
  scoreAfter?: number;
  /** "score 80 → 41 at 10:00, below 70: short delta 0.62 outside 0.16–0.30 (15 → 0 pts); hard filters: …" */
  reason: string;
}

const FACTOR_ORDER = Object.keys(FACTOR_POINTS) as (keyof ScoreBreakdown)[];
const fixed2 = (x: number) => x.toFixed(2);

/** What a factor measured, in the words of the trading rules' score table. */
export function describeFactor(
  factor: keyof ScoreBreakdown,
  inputs: ScoreInputs,
  scoring: Config['scoring'],
): string {
  const s = scoring;
  switch (factor) {
    case 'ivRank':
      return inputs.ivRank === undefined
        ? 'no IV rank'
        : `IV rank ${inputs.ivRank.toFixed(0)} (full at ${s.ivRankFull}, zero at ${s.ivRankZero})`;
    case 'creditToWidth':
      return inputs.creditToWidth === undefined
        ? 'credit/width not computable'
        : `credit/width ${fixed2(inputs.creditToWidth)} (full at ${fixed2(s.creditToWidthFull)}, zero at ${fixed2(s.creditToWidthZero)})`;
    case 'shortDelta':
      return inputs.shortDelta === undefined
        ? 'no short delta'
        : `short delta ${fixed2(inputs.shortDelta)} outside ${fixed2(s.deltaFullMin)}–${fixed2(s.deltaFullMax)}`;
    case 'liquidity':
      return (
        `liquidity: widest leg bid-ask ${inputs.legSpreadPct === undefined ? 'unknown' : `${inputs.legSpreadPct.toFixed(0)}% of mid`} ` +
        `(full at ${s.liquiditySpreadFullPct}%), smallest open interest ${inputs.openInterest ?? 'unknown'} (full at ${s.liquidityOiFull})`
      );
    case 'dteFit':
      return `DTE ${inputs.dte} outside ${s.dteFullMin}–${s.dteFullMax}`;
    case 'ivHv':
      return inputs.ivHv === undefined
        ? 'no IV/HV'
        : `IV/HV ${fixed2(inputs.ivHv)} (full at ${s.ivHvFull}, zero at ${s.ivHvZero})`;
    case 'trendFit':
      return inputs.trendPercentile === undefined
        ? 'no trend percentile'
        : `trend percentile ${inputs.trendPercentile.toFixed(0)}`;
  }
}

/**
 * `stored` (as the analysis scored it) rebuilt from `fresh` quotes and judged again with the analysis'
 * own hard filters and score, on the market context it was scored with. Position caps and legs already
 * held are left to the entry workflow (step 3), which sees the positions of this very moment, the run's
 * own earlier orders included. The reason names both scores, the time, and when refused every factor
 * that lost points (with what it measured) and every hard filter that now rejects.
 */
export function reevaluateCandidate(
  stored: ScoredCandidate,
  fresh: FreshQuotes,
  market: MarketContext,
  config: Config,
  now: number,
  minScore: number = config.scoring.minScore,
): Reevaluation {
  const scoreBefore = stored.score;
  const at = nyClockTime(now);
  const rebuilt = rebuildCandidate(stored, fresh, config, { tradeDate: nyDate(now), now });
  if (!rebuilt.ok) {
    return {
      eligible: false,
      scoreBefore,
      reason: `score ${scoreBefore} → not scored at ${at}: ${rebuilt.reason}`,
    };
  }
  const { scored, inputs } = evaluateCandidate(rebuilt.candidate, {
    now,
    market,
    config,
    openPositions: 0,
    openPerUnderlying: 0,
  });
  const eligible = isEligible(scored, minScore);
  const head = `score ${scoreBefore} → ${scored.score} at ${at}`;
  if (eligible) {
    return {
      eligible,
      candidate: scored,
      scoreBefore,
      scoreAfter: scored.score,
      reason: `${head}, at least ${minScore}`,
    };
  }
  const lost = FACTOR_ORDER.filter((f) => scored.breakdown[f] < stored.breakdown[f] - 0.005).map(
    (f) =>
      `${describeFactor(f, inputs, config.scoring)} (${stored.breakdown[f]} → ${scored.breakdown[f]} pts)`,
  );
  const details = [
    ...lost,
    ...(scored.rejections.length > 0 ? [`hard filters: ${scored.rejections.join('; ')}`] : []),
  ];
  const verdict = scored.score >= minScore ? '' : `, below ${minScore}`;
  return {
    eligible,
    candidate: scored,
    scoreBefore,
    scoreAfter: scored.score,
    reason: `${head}${verdict}${details.length > 0 ? `: ${details.join('; ')}` : ''}`,
  };
}
