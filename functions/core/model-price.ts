// Pricing a leg whose quote is unusable, for the data guard's protective close (decision rule 1): the
// core's Black-Scholes at the implied volatility of the nearest quoted strikes of the same expiry, and
// the close's limit built from it. Pure functions; the caller decides when a model price may be traded.
import { legKey, mid, yearsToExpiry } from './chain';
import { roundToTick, DEFAULT_TICK } from './orders';
import { closeCost, legQuoteProblem } from './pnl';
import type { Freshness, QuoteMap } from './pnl';
import { bsGreeks, impliedVol } from './pricing';
import type { OptionContract, OptionQuote, Right, StrategyPosition } from './types';

const MIN_ASK = 0.01;

/** A quoted strike whose implied volatility priced the missing leg. */
export interface IvSource {
  strike: number;
  right: Right;
  iv: number;
}

export type LegModel =
  { ok: true; price: number; iv: number; delta: number; sources: IvSource[] } | { ok: false; reason: string };

export interface ModelMarket {
  spot: number;
  rate: number;
  /** The instant of evaluation and the quote age limit: only fresh, valid, real-time quotes are sources. */
  freshness: Freshness;
}

/** Implied volatility of a usable quote: solved from its mid, else IB's own figure; undefined if neither. */
function quoteIv(quote: OptionQuote, market: ModelMarket, years: number): number | undefined {
  const { right, strike } = quote.contract;
  const solved = impliedVol({
    right,
    spot: market.spot,
    strike,
    years,
    rate: market.rate,
    price: mid(quote),
  });
  if (solved.ok) return solved.vol;
  // A deep ITM mid can sit below intrinsic value (no solution); IB's model IV still describes the smile.
  return quote.iv !== undefined && Number.isFinite(quote.iv) && quote.iv > 0 ? quote.iv : undefined;
}

/**
 * Model value of `contract` now: Black-Scholes (no dividend yield, as everywhere in the core) at the
 * implied volatility of the nearest usable quoted strikes of the same expiry and right — interpolated
 * linearly in strike between the nearest below and above, or the nearest one alone. Delayed, stale or
 * invalid quotes are never a source (`legQuoteProblem`). Fails with the reason when nothing is usable.
 */
export function modelLegPrice(
  contract: OptionContract,
  quotes: Iterable<OptionQuote | undefined>,
  market: ModelMarket,
): LegModel {
  try {
    const years = yearsToExpiry(market.freshness.now, contract.expiry);
    if (!(years > 0)) return { ok: false, reason: 'at or past expiry: no time value to model' };
    const byStrike = new Map<number, IvSource>();
    for (const quote of quotes) {
      if (!quote) continue;
      const c = quote.contract;
      if (c.symbol !== contract.symbol || c.expiry !== contract.expiry || c.right !== contract.right)
        continue;
      if (c.strike === contract.strike || byStrike.has(c.strike)) continue;
      if (legQuoteProblem(quote, market.freshness)) continue;
      const iv = quoteIv(quote, market, years);
      if (iv !== undefined) byStrike.set(c.strike, { strike: c.strike, right: c.right, iv });
    }
    const sources = [...byStrike.values()];
    const below = sources
      .filter((s) => s.strike < contract.strike)
      .reduce<IvSource | undefined>((a, s) => (a && a.strike > s.strike ? a : s), undefined);
    const above = sources
      .filter((s) => s.strike > contract.strike)
      .reduce<IvSource | undefined>((a, s) => (a && a.strike < s.strike ? a : s), undefined);
    const used = [below, above].filter((s): s is IvSource => s !== undefined);
    if (used.length === 0) {
      return {
        ok: false,
        reason: `no usable real-time quote of ${contract.symbol} ${contract.expiry} ${contract.right} to take an implied volatility from`,
      };
    }
    const iv =
      below && above
        ? below.iv +
          ((above.iv - below.iv) * (contract.strike - below.strike)) / (above.strike - below.strike)
        : used[0]!.iv;
    const { price, delta } = bsGreeks({
      right: contract.right,
      spot: market.spot,
      strike: contract.strike,
      years,
      rate: market.rate,
      vol: iv,
    });
    if (!Number.isFinite(price)) return { ok: false, reason: `model price ${price} is not a number` };
    return { ok: true, price, iv, delta, sources: used };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The quote a modelled leg stands in with: bid = ask = the model price, so natural and mid use it as is
 * (a worthless leg still asks a cent: nothing can be bought for less, and a quote needs a positive ask).
 */
export function modelQuote(
  contract: OptionContract,
  model: { price: number; iv: number; delta: number },
  now: number,
): OptionQuote {
  return {
    contract,
    bid: model.price,
    ask: Math.max(model.price, MIN_ASK),
    iv: model.iv,
    delta: model.delta,
    timestamp: now,
  };
}

/** `quotes` with each modelled leg's quote replaced by its model quote. */
export function withModelQuotes(
  quotes: QuoteMap,
  modelled: readonly { contract: OptionContract; quote: OptionQuote }[],
): Map<string, OptionQuote | undefined> {
  const completed = new Map(quotes);
  for (const m of modelled) completed.set(legKey(m.contract), m.quote);
  return completed;
}

/**
 * The protective limit of a close priced partly on the model: natural on the quoted legs (buy shorts at
 * the ask, sell longs at the bid) plus the model price of each modelled leg, per share, on the cent
 * above (the fill matters more than a cent), never above the spread's width (the most a defined-risk
 * spread can be worth) and never below zero. Undefined when a leg still has no price or the width is
 * not a positive number.
 */
export function protectiveCloseLimit(
  position: StrategyPosition,
  completed: QuoteMap,
  tick: number = DEFAULT_TICK,
): { natural: number; limit: number } | undefined {
  // Without a positive width (a corrupt record) there is no cap, so no protective limit either.
  if (!(position.width > 0) || !Number.isFinite(position.width)) return undefined;
  const cost = closeCost(position, completed);
  if (!cost.ok) return undefined;
  const limit = Math.max(0, Math.min(position.width, roundToTick(cost.natural, tick, 'up')));
  return { natural: cost.natural, limit };
}

/**
 * The strikes to quote for a leg whose quote is unusable: the `perSide` listed strikes nearest below
 * and above it, leaving out those already quoted (`known`, e.g. the position's own legs).
 */
export function ivSourceStrikes(
  listed: readonly number[],
  strike: number,
  known: ReadonlySet<number>,
  perSide = 2,
): number[] {
  const usable = [...new Set(listed)].filter((k) => k !== strike && !known.has(k));
  const below = usable
    .filter((k) => k < strike)
    .sort((a, b) => b - a)
    .slice(0, perSide);
  const above = usable
    .filter((k) => k > strike)
    .sort((a, b) => a - b)
    .slice(0, perSide);
  return [...below, ...above].sort((a, b) => a - b);
}
