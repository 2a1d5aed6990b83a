// Strategy builders (trading rules, "Strategies" and "Candidate search"): enumerate every bull put,
// bear call and iron condor the chain allows inside the DTE and delta windows, with per-share credits,
// per-contract profit/loss, breakevens, probability of profit and expected value.
import type { Config } from './config';
import type {
  Candidate,
  IsoDate,
  OptionChain,
  OptionContract,
  OptionQuote,
  Right,
  StrategyLeg,
} from './types';
import { daysToExpiry, findQuote, mid, yearsToExpiry } from './chain';
import { bsGreeks, impliedVol, probabilityAbove, probabilityBetween } from './pricing';

export interface BuildContext {
  /** New York trade date, for DTE. */
  tradeDate: IsoDate;
  /** Analysis instant, epoch ms, for the time to expiry used in delta and POP. */
  now: number;
}

/** What a vertical needs for pairing into a condor, computed once per vertical instead of per pairing. */
interface VerticalInfo {
  candidate: Candidate;
  shortStrike: number;
  shortIv: number;
  years: number;
  /** `P580/575` or `C620/625`: the vertical's part of an id. */
  idPart: string;
}

// Verticals built here carry the IV and time they were priced with, so condor pairing does not redo
// the per-strike work. Candidates from elsewhere (a store, a test) fall back to recomputing.
const verticalInfo = new WeakMap<Candidate, VerticalInfo>();

// Strikes such as 582.5 − 2.5 are exact in binary, but a width like 0.1 is not; rounding the long
// strike to 1e-6 keeps the chain lookup hitting the listed strike.
const roundStrike = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The short leg's volatility for delta and POP: the quote's IV, else (when IB sent a delta but no IV)
 * the IV implied by the quote's mid. Undefined when neither is available.
 */
function quoteVol(q: OptionQuote, spot: number, years: number, rate: number): number | undefined {
  if (q.iv !== undefined && q.iv > 0 && Number.isFinite(q.iv)) return q.iv;
  if (years <= 0) return undefined;
  const solved = impliedVol({
    right: q.contract.right,
    spot,
    strike: q.contract.strike,
    years,
    rate,
    price: mid(q),
  });
  return solved.ok ? solved.vol : undefined;
}

interface ShortStrike {
  quote: OptionQuote;
  vol: number;
}

/** Short-strike candidates of one expiry and right: |delta| inside the window, with a usable vol. */
function eligibleShorts(
  quotes: readonly OptionQuote[],
  spot: number,
  years: number,
  config: Config,
): ShortStrike[] {
  const { shortDeltaMin, shortDeltaMax, riskFreeRate: rate } = config.universe;
  const out: ShortStrike[] = [];
  for (const q of quotes) {
    let absDelta: number;
    let vol: number | undefined;
    if (q.delta !== undefined && Number.isFinite(q.delta)) {
      absDelta = Math.abs(q.delta);
      if (absDelta < shortDeltaMin || absDelta > shortDeltaMax) continue;
      vol = quoteVol(q, spot, years, rate);
    } else {
      // No delta from IB: Black-Scholes from the quote's own IV; without IV the strike cannot be judged.
      if (q.iv === undefined || !(q.iv > 0) || !Number.isFinite(q.iv)) continue;
      vol = q.iv;
      const greeks = bsGreeks({ right: q.contract.right, spot, strike: q.contract.strike, years, rate, vol });
      absDelta = Math.abs(greeks.delta);
      if (absDelta < shortDeltaMin || absDelta > shortDeltaMax) continue;
    }
    if (vol === undefined) continue;
    out.push({ quote: q, vol });
  }
  return out;
}

/** Quotes of one right per expiry inside the DTE window, each list sorted by strike. */
function quotesByExpiry(chain: OptionChain, right: Right, config: Config, ctx: BuildContext) {
  const { minDte, maxDte } = config.universe;
  const dteOf = new Map<IsoDate, number>();
  for (const expiry of chain.expiries) {
    const dte = daysToExpiry(ctx.tradeDate, expiry);
    if (dte >= minDte && dte <= maxDte) dteOf.set(expiry, dte);
  }
  const groups = new Map<IsoDate, OptionQuote[]>();
  for (const q of chain.quotes) {
    if (q.contract.right !== right || !dteOf.has(q.contract.expiry)) continue;
    let list = groups.get(q.contract.expiry);
    if (!list) groups.set(q.contract.expiry, (list = []));
    list.push(q);
  }
  const result: { expiry: IsoDate; dte: number; quotes: OptionQuote[] }[] = [];
  for (const expiry of chain.expiries) {
    const quotes = groups.get(expiry);
    if (!quotes) continue;
    quotes.sort((a, b) => a.contract.strike - b.contract.strike);
    result.push({ expiry, dte: dteOf.get(expiry)!, quotes });
  }
  return result;
}

