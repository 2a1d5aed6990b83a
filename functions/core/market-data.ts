// What a quote says about the account's market data: real-time, delayed, not subscribed, or blocked by a
// competing session, and what the trader must fix. Pure; the IB codes are IB's (bridge error mapping).
import { addDays } from './calendar';
import type { IsoDate, OptionContract } from './types';

export type QuoteAccess =
  'real-time' | 'delayed' | 'not-subscribed' | 'competing-session' | 'no-price' | 'refused';

/** IB codes: no subscription for the contract (354; 10089/10090 "requires additional subscription"). */
const NOT_SUBSCRIBED = new Set([354, 10089, 10090]);
/** IB codes: delayed data shown instead (10167), or not even that (10168). */
const DELAYED = new Set([10167, 10168]);
/** IB code: the user's market data is held by another session (TWS, IBKR Mobile, the portal). */
const COMPETING_SESSION = 10197;

export interface QuoteLike {
  error?: { code: string | number; message: string } | undefined;
  delayed?: boolean | undefined;
  bid?: number | undefined;
  last?: number | undefined;
}

/** How a quote came back, with a label that names IB's code: "not subscribed (IB 354)". */
export function quoteAccess(quote: QuoteLike | undefined): { access: QuoteAccess; label: string } {
  const code = quote?.error ? Number(quote.error.code) : undefined;
  if (code !== undefined && NOT_SUBSCRIBED.has(code))
    return { access: 'not-subscribed', label: `not subscribed (IB ${code})` };
  if (code === COMPETING_SESSION)
    return { access: 'competing-session', label: `blocked by a competing session (IB ${code})` };
  if (code !== undefined && DELAYED.has(code)) return { access: 'delayed', label: `delayed (IB ${code})` };
  if (quote?.error)
    return { access: 'refused', label: `refused (IB ${quote.error.code}: ${quote.error.message})` };
  if (quote?.delayed) return { access: 'delayed', label: 'delayed (IB 10167)' };
  if (quote?.bid === undefined && quote?.last === undefined)
    return { access: 'no-price', label: 'no price in the quote' };
  return { access: 'real-time', label: 'real-time' };
}

/**
 * The market data a US stock/ETF or US option needs. Stocks: IB's API documentation names the exchange
 * subscriptions "Network A (NYSE), Network B (ARCA), or Network C (NASDAQ)"; options quotes come from OPRA.
 */
export const SUBSCRIPTION_NEEDED = {
  STK: 'real-time US stock/ETF quotes (IBKR market data for NYSE, ARCA and NASDAQ: Network A, B and C)',
  OPT: 'real-time US options quotes (OPRA, the US options exchanges)',
} as const;

/**
 * What to fix, and how loud: a missing subscription (or delayed data, which is the same) and a competing
 * session mean the analysis cannot run on real quotes: CRITICAL, before the 09:45 analysis. An empty or
 * otherwise refused quote: WARNING (a farm, a symbol). Undefined for real-time.
 */
export function accessProblem(
  access: QuoteAccess,
  secType: keyof typeof SUBSCRIPTION_NEEDED,
): { severity: 'CRITICAL' | 'WARNING'; remedy: string } | undefined {
  switch (access) {
    case 'real-time':
      return undefined;
    case 'not-subscribed':
    case 'delayed':
      return { severity: 'CRITICAL', remedy: `the account needs ${SUBSCRIPTION_NEEDED[secType]}` };
    case 'competing-session':
      return {
        severity: 'CRITICAL',
        remedy:
          'another login of this user (TWS, IBKR Mobile, the web portal) holds the market data; log it out',
      };
    case 'no-price':
      return { severity: 'WARNING', remedy: 'check the data farms and the symbol' };
    case 'refused':
      return { severity: 'WARNING', remedy: 'check the symbol and the account permissions' };
  }
}

/**
 * The option validate-ib-connection asks a quote of, to learn whether the account has US options data:
 * the put nearest the money in the first expiry a week or more out (listed every week for the broad ETFs,
 * so the strike exists). Undefined when the chain lists no expiry or strike.
 */
export function optionProbe(
  symbol: string,
  chain: {
    expirations: readonly IsoDate[];
    strikes: readonly number[];
    underlyingPrice?: number | undefined;
    multiplier: number;
  },
  tradeDate: IsoDate,
): OptionContract | undefined {
  const expiry = chain.expirations.find((e) => e >= addDays(tradeDate, 7)) ?? chain.expirations.at(-1);
  if (expiry === undefined || chain.strikes.length === 0) return undefined;
  const price = chain.underlyingPrice ?? chain.strikes[Math.floor(chain.strikes.length / 2)]!;
  const strike = chain.strikes.reduce((best, s) => (Math.abs(s - price) < Math.abs(best - price) ? s : best));
  return { symbol, expiry, strike, right: 'P', multiplier: chain.multiplier };
}
