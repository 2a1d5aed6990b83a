// strategy-analysis: chains + quotes → every candidate of every enabled strategy → hard filters and
// score → stored with breakdown and rejection reasons: every candidate in the day's compact archive, and
// the best ones (see STORAGE_LIMITS) also as full items for execute-strategies → one INFO summary
// alert. Ports only.
//
// Which options are quoted: every expiry inside the DTE window, and per expiry the strikes a short leg
// could use (|delta| inside the window) plus the widest wing beyond them. The delta band is found from
// the underlying's implied volatility (the last OPTION_IMPLIED_VOLATILITY bar, else HV20): a strike
// whose lognormal distance from spot is more than z·σ√T away, with z for the smallest short |delta|
// and a 25% margin for the skew, cannot be a short leg. Never wider than ±15% of spot. If the subset is
// still over `maxQuotes`, expiries closest to the DTE sweet spot (dteFullMin–dteFullMax) are kept first;
// a budget below even the best expiry's window quotes that expiry's strikes nearest the middle of its
// windows (the short-leg band and the nearer wings) rather than nothing.
import type { ChainDefinition, QuoteRequest } from '../../adapters/bridge-client';
import type { CandidateArchiveEncoder } from '../../adapters/ports';
import { describeSpread, usd } from '../../core/alerts';
import { daysToExpiry } from '../../core/chain';
import { buildChain } from '../../core/chain';
import type { Config } from '../../core/config';
import { nextExDividend } from '../../core/decision';
import { historicalVolatility, ivRank, trendPercentile } from '../../core/market-context';
import { normCdf } from '../../core/pricing';
import { evaluateCandidates, isEligible, rankCandidates, selectForExecution } from '../../core/scoring';
import { buildCandidates, quoteSides } from '../../core/strategies';
import type {
  Candidate,
  IsoDate,
  MarketContext,
  OptionContract,
  OptionQuote,
  ScoredCandidate,
} from '../../core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { checkOptionQuote, checkUnderlyingQuote, stockQuoteRequest } from '../shared/quotes';

export interface AnalysisInput {
  /** Underlyings to analyse instead of the config's. */
  symbols?: string[] | undefined;
  /** Most option quotes per underlying; default DEFAULT_MAX_QUOTES. */
  maxQuotes?: number | undefined;
}

/** Option quotes per underlying when the payload names no `maxQuotes`. */
export const DEFAULT_MAX_QUOTES = 600;

/** Outer bound of the strike window, as a fraction of spot. */
export const MAX_STRIKE_DISTANCE = 0.15;
const HISTORY_DAYS = 300;

