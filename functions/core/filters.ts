// Hard filters (trading rules, "Hard filters"): any reason returned rejects the candidate, and the
// reasons are stored and alerted, so each is a short sentence carrying the numbers it compared.
import type { Config } from './config';
import type { Candidate, MarketContext, OptionQuote } from './types';
import { nyDate } from './calendar';
import { legKey, mid, spreadPct, validateOptionQuote } from './chain';

export interface FilterContext {
  /** Analysis instant, epoch ms (quote staleness and "today" for event windows). */
  now: number;
  market: MarketContext;
  config: Config;
  /** IB contract ids of legs already held. */
  heldConIds?: ReadonlySet<number>;
  /** Keys (see `legKey`) of legs already held, for legs whose conId is unknown. */
  heldLegKeys?: ReadonlySet<string>;
  /** Open strategy positions across all underlyings. */
  openPositions: number;
  /** Open positions on this candidate's underlying, or a count per underlying symbol. */
  openPerUnderlying: number | Readonly<Record<string, number>>;
}

/** Prices are shown with two decimals, ratios with two, so reasons read like the trading rules. */
const money = (x: number) => x.toFixed(2);

/**
 * `value` and a `limit` it fell short of, as `money` does, but with more decimals (up to 6) where two
 * would print them equal: "credit 0.30 is below the minimum 0.30" reads as a bug.
 */
function moneyBelow(value: number, limit: number): [string, string] {
  let decimals = 2;
  while (decimals < 6 && value.toFixed(decimals) === limit.toFixed(decimals)) decimals += 1;
  return [value.toFixed(decimals), limit.toFixed(decimals)];
}

function legName(action: string, q: OptionQuote): string {
  return `${action === 'SELL' ? 'short' : 'long'} ${q.contract.right === 'P' ? 'put' : 'call'} ${q.contract.strike}`;
}

function hasShortCall(candidate: Candidate): boolean {
  return candidate.legs.some((l) => l.action === 'SELL' && l.contract.right === 'C');
}

// The analysis filters hundreds of thousands of candidates at one instant; the New York date of that
// instant is worth computing once (Intl formatting dominates otherwise). Same input, same output.
let memoNow = Number.NaN;
let memoToday = '';
function tradeDateOf(now: number): string {
  if (now !== memoNow) {
    memoToday = nyDate(now);
    memoNow = now;
  }
  return memoToday;
}

// Condors share their leg quotes with the verticals and with each other, so one quote is checked
// for thousands of candidates at the same instant: remember the last verdict per quote object.
const quoteVerdicts = new WeakMap<OptionQuote, { now: number; reasons: string[] | undefined }>();
function invalidQuoteReasons(quote: OptionQuote, now: number): string[] | undefined {
  const seen = quoteVerdicts.get(quote);
  if (seen && seen.now === now) return seen.reasons;
  // Staleness is left out here (infinite age limit) and reported on its own below.
  const checked = validateOptionQuote(quote, now, Number.POSITIVE_INFINITY);
  const reasons = checked.ok ? undefined : checked.reasons;
  quoteVerdicts.set(quote, { now, reasons });
  return reasons;
}

