// The 0–100 score of a candidate (trading rules, "Score" table), the evaluation that pairs every
// candidate with its score and hard-filter rejections, and the ranking used by execution.
import type { Config } from './config';
import type { Candidate, MarketContext, OptionQuote, ScoreBreakdown, ScoredCandidate } from './types';
import { spreadPct } from './chain';
import { hardFilterReasons, type FilterContext } from './filters';
import { bsGreeks } from './pricing';
import { strategyOf } from './strategies/registry';
import { band, ramp } from './curves';

// The curves stay importable from here; they live apart so the strategy modules can use them without
// importing scoring, which imports the registry that imports them (a cycle that breaks at load).
export { band, ramp } from './curves';

/** Points per factor, in the order of the trading rules' table. */
export const FACTOR_POINTS: Readonly<ScoreBreakdown> = {
  ivRank: 20,
  creditToWidth: 20,
  shortDelta: 15,
  liquidity: 15,
  dteFit: 10,
  ivHv: 10,
  trendFit: 10,
};

export interface ScoreResult {
  /** Sum of the breakdown, rounded to one decimal. */
  score: number;
  /** Points per factor (rounded to two decimals so the stored breakdown reads cleanly). */
  breakdown: ScoreBreakdown;
  /** Why a factor scored zero for lack of data (missing IV rank, no open interest, ...). */
  notes: string[];
  /** What each factor measured (absent when it had no data), so a change of score can be explained. */
  inputs: ScoreInputs;
}

/** The figures the factors were scored on. */
export interface ScoreInputs {
  ivRank?: number;
  /** Mid credit / width. */
  creditToWidth?: number;
  /** |delta| of the short leg that scored worst (for a condor the worse side). */
  shortDelta?: number;
  /** The widest leg bid-ask, % of its mid, and the smallest leg open interest. */
  legSpreadPct?: number;
  openInterest?: number;
  dte: number;
  /** ATM IV / HV20. */
  ivHv?: number;
  trendPercentile?: number;
}

