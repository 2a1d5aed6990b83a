// Server → client order messages at server version 193 (ORDER_STATUS, OPEN_ORDER, EXECUTION_DATA,
// COMMISSION_REPORT and their end markers), field by field as @stoqey/ib 1.6.10's decoder and its
// OrderDecoder read them; split from encode.ts, which re-exports them.

import type {
  SimCommissionReport,
  SimContract,
  SimExecution,
  SimOrderStatus,
  SimWhatIf,
} from '../engine-api';
import type { Fields } from './encode';
import type { WireContract, WireOrder } from './parse';
import { DOUBLE_MAX_WIRE, OUT, price } from './wire';

/** No version field since MARKET_CAP_PRICE. */
export function orderStatus(o: {
  orderId: number;
  status: SimOrderStatus | string;
  filled: number;
  remaining: number;
  avgFillPrice: number;
  permId: number;
  parentId: number;
  lastFillPrice: number;
  clientId: number;
  whyHeld?: string;
}): Fields {
  return [
    OUT.ORDER_STATUS,
    o.orderId,
    o.status,
    o.filled,
    o.remaining,
    price(o.avgFillPrice),
    o.permId,
    o.parentId,
    price(o.lastFillPrice),
    o.clientId,
    o.whyHeld ?? '',
    0, // mktCapPrice
  ];
}

/** The parts of an order IB reports back in OPEN_ORDER. */
export interface OpenOrderView {
  contract: WireContract;
  order: WireOrder;
  clientId: number;
  permId: number;
  status: string;
  /** Margin figures, present for what-if answers. */
  whatIf?: SimWhatIf;
}

/**
 * OPEN_ORDER at server version 193: no version field (≥ ORDER_CONTAINER); one block per OrderDecoder
 * read function, in the order decodeMsg_OPEN_ORDER calls them.
 */
export function openOrder(v: OpenOrderView): Fields {
  const { contract: c, order: o } = v;
  const isBag = c.secType === 'BAG';
  const legs = c.comboLegs ?? [];
  const w = v.whatIf;
  const f: Fields = [OUT.OPEN_ORDER];
  // readOrderId, readContractFields (no primaryExch here)
  f.push(o.orderId);
  f.push(c.conId, c.symbol, c.secType, c.lastTradeDate, c.strike ?? 0, c.right, c.multiplier, c.exchange);
  f.push(c.currency, c.localSymbol, c.tradingClass);
  // action … orderRef
  f.push(o.action, o.totalQuantity, o.orderType, price(o.lmtPrice), price(o.auxPrice), o.tif, o.ocaGroup);
  f.push(o.account, o.openClose, o.origin, o.orderRef);
  // clientId, permId, outsideRth, hidden, discretionaryAmt, goodAfterTime, sharesAllocation (skipped)
  f.push(v.clientId, v.permId, o.outsideRth, o.hidden, 0, o.goodAfterTime, '');
  // FA params (no faProfile since FA_PROFILE_DESUPPORT), modelCode, goodTillDate, rule80A, percentOffset, settlingFirm
  f.push('', '', '', '', o.goodTillDate, '', '', '');
  // shortSaleSlot, designatedLocation, exemptCode, auctionStrategy
  f.push(0, '', -1, 0);
  // startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper, displaySize
  f.push('', '', '', '', '', '');
  // blockOrder, sweepToFill, allOrNone, minQty, ocaType, eTradeOnly, firmQuoteOnly, nbboPriceCap
  f.push(false, false, false, '', 3, false, false, '');
  // parentId, triggerMethod
  f.push(o.parentId, 0);
  // readVolOrderParams: volatility, volatilityType, deltaNeutralOrderType (empty → no more), auxPrice, continuousUpdate, referencePriceType
  f.push('', 0, '', '', 0, 0);
  // readTrailParams: trailStopPrice, trailingPercent; readBasisPoints: basisPoints, basisPointsType
  f.push('', '', '', '');
  // readComboLegs: description, legs, order combo leg prices
  f.push(isBag ? legs.map((l) => `${l.conId}|${l.action === 'SELL' ? -l.ratio : l.ratio}`).join(',') : '');
  f.push(legs.length);
  for (const l of legs) {
    f.push(
      l.conId,
      l.ratio,
      l.action,
      l.exchange,
      l.openClose ?? 0,
      l.shortSaleSlot ?? 0,
      l.designatedLocation ?? '',
    );
    f.push(l.exemptCode ?? -1);
  }
  f.push(o.orderComboLegPrices.length);
  for (const p of o.orderComboLegPrices) f.push(price(p));
  // readSmartComboRoutingParams
  f.push(0);
  // readScaleOrderParams: initLevelSize, subsLevelSize, priceIncrement (empty → no extra fields)
  f.push('', '', '');
  // readHedgeParams (empty type → no param), optOutSmartRouting, clearingAccount, clearingIntent, notHeld
  f.push('', false, '', '', false);
  // readDeltaNeutral (flag 0), readAlgoParams (empty strategy), readSolicited
  f.push(false, '', false);
  // readWhatIfInfoAndCommission
  f.push(Boolean(w), v.status);
  if (w) {
    f.push(w.initMarginBefore, w.maintMarginBefore, w.equityWithLoanBefore);
    f.push(w.initMarginChange, w.maintMarginChange, w.equityWithLoanChange);
    f.push(w.initMarginAfter, w.maintMarginAfter, w.equityWithLoanAfter);
    // The simulator's commission schedule is exact, so the range IB quotes collapses to it.
    f.push(w.commission, w.commission, w.commission, 'USD', '');
  } else {
    for (let i = 0; i < 12; i++) f.push(DOUBLE_MAX_WIRE);
    f.push('', '');
  }
  // readVolRandomizeFlags; (not PEG BENCH) readConditions: count 0
  f.push(false, false, 0);
  // readAdjustedOrderParams: adjustedOrderType, triggerPrice, trailStopPrice, lmtPriceOffset, adjustedStopPrice,
  // adjustedStopLimitPrice, adjustedTrailingAmount, adjustableTrailingUnit
  f.push('None', '', '', '', '', '', '', 0);
  // readSoftDollarTier: name, value, displayName; readCashQty
  f.push('', '', '', '');
  // dontUseAutoPriceForHedge, isOmsContainer, discretionaryUpToLimitPrice, usePriceMgmtAlgo, duration, postToAts, autoCancelParent
  f.push(true, false, false, false, '', '', false);
  // readPegBestPegMidOrderAttributes: minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf
  f.push('', '', '', '', '');
  // customerAccount, professionalCustomer, bondAccruedInterest, includeOvernight, extOperator, manualOrderIndicator
  f.push('', false, '', false, '', '');
  return f;
}

