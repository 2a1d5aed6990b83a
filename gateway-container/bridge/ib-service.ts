// What the HTTP API does with IB: request/answer correlation by request id, timeouts, market-data
// lines, day caches (contract ids, option parameters), orders with orderRef idempotency, and the
// fill / position events. Everything goes out through the connection's one paced queue.

import type {
  CommissionReport,
  Contract,
  ContractDetails,
  Execution,
  IBApi,
  Order,
  OrderState,
} from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import { accountMode } from '../../functions/core/entry';
import type {
  AccountResponse,
  HealthResponse,
  Bar,
  ChainResponse,
  TradingHoursResponse,
  ContractView,
  ExecutionView,
  HistoryQuery,
  HistoryResponse,
  OrderLeg,
  OrderView,
  PlaceOrderRequest,
  PlaceOrderResponse,
  PositionView,
  Quote,
  QuoteContract,
  WhatIfRequest,
  WhatIfResponse,
} from './contract';
import { type IbConnection, type Logger, silentLogger } from './connection';
import { BridgeError, ibError, invalidInput, notConnected, timeoutError } from './errors';
import type { EventSink } from './events';
import { LineBudget, type ReleaseLine } from './lines';
import {
  checkTradingMode,
  type GuardedOrder,
  guardModification,
  guardOrder,
  type GuardRefusal,
  type LegContract,
  type LegQuote,
  legTrades,
  type OrderLimits,
  type PositionEffect,
  positionEffect,
} from './order-guard';
import { CANCEL_PRIORITY, type Clock, ORDER_PRIORITY, systemClock } from './pacer';
import {
  computedPriceOrAbsent,
  deltaOrAbsent,
  greekOrAbsent,
  numericStringOrAbsent,
  priceOrAbsent,
  sizeOrAbsent,
} from './sentinels';

export interface ServiceOptions {
  connection: IbConnection;
  sink: EventSink;
  clock?: Clock;
  logger?: Logger;
  lines?: LineBudget;
  /** Per-contract time to complete a quote before it is returned partial and `stale`. */
  quoteTimeoutMs?: number;
  /** Time for IB to answer a request (contract details, account, executions, ...). */
  requestTimeoutMs?: number;
  /** Time for IB to acknowledge an order, a modification or a cancel. */
  orderTimeoutMs?: number;
  /** Time zone of execution times IB sends without one (the gateway's TIME_ZONE). */
  ibTimeZone?: string;
  /** The stack's trading mode: every order is refused while IB reports an account of the other mode. */
  tradingMode: 'paper' | 'live';
  /** The order guard's hard limits (set by the stack). */
  limits: OrderLimits;
}

const WORKING = new Set(['ApiPending', 'PendingSubmit', 'PreSubmitted', 'Submitted', 'PendingCancel']);
const DONE = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

interface OrderRecord {
  orderId: number;
  /** New York date the bridge first saw the order: orderRef idempotency is per trading day. */
  tradeDate: string;
  permId?: number;
  orderRef?: string;
  status: string;
  filled: number;
  remaining: number;
  averagePrice?: number;
  lastFillPrice?: number;
  action?: 'BUY' | 'SELL';
  quantity?: number;
  limitPrice?: number;
  symbol?: string;
  legs?: OrderLeg[];
  contract?: Contract;
  order?: Order;
  /** Whether the order opens or closes, as the guard judged it at placement (prices its modifications). */
  effect?: PositionEffect;
  publishedFilled: number;
  fills: Map<string, { contract: Contract; execution: Execution }>;
}

type OrderSignal = { kind: 'status'; status: string } | { kind: 'error'; code: number; message: string };

/** Day-scoped cache: cleared when the New York date changes (contract ids, option parameters). */
class DayCache<V> {
  private day = '';
  private readonly map = new Map<string, V>();
  constructor(private readonly clock: Clock) {}
  private roll(): void {
    const today = nyDate(this.clock.now());
    if (today !== this.day) {
      this.day = today;
      this.map.clear();
    }
  }
  get(key: string): V | undefined {
    this.roll();
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.roll();
    this.map.set(key, value);
  }
}

export class IbService {
  readonly lines: LineBudget;
  private readonly conn: IbConnection;
  private readonly sink: EventSink;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly quoteTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly orderTimeoutMs: number;
  private readonly ibTimeZone: string;
  private readonly tradingMode: 'paper' | 'live';
  private readonly limits: OrderLimits;
  /** Contracts of opening orders placed on the New York trade date `day`. */
  private opened = { day: '', contracts: 0 };

  private readonly details: DayCache<ContractDetails[]>;
  private readonly optionParams: DayCache<Omit<ChainResponse, 'underlyingPrice' | 'underlyingPriceStale'>>;
  private readonly historyCache = new Map<string, { at: number; response: HistoryResponse }>();
  private readonly inflight = new Map<string, Promise<unknown>>();

  private readonly orders = new Map<number, OrderRecord>();
  private readonly orderWaiters = new Map<number, Set<(signal: OrderSignal) => void>>();
  private readonly whatIfWaiters = new Map<number, (state: OrderState) => void>();
  private readonly commissions = new Map<string, CommissionReport>();
  private orderLock: Promise<unknown> = Promise.resolve();
  private openOrderCollector: ((orderId: number) => void) | undefined;

  private positionsBaseline: Map<string, PositionView> | undefined;
  private positionsRefreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly activeQuotes = new Set<{ resubscribe: () => void }>();
  /** Quotes answered with IB's delayed data since start (for /health). */
  delayedQuotes = 0;

  constructor(options: ServiceOptions) {
    this.conn = options.connection;
    this.sink = options.sink;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.lines = options.lines ?? new LineBudget(90);
    this.quoteTimeoutMs = options.quoteTimeoutMs ?? 8000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.orderTimeoutMs = options.orderTimeoutMs ?? 10_000;
    this.ibTimeZone = options.ibTimeZone ?? 'America/New_York';
    this.tradingMode = options.tradingMode;
    this.limits = options.limits;
    this.details = new DayCache(this.clock);
    this.optionParams = new DayCache(this.clock);
    this.listen();
  }

  close(): void {
    if (this.positionsRefreshTimer) clearTimeout(this.positionsRefreshTimer);
  }

  // -------------------------------------------------------------------------------------------------
  // Request/answer plumbing
  // -------------------------------------------------------------------------------------------------

