// The option chain model: turning what IB sends (with its "no value" sentinels) into validated quotes,
// the chain index, quote arithmetic (mid, spread) and time to expiry.

import { calendarDaysBetween, nyParts } from './calendar';
import type { IsoDate, OptionChain, OptionContract, OptionQuote, Right, UnderlyingQuote } from './types';

// ---------------------------------------------------------------------------------------------------
// IB's "no value" sentinels
// ---------------------------------------------------------------------------------------------------

/** IB's UNSET_DOUBLE (Java Double.MAX_VALUE): a price or size IB has no value for. */
export const IB_NO_VALUE = Number.MAX_VALUE;
/** Seen where IB (or @stoqey/ib) stands in a large integer for "no value". */
export const IB_NO_VALUE_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
/** IB's UNSET_INTEGER (Java Integer.MAX_VALUE), used for sizes. */
export const IB_NO_VALUE_INTEGER = 2147483647;
/** tickOptionComputation's "not computed yet" for prices, sizes and implied volatility. */
export const IB_NOT_COMPUTED = -1;
/** tickOptionComputation's "not computed yet" for greeks. */
export const IB_GREEK_NOT_COMPUTED = -2;
/** A quote time this far past `now` is a clock or parsing error, not a fresh quote. */
export const MAX_FUTURE_SKEW_MS = 5_000;

export type IbNumberKind = 'price' | 'greek' | 'size' | 'iv';

/**
 * A number from IB, or undefined when it is one of IB's "no value" placeholders:
 * NaN, ±Infinity, Number.MAX_VALUE, anything at or beyond Number.MAX_SAFE_INTEGER in size
 * (IB's UNSET_LONG arrives as 2^63 rounded), and per kind:
 * - price: exactly −1 (other negatives are passed on so validation can reject them by name);
 * - size: −1 and Integer.MAX_VALUE, and any other negative (a count cannot be negative);
 * - iv: −1, and any other negative (a volatility cannot be negative);
 * - greek: exactly −2 only; negative deltas (puts) and thetas are real values.
 */
export function ibNumber(x: number | null | undefined, kind: IbNumberKind): number | undefined {
  if (x === undefined || x === null || typeof x !== 'number' || !Number.isFinite(x)) return undefined;
  if (Math.abs(x) >= IB_NO_VALUE_SAFE_INTEGER) return undefined; // covers IB_NO_VALUE too
  switch (kind) {
    case 'price':
      return x === IB_NOT_COMPUTED ? undefined : x;
    case 'size':
      return x < 0 || x === IB_NO_VALUE_INTEGER ? undefined : x;
    case 'iv':
      return x < 0 ? undefined : x;
    case 'greek':
      return x === IB_GREEK_NOT_COMPUTED ? undefined : x;
  }
}

// ---------------------------------------------------------------------------------------------------
// Quote validation
// ---------------------------------------------------------------------------------------------------

/** An option quote as the bridge collected it from IB: any figure may be missing or a sentinel. */
export interface RawOptionQuote {
  contract: OptionContract;
  bid?: number | undefined;
  ask?: number | undefined;
  last?: number | undefined;
  iv?: number | undefined;
  delta?: number | undefined;
  gamma?: number | undefined;
  theta?: number | undefined;
  vega?: number | undefined;
  openInterest?: number | undefined;
  volume?: number | undefined;
  /** When the quote was observed (epoch ms). */
  timestamp: number;
}

/** An underlying quote as collected: price from the bid/ask mid when both are usable, else last. */
export interface RawUnderlyingQuote {
  symbol: string;
  last?: number | undefined;
  bid?: number | undefined;
  ask?: number | undefined;
  timestamp: number;
}

export type QuoteValidation<T> = { ok: true; quote: T } | { ok: false; reasons: string[] };

function show(x: number): string {
  return Number.isNaN(x) ? 'NaN' : String(x);
}

