// The order book: what the bridge knows of every order (its own and those IB reports), kept from IB's
// broadcast order states, fills and commissions; open orders, today's executions, the orderRef look-up
// of idempotency, and the OrderFilled events.

import type { CommissionReport, Contract, Execution, Order, OrderState } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import type { ExecutionView, OrderView } from '../contract';

import { priceOrAbsent } from '../sentinels';
import {
  DONE,
  executionView,
  limitOrderFrom,
  type OrderRecord,
  orderView,
  WORKING,
} from './parsing/execution';
import { orderContractFrom } from './parsing/instruments';
import { nyDate } from './parsing/time';
import type { IbRequests } from './requests';

export type OrderSignal =
  { kind: 'status'; status: string } | { kind: 'error'; code: number; message: string };

export class OrderBook {
  readonly orders = new Map<number, OrderRecord>();
  private readonly orderWaiters = new Map<number, Set<(signal: OrderSignal) => void>>();
  private readonly whatIfWaiters = new Map<number, (state: OrderState) => void>();
  private readonly commissions = new Map<string, CommissionReport>();
  private openOrderCollector: ((orderId: number) => void) | undefined;

  constructor(
    private readonly req: IbRequests,
    /** Time zone of execution times IB sends without one (the gateway's TIME_ZONE). */
    private readonly ibTimeZone: string,
    /** Called on a fill: positions are looked at again. */
    private readonly onFill: () => void,
  ) {
    this.listen();
  }

  /** Listens to one order's statuses and IB errors until the returned function is called. */
  waitOrder(orderId: number, listener: (signal: OrderSignal) => void): () => void {
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

  /** Waits for the state IB answers a what-if order with, until the returned function is called. */
  waitWhatIf(orderId: number, listener: (state: OrderState) => void): () => void {
    this.whatIfWaiters.set(orderId, listener);
    return () => this.whatIfWaiters.delete(orderId);
  }

  view(r: OrderRecord): OrderView {
    return orderView(r, (contract, e) => this.executionView(contract, e));
  }

  /** Every open order IB reports (all API clients and TWS), refreshed from IB. */
  openOrders(priority: number): Promise<OrderView[]> {
    return this.req.singleFlight('openOrders', () => {
      const ids = new Set<number>();
      // open orders are broadcast: the openOrder listener (listen) hands their ids over until the end
      this.openOrderCollector = (id) => ids.add(id);
      return this.req.collect({
        label: 'reqAllOpenOrders',
        priority,
        endEvent: EventName.openOrderEnd,
        send: (api) => api.reqAllOpenOrders(),
        end: () =>
          [...ids]
            .map((id) => this.orders.get(id))
            .filter((r): r is OrderRecord => r !== undefined && !DONE.has(r.status))
            .map((r) => this.view(r)),
        cleanup: () => {
          this.openOrderCollector = undefined;
        },
      });
    });
  }

  /** Today's executions (what IB still reports), with commissions and orderRef. */
  executions(sinceMs: number | undefined, priority: number): Promise<ExecutionView[]> {
    return this.req
      .singleFlight(`executions`, async () => {
        const rows: { contract: Contract; execution: Execution }[] = [];
        await this.req.request<void>({
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
      })
      .then((all) => (sinceMs === undefined ? all : all.filter((e) => e.time >= sinceMs)));
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
    const today = nyDate(this.req.clock.now());
    for (const [id, r] of this.orders) {
      if (r.tradeDate === today || WORKING.has(r.status)) continue;
      for (const execId of r.fills.keys()) this.commissions.delete(execId);
      this.orders.delete(id);
    }
  }

  // Broadcast events: order state, fills, commissions

  private listen(): void {
    const { conn } = this.req;
    conn.on(EventName.openOrder, (orderId: number, contract: Contract, order: Order, state: OrderState) => {
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
    });
    conn.on(
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
          this.req.publish({
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
              time: this.req.clock.now(),
            },
          });
          this.onFill();
        }
      },
    );
    conn.on(EventName.execDetails, (reqId: number, contract: Contract, execution: Execution) => {
      // request id −1: IB reports a fill as it happens (not an answer to reqExecutions)
      this.recordFill(contract, execution, reqId === -1);
    });
    conn.on(EventName.commissionReport, (report: CommissionReport) => {
      if (report.execId) this.commissions.set(report.execId, report);
    });
    conn.on('idError', (id: number, code: number, message: string) => {
      const r = this.orders.get(id);
      if (r && (code === 201 || code === 202)) this.updateStatus(r, code === 202 ? 'Cancelled' : 'Inactive');
      this.signal(id, { kind: 'error', code, message });
    });
  }

  private signal(orderId: number, signal: OrderSignal): void {
    for (const l of [...(this.orderWaiters.get(orderId) ?? [])]) l(signal);
  }

  private record(orderId: number): OrderRecord {
    let r = this.orders.get(orderId);
    if (!r) {
      r = {
        orderId,
        tradeDate: nyDate(this.req.clock.now()),
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
    if (live && !r.fills.has(execution.execId)) this.onFill();
    r.fills.set(execution.execId, { contract, execution });
    if (execution.orderRef && !r.orderRef) r.orderRef = execution.orderRef;
  }

  private executionView(contract: Contract, e: Execution): ExecutionView {
    return executionView(contract, e, e.execId ? this.commissions.get(e.execId) : undefined, this.ibTimeZone);
  }
}
