// The simulator's engine: a seeded market (underlyings, option chains, VIX, index futures), a clock
// and a broker behind the `SimEngine` interface. No sockets; the TWS-protocol server drives it.
import { isOpen, nextTradingDay, nyParts, nyTimeToEpoch, sessionFor } from '../../../functions/core/calendar';
import type { MarketCalendar, Session } from '../../../functions/core/calendar';
import { parseConfig } from '../../../functions/core/config';
import type {
  SimBar,
  SimContract,
  SimEngine,
  SimEngineEvent,
  SimOptionParams,
  SimOrderRequest,
  SimOrderState,
  SimQuote,
  SimRight,
} from '../engine-api';
import { Broker } from './broker';
import { newBrokerState } from './broker-state';
import type { BrokerMarket, BrokerState, LegQuote, SettlementRecord } from './broker-state';
import {
  FUTURE_SPECS,
  VIX_CON_ID,
  compactDate,
  expiryCloseOf,
  frontQuarterly,
  futureContract,
  hoursFor,
  isoDate,
  listedExpiries,
  optionContract,
  shiftForHoliday,
  stockContract,
  strikeGrid,
  thirdFriday,
  underlyingSpec,
  vixContract,
} from './instruments';
import type { BaseContract, FutureSpec, UnderlyingSpec } from './instruments';
import { Market, VIX_OVER_ATM, round2 } from './market';
import type { MarketState } from './market';
import { Draw } from './rng';

export { SIM_RATE, YEAR_MS } from './market';
export { BAG_CON_ID, VIX_CON_ID } from './instruments';
export { CHUNK } from './broker-state';
export type { SettlementRecord } from './broker-state';

const MINUTE_MS = 60_000;
// The overnight gap added no state (its draw depends only on seed, symbol and date): version 1 states
// load unchanged and gap from their next open on.
const STATE_VERSION = 1;
/** A stale quote looks as if the feed stopped this long before it was first asked for. */
const STALE_AGE_MS = 5 * MINUTE_MS;

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