/** z with N(z) = p, by bisection on the core's normal CDF (p in (0, 1)). */
export function inverseNormal(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface QuotePlan {
  expiries: IsoDate[];
  contracts: OptionContract[];
}

/** The options worth quoting for one underlying (see the header comment). Pure. */
export function planQuotes(
  chain: Pick<ChainDefinition, 'symbol' | 'expirations' | 'strikes' | 'multiplier'>,
  spot: number,
  vol: number,
  tradeDate: IsoDate,
  config: Config,
  maxQuotes: number,
): QuotePlan {
  const { minDte, maxDte, shortDeltaMin, widths, strategies } = config.universe;
  // Each enabled strategy module says which sides of the chain it needs.
  const sides = quoteSides(strategies);
  const wantPuts = sides.puts;
  const wantCalls = sides.calls;
  // At the money (iron butterfly): both rights at the strikes either side of spot, so the short put and
  // call can share one strike whichever side of spot it lies.
  const above = chain.strikes.filter((k) => k >= spot);
  const below = chain.strikes.filter((k) => k <= spot);
  const putsUpTo = sides.atTheMoney && above.length > 0 ? Math.min(...above) : spot;
  const callsFrom = sides.atTheMoney && below.length > 0 ? Math.max(...below) : spot;
  const maxWidth = Math.max(...widths);
  const z = inverseNormal(1 - shortDeltaMin) * 1.25;
  const sweetSpot = (config.scoring.dteFullMin + config.scoring.dteFullMax) / 2;
  const eligible = chain.expirations
    .map((expiry) => ({ expiry, dte: daysToExpiry(tradeDate, expiry) }))
    .filter((e) => e.dte >= minDte && e.dte <= maxDte)
    .sort((a, b) => Math.abs(a.dte - sweetSpot) - Math.abs(b.dte - sweetSpot) || a.dte - b.dte);
  const expiries: IsoDate[] = [];
  const contracts: OptionContract[] = [];
  for (const { expiry, dte } of eligible) {
    const reach = Math.min(Math.exp(z * vol * Math.sqrt(Math.max(dte, 1) / 365)) - 1, MAX_STRIKE_DISTANCE);
    const lowest = Math.max(spot * (1 - reach) - maxWidth, spot * (1 - MAX_STRIKE_DISTANCE));
    const highest = Math.min(spot * (1 + reach) + maxWidth, spot * (1 + MAX_STRIKE_DISTANCE));
    const puts: OptionContract[] = [];
    const calls: OptionContract[] = [];
    for (const strike of chain.strikes) {
      const base = { symbol: chain.symbol, expiry, strike, multiplier: chain.multiplier };
      if (wantPuts && strike >= lowest && strike <= putsUpTo) puts.push({ ...base, right: 'P' });
      if (wantCalls && strike <= highest && strike >= callsFrom) calls.push({ ...base, right: 'C' });
    }
    if (contracts.length + puts.length + calls.length <= maxQuotes) {
      expiries.push(expiry);
      contracts.push(...puts, ...calls);
    } else if (contracts.length === 0 && maxQuotes > 0) {
      // Not even the best expiry fits whole: its middle strikes rather than no analysis at all.
      const cut = middleOfWindows(puts, (lowest + spot) / 2, calls, (spot + highest) / 2, maxQuotes);
      if (cut.length > 0) {
        expiries.push(expiry);
        contracts.push(...cut);
      }
      break;
    }
  }
  return { expiries: expiries.sort(), contracts };
}

/** At most `budget` of the puts and calls, shared evenly, each side's nearest its window's middle. */
function middleOfWindows(
  puts: readonly OptionContract[],
  putMiddle: number,
  calls: readonly OptionContract[],
  callMiddle: number,
  budget: number,
): OptionContract[] {
  const byCloseness = (side: readonly OptionContract[], middle: number) =>
    [...side].sort((a, b) => Math.abs(a.strike - middle) - Math.abs(b.strike - middle));
  const putsFirst = byCloseness(puts, putMiddle);
  const callsFirst = byCloseness(calls, callMiddle);
  // An even split, and what one side cannot use goes to the other.
  const putShare = Math.min(putsFirst.length, Math.max(Math.ceil(budget / 2), budget - callsFirst.length));
  const callShare = Math.min(callsFirst.length, budget - putShare);
  return [...putsFirst.slice(0, putShare), ...callsFirst.slice(0, callShare)].sort(
    (a, b) => a.right.localeCompare(b.right) || a.strike - b.strike,
  );
}

/** "bid 1.2 is above ask 1.1" → "bid is above ask": reasons grouped by their shape, numbers removed. */
export function reasonFamily(reason: string): string {
  return reason
    .replace(/-?\d+(\.\d+)?%?/g, '#')
    .replace(/\$#(,#)*/g, '$#')
    .replace(/\s+/g, ' ')
    .slice(0, 80);
}

function candidateLine(c: ScoredCandidate): string {
  const b = c.breakdown;
  const label = describeSpread(
    c.symbol,
    c.strategy,
    c.expiry,
    c.legs.map((l) => ({ right: l.contract.right, strike: l.contract.strike, short: l.action === 'SELL' })),
  );
  return (
    `${label}: score ${c.score} (IVR ${b.ivRank}, C/W ${b.creditToWidth}, delta ${b.shortDelta}, liq ${b.liquidity}, ` +
    `DTE ${b.dteFit}, IV/HV ${b.ivHv}, trend ${b.trendFit}), credit ${c.creditMid.toFixed(2)}, max loss ${usd(c.maxLossUsd)}, POP ${(c.pop * 100).toFixed(0)}%`
  );
}

interface UnderlyingResult {
  symbol: string;
  candidates: Candidate[];
  market: MarketContext;
  quoted: number;
  invalidQuotes: number;
  error?: string;
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
/** Top candidates kept across underlyings for the summary. */
const SUMMARY_TOP = 3;

/** What analysing and storing one underlying leaves behind: counts and a few candidates, never all. */
export interface UnderlyingTally {
  symbol: string;
  quoted: number;
  invalidQuotes: number;
  candidates: number;
  /** Passed every hard filter (any score). */
  passed: number;
  eligible: number;
  /** Stored as full items. */
  stored: number;
  /** Not stored as full items (passing ones ranked below the limit, rejected ones): archive rows only. */
  notStored: number;
  /** Rows in the archive: every candidate, when the archive was written. */
  archived: number;
  archiveChunks: number;
  archiveBytes: number;
  /** Rejection (or "score below") reason family → count, over every candidate not eligible. */
  failures: Map<string, number>;
  /** The best eligible candidates of this underlying (at most SUMMARY_TOP). */
  top: ScoredCandidate[];
  error?: string;
}

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

async function analyseUnderlying(
  symbol: string,
  input: AnalysisInput,
  ctx: RunContext,
): Promise<UnderlyingResult> {
  const { bridge, config, now, tradeDate } = ctx;
  const maxAge = config.filters.maxQuoteAgeSeconds;
  const [chain, trades, ivs] = await Promise.all([
    bridge.chain(symbol),
    bridge.history({ symbol, what: 'TRADES', days: HISTORY_DAYS }),
    bridge.history({ symbol, what: 'OPTION_IMPLIED_VOLATILITY', days: HISTORY_DAYS }),
  ]);
  const closes = trades.bars.map((b) => b.close).filter((c) => Number.isFinite(c) && c > 0);
  const ivHistory = ivs.bars.map((b) => b.close).filter((v) => Number.isFinite(v) && v > 0);
  const currentIv = ivHistory.at(-1);
  const hv20 = historicalVolatility(closes, 20);
  const market: MarketContext = { symbol };
  // The config's ex-dividend list feeds the entry filter (short calls whose extrinsic is below it).
  const dividend = nextExDividend(config.exits.exDividends[symbol], tradeDate);
  if (dividend) market.nextDividend = dividend;
  if (hv20 !== undefined) market.hv20 = hv20;
  const trend = trendPercentile(closes);
  if (trend !== undefined) market.trendPercentile = trend;
  if (currentIv !== undefined) {
    market.atmIv = currentIv;
    const rank = ivRank(ivHistory.slice(0, -1), currentIv);
    if (rank !== undefined) market.ivRank = rank;
  }
  if (chain.underlyingPrice === undefined) {
    return {
      symbol,
      candidates: [],
      market,
      quoted: 0,
      invalidQuotes: 0,
      error: `${symbol}: no underlying price`,
    };
  }
  const plan = planQuotes(
    chain,
    chain.underlyingPrice,
    currentIv ?? hv20 ?? 0.25,
    tradeDate,
    config,
    input.maxQuotes ?? DEFAULT_MAX_QUOTES,
  );
  if (plan.contracts.length === 0) {
    return {
      symbol,
      candidates: [],
      market,
      quoted: 0,
      invalidQuotes: 0,
      error: `${symbol}: no expiry in the DTE window`,
    };
  }
  const requests: QuoteRequest[] = [
    stockQuoteRequest(symbol),
    ...plan.contracts.map((c) => ({
      secType: 'OPT' as const,
      symbol: c.symbol,
      expiry: c.expiry,
      strike: c.strike,
      right: c.right,
    })),
  ];
  const quotes = await bridge.quotes(requests);
  const quoteTime = ctx.clock.now();
  const underlyingQuote = quotes[0] && checkUnderlyingQuote(quotes[0], symbol, quoteTime, maxAge);
  const underlying =
    underlyingQuote && underlyingQuote.ok
      ? underlyingQuote.quote
      : { symbol, price: chain.underlyingPrice, timestamp: quoteTime };
  const valid: OptionQuote[] = [];
  let invalid = 0;
  plan.contracts.forEach((contract, i) => {
    const quote = quotes[i + 1];
    const checked = quote ? checkOptionQuote(quote, quoteTime, maxAge, contract) : undefined;
    if (checked?.ok) valid.push(checked.quote);
    else invalid += 1;
  });
  const built = buildChain(underlying, valid);
  const candidates = buildCandidates(built, config, { tradeDate, now });
  return { symbol, candidates, market, quoted: plan.contracts.length, invalidQuotes: invalid };
}

export async function runStrategyAnalysis(input: AnalysisInput, ctx: RunContext): Promise<RunOutcome> {
  const { config, stores, tradeDate } = ctx;
  const symbols = input.symbols ?? config.universe.underlyings;
  const minScore = config.scoring.minScore;
  const open = await stores.positions.listOpen();
  const heldConIds = new Set<number>();
  const openPerUnderlying: Record<string, number> = {};
  for (const p of open) {
    openPerUnderlying[p.symbol] = (openPerUnderlying[p.symbol] ?? 0) + 1;
    for (const leg of p.legs) if (leg.contract.conId !== undefined) heldConIds.add(leg.contract.conId);
  }

  const reasons: string[] = [];
  const tallies: UnderlyingTally[] = [];
  // One underlying after another (the bridge's market-data lines are shared with every other job), and
  // each one scored, stored and dropped before the next: only its counts and top few stay in memory.
  for (const symbol of symbols) {
    try {
      const result = await analyseUnderlying(symbol, input, ctx);
      if (result.error) reasons.push(result.error);
      const scoredAt = ctx.clock.now();
      const encoder = stores.candidates.archiveEncoder({ minScore });
      const split = selectForStorage(
        result.candidates,
        { now: scoredAt, heldConIds, openPositions: open.length, openPerUnderlying },
        result.market,
        config,
        STORAGE_LIMITS,
        encoder,
      );
      // The context rides with the items: execution scores them again on it (with fresh quotes).
      const { written } = await stores.candidates.putMany(tradeDate, split.store, {
        scoredAt,
        minScore,
        market: result.market,
      });
      // A failed archive write must not cost the items execution needs: report it and go on.
      const archive = await stores.candidates
        .putArchive(tradeDate, symbol, encoder.finish(), { scoredAt })
        .catch((error: unknown) => {
          reasons.push(
            `${symbol}: archive not written: ${error instanceof Error ? error.message : String(error)}`,
          );
          return { rows: 0, chunks: 0, bytes: 0 };
        });
      if (archive.chunks > 0 && archive.rows !== result.candidates.length) {
        reasons.push(`${symbol}: archive holds ${archive.rows} of ${result.candidates.length} candidates`);
      }
      tallies.push({
        symbol,
        quoted: result.quoted,
        invalidQuotes: result.invalidQuotes,
        candidates: result.candidates.length,
        passed: split.passed,
        eligible: split.eligible,
        stored: written,
        notStored: result.candidates.length - split.store.length,
        archived: archive.rows,
        archiveChunks: archive.chunks,
        archiveBytes: archive.bytes,
        failures: split.failures,
        top: split.topEligible.slice(0, SUMMARY_TOP),
        ...(result.error ? { error: result.error } : {}),
      });
    } catch (error) {
      reasons.push(`${symbol}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const sum = (f: (t: UnderlyingTally) => number) => tallies.reduce((s, t) => s + f(t), 0);
  const total = sum((t) => t.candidates);
  const eligibleCount = sum((t) => t.eligible);
  const stored = sum((t) => t.stored);
  const notStored = sum((t) => t.notStored);
  const archived = sum((t) => t.archived);
  const archiveChunks = sum((t) => t.archiveChunks);
  const archiveBytes = sum((t) => t.archiveBytes);
  const failures = new Map<string, number>();
  for (const t of tallies) for (const [f, n] of t.failures) failures.set(f, (failures.get(f) ?? 0) + n);
  const topFailures = [...failures.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const top = rankCandidates(tallies.flatMap((t) => t.top)).slice(0, SUMMARY_TOP);
  const storageNote = [
    `archived ${archived} of ${total} candidates with breakdown and reasons ` +
      `(${archiveChunks} chunk item(s), ${(archiveBytes / 1024).toFixed(0)} KB gzip'd); ` +
      `the best ${stored} also as full items (per underlying the best ${STORAGE_LIMITS.passing} that passed ` +
      `the hard filters and the best ${STORAGE_LIMITS.rejected} rejected)`,
  ];
  const lines = [
    `${tradeDate}: ${total} candidates scored on ${symbols.join(', ')}, ${eligibleCount} at or above ${minScore}.`,
    // Early in the message: alerts are cut at a few hundred characters.
    `Archived ${archived} of ${total} with breakdown and reasons; the best ${stored} also as items.`,
    ...(top.length > 0
      ? top.map((c, i) => `${i + 1}. ${candidateLine(c)}`)
      : ['No candidate qualifies today.']),
    ...(topFailures.length > 0
      ? [`Others failed: ${topFailures.map(([f, n]) => `${n}× ${f}`).join('; ')}`]
      : []),
    ...reasons.map((r) => `Problem: ${r}`),
  ];
  await ctx.alert({
    subject: `analysis-${tradeDate}`,
    rule: 'summary',
    severity: 'INFO',
    title: `Analysis ${tradeDate}: ${eligibleCount} of ${total} qualify`,
    message: lines.join('\n'),
    numbers: { candidates: total, eligible: eligibleCount, archived },
  });

  return {
    did:
      `scored ${total} candidates, archived ${archived} of ${total} and stored the best ${stored} as items; ` +
      `${eligibleCount} at or above ${minScore}`,
    counts: {
      underlyings: symbols.length,
      quoted: sum((t) => t.quoted),
      invalidQuotes: sum((t) => t.invalidQuotes),
      candidates: total,
      passedFilters: sum((t) => t.passed),
      eligible: eligibleCount,
      stored,
      notStored,
      archived,
      archiveChunks,
      archiveBytes,
    },
    reasons: [...reasons, ...storageNote, ...topFailures.map(([f, n]) => `${n} rejected: ${f}`)],
    details: {
      top: top.map((c) => ({ id: c.id, score: c.score, breakdown: c.breakdown })),
      perUnderlying: tallies.map((t) => ({
        symbol: t.symbol,
        candidates: t.candidates,
        passedFilters: t.passed,
        eligible: t.eligible,
        stored: t.stored,
        notStored: t.notStored,
        archived: t.archived,
        archiveChunks: t.archiveChunks,
        archiveBytes: t.archiveBytes,
        rejectionCounts: Object.fromEntries(t.failures),
      })),
    },
  };
}
