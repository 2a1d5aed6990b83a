// Orders: what-if, placement (orderRef idempotency, one at a time), modification and cancellation,
// each checked by the order guard first (its rules are pure, in order-guard.ts; its I/O is here).

import type { IBApi, Order, OrderState } from '@stoqey/ib';
import type {
  HealthResponse,
  OrderLeg,
  OrderView,
  PlaceOrderRequest,
  PlaceOrderResponse,
  QuoteContract,
  WhatIfRequest,
  WhatIfResponse,
} from '../contract';
import { BridgeError, ibError, invalidInput, timeoutError } from '../errors';
import {
  checkTradingMode,
  guardModification,
  guardOrder,
  type GuardRefusal,
  type LegQuote,
  legTrades,
  type OrderLimits,
  positionEffect,
} from '../order-guard';
import { ORDER_PRIORITY } from '../pacer';
import type { AccountAndPositions } from './account';
import type { Contracts } from './contracts';
import type { MarketData } from './market-data';
import type { OrderBook } from './order-book';
import { guardedOf, limitOrder, type OrderRecord, whatIfView, WORKING } from './parsing/execution';
import { legContractOf, type OrderContract, orderContractOf } from './parsing/instruments';
import { nyDate } from './parsing/time';
import type { IbRequests } from './requests';

export interface OrderSettings {
  /** Time for IB to acknowledge an order, a modification or a cancel. */
  orderTimeoutMs: number;
  /** The stack's trading mode: every order is refused while IB reports an account of the other mode. */
  tradingMode: 'paper' | 'live';
  /** The order guard's hard limits (set by the stack). */
  limits: OrderLimits;
}