/** Reads one price field, adding a reason when it is missing, NaN or a placeholder. */
function requiredPrice(name: string, raw: number | undefined, reasons: string[]): number | undefined {
  if (raw === undefined || raw === null) {
    reasons.push(`${name} missing`);
    return undefined;
  }
  if (Number.isNaN(raw)) {
    reasons.push(`${name} is NaN`);
    return undefined;
  }
  const value = ibNumber(raw, 'price');
  if (value === undefined) reasons.push(`${name} missing: IB sent the no-value placeholder ${show(raw)}`);
  return value;
}

/** Age and clock-skew checks shared by option and underlying quotes. */
function timeReasons(timestamp: number, now: number, maxAgeSeconds: number, reasons: string[]): void {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    reasons.push(`timestamp ${show(timestamp)} is not a valid time`);
    return;
  }
  const ageMs = now - timestamp;
  if (ageMs > maxAgeSeconds * 1000) {
    reasons.push(`stale: quote is ${(ageMs / 1000).toFixed(1)} s old, older than ${maxAgeSeconds} s`);
  }
  if (-ageMs > MAX_FUTURE_SKEW_MS) {
    reasons.push(
      `timestamp is ${(-ageMs / 1000).toFixed(1)} s in the future (more than ${MAX_FUTURE_SKEW_MS / 1000} s): clock or data error`,
    );
  }
}

/** Bid/ask consistency checks shared by option and underlying quotes. */
function bidAskReasons(bid: number | undefined, ask: number | undefined, reasons: string[]): void {
  if (bid !== undefined && bid < 0) reasons.push(`bid ${show(bid)} is negative`);
  if (ask !== undefined && ask <= 0) reasons.push(`ask ${show(ask)} is not positive`);
  if (bid !== undefined && ask !== undefined && bid > ask)
    reasons.push(`bid ${show(bid)} is above ask ${show(ask)}`);
}

/**
 * Checks an option quote and replaces IB's sentinels by absent fields. Bid and ask are required
 * (a bid of 0 is a real "no bid" for far out-of-the-money options and is kept); greeks, IV, last,
 * open interest and volume may be absent. Staleness: older than `maxAgeSeconds` at `now` is rejected
 * (exactly `maxAgeSeconds` old is still fresh); more than 5 s in the future is rejected too.
 */
export function validateOptionQuote(
  raw: RawOptionQuote,
  now: number,
  maxAgeSeconds: number,
): QuoteValidation<OptionQuote> {
  const reasons: string[] = [];
  const { contract } = raw;
  if (!contract || !(contract.strike > 0) || !Number.isFinite(contract.strike)) {
    reasons.push(`strike ${show(contract?.strike)} is not a positive number`);
  }
  const bid = requiredPrice('bid', raw.bid, reasons);
  const ask = requiredPrice('ask', raw.ask, reasons);
  bidAskReasons(bid, ask, reasons);
  timeReasons(raw.timestamp, now, maxAgeSeconds, reasons);
  if (reasons.length > 0 || bid === undefined || ask === undefined) return { ok: false, reasons };

  const quote: OptionQuote = { contract, bid, ask, timestamp: raw.timestamp };
  const optional: [keyof RawOptionQuote & keyof OptionQuote, IbNumberKind][] = [
    ['last', 'price'],
    ['iv', 'iv'],
    ['delta', 'greek'],
    ['gamma', 'greek'],
    ['theta', 'greek'],
    ['vega', 'greek'],
    ['openInterest', 'size'],
    ['volume', 'size'],
  ];
  for (const [field, kind] of optional) {
    const value = ibNumber(raw[field] as number | undefined, kind);
    if (value !== undefined) (quote as unknown as Record<string, number>)[field] = value;
  }
  // A last trade at a negative price is not data; drop it rather than reject the quote.
  if (quote.last !== undefined && quote.last < 0) delete quote.last;
  return { ok: true, quote };
}

/**
 * Checks an underlying quote. The price is the bid/ask mid when both sides are present and sane
 * (bid > 0, bid ≤ ask), else the last trade; no usable price at all is a rejection. Same age and
 * clock-skew rules as option quotes.
 */
