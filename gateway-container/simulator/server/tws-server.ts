// The TWS-protocol server: accepts API clients over TCP exactly as IB Gateway does (server version
// 193), translates their requests into SimEngine calls and the engine's events into wire messages,
// and enforces IB's limits. It also owns the simulated clock's timer and the fault switches.

import net from 'node:net';
import type {
  SimAccountSummary,
  SimAction,
  SimCommissionReport,
  SimContract,
  SimEngine,
  SimEngineEvent,
  SimExecution,
  SimOrderRequest,
  SimOrderState,
  SimPosition,
  SimQuote,
  SimSecType,
  SimWhatIf,
} from '../engine-api';
import { ClientConnection, type ConnectionInfo } from './connection';
import * as enc from './encode';
import {
  DEFAULT_RESTART_MINUTES,
  type FaultAction,
  type QuoteFaultMode,
  type QuoteFaultTarget,
  type ScheduledFault,
} from './faults';
import { HistoricalPacer, resolveLimits, type LimitOptions } from './limits';
import {
  parseCancelOrder,
  parsePlaceOrder,
  parseReqContractDetails,
  parseReqExecutions,
  parseReqHistoricalData,
  parseReqMktData,
  type WireContract,
  type WireOrder,
} from './parse';
import { answerUnserved, markPosition } from './unsupported';
import { connectionTime, executionTime, nyHhmm, nyStamp, parseIbTime } from './time';
import { FieldReader, IN, money, SERVER_VERSION, WireUnderrun, type WireField } from './wire';

/** Fault hooks and views the engine may offer; the server falls back to its own handling where sensible. */
export interface EngineFaultHooks {
  completedOrders?(): SimOrderState[];
  setQuoteFault?(target: QuoteFaultTarget, mode: QuoteFaultMode | undefined): void;
  setOrderRejection?(reason: string | undefined): void;
  setPartialFillsNeverComplete?(neverComplete: boolean): void;
  setTime?(ms: number): void;
  shockPrice?(symbol: string, returnPct: number, volLogBump?: number): void;
  assignEarly?(symbol: string, narrow?: { conId?: number; quantity?: number }): unknown;
}

export type ServerEngine = SimEngine & EngineFaultHooks;

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

export interface FaultControls {
  /** Drops every client connection now. */
  disconnect(): void;
  /** Drops every client connection when the simulated clock reaches `at` (epoch ms). */
  disconnectAt(at: number): void;
  /** Error 1100 to every client; market data stops flowing. */
  connectivityLost(): void;
  /** 1101 (subscriptions lost, clients must re-request) or 1102 (data maintained, ticks resume). */
  connectivityRestored(dataLost?: boolean): void;
  /** IB's nightly reset: drops connections and refuses new ones for `durationMs` of simulated time. */
  restart(durationMs?: number): void;
  restartAt(at: number, durationMs?: number): void;
  /** Rejects new orders with error 201 and this reason; undefined accepts them again. */
  rejectOrders(reason: string | undefined): void;
  /** Stale, missing or sentinel quotes for a conId, a symbol or 'all'; undefined restores them. */
  quotes(target: QuoteFaultTarget, mode: QuoteFaultMode | undefined): void;
  partialFillsNeverComplete(neverComplete: boolean): void;
  /** Delays every message to clients by `delayMs` real ms (0 restores). */
  slowResponses(delayMs: number): void;
  /**
   * Sends each ORDER_STATUS `delayMs` real ms after the OPEN_ORDER of the same change (0 restores): IB
   * reports a fill's OPEN_ORDER (status Filled) before the ORDER_STATUS that carries the quantities, and
   * a client must not take the status without them.
   */
  orderStatusLag(delayMs: number): void;
  /**
   * Answers new market-data requests as IB does for an account without a real-time subscription
   * (warning 10167, MARKET_DATA_TYPE 3, delayed tick types); false restores live data for new requests.
   */
  delayedData(on: boolean): void;
  /** The underlying gaps by `pct` percent now (options follow); `volBump` raises its log-volatility. */
  priceShock(symbol: string, pct: number, volBump?: number): void;
  /**
   * OCC assigns every short in-the-money option of `symbol` now; `conId` narrows it to one contract,
   * `quantity` to that many contracts in all. Positions change; clients see POSITION updates.
   */
  earlyAssignment(symbol: string, narrow?: { conId?: number; quantity?: number }): void;
  /**
   * A cold login waiting for its second factor: drops every client and refuses connections (as IB Gateway
   * does before it has logged in) until `loginApproved`.
   */
  loginPending(): void;
  loginApproved(): void;
  /** Applies `action` when the simulated clock reaches `at` (now or earlier: at once). */
  schedule(at: number | undefined, action: FaultAction): void;
  /** The current state of the switches. */
  state(): FaultState;
}

export interface FaultState {
  connectivityLost: boolean;
  restartUntil?: number;
  /** A login waits for its second factor: connections are refused. */
  loginPending: boolean;
  rejectReason?: string;
  responseDelayMs: number;
  orderStatusLagMs: number;
  delayedData: boolean;
  pending: ScheduledFault[];
}

interface OrderRecord {
  orderId: number;
  clientId: number;
  contract: WireContract;
  order: WireOrder;
  state?: SimOrderState;
  lastStatusKey?: string;
  lastStatus?: string;
  rejectSent?: boolean;
}

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

const FARM_STATUS: [number, string][] = [
  [2104, 'Market data farm connection is OK:usfarm'],
  [2106, 'HMDS data farm connection is OK:ushmds'],
  [2158, 'Sec-def data farm connection is OK:secdefnj'],
];

