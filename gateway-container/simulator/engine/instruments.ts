// The simulated instruments: underlyings, option chains, the VIX-like index and index futures, with
// IB-like contract fields (conIds, local symbols, trading and liquid hours).
import { addDays, isTradingDay, nyParts, previousTradingDay, sessionFor, weekdayOf } from '#core/calendar';
import type { MarketCalendar } from '#core/calendar';
import type { SimContract, SimRight } from '../engine-api';
import { Draw } from './rng';

export interface UnderlyingSpec {
  symbol: string;
  conId: number;
  /** Typical price; the run starts within a couple of percent of it (seeded). */
  basePrice: number;
  /** Long-run at-the-money implied volatility. */
  baseVol: number;
  dividendYield: number;
  longName: string;
  primaryExchange: string;
  /** Scales option bid-ask widths (IWM trades a little wider than SPY). */
  spreadFactor: number;
  /** Typical shares traded per day. */
  dailyVolume: number;
}

// Real IB conIds for the well-known ETFs, so logs look familiar; other symbols get synthetic ones.
const KNOWN: Record<string, Omit<UnderlyingSpec, 'symbol'>> = {
  SPY: {
    conId: 756733,
    basePrice: 600,
    baseVol: 0.15,
    dividendYield: 0.012,
    longName: 'SPDR S&P 500 ETF TRUST',
    primaryExchange: 'ARCA',
    spreadFactor: 1,
    dailyVolume: 60_000_000,
  },
  QQQ: {
    conId: 320227571,
    basePrice: 520,
    baseVol: 0.19,
    dividendYield: 0.006,
    longName: 'INVESCO QQQ TRUST SERIES 1',
    primaryExchange: 'NASDAQ',
    spreadFactor: 1,
    dailyVolume: 40_000_000,
  },
  IWM: {
    conId: 9579970,
    basePrice: 230,
    baseVol: 0.22,
    dividendYield: 0.012,
    longName: 'ISHARES RUSSELL 2000 ETF',
    primaryExchange: 'ARCA',
    spreadFactor: 1.5,
    dailyVolume: 28_000_000,
  },
};

export const VIX_CON_ID = 13455763;
/** IB reports every combo's executions under this conId. */
export const BAG_CON_ID = 28812380;
export const OPTION_MULTIPLIER = 100;
export const TIME_ZONE_ID = 'US/Eastern';

export function underlyingSpec(symbol: string, index: number, seed: number): UnderlyingSpec {
  const known = KNOWN[symbol];
  if (known) return { symbol, ...known };
  const draw = new Draw(seed, `spec:${symbol}`, 0);
  return {
    symbol,
    conId: 700_000_000 + index,
    basePrice: Math.round(50 + draw.uniform() * 250),
    baseVol: 0.25,
    dividendYield: 0.01,
    longName: `${symbol} SIMULATED`,
    primaryExchange: 'NYSE',
    spreadFactor: 2,
    dailyVolume: 5_000_000,
  };
}

export interface FutureSpec {
  symbol: 'ES' | 'NQ';
  /** The ETF whose price, times `ratio`, stands in for the index. */
  proxy: string;
  ratio: number;
  multiplier: number;
  longName: string;
  conIdBase: number;
}

export const FUTURE_SPECS: readonly FutureSpec[] = [
  {
    symbol: 'ES',
    proxy: 'SPY',
    ratio: 10,
    multiplier: 50,
    longName: 'E-mini S&P 500',
    conIdBase: 900_000_000,
  },
  // NDX / QQQ has hovered around 41 for years.
  {
    symbol: 'NQ',
    proxy: 'QQQ',
    ratio: 41.2,
    multiplier: 20,
    longName: 'E-mini Nasdaq-100',
    conIdBase: 910_000_000,
  },
];

const MONTH_CODES = 'FGHJKMNQUVXZ';

// ---------------------------------------------------------------------------------------------------
// Dates

export function compactDate(iso: string): string {
  return iso.replaceAll('-', '');
}

export function isoDate(compact: string): string {
  return `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`;
}

/** The Friday-based expiry moved to the previous trading day when the exchange is closed (Good Friday). */
export function shiftForHoliday(date: string, cal: MarketCalendar): string {
  return isTradingDay(date, cal) ? date : previousTradingDay(date, cal);
}

/** Third Friday of a month, `YYYY-MM-DD` (the standard monthly expiry before any holiday shift). */
export function thirdFriday(year: number, month: number): string {
  const first = `${year}-${String(month).padStart(2, '0')}-01`;
  const offset = (5 - weekdayOf(first) + 7) % 7;
  return addDays(first, offset + 14);
}

