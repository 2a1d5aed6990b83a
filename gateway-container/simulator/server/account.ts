// Account and positions: reqAccountSummary (IB's tags and the $LEDGER block), reqAccountUpdates (one
// full download) and reqPositions. The tag tables are pure so tests can read them row by row.

import type { SimAccountSummary } from '../engine-api';
import type { ClientConnection } from './connection';
import * as enc from './encode';
import type { ServerEngine } from './server-engine';
import { nyHhmm } from './time';
import { markPosition } from './unsupported';
import { money, type FieldReader } from './wire';

/** Account-summary tags, as reqAccountSummary names them. */
const SUMMARY_TAGS: Record<string, (s: SimAccountSummary) => [string, string]> = {
  AccountType: () => ['INDIVIDUAL', ''],
  NetLiquidation: (s) => [money(s.netLiquidation), 'USD'],
  TotalCashValue: (s) => [money(s.totalCashValue), 'USD'],
  SettledCash: (s) => [money(s.totalCashValue), 'USD'],
  BuyingPower: (s) => [money(s.buyingPower), 'USD'],
  EquityWithLoanValue: (s) => [money(s.netLiquidation), 'USD'],
  InitMarginReq: (s) => [money(s.initMarginReq), 'USD'],
  MaintMarginReq: (s) => [money(s.maintMarginReq), 'USD'],
  FullInitMarginReq: (s) => [money(s.initMarginReq), 'USD'],
  FullMaintMarginReq: (s) => [money(s.maintMarginReq), 'USD'],
  AvailableFunds: (s) => [money(s.availableFunds), 'USD'],
  FullAvailableFunds: (s) => [money(s.availableFunds), 'USD'],
  ExcessLiquidity: (s) => [money(s.excessLiquidity), 'USD'],
  FullExcessLiquidity: (s) => [money(s.excessLiquidity), 'USD'],
  Cushion: (s) => [s.netLiquidation > 0 ? (s.excessLiquidity / s.netLiquidation).toFixed(6) : '0', ''],
};

/** `$LEDGER` tags (per-currency ledger; the simulator only knows USD). */
const LEDGER_TAGS: Record<string, (s: SimAccountSummary) => string> = {
  CashBalance: (s) => money(s.totalCashValue),
  TotalCashBalance: (s) => money(s.totalCashValue),
  NetLiquidationByCurrency: (s) => money(s.netLiquidation),
  RealizedPnL: (s) => money(s.realizedPnl),
  UnrealizedPnL: (s) => money(s.unrealizedPnl),
  ExchangeRate: () => '1.00',
};

/** [tag, value, currency] rows of one account's summary for the requested tags (`All`, `$LEDGER…`). */
export function summaryRows(tags: readonly string[], s: SimAccountSummary): [string, string, string][] {
  const rows: [string, string, string][] = [];
  const wanted = tags.includes('All') ? Object.keys(SUMMARY_TAGS) : tags;
  for (const tag of wanted) {
    const value = SUMMARY_TAGS[tag]?.(s);
    if (value) rows.push([tag, value[0], value[1]]);
  }
  if (tags.some((t) => t.startsWith('$LEDGER'))) {
    for (const [tag, value] of Object.entries(LEDGER_TAGS)) rows.push([tag, value(s), 'USD']);
  }
  return rows;
}

/** [key, value, currency] rows of reqAccountUpdates' account values, in the order IB's download has. */
export function accountUpdateValues(account: string, s: SimAccountSummary): [string, string, string][] {
  return [
    ['AccountCode', account, ''],
    ['AccountType', 'INDIVIDUAL', ''],
    ['NetLiquidation', money(s.netLiquidation), 'USD'],
    ['TotalCashValue', money(s.totalCashValue), 'USD'],
    ['CashBalance', money(s.totalCashValue), 'USD'],
    ['BuyingPower', money(s.buyingPower), 'USD'],
    ['AvailableFunds', money(s.availableFunds), 'USD'],
    ['ExcessLiquidity', money(s.excessLiquidity), 'USD'],
    ['InitMarginReq', money(s.initMarginReq), 'USD'],
    ['MaintMarginReq', money(s.maintMarginReq), 'USD'],
    ['RealizedPnL', money(s.realizedPnl), 'USD'],
    ['UnrealizedPnL', money(s.unrealizedPnl), 'USD'],
  ];
}

export function reqAccountSummary(engine: ServerEngine, conn: ClientConnection, r: FieldReader): void {
  r.int('version');
  const reqId = r.int('reqId');
  r.str('group');
  const tags = r
    .str('tags')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const account of engine.accounts()) {
    for (const [tag, value, currency] of summaryRows(tags, engine.accountSummary(account))) {
      conn.send(enc.accountSummary(reqId, account, tag, value, currency));
    }
  }
  conn.send(enc.accountSummaryEnd(reqId));
}

/** One full download (values, portfolio, time, end); the simulator does not stream later updates. */
export function reqAccountUpdates(engine: ServerEngine, conn: ClientConnection, r: FieldReader): void {
  r.int('version');
  const subscribe = r.bool('subscribe');
  const requested = r.str('accountCode');
  if (!subscribe) return;
  const account = requested || engine.accounts()[0] || '';
  for (const [key, value, currency] of accountUpdateValues(account, engine.accountSummary(account))) {
    conn.send(enc.accountValue(key, value, currency, account));
  }
  for (const p of engine.positions(account)) {
    const { mid, marketValue, unrealized } = markPosition(engine, p);
    conn.send(enc.portfolioValue(p, mid, marketValue, unrealized, 0));
  }
  conn.send(enc.accountUpdateTime(nyHhmm(engine.now())));
  conn.send(enc.accountDownloadEnd(account));
}

/** reqPositions: every position, the end marker, and POSITION updates from now on. */
export function reqPositions(engine: ServerEngine, conn: ClientConnection): void {
  conn.positionsSubscribed = true;
  for (const p of engine.positions()) conn.send(enc.position(p));
  conn.send(enc.positionEnd());
}