const NO_SECURITY = 'No security definition has been found for the request';

/** The market data type a line carries: its connection's, moved to delayed (1→3, 2→4) by `delayedData`. */
function lineDataType(line: MarketDataLine): number {
  const type = line.conn.marketDataType;
  return line.delayedOnly && type < 3 ? type + 2 : type;
}

/** Live tick type → delayed tick type (reqMarketDataType 3/4). */
const DELAYED: Record<number, number> = {
  0: 69,
  1: 66,
  2: 67,
  3: 70,
  4: 68,
  5: 71,
  6: 72,
  7: 73,
  8: 74,
  9: 75,
};
const DELAYED_COMPUTATION: Record<number, number> = { 10: 80, 11: 81, 12: 82, 13: 83 };

const WORKING: ReadonlySet<string> = new Set(['PendingSubmit', 'PreSubmitted', 'Submitted']);

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

export class TwsServer {
  readonly engine: ServerEngine;
  readonly limits: LimitOptions;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly speed: number;
  private readonly stepMs: number;
  private readonly snapshotDelayMs: number;
  private readonly log: (line: string) => void;
  private readonly server: net.Server;
  private readonly conns = new Set<ClientConnection>();
  private readonly lines = new Map<string, MarketDataLine>();
  private readonly orderRecords = new Map<number, OrderRecord>();
  private readonly execClient = new Map<string, number>();
  private readonly pacer: HistoricalPacer;
  private readonly unsubscribe: () => void;
  private readonly pending: ScheduledFault[] = [];
  private nextConnId = 1;
  private nextOrderId: number;
  private clockTimer: NodeJS.Timeout | undefined;
  private lastRealStep = 0;
  private connectivityLost = false;
  private restartUntil: number | undefined;
  private loginPending = false;
  private rejectReason: string | undefined;
  private responseDelayMs = 0;
  private orderStatusLagMs = 0;
  private delayedData = false;
  private stopped = false;
  private boundPort = 0;
  private received = 0;
  private readonly messageRateNow: () => number;

