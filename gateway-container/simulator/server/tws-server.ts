// The TWS-protocol server: accepts API clients over TCP exactly as IB Gateway does (server version
// 193), translates their requests into SimEngine calls and the engine's events into wire messages,
// and enforces IB's limits. A thin composition of the modules beside it: clients (connections and
// dispatch), the clock driver, the fault controller, market-data lines, orders, executions, account,
// contracts and history.

import net from 'node:net';
import type {
  SimCommissionReport,
  SimEngineEvent,
  SimExecution,
  SimOrderState,
  SimPosition,
} from '../engine-api';
import { reqAccountSummary, reqAccountUpdates, reqPositions } from './account';
import { Clients, type RequestHandler } from './clients';
import { ClockDriver } from './clock';
import type { ConnectionInfo } from './connection';
import { reqContractDetails, reqSecDefOptParams } from './contracts';
import * as enc from './encode';
import { FaultController, FaultSwitches, type FaultControls } from './fault-controller';
import type { ScheduledFault } from './faults';
import { reqHistoricalData } from './history';
import { ExecutionReports } from './executions';
import { HistoricalPacer, resolveLimits, type LimitOptions } from './limits';
import { MarketDataLines } from './market-data';
import { OrderDesk } from './orders';
import type { ServerEngine } from './server-engine';
import { IN } from './wire';

export type { EngineFaultHooks, ServerEngine } from './server-engine';
export type { FaultControls, FaultState } from './fault-controller';
export { durationToBars } from './history';

export interface TwsServerOptions {
  engine: ServerEngine;
  /** Default 127.0.0.1: the API is unauthenticated raw TCP, never expose it. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Simulated ms per real ms; 0 stops the timer (tests drive the clock with `advance`). Default 1. */
  speed?: number;
  /** Real ms between clock steps while the timer runs. Default 250. */
  stepMs?: number;
  /** Simulated ms before TICK_SNAPSHOT_END (IB: about 11 s). At speed 0 it is taken as real ms. */
  snapshotDelayMs?: number;
  /** IB's limits; `false` turns them all off. */
  limits?: Partial<LimitOptions> | false;
  /**
   * Which second the message rate is counted in: `real` (default; IB's, for a client pacing on the wall
   * clock) or `simulated` (the engine's clock, for a client that paces on the simulated clock).
   */
  messageRateClock?: 'real' | 'simulated';
  /** Faults to apply at simulated times (e.g. from a `--faults` script). */
  faults?: ScheduledFault[];
  /** First order id handed out by nextValidId. Default 1. */
  firstOrderId?: number;
  log?: (line: string) => void;
}

export class TwsServer {
  readonly engine: ServerEngine;
  readonly limits: LimitOptions;
  readonly faults: FaultControls;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly server: net.Server;
  private readonly clients: Clients;
  private readonly marketData: MarketDataLines;
  private readonly orderDesk: OrderDesk;
  private readonly executionReports: ExecutionReports;
  private readonly faultController: FaultController;
  private readonly clock: ClockDriver;
  private readonly unsubscribe: () => void;
  private stopped = false;
  private boundPort = 0;

