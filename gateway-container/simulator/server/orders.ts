// Orders: placeOrder (new, modify, what-if), cancelOrder, reqOpenOrders / reqAllOpenOrders, and the
// OPEN_ORDER / ORDER_STATUS reports of every change the engine makes, sent to the order's owner.

import type { SimAction, SimContract, SimOrderRequest, SimOrderState, SimSecType } from '../engine-api';
import type { Clients } from './clients';
import type { ClientConnection } from './connection';
import { NO_SECURITY, resolveContracts } from './contracts';
import * as enc from './encode';
import type { FaultSwitches } from './fault-controller';
import { isOrderState, orderFieldError, qualifiedContract, wireFromRequest, WORKING } from './order-wire';
import { parseCancelOrder, parsePlaceOrder, type WireContract, type WireOrder } from './parse';
import type { ServerEngine } from './server-engine';
import type { FieldReader, WireField } from './wire';

interface OrderRecord {
  orderId: number;
  clientId: number;
  contract: WireContract;
  order: WireOrder;
  state?: SimOrderState;
  lastStatusKey?: string;
  lastStatus?: string;
  rejectSent?: boolean;
}

export class OrderDesk {
  private readonly records = new Map<number, OrderRecord>();
  /** The order id nextValidId hands out. */
  nextOrderId: number;

  constructor(
    private readonly engine: ServerEngine,
    private readonly clients: Clients,
    private readonly switches: FaultSwitches,
    private readonly log: (line: string) => void,
    firstOrderId = 1,
  ) {
    this.nextOrderId = Math.max(firstOrderId, ...engine.openOrders().map((o) => o.request.orderId + 1));
  }

  /** Every order the server has seen, latest state first by order id. */
  orders(): SimOrderState[] {
    const byId = new Map<number, SimOrderState>();
    for (const rec of this.records.values()) if (rec.state) byId.set(rec.orderId, rec.state);
    for (const o of this.engine.completedOrders?.() ?? []) byId.set(o.request.orderId, o);
    for (const o of this.engine.openOrders()) byId.set(o.request.orderId, o);
    return [...byId.values()].sort((a, b) => a.request.orderId - b.request.orderId);
  }

  placeOrder(conn: ClientConnection, r: FieldReader): void {
    const { contract, order } = parsePlaceOrder(r);
    if (order.trailing > 0) this.log(`placeOrder ${order.orderId}: ${order.trailing} unread trailing fields`);
    const clientId = conn.clientId ?? 0;
    const orderId = order.orderId;
    const existing = this.records.get(orderId);
    if (existing && !order.whatIf) {
      const status = existing.state?.status;
      if (existing.clientId !== clientId) {
        conn.send(enc.errMsg(orderId, 103, 'Duplicate order id'));
        return;
      }
      if (status === 'Filled') {
        conn.send(enc.errMsg(orderId, 104, "Can't modify a filled order"));
        return;
      }
      if (status !== undefined && !WORKING.has(status)) {
        conn.send(enc.errMsg(orderId, 103, 'Duplicate order id'));
        return;
      }
    }
    const request = this.toRequest(conn, contract, order);
    if (typeof request === 'string') return;
    this.nextOrderId = Math.max(this.nextOrderId, orderId + 1);

    const rejectReason = this.switches.rejectReason;
    if (rejectReason !== undefined && !this.engine.setOrderRejection && !order.whatIf) {
      // The engine has no rejection hook: the gateway rejects on its behalf.
      conn.send(enc.errMsg(orderId, 201, `Order rejected - reason:${rejectReason}`));
      return;
    }

    if (order.whatIf) {
      const result = this.engine.placeOrder(request);
      if (isOrderState(result)) {
        if (result.rejectReason)
          conn.send(enc.errMsg(orderId, 201, `Order rejected - reason:${result.rejectReason}`));
        return;
      }
      conn.send(
        enc.openOrder({ contract, order, clientId, permId: 0, status: 'PreSubmitted', whatIf: result }),
      );
      return;
    }

    const record: OrderRecord = existing ?? { orderId, clientId, contract, order };
    record.contract = contract;
    record.order = order;
    this.records.set(orderId, record);
    // A modify re-sends OPEN_ORDER even when the status is unchanged, as IB does.
    record.lastStatusKey = undefined;
    record.lastStatus = undefined;
    const state = existing ? this.engine.modifyOrder(request) : this.engine.placeOrder(request);
    if (isOrderState(state)) this.report(state);
  }

  cancelOrder(conn: ClientConnection, r: FieldReader): void {
    const { orderId } = parseCancelOrder(r);
    const record = this.records.get(orderId);
    const status = record?.state?.status;
    if (status !== undefined && !WORKING.has(status)) {
      conn.send(
        enc.errMsg(
          orderId,
          10148,
          `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${status}.`,
        ),
      );
      return;
    }
    const state = this.engine.cancelOrder(orderId);
    if (!state) {
      conn.send(enc.errMsg(orderId, 135, `Can't find order with id =${orderId}`));
      return;
    }
    this.report(state);
    if (state.status === 'Cancelled' || state.status === 'ApiCancelled') {
      conn.send(enc.errMsg(orderId, 202, 'Order Canceled - reason:'));
    }
  }

