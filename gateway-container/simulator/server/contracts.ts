// Contract look-ups: a (partial) wire contract resolved against the engine, contract details and
// option parameters (reqSecDefOptParams).

import type { SimContract } from '../engine-api';
import type { ClientConnection } from './connection';
import * as enc from './encode';
import { parseReqContractDetails, type WireContract } from './parse';
import type { ServerEngine } from './server-engine';
import type { FieldReader } from './wire';

export const NO_SECURITY = 'No security definition has been found for the request';

/** Contracts matching a (partial) wire description; conId wins when given. */
export function resolveContracts(engine: ServerEngine, c: WireContract): SimContract[] {
  if (c.conId > 0) {
    const found = engine.contractById(c.conId);
    return found ? [found] : [];
  }
  if (c.symbol === '') return [];
  const expiry = c.lastTradeDate.slice(0, 8);
  const found = engine.findContracts({
    symbol: c.symbol.toUpperCase(),
    secType: c.secType || undefined,
    lastTradeDate: expiry.length === 8 ? expiry : undefined,
    strike: c.strike,
    right: c.right || undefined,
  });
  // A contract month (YYYYMM) selects every expiry in it.
  return expiry.length > 0 && expiry.length < 8
    ? found.filter((x) => x.lastTradeDate.startsWith(expiry))
    : found;
}

export function reqContractDetails(engine: ServerEngine, conn: ClientConnection, r: FieldReader): void {
  const { reqId, contract } = parseReqContractDetails(r);
  const found = resolveContracts(engine, contract);
  if (found.length === 0) {
    conn.send(enc.errMsg(reqId, 200, NO_SECURITY));
    return;
  }
  for (const c of found) {
    const underlying = c.underlyingConId ? engine.contractById(c.underlyingConId) : undefined;
    conn.send(enc.contractData(reqId, c, underlying));
  }
  conn.send(enc.contractDataEnd(reqId));
}

export function reqSecDefOptParams(engine: ServerEngine, conn: ClientConnection, r: FieldReader): void {
  const reqId = r.int('reqId');
  const symbol = r.str('underlyingSymbol').toUpperCase();
  const futFopExchange = r.str('futFopExchange');
  r.str('underlyingSecType');
  const underlyingConId = r.int('underlyingConId');
  const params = engine.optionParams(symbol);
  for (const p of params) {
    if (underlyingConId > 0 && p.underlyingConId !== underlyingConId) continue;
    if (futFopExchange !== '' && p.exchange !== futFopExchange) continue;
    conn.send(enc.secDefOptParams(reqId, p));
  }
  conn.send(enc.secDefOptParamsEnd(reqId));
}
