// strategy-analysis: chains + quotes → every candidate of every enabled strategy → hard filters and
// score → stored with breakdown and rejection reasons: every candidate in the day's compact archive, and
// the best ones (see STORAGE_LIMITS) also as full items for execute-strategies → one INFO summary
// alert. Ports only. Which options are quoted: quote-plan.ts; which candidates become full items:
// candidate-storage.ts.
import type { QuoteRequest } from '#adapters/bridge-client';
import { describeSpread, usd } from '#core/alerts';
import { buildChain } from '#core/chain';
import { nextExDividend } from '#core/decision';
import { historicalVolatility, ivRank, trendPercentile } from '#core/market-context';
import { rankCandidates } from '#core/scoring';
import { buildCandidates } from '#core/strategies/index';
import type { Candidate, MarketContext, OptionQuote, ScoredCandidate } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { checkOptionQuote, checkUnderlyingQuote, stockQuoteRequest } from '../shared/quotes';
import { selectForStorage, STORAGE_LIMITS } from './candidate-storage';
import { DEFAULT_MAX_QUOTES, planQuotes } from './quote-plan';
import { errorMessage } from '../shared/errors';

export interface AnalysisInput {
  /** Underlyings to analyse instead of the config's. */
  symbols?: string[] | undefined;
  /** Most option quotes per underlying; default DEFAULT_MAX_QUOTES. */
  maxQuotes?: number | undefined;
}

const HISTORY_DAYS = 300;

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
          reasons.push(`${symbol}: archive not written: ${errorMessage(error)}`);
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
      reasons.push(`${symbol}: ${errorMessage(error)}`);
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
