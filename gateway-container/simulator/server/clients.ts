// The connected API clients: accepting sockets (or refusing them in a restart window or before login),
// the handshake and startApi, IB's message-rate limit (100 and disconnect), duplicate client ids (326),
// and dispatching each request to the handler registered for its message id.

import type net from 'node:net';
import { ClientConnection, type ConnectionInfo } from './connection';
import * as enc from './encode';
import type { FaultSwitches } from './fault-controller';
import type { LimitOptions } from './limits';
import type { ServerEngine } from './server-engine';
import { connectionTime } from './time';
import { answerUnserved } from './unsupported';
import { FieldReader, IN, SERVER_VERSION, WireUnderrun, type WireField } from './wire';

export type RequestHandler = (conn: ClientConnection, r: FieldReader) => void;

const FARM_STATUS: [number, string][] = [
  [2104, 'Market data farm connection is OK:usfarm'],
  [2106, 'HMDS data farm connection is OK:ushmds'],
  [2158, 'Sec-def data farm connection is OK:secdefnj'],
];

export interface ClientsOptions {
  engine: ServerEngine;
  limits: LimitOptions;
  switches: FaultSwitches;
  /** The clock the message rate is counted on. */
  messageRateNow: () => number;
  /** The order id startApi hands out. */
  nextOrderId: () => number;
  /** Called when a connection is gone, to end what it held (market-data lines). */
  onForget: (conn: ClientConnection) => void;
  log: (line: string) => void;
}

export class Clients {
  private readonly conns = new Set<ClientConnection>();
  private readonly handlers = new Map<number, RequestHandler>();
  private nextConnId = 1;
  private stopped = false;
  /** Client messages received, every connection, the handshake aside. */
  received = 0;

  constructor(private readonly options: ClientsOptions) {}

  /** Registers the handler of a request message id; ids without one get IB's answer from unsupported.ts. */
  handle(msgId: number, handler: RequestHandler): void {
    this.handlers.set(msgId, handler);
  }

  connections(): ConnectionInfo[] {
    return [...this.conns].map((c) => c.info());
  }

  accept(socket: net.Socket): void {
    const { switches, engine } = this.options;
    if (
      this.stopped ||
      switches.loginPending ||
      (switches.restartUntil !== undefined && engine.now() < switches.restartUntil)
    ) {
      // Like socat in front of a restarting gateway: the TCP connect succeeds, the API never answers.
      socket.destroy();
      return;
    }
    const conn = new ClientConnection(
      this.nextConnId++,
      socket,
      this.options.limits.maxMessagesPerSecond,
      () => switches.responseDelayMs,
      this.options.messageRateNow,
    );
    this.conns.add(conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (err) => this.options.log(`connection ${conn.id}: ${err.message}`));
    socket.on('close', () => this.forget(conn));
  }

  /** Refuses new connections and destroys every open one. */
  stop(): void {
    this.stopped = true;
    for (const conn of this.conns) conn.destroy();
    this.conns.clear();
  }

  dropAll(): void {
    for (const conn of this.conns) this.drop(conn);
  }

  broadcast(fields: WireField[]): void {
    for (const conn of this.conns) if (conn.state === 'ready') conn.send(fields);
  }

  /** Every ready connection. */
  ready(): ClientConnection[] {
    return [...this.conns].filter((c) => c.state === 'ready');
  }

  /** The ready connection of an API client id. */
  byClientId(clientId: number): ClientConnection | undefined {
    for (const conn of this.conns) if (conn.state === 'ready' && conn.clientId === clientId) return conn;
    return undefined;
  }

  private drop(conn: ClientConnection): void {
    conn.destroy();
    this.forget(conn);
  }

  private forget(conn: ClientConnection): void {
    conn.state = 'closed';
    this.conns.delete(conn);
    this.options.onForget(conn);
  }

  private onData(conn: ClientConnection, chunk: Buffer): void {
    const { limits, log } = this.options;
    for (const event of conn.decode(chunk)) {
      if (!conn.open) return;
      if (event.type === 'error') {
        log(`connection ${conn.id}: ${event.reason}`);
        this.drop(conn);
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
        conn.send([SERVER_VERSION, connectionTime(this.options.engine.now())]);
        continue;
      }
      this.received += 1;
      if (limits.enabled) {
        const { exceeded, count } = conn.countMessage();
        if (exceeded) {
          conn.send(
            enc.errMsg(
              -1,
              100,
              `Max rate of messages per second has been exceeded:max=${limits.maxMessagesPerSecond} rec=${count}`,
            ),
          );
          log(`connection ${conn.id}: more than ${limits.maxMessagesPerSecond} messages/s, disconnecting`);
          conn.closeAfterSend();
          this.forget(conn);
          return;
        }
      }
      try {
        this.onMessage(conn, event.fields);
      } catch (err) {
        if (!(err instanceof WireUnderrun)) throw err;
        log(`connection ${conn.id}: unreadable message ${event.fields[0]}: ${err.message}`);
        conn.send(enc.errMsg(-1, 320, `Error reading request: ${err.message}`));
      }
    }
  }

  private onMessage(conn: ClientConnection, fields: string[]): void {
    const r = new FieldReader(fields);
    const msgId = r.int('message id');
    if (conn.state === 'startApi') {
      if (msgId === IN.START_API) this.startApi(conn, r);
      else this.options.log(`connection ${conn.id}: message ${msgId} before startApi ignored`);
      return;
    }
    if (conn.state !== 'ready') return;
    if (msgId === IN.START_API) return; // already started
    const handler = this.handlers.get(msgId);
    if (handler) handler(conn, r);
    // Never drop a request: IB answers every one (see unsupported.ts for the table).
    else for (const answer of answerUnserved(msgId, r.rest(), this.options.engine)) conn.send(answer);
  }

  private startApi(conn: ClientConnection, r: FieldReader): void {
    const { engine, switches, log } = this.options;
    r.int('version');
    const clientId = r.int('clientId');
    if (this.byClientId(clientId)) {
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
    conn.send(enc.managedAccounts(engine.accounts()));
    conn.send(enc.nextValidId(this.options.nextOrderId()));
    for (const [code, text] of FARM_STATUS) conn.send(enc.errMsg(-1, code, text));
    if (switches.connectivityLost) {
      conn.send(enc.errMsg(-1, 1100, 'Connectivity between IB and Trader Workstation has been lost.'));
    }
    log(`client ${clientId} connected (connection ${conn.id})`);
  }
}
