// The simulator's world: what one saved state determines — the calendar, the listed contracts, the
// market and its quotes (with the faults tests inject), the broker, and the clock that runs them.
import { nextTradingDay, nyParts, sessionFor } from '#core/calendar';
import type { MarketCalendar, Session } from '#core/calendar';
import type { SimBar, SimContract, SimEngineEvent, SimQuote, SimRight } from '../engine-api';
import { Broker } from './broker';
import { newBrokerState } from './broker-state';
import type { BrokerMarket, LegQuote } from './broker-state';
import { MINUTE_MS, STATE_VERSION, floorMinute } from './engine-options';
import type { QuoteFault, ResolvedOptions, SavedState } from './engine-options';
import {
  FUTURE_SPECS,
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
import { faultedQuote } from './quote-faults';
import { Draw } from './rng';

/** Everything that one saved state determines; loadState replaces it whole. */
export class World {
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

  /** The quote clients see: the market's, or what the fault set for the contract makes of it. */
  quote(conId: number): SimQuote | undefined {
    return faultedQuote(this, conId);
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
