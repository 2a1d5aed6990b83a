// What every strategy module shares (trading rules, "Strategies" and "Candidate search"): the module
// contract the registry holds, and the vertical builder the spreads and the condor are made of: per-share
// credits, per-contract profit/loss, breakevens, probability of profit and expected value.
import type { Config } from '../config';
import type {
  Candidate,
  IsoDate,
  OptionChain,
  OptionContract,
  OptionQuote,
  Right,
  StrategyKind,
  StrategyLeg,
} from '../types';
import { daysToExpiry, findQuote, mid, yearsToExpiry } from '../chain';
import { bsGreeks, impliedVol, probabilityAbove } from '../pricing';

export interface BuildContext {
  /** New York trade date, for DTE. */
  tradeDate: IsoDate;
  /** Analysis instant, epoch ms, for the time to expiry used in delta and POP. */
  now: number;
}

/** What a vertical needs for pairing into a condor, computed once per vertical instead of per pairing. */
export interface VerticalInfo {
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
export const roundStrike = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The short leg's volatility for delta and POP: the quote's IV, else (when IB sent a delta but no IV)
 * the IV implied by the quote's mid. Undefined when neither is available.
 */
export function quoteVol(q: OptionQuote, spot: number, years: number, rate: number): number | undefined {
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
export function quotesByExpiry(chain: OptionChain, right: Right, config: Config, ctx: BuildContext) {
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

export const leg = (quote: OptionQuote, action: 'BUY' | 'SELL'): StrategyLeg => ({
  contract: quote.contract,
  action,
  ratio: 1,
  quote,
});

/**
 * One vertical from its two quotes: credit, max profit/loss, breakeven, POP (lognormal, with `vol` the
 * short leg's volatility) and expected value. No window or credit check: the callers decide what to keep.
 */
export function vertical(
  strategy: StrategyKind,
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

/** Every eligible vertical of one right: the short strike in the delta window, each allowed width. */
export function buildVerticals(
  chain: OptionChain,
  config: Config,
  ctx: BuildContext,
  strategy: StrategyKind,
  right: Right,
): Candidate[] {
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

export function infoOf(c: Candidate, config: Config, ctx: BuildContext): VerticalInfo | undefined {
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
 * The verticals of one chain, built at most once per analysis: the spreads themselves and the condor
 * (which pairs them) read the same candidates, so a condor's legs are its verticals' legs.
 */
export interface VerticalSource {
  puts(): Candidate[];
  calls(): Candidate[];
}

/** Fresh quotes for a candidate's legs (in its leg order) and what they are priced with. */
export interface RebuildInput {
  candidate: Candidate;
  legs: readonly OptionQuote[];
  spot: number;
  years: number;
  dte: number;
  rate: number;
}

/** An option leg held at IB, signed (negative: short), as position-sync recognises strategies from. */
export interface HeldOptionLeg {
  contract: OptionContract;
  quantity: number;
}

/**
 * One strategy kind: everything the system knows about it lives in its module, and the registry
 * (`registry.ts`) lists the modules. StrategyKind, the config enum, the candidate search, the trend
 * fit, alert names, the analysis' quote plan and position-sync's recognition all derive from that list.
 */
export interface StrategyModule<K extends string = string> {
  kind: K;
  /** The trading rules' words, for alerts and reports: `bull put`. */
  label: string;
  /** Built by default (`universe.strategies`' default)? */
  enabledByDefault: boolean;
  /**
   * Which sides of the chain the analysis quotes for it: out-of-the-money puts (strikes up to spot),
   * out-of-the-money calls (from spot), and, with `atTheMoney`, both rights at the strikes around spot.
   */
  quotes: { puts: boolean; calls: boolean; atTheMoney?: boolean };
  /** Every candidate of this kind the chain allows (no hard filter: the analysis filters and scores). */
  build(chain: OptionChain, config: Config, ctx: BuildContext, verticals: VerticalSource): Candidate[];
  /** `input.candidate` priced again from fresh quotes by the same builder, or why it cannot be. */
  rebuild(input: RebuildInput): Candidate | string;
  /** Trend fit 0–1 from the 20-day-return percentile `p` (0–100), `down` < `up` the configured bounds. */
  trendFit(p: number, down: number, up: number): number;
  /**
   * Rule 5 (short strike breached) for this kind when not the trading rules' default (spot beyond a short
   * strike, or a short leg's |delta| at `exits.breachDelta`). `atBreakevens`: breached only when spot is
   * beyond a short strike by more than the entry credit, with no delta test, for shorts at the money by
   * design (which the default would close on the first monitor cycle).
   */
  breach?: 'atBreakevens';
  /** True when these legs, all of one underlying and expiry, form this strategy. */
  recognises(legs: readonly HeldOptionLeg[]): boolean;
}

/**
 * Legs `at` and `at + 1` of fresh quotes as the vertical `strategy` (short then long), or why not:
 * the rebuild of a spread and of each side of a condor.
 */
export function verticalFrom(input: RebuildInput, strategy: StrategyKind, at: number): VerticalInfo | string {
  const { candidate, spot, years, dte, rate } = input;
  const short = input.legs[at]!;
  const long = input.legs[at + 1]!;
  if (candidate.legs[at]!.action !== 'SELL' || candidate.legs[at + 1]!.action !== 'BUY')
    return `${candidate.id}: legs ${at + 1}–${at + 2} are not a short and a long leg`;
  const vol = quoteVol(short, spot, years, rate);
  if (vol === undefined) return noVol(short);
  const width = roundStrike(Math.abs(long.contract.strike - short.contract.strike));
  return vertical(strategy, short, long, { spot, years, dte, rate, vol, width });
}

/** Why a short leg gives no POP: neither an IV nor a mid an IV can be implied from. */
export const noVol = (short: OptionQuote) =>
  `short ${short.contract.right}${short.contract.strike} has no IV and none can be implied from its mid ${mid(short).toFixed(2)}: no POP`;

/**
 * A held put vertical and call vertical of the same size (the four legs of a condor or a butterfly),
 * if the legs are that.
 */
export function heldPutAndCall(legs: readonly HeldOptionLeg[]) {
  const put = heldVertical(legs, 'P');
  const call = heldVertical(legs, 'C');
  if (!put || !call || Math.abs(put.short.quantity) !== Math.abs(call.short.quantity)) return undefined;
  return { put, call };
}

/** The short and the long leg of a held vertical of `right` (long put below, long call above), if it is one. */
export function heldVertical(
  legs: readonly HeldOptionLeg[],
  right: Right,
): { short: HeldOptionLeg; long: HeldOptionLeg } | undefined {
  const side = legs.filter((l) => l.contract.right === right);
  if (side.length !== 2) return undefined;
  const short = side.find((l) => l.quantity < 0);
  const long = side.find((l) => l.quantity > 0);
  if (!short || !long || short.quantity !== -long.quantity) return undefined;
  const outward =
    right === 'P'
      ? short.contract.strike > long.contract.strike
      : short.contract.strike < long.contract.strike;
  return outward ? { short, long } : undefined;
}
