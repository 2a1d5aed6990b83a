// The one persistent IB API connection (one client id). A state machine, visible in /health:
//
//   disconnected → connecting → connected (socket up, waiting for nextValidId) → ready ⇄ degraded
//        ↑______________________ backoff (capped exponential, jittered) ____________|
//
// Nothing is sent before nextValidId. IB's system messages (error id −1, which @stoqey/ib emits as
// `info`, not `error`) move the machine: 1100/2110 connectivity lost → degraded; 1101/1102 restored;
// 2103/2105/2157 farm broken → degraded, 2104/2106/2158 farm ok; 326 duplicate client id → back off
// at the maximum delay and report it. A fresh IBApi instance is built for every attempt so nothing
// queued on a dead socket can leak into the next one.

import { accountMode } from '#core/entry';
import { EventEmitter } from 'node:events';
import { EventName, IBApi } from '@stoqey/ib';
import type { ConnectionState } from './contract';
import { type BridgeError, ibError, isWarning, notConnected } from './errors';
import {
  BROADCAST_EVENTS,
  FARM_BROKEN,
  FARM_INACTIVE,
  FARM_OK,
  KEYED_EVENTS,
  disableNagle,
} from './ib-client';
import { type Logger, silentLogger } from './logger';
import { type Clock, OutgoingQueue, systemClock } from './pacer';
import { type RestartWindow, reconnectDelay, withinDailyWindow } from './reconnect';

/** A request waiting for events that carry its request id. */
export interface PendingRequest {
  onEvent(event: string, args: unknown[]): void;
  onError(error: BridgeError): void;
  /** A warning IB tied to this request that does not end it (e.g. 10167: delayed data shown). */
  onWarning?(code: number, message: string): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: number;
  queue?: OutgoingQueue;
  clock?: Clock;
  /** Uniform [0, 1) for backoff jitter. */
  random?: () => number;
  backoff?: { initialMs: number; maxMs: number };
  /** Give up on an attempt that has not reached nextValidId within this time. */
  connectTimeoutMs?: number;
  restartWindow?: RestartWindow;
  /** IB market data type sent once ready: 1 live, 2 frozen, 3 delayed, 4 delayed-frozen. */
  marketDataType?: 1 | 2 | 3 | 4;
  /**
   * The client library's own throttle, messages per real second (default 50). Only a stack whose queue
   * paces on a simulated clock raises it: the library's real-time slots would otherwise pace it again.
   */
  clientMaxReqPerSec?: number;
  logger?: Logger;
}

/** Request ids live far above typical order ids, so an error's id says which of the two it is. */
const FIRST_REQ_ID = 10_000_000;

export class IbConnection extends EventEmitter {
  readonly queue: OutgoingQueue;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly connectTimeoutMs: number;
  private readonly logger: Logger;
  private api: IBApi | undefined;
  private readonly pending = new Map<number, PendingRequest>();
  private reqSeq = FIRST_REQ_ID;
  private nextOrderId = 0;
  private stopped = true;
  private reconnectTimer: unknown;
  private connectTimer: unknown;
  private clientIdConflict = false;
  private connectivityLost = false;
  private lastSocketError: string | undefined;

  state: ConnectionState = 'disconnected';
  since: number;
  reason: string | undefined = 'not started';
  serverVersion: number | undefined;
  accounts: string[] = [];
  farms: Record<string, 'ok' | 'broken' | 'inactive'> = {};
  reconnectAttempts = 0;

  constructor(readonly options: ConnectionOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    // paced on the wall clock whatever `clock` is: IB counts messages per real second
    this.queue = options.queue ?? new OutgoingQueue();
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? { initialMs: 1000, maxMs: 60_000 };
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.logger = options.logger ?? silentLogger;
    this.since = this.clock.now();
    this.queue.pause();
  }

  get tradingMode(): 'paper' | 'live' | 'unknown' {
    const account = this.accounts[0];
    if (!account) return 'unknown';
    // the one paper rule shared with the jobs (paper accounts start with DU)
    return accountMode(account);
  }

  /** Whether requests may be sent now: ready, or degraded only by a farm (IB itself reachable). */
  canSend(): boolean {
    return this.state === 'ready' || (this.state === 'degraded' && !this.connectivityLost);
  }

  inRestartWindow(at = this.clock.now()): boolean {
    const w = this.options.restartWindow;
    return w ? withinDailyWindow(at, w) : false;
  }

