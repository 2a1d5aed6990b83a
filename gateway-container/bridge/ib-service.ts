// What the HTTP API does with IB, one module per IB API area (in ib/): request plumbing and day
// caches (requests), contracts, account and positions, market data, history, the order book (states,
// fills, executions) and orders; pure conversions in ib/parsing/. This facade wires them together.
// Everything goes out through the connection's one paced queue.

import type {
  AccountResponse,
  ChainResponse,
  ExecutionView,
  HealthResponse,
  HistoryQuery,
  HistoryResponse,
  OrderView,
  PlaceOrderRequest,
  PlaceOrderResponse,
  PositionView,
  Quote,
  QuoteContract,
  TradingHoursResponse,
  WhatIfRequest,
  WhatIfResponse,
} from './contract';
import type { IbConnection } from './connection';
import { type Logger, silentLogger } from './logger';
import type { EventSink } from './events';
import { AccountAndPositions } from './ib/account';
import { Contracts } from './ib/contracts';
import { History } from './ib/history';
import { MarketData } from './ib/market-data';
import { OrderBook } from './ib/order-book';
import { Orders } from './ib/orders';
import { IbRequests } from './ib/requests';
import { LineBudget } from './lines';
import type { OrderLimits } from './order-guard';
import { type Clock, systemClock } from './pacer';

export { contractView } from './ib/parsing/instruments';
export { isoFromIb, nyDate, parseIbTime } from './ib/parsing/time';

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

export class IbService {
  readonly lines: LineBudget;
  private readonly contracts: Contracts;
  private readonly accountAndPositions: AccountAndPositions;
  private readonly marketData: MarketData;
  private readonly historicalData: History;
  private readonly book: OrderBook;
  private readonly orders: Orders;

  constructor(options: ServiceOptions) {
    const clock = options.clock ?? systemClock;
    const req = new IbRequests(
      options.connection,
      clock,
      options.logger ?? silentLogger,
      options.requestTimeoutMs ?? 15_000,
      options.sink,
    );
    this.lines = options.lines ?? new LineBudget(90);
    this.contracts = new Contracts(req);
    this.accountAndPositions = new AccountAndPositions(req);
    this.marketData = new MarketData(req, this.contracts, this.lines, options.quoteTimeoutMs ?? 8000);
    this.historicalData = new History(req, this.contracts);
    this.book = new OrderBook(req, options.ibTimeZone ?? 'America/New_York', () =>
      this.accountAndPositions.schedulePositionRefresh(),
    );
    this.orders = new Orders(req, this.book, this.contracts, this.marketData, this.accountAndPositions, {
      orderTimeoutMs: options.orderTimeoutMs ?? 10_000,
      tradingMode: options.tradingMode,
      limits: options.limits,
    });
  }

  /** Quotes answered with IB's delayed data since start (for /health). */
  get delayedQuotes(): number {
    return this.marketData.delayedQuotes;
  }

  close(): void {
    this.accountAndPositions.close();
  }

  tradingHours(symbol: string, priority: number): Promise<TradingHoursResponse> {
    return this.contracts.tradingHours(symbol, priority);
  }

  account(priority: number): Promise<AccountResponse> {
    return this.accountAndPositions.account(priority);
  }

  positions(priority: number): Promise<PositionView[]> {
    return this.accountAndPositions.positions(priority);
  }

  chain(symbol: string, priority: number): Promise<ChainResponse> {
    return this.marketData.chain(symbol, priority);
  }

  quotes(contracts: QuoteContract[], priority: number, signal?: AbortSignal): Promise<Quote[]> {
    return this.marketData.quotes(contracts, priority, signal);
  }

  history(query: HistoryQuery, priority: number): Promise<HistoryResponse> {
    return this.historicalData.history(query, priority);
  }

  orderGuardStatus(): NonNullable<HealthResponse['orders']> {
    return this.orders.orderGuardStatus();
  }

  whatIf(body: WhatIfRequest, priority: number): Promise<WhatIfResponse> {
    return this.orders.whatIf(body, priority);
  }

  placeOrder(body: PlaceOrderRequest, priority: number): Promise<PlaceOrderResponse> {
    return this.orders.placeOrder(body, priority);
  }

  modifyOrder(orderId: number, limitPrice: number, priority: number): Promise<OrderView> {
    return this.orders.modifyOrder(orderId, limitPrice, priority);
  }

  cancelOrder(orderId: number, priority: number): Promise<OrderView> {
    return this.orders.cancelOrder(orderId, priority);
  }

  openOrders(priority: number): Promise<OrderView[]> {
    return this.book.openOrders(priority);
  }

  executions(sinceMs: number | undefined, priority: number): Promise<ExecutionView[]> {
    return this.book.executions(sinceMs, priority);
  }

  findByOrderRef(orderRef: string, priority: number): Promise<OrderView[]> {
    return this.book.findByOrderRef(orderRef, priority);
  }
}