interface ResolvedOptions {
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

interface SavedState {
  version: number;
  options: Omit<ResolvedOptions, 'calendar'> & { calendar: MarketCalendar };
  clock: { now: number; marketTime: number; lastEndOfDay: string };
  market: MarketState;
  broker: BrokerState;
  faults: { quotes: [string, QuoteFault][]; frozen: [number, SimQuote][] };
}

export const DEFAULT_SYMBOLS = ['SPY', 'QQQ', 'IWM'];

function resolveOptions(options: SimEngineOptions): ResolvedOptions {
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

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** Everything that one saved state determines; loadState replaces it whole. */
class World {
  readonly cal: MarketCalendar;
  readonly specs = new Map<string, UnderlyingSpec>();
  readonly symbolIndex = new Map<string, number>();
  readonly startSpots: Record<string, number> = {};
  readonly accountId: string;
  readonly market: Market;
  readonly broker: Broker;
  now: number;
  marketTime: number;
  lastEndOfDay: string;
  readonly quoteFaults = new Map<string, QuoteFault>();
  readonly frozen = new Map<number, SimQuote>();

  private readonly registry = new Map<number, BaseContract>();
  private readonly chains = new Map<string, { expiries: string[]; strikes: number[] }>();
  private readonly sessions = new Map<string, Session | undefined>();
  private readonly hours = new Map<string, { tradingHours: string; liquidHours: string }>();
  private readonly quoteCache = new Map<number, SimQuote>();
  private quoteCacheMinute = Number.NaN;
  private readonly vixSource: string;
  private readonly futures: FutureSpec[];

  constructor(
    readonly options: ResolvedOptions,
    emit: (event: SimEngineEvent) => void,
    saved?: SavedState,
  ) {
    this.cal = options.calendar;
    options.symbols.forEach((symbol, i) => {
      const spec = underlyingSpec(symbol, i, options.seed);
      this.specs.set(symbol, spec);
      this.symbolIndex.set(symbol, i);
      const draw = new Draw(options.seed, `start:${symbol}`, 0);
      this.startSpots[symbol] = round2(spec.basePrice * Math.exp(0.02 * draw.normal()));
      this.register(stockContract(spec));
    });
    this.vixSource = this.specs.has('SPY') ? 'SPY' : options.symbols[0]!;
    this.register(vixContract());
    this.futures = FUTURE_SPECS.filter((f) => this.specs.has(f.proxy));
    this.accountId = options.account === 'live' ? 'U1234567' : 'DU1234567';
    const startDate = nyParts(options.start).date;
    this.market = new Market(options.seed, this.specs, this.startSpots, startDate, this.cal, saved?.market);
    this.broker = new Broker(
      saved?.broker ?? newBrokerState(this.accountId, options.initialCash),
      this.brokerMarket(),
      emit,
    );
    this.now = saved?.clock.now ?? options.start;
    this.marketTime = saved?.clock.marketTime ?? floorMinute(options.start);
    this.lastEndOfDay = saved?.clock.lastEndOfDay ?? '';
    for (const [key, fault] of saved?.faults.quotes ?? []) this.quoteFaults.set(key, fault);
    for (const [conId, quote] of saved?.faults.frozen ?? []) this.frozen.set(conId, quote);
    // Contracts the saved state refers to may have left the listed chains (expired): keep them known.
    for (const account of Object.values(this.broker.state.accounts)) {
      for (const pos of Object.values(account.positions)) this.register(pos.contract);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Calendar and contracts

  session(date: string): Session | undefined {
    if (!this.sessions.has(date)) this.sessions.set(date, sessionFor(date, this.cal));
    return this.sessions.get(date);
  }

  today(): string {
    return nyParts(this.now).date;
  }

  private register(contract: BaseContract): void {
    this.registry.set(contract.conId, contract);
  }

  withHours(contract: BaseContract): SimContract {
    const today = this.today();
    const key = `${contract.hoursKind}|${today}`;
    let hours = this.hours.get(key);
    if (!hours) {
      hours = hoursFor(contract.hoursKind, today, this.cal);
      this.hours.set(key, hours);
    }
    const { hoursKind: _kind, ...rest } = contract;
    return { ...rest, ...hours };
  }

  /** The listed chain of `symbol` today: expiries (ISO) and strikes; registers its contracts. */
  chain(symbol: string): { expiries: string[]; strikes: number[] } {
    const today = this.today();
    const key = `${symbol}|${today}`;
    let chain = this.chains.get(key);
    if (chain) return chain;
    const spec = this.specs.get(symbol)!;
    const index = this.symbolIndex.get(symbol)!;
    const expiries = listedExpiries(today, this.now, this.cal);
    const strikes = strikeGrid(this.startSpots[symbol]!);
    for (const expiry of expiries) {
      for (const strike of strikes) {
        for (const right of ['C', 'P'] as const)
          this.register(optionContract(spec, index, expiry, strike, right));
      }
    }
    chain = { expiries, strikes };
    this.chains.set(key, chain);
    return chain;
  }

  futureContracts(): BaseContract[] {
    const today = this.today();
    const front = frontQuarterly(today, this.now, this.cal);
    return this.futures.map((f) => {
      const contract = futureContract(
        f,
        front.expiry,
        front.year,
        front.month,
        this.specs.get(f.proxy)!.conId,
      );
      this.register(contract);
      return contract;
    });
  }

  lookup(conId: number): BaseContract | undefined {
    let contract = this.registry.get(conId);
    if (contract) return contract;
    // Not seen yet: list today's chains and futures, then look again.
    for (const symbol of this.specs.keys()) this.chain(symbol);
    this.futureContracts();
    contract = this.registry.get(conId);
    return contract;
  }

  isMonthly(expiry: string): boolean {
    const [year, month] = expiry.split('-').map(Number) as [number, number];
    return shiftForHoliday(thirdFriday(year, month), this.cal) === expiry;
  }

  // -------------------------------------------------------------------------------------------------
  // Quotes

  private futureSpec(contract: BaseContract): FutureSpec | undefined {
    return this.futures.find((f) => f.symbol === contract.symbol);
  }

  shockPrice(symbol: string, returnPct: number, volLogBump: number): void {
    const underlying = this.market.state.underlyings[symbol.toUpperCase()];
    if (!underlying) throw new RangeError(`the simulator has no underlying ${symbol}`);
    if (!Number.isFinite(returnPct) || returnPct <= -100)
      throw new RangeError(`price shock must be a finite percent above -100, got ${returnPct}`);
    if (!Number.isFinite(volLogBump)) throw new RangeError(`vol bump must be finite, got ${volLogBump}`);
    underlying.spot *= 1 + returnPct / 100;
    underlying.volLog += volLogBump;
    // Quotes are cached per simulated minute; this minute's are now wrong.
    this.quoteCache.clear();
  }

  /** The market's own quote (no faults), cached for the simulated minute. */
  rawQuote(conId: number): SimQuote | undefined {
    const minute = Math.floor(this.now / MINUTE_MS);
    if (minute !== this.quoteCacheMinute) {
      this.quoteCache.clear();
      this.quoteCacheMinute = minute;
    }
    const cached = this.quoteCache.get(conId);
    if (cached) return cached;
    const contract = this.lookup(conId);
    if (!contract) return undefined;
    const at = minute * MINUTE_MS;
    let quote: SimQuote;
    switch (contract.secType) {
      case 'STK':
        quote = this.market.stockQuote(contract.symbol, at);
        break;
      case 'OPT': {
        const expiry = isoDate(contract.lastTradeDate);
        quote = this.market.optionQuote(
          contract.symbol,
          contract.conId,
          contract.strike,
          contract.right as SimRight,
          expiryCloseOf(expiry, this.cal),
          this.isMonthly(expiry),
          at,
        );
        break;
      }
      case 'IND': {
        const date = nyParts(at).date;
        const last = this.market.vix(this.vixSource);
        const today = this.market.today(this.vixSource, date);
        const vixOf = (iv: number) => round2(100 * VIX_OVER_ATM * iv);
        const days = this.market.allDays(this.vixSource).filter((d) => d.date < date);
        const prev = days[days.length - 1];
        quote = {
          last,
          high: today ? Math.max(last, vixOf(today.ivHigh)) : last,
          low: today ? Math.min(last, vixOf(today.ivLow)) : last,
          close: prev ? vixOf(prev.ivClose) : last,
          time: at,
        };
        break;
      }
      case 'FUT': {
        const spec = this.futureSpec(contract)!;
        const expiryAt = expiryCloseOf(isoDate(contract.lastTradeDate), this.cal);
        const price = this.market.futurePrice(spec.proxy, spec.ratio, expiryAt, at);
        const draw = new Draw(this.options.seed, `fut-size:${contract.conId}`, minute);
        const date = nyParts(at).date;
        const prevClose = this.market.previousClose(spec.proxy, date);
        quote = {
          bid: price,
          ask: price + 0.25,
          last: price,
          bidSize: draw.int(5, 60),
          askSize: draw.int(5, 60),
          lastSize: draw.int(1, 10),
          volume: Math.round((this.market.today(spec.proxy, date)?.volume ?? 0) / 40),
          close: Math.round(prevClose * spec.ratio * 4) / 4,
          time: at,
        };
        break;
      }
    }
    this.quoteCache.set(conId, quote);
    return quote;
  }

  faultFor(contract: BaseContract): QuoteFault | undefined {
    return (
      this.quoteFaults.get(String(contract.conId)) ??
      this.quoteFaults.get(contract.symbol) ??
      this.quoteFaults.get('all')
    );
  }

  quote(conId: number): SimQuote | undefined {
    const contract = this.lookup(conId);
    if (!contract) return undefined;
    const fault = this.faultFor(contract);
    if (fault !== 'stale') this.frozen.delete(conId);
    switch (fault) {
      case 'missing':
        return { time: this.now };
      case 'sentinel':
        // IB's "no value" markers: −1 for prices and IV, −2 for greeks (the client decodes them as-is).
        return {
          bid: -1,
          ask: -1,
          last: -1,
          bidSize: 0,
          askSize: 0,
          greeks:
            contract.secType === 'OPT'
              ? {
                  impliedVol: -1,
                  delta: -2,
                  gamma: -2,
                  vega: -2,
                  theta: -2,
                  optPrice: -1,
                  pvDividend: -1,
                  undPrice: -1,
                }
              : undefined,
          time: this.now,
        };
      case 'stale': {
        let frozen = this.frozen.get(conId);
        if (!frozen) {
          frozen = { ...structuredClone(this.rawQuote(conId)!), time: this.now - STALE_AGE_MS };
          this.frozen.set(conId, frozen);
        }
        return structuredClone(frozen);
      }
      default: {
        const raw = this.rawQuote(conId);
        return raw && structuredClone(raw);
      }
    }
  }

  legQuote(conId: number): LegQuote | undefined {
    const q = this.rawQuote(conId);
    if (!q || q.bid === undefined || q.ask === undefined) return undefined;
    return { bid: q.bid, ask: q.ask };
  }

  tradable(contract: BaseContract, at: number): boolean {
    const date = nyParts(at).date;
    const session = this.session(date);
    if (!session || at < session.open) return false;
    if (contract.secType === 'OPT')
      return isoDate(contract.lastTradeDate) >= date && at < session.optionsClose;
    return at < session.close;
  }

  private brokerMarket(): BrokerMarket {
    return {
      contract: (conId) => this.lookup(conId),
      withHours: (c) => this.withHours(c),
      legQuote: (conId) => this.legQuote(conId),
      tradable: (c, at) => this.tradable(c, at),
      spot: (symbol) => this.market.quotedSpot(symbol),
      underlyingContract: (symbol) => this.lookup(this.specs.get(symbol)?.conId ?? -1),
      seed: this.options.seed,
      commissionPerContract: this.options.commissionPerContract,
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Clock

  /**
   * Runs the market up to `target`: one step per simulated minute while options trade (09:30–16:15,
   * prices move until 16:00), working orders tried after each step; closed periods are skipped in one
   * jump. After the options close the day ends: DAY orders expire and expiring options settle.
   */
  runUntil(target: number): void {
    if (!(target >= this.now)) return;
    for (;;) {
      this.maybeEndOfDay();
      const nextMinute = this.marketTime + MINUTE_MS;
      if (nextMinute > target) break;
      const date = nyParts(this.marketTime).date;
      const session = this.session(date);
      if (session && this.marketTime >= session.open && this.marketTime < session.optionsClose) {
        // The clock must read the step's time while orders are tried (quotes are cached per minute).
        this.now = nextMinute;
        if (this.marketTime < session.close) {
          this.openSession(date);
          this.market.step(nextMinute);
        }
        this.marketTime = nextMinute;
        this.broker.evaluate(nextMinute);
        continue;
      }
      const nextOpen =
        session && this.marketTime < session.open
          ? session.open
          : this.session(nextTradingDay(date, this.cal))!.open;
      const jumpTo = Math.min(nextOpen, floorMinute(target));
      if (jumpTo <= this.marketTime) break;
      this.marketTime = jumpTo;
      this.now = jumpTo;
      // The overnight gap lands at the opening bell, so the open's quotes already show it.
      if (jumpTo === nextOpen) this.openSession(nyParts(jumpTo).date);
    }
    this.now = target;
  }

  /** Opens the session's bars (and its overnight gap) once; quotes cached before it are stale. */
  private openSession(date: string): void {
    if (this.market.today(this.vixSource, date)) return;
    this.market.openDay(date);
    this.quoteCache.clear();
  }

  private maybeEndOfDay(): void {
    const date = nyParts(this.marketTime).date;
    const session = this.session(date);
    if (!session || this.marketTime < session.optionsClose || this.lastEndOfDay >= date) return;
    this.lastEndOfDay = date;
    this.broker.expireDayOrders();
    this.broker.settleExpiries(date, (symbol) => this.market.quotedSpot(symbol), session.optionsClose);
  }

  save(): SavedState {
    return structuredClone({
      version: STATE_VERSION,
      options: this.options,
      clock: { now: this.now, marketTime: this.marketTime, lastEndOfDay: this.lastEndOfDay },
      market: this.market.state,
      broker: this.broker.state,
      faults: { quotes: [...this.quoteFaults], frozen: [...this.frozen] },
    });
  }

  bars(conId: number, days: number, what: 'TRADES' | 'OPTION_IMPLIED_VOLATILITY' | 'MIDPOINT'): SimBar[] {
    const contract = this.lookup(conId);
    if (!contract) return [];
    switch (contract.secType) {
      case 'STK':
        return this.market.bars(contract.symbol, days, what);
      case 'IND':
        return what === 'OPTION_IMPLIED_VOLATILITY'
          ? []
          : this.market.derivedBars(this.vixSource, days, (iv) => round2(100 * VIX_OVER_ATM * iv), true);
      case 'FUT': {
        const spec = this.futureSpec(contract)!;
        if (what === 'OPTION_IMPLIED_VOLATILITY') return [];
        return this.market.derivedBars(spec.proxy, days, (p) => Math.round(p * spec.ratio * 4) / 4, false);
      }
      default:
        return [];
    }
  }
}

function normaliseRight(right: string | undefined): SimRight | undefined {
  if (!right) return undefined;
  const r = right.toUpperCase();
  if (r === 'C' || r === 'CALL') return 'C';
  if (r === 'P' || r === 'PUT') return 'P';
  return undefined;
}

export function createSimEngine(options: SimEngineOptions = {}): SimEngineControls {
  const listeners = new Set<(event: SimEngineEvent) => void>();
  const emit = (event: SimEngineEvent) => {
    for (const listener of [...listeners]) listener(event);
  };
  let world = new World(resolveOptions(options), emit);

  const findContracts: SimEngine['findContracts'] = (query) => {
    if (query.conId !== undefined && query.conId !== 0) {
      const c = world.lookup(query.conId);
      return c ? [world.withHours(c)] : [];
    }
    const symbol = query.symbol?.toUpperCase() ?? '';
    const secType = query.secType?.toUpperCase() ?? '';
    const out: BaseContract[] = [];
    const wants = (t: string) => secType === '' || secType === t;
    if (wants('STK') && world.specs.has(symbol)) out.push(world.lookup(world.specs.get(symbol)!.conId)!);
    if (wants('IND') && symbol === 'VIX') out.push(world.lookup(VIX_CON_ID)!);
    if (wants('FUT')) {
      for (const f of world.futureContracts()) {
        if (f.symbol !== symbol) continue;
        if (query.lastTradeDate && !f.lastTradeDate.startsWith(query.lastTradeDate.slice(0, 6))) continue;
        out.push(f);
      }
    }
    if (wants('OPT') && world.specs.has(symbol)) {
      const chain = world.chain(symbol);
      const right = normaliseRight(query.right);
      const index = world.symbolIndex.get(symbol)!;
      for (const expiry of chain.expiries) {
        const ltd = compactDate(expiry);
        if (
          query.lastTradeDate &&
          !(
            ltd === query.lastTradeDate ||
            (query.lastTradeDate.length === 6 && ltd.startsWith(query.lastTradeDate))
          )
        )
          continue;
        for (const strike of chain.strikes) {
          if (query.strike !== undefined && query.strike !== 0 && Math.abs(query.strike - strike) > 1e-6)
            continue;
          for (const r of ['C', 'P'] as const) {
            if (right && r !== right) continue;
            out.push(optionContract(world.specs.get(symbol)!, index, expiry, strike, r));
          }
        }
      }
    }
    return out.map((c) => world.withHours(c));
  };

  const engine: SimEngineControls = {
    now: () => world.now,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance needs a non-negative duration, got ${ms}`);
      world.runUntil(world.now + ms);
    },
    setTime(ms) {
      if (!Number.isFinite(ms)) throw new RangeError(`setTime needs a finite epoch ms, got ${ms}`);
      if (ms >= world.now) {
        world.runUntil(ms);
      } else {
        world.now = ms;
        world.marketTime = floorMinute(ms);
      }
    },
    isMarketOpen: () => isOpen(world.now, world.cal),
    accounts: () => [world.accountId],
    contractById(conId) {
      const c = world.lookup(conId);
      return c && world.withHours(c);
    },
    findContracts,
    optionParams(underlyingSymbol) {
      const symbol = underlyingSymbol.toUpperCase();
      const spec = world.specs.get(symbol);
      if (!spec) return [];
      const chain = world.chain(symbol);
      const params: SimOptionParams = {
        exchange: 'SMART',
        underlyingConId: spec.conId,
        tradingClass: symbol,
        multiplier: 100,
        expirations: chain.expiries.map(compactDate),
        strikes: [...chain.strikes],
      };
      return [params];
    },
    quote: (conId) => world.quote(conId),
    dailyBars: (conId, days, what) => world.bars(conId, days, what),
    placeOrder: (request: SimOrderRequest) => world.broker.placeOrder(request, world.now),
    modifyOrder: (request) => world.broker.modifyOrder(request, world.now),
    cancelOrder: (orderId) => world.broker.cancelOrder(orderId),
    openOrders: (clientId) => world.broker.openOrders(clientId),
    completedOrders: () => world.broker.completedOrders(),
    executions(filter = {}) {
      return world.broker.state.executions
        .filter(
          ({ execution: e }) =>
            (filter.clientId === undefined || e.clientId === filter.clientId) &&
            (filter.account === undefined || filter.account === '' || e.account === filter.account) &&
            (filter.sinceMs === undefined || e.time >= filter.sinceMs) &&
            (filter.symbol === undefined ||
              filter.symbol === '' ||
              e.contract.symbol === filter.symbol.toUpperCase()),
        )
        .map((entry) => structuredClone(entry));
    },
    positions: (account) => world.broker.positions(account),
    accountSummary(account) {
      const acct = world.broker.state.accounts[account];
      if (!acct) throw new RangeError(`account ${account} is not managed here`);
      const netLiquidation = world.broker.netLiquidation(acct);
      const margin = world.broker.margin(acct.positions);
      const availableFunds = round2(netLiquidation - margin.init);
      return {
        account,
        netLiquidation,
        // A margin account's (day-trading) buying power: four times the available funds, as IB shows it.
        buyingPower: round2(Math.max(0, availableFunds) * 4),
        availableFunds,
        excessLiquidity: round2(netLiquidation - margin.maint),
        totalCashValue: acct.cash,
        initMarginReq: margin.init,
        maintMarginReq: margin.maint,
        realizedPnl: round2(acct.realizedPnl),
        unrealizedPnl: world.broker.unrealizedPnl(acct),
      };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    saveState: () => world.save(),
    loadState(state) {
      const saved = structuredClone(state) as SavedState;
      if (!saved || typeof saved !== 'object' || saved.version !== STATE_VERSION) {
        throw new RangeError(
          `unsupported simulator state (version ${(saved as { version?: unknown })?.version})`,
        );
      }
      world = new World(saved.options, emit, saved);
    },
    setQuoteFault(target, fault) {
      const key =
        typeof target === 'number' ? String(target) : target === 'all' ? 'all' : target.toUpperCase();
      if (fault === undefined) world.quoteFaults.delete(key);
      else world.quoteFaults.set(key, fault);
    },
    setOrderRejection(reason) {
      if (reason === undefined) delete world.broker.state.rejection;
      else world.broker.state.rejection = reason;
    },
    setPartialFillsNeverComplete(on) {
      world.broker.state.partialFillsNeverComplete = on;
    },
    shockPrice(symbol, returnPct, volLogBump = 0) {
      world.shockPrice(symbol, returnPct, volLogBump);
    },
    assignEarly(symbol, narrow = {}) {
      const upper = symbol.toUpperCase();
      if (!world.specs.has(upper)) throw new RangeError(`the simulator has no underlying ${symbol}`);
      return world.broker.assignEarly(upper, world.market.quotedSpot(upper), world.now, narrow);
    },
    settlements: (account) =>
      world.broker.state.settlements
        .filter((s) => account === undefined || s.account === account)
        .map((s) => ({ ...s })),
    realizedPnlByContract(account) {
      const acct = world.broker.state.accounts[account];
      if (!acct) return {};
      return Object.fromEntries(Object.values(acct.positions).map((p) => [p.contract.conId, p.realizedPnl]));
    },
    dividendYield: (symbol) => world.specs.get(symbol.toUpperCase())?.dividendYield ?? 0,
    calendar: () => world.cal,
    expiryInstant: (lastTradeDate) => expiryCloseOf(isoDate(lastTradeDate), world.cal),
  };
  return engine;
}
