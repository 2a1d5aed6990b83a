// collect-futures-data (every 5 min in market hours): ES and NQ front-month quotes → one FUTURE_QUOTE
// snapshot per root symbol (the contract's expiry is in the data), TTL'd with the snapshots table.
// The front month is the next quarterly (Mar/Jun/Sep/Dec) contract: it expires on the third Friday, or
// the trading day before when that Friday is an exchange holiday (2026-06-19, Juneteenth).
import type { BrokerQuote } from '#adapters/bridge-client';
import type { MarketDataSnapshot } from '#adapters/ports';
import { addDays, isTradingDay, previousTradingDay, weekdayOf } from '#core/calendar';
import type { MarketCalendar } from '#core/calendar';
import { FUTURE_ROOTS } from '#core/market-context';
import type { IsoDate } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';

export interface CollectFuturesInput {
  symbols?: string[] | undefined;
}

/** Third Friday of a month, `YYYY-MM-DD`. */
export function thirdFriday(year: number, month: number): IsoDate {
  const first = `${year}-${String(month).padStart(2, '0')}-01`;
  const offset = (5 - weekdayOf(first) + 7) % 7;
  return addDays(first, offset + 14);
}

/**
 * Expiry of the front quarterly contract on `tradeDate`: the first quarterly expiry on or after it (on
 * expiry day the expiring contract is still the front month until it stops trading).
 */
export function frontQuarterlyExpiry(tradeDate: IsoDate, cal: MarketCalendar): IsoDate {
  let [year, month] = tradeDate.split('-').map(Number) as [number, number];
  for (let i = 0; i < 6; i++) {
    if (month % 3 === 0) {
      const friday = thirdFriday(year, month);
      const expiry = isTradingDay(friday, cal) ? friday : previousTradingDay(friday, cal);
      if (expiry >= tradeDate) return expiry;
    }
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  throw new RangeError(`no quarterly expiry found after ${tradeDate}`);
}

/** The figures stored for one future's quote. Pure. */
export function futureQuoteData(
  quote: BrokerQuote,
  expiry: IsoDate,
  now: number,
): Record<string, number | string | boolean | null> {
  const mid = quote.bid !== undefined && quote.ask !== undefined ? (quote.bid + quote.ask) / 2 : undefined;
  const price = quote.last ?? mid;
  const change =
    price !== undefined && quote.close !== undefined && quote.close > 0 ? price / quote.close - 1 : undefined;
  return {
    expiry: quote.contract.expiry ?? expiry,
    conId: quote.contract.conId ?? null,
    bid: quote.bid ?? null,
    ask: quote.ask ?? null,
    last: quote.last ?? null,
    /** Last trade, else the mid: IB may answer bid/ask before the first trade tick. */
    price: price ?? null,
    close: quote.close ?? null,
    volume: quote.volume ?? null,
    changePct: change === undefined ? null : Math.round(change * 1e6) / 1e4,
    quoteAgeSeconds: Math.max(0, Math.round((now - quote.timestamp) / 1000)),
    stale: quote.stale,
    delayed: quote.delayed === true,
  };
}

export async function runCollectFuturesData(
  input: CollectFuturesInput,
  ctx: RunContext,
): Promise<RunOutcome> {
  const roots = input.symbols ?? [...FUTURE_ROOTS];
  const expiry = frontQuarterlyExpiry(ctx.tradeDate, ctx.config.calendar);
  const quotes = await ctx.bridge.quotes(
    roots.map((symbol) => ({ secType: 'FUT' as const, symbol, expiry })),
  );
  const now = ctx.clock.now();
  const snapshots: MarketDataSnapshot[] = [];
  const reasons: string[] = [];
  roots.forEach((symbol, i) => {
    const quote = quotes[i];
    if (!quote || quote.error || (quote.bid === undefined && quote.last === undefined)) {
      reasons.push(
        `${symbol} ${expiry}: ${quote?.error ? `IB error ${quote.error.code}: ${quote.error.message}` : 'no price'}`,
      );
      return;
    }
    const data = futureQuoteData(quote, expiry, now);
    snapshots.push({ kind: 'FUTURE_QUOTE', symbol, at: ctx.now, tradeDate: ctx.tradeDate, data });
    reasons.push(
      `${symbol} ${String(data.expiry)}: ${String(data.price)}, change ${String(data.changePct)}%`,
    );
  });
  if (snapshots.length > 0) await ctx.stores.snapshots.putMarketData(snapshots);
  const failed = roots.length - snapshots.length;
  return {
    did: `collected ${snapshots.length} of ${roots.length} front-month future quote(s) (expiry ${expiry})`,
    counts: { futures: roots.length, stored: snapshots.length, failed },
    reasons,
    ok: failed === 0,
  };
}