/** Instant an option expiring on `date` stops trading: 16:15 (13:15 on early closes) for broad ETFs. */
export function optionsCloseOf(date: string, cal: MarketCalendar): number {
  const session = sessionFor(date, cal);
  if (!session) throw new RangeError(`${date} is not a trading day`);
  return session.optionsClose;
}

/** Instant the model treats as expiry: the equity close of the expiry date (16:00, 13:00 early). */
export function expiryCloseOf(date: string, cal: MarketCalendar): number {
  const session = sessionFor(date, cal);
  if (!session) throw new RangeError(`${date} is not a trading day`);
  return session.close;
}

/** Listed expiries on `today` (trading at `at`): every Friday out to `maxDays`, holiday-shifted. */
export function listedExpiries(today: string, at: number, cal: MarketCalendar, maxDays = 92): string[] {
  const out = new Set<string>();
  const friday = addDays(today, (5 - weekdayOf(today) + 7) % 7);
  for (let d = friday; d <= addDays(today, maxDays); d = addDays(d, 7)) {
    const expiry = shiftForHoliday(d, cal);
    // An expiry whose last trading minute has passed is gone from the chain.
    if (expiry < today || (expiry === today && at >= optionsCloseOf(expiry, cal))) continue;
    out.add(expiry);
  }
  return [...out].sort();
}

/** Front quarterly future (Mar/Jun/Sep/Dec, third Friday) still trading at `at`. */
export function frontQuarterly(
  today: string,
  at: number,
  cal: MarketCalendar,
): { expiry: string; year: number; month: number } {
  let [year, month] = today.split('-').map(Number) as [number, number];
  for (let i = 0; i < 8; i++) {
    if (month % 3 === 0) {
      const expiry = shiftForHoliday(thirdFriday(year, month), cal);
      if (expiry > today || (expiry === today && at < expiryCloseOf(expiry, cal)))
        return { expiry, year, month };
    }
    month++;
    if (month > 12) {
      month = 1;
      year++;
    }
  }
  throw new RangeError(`no quarterly expiry found after ${today}`);
}

// ---------------------------------------------------------------------------------------------------
// Strikes and conIds

/**
 * Strikes listed around `reference`: every point within ±10%, every 5 points out to ±30% (as SPY,
 * QQQ and IWM chains look). The reference is the run's starting price, so the grid stays fixed.
 */
export function strikeGrid(reference: number): number[] {
  const strikes = new Set<number>();
  for (let k = Math.ceil(reference * 0.9); k <= Math.floor(reference * 1.1); k++) strikes.add(k);
  for (let k = Math.ceil((reference * 0.7) / 5) * 5; k <= reference * 1.3; k += 5) strikes.add(k);
  return [...strikes].filter((k) => k > 0 && k < 2048).sort((a, b) => a - b);
}

const CONID_EPOCH = '2024-01-01';

