// Market-data lines: reqMktData (single contracts and BAG combos, streaming and snapshot), its cancel,
// reqMarketDataType, IB's line limit (101), the delayed-data fault, and pushing only what changed.

import type { SimAction, SimContract, SimQuote } from '../engine-api';
import type { ClientConnection } from './connection';
import { NO_SECURITY, resolveContracts } from './contracts';
import * as enc from './encode';
import type { FaultSwitches } from './fault-controller';
import type { LimitOptions } from './limits';
import { parseReqMktData } from './parse';
import type { ServerEngine } from './server-engine';
import { comboQuote, lineDataType, quoteTicks } from './ticks';
import type { FieldReader } from './wire';

interface MarketDataLine {
  conn: ClientConnection;
  reqId: number;
  contract?: SimContract;
  legs?: { contract: SimContract; ratio: number; action: SimAction }[];
  genericTicks: Set<string>;
  snapshot: boolean;
  /** Last value sent per tick type, so streaming sends only changes (as IB does). */
  sent: Map<string, string>;
  timer?: NodeJS.Timeout;
  /** Delayed data whatever the connection's market data type asks (the `delayedData` fault). */
  delayedOnly?: boolean;
}

export interface MarketDataOptions {
  /** Simulated ms per real ms; the snapshot delay is simulated time when the clock runs. */
  speed: number;
  /** Simulated ms before TICK_SNAPSHOT_END (real ms at speed 0). */
  snapshotDelayMs: number;
}

export class MarketDataLines {
  private readonly lines = new Map<string, MarketDataLine>();

  constructor(
    private readonly engine: ServerEngine,
    private readonly limits: LimitOptions,
    private readonly switches: FaultSwitches,
    private readonly options: MarketDataOptions,
  ) {}

  reqMarketDataType(conn: ClientConnection, r: FieldReader): void {
    r.int('version');
    const type = r.int('marketDataType');
    if (type < 1 || type > 4) return;
    conn.marketDataType = type;
    for (const line of this.lines.values()) {
      if (line.conn !== conn) continue;
      conn.send(enc.marketDataType(line.reqId, dataType(line)));
      line.sent.clear();
    }
    this.push();
  }

  reqMktData(conn: ClientConnection, r: FieldReader): void {
    const req = parseReqMktData(r);
    const key = `${conn.id}:${req.reqId}`;
    if (this.lines.has(key)) {
      conn.send(enc.errMsg(req.reqId, 322, "Error processing request.-'bW' : cause - Duplicate ticker id"));
      return;
    }
    const snapshot = req.snapshot || req.regulatorySnapshot;
    if (snapshot && req.genericTicks.length > 0) {
      conn.send(
        enc.errMsg(
          req.reqId,
          321,
          "Error validating request.-'bN' : cause - Snapshot market data subscription is not applicable to generic ticks",
        ),
      );
      return;
    }
    const line: MarketDataLine = {
      conn,
      reqId: req.reqId,
      genericTicks: new Set(req.genericTicks),
      snapshot,
      sent: new Map(),
    };
    if (req.contract.secType === 'BAG') {
      const legs = [];
      for (const leg of req.contract.comboLegs ?? []) {
        const contract = this.engine.contractById(leg.conId);
        if (!contract) {
          conn.send(enc.errMsg(req.reqId, 200, NO_SECURITY));
          return;
        }
        legs.push({
          contract,
          ratio: leg.ratio || 1,
          action: leg.action === 'SELL' ? 'SELL' : ('BUY' as SimAction),
        });
      }
      if (legs.length === 0) {
        conn.send(enc.errMsg(req.reqId, 200, NO_SECURITY));
        return;
      }
      line.legs = legs;
    } else {
      const found = resolveContracts(this.engine, req.contract);
      if (found.length !== 1) {
        const text =
          found.length === 0
            ? NO_SECURITY
            : `The contract description specified for ${req.contract.symbol} is ambiguous.`;
        conn.send(enc.errMsg(req.reqId, 200, text));
        return;
      }
      line.contract = found[0];
    }
    if (this.limits.enabled && this.lines.size >= this.limits.maxMarketDataLines) {
      conn.send(enc.errMsg(req.reqId, 101, 'Max number of tickers has been reached'));
      return;
    }
    this.lines.set(key, line);
    conn.send(enc.tickReqParams(req.reqId, line.contract?.minTick ?? 0.01));
    if (this.switches.delayedData && conn.marketDataType < 3) {
      // IB without a real-time subscription: a warning (the request goes on), then delayed data
      line.delayedOnly = true;
      conn.send(
        enc.errMsg(
          req.reqId,
          10167,
          'Requested market data is not subscribed. Displaying delayed market data.',
        ),
      );
    }
    conn.send(enc.marketDataType(req.reqId, dataType(line)));
    if (!this.switches.connectivityLost) this.sendTicks(line);
    if (snapshot) {
      const { speed, snapshotDelayMs } = this.options;
      const delay = speed > 0 ? snapshotDelayMs / speed : snapshotDelayMs;
      line.timer = setTimeout(() => {
        if (this.lines.get(key) !== line) return;
        this.lines.delete(key);
        conn.send(enc.tickSnapshotEnd(req.reqId));
      }, delay);
    }
  }

  cancelMktData(conn: ClientConnection, r: FieldReader): void {
    r.int('version');
    const reqId = r.int('reqId');
    const key = `${conn.id}:${reqId}`;
    const line = this.lines.get(key);
    if (!line) {
      conn.send(enc.errMsg(reqId, 300, `Can't find EId with tickerId:${reqId}`));
      return;
    }
    if (line.timer) clearTimeout(line.timer);
    this.lines.delete(key);
  }

  /** Streaming lines get every change since the last push. */
  push(): void {
    if (this.switches.connectivityLost) return;
    for (const line of this.lines.values()) if (!line.snapshot) this.sendTicks(line);
  }

  /** Every line sends all its ticks again (connectivity restored, data maintained). */
  resendAll(): void {
    for (const line of this.lines.values()) line.sent.clear();
    this.push();
  }

  /** Ends every line, the client is not told (connectivity restored, data lost). */
  dropAll(): void {
    for (const [key, line] of this.lines) {
      if (line.timer) clearTimeout(line.timer);
      this.lines.delete(key);
    }
  }

  /** Ends the lines of a connection that is gone. */
  forget(conn: ClientConnection): void {
    for (const [key, line] of this.lines) {
      if (line.conn === conn) {
        if (line.timer) clearTimeout(line.timer);
        this.lines.delete(key);
      }
    }
  }

  private lineQuote(line: MarketDataLine): SimQuote | undefined {
    if (line.contract) return this.engine.quote(line.contract.conId);
    return comboQuote(line.legs ?? [], (conId) => this.engine.quote(conId));
  }

  private sendTicks(line: MarketDataLine): void {
    const q = this.lineQuote(line);
    if (!q) return;
    const ticks = quoteTicks(line.reqId, q, {
      delayed: dataType(line) >= 3,
      contract: line.contract,
      genericTicks: line.genericTicks,
    });
    for (const tick of ticks) {
      if (line.sent.get(tick.key) === tick.signature) continue;
      line.sent.set(tick.key, tick.signature);
      line.conn.send(tick.fields);
    }
  }
}

function dataType(line: MarketDataLine): number {
  return lineDataType(line.conn.marketDataType, line.delayedOnly);
}
