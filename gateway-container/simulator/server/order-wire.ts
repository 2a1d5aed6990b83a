// Pure order pieces: IB's rejections of a malformed order, the contract OPEN_ORDER reports once
// qualified, the wire view of an order placed outside this server, and an execution's exchange.

import type { SimContract, SimExecution, SimOrderRequest, SimOrderState, SimWhatIf } from '../engine-api';
import type { WireContract, WireOrder } from './parse';

/** Order states in which an order may still be modified or cancelled. */
export const WORKING: ReadonlySet<string> = new Set(['PendingSubmit', 'PreSubmitted', 'Submitted']);

export function isOrderState(result: SimOrderState | SimWhatIf): result is SimOrderState {
  return 'status' in result;
}

/** IB's error for an order it refuses before the contract is looked at, or undefined when it passes. */
export function orderFieldError(
  order: Pick<WireOrder, 'action' | 'orderType' | 'totalQuantity' | 'lmtPrice'>,
): { code: number; text: string } | undefined {
  if (order.action !== 'BUY' && order.action !== 'SELL') {
    return { code: 201, text: `Order rejected - reason:Invalid action "${order.action}"` };
  }
  if (order.orderType !== 'LMT' && order.orderType !== 'MKT') {
    return {
      code: 387,
      text: `Unsupported order type for this exchange and security type: ${order.orderType}`,
    };
  }
  if (!(order.totalQuantity > 0)) return { code: 434, text: 'The order size cannot be zero.' };
  if (order.orderType === 'LMT' && order.lmtPrice === undefined) {
    return { code: 201, text: 'Order rejected - reason:A limit price is required for LMT orders' };
  }
  return undefined;
}

/** The fields of a wire contract that OPEN_ORDER reports from the qualified contract, as IB does. */
export function qualifiedContract(
  requested: Pick<WireContract, 'exchange'>,
  c: SimContract,
): Pick<
  WireContract,
  | 'conId'
  | 'symbol'
  | 'secType'
  | 'lastTradeDate'
  | 'strike'
  | 'right'
  | 'multiplier'
  | 'exchange'
  | 'currency'
  | 'localSymbol'
  | 'tradingClass'
> {
  return {
    conId: c.conId,
    symbol: c.symbol,
    secType: c.secType,
    lastTradeDate: c.lastTradeDate,
    strike: c.secType === 'OPT' ? c.strike : 0,
    right: c.right ?? '',
    multiplier: c.secType === 'STK' ? '' : String(c.multiplier),
    exchange: requested.exchange || c.exchange,
    currency: c.currency,
    localSymbol: c.localSymbol,
    tradingClass: c.tradingClass,
  };
}

/** The wire contract and order of an engine request (an order not placed over this server). */
export function wireFromRequest(
  req: SimOrderRequest,
  single: SimContract | undefined,
): { contract: WireContract; order: WireOrder } {
  const contract: WireContract = {
    conId: req.contract.conId ?? 0,
    symbol: req.contract.symbol,
    secType: req.contract.secType,
    lastTradeDate: single?.lastTradeDate ?? '',
    strike: single?.secType === 'OPT' ? single.strike : 0,
    right: single?.right ?? '',
    multiplier: single && single.secType !== 'STK' ? String(single.multiplier) : '',
    exchange: single?.exchange ?? 'SMART',
    primaryExch: '',
    currency: single?.currency ?? 'USD',
    localSymbol: single?.localSymbol ?? '',
    tradingClass: single?.tradingClass ?? '',
    comboLegs: req.contract.legs?.map((l) => ({ ...l, exchange: 'SMART' })),
  };
  const order: WireOrder = {
    orderId: req.orderId,
    action: req.action,
    totalQuantity: req.quantity,
    orderType: req.orderType,
    lmtPrice: req.limitPrice,
    tif: req.tif,
    ocaGroup: '',
    account: req.account,
    openClose: '',
    origin: 0,
    orderRef: req.orderRef,
    transmit: req.transmit,
    parentId: 0,
    outsideRth: false,
    hidden: false,
    orderComboLegPrices: [],
    goodAfterTime: '',
    goodTillDate: '',
    whatIf: false,
    algoStrategy: '',
    trailing: 0,
  };
  return { contract, order };
}

/** The exchange an execution reports: options CBOE, stock ARCA, combos SMART, else the contract's. */
export function executionExchange(contract: SimExecution['contract']): string {
  const secType = contract.secType;
  return secType === 'OPT'
    ? 'CBOE'
    : secType === 'STK'
      ? 'ARCA'
      : secType === 'BAG'
        ? 'SMART'
        : (contract as SimContract).exchange;
}