  /** reqOpenOrders (one client's) or reqAllOpenOrders (`clientId` undefined). */
  sendOpenOrders(conn: ClientConnection, clientId: number | undefined): void {
    for (const state of this.engine.openOrders(clientId)) {
      const record = this.recordFor(state);
      conn.send(enc.openOrder(this.view(record, state)));
      conn.send(this.statusFields(record, state));
    }
    conn.send(enc.openOrderEnd());
  }

  /** Sends OPEN_ORDER (on a status change) and ORDER_STATUS (on any change) to the order's owner. */
  report(state: SimOrderState, forceOpenOrder = false): void {
    const orderId = state.request.orderId;
    const record = this.recordFor(state);
    record.state = state;
    const conn = this.clients.byClientId(record.clientId);
    if (state.rejectReason && !record.rejectSent) {
      record.rejectSent = true;
      conn?.send(enc.errMsg(orderId, 201, `Order rejected - reason:${state.rejectReason}`));
    }
    const key = `${state.status}|${state.filled}|${state.remaining}|${state.avgFillPrice}`;
    if (key === record.lastStatusKey && !forceOpenOrder) return;
    const statusChanged = record.lastStatus !== state.status;
    record.lastStatusKey = key;
    record.lastStatus = state.status;
    if (!conn) return;
    if (statusChanged || forceOpenOrder) conn.send(enc.openOrder(this.view(record, state)));
    const status = this.statusFields(record, state);
    // Every ORDER_STATUS waits the same lag, so they keep their order among themselves.
    const lagMs = this.switches.orderStatusLagMs;
    if (lagMs > 0) setTimeout(() => conn.send(status), lagMs).unref();
    else conn.send(status);
  }

  /** The engine rejected an order after accepting it: error 201 (or the engine's code) to its owner. */
  rejected(event: { orderId: number; code: number; reason: string }): void {
    const record = this.records.get(event.orderId);
    if (record) record.rejectSent = true;
    const conn = this.clients.byClientId(record?.clientId ?? -1);
    const text = event.code === 201 ? `Order rejected - reason:${event.reason}` : event.reason;
    conn?.send(enc.errMsg(event.orderId, event.code, text));
  }

  /** Builds the engine's request, or answers the client with IB's error and returns the reason. */
  private toRequest(
    conn: ClientConnection,
    contract: WireContract,
    order: WireOrder,
  ): SimOrderRequest | string {
    const orderId = order.orderId;
    const fail = (code: number, text: string): string => {
      conn.send(enc.errMsg(orderId, code, text));
      return text;
    };
    const fieldError = orderFieldError(order);
    if (fieldError) return fail(fieldError.code, fieldError.text);
    const accounts = this.engine.accounts();
    const account = order.account || accounts[0] || '';
    if (!accounts.includes(account)) return fail(201, `Order rejected - reason:Unknown account ${account}`);

    let simContract: SimOrderRequest['contract'];
    if (contract.secType === 'BAG') {
      const legs = contract.comboLegs ?? [];
      if (legs.length === 0 || legs.some((l) => !this.engine.contractById(l.conId))) {
        return fail(200, NO_SECURITY);
      }
      simContract = {
        secType: 'BAG',
        conId: contract.conId || undefined,
        symbol: contract.symbol,
        legs: legs.map((l) => ({
          conId: l.conId,
          ratio: l.ratio || 1,
          action: l.action === 'SELL' ? 'SELL' : 'BUY',
        })),
      };
    } else {
      const found = resolveContracts(this.engine, contract);
      if (found.length !== 1) return fail(200, NO_SECURITY);
      const c = found[0] as SimContract;
      simContract = { secType: c.secType as SimSecType, conId: c.conId, symbol: c.symbol };
      // OPEN_ORDER reports the qualified contract, as IB does.
      Object.assign(contract, qualifiedContract(contract, c));
    }
    order.account = account;
    return {
      orderId,
      clientId: conn.clientId ?? 0,
      account,
      contract: simContract,
      // orderFieldError has checked action and order type.
      action: order.action as SimAction,
      quantity: order.totalQuantity,
      orderType: order.orderType as SimOrderRequest['orderType'],
      limitPrice: order.lmtPrice,
      tif: order.tif || 'DAY',
      orderRef: order.orderRef,
      transmit: order.transmit,
      whatIf: order.whatIf,
    };
  }

  private statusFields(record: OrderRecord, state: SimOrderState): WireField[] {
    return enc.orderStatus({
      orderId: state.request.orderId,
      status: state.status,
      filled: state.filled,
      remaining: state.remaining,
      avgFillPrice: state.avgFillPrice,
      permId: state.permId,
      parentId: record.order.parentId,
      lastFillPrice: state.lastFillPrice,
      clientId: record.clientId,
    });
  }

  private view(record: OrderRecord, state: SimOrderState): enc.OpenOrderView {
    return {
      contract: record.contract,
      order: { ...record.order, totalQuantity: state.request.quantity, lmtPrice: state.request.limitPrice },
      clientId: record.clientId,
      permId: state.permId,
      status: state.status,
    };
  }

  /** The record of an order, rebuilt from the engine's request when it was not placed over this server. */
  private recordFor(state: SimOrderState): OrderRecord {
    const orderId = state.request.orderId;
    const known = this.records.get(orderId);
    if (known) return known;
    const req = state.request;
    const single =
      req.contract.conId !== undefined ? this.engine.contractById(req.contract.conId) : undefined;
    const record: OrderRecord = { orderId, clientId: req.clientId, ...wireFromRequest(req, single) };
    this.records.set(orderId, record);
    return record;
  }
}