const round = (x: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

function legName(q: OptionQuote): string {
  return `${q.contract.right === 'P' ? 'put' : 'call'} ${q.contract.strike}`;
}

function shortQuotes(candidate: Candidate): OptionQuote[] {
  const out: OptionQuote[] = [];
  for (const leg of candidate.legs) if (leg.action === 'SELL') out.push(leg.quote);
  return out;
}

/**
 * The short leg's |delta|: the quote's own delta, or Black-Scholes from its IV when IB sent none
 * (the same fallback the strategy builders use to pick short strikes).
 */
function shortAbsDelta(q: OptionQuote, candidate: Candidate, config: Config): number | undefined {
  if (q.delta !== undefined && Number.isFinite(q.delta)) return Math.abs(q.delta);
  if (q.iv === undefined || !(q.iv > 0)) return undefined;
  const greeks = bsGreeks({
    right: q.contract.right,
    spot: candidate.underlyingPrice,
    strike: q.contract.strike,
    // Calendar days to the expiry date: scoring has no clock, and a fraction of a day moves delta little.
    years: Math.max(candidate.dte, 0) / 365,
    rate: config.universe.riskFreeRate,
    vol: q.iv,
  });
  return Math.abs(greeks.delta);
}

/**
 * Trend fit, 0–1, from the 20-day-return percentile p (0–100) with down < up the configured bounds:
 * each strategy module says what fits it (bull put an uptrend, bear call a downtrend, condor a range).
 */
export function trendFitFraction(
  strategy: Candidate['strategy'],
  p: number,
  down: number,
  up: number,
): number {
  return strategyOf(strategy).trendFit(p, down, up);
}

/** Scores one candidate per the trading rules' table; a factor with missing input scores zero with a note. */
export function scoreCandidate(candidate: Candidate, market: MarketContext, config: Config): ScoreResult {
  const s = config.scoring;
  const notes: string[] = [];
  const inputs: ScoreInputs = { dte: candidate.dte };

  // IV rank (252-day).
  let ivRank = 0;
  if (market.ivRank !== undefined && Number.isFinite(market.ivRank)) {
    ivRank = FACTOR_POINTS.ivRank * ramp(market.ivRank, s.ivRankZero, s.ivRankFull);
    inputs.ivRank = market.ivRank;
  } else notes.push(`IV rank: no IV rank for ${market.symbol}, scored 0`);

  // Credit / width.
  let creditToWidth = 0;
  const ratio = candidate.creditMid / candidate.width;
  if (Number.isFinite(ratio)) {
    creditToWidth = FACTOR_POINTS.creditToWidth * ramp(ratio, s.creditToWidthZero, s.creditToWidthFull);
    inputs.creditToWidth = ratio;
  } else
    notes.push(
      `credit/width: not computable (credit ${candidate.creditMid}, width ${candidate.width}), scored 0`,
    );

  // Short-leg delta: for a condor the worse of its two short legs decides.
  let shortDelta = FACTOR_POINTS.shortDelta;
  const shorts = shortQuotes(candidate);
  if (shorts.length === 0) {
    shortDelta = 0;
    notes.push('short delta: no short leg, scored 0');
  }
  for (const q of shorts) {
    const d = shortAbsDelta(q, candidate, config);
    if (d === undefined) {
      shortDelta = 0;
      notes.push(`short delta: short ${legName(q)} has neither delta nor IV, scored 0`);
      break;
    }
    const points =
      FACTOR_POINTS.shortDelta * band(d, s.deltaZeroLow, s.deltaFullMin, s.deltaFullMax, s.deltaZeroHigh);
    if (inputs.shortDelta === undefined || points < shortDelta) inputs.shortDelta = d;
    shortDelta = Math.min(shortDelta, points);
  }

  // Liquidity: per leg the lower of the spread and open-interest partial scores; the worst leg decides.
  let liquidityFraction = 1;
  if (candidate.legs.length === 0) {
    liquidityFraction = 0;
    notes.push('liquidity: no legs, scored 0');
  }
  for (const leg of candidate.legs) {
    const q = leg.quote;
    const spread = spreadPct(q);
    if (Number.isFinite(spread)) inputs.legSpreadPct = Math.max(inputs.legSpreadPct ?? 0, spread);
    const spreadPart = Number.isFinite(spread)
      ? ramp(spread, s.liquiditySpreadZeroPct, s.liquiditySpreadFullPct)
      : 0;
    if (!Number.isFinite(spread)) notes.push(`liquidity: ${legName(q)} has no usable bid-ask spread`);
    let oiPart = 0;
    if (q.openInterest !== undefined && Number.isFinite(q.openInterest)) {
      oiPart = ramp(q.openInterest, s.liquidityOiZero, s.liquidityOiFull);
      inputs.openInterest = Math.min(inputs.openInterest ?? Infinity, q.openInterest);
    } else notes.push(`liquidity: no open interest for ${legName(q)}, scored 0`);
    liquidityFraction = Math.min(liquidityFraction, spreadPart, oiPart);
  }
  const liquidity = FACTOR_POINTS.liquidity * liquidityFraction;

  // DTE fit.
  const dteFit =
    FACTOR_POINTS.dteFit * band(candidate.dte, s.dteZeroLow, s.dteFullMin, s.dteFullMax, s.dteZeroHigh);

  // IV / HV20: the volatility risk premium the seller collects.
  let ivHv = 0;
  const hasIv = market.atmIv !== undefined && Number.isFinite(market.atmIv);
  const hasHv = market.hv20 !== undefined && market.hv20 > 0 && Number.isFinite(market.hv20);
  if (hasIv && hasHv) {
    inputs.ivHv = market.atmIv! / market.hv20!;
    ivHv = FACTOR_POINTS.ivHv * ramp(inputs.ivHv, s.ivHvZero, s.ivHvFull);
  } else {
    const missing = [hasIv ? '' : 'ATM IV', hasHv ? '' : 'HV20'].filter(Boolean).join(' and ');
    notes.push(`IV/HV: no ${missing} for ${market.symbol}, scored 0`);
  }

  // Trend fit.
  let trendFit = 0;
  if (market.trendPercentile !== undefined && Number.isFinite(market.trendPercentile)) {
    inputs.trendPercentile = market.trendPercentile;
    trendFit =
      FACTOR_POINTS.trendFit *
      trendFitFraction(
        candidate.strategy,
        market.trendPercentile,
        s.trendDownPercentile,
        s.trendUpPercentile,
      );
  } else notes.push(`trend fit: no trend percentile for ${market.symbol}, scored 0`);

  const breakdown: ScoreBreakdown = {
    ivRank: round(ivRank, 2),
    creditToWidth: round(creditToWidth, 2),
    shortDelta: round(shortDelta, 2),
    liquidity: round(liquidity, 2),
    dteFit: round(dteFit, 2),
    ivHv: round(ivHv, 2),
    trendFit: round(trendFit, 2),
  };
  return { score: round(breakdownSum(breakdown), 1), breakdown, notes, inputs };
}

/** Sum of a breakdown's points. */
export function breakdownSum(b: ScoreBreakdown): number {
  return b.ivRank + b.creditToWidth + b.shortDelta + b.liquidity + b.dteFit + b.ivHv + b.trendFit;
}

/** Context for evaluation: the filter context without market and config, which are passed separately. */
export type EvaluationContext = Omit<FilterContext, 'market' | 'config'>;

/**
 * Scores one candidate and records its hard-filter rejections against its underlying's context: what the
 * analysis does to every candidate and execution to each one again on fresh quotes. Also returns what
 * each factor measured.
 */
export function evaluateCandidate(
  candidate: Candidate,
  ctx: FilterContext,
): { scored: ScoredCandidate; inputs: ScoreInputs } {
  const { score, breakdown, notes, inputs } = scoreCandidate(candidate, ctx.market, ctx.config);
  const rejections = hardFilterReasons(candidate, ctx);
  return { scored: { ...candidate, score, breakdown, rejections, notes }, inputs };
}

/**
 * Scores every candidate and records its hard-filter rejections. `market` is one underlying's context
 * or a list of them (the candidate's symbol picks one); a candidate whose underlying has no context is
 * a programming error, not a zero score, so it throws.
 */
export function evaluateCandidates(
  candidates: readonly Candidate[],
  ctx: EvaluationContext,
  market: MarketContext | readonly MarketContext[],
  config: Config,
): ScoredCandidate[] {
  const bySymbol = new Map<string, MarketContext>();
  for (const m of Array.isArray(market) ? (market as readonly MarketContext[]) : [market as MarketContext]) {
    bySymbol.set(m.symbol, m);
  }
  return candidates.map((candidate) => {
    const m = bySymbol.get(candidate.symbol);
    if (!m) throw new RangeError(`no market context for ${candidate.symbol} (candidate ${candidate.id})`);
    return evaluateCandidate(candidate, { ...ctx, market: m, config }).scored;
  });
}

/** Expected value per dollar of risk; a candidate without positive risk or a finite EV sorts last. */
function evPerRisk(c: Candidate): number {
  const r = c.expectedValueUsd / c.maxLossUsd;
  return c.maxLossUsd > 0 && Number.isFinite(r) ? r : -Infinity;
}

const orNegInf = (x: number) => (Number.isNaN(x) ? -Infinity : x);

/**
 * Best first: score, then expected value per dollar of risk, then liquidity points, then id (so the
 * order is total and repeatable). Returns a new array.
 */
export function rankCandidates<T extends ScoredCandidate>(scored: readonly T[]): T[] {
  const keyed = scored.map((c) => ({
    c,
    score: orNegInf(c.score),
    ev: evPerRisk(c),
    liq: orNegInf(c.breakdown.liquidity),
  }));
  keyed.sort(
    (a, b) =>
      b.score - a.score ||
      (b.ev === a.ev ? 0 : b.ev > a.ev ? 1 : -1) ||
      b.liq - a.liq ||
      (a.c.id < b.c.id ? -1 : a.c.id > b.c.id ? 1 : 0),
  );
  return keyed.map((k) => k.c);
}

/**
 * The one eligibility rule: a candidate may be traded when no hard filter rejected it and its score is
 * at least `minScore` (a NaN score never is).
 */
export function isEligible(
  candidate: Pick<ScoredCandidate, 'rejections' | 'score'>,
  minScore: number,
): boolean {
  return candidate.rejections.length === 0 && candidate.score >= minScore;
}

/** The candidates execution may trade (`isEligible`), in ranked order. */
export function selectForExecution<T extends ScoredCandidate>(ranked: readonly T[], minScore: number): T[] {
  return ranked.filter((c) => isEligible(c, minScore));
}
