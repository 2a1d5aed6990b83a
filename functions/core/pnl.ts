// Profit and loss of strategy positions: the cost to close now (mid and natural), unrealised P&L as the
// trading rules define it, realised P&L from fills, and what an assignment leaves behind.
// Option prices are per share; amounts named `...Usd` are whole-position dollars.
import { legKey, mid } from './chain';

// Quote maps are keyed by legKey; re-exported so P&L callers need one import.
export { legKey };
import type {
  AlertSeverity,
  OptionContract,
  OptionQuote,
  PositionLeg,
  Right,
  StrategyPosition,
} from './types';

/** Quotes by `legKey`; a value may be absent when the bridge had nothing for that leg. */
export type QuoteMap = ReadonlyMap<string, OptionQuote | undefined>;

/** Builds a `QuoteMap` from a list of quotes (a later quote for the same leg wins). */
export function quoteMap(quotes: Iterable<OptionQuote>): Map<string, OptionQuote> {
  const map = new Map<string, OptionQuote>();
  for (const quote of quotes) map.set(legKey(quote.contract), quote);
  return map;
}

export interface MissingLeg {
  key: string;
  reason: string;
}

/** Staleness check for `legQuoteProblem`: the instant of evaluation and the age limit. */
export interface Freshness {
  now: number;
  maxAgeSeconds: number;
}

// IB's "no value" placeholders can reach us as numbers this large (MAX_SAFE_INTEGER, MAX_VALUE).
const NO_VALUE_FLOOR = Number.MAX_SAFE_INTEGER;
// A quote stamped this far after `now` comes from a skewed clock; its age cannot be trusted.
const FUTURE_TOLERANCE_MS = 5_000;

/**
 * Why a leg's quote cannot be used to price a close, or undefined when it can: missing, delayed, non-finite
 * or placeholder prices, negative bid, ask ≤ 0, bid > ask, and (given `freshness`) stale or future-dated.
 */
export function legQuoteProblem(quote: OptionQuote | undefined, freshness?: Freshness): string | undefined {
  if (!quote) return 'no quote';
  if (quote.delayed) return 'delayed market data: never traded on';
  const { bid, ask } = quote;
  if (!Number.isFinite(bid) || !Number.isFinite(ask)) return `bid ${bid} / ask ${ask} is not a number`;
  if (bid >= NO_VALUE_FLOOR || ask >= NO_VALUE_FLOOR) return 'bid/ask is an IB no-value placeholder';
  if (bid < 0) return `bid ${bid} is negative`;
  if (ask <= 0) return `ask ${ask} is not positive`;
  if (bid > ask) return `bid ${bid} is above ask ${ask}`;
  if (freshness) {
    const ageMs = freshness.now - quote.timestamp;
    if (!Number.isFinite(ageMs)) return `timestamp ${quote.timestamp} is not a time`;
    if (ageMs > freshness.maxAgeSeconds * 1000) {
      return `stale: ${round(ageMs / 1000, 1)} s old (limit ${freshness.maxAgeSeconds} s)`;
    }
    if (ageMs < -FUTURE_TOLERANCE_MS) return `timestamp ${round(-ageMs / 1000, 1)} s in the future`;
  }
  return undefined;
}

/** Per-share close cost of one spread (condor), or the legs that could not be priced. */
export type CloseCost = { ok: true; mid: number; natural: number } | { ok: false; missing: MissingLeg[] };

/**
 * Legs of one unit of the strategy, signed (negative = short): the leg's contracts over the number of
 * spreads, so a 2-lot condor's −2 short put counts once. With no spreads left, the sign alone.
 */
function unitsPerSpread(leg: PositionLeg, position: StrategyPosition): number {
  return position.quantity > 0 ? leg.quantity / position.quantity : Math.sign(leg.quantity);
}

/**
 * What buying the spread back costs now, per share of one spread: short legs are bought, long legs
 * sold. Natural buys at the ask and sells at the bid (the worst fill); mid uses each leg's mid.
 * Positive for a credit spread that still has value. `freshness` adds the staleness check.
 */
export function closeCost(position: StrategyPosition, quotes: QuoteMap, freshness?: Freshness): CloseCost {
  const missing: MissingLeg[] = [];
  let midCost = 0;
  let naturalCost = 0;
  for (const leg of position.legs) {
    const key = legKey(leg.contract);
    const quote = quotes.get(key);
    const problem = legQuoteProblem(quote, freshness);
    if (problem || !quote) {
      missing.push({ key, reason: problem ?? 'no quote' });
      continue;
    }
    const units = unitsPerSpread(leg, position);
    // Closing a short (units < 0) buys it: pays; closing a long sells it: receives.
    midCost += -units * mid(quote);
    naturalCost += -units * (units < 0 ? quote.ask : quote.bid);
  }
  if (missing.length > 0) return { ok: false, missing };
  return { ok: true, mid: midCost, natural: naturalCost };
}

