// Historical data: daily bars only, IB's validation errors (321, 200) and its pacing rule (162).

import type { SimContract } from '../engine-api';
import type { ClientConnection } from './connection';
import { NO_SECURITY, resolveContracts } from './contracts';
import * as enc from './encode';
import type { HistoricalPacer } from './limits';
import { parseReqHistoricalData } from './parse';
import type { ServerEngine } from './server-engine';
import { nyStamp } from './time';
import type { FieldReader } from './wire';

export function reqHistoricalData(
  engine: ServerEngine,
  pacer: HistoricalPacer,
  conn: ClientConnection,
  r: FieldReader,
): void {
  const req = parseReqHistoricalData(r);
  const found = resolveContracts(engine, req.contract);
  if (found.length !== 1) {
    conn.send(enc.errMsg(req.reqId, 200, NO_SECURITY));
    return;
  }
  const contract = found[0] as SimContract;
  if (req.barSize.trim().toLowerCase() !== '1 day') {
    conn.send(
      enc.errMsg(
        req.reqId,
        321,
        `Error validating request.-'bP' : cause - the simulator has daily bars only, not "${req.barSize}"`,
      ),
    );
    return;
  }
  const what = req.whatToShow;
  if (what !== 'TRADES' && what !== 'OPTION_IMPLIED_VOLATILITY' && what !== 'MIDPOINT') {
    conn.send(enc.errMsg(req.reqId, 321, `Error validating request.-'bP' : cause - No data of type ${what}`));
    return;
  }
  const bars = durationToBars(req.duration);
  if (bars === undefined) {
    conn.send(
      enc.errMsg(
        req.reqId,
        321,
        `Error validating request.-'bP' : cause - Invalid duration "${req.duration}"`,
      ),
    );
    return;
  }
  const now = engine.now();
  const pacingKey = JSON.stringify([
    contract.conId,
    req.endDateTime,
    req.barSize,
    req.duration,
    what,
    req.useRth,
  ]);
  const pacing = pacer.check(pacingKey, now);
  if (pacing) {
    conn.send(enc.errMsg(req.reqId, 162, pacing));
    return;
  }
  const data = engine.dailyBars(contract.conId, bars, what);
  const start = data[0]?.date ?? nyStamp(now).slice(0, 8);
  conn.send(enc.historicalData(req.reqId, `${start} 00:00:00`, nyStamp(now), data));
}

/** IB duration strings → number of daily bars (trading days). */
export function durationToBars(duration: string): number | undefined {
  const match = /^\s*(\d+)\s*([SDWMY])\s*$/i.exec(duration);
  if (!match) return undefined;
  const n = Number(match[1]);
  switch ((match[2] as string).toUpperCase()) {
    case 'S':
      return 1;
    case 'D':
      return Math.max(1, Math.round((n * 252) / 365));
    case 'W':
      return 5 * n;
    case 'M':
      return 21 * n;
    default:
      return 252 * n;
  }
}