export function validateUnderlyingQuote(
  raw: RawUnderlyingQuote,
  now: number,
  maxAgeSeconds: number,
): QuoteValidation<UnderlyingQuote> {
  const reasons: string[] = [];
  const bid = ibNumber(raw.bid, 'price');
  const ask = ibNumber(raw.ask, 'price');
  const last = ibNumber(raw.last, 'price');
  if (raw.bid !== undefined && Number.isNaN(raw.bid)) reasons.push('bid is NaN');
  if (raw.ask !== undefined && Number.isNaN(raw.ask)) reasons.push('ask is NaN');
  if (raw.last !== undefined && Number.isNaN(raw.last)) reasons.push('last is NaN');
  bidAskReasons(bid, ask, reasons);
  if (last !== undefined && last <= 0) reasons.push(`last ${show(last)} is not positive`);

  let price: number | undefined;
  if (bid !== undefined && ask !== undefined && bid > 0 && bid <= ask) price = (bid + ask) / 2;
  else if (last !== undefined && last > 0) price = last;
  if (price === undefined) {
    reasons.push(
      `no price: bid ${show(raw.bid ?? Number.NaN)}, ask ${show(raw.ask ?? Number.NaN)}, last ${show(raw.last ?? Number.NaN)}`,
    );
  }
  timeReasons(raw.timestamp, now, maxAgeSeconds, reasons);
  if (reasons.length > 0 || price === undefined) return { ok: false, reasons };

  const quote: UnderlyingQuote = { symbol: raw.symbol, price, timestamp: raw.timestamp };
  if (bid !== undefined) quote.bid = bid;
  if (ask !== undefined) quote.ask = ask;
  return { ok: true, quote };
}

// ---------------------------------------------------------------------------------------------------
// Quote arithmetic
// ---------------------------------------------------------------------------------------------------

/**
 * Key of a leg in quote maps and held-leg sets: `SYMBOL:YYYY-MM-DD:RIGHTSTRIKE`, e.g. `SPY:2026-12-18:P580`.
 * Deliberately not the conId: positions read back from storage and quotes from the bridge do not always
 * both carry one, while symbol, expiry, right and strike are always known on both sides.
 */
export function legKey(contract: Pick<OptionContract, 'symbol' | 'expiry' | 'right' | 'strike'>): string {
  return `${contract.symbol}:${contract.expiry}:${contract.right}${contract.strike}`;
}

/** Midpoint of bid and ask. */
export function mid(quote: Pick<OptionQuote, 'bid' | 'ask'>): number {
  return (quote.bid + quote.ask) / 2;
}

/** Bid-ask width as a percentage of the mid (10 means 10%); +Infinity when the mid is not positive. */
export function spreadPct(quote: Pick<OptionQuote, 'bid' | 'ask'>): number {
  const m = mid(quote);
  if (!(m > 0)) return Number.POSITIVE_INFINITY;
  return ((quote.ask - quote.bid) / m) * 100;
}

// ---------------------------------------------------------------------------------------------------
// Chain and index
// ---------------------------------------------------------------------------------------------------

// Strikes computed as short strike ± width can miss the listed value by a rounding error; keying on
// the strike rounded to 1e-6 makes such lookups hit.
const strikeKey = (strike: number): number => Math.round(strike * 1e6) / 1e6;
const quoteKey = (expiry: IsoDate, strike: number, right: Right): string =>
  `${expiry}|${strikeKey(strike)}|${right}`;

interface ChainIndex {
  quotes: OptionQuote[];
  length: number;
  byKey: Map<string, OptionQuote>;
}

// The index lives beside the chain rather than in it so OptionChain stays plain data (serialisable,
// comparable with toEqual); a WeakMap lets it go with the chain.
const indexes = new WeakMap<OptionChain, ChainIndex>();

