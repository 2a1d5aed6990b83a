// Server → client messages at server version 193, field by field as @stoqey/ib 1.6.10's decoder
// reads them (dist/core/io/decoder.js and its OrderDecoder). The decoder is strict: one field too
// many is error 505, one too few an underrun, so each builder mirrors one decode function.

import type { SimBar, SimContract, SimOptionParams, SimPosition } from '../engine-api';
import { OUT, price, type WireField } from './wire';

export * from './encode-orders';

export type Fields = WireField[];

export function errMsg(id: number, code: number, message: string): Fields {
  return [OUT.ERR_MSG, 2, id, code, message, ''];
}

export function nextValidId(orderId: number): Fields {
  return [OUT.NEXT_VALID_ID, 1, orderId];
}

export function managedAccounts(accounts: readonly string[]): Fields {
  return [OUT.MANAGED_ACCTS, 1, accounts.join(',')];
}

export function currentTime(epochMs: number): Fields {
  return [OUT.CURRENT_TIME, 1, Math.floor(epochMs / 1000)];
}

/** IB's order types for options and stocks; shown in contract details, not enforced. */
const ORDER_TYPES =
  'ACTIVETIM,AD,ADJUST,ALERT,ALLOC,AVGCOST,BASKET,COND,CONDORDER,DAY,DEACT,DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,IOC,LIT,LMT,MIT,MKT,NONALGO,OCA,PAON,POSTONLY,RELSTK,SCALE,SCALERST,SNAPMID,SNAPMKT,SNAPREL,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,VOLAT,WHATIF';

function marketName(c: SimContract): string {
  return c.tradingClass || c.symbol;
}

/** CONTRACT_DATA without version (≥ SIZE_RULES), with lastTradeDate (≥ LAST_TRADE_DATE) and ineligibility reasons. */
export function contractData(reqId: number, c: SimContract, underlying?: SimContract): Fields {
  const isDerivative = c.secType === 'OPT' || c.secType === 'FUT';
  return [
    OUT.CONTRACT_DATA,
    reqId,
    c.symbol,
    c.secType,
    c.lastTradeDate,
    c.lastTradeDate,
    c.secType === 'OPT' ? c.strike : 0,
    c.right ?? '',
    c.exchange,
    c.currency,
    c.localSymbol,
    marketName(c),
    c.tradingClass,
    c.conId,
    c.minTick,
    c.secType === 'STK' || c.secType === 'IND' ? '' : c.multiplier,
    ORDER_TYPES,
    c.secType === 'OPT'
      ? 'SMART,AMEX,CBOE,PHLX,PSE,ISE,BOX,BATS,NASDAQOM,CBOE2,MIAX,EDGX,GEMINI,EMERALD,PEARL'
      : c.exchange,
    1, // priceMagnifier
    c.underlyingConId ?? 0,
    c.longName,
    c.primaryExchange,
    isDerivative ? c.lastTradeDate.slice(0, 6) : '', // contractMonth
    c.secType === 'IND' ? 'Indices' : 'Funds', // industry
    c.secType === 'IND' ? 'Volatility' : 'Equity Fund', // category
    c.secType === 'IND' ? '' : 'Growth-Large Cap', // subcategory
    c.timeZoneId,
    c.tradingHours,
    c.liquidHours,
    '', // evRule
    '', // evMultiplier
    0, // secIdList count
    c.secType === 'OPT' ? 2 : 1, // aggGroup
    underlying?.symbol ?? (isDerivative ? c.symbol : ''),
    underlying?.secType ?? (isDerivative ? (c.secType === 'FUT' ? 'IND' : 'STK') : ''),
    c.secType === 'OPT' ? '32,109' : '26',
    isDerivative ? c.lastTradeDate : '', // realExpirationDate
    c.secType === 'STK' ? 'ETF' : '', // stockType
    1, // minSize
    1, // sizeIncrement
    1, // suggestedSizeIncrement
    0, // ineligibility reasons count
  ];
}

export function contractDataEnd(reqId: number): Fields {
  return [OUT.CONTRACT_DATA_END, 1, reqId];
}

export function secDefOptParams(reqId: number, p: SimOptionParams): Fields {
  return [
    OUT.SECURITY_DEFINITION_OPTION_PARAMETER,
    reqId,
    p.exchange,
    p.underlyingConId,
    p.tradingClass,
    p.multiplier,
    p.expirations.length,
    ...p.expirations,
    p.strikes.length,
    ...p.strikes,
  ];
}

export function secDefOptParamsEnd(reqId: number): Fields {
  return [OUT.SECURITY_DEFINITION_OPTION_PARAMETER_END, reqId];
}

export function marketDataType(reqId: number, type: number): Fields {
  return [OUT.MARKET_DATA_TYPE, 1, reqId, type];
}