  /**
   * Why this connection machine can no longer get IB back by itself, or undefined while it works (ready,
   * or disconnected with a reconnect scheduled, or connecting with its timeout armed). A login waiting
   * for its second factor is not wedged: the machine keeps retrying and connects once IB lets it.
   */
  wedged(): string | undefined {
    if (this.stopped) return 'IB connection machine stopped';
    if (this.state === 'disconnected' && this.reconnectTimer === undefined)
      return 'disconnected with no reconnect scheduled';
    if ((this.state === 'connecting' || this.state === 'connected') && this.connectTimer === undefined)
      return `${this.state} with no connect timeout armed`;
    return undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer('reconnectTimer');
    this.clearTimer('connectTimer');
    const api = this.api;
    this.teardown('bridge stopping');
    api?.disconnect();
    this.setState('disconnected', 'stopped');
  }

  /** Drops the socket now (tests, operator); the machine reconnects with backoff. */
  dropConnection(reason: string): void {
    const api = this.api;
    if (!api) return;
    this.teardown(reason);
    api.disconnect();
    this.setState('disconnected', reason);
    this.scheduleReconnect();
  }

  nextRequestId(): number {
    this.reqSeq = this.reqSeq >= 2_000_000_000 ? FIRST_REQ_ID : this.reqSeq + 1;
    return this.reqSeq;
  }

  /** Order ids start at IB's nextValidId and are incremented locally. */
  takeOrderId(): number {
    if (!this.canSend()) throw notConnected(this.reason ?? this.state);
    return this.nextOrderId++;
  }

  register(reqId: number, pending: PendingRequest): void {
    this.pending.set(reqId, pending);
  }

  unregister(reqId: number): void {
    this.pending.delete(reqId);
  }

  /**
   * Queues one message for IB. Throws (503) when the connection cannot send now. `drop` runs instead
   * of `send` if the connection is lost before the message leaves.
   */
  send(priority: number, label: string, send: (api: IBApi) => void, drop?: () => void): void {
    const api = this.api;
    if (!api || !this.canSend()) throw notConnected(this.reason ?? this.state);
    this.queue.enqueue(
      priority,
      () => {
        if (this.api !== api || !this.canSend()) {
          drop?.();
          return;
        }
        send(api);
      },
      label,
      drop,
    );
  }

  private connect(): void {
    if (this.stopped) return;
    const { host, port, clientId } = this.options;
    // The client library throttles to maxReqPerSec itself (in slots of a tenth of a second). The
    // bridge's own queue already keeps to 45 per rolling second; 50 here only smooths its bursts
    // and never holds back more than the queue allows.
    const api = new IBApi({ host, port, maxReqPerSec: this.options.clientMaxReqPerSec ?? 50 });
    this.api = api;
    this.attach(api);
    this.serverVersion = undefined;
    this.farms = {};
    this.connectivityLost = false;
    // keep a duplicate-client-id conflict visible until a connection succeeds
    this.setState(
      'connecting',
      this.clientIdConflict
        ? `326 client id ${clientId} already in use; retrying`
        : `connecting to ${host}:${port} as client ${clientId}`,
    );
    this.connectTimer = this.clock.setTimeout(() => {
      this.connectTimer = undefined;
      if (this.api === api && (this.state === 'connecting' || this.state === 'connected')) {
        this.logger.warn('no nextValidId in time; reconnecting', { timeoutMs: this.connectTimeoutMs });
        this.teardown('connect timeout');
        api.disconnect();
        this.setState('disconnected', `no nextValidId within ${this.connectTimeoutMs} ms`);
        this.scheduleReconnect();
      }
    }, this.connectTimeoutMs);
    // the startApi message counts against IB's message rate like any other
    this.queue.recordExternalSend('startApi');
    api.connect(clientId);
    disableNagle(api);
  }

  private attach(api: IBApi): void {
    api.on(EventName.connected, () => {
      if (this.api !== api) return;
      this.serverVersion = api.serverVersion;
      this.setState('connected', 'waiting for nextValidId');
    });
    api.on(EventName.nextValidId, (orderId: number) => {
      if (this.api !== api) return;
      this.nextOrderId = Math.max(this.nextOrderId, orderId);
      if (this.state === 'connecting' || this.state === 'connected') this.onReady(api);
    });
    api.on(EventName.managedAccounts, (list: string) => {
      if (this.api !== api) return;
      this.accounts = list
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
    });
    api.on(EventName.disconnected, () => {
      if (this.api !== api) return;
      this.teardown('disconnected');
      this.setState(
        'disconnected',
        this.clientIdConflict
          ? '326 client id already in use'
          : `socket closed${this.lastSocketError ? `: ${this.lastSocketError}` : ''}`,
      );
      this.lastSocketError = undefined;
      this.scheduleReconnect();
    });
    api.on(EventName.info, (message: string, code: number) => {
      if (this.api !== api) return;
      this.onSystemMessage(code, message);
    });
    api.on(EventName.error, (error: Error, code: number, reqId: number) => {
      if (this.api !== api) return;
      const message = error?.message ?? String(error);
      if (reqId !== undefined && reqId !== -1) {
        if (isWarning(code)) {
          this.logger.info('IB warning', { reqId, code, message });
          this.pending.get(reqId)?.onWarning?.(code, message);
          return;
        }
        const pending = this.pending.get(reqId);
        if (pending) pending.onError(ibError(code, message));
        else this.emit('idError', reqId, code, message);
        return;
      }
      this.onSystemMessage(code, message);
    });
    // the typed overloads do not cover a loop over event names
    const emitter = api as unknown as { on(event: string, listener: (...args: unknown[]) => void): void };
    for (const name of KEYED_EVENTS) {
      emitter.on(name, (...args: unknown[]) => {
        if (this.api !== api) return;
        const pending = this.pending.get(args[0] as number);
        if (pending) pending.onEvent(name, args);
      });
    }
    for (const name of BROADCAST_EVENTS) {
      emitter.on(name, (...args: unknown[]) => {
        if (this.api !== api) return;
        this.emit(name, ...args);
      });
    }
  }