export function openOrderEnd(): Fields {
  return [OUT.OPEN_ORDER_END, 1];
}

export function completedOrdersEnd(): Fields {
  return [OUT.COMPLETED_ORDERS_END];
}

/** No version field since LAST_LIQUIDITY; `reqId` is −1 for fills pushed as they happen. */
export function executionData(reqId: number, e: SimExecution, time: string, exchange: string): Fields {
  const c = e.contract;
  const full = c.secType === 'BAG' ? undefined : (c as SimContract);
  return [
    OUT.EXECUTION_DATA,
    reqId,
    e.orderId,
    c.conId,
    c.symbol,
    c.secType,
    full?.lastTradeDate ?? '',
    full && full.secType === 'OPT' ? full.strike : 0,
    full?.right ?? '',
    full && full.secType !== 'STK' ? full.multiplier : '',
    exchange,
    full?.currency ?? 'USD',
    full?.localSymbol ?? '',
    full?.tradingClass ?? (c.secType === 'BAG' ? 'COMB' : ''),
    e.execId,
    time,
    e.account,
    exchange,
    e.side,
    e.shares,
    price(e.price),
    e.permId,
    e.clientId,
    0, // liquidation
    e.cumQty,
    price(e.avgPrice),
    e.orderRef,
    '', // evRule
    '', // evMultiplier
    '', // modelCode
    2, // lastLiquidity: removed liquidity
    false, // pendingPriceRevision
  ];
}

export function executionDataEnd(reqId: number): Fields {
  return [OUT.EXECUTION_DATA_END, 1, reqId];
}

/** Absent realised P&L and yield are Double.MAX_VALUE on the wire. */
export function commissionReport(r: SimCommissionReport): Fields {
  return [
    OUT.COMMISSION_REPORT,
    1,
    r.execId,
    price(r.commission),
    r.currency,
    r.realizedPnl === undefined ? DOUBLE_MAX_WIRE : price(r.realizedPnl),
    DOUBLE_MAX_WIRE,
    '',
  ];
}
