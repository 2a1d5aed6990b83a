// strategy-analysis: chains + quotes → every candidate of every enabled strategy → hard filters and
// score → ALL stored (with breakdown and rejection reasons) → one INFO summary alert. Ports only.
//
// Which options are quoted: every expiry inside the DTE window, and per expiry the strikes a short leg
// could use (|delta| inside the window) plus the widest wing beyond them. The delta band is found from
// the underlying's implied volatility (the last OPTION_IMPLIED_VOLATILITY bar, else HV20): a strike
// whose lognormal distance from spot is more than z·σ√T away, with z for the smallest short |delta|
// and a 25% margin for the skew, cannot be a short leg. Never wider than ±15% of spot. If the subset is
// still over `maxQuotes`, expiries closest to the DTE sweet spot (dteFullMin–dteFullMax) are kept first.
import type { ChainResponse, QuoteContract } from '../../../gateway-container/bridge/contract';
import { describeSpread, usd } from '../../core/alerts';
import { daysToExpiry } from '../../core/chain';
import { buildChain } from '../../core/chain';
import type { Config } from '../../core/config';
import { historicalVolatility, ivRank, trendPercentile } from '../../core/market-context';
import { normCdf } from '../../core/pricing';
import { evaluateCandidates, rankCandidates, selectForExecution } from '../../core/scoring';
import { buildCandidates } from '../../core/strategies';
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
  /** Most option quotes per underlying; default 600. */
  maxQuotes?: number | undefined;
}

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
  chain: Pick<ChainResponse, 'symbol' | 'expirations' | 'strikes' | 'multiplier'>,
  spot: number,
  vol: number,
  tradeDate: IsoDate,
  config: Config,
  maxQuotes: number,
): QuotePlan {
  const { minDte, maxDte, shortDeltaMin, widths, strategies } = config.universe;
  const wantPuts = strategies.includes('BULL_PUT') || strategies.includes('IRON_CONDOR');
  const wantCalls = strategies.includes('BEAR_CALL') || strategies.includes('IRON_CONDOR');
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
    const ofExpiry: OptionContract[] = [];
    for (const strike of chain.strikes) {
      const base = { symbol: chain.symbol, expiry, strike, multiplier: chain.multiplier };
      if (wantPuts && strike >= lowest && strike <= spot) ofExpiry.push({ ...base, right: 'P' });
      if (wantCalls && strike <= highest && strike >= spot) ofExpiry.push({ ...base, right: 'C' });
    }
    if (contracts.length + ofExpiry.length > maxQuotes) continue;
    expiries.push(expiry);
    contracts.push(...ofExpiry);
  }
  return { expiries: expiries.sort(), contracts };
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
    input.maxQuotes ?? 600,
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
  const requests: QuoteContract[] = [
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
  const open = await stores.positions.listOpen();
  const heldConIds = new Set<number>();
  const openPerUnderlying: Record<string, number> = {};
  for (const p of open) {
    openPerUnderlying[p.symbol] = (openPerUnderlying[p.symbol] ?? 0) + 1;
    for (const leg of p.legs) if (leg.contract.conId !== undefined) heldConIds.add(leg.contract.conId);
  }

  const reasons: string[] = [];
  const results: UnderlyingResult[] = [];
  // One underlying after another: the bridge's market-data lines are shared with every other job.
  for (const symbol of symbols) {
    try {
      const result = await analyseUnderlying(symbol, input, ctx);
      results.push(result);
      if (result.error) reasons.push(result.error);
    } catch (error) {
      reasons.push(`${symbol}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const now = ctx.clock.now();
  const candidates = results.flatMap((r) => r.candidates);
  const scored = evaluateCandidates(
    candidates,
    { now, heldConIds, openPositions: open.length, openPerUnderlying },
    results.map((r) => r.market),
    config,
  );
  const ranked = rankCandidates(scored);
  const minScore = config.scoring.minScore;
  const eligible = selectForExecution(ranked, minScore);
  const { written } = await stores.candidates.putMany(tradeDate, ranked, { scoredAt: now, minScore });

  // Why the others failed: each rejected candidate counted once per family of reason.
  const failures = new Map<string, number>();
  for (const c of ranked) {
    if (eligible.includes(c)) continue;
    const families =
      c.rejections.length > 0
        ? new Set(c.rejections.map(reasonFamily))
        : new Set([`score below ${minScore}`]);
    for (const f of families) failures.set(f, (failures.get(f) ?? 0) + 1);
  }
  const topFailures = [...failures.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const top = eligible.slice(0, 3);
  const lines = [
    `${tradeDate}: ${ranked.length} candidates scored on ${symbols.join(', ')}, ${eligible.length} at or above ${minScore}.`,
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
    title: `Analysis ${tradeDate}: ${eligible.length} of ${ranked.length} qualify`,
    message: lines.join('\n'),
    numbers: { candidates: ranked.length, eligible: eligible.length },
  });

  return {
    did: `scored and stored ${written} candidates; ${eligible.length} at or above ${minScore}`,
    counts: {
      underlyings: symbols.length,
      quoted: results.reduce((s, r) => s + r.quoted, 0),
      invalidQuotes: results.reduce((s, r) => s + r.invalidQuotes, 0),
      candidates: ranked.length,
      eligible: eligible.length,
      stored: written,
    },
    reasons: [...reasons, ...topFailures.map(([f, n]) => `${n} rejected: ${f}`)],
    details: { top: top.map((c) => ({ id: c.id, score: c.score, breakdown: c.breakdown })) },
  };
}
