// Executions and commission reports: reqExecutions with IB's filter, and the live EXECUTION_DATA /
// COMMISSION_REPORT of each fill, sent to the client whose order filled.

import type { SimCommissionReport, SimExecution } from '../engine-api';
import type { Clients } from './clients';
import type { ClientConnection } from './connection';
import * as enc from './encode';
import { executionExchange } from './order-wire';
import { parseReqExecutions } from './parse';
import type { ServerEngine } from './server-engine';
import { executionTime, parseIbTime } from './time';
import type { FieldReader, WireField } from './wire';

export class ExecutionReports {
  /** execId → the client whose order filled, so its commission report follows it. */
  private readonly execClient = new Map<string, number>();

  constructor(
    private readonly engine: ServerEngine,
    private readonly clients: Clients,
  ) {}

  reqExecutions(conn: ClientConnection, r: FieldReader): void {
    const f = parseReqExecutions(r);
    const found = this.engine.executions({
      clientId: f.clientId > 0 ? f.clientId : undefined,
      account: f.account || undefined,
      sinceMs: f.time ? parseIbTime(f.time) : undefined,
      symbol: f.symbol ? f.symbol.toUpperCase() : undefined,
    });
    const side = f.side === 'BUY' ? 'BOT' : f.side === 'SELL' ? 'SLD' : undefined;
    for (const { execution, commission } of found) {
      if (f.secType && execution.contract.secType !== f.secType) continue;
      if (side && execution.side !== side) continue;
      conn.send(executionFields(f.reqId, execution));
      conn.send(enc.commissionReport(commission));
    }
    conn.send(enc.executionDataEnd(f.reqId));
  }

  executed(e: SimExecution): void {
    this.execClient.set(e.execId, e.clientId);
    this.clients.byClientId(e.clientId)?.send(executionFields(-1, e));
  }

  commission(report: SimCommissionReport): void {
    const clientId = this.execClient.get(report.execId);
    if (clientId !== undefined) this.clients.byClientId(clientId)?.send(enc.commissionReport(report));
  }
}

function executionFields(reqId: number, e: SimExecution): WireField[] {
  return enc.executionData(reqId, e, executionTime(e.time), executionExchange(e.contract));
}