function indexOf(chain: OptionChain): ChainIndex {
  let index = indexes.get(chain);
  if (!index || index.quotes !== chain.quotes || index.length !== chain.quotes.length) {
    const byKey = new Map<string, OptionQuote>();
    for (const q of chain.quotes)
      byKey.set(quoteKey(q.contract.expiry, q.contract.strike, q.contract.right), q);
    index = { quotes: chain.quotes, length: chain.quotes.length, byKey };
    indexes.set(chain, index);
  }
  return index;
}

/**
 * A chain from an underlying quote and its option quotes: expiries and strikes sorted ascending and
 * unique, quotes sorted by expiry, strike, right. When the same contract is quoted twice the newer
 * quote wins (the later one on a tie). Throws when a quote belongs to another symbol.
 */
export function buildChain(underlying: UnderlyingQuote, quotes: readonly OptionQuote[]): OptionChain {
  const byKey = new Map<string, OptionQuote>();
  for (const q of quotes) {
    if (q.contract.symbol !== underlying.symbol) {
      throw new RangeError(
        `quote for ${q.contract.symbol} does not belong to the ${underlying.symbol} chain`,
      );
    }
    const key = quoteKey(q.contract.expiry, q.contract.strike, q.contract.right);
    const seen = byKey.get(key);
    if (!seen || q.timestamp >= seen.timestamp) byKey.set(key, q);
  }
  const sorted = [...byKey.values()].sort(
    (a, b) =>
      (a.contract.expiry < b.contract.expiry ? -1 : a.contract.expiry > b.contract.expiry ? 1 : 0) ||
      a.contract.strike - b.contract.strike ||
      (a.contract.right < b.contract.right ? -1 : a.contract.right > b.contract.right ? 1 : 0),
  );
  const expiries = [...new Set(sorted.map((q) => q.contract.expiry))].sort();
  const strikes = [...new Set(sorted.map((q) => q.contract.strike))].sort((a, b) => a - b);
  const chain: OptionChain = { underlying, expiries, strikes, quotes: sorted };
  indexes.set(chain, { quotes: sorted, length: sorted.length, byKey });
  return chain;
}

/** The quote for one contract of the chain, or undefined when it is not listed (O(1) via an index). */
export function findQuote(
  chain: OptionChain,
  expiry: IsoDate,
  strike: number,
  right: Right,
): OptionQuote | undefined {
  return indexOf(chain).byKey.get(quoteKey(expiry, strike, right));
}

// ---------------------------------------------------------------------------------------------------
// Time to expiry
// ---------------------------------------------------------------------------------------------------

const MS_PER_DAY = 86_400_000;
/** Equity options stop trading (and are valued) at 16:00 New York on the expiry date. */
const EXPIRY_HOUR_NY = 16;

/** Calendar days from the trade date to the expiry date (0 on expiry day, negative after it). */
export function daysToExpiry(tradeDate: IsoDate, expiry: IsoDate): number {
  return calendarDaysBetween(tradeDate, expiry);
}

/**
 * Years from instant `nowMs` to 16:00 New York on `expiry`, on a 365-day calendar year.
 *
 * Convention: (calendar days from the New York date of `now` to the expiry date + the part of a day
 * between New York wall-clock time now and 16:00) / 365. That is the wall-clock distance to the
 * close, so it ignores the one hour a DST change in between adds or removes (≈ 1e-4 years, well below
 * what moves a price). Calendar rather than trading days, matching theta per calendar day. Negative
 * after the expiry close; callers that price clamp it at 0.
 */
export function yearsToExpiry(nowMs: number, expiry: IsoDate): number {
  const now = nyParts(nowMs);
  const days = calendarDaysBetween(now.date, expiry);
  const msIntoDay =
    ((now.hour * 60 + now.minute) * 60 + now.second) * 1000 + (((nowMs % 1000) + 1000) % 1000);
  const dayFractionLeft = (EXPIRY_HOUR_NY * 3_600_000 - msIntoDay) / MS_PER_DAY;
  return (days + dayFractionLeft) / 365;
}