  constructor(options: TwsServerOptions) {
    this.engine = options.engine;
    this.limits = resolveLimits(options.limits);
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    this.speed = options.speed ?? 1;
    this.stepMs = options.stepMs ?? 250;
    this.snapshotDelayMs = options.snapshotDelayMs ?? 11_000;
    this.log = options.log ?? (() => undefined);
    this.nextOrderId = Math.max(
      options.firstOrderId ?? 1,
      ...this.engine.openOrders().map((o) => o.request.orderId + 1),
    );
    this.pacer = new HistoricalPacer(this.limits);
    this.messageRateNow = options.messageRateClock === 'simulated' ? () => this.engine.now() : Date.now;
    for (const f of options.faults ?? []) this.pending.push(f);
    this.server = net.createServer((socket) => this.accept(socket));
    this.unsubscribe = this.engine.onEvent((event) => this.onEngineEvent(event));
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
    this.runDueFaults();
    if (this.speed > 0) {
      this.lastRealStep = performance.now();
      this.clockTimer = setInterval(() => this.realTimeStep(), this.stepMs);
    }
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Client messages received since start, every connection, the handshake aside (IB counts the same). */
  get messagesReceived(): number {
    return this.received;
  }

  get address(): string {
    return this.host;
  }

  /** Stops the clock, drops every client and closes the listening socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.clockTimer) clearInterval(this.clockTimer);
    for (const line of this.lines.values()) if (line.timer) clearTimeout(line.timer);
    this.lines.clear();
    for (const conn of this.conns) conn.destroy();
    this.conns.clear();
    this.unsubscribe();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------------------------------------
  // Clock

  private realTimeStep(): void {
    const now = performance.now();
    const elapsed = now - this.lastRealStep;
    this.lastRealStep = now;
    try {
      this.advance(elapsed * this.speed);
    } catch (err) {
      // A timer callback that throws would take the whole process down; report and keep the clock going.
      this.log(`clock step failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Moves simulated time forward, firing scheduled faults at their instants, then pushes market data. */
  advance(ms: number): void {
    let remaining = Math.max(0, ms);
    while (remaining > 0) {
      const now = this.engine.now();
      const next = this.nextScheduledAt();
      let step = remaining;
      if (next !== undefined && next > now && next - now < step) step = next - now;
      this.engine.advance(step);
      remaining -= step;
      this.runDueFaults();
    }
    this.runDueFaults();
    this.pushMarketData();
  }

  private nextScheduledAt(): number | undefined {
    let next = this.restartUntil;
    for (const f of this.pending) {
      if (f.at !== undefined && (next === undefined || f.at < next)) next = f.at;
    }
    return next;
  }

  private runDueFaults(): void {
    const now = this.engine.now();
    if (this.restartUntil !== undefined && now >= this.restartUntil) {
      this.restartUntil = undefined;
      this.log('restart window over: accepting connections');
    }
    for (;;) {
      const index = this.pending.findIndex((f) => f.at === undefined || f.at <= now);
      if (index < 0) break;
      const [due] = this.pending.splice(index, 1);
      if (due) this.applyFault(due.action);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  readonly faults: FaultControls = {
    disconnect: () => this.applyFault({ fault: 'disconnect' }),
    disconnectAt: (at) => this.faults.schedule(at, { fault: 'disconnect' }),
    connectivityLost: () => this.applyFault({ fault: 'connectivityLost' }),
    connectivityRestored: (dataLost = false) => this.applyFault({ fault: 'connectivityRestored', dataLost }),
    restart: (durationMs = DEFAULT_RESTART_MINUTES * 60_000) => this.startRestart(durationMs),
    restartAt: (at, durationMs = DEFAULT_RESTART_MINUTES * 60_000) =>
      this.faults.schedule(at, { fault: 'restart', durationMinutes: durationMs / 60_000 }),
    rejectOrders: (reason) =>
      this.applyFault(reason === undefined ? { fault: 'acceptOrders' } : { fault: 'rejectOrders', reason }),
    quotes: (target, mode) => this.applyFault({ fault: 'quotes', target, mode: mode ?? 'normal' }),
    partialFillsNeverComplete: (neverComplete) => this.applyFault({ fault: 'partialFills', neverComplete }),
    slowResponses: (delayMs) => this.applyFault({ fault: 'slow', delayMs }),
    orderStatusLag: (delayMs) => this.applyFault({ fault: 'orderStatusLag', delayMs }),
    delayedData: (on) => this.applyFault({ fault: 'delayedData', on }),
    priceShock: (symbol, pct, volBump) =>
      this.applyFault({ fault: 'priceShock', symbol, pct, ...(volBump === undefined ? {} : { volBump }) }),
    earlyAssignment: (symbol, narrow = {}) =>
      this.applyFault({ fault: 'earlyAssignment', symbol, ...narrow }),
    loginPending: () => this.applyFault({ fault: 'loginPending' }),
    loginApproved: () => this.applyFault({ fault: 'loginApproved' }),
    schedule: (at, action) => {
      this.pending.push({ at, action });
      if (at === undefined || at <= this.engine.now()) this.runDueFaults();
    },
    state: () => this.faultState(),
  };

  private faultState(): FaultState {
    return {
      connectivityLost: this.connectivityLost,
      restartUntil: this.restartUntil,
      loginPending: this.loginPending,
      rejectReason: this.rejectReason,
      responseDelayMs: this.responseDelayMs,
      orderStatusLagMs: this.orderStatusLagMs,
      delayedData: this.delayedData,
      pending: [...this.pending],
    };
  }

  private applyFault(action: FaultAction): void {
    this.log(`fault: ${JSON.stringify(action)}`);
    switch (action.fault) {
      case 'disconnect':
        this.dropAll();
        break;
      case 'connectivityLost':
        this.connectivityLost = true;
        this.broadcast(enc.errMsg(-1, 1100, 'Connectivity between IB and Trader Workstation has been lost.'));
        break;
      case 'connectivityRestored':
        this.connectivityLost = false;
        if (action.dataLost) {
          // "Data lost": every market-data subscription is gone; clients must request again.
          for (const [key, line] of this.lines) {
            if (line.timer) clearTimeout(line.timer);
            this.lines.delete(key);
          }
          this.broadcast(
            enc.errMsg(
              -1,
              1101,
              'Connectivity between IB and Trader Workstation has been restored - data lost.',
            ),
          );
        } else {
          this.broadcast(
            enc.errMsg(
              -1,
              1102,
              'Connectivity between IB and Trader Workstation has been restored - data maintained.',
            ),
          );
          for (const line of this.lines.values()) line.sent.clear();
          this.pushMarketData();
        }
        break;
      case 'restart':
        this.startRestart((action.durationMinutes ?? DEFAULT_RESTART_MINUTES) * 60_000);
        break;
      case 'rejectOrders':
        this.rejectReason = action.reason ?? 'Simulated rejection';
        this.engine.setOrderRejection?.(this.rejectReason);
        break;
      case 'acceptOrders':
        this.rejectReason = undefined;
        this.engine.setOrderRejection?.(undefined);
        break;
      case 'quotes':
        if (!this.engine.setQuoteFault) throw new Error('the engine has no quote-fault hook');
        this.engine.setQuoteFault(action.target ?? 'all', action.mode === 'normal' ? undefined : action.mode);
        this.pushMarketData();
        break;
      case 'partialFills':
        if (!this.engine.setPartialFillsNeverComplete) throw new Error('the engine has no partial-fill hook');
        this.engine.setPartialFillsNeverComplete(action.neverComplete);
        break;
      case 'slow':
        this.responseDelayMs = action.delayMs;
        break;
      case 'orderStatusLag':
        this.orderStatusLagMs = action.delayMs;
        break;
      case 'delayedData':
        this.delayedData = action.on;
        break;
      case 'priceShock':
        if (!this.engine.shockPrice) throw new Error('the engine has no price-shock hook');
        this.engine.shockPrice(action.symbol, action.pct, action.volBump ?? 0);
        this.pushMarketData();
        break;
      case 'earlyAssignment': {
        if (!this.engine.assignEarly) throw new Error('the engine has no early-assignment hook');
        this.engine.assignEarly(action.symbol, {
          ...(action.conId === undefined ? {} : { conId: action.conId }),
          ...(action.quantity === undefined ? {} : { quantity: action.quantity }),
        });
        break;
      }
      case 'loginPending':
        this.loginPending = true;
        this.dropAll();
        break;
      case 'loginApproved':
        this.loginPending = false;
        break;
    }
  }

  private startRestart(durationMs: number): void {
    this.restartUntil = this.engine.now() + durationMs;
    this.log(`restart window until ${nyStamp(this.restartUntil)} New York`);
    this.dropAll();
  }

  private dropAll(): void {
    for (const conn of this.conns) this.dropConnection(conn);
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  connections(): ConnectionInfo[] {
    return [...this.conns].map((c) => c.info());
  }

  private accept(socket: net.Socket): void {
    if (
      this.stopped ||
      this.loginPending ||
      (this.restartUntil !== undefined && this.engine.now() < this.restartUntil)
    ) {
      // Like socat in front of a restarting gateway: the TCP connect succeeds, the API never answers.
      socket.destroy();
      return;
    }
    const conn = new ClientConnection(
      this.nextConnId++,
      socket,
      this.limits.maxMessagesPerSecond,
      () => this.responseDelayMs,
      this.messageRateNow,
    );
    this.conns.add(conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (err) => this.log(`connection ${conn.id}: ${err.message}`));
    socket.on('close', () => this.forget(conn));
  }

  private dropConnection(conn: ClientConnection): void {
    conn.destroy();
    this.forget(conn);
  }

  private forget(conn: ClientConnection): void {
    conn.state = 'closed';
    this.conns.delete(conn);
    for (const [key, line] of this.lines) {
      if (line.conn === conn) {
        if (line.timer) clearTimeout(line.timer);
        this.lines.delete(key);
      }
    }
  }

  private broadcast(fields: WireField[]): void {
    for (const conn of this.conns) if (conn.state === 'ready') conn.send(fields);
  }

  private clientConnection(clientId: number): ClientConnection | undefined {
    for (const conn of this.conns) if (conn.state === 'ready' && conn.clientId === clientId) return conn;
    return undefined;
  }

  private onData(conn: ClientConnection, chunk: Buffer): void {
    for (const event of conn.decode(chunk)) {
      if (!conn.open) return;
      if (event.type === 'error') {
        this.log(`connection ${conn.id}: ${event.reason}`);
        this.dropConnection(conn);
        return;
      }
      if (event.type === 'handshake') {
        if (event.minVersion > SERVER_VERSION || event.maxVersion < SERVER_VERSION) {
          conn.send(
            enc.errMsg(-1, 506, `Unsupported version: client ${event.raw}, server ${SERVER_VERSION}`),
          );
          conn.closeAfterSend();
          return;
        }
        conn.state = 'startApi';
        conn.send([SERVER_VERSION, connectionTime(this.engine.now())]);
        continue;
      }
      this.received += 1;
      if (this.limits.enabled) {
        const { exceeded, count } = conn.countMessage();
        if (exceeded) {
          conn.send(
            enc.errMsg(
              -1,
              100,
              `Max rate of messages per second has been exceeded:max=${this.limits.maxMessagesPerSecond} rec=${count}`,
            ),
          );
          this.log(
            `connection ${conn.id}: more than ${this.limits.maxMessagesPerSecond} messages/s, disconnecting`,
          );
          conn.closeAfterSend();
          this.forget(conn);
          return;
        }
      }
      try {
        this.onMessage(conn, event.fields);
      } catch (err) {
        if (!(err instanceof WireUnderrun)) throw err;
        this.log(`connection ${conn.id}: unreadable message ${event.fields[0]}: ${err.message}`);
        conn.send(enc.errMsg(-1, 320, `Error reading request: ${err.message}`));
      }
    }
  }

  private onMessage(conn: ClientConnection, fields: string[]): void {
    const r = new FieldReader(fields);
    const msgId = r.int('message id');
    if (conn.state === 'startApi') {
      if (msgId === IN.START_API) this.startApi(conn, r);
      else this.log(`connection ${conn.id}: message ${msgId} before startApi ignored`);
      return;
    }
    if (conn.state !== 'ready') return;
    switch (msgId) {
      case IN.REQ_IDS:
        conn.send(enc.nextValidId(this.nextOrderId));
        break;
      case IN.REQ_CURRENT_TIME:
        conn.send(enc.currentTime(this.engine.now()));
        break;
      case IN.REQ_MANAGED_ACCTS:
        conn.send(enc.managedAccounts(this.engine.accounts()));
        break;
      case IN.REQ_CONTRACT_DATA:
        this.reqContractDetails(conn, r);
        break;
      case IN.REQ_SEC_DEF_OPT_PARAMS:
        this.reqSecDefOptParams(conn, r);
        break;
      case IN.REQ_MARKET_DATA_TYPE:
        this.reqMarketDataType(conn, r);
        break;
      case IN.REQ_MKT_DATA:
        this.reqMktData(conn, r);
        break;
      case IN.CANCEL_MKT_DATA:
        this.cancelMktData(conn, r);
        break;
      case IN.REQ_HISTORICAL_DATA:
        this.reqHistoricalData(conn, r);
        break;
      case IN.CANCEL_HISTORICAL_DATA:
        break; // answered at once, nothing left to cancel
      case IN.REQ_POSITIONS:
        conn.positionsSubscribed = true;
        for (const p of this.engine.positions()) conn.send(enc.position(p));
        conn.send(enc.positionEnd());
        break;
      case IN.CANCEL_POSITIONS:
        conn.positionsSubscribed = false;
        break;
      case IN.REQ_ACCOUNT_SUMMARY:
        this.reqAccountSummary(conn, r);
        break;
      case IN.CANCEL_ACCOUNT_SUMMARY:
        break;
      case IN.REQ_ACCOUNT_DATA:
        this.reqAccountUpdates(conn, r);
        break;
      case IN.REQ_OPEN_ORDERS:
        this.sendOpenOrders(conn, conn.clientId);
        break;
      case IN.REQ_ALL_OPEN_ORDERS:
        this.sendOpenOrders(conn, undefined);
        break;
      case IN.REQ_AUTO_OPEN_ORDERS:
        break; // binds future manual orders; the simulator has none
      case IN.REQ_COMPLETED_ORDERS:
        conn.send(enc.completedOrdersEnd());
        break;
      case IN.REQ_EXECUTIONS:
        this.reqExecutions(conn, r);
        break;
      case IN.PLACE_ORDER:
        this.placeOrder(conn, r);
        break;
      case IN.CANCEL_ORDER:
        this.cancelOrder(conn, r);
        break;
      case IN.START_API:
        break; // already started
      default:
        // Never drop a request: IB answers every one (see unsupported.ts for the table).
        for (const fields of answerUnserved(msgId, r.rest(), this.engine)) conn.send(fields);
    }
  }

  private startApi(conn: ClientConnection, r: FieldReader): void {
    r.int('version');
    const clientId = r.int('clientId');
    if (this.clientConnection(clientId)) {
      conn.send(
        enc.errMsg(
          -1,
          326,
          'Unable to connect as the client id is already in use. Retry with a unique client id.',
        ),
      );
      conn.closeAfterSend();
      this.forget(conn);
      return;
    }
    conn.clientId = clientId;
    conn.state = 'ready';
    conn.send(enc.managedAccounts(this.engine.accounts()));
    conn.send(enc.nextValidId(this.nextOrderId));
    for (const [code, text] of FARM_STATUS) conn.send(enc.errMsg(-1, code, text));
    if (this.connectivityLost) {
      conn.send(enc.errMsg(-1, 1100, 'Connectivity between IB and Trader Workstation has been lost.'));
    }
    this.log(`client ${clientId} connected (connection ${conn.id})`);
  }

  // ---------------------------------------------------------------------------------------------
  // Contracts

  /** Contracts matching a (partial) wire description; conId wins when given. */
  private resolve(c: WireContract): SimContract[] {
    if (c.conId > 0) {
      const found = this.engine.contractById(c.conId);
      return found ? [found] : [];
    }
    if (c.symbol === '') return [];
    const expiry = c.lastTradeDate.slice(0, 8);
    const found = this.engine.findContracts({
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

  private reqContractDetails(conn: ClientConnection, r: FieldReader): void {
    const { reqId, contract } = parseReqContractDetails(r);
    const found = this.resolve(contract);
    if (found.length === 0) {
      conn.send(enc.errMsg(reqId, 200, NO_SECURITY));
      return;
    }
    for (const c of found) {
      const underlying = c.underlyingConId ? this.engine.contractById(c.underlyingConId) : undefined;
      conn.send(enc.contractData(reqId, c, underlying));
    }
    conn.send(enc.contractDataEnd(reqId));
  }

  private reqSecDefOptParams(conn: ClientConnection, r: FieldReader): void {
    const reqId = r.int('reqId');
    const symbol = r.str('underlyingSymbol').toUpperCase();
    const futFopExchange = r.str('futFopExchange');
    r.str('underlyingSecType');
    const underlyingConId = r.int('underlyingConId');
    const params = this.engine.optionParams(symbol);
    for (const p of params) {
      if (underlyingConId > 0 && p.underlyingConId !== underlyingConId) continue;
      if (futFopExchange !== '' && p.exchange !== futFopExchange) continue;
      conn.send(enc.secDefOptParams(reqId, p));
    }
    conn.send(enc.secDefOptParamsEnd(reqId));
  }

  // ---------------------------------------------------------------------------------------------
  // Market data

  private reqMarketDataType(conn: ClientConnection, r: FieldReader): void {
    r.int('version');
    const type = r.int('marketDataType');
    if (type < 1 || type > 4) return;
    conn.marketDataType = type;
    for (const line of this.lines.values()) {
      if (line.conn !== conn) continue;
      conn.send(enc.marketDataType(line.reqId, lineDataType(line)));
      line.sent.clear();
    }
    this.pushMarketData();
  }

  private reqMktData(conn: ClientConnection, r: FieldReader): void {
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
      const found = this.resolve(req.contract);
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
    if (this.delayedData && conn.marketDataType < 3) {
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
    conn.send(enc.marketDataType(req.reqId, lineDataType(line)));
    if (!this.connectivityLost) this.sendTicks(line);
    if (snapshot) {
      const delay = this.speed > 0 ? this.snapshotDelayMs / this.speed : this.snapshotDelayMs;
      line.timer = setTimeout(() => {
        if (this.lines.get(key) !== line) return;
        this.lines.delete(key);
        conn.send(enc.tickSnapshotEnd(req.reqId));
      }, delay);
    }
  }

  private cancelMktData(conn: ClientConnection, r: FieldReader): void {
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
  private pushMarketData(): void {
    if (this.connectivityLost) return;
    for (const line of this.lines.values()) if (!line.snapshot) this.sendTicks(line);
  }

  private lineQuote(line: MarketDataLine): SimQuote | undefined {
    if (line.contract) return this.engine.quote(line.contract.conId);
    // A combo's price is the signed sum of its legs': BUY legs +, SELL legs −.
    const legs = line.legs ?? [];
    let bid = 0;
    let ask = 0;
    let time = 0;
    for (const leg of legs) {
      const q = this.engine.quote(leg.contract.conId);
      if (!q || q.bid === undefined || q.ask === undefined) return undefined;
      if (leg.action === 'BUY') {
        bid += leg.ratio * q.bid;
        ask += leg.ratio * q.ask;
      } else {
        bid -= leg.ratio * q.ask;
        ask -= leg.ratio * q.bid;
      }
      time = Math.max(time, q.time);
    }
    return { bid, ask, time };
  }

  private sendTicks(line: MarketDataLine): void {
    const q = this.lineQuote(line);
    if (!q) return;
    const { conn, reqId } = line;
    const delayed = lineDataType(line) >= 3;
    const t = (type: number): number => (delayed ? (DELAYED[type] ?? type) : type);
    const emit = (key: string, signature: string, fields: WireField[]): void => {
      if (line.sent.get(key) === signature) return;
      line.sent.set(key, signature);
      conn.send(fields);
    };
    const priceTick = (
      type: number,
      value: number | undefined,
      size: number | undefined,
      attr: number,
    ): void => {
      if (value === undefined) return;
      emit(`p${type}`, String(value), enc.tickPrice(reqId, t(type), value, size ?? 0, attr));
    };
    // Sizes also go out on their own: they change without the price, and the client drops the size
    // that rides with a bid (BID_SIZE is tick type 0, which it tests as falsy).
    const sizeTick = (type: number, size: number | undefined): void => {
      if (size === undefined) return;
      emit(`s${type}`, String(size), enc.tickSize(reqId, t(type), size));
    };
    priceTick(1, q.bid, q.bidSize, 1);
    priceTick(2, q.ask, q.askSize, 1);
    priceTick(4, q.last, q.lastSize, 0);
    priceTick(6, q.high, 0, 0);
    priceTick(7, q.low, 0, 0);
    priceTick(9, q.close, 0, 0);
    sizeTick(0, q.bidSize);
    sizeTick(3, q.askSize);
    sizeTick(5, q.lastSize);
    sizeTick(8, q.volume);
    const contract = line.contract;
    if (q.openInterest !== undefined && contract?.secType === 'OPT' && line.genericTicks.has('101')) {
      const type = contract.right === 'C' ? 27 : 28;
      emit(`s${type}`, String(q.openInterest), enc.tickSize(reqId, type, q.openInterest));
    }
    const g = q.greeks;
    if (g) {
      const computation = (type: number, optPrice: number | undefined): void => {
        if (optPrice === undefined) return;
        const values: enc.OptionComputation = { ...g, optPrice };
        const tickType = delayed ? (DELAYED_COMPUTATION[type] ?? type) : type;
        emit(`c${type}`, JSON.stringify(values), enc.tickOptionComputation(reqId, tickType, values));
      };
      computation(10, q.bid);
      computation(11, q.ask);
      computation(12, q.last);
      computation(13, g.optPrice);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Historical data

  private reqHistoricalData(conn: ClientConnection, r: FieldReader): void {
    const req = parseReqHistoricalData(r);
    const found = this.resolve(req.contract);
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
      conn.send(
        enc.errMsg(req.reqId, 321, `Error validating request.-'bP' : cause - No data of type ${what}`),
      );
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
    const now = this.engine.now();
    const pacingKey = JSON.stringify([
      contract.conId,
      req.endDateTime,
      req.barSize,
      req.duration,
      what,
      req.useRth,
    ]);
    const pacing = this.pacer.check(pacingKey, now);
    if (pacing) {
      conn.send(enc.errMsg(req.reqId, 162, pacing));
      return;
    }
    const data = this.engine.dailyBars(contract.conId, bars, what);
    const start = data[0]?.date ?? nyStamp(now).slice(0, 8);
    conn.send(enc.historicalData(req.reqId, `${start} 00:00:00`, nyStamp(now), data));
  }

  // ---------------------------------------------------------------------------------------------
  // Account

  private reqAccountSummary(conn: ClientConnection, r: FieldReader): void {
    r.int('version');
    const reqId = r.int('reqId');
    r.str('group');
    const tags = r
      .str('tags')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const wanted = tags.includes('All') ? Object.keys(SUMMARY_TAGS) : tags;
    const ledger = tags.some((t) => t.startsWith('$LEDGER'));
    for (const account of this.engine.accounts()) {
      const summary = this.engine.accountSummary(account);
      for (const tag of wanted) {
        const value = SUMMARY_TAGS[tag]?.(summary);
        if (value) conn.send(enc.accountSummary(reqId, account, tag, value[0], value[1]));
      }
      if (ledger) {
        for (const [tag, value] of Object.entries(LEDGER_TAGS)) {
          conn.send(enc.accountSummary(reqId, account, tag, value(summary), 'USD'));
        }
      }
    }
    conn.send(enc.accountSummaryEnd(reqId));
  }

  /** One full download (values, portfolio, time, end); the simulator does not stream later updates. */
  private reqAccountUpdates(conn: ClientConnection, r: FieldReader): void {
    r.int('version');
    const subscribe = r.bool('subscribe');
    const requested = r.str('accountCode');
    if (!subscribe) return;
    const account = requested || this.engine.accounts()[0] || '';
    const s = this.engine.accountSummary(account);
    const values: [string, string, string][] = [
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
    for (const [key, value, currency] of values) conn.send(enc.accountValue(key, value, currency, account));
    for (const p of this.engine.positions(account)) {
      const { mid, marketValue, unrealized } = markPosition(this.engine, p);
      conn.send(enc.portfolioValue(p, mid, marketValue, unrealized, 0));
    }
    conn.send(enc.accountUpdateTime(nyHhmm(this.engine.now())));
    conn.send(enc.accountDownloadEnd(account));
  }

  // ---------------------------------------------------------------------------------------------
  // Orders

  /** Every order the server has seen, latest state first by order id. */
  orders(): SimOrderState[] {
    const byId = new Map<number, SimOrderState>();
    for (const rec of this.orderRecords.values()) if (rec.state) byId.set(rec.orderId, rec.state);
    for (const o of this.engine.completedOrders?.() ?? []) byId.set(o.request.orderId, o);
    for (const o of this.engine.openOrders()) byId.set(o.request.orderId, o);
    return [...byId.values()].sort((a, b) => a.request.orderId - b.request.orderId);
  }

  private placeOrder(conn: ClientConnection, r: FieldReader): void {
    const { contract, order } = parsePlaceOrder(r);
    if (order.trailing > 0) this.log(`placeOrder ${order.orderId}: ${order.trailing} unread trailing fields`);
    const clientId = conn.clientId ?? 0;
    const orderId = order.orderId;
    const existing = this.orderRecords.get(orderId);
    if (existing && !order.whatIf) {
      const status = existing.state?.status;
      if (existing.clientId !== clientId) {
        conn.send(enc.errMsg(orderId, 103, 'Duplicate order id'));
        return;
      }
      if (status === 'Filled') {
        conn.send(enc.errMsg(orderId, 104, "Can't modify a filled order"));
        return;
      }
      if (status !== undefined && !WORKING.has(status)) {
        conn.send(enc.errMsg(orderId, 103, 'Duplicate order id'));
        return;
      }
    }
    const request = this.toRequest(conn, contract, order);
    if (typeof request === 'string') return;
    this.nextOrderId = Math.max(this.nextOrderId, orderId + 1);

    if (this.rejectReason !== undefined && !this.engine.setOrderRejection && !order.whatIf) {
      // The engine has no rejection hook: the gateway rejects on its behalf.
      conn.send(enc.errMsg(orderId, 201, `Order rejected - reason:${this.rejectReason}`));
      return;
    }

    if (order.whatIf) {
      const result = this.engine.placeOrder(request);
      if (isOrderState(result)) {
        if (result.rejectReason)
          conn.send(enc.errMsg(orderId, 201, `Order rejected - reason:${result.rejectReason}`));
        return;
      }
      conn.send(
        enc.openOrder({ contract, order, clientId, permId: 0, status: 'PreSubmitted', whatIf: result }),
      );
      return;
    }

    const record: OrderRecord = existing ?? { orderId, clientId, contract, order };
    record.contract = contract;
    record.order = order;
    this.orderRecords.set(orderId, record);
    // A modify re-sends OPEN_ORDER even when the status is unchanged, as IB does.
    record.lastStatusKey = undefined;
    record.lastStatus = undefined;
    const state = existing ? this.engine.modifyOrder(request) : this.engine.placeOrder(request);
    if (isOrderState(state)) this.reportOrder(state);
  }

  /** Builds the engine's request, or answers the client with IB's error and returns the reason. */
  private toRequest(
    conn: ClientConnection,
    contract: WireContract,
    order: WireOrder,
  ): SimOrderRequest | string {
    const orderId = order.orderId;
    const fail = (code: number, text: string): string => {
      conn.send(enc.errMsg(orderId, code, text));
      return text;
    };
    if (order.action !== 'BUY' && order.action !== 'SELL') {
      return fail(201, `Order rejected - reason:Invalid action "${order.action}"`);
    }
    if (order.orderType !== 'LMT' && order.orderType !== 'MKT') {
      return fail(387, `Unsupported order type for this exchange and security type: ${order.orderType}`);
    }
    if (!(order.totalQuantity > 0)) return fail(434, 'The order size cannot be zero.');
    if (order.orderType === 'LMT' && order.lmtPrice === undefined) {
      return fail(201, 'Order rejected - reason:A limit price is required for LMT orders');
    }
    const accounts = this.engine.accounts();
    const account = order.account || accounts[0] || '';
    if (!accounts.includes(account)) return fail(201, `Order rejected - reason:Unknown account ${account}`);

    let simContract: SimOrderRequest['contract'];
    if (contract.secType === 'BAG') {
      const legs = contract.comboLegs ?? [];
      if (legs.length === 0 || legs.some((l) => !this.engine.contractById(l.conId))) {
        return fail(200, NO_SECURITY);
      }
      simContract = {
        secType: 'BAG',
        conId: contract.conId || undefined,
        symbol: contract.symbol,
        legs: legs.map((l) => ({
          conId: l.conId,
          ratio: l.ratio || 1,
          action: l.action === 'SELL' ? 'SELL' : 'BUY',
        })),
      };
    } else {
      const found = this.resolve(contract);
      if (found.length !== 1) return fail(200, NO_SECURITY);
      const c = found[0] as SimContract;
      simContract = { secType: c.secType as SimSecType, conId: c.conId, symbol: c.symbol };
      // OPEN_ORDER reports the qualified contract, as IB does.
      Object.assign(contract, {
        conId: c.conId,
        symbol: c.symbol,
        secType: c.secType,
        lastTradeDate: c.lastTradeDate,
        strike: c.secType === 'OPT' ? c.strike : 0,
        right: c.right ?? '',
        multiplier: c.secType === 'STK' ? '' : String(c.multiplier),
        exchange: contract.exchange || c.exchange,
        currency: c.currency,
        localSymbol: c.localSymbol,
        tradingClass: c.tradingClass,
      });
    }
    order.account = account;
    return {
      orderId,
      clientId: conn.clientId ?? 0,
      account,
      contract: simContract,
      action: order.action,
      quantity: order.totalQuantity,
      orderType: order.orderType,
      limitPrice: order.lmtPrice,
      tif: order.tif || 'DAY',
      orderRef: order.orderRef,
      transmit: order.transmit,
      whatIf: order.whatIf,
    };
  }

  /** Sends OPEN_ORDER (on a status change) and ORDER_STATUS (on any change) to the order's owner. */
  private reportOrder(state: SimOrderState, forceOpenOrder = false): void {
    const orderId = state.request.orderId;
    const record = this.recordFor(state);
    record.state = state;
    const conn = this.clientConnection(record.clientId);
    if (state.rejectReason && !record.rejectSent) {
      record.rejectSent = true;
      conn?.send(enc.errMsg(orderId, 201, `Order rejected - reason:${state.rejectReason}`));
    }
    const key = `${state.status}|${state.filled}|${state.remaining}|${state.avgFillPrice}`;
    if (key === record.lastStatusKey && !forceOpenOrder) return;
    const statusChanged = record.lastStatus !== state.status;
    record.lastStatusKey = key;
    record.lastStatus = state.status;
    if (!conn) return;
    if (statusChanged || forceOpenOrder) conn.send(enc.openOrder(this.view(record, state)));
    const status = this.statusFields(record, state);
    // Every ORDER_STATUS waits the same lag, so they keep their order among themselves.
    if (this.orderStatusLagMs > 0) setTimeout(() => conn.send(status), this.orderStatusLagMs).unref();
    else conn.send(status);
  }

  private statusFields(record: OrderRecord, state: SimOrderState): WireField[] {
    return enc.orderStatus({
      orderId: state.request.orderId,
      status: state.status,
      filled: state.filled,
      remaining: state.remaining,
      avgFillPrice: state.avgFillPrice,
      permId: state.permId,
      parentId: record.order.parentId,
      lastFillPrice: state.lastFillPrice,
      clientId: record.clientId,
    });
  }

  private view(record: OrderRecord, state: SimOrderState): enc.OpenOrderView {
    return {
      contract: record.contract,
      order: { ...record.order, totalQuantity: state.request.quantity, lmtPrice: state.request.limitPrice },
      clientId: record.clientId,
      permId: state.permId,
      status: state.status,
    };
  }

  /** The record of an order, rebuilt from the engine's request when it was not placed over this server. */
  private recordFor(state: SimOrderState): OrderRecord {
    const orderId = state.request.orderId;
    const known = this.orderRecords.get(orderId);
    if (known) return known;
    const req = state.request;
    const single =
      req.contract.conId !== undefined ? this.engine.contractById(req.contract.conId) : undefined;
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
      orderId,
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
    const record: OrderRecord = { orderId, clientId: req.clientId, contract, order };
    this.orderRecords.set(orderId, record);
    return record;
  }

  private sendOpenOrders(conn: ClientConnection, clientId: number | undefined): void {
    for (const state of this.engine.openOrders(clientId)) {
      const record = this.recordFor(state);
      conn.send(enc.openOrder(this.view(record, state)));
      conn.send(this.statusFields(record, state));
    }
    conn.send(enc.openOrderEnd());
  }

  private cancelOrder(conn: ClientConnection, r: FieldReader): void {
    const { orderId } = parseCancelOrder(r);
    const record = this.orderRecords.get(orderId);
    const status = record?.state?.status;
    if (status !== undefined && !WORKING.has(status)) {
      conn.send(
        enc.errMsg(
          orderId,
          10148,
          `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${status}.`,
        ),
      );
      return;
    }
    const state = this.engine.cancelOrder(orderId);
    if (!state) {
      conn.send(enc.errMsg(orderId, 135, `Can't find order with id =${orderId}`));
      return;
    }
    this.reportOrder(state);
    if (state.status === 'Cancelled' || state.status === 'ApiCancelled') {
      conn.send(enc.errMsg(orderId, 202, 'Order Canceled - reason:'));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Executions

  executions(): { execution: SimExecution; commission: SimCommissionReport }[] {
    return this.engine.executions();
  }

  private reqExecutions(conn: ClientConnection, r: FieldReader): void {
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
      conn.send(this.executionFields(f.reqId, execution));
      conn.send(enc.commissionReport(commission));
    }
    conn.send(enc.executionDataEnd(f.reqId));
  }

  private executionFields(reqId: number, e: SimExecution): WireField[] {
    const secType = e.contract.secType;
    const exchange =
      secType === 'OPT'
        ? 'CBOE'
        : secType === 'STK'
          ? 'ARCA'
          : secType === 'BAG'
            ? 'SMART'
            : (e.contract as SimContract).exchange;
    return enc.executionData(reqId, e, executionTime(e.time), exchange);
  }

  positions(): SimPosition[] {
    return this.engine.positions();
  }

  // ---------------------------------------------------------------------------------------------
  // Engine events

  private onEngineEvent(event: SimEngineEvent): void {
    switch (event.type) {
      case 'orderStatus':
        this.reportOrder(event.order);
        break;
      case 'execution': {
        const e = event.execution;
        this.execClient.set(e.execId, e.clientId);
        this.clientConnection(e.clientId)?.send(this.executionFields(-1, e));
        break;
      }
      case 'commission': {
        const clientId = this.execClient.get(event.report.execId);
        if (clientId !== undefined) this.clientConnection(clientId)?.send(enc.commissionReport(event.report));
        break;
      }
      case 'positionChanged':
        for (const conn of this.conns) {
          if (conn.state === 'ready' && conn.positionsSubscribed) conn.send(enc.position(event.position));
        }
        break;
      case 'orderRejected': {
        const record = this.orderRecords.get(event.orderId);
        if (record) record.rejectSent = true;
        const conn = this.clientConnection(record?.clientId ?? -1);
        const text = event.code === 201 ? `Order rejected - reason:${event.reason}` : event.reason;
        conn?.send(enc.errMsg(event.orderId, event.code, text));
        break;
      }
    }
  }
}

function isOrderState(result: SimOrderState | SimWhatIf): result is SimOrderState {
  return 'status' in result;
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