  /**
   * Sends one request and collects the events carrying its request id until `onEvent` calls `done`.
   * `cancel` (if given) is sent afterwards to end IB-side subscriptions (account summary, positions).
   */
  private request<T>(spec: {
    label: string;
    priority: number;
    timeoutMs?: number;
    send: (api: IBApi, reqId: number) => void;
    onEvent: (event: string, args: unknown[], done: (value: T) => void) => void;
    cancel?: (api: IBApi, reqId: number) => void;
  }): Promise<T> {
    const reqId = this.conn.nextRequestId();
    const timeoutMs = spec.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      let finished = false;
      let timer: unknown;
      const finish = (error: BridgeError | undefined, value?: T): void => {
        if (finished) return;
        finished = true;
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.conn.unregister(reqId);
        if (spec.cancel) {
          const cancel = spec.cancel;
          try {
            this.conn.send(CANCEL_PRIORITY, `cancel ${spec.label}`, (api) => cancel(api, reqId));
          } catch {
            // disconnected: IB dropped the subscription with the socket
          }
        }
        if (error) reject(error);
        else resolve(value as T);
      };
      this.conn.register(reqId, {
        onEvent: (event, args) => spec.onEvent(event, args, (value) => finish(undefined, value)),
        onError: (error) => finish(error),
      });
      try {
        this.conn.send(spec.priority, spec.label, (api) => {
          // the clock starts when the message leaves, not while it waits its turn in the queue
          timer = this.clock.setTimeout(() => finish(timeoutError(spec.label, timeoutMs)), timeoutMs);
          spec.send(api, reqId);
        });
      } catch (err) {
        this.conn.unregister(reqId);
        finished = true;
        reject(err);
      }
    });
  }

  /** One request in flight per key; concurrent callers share its answer. */
  private singleFlight<T>(key: string, run: () => Promise<T>): Promise<T> {
    const existing = this.inflight.get(key);
    if (existing) return existing as Promise<T>;
    const p = run().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  // -------------------------------------------------------------------------------------------------
  // Contracts (cached for the day)
  // -------------------------------------------------------------------------------------------------

  private contractDetails(query: Contract, priority: number): Promise<ContractDetails[]> {
    const key = JSON.stringify(query);
    const cached = this.details.get(key);
    if (cached) return Promise.resolve(cached);
    return this.singleFlight(`details:${key}`, async () => {
      const found: ContractDetails[] = [];
      const result = await this.request<ContractDetails[]>({
        label: 'reqContractDetails',
        priority,
        send: (api, reqId) => api.reqContractDetails(reqId, query),
        onEvent: (event, args, done) => {
          if (event === EventName.contractDetails) found.push(args[1] as ContractDetails);
          else if (event === EventName.contractDetailsEnd) done(found);
        },
      });
      if (result.length === 0) throw ibError(200, 'No security definition has been found for the request');
      this.details.set(key, result);
      for (const d of result) {
        if (d.contract.conId) this.details.set(JSON.stringify({ conId: d.contract.conId }), [d]);
      }
      return result;
    });
  }

  private async contractById(conId: number, priority: number): Promise<Contract> {
    const [d] = await this.contractDetails({ conId }, priority);
    return d!.contract;
  }

  private async underlying(symbol: string, priority: number): Promise<Contract> {
    return (await this.underlyingDetails(symbol, priority)).contract;
  }

  private async underlyingDetails(symbol: string, priority: number): Promise<ContractDetails> {
    const found = await this.contractDetails(
      { symbol, secType: 'STK' as Contract['secType'], exchange: 'SMART', currency: 'USD' },
      priority,
    );
    return found[0]!;
  }

  /** GET /trading-hours: IB's session strings for the stock (day-cached with its contract details). */
  async tradingHours(symbol: string, priority: number): Promise<TradingHoursResponse> {
    const d = await this.underlyingDetails(symbol, priority);
    return {
      symbol,
      conId: d.contract.conId ?? 0,
      timeZoneId: d.timeZoneId ?? '',
      tradingHours: d.tradingHours ?? '',
      liquidHours: d.liquidHours ?? '',
    };
  }

  // -------------------------------------------------------------------------------------------------
  // GET /account, GET /positions
  // -------------------------------------------------------------------------------------------------

  account(priority: number): Promise<AccountResponse> {
    return this.singleFlight('account', async () => {
      const tags = [
        'NetLiquidation',
        'BuyingPower',
        'AvailableFunds',
        'ExcessLiquidity',
        'TotalCashValue',
        'InitMarginReq',
        'MaintMarginReq',
      ];
      const rows: { account: string; tag: string; value: string; currency: string }[] = [];
      await this.request<void>({
        label: 'reqAccountSummary',
        priority,
        send: (api, reqId) => api.reqAccountSummary(reqId, 'All', tags.join(',')),
        onEvent: (event, args, done) => {
          if (event === EventName.accountSummary) {
            rows.push({
              account: args[1] as string,
              tag: args[2] as string,
              value: args[3] as string,
              currency: args[4] as string,
            });
          } else if (event === EventName.accountSummaryEnd) done();
        },
        cancel: (api, reqId) => api.cancelAccountSummary(reqId),
      });
      const accountId = this.conn.accounts[0] ?? rows[0]?.account;
      if (!accountId) throw new BridgeError('NO_ACCOUNT', 'IB reported no managed account', 502, true);
      const value = (tag: string): number | undefined =>
        numericStringOrAbsent(rows.find((r) => r.account === accountId && r.tag === tag)?.value);
      const required = (tag: string): number => {
        const v = value(tag);
        if (v === undefined)
          throw new BridgeError('INCOMPLETE_ACCOUNT', `IB sent no ${tag} for the account`, 502, true);
        return v;
      };
      return {
        accountId,
        tradingMode: accountMode(accountId),
        currency: rows.find((r) => r.account === accountId && r.tag === 'NetLiquidation')?.currency || 'USD',
        netLiquidation: required('NetLiquidation'),
        buyingPower: required('BuyingPower'),
        availableFunds: required('AvailableFunds'),
        excessLiquidity: required('ExcessLiquidity'),
        totalCashValue: value('TotalCashValue'),
        initMarginReq: value('InitMarginReq'),
        maintMarginReq: value('MaintMarginReq'),
      };
    });
  }

  /** Positions IB holds (non-zero only). Every snapshot also feeds the PositionChanged events. */
  async positions(priority: number): Promise<PositionView[]> {
    const all = await this.positionSnapshot(priority);
    return [...all.values()].filter((p) => p.quantity !== 0);
  }

  private positionSnapshot(priority: number): Promise<Map<string, PositionView>> {
    return this.singleFlight('positions', () => {
      // positions are not keyed by request id: collect the broadcast events until positionEnd
      const rows = new Map<string, PositionView>();
      return new Promise<Map<string, PositionView>>((resolve, reject) => {
        let timer: unknown;
        const onPosition = (account: string, contract: Contract, pos: number, avgCost?: number): void => {
          const view: PositionView = {
            account,
            contract: contractView(contract),
            quantity: pos,
            averageCost: avgCost ?? 0,
          };
          rows.set(`${account}|${contract.conId}`, view);
        };
        const cleanup = (): void => {
          this.clock.clearTimeout(timer);
          this.conn.off(EventName.position, onPosition);
          this.conn.off(EventName.positionEnd, onEnd);
          this.conn.off('lost', onLost);
        };
        const onEnd = (): void => {
          cleanup();
          try {
            this.conn.send(CANCEL_PRIORITY, 'cancelPositions', (api) => api.cancelPositions());
          } catch {
            // disconnected: nothing to cancel
          }
          this.diffPositions(rows);
          resolve(rows);
        };
        const onLost = (reason: string): void => {
          cleanup();
          reject(new BridgeError('IB_NOT_READY', `IB connection lost: ${reason}`, 503, true));
        };
        this.conn.on(EventName.position, onPosition);
        this.conn.on(EventName.positionEnd, onEnd);
        this.conn.on('lost', onLost);
        try {
          this.conn.send(priority, 'reqPositions', (api) => {
            timer = this.clock.setTimeout(() => {
              cleanup();
              reject(timeoutError('reqPositions', this.requestTimeoutMs));
            }, this.requestTimeoutMs);
            api.reqPositions();
          });
        } catch (err) {
          cleanup();
          reject(err);
        }
      });
    });
  }

  private diffPositions(current: Map<string, PositionView>): void {
    const before = this.positionsBaseline;
    this.positionsBaseline = new Map(current);
    if (!before) return; // the first snapshot only sets the baseline
    const keys = new Set([...before.keys(), ...current.keys()]);
    for (const key of keys) {
      const was = before.get(key);
      const now = current.get(key);
      const previousQuantity = was?.quantity ?? 0;
      const quantity = now?.quantity ?? 0;
      if (previousQuantity === quantity) continue;
      const ref = (now ?? was)!;
      this.publish({
        type: 'PositionChanged',
        detail: {
          account: ref.account,
          contract: ref.contract,
          previousQuantity,
          quantity,
          averageCost: now?.averageCost ?? 0,
          time: this.clock.now(),
        },
      });
    }
  }

  /** After fills, look at positions again (debounced) so PositionChanged follows every change. */
  private schedulePositionRefresh(): void {
    if (this.positionsRefreshTimer) return;
    this.positionsRefreshTimer = setTimeout(() => {
      this.positionsRefreshTimer = undefined;
      this.positionSnapshot(ORDER_PRIORITY + 1).catch((err: unknown) =>
        this.logger.warn('position refresh failed', { error: String(err) }),
      );
    }, 250);
  }

  // -------------------------------------------------------------------------------------------------
  // GET /chain
  // -------------------------------------------------------------------------------------------------

  async chain(symbol: string, priority: number): Promise<ChainResponse> {
    let params = this.optionParams.get(symbol);
    if (!params) {
      const und = await this.underlying(symbol, priority);
      const rows: {
        exchange: string;
        tradingClass: string;
        multiplier: string;
        expirations: string[];
        strikes: number[];
      }[] = [];
      await this.request<void>({
        label: 'reqSecDefOptParams',
        priority,
        send: (api, reqId) =>
          api.reqSecDefOptParams(reqId, symbol, '', 'STK' as Contract['secType'] & string, und.conId!),
        onEvent: (event, args, done) => {
          if (event === EventName.securityDefinitionOptionParameter) {
            rows.push({
              exchange: args[1] as string,
              tradingClass: args[3] as string,
              multiplier: String(args[4]),
              expirations: args[5] as string[],
              strikes: args[6] as number[],
            });
          } else if (event === EventName.securityDefinitionOptionParameterEnd) done();
        },
      });
      // one row per exchange and trading class: the SMART row of the symbol's own class is the chain
      const row =
        rows.find((r) => r.exchange === 'SMART' && r.tradingClass === symbol) ??
        rows.find((r) => r.exchange === 'SMART') ??
        rows[0];
      if (!row) throw ibError(200, `No option parameters for ${symbol}`);
      params = {
        symbol,
        underlyingConId: und.conId!,
        exchange: row.exchange,
        tradingClass: row.tradingClass,
        multiplier: Number(row.multiplier) || 100,
        expirations: [
          ...new Set(row.expirations.map((e) => isoFromIb(e)).filter((e): e is string => e !== undefined)),
        ].sort(),
        strikes: [...new Set(row.strikes.filter((s) => Number.isFinite(s) && s > 0))].sort((a, b) => a - b),
      };
      this.optionParams.set(symbol, params);
    }
    const [quote] = await this.quotes([{ conId: params.underlyingConId, secType: 'STK' }], priority);
    const mid =
      quote?.bid !== undefined && quote.ask !== undefined && quote.bid > 0
        ? (quote.bid + quote.ask) / 2
        : undefined;
    const underlyingPrice = mid ?? quote?.last ?? quote?.close;
    return { ...params, underlyingPrice, underlyingPriceStale: mid === undefined || (quote?.stale ?? true) };
  }

  // -------------------------------------------------------------------------------------------------
  // POST /quotes
  // -------------------------------------------------------------------------------------------------

  /** Quotes in request order; each streams until complete, then its line is cancelled. */
  async quotes(contracts: QuoteContract[], priority: number, signal?: AbortSignal): Promise<Quote[]> {
    // a request that cannot be served at all is one 503, not a list of per-contract errors
    if (!this.conn.canSend()) throw notConnected(this.conn.reason ?? this.conn.state);
    await this.qualifyInGroups(contracts, priority);
    const byKey = new Map<string, Promise<Quote>>();
    return Promise.all(
      contracts.map((c) => {
        const key = JSON.stringify(c);
        let p = byKey.get(key);
        if (!p) {
          p = this.quoteOne(c, priority, signal);
          byKey.set(key, p);
        }
        return p;
      }),
    );
  }

  /** Options of one expiry and right are qualified with one partial request instead of one each. */
  private async qualifyInGroups(contracts: QuoteContract[], priority: number): Promise<void> {
    const groups = new Map<string, QuoteContract[]>();
    for (const c of contracts) {
      if (c.conId !== undefined || c.secType !== 'OPT') continue;
      const key = `${c.symbol}|${c.expiry}|${c.right}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    await Promise.all(
      [...groups.values()]
        .filter((g) => g.length >= 3)
        .map((g) =>
          this.contractDetails(optionQuery(g[0]!, false), priority).catch(
            () => undefined /* per contract below */,
          ),
        ),
    );
  }

  private async resolveQuoteContract(c: QuoteContract, priority: number): Promise<Contract> {
    const exchange = c.exchange ?? (c.secType === 'IND' ? 'CBOE' : 'SMART');
    if (c.conId !== undefined)
      return {
        conId: c.conId,
        secType: c.secType as Contract['secType'],
        exchange,
        currency: c.currency ?? 'USD',
      };
    if (c.secType === 'OPT') {
      const group = this.details.get(JSON.stringify(optionQuery(c, false)));
      const match = group?.filter((d) => d.contract.strike === c.strike);
      if (match && match.length > 0) {
        const chosen = match.find((d) => d.contract.tradingClass === c.symbol) ?? match[0]!;
        return { ...chosen.contract, exchange };
      }
      const [d] = await this.contractDetails(optionQuery(c, true), priority);
      return { ...d!.contract, exchange };
    }
    const query: Contract = {
      symbol: c.symbol,
      secType: c.secType as Contract['secType'],
      exchange,
      currency: c.currency ?? 'USD',
    };
    if (c.expiry) query.lastTradeDateOrContractMonth = c.expiry.replaceAll('-', '');
    const [d] = await this.contractDetails(query, priority);
    return { ...d!.contract, exchange };
  }

  /** `needsGreeks` false completes on bid and ask alone (the order guard's price band). */
  private async quoteOne(
    spec: QuoteContract,
    priority: number,
    signal?: AbortSignal,
    needsGreeks = spec.secType === 'OPT',
  ): Promise<Quote> {
    const echo: Quote['contract'] = { secType: spec.secType };
    if (spec.conId !== undefined) echo.conId = spec.conId;
    if (spec.symbol) echo.symbol = spec.symbol;
    if (spec.expiry) echo.expiry = spec.expiry;
    if (spec.strike !== undefined) echo.strike = spec.strike;
    if (spec.right) echo.right = spec.right;
    let contract: Contract;
    try {
      contract = await this.resolveQuoteContract(spec, priority);
    } catch (err) {
      return { contract: echo, timestamp: this.clock.now(), stale: true, error: errorOf(err) };
    }
    if (contract.conId) echo.conId = contract.conId;
    if (contract.symbol) echo.symbol = contract.symbol;
    if (contract.lastTradeDateOrContractMonth) echo.expiry = isoFromIb(contract.lastTradeDateOrContractMonth);
    if (contract.strike) echo.strike = contract.strike;
    if (contract.right === 'C' || contract.right === 'P') echo.right = contract.right;
    if (contract.multiplier) echo.multiplier = Number(contract.multiplier);
    const gone = (): Quote => ({
      contract: echo,
      timestamp: this.clock.now(),
      stale: true,
      error: { code: 'CANCELLED', message: 'the client went away', retryable: true },
    });
    let release: ReleaseLine;
    try {
      release = await this.lines.acquire(priority, signal);
    } catch {
      return gone();
    }
    if (signal?.aborted) {
      release();
      return gone();
    }
    return this.streamQuote(contract, echo, needsGreeks, priority, release, signal);
  }

  private streamQuote(
    contract: Contract,
    echo: Quote['contract'],
    needsGreeks: boolean,
    priority: number,
    release: ReleaseLine,
    signal?: AbortSignal,
  ): Promise<Quote> {
    return new Promise<Quote>((resolve) => {
      const q: Omit<Quote, 'contract' | 'timestamp' | 'stale'> = {};
      const greeks: Partial<Record<'iv' | 'delta' | 'gamma' | 'theta' | 'vega' | 'underlyingPrice', number>> =
        {};
      let modelSeen = false;
      // IB's delayed tick types (66–76 prices and sizes, 80–83 option computations) or its 10167/10168
      // warning on the request mark the whole quote.
      let delayed = false;
      let reqId = 0;
      let timer: unknown;
      let finished = false;
      const active = { resubscribe: (): void => subscribe() };

      const complete = (): boolean => {
        const hasPrices =
          contract.secType === 'IND'
            ? q.last !== undefined || q.close !== undefined
            : q.bid !== undefined && q.ask !== undefined;
        if (!hasPrices) return false;
        if (!needsGreeks) return true;
        return ['iv', 'delta', 'gamma', 'theta', 'vega'].every(
          (k) => greeks[k as keyof typeof greeks] !== undefined,
        );
      };

      const onAbort = (): void => finish(true);
      const finish = (stale: boolean, error?: BridgeError, lineHeld = true): void => {
        if (finished) return;
        finished = true;
        signal?.removeEventListener('abort', onAbort);
        this.activeQuotes.delete(active);
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.conn.unregister(reqId);
        if (lineHeld) {
          // the line stays counted until the cancel has actually left for IB
          const id = reqId;
          try {
            this.conn.send(
              CANCEL_PRIORITY,
              'cancelMktData',
              (api) => {
                api.cancelMktData(id);
                release();
              },
              release,
            );
          } catch {
            release(); // disconnected: IB dropped the line with the socket
          }
        } else {
          release();
        }
        const quote: Quote = { contract: echo, ...q, ...greeks, timestamp: this.clock.now(), stale };
        if (delayed) {
          quote.delayed = true;
          this.delayedQuotes += 1;
        }
        if (error) quote.error = error.toBody().error;
        resolve(quote);
      };

      const onEvent = (event: string, args: unknown[]): void => {
        if (event === EventName.tickPrice) {
          const [, field, value] = args as [number, number, number];
          if (field >= 66 && field <= 76) delayed = true;
          const price = priceOrAbsent(value);
          if (price === undefined) return;
          if (field === 1 || field === 66) q.bid = price;
          else if (field === 2 || field === 67) q.ask = price;
          else if (field === 4 || field === 68) q.last = price;
          else if (field === 9 || field === 75) q.close = price;
        } else if (event === EventName.tickSize) {
          const [, field, value] = args as [number, number, number];
          if (field >= 66 && field <= 76) delayed = true;
          const size = sizeOrAbsent(value);
          if (size === undefined) return;
          if (field === 0 || field === 69) q.bidSize = size;
          else if (field === 3 || field === 70) q.askSize = size;
          else if (field === 8 || field === 74) q.volume = size;
          else if (field === 22 || field === 27 || field === 28 || field === 86) q.openInterest = size;
        } else if (event === EventName.tickOptionComputation) {
          const [, field, , iv, delta, , , gamma, vega, theta, undPrice] = args as number[];
          if (field !== undefined && field >= 80 && field <= 83) delayed = true;
          const isModel = field === 13 || field === 83;
          // prefer the model computation; bid/ask/last computations only fill gaps until it comes
          if (!isModel && modelSeen) return;
          if (isModel) modelSeen = true;
          const set = (key: keyof typeof greeks, v: number | undefined): void => {
            if (v !== undefined) greeks[key] = v;
          };
          set('iv', computedPriceOrAbsent(iv));
          set('delta', deltaOrAbsent(delta));
          set('gamma', greekOrAbsent(gamma));
          set('vega', greekOrAbsent(vega));
          set('theta', greekOrAbsent(theta));
          set('underlyingPrice', computedPriceOrAbsent(undPrice));
        } else if (event === EventName.marketDataType) {
          // IB says which data the line carries: 3 delayed, 4 delayed-frozen
          if (Number(args[1]) >= 3) delayed = true;
          return;
        } else {
          return;
        }
        if (complete()) finish(false);
      };

      const subscribe = (): void => {
        if (finished) return;
        if (reqId) this.conn.unregister(reqId);
        reqId = this.conn.nextRequestId();
        const id = reqId;
        this.conn.register(id, {
          onEvent,
          onError: (error) => {
            // an IB error for the request means IB holds no line for it; a lost connection the same
            finish(true, error, false);
          },
          onWarning: (code) => {
            // 10167 "not subscribed, displaying delayed market data", 10168 "delayed data not enabled"
            if (code === 10167 || code === 10168) delayed = true;
          },
        });
        try {
          this.conn.send(
            priority,
            'reqMktData',
            (api) => {
              if (timer === undefined) timer = this.clock.setTimeout(() => finish(true), this.quoteTimeoutMs);
              // generic tick 101 = option open interest; streaming (not snapshot) so the greeks come too
              api.reqMktData(id, contract, needsGreeks ? '101' : '', false, false);
            },
            () => finish(true, undefined, false),
          );
        } catch (err) {
          finish(true, err instanceof BridgeError ? err : undefined, false);
        }
      };

      this.activeQuotes.add(active);
      signal?.addEventListener('abort', onAbort, { once: true });
      subscribe();
    });
  }

  // -------------------------------------------------------------------------------------------------
  // GET /history
  // -------------------------------------------------------------------------------------------------

  history(query: HistoryQuery, priority: number): Promise<HistoryResponse> {
    const key = `${query.symbol}|${query.what}|${query.days}`;
    const cached = this.historyCache.get(key);
    // IB refuses an identical historical request within 15 s (162): a minute of reuse avoids it
    if (cached && this.clock.now() - cached.at < 60_000) return Promise.resolve(cached.response);
    return this.singleFlight(`history:${key}`, async () => {
      const contract = (await this.underlying(query.symbol, priority)) as Contract;
      // N trading days span about 7/5 × N calendar days plus holidays; ask for enough, keep the last N
      const calendarDays = Math.ceil((query.days * 7) / 5) + 10;
      const duration = calendarDays <= 365 ? `${calendarDays} D` : `${Math.ceil(calendarDays / 365)} Y`;
      const bars: Bar[] = [];
      await this.request<void>({
        label: 'reqHistoricalData',
        priority,
        timeoutMs: Math.max(this.requestTimeoutMs, 30_000),
        send: (api, reqId) =>
          api.reqHistoricalData(
            reqId,
            {
              conId: contract.conId,
              symbol: contract.symbol,
              secType: contract.secType,
              exchange: 'SMART',
              currency: contract.currency ?? 'USD',
            },
            '',
            duration,
            '1 day' as Parameters<typeof api.reqHistoricalData>[4],
            query.what as Parameters<typeof api.reqHistoricalData>[5],
            1,
            1,
            false,
          ),
        onEvent: (event, args, done) => {
          if (event !== EventName.historicalData) return;
          const [, time, open, high, low, close, volume, count, wap] = args as [
            number,
            string,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
          ];
          if (String(time).startsWith('finished')) {
            done();
            return;
          }
          const date = isoFromIb(String(time));
          if (!date) return;
          const bar: Bar = { date, open, high, low, close };
          const v = sizeOrAbsent(volume);
          if (v !== undefined) bar.volume = v;
          const w = computedPriceOrAbsent(wap);
          if (w !== undefined) bar.wap = w;
          const n = sizeOrAbsent(count);
          if (n !== undefined) bar.barCount = n;
          bars.push(bar);
        },
      });
      bars.sort((a, b) => a.date.localeCompare(b.date));
      const response: HistoryResponse = {
        symbol: query.symbol,
        what: query.what,
        bars: bars.slice(-query.days),
      };
      this.historyCache.set(key, { at: this.clock.now(), response });
      return response;
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Orders
  // -------------------------------------------------------------------------------------------------

  private withOrderLock<T>(run: () => Promise<T>): Promise<T> {
    const next = this.orderLock.then(run, run);
    this.orderLock = next.catch(() => undefined);
    return next;
  }

  /** The IB contract for a set of legs: the option itself for one leg, else a BAG combo on SMART. */
  private async orderContract(
    legs: OrderLeg[],
    priority: number,
  ): Promise<{ contract: Contract; symbol: string; flip: boolean; ratio: number; legContracts: Contract[] }> {
    const contracts = await Promise.all(legs.map((l) => this.contractById(l.conId, priority)));
    const symbols = new Set(contracts.map((c) => c.symbol));
    if (symbols.size !== 1) throw invalidInput('legs', 'every leg must have the same underlying symbol');
    const symbol = contracts[0]!.symbol!;
    if (legs.length === 1) {
      const leg = legs[0]!;
      const c = contracts[0]!;
      return {
        contract: {
          conId: c.conId,
          symbol,
          secType: c.secType,
          exchange: 'SMART',
          currency: c.currency ?? 'USD',
        },
        symbol,
        flip: leg.action === 'SELL',
        ratio: leg.ratio,
        legContracts: contracts,
      };
    }
    return {
      contract: {
        symbol,
        secType: 'BAG' as Contract['secType'],
        exchange: 'SMART',
        currency: 'USD',
        comboLegs: legs.map((l) => ({
          conId: l.conId,
          ratio: l.ratio,
          action: l.action as never,
          exchange: 'SMART',
        })),
      },
      symbol,
      flip: false,
      ratio: 1,
      legContracts: contracts,
    };
  }

  // -------------------------------------------------------------------------------------------------
  // The order guard's I/O (the rules are in order-guard.ts)
  // -------------------------------------------------------------------------------------------------

  /** Contracts of opening orders placed today (New York trade date). */
  private openedToday(): number {
    const today = nyDate(this.clock.now());
    if (this.opened.day !== today) this.opened = { day: today, contracts: 0 };
    return this.opened.contracts;
  }

  /** What /health says about orders: allowed at all, the limits, today's count. No account data. */
  orderGuardStatus(): NonNullable<HealthResponse['orders']> {
    const account = this.conn.accounts[0];
    const refusal = account ? checkTradingMode(this.tradingMode, account) : undefined;
    return {
      allowed: account !== undefined && refusal === undefined,
      expectedTradingMode: this.tradingMode,
      // the refusal names modes only, never the account id (/health is unsigned)
      ...(refusal ? { reason: refusal.message } : account ? {} : { reason: 'no account reported by IB yet' }),
      contractsOpenedToday: this.openedToday(),
      maxContractsPerOrder: this.limits.maxContractsPerOrder,
      maxContractsPerDay: this.limits.maxContractsPerDay,
      priceBandWidthFraction: this.limits.priceBandWidthFraction,
    };
  }

  private refuse(refusal: GuardRefusal | undefined): void {
    if (!refusal) return;
    this.logger.warn('order refused by the guard', { rule: refusal.rule, reason: refusal.message });
    throw new BridgeError(refusal.rule, refusal.message, 422, false);
  }

  /** The bridge's own bid and ask of each leg (prices only: no wait for greeks), at order priority. */
  private async legQuotes(contracts: Contract[]): Promise<LegQuote[]> {
    const quotes = await Promise.all(
      contracts.map((c) =>
        this.quoteOne(
          { secType: c.secType as QuoteContract['secType'], conId: c.conId! },
          ORDER_PRIORITY,
          undefined,
          false,
        ),
      ),
    );
    return quotes.map((q) => ({ bid: q.bid, ask: q.ask }));
  }

  /** Signed positions per conId once every working order the bridge knows is done. */
  private async heldAfterWorkingOrders(): Promise<Map<number, number>> {
    const held = new Map<number, number>();
    for (const p of await this.positions(ORDER_PRIORITY + 1)) {
      held.set(p.contract.conId, (held.get(p.contract.conId) ?? 0) + p.quantity);
    }
    for (const r of this.orders.values()) {
      const order = guardedOf(r);
      if (!order || !WORKING.has(r.status) || r.remaining <= 0) continue;
      for (const [conId, trade] of legTrades({ ...order, quantity: r.remaining })) {
        held.set(conId, (held.get(conId) ?? 0) + trade);
      }
    }
    return held;
  }

  private buildOrder(body: WhatIfRequest, flip: boolean, ratio: number): Order {
    const action = flip ? (body.action === 'BUY' ? 'SELL' : 'BUY') : body.action;
    const order: Order = {
      orderType: 'LMT' as Order['orderType'],
      action: action as Order['action'],
      totalQuantity: body.quantity * ratio,
      // one leg sold through a "BUY" of it: the price flips sign with the action, and a ratio r
      // leg carries r times the price in the combo convention
      lmtPrice: (flip ? -body.limitPrice : body.limitPrice) / ratio,
      tif: body.tif as Order['tif'],
      transmit: true,
    };
    const account = this.conn.accounts[0];
    if (account) order.account = account;
    return order;
  }

  async whatIf(body: WhatIfRequest, priority: number): Promise<WhatIfResponse> {
    const { contract, flip, ratio } = await this.orderContract(body.legs, priority);
    const order = { ...this.buildOrder(body, flip, ratio), whatIf: true };
    const orderId = this.conn.takeOrderId();
    const state = await new Promise<OrderState>((resolve, reject) => {
      let timer: unknown;
      const unwait = this.waitOrder(orderId, (signal) => {
        if (signal.kind === 'error') {
          done();
          reject(ibError(signal.code, signal.message));
        }
      });
      const done = (): void => {
        this.clock.clearTimeout(timer);
        unwait();
        this.whatIfWaiters.delete(orderId);
      };
      this.whatIfWaiters.set(orderId, (s) => {
        done();
        resolve(s);
      });
      try {
        this.conn.send(ORDER_PRIORITY, 'placeOrder(whatIf)', (api) => {
          timer = this.clock.setTimeout(() => {
            done();
            reject(timeoutError('what-if order', this.orderTimeoutMs));
          }, this.orderTimeoutMs);
          api.placeOrder(orderId, contract, order);
        });
      } catch (err) {
        done();
        reject(err);
      }
    });
    const out: WhatIfResponse = {};
    const numericKeys = [
      'initMarginBefore',
      'initMarginChange',
      'initMarginAfter',
      'maintMarginBefore',
      'maintMarginChange',
      'maintMarginAfter',
      'equityWithLoanBefore',
      'equityWithLoanChange',
      'equityWithLoanAfter',
      'commission',
      'minCommission',
      'maxCommission',
    ] as const;
    for (const k of numericKeys) {
      const v = numericStringOrAbsent(state[k]);
      if (v !== undefined) out[k] = v;
    }
    if (state.commissionCurrency) out.commissionCurrency = state.commissionCurrency;
    if (state.warningText) out.warningText = state.warningText;
    return out;
  }

  placeOrder(body: PlaceOrderRequest, priority: number): Promise<PlaceOrderResponse> {
    // one placement at a time, so two requests with the same orderRef cannot both pass the check
    return this.withOrderLock(async () => {
      const existing = await this.findByOrderRef(body.orderRef, priority);
      const live = existing.find((o) => WORKING.has(o.status) || o.filled > 0 || o.fills.length > 0);
      if (live) return { ...live, duplicate: true };

      this.refuse(checkTradingMode(this.tradingMode, this.conn.accounts[0]));
      const { contract, symbol, flip, ratio, legContracts } = await this.orderContract(body.legs, priority);
      const [held, quotes] = await Promise.all([this.heldAfterWorkingOrders(), this.legQuotes(legContracts)]);
      const verdict = guardOrder({
        order: body,
        contracts: legContracts.map(legContractOf),
        quotes,
        held,
        placedToday: this.openedToday(),
        limits: this.limits,
      });
      if (!verdict.ok) this.refuse(verdict.refusal);
      const effect = verdict.ok ? verdict.effect : 'OPEN';
      const order: Order = { ...this.buildOrder(body, flip, ratio), orderRef: body.orderRef };
      const orderId = this.conn.takeOrderId();
      const record: OrderRecord = {
        orderId,
        tradeDate: nyDate(this.clock.now()),
        orderRef: body.orderRef,
        status: 'PendingSubmit',
        filled: 0,
        remaining: body.quantity,
        action: body.action,
        quantity: body.quantity,
        limitPrice: body.limitPrice,
        symbol,
        legs: body.legs,
        contract,
        order,
        effect,
        publishedFilled: 0,
        fills: new Map(),
      };
      this.orders.set(orderId, record);
      // counted once sent (a refusal by IB still counts: the day's cap bounds what the bridge sends);
      // modifications never add to it
      if (effect === 'OPEN') this.opened.contracts += verdict.ok ? verdict.contracts : 0;
      await this.sendOrderAndWait(
        orderId,
        'placeOrder',
        (api) => api.placeOrder(orderId, contract, order),
        (status) => status !== 'PendingSubmit' && status !== 'ApiPending',
      );
      return { ...this.view(this.orders.get(orderId)!), duplicate: false };
    });
  }

  async modifyOrder(orderId: number, limitPrice: number, priority: number): Promise<OrderView> {
    let record = this.orders.get(orderId);
    if (!record?.contract || !record.order) {
      await this.openOrders(priority);
      record = this.orders.get(orderId);
    }
    if (!record?.contract || !record.order)
      throw new BridgeError(135, `Can't find order with id ${orderId}`, 404, false);
    if (!WORKING.has(record.status))
      throw new BridgeError(104, `Order ${orderId} is ${record.status}; it cannot be modified`, 409, false);
    this.refuse(checkTradingMode(this.tradingMode, this.conn.accounts[0]));
    const guarded = guardedOf(record);
    if (!guarded)
      throw new BridgeError(
        'PRICE_BAND',
        `order ${orderId}: its legs are unknown, so its price cannot be checked`,
        422,
        false,
      );
    const legContracts = await Promise.all(
      guarded.legs.map((l) => this.contractById(l.conId, ORDER_PRIORITY)),
    );
    const quotes = await this.legQuotes(legContracts);
    // an order placed before a restart: judged against the positions as they are
    const effect = record.effect ?? positionEffect(guarded, await this.heldAfterWorkingOrders());
    this.refuse(
      guardModification({
        order: { ...guarded, limitPrice },
        contracts: legContracts.map(legContractOf),
        quotes,
        effect,
        limits: this.limits,
      }),
    );
    const body = record;
    const flip = body.legs?.length === 1 && body.legs[0]!.action === 'SELL';
    const order: Order = { ...record.order, lmtPrice: flip ? -limitPrice : limitPrice, transmit: true };
    const contract = record.contract;
    record.order = order;
    record.limitPrice = limitPrice;
    await this.sendOrderAndWait(
      orderId,
      'placeOrder(modify)',
      (api) => api.placeOrder(orderId, contract, order),
      () => true,
    );
    return this.view(this.orders.get(orderId)!);
  }

  async cancelOrder(orderId: number, priority: number): Promise<OrderView> {
    let record = this.orders.get(orderId);
    if (!record) {
      await this.openOrders(priority);
      record = this.orders.get(orderId);
    }
    if (!record)
      throw new BridgeError(10147, `OrderId ${orderId} that needs to be cancelled is not found`, 404, false);
    if (record.status === 'Cancelled' || record.status === 'ApiCancelled') return this.view(record);
    if (record.status === 'Filled')
      throw new BridgeError(161, `Order ${orderId} is already filled`, 409, false);
    // answered only once IB confirms: a Cancelled status or its 202 "order cancelled" message
    await this.sendOrderAndWait(
      orderId,
      'cancelOrder',
      (api) => api.cancelOrder(orderId),
      (status) => status === 'Cancelled' || status === 'ApiCancelled' || status === 'Filled',
      202,
    );
    const after = this.orders.get(orderId)!;
    if (after.status === 'Filled')
      throw new BridgeError(161, `Order ${orderId} filled before the cancel`, 409, false);
    if (after.status !== 'Cancelled' && after.status !== 'ApiCancelled') after.status = 'Cancelled';
    return this.view(after);
  }

  private sendOrderAndWait(
    orderId: number,
    label: string,
    send: (api: IBApi) => void,
    isAnswer: (status: string) => boolean,
    successCode?: number,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const done = (): void => {
        this.clock.clearTimeout(timer);
        if (grace !== undefined) this.clock.clearTimeout(grace);
        unwait();
      };
      let grace: unknown;
      const unwait = this.waitOrder(orderId, (signal) => {
        if (signal.kind === 'status') {
          if (signal.status === 'Inactive' && grace === undefined) {
            // a rejection comes as status Inactive plus error 201, in either order: wait for the reason
            grace = this.clock.setTimeout(() => {
              done();
              resolve();
            }, 1000);
          } else if (signal.status !== 'Inactive' && isAnswer(signal.status)) {
            done();
            resolve();
          }
        } else if (signal.code === successCode) {
          done();
          resolve();
        } else {
          done();
          reject(ibError(signal.code, signal.message));
        }
      });
      try {
        this.conn.send(ORDER_PRIORITY, label, (api) => {
          timer = this.clock.setTimeout(() => {
            done();
            reject(timeoutError(label, this.orderTimeoutMs));
          }, this.orderTimeoutMs);
          send(api);
        });
      } catch (err) {
        done();
        reject(err);
      }
    });
  }

  private waitOrder(orderId: number, listener: (signal: OrderSignal) => void): () => void {
    let set = this.orderWaiters.get(orderId);
    if (!set) {
      set = new Set();
      this.orderWaiters.set(orderId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.orderWaiters.delete(orderId);
    };
  }

  private signal(orderId: number, signal: OrderSignal): void {
    for (const l of [...(this.orderWaiters.get(orderId) ?? [])]) l(signal);
  }

  /** Every open order IB reports (all API clients and TWS), refreshed from IB. */
  openOrders(priority: number): Promise<OrderView[]> {
    return this.singleFlight('openOrders', () => {
      const ids = new Set<number>();
      return new Promise<OrderView[]>((resolve, reject) => {
        let timer: unknown;
        const onEnd = (): void => {
          cleanup();
          resolve(
            [...ids]
              .map((id) => this.orders.get(id))
              .filter((r): r is OrderRecord => r !== undefined && !DONE.has(r.status))
              .map((r) => this.view(r)),
          );
        };
        const onLost = (reason: string): void => {
          cleanup();
          reject(new BridgeError('IB_NOT_READY', `IB connection lost: ${reason}`, 503, true));
        };
        const cleanup = (): void => {
          this.clock.clearTimeout(timer);
          this.openOrderCollector = undefined;
          this.conn.off(EventName.openOrderEnd, onEnd);
          this.conn.off('lost', onLost);
        };
        this.openOrderCollector = (id) => ids.add(id);
        this.conn.on(EventName.openOrderEnd, onEnd);
        this.conn.on('lost', onLost);
        try {
          this.conn.send(priority, 'reqAllOpenOrders', (api) => {
            timer = this.clock.setTimeout(() => {
              cleanup();
              reject(timeoutError('reqAllOpenOrders', this.requestTimeoutMs));
            }, this.requestTimeoutMs);
            api.reqAllOpenOrders();
          });
        } catch (err) {
          cleanup();
          reject(err);
        }
      });
    });
  }

  /** Today's executions (what IB still reports), with commissions and orderRef. */
  executions(sinceMs: number | undefined, priority: number): Promise<ExecutionView[]> {
    return this.singleFlight(`executions`, async () => {
      const rows: { contract: Contract; execution: Execution }[] = [];
      await this.request<void>({
        label: 'reqExecutions',
        priority,
        send: (api, reqId) => api.reqExecutions(reqId, {}),
        onEvent: (event, args, done) => {
          if (event === EventName.execDetails)
            rows.push({ contract: args[1] as Contract, execution: args[2] as Execution });
          else if (event === EventName.execDetailsEnd) done();
        },
      });
      // commission reports trail their executions; give stragglers a moment
      const missing = (): boolean =>
        rows.some((r) => r.execution.execId && !this.commissions.has(r.execution.execId));
      for (let i = 0; i < 10 && missing(); i++) await new Promise((r) => setTimeout(r, 50));
      for (const r of rows) this.recordFill(r.contract, r.execution);
      return rows.map((r) => this.executionView(r.contract, r.execution));
    }).then((all) => (sinceMs === undefined ? all : all.filter((e) => e.time >= sinceMs)));
  }

  /** Orders with this orderRef: known to the bridge, open at IB, or with executions today. */
  async findByOrderRef(orderRef: string, priority: number): Promise<OrderView[]> {
    this.forgetFinishedDays();
    await this.openOrders(priority);
    const executions = await this.executions(undefined, priority);
    const found = new Map<number, OrderView>();
    for (const r of this.orders.values()) {
      if (r.orderRef === orderRef) found.set(r.orderId, this.view(r));
    }
    for (const e of executions) {
      if (e.orderRef !== orderRef || found.has(e.orderId)) continue;
      // executions of an order the bridge never saw (placed before a restart): rebuild what we can
      const fills = executions.filter((x) => x.orderId === e.orderId);
      const bag = fills.filter((x) => x.contract.secType === 'BAG');
      const filled = Math.max(0, ...(bag.length > 0 ? bag : fills).map((x) => x.cumQty ?? x.shares));
      found.set(e.orderId, {
        orderId: e.orderId,
        permId: e.permId,
        orderRef,
        status: 'Filled',
        filled,
        remaining: 0,
        fills,
      });
    }
    return [...found.values()];
  }

  /** Orders of earlier days that are no longer working (and their commissions) are forgotten. */
  private forgetFinishedDays(): void {
    const today = nyDate(this.clock.now());
    for (const [id, r] of this.orders) {
      if (r.tradeDate === today || WORKING.has(r.status)) continue;
      for (const execId of r.fills.keys()) this.commissions.delete(execId);
      this.orders.delete(id);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Broadcast events: order state, fills, commissions
  // -------------------------------------------------------------------------------------------------

  private listen(): void {
    this.conn.on(
      EventName.openOrder,
      (orderId: number, contract: Contract, order: Order, state: OrderState) => {
        if (order.whatIf) {
          this.whatIfWaiters.get(orderId)?.(state);
          return;
        }
        this.openOrderCollector?.(orderId);
        const r = this.record(orderId);
        // keep what the bridge sent; for an order it did not send (placed before a restart) keep
        // only the fields a modification needs, not every decoded field of IB's order
        r.contract ??= orderContractFrom(contract);
        r.order ??= limitOrderFrom(order);
        if (order.orderRef) r.orderRef = order.orderRef;
        if (order.permId) r.permId = order.permId;
        if (order.action === 'BUY' || order.action === 'SELL') r.action ??= order.action;
        r.quantity ??= order.totalQuantity;
        if (r.limitPrice === undefined && order.lmtPrice !== undefined)
          r.limitPrice = priceOrAbsent(order.lmtPrice);
        r.symbol ??= contract.symbol;
        if (!r.legs && contract.comboLegs?.length) {
          r.legs = contract.comboLegs.map((l) => ({
            conId: l.conId!,
            action: l.action as 'BUY' | 'SELL',
            ratio: l.ratio ?? 1,
          }));
        }
        // IB sends a fill's OPEN_ORDER (status Filled) before the ORDER_STATUS with the quantities. Taking
        // Filled from it would let a caller see "Filled, 0 filled" (and a waiting placeOrder answer so):
        // Filled is taken from ORDER_STATUS only, which carries filled and remaining with it.
        if (state?.status && state.status !== 'Filled') this.updateStatus(r, String(state.status));
      },
    );
    this.conn.on(
      EventName.orderStatus,
      (
        orderId: number,
        status: string,
        filled: number,
        remaining: number,
        avgFillPrice: number,
        permId?: number,
        _parentId?: number,
        lastFillPrice?: number,
      ) => {
        const r = this.record(orderId);
        r.filled = filled ?? r.filled;
        r.remaining = remaining ?? r.remaining;
        const avg = priceOrAbsent(avgFillPrice);
        if (avg !== undefined && filled > 0) r.averagePrice = avg;
        const last = priceOrAbsent(lastFillPrice);
        if (last !== undefined && filled > 0) r.lastFillPrice = last;
        if (permId) r.permId = permId;
        this.updateStatus(r, status);
        if (r.filled > r.publishedFilled) {
          r.publishedFilled = r.filled;
          this.publish({
            type: 'OrderFilled',
            detail: {
              orderId,
              permId: r.permId,
              orderRef: r.orderRef,
              status: r.status,
              filled: r.filled,
              remaining: r.remaining,
              averagePrice: r.averagePrice,
              lastFillPrice: r.lastFillPrice,
              time: this.clock.now(),
            },
          });
          this.schedulePositionRefresh();
        }
      },
    );
    this.conn.on(EventName.execDetails, (reqId: number, contract: Contract, execution: Execution) => {
      // request id −1: IB reports a fill as it happens (not an answer to reqExecutions)
      this.recordFill(contract, execution, reqId === -1);
    });
    this.conn.on(EventName.commissionReport, (report: CommissionReport) => {
      if (report.execId) this.commissions.set(report.execId, report);
    });
    this.conn.on('idError', (id: number, code: number, message: string) => {
      const r = this.orders.get(id);
      if (r && (code === 201 || code === 202)) this.updateStatus(r, code === 202 ? 'Cancelled' : 'Inactive');
      this.signal(id, { kind: 'error', code, message });
    });
    this.conn.on('ready', () => {
      // a baseline of positions at every (re)connection: changes made while the bridge was away are
      // published on the next snapshot, and the first fill after start has something to compare with
      this.positionSnapshot(15).catch((err: unknown) =>
        this.logger.warn('position baseline failed', { error: String(err) }),
      );
    });
    this.conn.on('marketDataLost', () => {
      for (const q of [...this.activeQuotes]) q.resubscribe();
    });
  }

  private record(orderId: number): OrderRecord {
    let r = this.orders.get(orderId);
    if (!r) {
      r = {
        orderId,
        tradeDate: nyDate(this.clock.now()),
        status: 'Unknown',
        filled: 0,
        remaining: 0,
        publishedFilled: 0,
        fills: new Map(),
      };
      this.orders.set(orderId, r);
    }
    return r;
  }

  private updateStatus(r: OrderRecord, status: string): void {
    r.status = status;
    this.signal(r.orderId, { kind: 'status', status });
  }

  private recordFill(contract: Contract, execution: Execution, live = false): void {
    if (execution.orderId === undefined || !execution.execId) return;
    const r = this.orders.get(execution.orderId);
    if (!r) return;
    if (live && !r.fills.has(execution.execId)) this.schedulePositionRefresh();
    r.fills.set(execution.execId, { contract, execution });
    if (execution.orderRef && !r.orderRef) r.orderRef = execution.orderRef;
  }

  private view(r: OrderRecord): OrderView {
    const v: OrderView = {
      orderId: r.orderId,
      status: r.status,
      filled: r.filled,
      remaining: r.remaining,
      fills: [...r.fills.values()].map((f) => this.executionView(f.contract, f.execution)),
    };
    if (r.permId !== undefined) v.permId = r.permId;
    if (r.orderRef !== undefined) v.orderRef = r.orderRef;
    if (r.action) v.action = r.action;
    if (r.quantity !== undefined) v.quantity = r.quantity;
    if (r.limitPrice !== undefined) v.limitPrice = r.limitPrice;
    if (r.averagePrice !== undefined) v.averagePrice = r.averagePrice;
    if (r.lastFillPrice !== undefined) v.lastFillPrice = r.lastFillPrice;
    if (r.symbol) v.symbol = r.symbol;
    if (r.legs) v.legs = r.legs;
    return v;
  }

  private executionView(contract: Contract, e: Execution): ExecutionView {
    const report = e.execId ? this.commissions.get(e.execId) : undefined;
    const v: ExecutionView = {
      execId: e.execId ?? '',
      orderId: e.orderId ?? 0,
      time: parseIbTime(e.time ?? '', this.ibTimeZone) ?? 0,
      contract: contractView(contract),
      side: e.side === 'SLD' ? 'SLD' : 'BOT',
      shares: e.shares ?? 0,
      price: e.price ?? 0,
    };
    if (e.permId) v.permId = e.permId;
    if (e.orderRef) v.orderRef = e.orderRef;
    if (e.acctNumber) v.account = e.acctNumber;
    if (e.cumQty !== undefined) v.cumQty = e.cumQty;
    if (e.avgPrice !== undefined) v.avgPrice = e.avgPrice;
    const commission = numericStringOrAbsent(report?.commission);
    if (commission !== undefined) v.commission = commission;
    if (report?.currency) v.commissionCurrency = report.currency;
    const pnl = numericStringOrAbsent(report?.realizedPNL);
    if (pnl !== undefined) v.realizedPnl = pnl;
    return v;
  }

  private publish(event: Parameters<EventSink['publish']>[0]): void {
    this.sink
      .publish(event)
      .catch((err: unknown) =>
        this.logger.error('event publish failed', { type: event.type, error: String(err) }),
      );
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

/**
 * An order as the guard sees it, in the request's convention. An order the bridge did not place (seen
 * only in IB's open orders) has no request legs: its one contract is a BUY leg of ratio 1 under IB's
 * action, which is the same order.
 */
function guardedOf(r: OrderRecord): GuardedOrder | undefined {
  const quantity = r.quantity ?? 0;
  const limitPrice = r.limitPrice ?? 0;
  if (r.legs?.length && r.action) return { legs: r.legs, action: r.action, quantity, limitPrice };
  const conId = r.contract?.conId;
  const action = r.order?.action;
  if (conId && (action === 'BUY' || action === 'SELL'))
    return { legs: [{ conId, action: 'BUY', ratio: 1 }], action, quantity, limitPrice };
  return undefined;
}

function legContractOf(c: Contract): LegContract {
  const v = contractView(c);
  return {
    conId: v.conId,
    secType: v.secType,
    symbol: v.symbol,
    ...(v.right ? { right: v.right } : {}),
    ...(v.strike !== undefined ? { strike: v.strike } : {}),
  };
}

function orderContractFrom(c: Contract): Contract {
  const out: Contract = {
    symbol: c.symbol,
    secType: c.secType,
    exchange: c.exchange || 'SMART',
    currency: c.currency ?? 'USD',
  };
  if (c.conId) out.conId = c.conId;
  if (c.comboLegs?.length) {
    out.comboLegs = c.comboLegs.map((l) => ({
      conId: l.conId,
      ratio: l.ratio,
      action: l.action,
      exchange: l.exchange || 'SMART',
    }));
  }
  return out;
}

function limitOrderFrom(o: Order): Order {
  const out: Order = {
    orderType: o.orderType,
    action: o.action,
    totalQuantity: o.totalQuantity,
    lmtPrice: o.lmtPrice,
    tif: o.tif,
    transmit: true,
  };
  if (o.orderRef) out.orderRef = o.orderRef;
  if (o.account) out.account = o.account;
  return out;
}

function optionQuery(c: QuoteContract, withStrike: boolean): Contract {
  const q: Contract = {
    symbol: c.symbol,
    secType: 'OPT' as Contract['secType'],
    lastTradeDateOrContractMonth: c.expiry!.replaceAll('-', ''),
    right: c.right as Contract['right'],
    exchange: 'SMART',
    currency: c.currency ?? 'USD',
  };
  if (withStrike) q.strike = c.strike;
  return q;
}

function errorOf(err: unknown): NonNullable<Quote['error']> {
  if (err instanceof BridgeError) return err.toBody().error;
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), retryable: false };
}

/** `YYYYMMDD` (possibly followed by a time, a known decoder quirk) → `YYYY-MM-DD`. */
export function isoFromIb(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(value.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

export function contractView(c: Contract): ContractView {
  const v: ContractView = { conId: c.conId ?? 0, symbol: c.symbol ?? '', secType: String(c.secType ?? '') };
  const expiry = c.lastTradeDateOrContractMonth ? isoFromIb(c.lastTradeDateOrContractMonth) : undefined;
  if (expiry) v.expiry = expiry;
  if (c.strike) v.strike = c.strike;
  if (c.right === 'C' || c.right === 'P') v.right = c.right;
  else if ((c.right as unknown) === 'CALL') v.right = 'C';
  else if ((c.right as unknown) === 'PUT') v.right = 'P';
  const multiplier = Number(c.multiplier);
  if (c.multiplier !== undefined && Number.isFinite(multiplier) && multiplier > 0) v.multiplier = multiplier;
  if (c.exchange) v.exchange = c.exchange;
  if (c.currency) v.currency = c.currency;
  if (c.localSymbol) v.localSymbol = c.localSymbol;
  if (c.tradingClass) v.tradingClass = c.tradingClass;
  return v;
}

export function nyDate(at: number): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/New_York',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** Offset of `timeZone` from UTC at `at`, in ms. */
function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * IB execution and bar times: `YYYYMMDD-HH:mm:ss` (UTC), `YYYYMMDD HH:mm:ss Zone/Name`, or
 * `YYYYMMDD  HH:mm:ss` in the gateway's own time zone. Epoch seconds are accepted too.
 */
export function parseIbTime(value: string, defaultZone = 'America/New_York'): number | undefined {
  const s = value.trim();
  if (/^\d{9,10}$/.test(s)) return Number(s) * 1000;
  const m = /^(\d{4})(\d{2})(\d{2})(-|\s+)(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, sep, h, mi, se, zone] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  if (sep === '-' && !zone) return wall;
  const tz = zone === undefined ? defaultZone : zone === 'EST' || zone === 'EDT' ? 'America/New_York' : zone;
  try {
    // two passes settle the offset around daylight-saving changes
    const guess = wall - zoneOffsetMs(wall, tz);
    return wall - zoneOffsetMs(guess, tz);
  } catch {
    return undefined;
  }
}