const leg = (quote: OptionQuote, action: 'BUY' | 'SELL'): StrategyLeg => ({
  contract: quote.contract,
  action,
  ratio: 1,
  quote,
});

/**
 * One vertical from its two quotes: credit, max profit/loss, breakeven, POP (lognormal, with `vol` the
 * short leg's volatility) and expected value. No window or credit check: the callers decide what to keep.
 */
function vertical(
  strategy: 'BULL_PUT' | 'BEAR_CALL',
  short: OptionQuote,
  long: OptionQuote,
  at: { spot: number; years: number; dte: number; rate: number; vol: number; width: number },
): VerticalInfo {
  const { spot, years, rate, vol, width } = at;
  const right = short.contract.right;
  // The long put sits below the short put, the long call above the short call.
  const direction = right === 'P' ? -1 : 1;
  const shortStrike = short.contract.strike;
  const longStrike = long.contract.strike;
  const multiplier = short.contract.multiplier;
  const credit = mid(short) - mid(long);
  const breakeven = shortStrike + direction * credit;
  const above = probabilityAbove({ spot, level: breakeven, years, rate, vol });
  const pop = right === 'P' ? above : 1 - above;
  const maxProfitUsd = credit * multiplier;
  const maxLossUsd = (width - credit) * multiplier;
  const idPart = `${right}${shortStrike}/${longStrike}`;
  const candidate: Candidate = {
    id: `${short.contract.symbol}:${strategy}:${short.contract.expiry}:${idPart}`,
    strategy,
    symbol: short.contract.symbol,
    expiry: short.contract.expiry,
    dte: at.dte,
    legs: [leg(short, 'SELL'), leg(long, 'BUY')],
    width,
    creditMid: credit,
    creditNatural: short.bid - long.ask,
    maxProfitUsd,
    maxLossUsd,
    breakevens: [breakeven],
    pop,
    // Simplification: treats the outcome as all-or-nothing (full profit or full loss), ignoring
    // the partial results between the strikes; good enough to rank, not a fair value.
    expectedValueUsd: pop * maxProfitUsd - (1 - pop) * maxLossUsd,
    underlyingPrice: spot,
  };
  return { candidate, shortStrike, shortIv: vol, years, idPart };
}

function buildVerticals(
  chain: OptionChain,
  config: Config,
  ctx: BuildContext,
  strategy: 'BULL_PUT' | 'BEAR_CALL',
): Candidate[] {
  const right: Right = strategy === 'BULL_PUT' ? 'P' : 'C';
  const direction = right === 'P' ? -1 : 1;
  const spot = chain.underlying.price;
  const rate = config.universe.riskFreeRate;
  const widths = config.universe.widths;
  const out: Candidate[] = [];

  for (const { expiry, dte, quotes } of quotesByExpiry(chain, right, config, ctx)) {
    const years = yearsToExpiry(ctx.now, expiry);
    for (const { quote: short, vol } of eligibleShorts(quotes, spot, years, config)) {
      const shortMid = mid(short);
      for (const width of widths) {
        const longStrike = roundStrike(short.contract.strike + direction * width);
        const long = findQuote(chain, expiry, longStrike, right);
        if (!long) continue;
        const credit = shortMid - mid(long);
        // No credit: not a credit spread. Credit at or above the width: the quotes promise a
        // riskless profit, which only bad data does; either way there is nothing to rank.
        if (!(credit > 0) || credit >= width) continue;
        const info = vertical(strategy, short, long, { spot, years, dte, rate, vol, width });
        verticalInfo.set(info.candidate, info);
        out.push(info.candidate);
      }
    }
  }
  return out;
}

/** Every eligible bull put spread (sell put K, buy put K − w). */
export function buildBullPuts(chain: OptionChain, config: Config, ctx: BuildContext): Candidate[] {
  return buildVerticals(chain, config, ctx, 'BULL_PUT');
}

/** Every eligible bear call spread (sell call K, buy call K + w). */
export function buildBearCalls(chain: OptionChain, config: Config, ctx: BuildContext): Candidate[] {
  return buildVerticals(chain, config, ctx, 'BEAR_CALL');
}

function infoOf(c: Candidate, config: Config, ctx: BuildContext): VerticalInfo | undefined {
  const cached = verticalInfo.get(c);
  if (cached) return cached;
  const short = c.legs.find((l) => l.action === 'SELL');
  const long = c.legs.find((l) => l.action === 'BUY');
  if (!short || !long) return undefined;
  const years = yearsToExpiry(ctx.now, c.expiry);
  const shortIv = quoteVol(short.quote, c.underlyingPrice, years, config.universe.riskFreeRate);
  if (shortIv === undefined) return undefined;
  const right = short.contract.right;
  return {
    candidate: c,
    shortStrike: short.contract.strike,
    shortIv,
    years,
    idPart: `${right}${short.contract.strike}/${long.contract.strike}`,
  };
}