/** The client reads minTick as an integer (a known decoder bug); IB still sends the decimal. */
export function tickReqParams(reqId: number, minTick: number): Fields {
  return [OUT.TICK_REQ_PARAMS, reqId, minTick, '9c0001', 3];
}

/** TICK_PRICE v6: `reqId, tickType, price, size, attrMask` (bit 0 = can auto-execute). */
export function tickPrice(
  reqId: number,
  tickType: number,
  value: number,
  size: number,
  attrMask: number,
): Fields {
  return [OUT.TICK_PRICE, 6, reqId, tickType, price(value), size, attrMask];
}

export function tickSize(reqId: number, tickType: number, size: number): Fields {
  return [OUT.TICK_SIZE, 6, reqId, tickType, size];
}

export function tickGeneric(reqId: number, tickType: number, value: number): Fields {
  return [OUT.TICK_GENERIC, 6, reqId, tickType, value];
}

export interface OptionComputation {
  impliedVol?: number;
  delta?: number;
  optPrice?: number;
  pvDividend?: number;
  gamma?: number;
  vega?: number;
  theta?: number;
  undPrice?: number;
}

/** No version field since PRICE_BASED_VOLATILITY; −1 (vol, prices) and −2 (greeks) mean "not computed". */
export function tickOptionComputation(reqId: number, tickType: number, c: OptionComputation): Fields {
  return [
    OUT.TICK_OPTION_COMPUTATION,
    reqId,
    tickType,
    0, // tickAttrib: return-based
    c.impliedVol ?? -1,
    c.delta ?? -2,
    price(c.optPrice) ?? -1,
    c.pvDividend ?? -1,
    c.gamma ?? -2,
    c.vega ?? -2,
    c.theta ?? -2,
    price(c.undPrice) ?? -1,
  ];
}

export function tickSnapshotEnd(reqId: number): Fields {
  return [OUT.TICK_SNAPSHOT_END, 1, reqId];
}

/** No version field since SYNT_REALTIME_BARS; bars carry barCount but no hasGaps. */
export function historicalData(
  reqId: number,
  startDate: string,
  endDate: string,
  bars: readonly SimBar[],
): Fields {
  const fields: Fields = [OUT.HISTORICAL_DATA, reqId, startDate, endDate, bars.length];
  for (const b of bars) {
    fields.push(
      b.date,
      price(b.open),
      price(b.high),
      price(b.low),
      price(b.close),
      b.volume,
      price(b.wap),
      b.barCount,
    );
  }
  return fields;
}

export function position(p: SimPosition): Fields {
  const c = p.contract;
  return [
    OUT.POSITION,
    3,
    p.account,
    c.conId,
    c.symbol,
    c.secType,
    c.lastTradeDate,
    c.secType === 'OPT' ? c.strike : 0,
    c.right ?? '',
    c.secType === 'STK' ? '' : c.multiplier,
    c.exchange,
    c.currency,
    c.localSymbol,
    c.tradingClass,
    p.position,
    price(p.avgCost),
  ];
}

/** POSITION_MULTI: POSITION's fields behind a request id, then the model code. */
export function positionMulti(reqId: number, p: SimPosition, modelCode: string): Fields {
  const [, , ...fields] = position(p);
  return [OUT.POSITION_MULTI, 1, reqId, ...fields, modelCode];
}

export function positionEnd(): Fields {
  return [OUT.POSITION_END, 1];
}

export function accountSummary(
  reqId: number,
  account: string,
  tag: string,
  value: string,
  currency: string,
): Fields {
  return [OUT.ACCOUNT_SUMMARY, 1, reqId, account, tag, value, currency];
}

export function accountSummaryEnd(reqId: number): Fields {
  return [OUT.ACCOUNT_SUMMARY_END, 1, reqId];
}

export function accountValue(key: string, value: string, currency: string, account: string): Fields {
  return [OUT.ACCT_VALUE, 2, key, value, currency, account];
}

export function portfolioValue(
  p: SimPosition,
  marketPrice: number,
  marketValue: number,
  unrealizedPnl: number,
  realizedPnl: number,
): Fields {
  const c = p.contract;
  return [
    OUT.PORTFOLIO_VALUE,
    8,
    c.conId,
    c.symbol,
    c.secType,
    c.lastTradeDate,
    c.secType === 'OPT' ? c.strike : 0,
    c.right ?? '',
    c.secType === 'STK' ? '' : c.multiplier,
    c.primaryExchange,
    c.currency,
    c.localSymbol,
    c.tradingClass,
    p.position,
    price(marketPrice),
    price(marketValue),
    price(p.avgCost),
    price(unrealizedPnl),
    price(realizedPnl),
    p.account,
  ];
}

export function accountUpdateTime(hhmm: string): Fields {
  return [OUT.ACCT_UPDATE_TIME, 1, hhmm];
}

export function accountDownloadEnd(account: string): Fields {
  return [OUT.ACCT_DOWNLOAD_END, 1, account];
}