  private onReady(api: IBApi): void {
    this.clearTimer('connectTimer');
    this.reconnectAttempts = 0;
    this.clientIdConflict = false;
    this.setState('ready', undefined);
    this.queue.resume();
    const type = this.options.marketDataType ?? 1;
    this.send(0, 'reqMarketDataType', (a) => a.reqMarketDataType(type));
    this.logger.info('IB connection ready', {
      serverVersion: api.serverVersion,
      accounts: this.accounts.length,
    });
    this.emit('ready');
  }

  private onSystemMessage(code: number, message: string): void {
    const farm = message.includes(':') ? message.slice(message.lastIndexOf(':') + 1).trim() : message;
    if (FARM_OK.has(code)) {
      this.farms[farm] = 'ok';
      this.connectivityLost = false;
    } else if (FARM_BROKEN.has(code)) {
      this.farms[farm] = 'broken';
    } else if (FARM_INACTIVE.has(code)) {
      this.farms[farm] = 'inactive';
    } else if (code === 1100 || code === 2110) {
      this.connectivityLost = true;
      this.logger.warn('IB connectivity lost', { code });
    } else if (code === 1101 || code === 1102) {
      this.connectivityLost = false;
      this.logger.info('IB connectivity restored', { code, dataLost: code === 1101 });
      // 1101: IB dropped every market-data subscription; whoever streams must request again
      if (code === 1101) this.emit('marketDataLost');
    } else if (code === 326) {
      this.clientIdConflict = true;
      this.logger.error('client id already in use; backing off', { clientId: this.options.clientId });
      const api = this.api;
      if (api) {
        this.teardown('326 client id already in use');
        api.disconnect();
        this.setState('disconnected', '326 client id already in use');
        this.scheduleReconnect();
      }
      return;
    } else {
      // 502 is the library's socket error (refused, reset): keep it as the reason for /health
      if (code === 502) this.lastSocketError = message;
      this.logger.info('IB message', { code, message });
      return;
    }
    this.recomputeReadiness(code);
  }

  private recomputeReadiness(code: number): void {
    if (this.state !== 'ready' && this.state !== 'degraded') return;
    const brokenFarms = Object.entries(this.farms)
      .filter(([, s]) => s === 'broken')
      .map(([f]) => f);
    if (this.connectivityLost)
      this.setState('degraded', `${code} connectivity between IB and the gateway lost`);
    else if (brokenFarms.length > 0) this.setState('degraded', `data farm broken: ${brokenFarms.join(', ')}`);
    else this.setState('ready', undefined);
  }

  /** Forgets the current socket: fails what waits on it and empties the queue. */
  private teardown(reason: string): void {
    const api = this.api;
    this.api = undefined;
    this.clearTimer('connectTimer');
    api?.removeAllListeners();
    this.queue.pause();
    this.queue.clear();
    const error = notConnected(reason);
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.onError(error);
    this.emit('lost', reason);
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== undefined) return;
    this.reconnectAttempts++;
    const delay = reconnectDelay(
      this.reconnectAttempts,
      this.backoff,
      this.random(),
      this.clientIdConflict || this.inRestartWindow(),
    );
    this.logger.info('reconnecting', { attempt: this.reconnectAttempts, delayMs: Math.round(delay) });
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private clearTimer(which: 'reconnectTimer' | 'connectTimer'): void {
    if (this[which] !== undefined) this.clock.clearTimeout(this[which]);
    this[which] = undefined;
  }

  private setState(state: ConnectionState, reason: string | undefined): void {
    if (this.state !== state) {
      this.since = this.clock.now();
      this.logger.info('IB connection state', { state, reason });
    }
    this.state = state;
    this.reason = reason;
    this.emit('state', state);
  }
}