/** Shares per contract of the position (all legs of a spread share it; 100 for US equity options). */
export function positionMultiplier(position: Pick<StrategyPosition, 'legs'>): number {
  return position.legs[0]?.contract.multiplier ?? 100;
}

export interface UnrealisedPnl {
  ok: true;
  /** Per-share cost to close one spread now. */
  closeCostMid: number;
  closeCostNatural: number;
  /** (entry credit − close cost) · multiplier · quantity − commissions paid, in dollars. */
  midUsd: number;
  naturalUsd: number;
  /** entry credit · multiplier · quantity: what the position earns if it expires worthless. */
  maxProfitUsd: number;
  /**
   * Share of the credit captured so far, percent: (entry credit − close cost at mid) / entry credit · 100.
   * Price-based like the stop loss (and like a buy-to-close limit at half the credit), so commissions do
   * not move the target; they are in the dollar figures. NaN when the entry credit is not positive.
   */
  pctOfMaxProfit: number;
  /**
   * Loss per share as a multiple of the entry credit: (close cost at mid − entry credit) / entry credit.
   * Positive when losing; the stop loss compares it with `stopLossMultiple`. NaN without a credit.
   */
  lossMultipleOfCredit: number;
}

export function unrealisedPnl(
  position: StrategyPosition,
  quotes: QuoteMap,
  freshness?: Freshness,
): UnrealisedPnl | { ok: false; missing: MissingLeg[] } {
  const cost = closeCost(position, quotes, freshness);
  if (!cost.ok) return cost;
  const scale = positionMultiplier(position) * position.quantity;
  const credit = position.entryCredit;
  const hasCredit = credit > 0;
  return {
    ok: true,
    closeCostMid: cost.mid,
    closeCostNatural: cost.natural,
    midUsd: (credit - cost.mid) * scale - position.commissionsUsd,
    naturalUsd: (credit - cost.natural) * scale - position.commissionsUsd,
    maxProfitUsd: credit * scale,
    pctOfMaxProfit: hasCredit ? ((credit - cost.mid) / credit) * 100 : Number.NaN,
    lossMultipleOfCredit: hasCredit ? (cost.mid - credit) / credit : Number.NaN,
  };
}

export interface Fill {
  /** IB execution side: BOT = bought, SLD = sold. */
  side: 'BOT' | 'SLD';
  /** Per share (per unit for stock). */
  price: number;
  /** Contracts (or shares), positive. */
  quantity: number;
  /** Shares per contract; 1 for stock. */
  multiplier: number;
  /** Commission of this fill, dollars (positive = paid). */
  commission: number;
}

function requireFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number, got ${value}`);
}

/**
 * Realised dollars from a set of fills that open and close positions: cash in from sells, cash out for
 * buys, less commissions. Throws RangeError naming the field for a non-finite number or a negative
 * quantity / multiplier.
 */
export function realisedPnl(fills: readonly Fill[]): number {
  let total = 0;
  fills.forEach((fill, i) => {
    for (const field of ['price', 'quantity', 'multiplier', 'commission'] as const) {
      requireFinite(fill[field], `fills[${i}].${field}`);
    }
    if (fill.quantity < 0)
      throw new RangeError(`fills[${i}].quantity must not be negative, got ${fill.quantity}`);
    if (fill.multiplier <= 0) {
      throw new RangeError(`fills[${i}].multiplier must be positive, got ${fill.multiplier}`);
    }
    const cash = fill.price * fill.multiplier * fill.quantity;
    total += (fill.side === 'SLD' ? cash : -cash) - fill.commission;
  });
  return total;
}

/** An option leg that turned into stock: a short leg assigned, or a long leg exercised. */
export interface DeliveredLeg {
  contract: OptionContract;
  /** Contracts delivered, positive. */
  contracts: number;
}

export interface AssignmentInput {
  position: StrategyPosition;
  /** Assigned short legs and exercised long legs; each delivers stock at its strike. */
  delivered: readonly DeliveredLeg[];
  /**
   * Per-share price at which the rest of each leg was closed, by `legKey`. A leg (or the undelivered
   * part of one) not listed expired worthless (0), which is what happens to OTM legs at expiration.
   */
  otherLegsClosedAt?: ReadonlyMap<string, number>;
  /** Fees charged for the assignment or exercise itself, dollars. */
  feesUsd?: number;
}

export interface StockPosition {
  symbol: string;
  /** Signed: positive long, negative short. */
  shares: number;
  /** Per share: the strike(s) the shares were delivered at. */
  averagePrice: number;
}

export interface AssignmentOutcome {
  /** Total realised: options plus any stock bought and sold back at the strikes within the spread. */
  realisedUsd: number;
  /** The whole credit received less the cost of closing the undelivered legs, commissions and fees. */
  optionsRealisedUsd: number;
  /** Matched stock (e.g. both legs of a spread delivered): sold strike − bought strike, per share. */
  stockRealisedUsd: number;
  /** Stock left over, opened at the strike; undefined when deliveries cancel out. */
  stock: StockPosition | undefined;
  /** Assignments are alerted at once (CRITICAL in the alert table). */
  alert: { severity: AlertSeverity; reason: string };
}

/** +1 when delivering the leg buys shares for this account, −1 when it sells them. */
export function stockDirection(right: Right, short: boolean): 1 | -1 {
  // A put delivers stock to its holder's counterparty: the put writer buys, the put holder sells.
  // A call: the writer sells, the holder buys.
  const buys = right === 'P' ? short : !short;
  return buys ? 1 : -1;
}

/**
 * An assignment closes the spread: each delivered leg's option is consumed (closed at 0) and its stock
 * changes hands at the strike; the other legs close at the prices given (0 when they expired). The
 * credit received at entry is then realised in full. Stock bought and sold inside the spread (both legs
 * delivered) nets to a realised amount; what remains opens a stock position at the strike.
 * Throws RangeError when a delivered leg is not part of the position or exceeds what it holds.
 */
export function assignmentOutcome(input: AssignmentInput): AssignmentOutcome {
  const { position } = input;
  const multiplier = positionMultiplier(position);
  const deliveredByKey = new Map<string, number>();
  for (const d of input.delivered) {
    requireFinite(d.contracts, 'delivered contracts');
    if (d.contracts <= 0) throw new RangeError(`delivered contracts must be positive, got ${d.contracts}`);
    const key = legKey(d.contract);
    deliveredByKey.set(key, (deliveredByKey.get(key) ?? 0) + d.contracts);
  }

  let optionsCash = position.entryCredit * multiplier * position.quantity;
  let boughtShares = 0;
  let boughtCost = 0;
  let soldShares = 0;
  let soldProceeds = 0;
  const seen = new Set<string>();
  for (const leg of position.legs) {
    const key = legKey(leg.contract);
    seen.add(key);
    const held = Math.abs(leg.quantity);
    const delivered = deliveredByKey.get(key) ?? 0;
    if (delivered > held) {
      throw new RangeError(`${delivered} contracts of ${key} delivered but the position holds ${held}`);
    }
    const short = leg.quantity < 0;
    if (delivered > 0) {
      const shares = delivered * leg.contract.multiplier;
      if (stockDirection(leg.contract.right, short) === 1) {
        boughtShares += shares;
        boughtCost += shares * leg.contract.strike;
      } else {
        soldShares += shares;
        soldProceeds += shares * leg.contract.strike;
      }
    }
    const rest = held - delivered;
    const price = input.otherLegsClosedAt?.get(key) ?? 0;
    requireFinite(price, `close price of ${key}`);
    // Buying back the rest of a short costs; selling the rest of a long brings cash in.
    optionsCash += (short ? -1 : 1) * price * rest * leg.contract.multiplier;
  }
  for (const key of deliveredByKey.keys()) {
    if (!seen.has(key)) throw new RangeError(`delivered leg ${key} is not a leg of position ${position.id}`);
  }

  const fees = input.feesUsd ?? 0;
  requireFinite(fees, 'feesUsd');
  const optionsRealisedUsd = optionsCash - position.commissionsUsd - fees;

  // Shares bought and sold within the spread match each other; only the excess stays open.
  const matched = Math.min(boughtShares, soldShares);
  const avgBought = boughtShares > 0 ? boughtCost / boughtShares : 0;
  const avgSold = soldShares > 0 ? soldProceeds / soldShares : 0;
  const stockRealisedUsd = matched > 0 ? matched * (avgSold - avgBought) : 0;
  const net = boughtShares - soldShares;
  const stock: StockPosition | undefined =
    net === 0
      ? undefined
      : { symbol: position.symbol, shares: net, averagePrice: net > 0 ? avgBought : avgSold };

  const realisedUsd = optionsRealisedUsd + stockRealisedUsd;
  const stockText = stock
    ? `; now ${stock.shares > 0 ? 'long' : 'short'} ${Math.abs(stock.shares)} ${stock.symbol} at ${stock.averagePrice.toFixed(2)}`
    : '; no stock left';
  return {
    realisedUsd,
    optionsRealisedUsd,
    stockRealisedUsd,
    stock,
    alert: {
      severity: 'CRITICAL',
      reason: `assignment on ${position.symbol} position ${position.id}: realised ${usdText(realisedUsd)}${stockText}`,
    },
  };
}

function usdText(amount: number): string {
  return `${amount < 0 ? '-' : ''}$${Math.abs(amount).toFixed(2)}`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