/** Every hard-filter reason that applies to `candidate`; empty when it passes. */
export function hardFilterReasons(candidate: Candidate, ctx: FilterContext): string[] {
  const { config, market, now } = ctx;
  const f = config.filters;
  const reasons: string[] = [];

  // Quote validity and staleness, per leg. Staleness is checked apart from the quote validation so
  // that it is reported once, in its own words.
  let quotesUsable = true;
  for (const leg of candidate.legs) {
    const invalid = invalidQuoteReasons(leg.quote, now);
    if (invalid) {
      quotesUsable = false;
      reasons.push(`${legName(leg.action, leg.quote)} quote invalid: ${invalid.join('; ')}`);
      continue;
    }
    const ageSeconds = (now - leg.quote.timestamp) / 1000;
    if (ageSeconds > f.maxQuoteAgeSeconds) {
      reasons.push(
        `${legName(leg.action, leg.quote)} quote is ${Math.round(ageSeconds)} s old, older than ${f.maxQuoteAgeSeconds} s`,
      );
    }
  }

  // DTE window.
  const { minDte, maxDte } = config.universe;
  if (!(candidate.dte >= minDte && candidate.dte <= maxDte)) {
    reasons.push(`DTE ${candidate.dte} is outside ${minDte}–${maxDte}`);
  }
  // The defaults put minDte and exitDte both at 21: a position opened there would be closed by the DTE
  // exit (rule 9) on the first monitor cycle, paying two spreads for nothing.
  if (candidate.dte >= minDte && candidate.dte <= config.exits.exitDte) {
    reasons.push(
      `DTE ${candidate.dte} is at or below the exit DTE ${config.exits.exitDte}: it would be closed at once`,
    );
  }

  // Credit checks use the mid credit: the price the order starts at.
  const creditToWidth = candidate.creditMid / candidate.width;
  if (!(creditToWidth >= f.minCreditToWidth)) {
    const [ratio, minimum] = moneyBelow(creditToWidth, f.minCreditToWidth);
    reasons.push(`credit/width ${ratio} is below ${minimum}`);
  }
  if (!(candidate.creditMid >= f.minCredit)) {
    const [credit, minimum] = moneyBelow(candidate.creditMid, f.minCredit);
    reasons.push(`credit ${credit} is below the minimum ${minimum}`);
  }

  // Leg bid-ask width (only meaningful on valid quotes).
  if (quotesUsable) {
    for (const leg of candidate.legs) {
      const pct = spreadPct(leg.quote);
      if (!(pct <= f.maxLegSpreadPct)) {
        reasons.push(
          `${legName(leg.action, leg.quote)} bid-ask ${money(leg.quote.bid)}/${money(leg.quote.ask)} is ${pct.toFixed(0)}% of mid, above ${f.maxLegSpreadPct}%`,
        );
      }
    }
  }

  // Volatility regime. Unknown VIX or IV does not reject: the data-quality job alerts on gaps, and
  // the score already gives zero for the missing IV inputs.
  if (market.vix !== undefined && market.vix > f.maxVolatility) {
    reasons.push(`VIX ${market.vix.toFixed(1)} is above ${f.maxVolatility}`);
  }
  if (market.atmIv !== undefined && market.atmIv * 100 > f.maxVolatility) {
    reasons.push(`${market.symbol} IV ${(market.atmIv * 100).toFixed(1)} is above ${f.maxVolatility}`);
  }

  // Events from today through expiry day (an event on expiry day still moves the settlement price).
  const today = tradeDateOf(now);
  const events = new Set<string>();
  for (const d of f.blackoutDates) if (d >= today && d <= candidate.expiry) events.add(d);
  for (const d of market.eventDates ?? []) if (d >= today && d <= candidate.expiry) events.add(d);
  if (events.size > 0) {
    reasons.push(`event blackout on ${[...events].sort().join(', ')} before expiry ${candidate.expiry}`);
  }

  // Early assignment: a call holder exercises before the ex-date when the dividend exceeds the
  // call's remaining extrinsic value, so a short call is at risk through an ex-date up to expiry.
  const dividend = market.nextDividend;
  if (
    dividend &&
    hasShortCall(candidate) &&
    dividend.exDate >= today &&
    dividend.exDate <= candidate.expiry
  ) {
    for (const leg of candidate.legs) {
      if (leg.action !== 'SELL' || leg.contract.right !== 'C') continue;
      const extrinsic = mid(leg.quote) - Math.max(0, candidate.underlyingPrice - leg.contract.strike);
      if (!(extrinsic >= dividend.amount)) {
        reasons.push(
          `ex-dividend ${dividend.exDate} before expiry: short call ${leg.contract.strike} extrinsic ${money(extrinsic)} is below the dividend ${money(dividend.amount)}`,
        );
      }
    }
  }

  // Legs already held: a shared leg would net against an open position.
  for (const leg of candidate.legs) {
    const c = leg.contract;
    const held =
      (c.conId !== undefined && ctx.heldConIds?.has(c.conId)) || (ctx.heldLegKeys?.has(legKey(c)) ?? false);
    if (held) reasons.push(`${legName(leg.action, leg.quote)} ${c.expiry} is already held`);
  }

  // Position caps.
  const { maxOpenPositions, maxPerUnderlying } = config.risk;
  if (ctx.openPositions >= maxOpenPositions) {
    reasons.push(`${ctx.openPositions} open positions reach the cap of ${maxOpenPositions}`);
  }
  const perUnderlying =
    typeof ctx.openPerUnderlying === 'number'
      ? ctx.openPerUnderlying
      : (ctx.openPerUnderlying[candidate.symbol] ?? 0);
  if (perUnderlying >= maxPerUnderlying) {
    reasons.push(
      `${perUnderlying} open positions on ${candidate.symbol} reach the cap of ${maxPerUnderlying}`,
    );
  }

  return reasons;
}
