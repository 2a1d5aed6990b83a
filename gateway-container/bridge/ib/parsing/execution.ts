// Orders, executions and what-if answers between IB's shapes and the domain's (pure).

import type { CommissionReport, Contract, Execution, Order, OrderState } from '@stoqey/ib';
import type { ExecutionView, OrderLeg, OrderView, WhatIfRequest, WhatIfResponse } from '../../contract';
import type { GuardedOrder, PositionEffect } from '../../order-guard';
import { numericStringOrAbsent } from '../../sentinels';
import { contractView } from './instruments';
import { parseIbTime } from './time';

export const WORKING = new Set(['ApiPending', 'PendingSubmit', 'PreSubmitted', 'Submitted', 'PendingCancel']);
export const DONE = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

/** What the bridge knows of one order. */
export interface OrderRecord {
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

/**
 * An order as the guard sees it, in the request's convention. An order the bridge did not place (seen
 * only in IB's open orders) has no request legs: its one contract is a BUY leg of ratio 1 under IB's
 * action, which is the same order.
 */
export function guardedOf(r: OrderRecord): GuardedOrder | undefined {
  const quantity = r.quantity ?? 0;
  const limitPrice = r.limitPrice ?? 0;
  if (r.legs?.length && r.action) return { legs: r.legs, action: r.action, quantity, limitPrice };
  const conId = r.contract?.conId;
  const action = r.order?.action;
  if (conId && (action === 'BUY' || action === 'SELL'))
    return { legs: [{ conId, action: 'BUY', ratio: 1 }], action, quantity, limitPrice };
  return undefined;
}

/** The limit order IB gets for a request; `flip` and `ratio` as `orderContractOf` says. */
export function limitOrder(
  body: WhatIfRequest,
  flip: boolean,
  ratio: number,
  account: string | undefined,
): Order {
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
  if (account) order.account = account;
  return order;
}

/** The order of an order the bridge did not send: only the fields a modification needs. */
export function limitOrderFrom(o: Order): Order {
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

const WHAT_IF_NUMBERS = [
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

/** A what-if order's state (IB's number strings, placeholders dropped). */
export function whatIfView(state: OrderState): WhatIfResponse {
  const out: WhatIfResponse = {};
  for (const k of WHAT_IF_NUMBERS) {
    const v = numericStringOrAbsent(state[k]);
    if (v !== undefined) out[k] = v;
  }
  if (state.commissionCurrency) out.commissionCurrency = state.commissionCurrency;
  if (state.warningText) out.warningText = state.warningText;
  return out;
}

export function executionView(
  contract: Contract,
  e: Execution,
  report: CommissionReport | undefined,
  ibTimeZone: string,
): ExecutionView {
  const v: ExecutionView = {
    execId: e.execId ?? '',
    orderId: e.orderId ?? 0,
    time: parseIbTime(e.time ?? '', ibTimeZone) ?? 0,
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

export function orderView(
  r: OrderRecord,
  fill: (contract: Contract, e: Execution) => ExecutionView,
): OrderView {
  const v: OrderView = {
    orderId: r.orderId,
    status: r.status,
    filled: r.filled,
    remaining: r.remaining,
    fills: [...r.fills.values()].map((f) => fill(f.contract, f.execution)),
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