/**
 * Every iron condor pairing a bull put with a bear call of the same underlying and expiry whose put
 * short strike is below the call short strike. Wings may differ: max loss uses the wider wing (only
 * one side can finish in the money), breakevens use the total credit, and POP is the chance of
 * ending between them, each side with its short leg's IV.
 */
export function buildIronCondors(
  puts: readonly Candidate[],
  calls: readonly Candidate[],
  config: Config,
  ctx: BuildContext,
): Candidate[] {
  const rate = config.universe.riskFreeRate;
  const groupKey = (c: Candidate) => `${c.symbol}|${c.expiry}`;
  const callsByGroup = new Map<string, VerticalInfo[]>();
  for (const c of calls) {
    if (c.strategy !== 'BEAR_CALL') continue;
    const info = infoOf(c, config, ctx);
    if (!info) continue;
    const key = groupKey(c);
    let list = callsByGroup.get(key);
    if (!list) callsByGroup.set(key, (list = []));
    list.push(info);
  }
  for (const list of callsByGroup.values()) list.sort((a, b) => a.shortStrike - b.shortStrike);

  const out: Candidate[] = [];
  for (const p of puts) {
    if (p.strategy !== 'BULL_PUT') continue;
    const callList = callsByGroup.get(groupKey(p));
    if (!callList) continue;
    const put = infoOf(p, config, ctx);
    if (!put) continue;
    // Calls are sorted by short strike: skip straight to the first one above the put's short strike.
    let lo = 0;
    let hi = callList.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (callList[m]!.shortStrike <= put.shortStrike) lo = m + 1;
      else hi = m;
    }
    for (let i = lo; i < callList.length; i++) {
      const call = callList[i]!;
      if (p.creditMid + call.candidate.creditMid >= Math.max(p.width, call.candidate.width)) continue;
      out.push(condor(put, call, rate));
    }
  }
  return out;
}

/**
 * One iron condor from its put and call verticals. Wings may differ: max loss uses the wider wing (only
 * one side can finish in the money), breakevens use the total credit, and POP is the chance of ending
 * between them, each side with its short leg's IV. No credit check: the callers decide what to keep.
 */
function condor(put: VerticalInfo, call: VerticalInfo, rate: number): Candidate {
  const p = put.candidate;
  const c = call.candidate;
  const credit = p.creditMid + c.creditMid;
  const width = Math.max(p.width, c.width);
  const lower = put.shortStrike - credit;
  const upper = call.shortStrike + credit;
  const pop = probabilityBetween({
    spot: p.underlyingPrice,
    // A lower breakeven below zero (tiny strikes, wide call wing) just means the put side cannot lose.
    lower: Math.max(0, lower),
    upper,
    years: put.years,
    rate,
    volLower: put.shortIv,
    volUpper: call.shortIv,
  });
  const multiplier = p.legs[0]!.contract.multiplier;
  const maxProfitUsd = credit * multiplier;
  const maxLossUsd = (width - credit) * multiplier;
  return {
    id: `${p.symbol}:IRON_CONDOR:${p.expiry}:${put.idPart}:${call.idPart}`,
    strategy: 'IRON_CONDOR',
    symbol: p.symbol,
    expiry: p.expiry,
    dte: p.dte,
    legs: [p.legs[0]!, p.legs[1]!, c.legs[0]!, c.legs[1]!],
    width,
    creditMid: credit,
    creditNatural: p.creditNatural + c.creditNatural,
    maxProfitUsd,
    maxLossUsd,
    breakevens: [lower, upper],
    pop,
    // Same all-or-nothing simplification as the verticals.
    expectedValueUsd: pop * maxProfitUsd - (1 - pop) * maxLossUsd,
    underlyingPrice: p.underlyingPrice,
  };
}

/** Every candidate of every strategy enabled in `config.universe.strategies`, verticals first. */
export function buildCandidates(chain: OptionChain, config: Config, ctx: BuildContext): Candidate[] {
  const enabled = new Set(config.universe.strategies);
  const condors = enabled.has('IRON_CONDOR');
  const puts = enabled.has('BULL_PUT') || condors ? buildBullPuts(chain, config, ctx) : [];
  const calls = enabled.has('BEAR_CALL') || condors ? buildBearCalls(chain, config, ctx) : [];
  const out: Candidate[] = [];
  if (enabled.has('BULL_PUT')) for (const c of puts) out.push(c);
  if (enabled.has('BEAR_CALL')) for (const c of calls) out.push(c);
  if (condors) for (const c of buildIronCondors(puts, calls, config, ctx)) out.push(c);
  return out;
}