export class Orders {
  /** Contracts of opening orders placed on the New York trade date `day`. */
  private opened = { day: '', contracts: 0 };
  private orderLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly req: IbRequests,
    private readonly book: OrderBook,
    private readonly contracts: Contracts,
    private readonly marketData: MarketData,
    private readonly account: AccountAndPositions,
    private readonly settings: OrderSettings,
  ) {}

  /** What /health says about orders: allowed at all, the limits, today's count. No account data. */
  orderGuardStatus(): NonNullable<HealthResponse['orders']> {
    const { tradingMode, limits } = this.settings;
    const account = this.req.conn.accounts[0];
    const refusal = account ? checkTradingMode(tradingMode, account) : undefined;
    return {
      allowed: account !== undefined && refusal === undefined,
      expectedTradingMode: tradingMode,
      // the refusal names modes only, never the account id (/health is unsigned)
      ...(refusal ? { reason: refusal.message } : account ? {} : { reason: 'no account reported by IB yet' }),
      contractsOpenedToday: this.openedToday(),
      maxContractsPerOrder: limits.maxContractsPerOrder,
      maxContractsPerDay: limits.maxContractsPerDay,
      priceBandWidthFraction: limits.priceBandWidthFraction,
    };
  }

  async whatIf(body: WhatIfRequest, priority: number): Promise<WhatIfResponse> {
    const { conn, clock } = this.req;
    const { orderTimeoutMs } = this.settings;
    const { contract, flip, ratio } = await this.orderContract(body.legs, priority);
    const order = { ...limitOrder(body, flip, ratio, conn.accounts[0]), whatIf: true };
    const orderId = conn.takeOrderId();
    const state = await new Promise<OrderState>((resolve, reject) => {
      let timer: unknown;
      const unwait = this.book.waitOrder(orderId, (signal) => {
        if (signal.kind === 'error') {
          done();
          reject(ibError(signal.code, signal.message));
        }
      });
      const done = (): void => {
        clock.clearTimeout(timer);
        unwait();
        unwaitWhatIf();
      };
      const unwaitWhatIf = this.book.waitWhatIf(orderId, (s) => {
        done();
        resolve(s);
      });
      try {
        conn.send(ORDER_PRIORITY, 'placeOrder(whatIf)', (api) => {
          timer = clock.setTimeout(() => {
            done();
            reject(timeoutError('what-if order', orderTimeoutMs));
          }, orderTimeoutMs);
          api.placeOrder(orderId, contract, order);
        });
      } catch (err) {
        done();
        reject(err);
      }
    });
    return whatIfView(state);
  }

  placeOrder(body: PlaceOrderRequest, priority: number): Promise<PlaceOrderResponse> {
    const { conn, clock } = this.req;
    // one placement at a time, so two requests with the same orderRef cannot both pass the check
    return this.withOrderLock(async () => {
      const existing = await this.book.findByOrderRef(body.orderRef, priority);
      const live = existing.find((o) => WORKING.has(o.status) || o.filled > 0 || o.fills.length > 0);
      if (live) return { ...live, duplicate: true };

      this.refuse(checkTradingMode(this.settings.tradingMode, conn.accounts[0]));
      const { contract, symbol, flip, ratio, legContracts } = await this.orderContract(body.legs, priority);
      const [held, quotes] = await Promise.all([this.heldAfterWorkingOrders(), this.legQuotes(legContracts)]);
      const verdict = guardOrder({
        order: body,
        contracts: legContracts.map(legContractOf),
        quotes,
        held,
        placedToday: this.openedToday(),
        limits: this.settings.limits,
      });
      if (!verdict.ok) this.refuse(verdict.refusal);
      const effect = verdict.ok ? verdict.effect : 'OPEN';
      const order: Order = { ...limitOrder(body, flip, ratio, conn.accounts[0]), orderRef: body.orderRef };
      const orderId = conn.takeOrderId();
      const record: OrderRecord = {
        orderId,
        tradeDate: nyDate(clock.now()),
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
      this.book.orders.set(orderId, record);
      // counted once sent (a refusal by IB still counts: the day's cap bounds what the bridge sends);
      // modifications never add to it
      if (effect === 'OPEN') this.opened.contracts += verdict.ok ? verdict.contracts : 0;
      await this.sendOrderAndWait(
        orderId,
        'placeOrder',
        (api) => api.placeOrder(orderId, contract, order),
        (status) => status !== 'PendingSubmit' && status !== 'ApiPending',
      );
      return { ...this.book.view(this.book.orders.get(orderId)!), duplicate: false };
    });
  }

  async modifyOrder(orderId: number, limitPrice: number, priority: number): Promise<OrderView> {
    let record = this.book.orders.get(orderId);
    if (!record?.contract || !record.order) {
      await this.book.openOrders(priority);
      record = this.book.orders.get(orderId);
    }
    if (!record?.contract || !record.order)
      throw new BridgeError(135, `Can't find order with id ${orderId}`, 404, false);
    if (!WORKING.has(record.status))
      throw new BridgeError(104, `Order ${orderId} is ${record.status}; it cannot be modified`, 409, false);
    this.refuse(checkTradingMode(this.settings.tradingMode, this.req.conn.accounts[0]));
    const guarded = guardedOf(record);
    if (!guarded)
      throw new BridgeError(
        'PRICE_BAND',
        `order ${orderId}: its legs are unknown, so its price cannot be checked`,
        422,
        false,
      );
    const legContracts = await Promise.all(
      guarded.legs.map((l) => this.contracts.contractById(l.conId, ORDER_PRIORITY)),
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
        limits: this.settings.limits,
      }),
    );
    const flip = record.legs?.length === 1 && record.legs[0]!.action === 'SELL';
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
    return this.book.view(this.book.orders.get(orderId)!);
  }

  async cancelOrder(orderId: number, priority: number): Promise<OrderView> {
    let record = this.book.orders.get(orderId);
    if (!record) {
      await this.book.openOrders(priority);
      record = this.book.orders.get(orderId);
    }
    if (!record)
      throw new BridgeError(10147, `OrderId ${orderId} that needs to be cancelled is not found`, 404, false);
    if (record.status === 'Cancelled' || record.status === 'ApiCancelled') return this.book.view(record);
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
    const after = this.book.orders.get(orderId)!;
    if (after.status === 'Filled')
      throw new BridgeError(161, `Order ${orderId} filled before the cancel`, 409, false);
    if (after.status !== 'Cancelled' && after.status !== 'ApiCancelled') after.status = 'Cancelled';
    return this.book.view(after);
  }

  private withOrderLock<T>(run: () => Promise<T>): Promise<T> {
    const next = this.orderLock.then(run, run);
    this.orderLock = next.catch(() => undefined);
    return next;
  }

  /** The IB contract for a set of legs: the option itself for one leg, else a BAG combo on SMART. */
  private async orderContract(legs: OrderLeg[], priority: number): Promise<OrderContract> {
    const contracts = await Promise.all(legs.map((l) => this.contracts.contractById(l.conId, priority)));
    const symbols = new Set(contracts.map((c) => c.symbol));
    if (symbols.size !== 1) throw invalidInput('legs', 'every leg must have the same underlying symbol');
    return orderContractOf(legs, contracts, contracts[0]!.symbol!);
  }

  /** Contracts of opening orders placed today (New York trade date). */
  private openedToday(): number {
    const today = nyDate(this.req.clock.now());
    if (this.opened.day !== today) this.opened = { day: today, contracts: 0 };
    return this.opened.contracts;
  }

  private refuse(refusal: GuardRefusal | undefined): void {
    if (!refusal) return;
    this.req.logger.warn('order refused by the guard', { rule: refusal.rule, reason: refusal.message });
    throw new BridgeError(refusal.rule, refusal.message, 422, false);
  }

  /** The bridge's own bid and ask of each leg (prices only: no wait for greeks), at order priority. */
  private async legQuotes(contracts: OrderContract['legContracts']): Promise<LegQuote[]> {
    const quotes = await Promise.all(
      contracts.map((c) =>
        this.marketData.quoteOne(
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
    for (const p of await this.account.positions(ORDER_PRIORITY + 1)) {
      held.set(p.contract.conId, (held.get(p.contract.conId) ?? 0) + p.quantity);
    }
    for (const r of this.book.orders.values()) {
      const order = guardedOf(r);
      if (!order || !WORKING.has(r.status) || r.remaining <= 0) continue;
      for (const [conId, trade] of legTrades({ ...order, quantity: r.remaining })) {
        held.set(conId, (held.get(conId) ?? 0) + trade);
      }
    }
    return held;
  }

  private sendOrderAndWait(
    orderId: number,
    label: string,
    send: (api: IBApi) => void,
    isAnswer: (status: string) => boolean,
    successCode?: number,
  ): Promise<void> {
    const { conn, clock } = this.req;
    const { orderTimeoutMs } = this.settings;
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const done = (): void => {
        clock.clearTimeout(timer);
        if (grace !== undefined) clock.clearTimeout(grace);
        unwait();
      };
      let grace: unknown;
      const unwait = this.book.waitOrder(orderId, (signal) => {
        if (signal.kind === 'status') {
          if (signal.status === 'Inactive' && grace === undefined) {
            // a rejection comes as status Inactive plus error 201, in either order: wait for the reason
            grace = clock.setTimeout(() => {
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
        conn.send(ORDER_PRIORITY, label, (api) => {
          timer = clock.setTimeout(() => {
            done();
            reject(timeoutError(label, orderTimeoutMs));
          }, orderTimeoutMs);
          send(api);
        });
      } catch (err) {
        done();
        reject(err);
      }
    });
  }
}