  constructor(options: TwsServerOptions) {
    const engine = (this.engine = options.engine);
    const limits = (this.limits = resolveLimits(options.limits));
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    const speed = options.speed ?? 1;
    const log = options.log ?? (() => undefined);
    const switches = new FaultSwitches();
    const marketData = (this.marketData = new MarketDataLines(engine, limits, switches, {
      speed,
      snapshotDelayMs: options.snapshotDelayMs ?? 11_000,
    }));
    const clients = (this.clients = new Clients({
      engine,
      limits,
      switches,
      messageRateNow: options.messageRateClock === 'simulated' ? () => engine.now() : Date.now,
      nextOrderId: () => this.orderDesk.nextOrderId,
      onForget: (conn) => marketData.forget(conn),
      log,
    }));
    const orders = (this.orderDesk = new OrderDesk(engine, clients, switches, log, options.firstOrderId));
    const executions = (this.executionReports = new ExecutionReports(engine, clients));
    this.faultController = new FaultController(
      engine,
      switches,
      {
        dropAll: () => clients.dropAll(),
        broadcast: (fields) => clients.broadcast(fields),
        dropLines: () => marketData.dropAll(),
        resendLines: () => marketData.resendAll(),
        pushMarketData: () => marketData.push(),
      },
      log,
      options.faults,
    );
    this.faults = this.faultController.controls;
    this.clock = new ClockDriver(
      engine,
      this.faultController,
      () => marketData.push(),
      speed,
      options.stepMs ?? 250,
      log,
    );

    const pacer = new HistoricalPacer(limits);
    // Every request the server serves; any other message id gets IB's answer from unsupported.ts.
    const routes: [number, RequestHandler][] = [
      [IN.REQ_IDS, (conn) => conn.send(enc.nextValidId(orders.nextOrderId))],
      [IN.REQ_CURRENT_TIME, (conn) => conn.send(enc.currentTime(engine.now()))],
      [IN.REQ_MANAGED_ACCTS, (conn) => conn.send(enc.managedAccounts(engine.accounts()))],
      [IN.REQ_CONTRACT_DATA, (conn, r) => reqContractDetails(engine, conn, r)],
      [IN.REQ_SEC_DEF_OPT_PARAMS, (conn, r) => reqSecDefOptParams(engine, conn, r)],
      [IN.REQ_MARKET_DATA_TYPE, (conn, r) => marketData.reqMarketDataType(conn, r)],
      [IN.REQ_MKT_DATA, (conn, r) => marketData.reqMktData(conn, r)],
      [IN.CANCEL_MKT_DATA, (conn, r) => marketData.cancelMktData(conn, r)],
      [IN.REQ_HISTORICAL_DATA, (conn, r) => reqHistoricalData(engine, pacer, conn, r)],
      [IN.CANCEL_HISTORICAL_DATA, () => undefined], // answered at once, nothing left to cancel
      [IN.REQ_POSITIONS, (conn) => reqPositions(engine, conn)],
      [IN.CANCEL_POSITIONS, (conn) => (conn.positionsSubscribed = false)],
      [IN.REQ_ACCOUNT_SUMMARY, (conn, r) => reqAccountSummary(engine, conn, r)],
      [IN.CANCEL_ACCOUNT_SUMMARY, () => undefined],
      [IN.REQ_ACCOUNT_DATA, (conn, r) => reqAccountUpdates(engine, conn, r)],
      [IN.REQ_OPEN_ORDERS, (conn) => orders.sendOpenOrders(conn, conn.clientId)],
      [IN.REQ_ALL_OPEN_ORDERS, (conn) => orders.sendOpenOrders(conn, undefined)],
      [IN.REQ_AUTO_OPEN_ORDERS, () => undefined], // binds future manual orders; the simulator has none
      [IN.REQ_COMPLETED_ORDERS, (conn) => conn.send(enc.completedOrdersEnd())],
      [IN.REQ_EXECUTIONS, (conn, r) => executions.reqExecutions(conn, r)],
      [IN.PLACE_ORDER, (conn, r) => orders.placeOrder(conn, r)],
      [IN.CANCEL_ORDER, (conn, r) => orders.cancelOrder(conn, r)],
    ];
    for (const [msgId, handler] of routes) clients.handle(msgId, handler);

    this.server = net.createServer((socket) => clients.accept(socket));
    this.unsubscribe = engine.onEvent((event) => this.onEngineEvent(event));
  }

  /** Starts listening and (at speed > 0) the clock; resolves with the bound port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.requestedPort, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.requestedPort;
    this.faultController.runDue();
    this.clock.start();
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Client messages received since start, every connection, the handshake aside (IB counts the same). */
  get messagesReceived(): number {
    return this.clients.received;
  }

  get address(): string {
    return this.host;
  }

  /** Stops the clock, drops every client and closes the listening socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.stop();
    this.marketData.dropAll();
    this.clients.stop();
    this.unsubscribe();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Moves simulated time forward, firing scheduled faults at their instants, then pushes market data. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  connections(): ConnectionInfo[] {
    return this.clients.connections();
  }

  /** Every order the server has seen, latest state first by order id. */
  orders(): SimOrderState[] {
    return this.orderDesk.orders();
  }

  executions(): { execution: SimExecution; commission: SimCommissionReport }[] {
    return this.engine.executions();
  }

  positions(): SimPosition[] {
    return this.engine.positions();
  }

  private onEngineEvent(event: SimEngineEvent): void {
    switch (event.type) {
      case 'orderStatus':
        this.orderDesk.report(event.order);
        break;
      case 'execution':
        this.executionReports.executed(event.execution);
        break;
      case 'commission':
        this.executionReports.commission(event.report);
        break;
      case 'positionChanged':
        for (const conn of this.clients.ready())
          if (conn.positionsSubscribed) conn.send(enc.position(event.position));
        break;
      case 'orderRejected':
        this.orderDesk.rejected(event);
        break;
    }
  }
}