/** The quotes a candidate is rebuilt from: one per leg, in the candidate's leg order, and the spot. */
export interface FreshQuotes {
  underlyingPrice: number;
  legs: readonly OptionQuote[];
}

export type RebuildResult = { ok: true; candidate: Candidate } | { ok: false; reason: string };

const sameOption = (a: OptionContract, b: OptionContract) =>
  a.symbol === b.symbol &&
  a.expiry === b.expiry &&
  a.right === b.right &&
  a.strike === b.strike &&
  (a.conId === undefined || b.conId === undefined || a.conId === b.conId);

/**
 * `candidate` rebuilt from fresh quotes by the builders the analysis uses: credits (mid and natural),
 * max profit and loss, breakevens, POP and expected value from the new quotes and spot; DTE and time to
 * expiry from `ctx`. The search windows (DTE, short delta) are not applied here: the hard filters and
 * the score judge the rebuilt candidate as they judged the original. Refused with a reason: a quote of
 * another contract, a short leg with no volatility for POP, or a credit that is none or at least the width
 * (the builders drop those too).
 */
export function rebuildCandidate(
  candidate: Candidate,
  fresh: FreshQuotes,
  config: Config,
  ctx: BuildContext,
): RebuildResult {
  const fail = (reason: string): RebuildResult => ({ ok: false, reason });
  const { legs } = candidate;
  if (fresh.legs.length !== legs.length)
    return fail(`${fresh.legs.length} fresh quotes for ${legs.length} legs`);
  for (const [i, quote] of fresh.legs.entries()) {
    const want = legs[i]!.contract;
    if (!sameOption(quote.contract, want)) {
      const c = quote.contract;
      return fail(
        `fresh quote ${i + 1} is for ${c.right}${c.strike} ${c.expiry}, not ${want.right}${want.strike} ${want.expiry}`,
      );
    }
  }
  const spot = fresh.underlyingPrice;
  if (!(spot > 0) || !Number.isFinite(spot)) return fail(`underlying price ${spot} is not usable`);
  const rate = config.universe.riskFreeRate;
  const years = yearsToExpiry(ctx.now, candidate.expiry);
  const dte = daysToExpiry(ctx.tradeDate, candidate.expiry);
  const verticalFrom = (strategy: 'BULL_PUT' | 'BEAR_CALL', at: number): VerticalInfo | string => {
    const short = fresh.legs[at]!;
    const long = fresh.legs[at + 1]!;
    if (legs[at]!.action !== 'SELL' || legs[at + 1]!.action !== 'BUY')
      return `${candidate.id}: legs ${at + 1}–${at + 2} are not a short and a long leg`;
    const vol = quoteVol(short, spot, years, rate);
    if (vol === undefined)
      return `short ${short.contract.right}${short.contract.strike} has no IV and none can be implied from its mid ${mid(short).toFixed(2)}: no POP`;
    const width = roundStrike(Math.abs(long.contract.strike - short.contract.strike));
    return vertical(strategy, short, long, { spot, years, dte, rate, vol, width });
  };
  let rebuilt: Candidate;
  if (candidate.strategy === 'IRON_CONDOR') {
    if (legs.length !== 4) return fail(`an iron condor has 4 legs, not ${legs.length}`);
    const put = verticalFrom('BULL_PUT', 0);
    if (typeof put === 'string') return fail(put);
    const call = verticalFrom('BEAR_CALL', 2);
    if (typeof call === 'string') return fail(call);
    rebuilt = condor(put, call, rate);
  } else {
    if (legs.length !== 2) return fail(`a vertical has 2 legs, not ${legs.length}`);
    const built = verticalFrom(candidate.strategy, 0);
    if (typeof built === 'string') return fail(built);
    rebuilt = built.candidate;
  }
  const credit = rebuilt.creditMid.toFixed(2);
  if (!(rebuilt.creditMid > 0)) return fail(`no credit: the fresh mid credit is ${credit}`);
  if (rebuilt.creditMid >= rebuilt.width) {
    return fail(
      `the fresh mid credit ${credit} is at or above the width ${rebuilt.width}: the quotes promise a riskless profit (bad data)`,
    );
  }
  // Same legs, same builder: the id cannot differ unless the candidate was not built by this module.
  if (rebuilt.id !== candidate.id) return fail(`rebuilt as ${rebuilt.id}, not ${candidate.id}`);
  return { ok: true, candidate: rebuilt };
}
