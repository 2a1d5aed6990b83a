// The simulator engine's options (with their defaults), the controls it offers beyond `SimEngine`, and
// the saved state that reproduces a run.
import { nyTimeToEpoch } from '#core/calendar';
import type { MarketCalendar } from '#core/calendar';
import { parseConfig } from '#core/config';
import type { SimEngine, SimOrderState, SimQuote } from '../engine-api';
import type { BrokerState, SettlementRecord } from './broker-state';
import type { MarketState } from './market';

export const MINUTE_MS = 60_000;
// The overnight gap added no state (its draw depends only on seed, symbol and date): version 1 states
// load unchanged and gap from their next open on.
export const STATE_VERSION = 1;
/** A stale quote looks as if the feed stopped this long before it was first asked for. */
export const STALE_AGE_MS = 5 * MINUTE_MS;

export type QuoteFault = 'stale' | 'missing' | 'sentinel';

export interface SimEngineOptions {
  /** Seed of every random draw; the same seed reproduces the same run. Default 1. */
  seed?: number;
  /** Simulated wall-clock start, epoch ms. Default Monday 2026-06-01 09:30 New York. */
  start?: number;
  /** Underlyings. Default SPY, QQQ, IWM (at most 16). */
  symbols?: string[];
  /** `paper` → account DU1234567 (default), `live` → U1234567. */
  account?: 'paper' | 'live';
  initialCash?: number;
  /** Dollars per option contract, at least 1.00 per execution (IB's tiered US options rate). */
  commissionPerContract?: number;
  /** Holiday calendar; default the core's NYSE calendar. */
  calendar?: MarketCalendar;
}

export interface ResolvedOptions {
  seed: number;
  start: number;
  symbols: string[];
  account: 'paper' | 'live';
  initialCash: number;
  commissionPerContract: number;
  calendar: MarketCalendar;
}

/** The engine plus the controls tests and the server use: clock jumps, faults and views for assertions. */
export interface SimEngineControls extends SimEngine {
  /** Jumps the clock: forward runs the market (like advance); backward only moves the clock. */
  setTime(ms: number): void;
  /** Quote fault for one contract (conId), an underlying and its derivatives (symbol), or everything. */
  setQuoteFault(target: number | string, fault: QuoteFault | undefined): void;
  /** While set, every new order is rejected with error 201 and this reason. */
  setOrderRejection(reason: string | undefined): void;
  /** While true, an order that filled partly never fills further. */
  setPartialFillsNeverComplete(on: boolean): void;
  /**
   * Moves an underlying's price by `returnPct` percent at once (a gap: its options, VIX and futures
   * follow) and raises its volatility by `volLogBump` (log units, as a jump does). Quotes change now.
   */
  shockPrice(symbol: string, returnPct: number, volLogBump?: number): void;
  /** OCC assigns short in-the-money options of `symbol` now (see Broker.assignEarly). */
  assignEarly(symbol: string, narrow?: { conId?: number; quantity?: number }): SettlementRecord[];
  /** Filled, cancelled and rejected orders. */
  completedOrders(): SimOrderState[];
  /** Options settled at expiry (expired worthless, exercised or assigned). */
  settlements(account?: string): SettlementRecord[];
  /** Realised P&L per contract (conId) since the start, including closed positions. */
  realizedPnlByContract(account: string): Record<number, number>;
  /** Continuous dividend yield the model uses for an underlying (rate is SIM_RATE). */
  dividendYield(symbol: string): number;
  /** The calendar the engine runs on. */
  calendar(): MarketCalendar;
  /** The instant an option on `lastTradeDate` (YYYYMMDD) expires in the model (that day's close). */
  expiryInstant(lastTradeDate: string): number;
}

export interface SavedState {
  version: number;
  options: Omit<ResolvedOptions, 'calendar'> & { calendar: MarketCalendar };
  clock: { now: number; marketTime: number; lastEndOfDay: string };
  market: MarketState;
  broker: BrokerState;
  faults: { quotes: [string, QuoteFault][]; frozen: [number, SimQuote][] };
}

export const DEFAULT_SYMBOLS = ['SPY', 'QQQ', 'IWM'];

export function resolveOptions(options: SimEngineOptions): ResolvedOptions {
  const symbols = (options.symbols ?? DEFAULT_SYMBOLS).map((s) => s.toUpperCase());
  if (symbols.length === 0 || symbols.length > 16) throw new RangeError('between 1 and 16 symbols');
  return {
    seed: options.seed ?? 1,
    start: options.start ?? nyTimeToEpoch('2026-06-01', '09:30'),
    symbols: [...new Set(symbols)],
    account: options.account ?? 'paper',
    initialCash: options.initialCash ?? 100_000,
    commissionPerContract: options.commissionPerContract ?? 0.65,
    calendar: options.calendar ?? parseConfig({}).calendar,
  };
}

export function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}