function daysSinceEpoch(date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${CONID_EPOCH}T00:00:00Z`)) / 86_400_000);
}

/**
 * Deterministic option conId: the symbol's slot, the expiry's day number, the strike in half points
 * and the right packed into disjoint bits, so two contracts can never share an id (a hash could).
 */
export function optionConId(symbolIndex: number, expiry: string, strike: number, right: SimRight): number {
  const day = daysSinceEpoch(expiry);
  const halfPoints = Math.round(strike * 2);
  if (day < 0 || day >= 8192 || halfPoints >= 4096 || symbolIndex >= 16) {
    throw new RangeError(`cannot number option ${symbolIndex}/${expiry}/${strike}`);
  }
  return 1_000_000_000 + symbolIndex * 2 ** 26 + (day * 4096 + halfPoints) * 2 + (right === 'C' ? 1 : 0);
}

export function occLocalSymbol(symbol: string, expiry: string, right: SimRight, strike: number): string {
  const yymmdd = compactDate(expiry).slice(2);
  return `${symbol.padEnd(6, ' ')}${yymmdd}${right}${String(Math.round(strike * 1000)).padStart(8, '0')}`;
}

// ---------------------------------------------------------------------------------------------------
// Hours in IB's format

export type HoursKind = 'stock' | 'option' | 'index' | 'future';

function hhmm(at: number): string {
  const p = nyParts(at);
  return `${String(p.hour).padStart(2, '0')}${String(p.minute).padStart(2, '0')}`;
}

/**
 * `tradingHours` and `liquidHours` for the week starting `today`, in IB's format
 * (`20261123:0930-20261123:1600;...;20261126:CLOSED`), holidays CLOSED and early closes shortened.
 * Futures are given in US/Central like IB's CME contracts, as the overnight session ending each day.
 */
export function hoursFor(
  kind: HoursKind,
  today: string,
  cal: MarketCalendar,
): { tradingHours: string; liquidHours: string } {
  const trading: string[] = [];
  const liquid: string[] = [];
  for (let i = 0; i < 7; i++) {
    const date = addDays(today, i);
    const d = compactDate(date);
    const session = sessionFor(date, cal);
    if (!session) {
      trading.push(`${d}:CLOSED`);
      liquid.push(`${d}:CLOSED`);
      continue;
    }
    const open = hhmm(session.open);
    const close = hhmm(session.close);
    const optionsClose = hhmm(session.optionsClose);
    switch (kind) {
      case 'stock':
        trading.push(`${d}:0400-${d}:${session.earlyClose ? '1700' : '2000'}`);
        liquid.push(`${d}:${open}-${d}:${close}`);
        break;
      case 'option':
        trading.push(`${d}:${open}-${d}:${optionsClose}`);
        liquid.push(`${d}:${open}-${d}:${optionsClose}`);
        break;
      case 'index':
        trading.push(`${d}:0300-${d}:1615`);
        liquid.push(`${d}:${open}-${d}:${optionsClose}`);
        break;
      case 'future': {
        // CME Globex: 17:00 CT the previous evening to 16:00 CT (12:00 on early closes).
        const prev = compactDate(addDays(date, -1));
        trading.push(`${prev}:1700-${d}:${session.earlyClose ? '1200' : '1600'}`);
        liquid.push(`${d}:0830-${d}:${session.earlyClose ? '1200' : '1500'}`);
        break;
      }
    }
  }
  return { tradingHours: trading.join(';'), liquidHours: liquid.join(';') };
}

// ---------------------------------------------------------------------------------------------------
// Contracts

/** A contract without its hours (which depend on the day and are attached when handed out). */
export type BaseContract = Omit<SimContract, 'tradingHours' | 'liquidHours'> & { hoursKind: HoursKind };

export function stockContract(spec: UnderlyingSpec): BaseContract {
  return {
    conId: spec.conId,
    symbol: spec.symbol,
    secType: 'STK',
    lastTradeDate: '',
    strike: 0,
    multiplier: 1,
    exchange: 'SMART',
    primaryExchange: spec.primaryExchange,
    currency: 'USD',
    localSymbol: spec.symbol,
    tradingClass: spec.symbol,
    minTick: 0.01,
    longName: spec.longName,
    timeZoneId: TIME_ZONE_ID,
    hoursKind: 'stock',
  };
}

export function optionContract(
  spec: UnderlyingSpec,
  symbolIndex: number,
  expiry: string,
  strike: number,
  right: SimRight,
): BaseContract {
  return {
    conId: optionConId(symbolIndex, expiry, strike, right),
    symbol: spec.symbol,
    secType: 'OPT',
    lastTradeDate: compactDate(expiry),
    strike,
    right,
    multiplier: OPTION_MULTIPLIER,
    exchange: 'SMART',
    primaryExchange: '',
    currency: 'USD',
    localSymbol: occLocalSymbol(spec.symbol, expiry, right, strike),
    tradingClass: spec.symbol,
    underlyingConId: spec.conId,
    minTick: 0.01,
    longName: spec.longName,
    timeZoneId: TIME_ZONE_ID,
    hoursKind: 'option',
  };
}

export function vixContract(): BaseContract {
  return {
    conId: VIX_CON_ID,
    symbol: 'VIX',
    secType: 'IND',
    lastTradeDate: '',
    strike: 0,
    multiplier: 1,
    exchange: 'CBOE',
    primaryExchange: 'CBOE',
    currency: 'USD',
    localSymbol: 'VIX',
    tradingClass: 'VIX',
    minTick: 0.01,
    longName: 'CBOE Volatility Index',
    timeZoneId: TIME_ZONE_ID,
    hoursKind: 'index',
  };
}

export function futureContract(
  spec: FutureSpec,
  expiry: string,
  year: number,
  month: number,
  proxyConId: number,
): BaseContract {
  return {
    conId: spec.conIdBase + (year - 2000) * 12 + month,
    symbol: spec.symbol,
    secType: 'FUT',
    lastTradeDate: compactDate(expiry),
    strike: 0,
    multiplier: spec.multiplier,
    exchange: 'CME',
    primaryExchange: 'CME',
    currency: 'USD',
    localSymbol: `${spec.symbol}${MONTH_CODES[month - 1]}${year % 10}`,
    tradingClass: spec.symbol,
    underlyingConId: proxyConId,
    minTick: 0.25,
    longName: spec.longName,
    timeZoneId: 'US/Central',
    hoursKind: 'future',
  };
}
