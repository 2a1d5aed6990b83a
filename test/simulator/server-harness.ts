// Test harness for the TWS-protocol server: real @stoqey/ib clients and raw sockets against a server
// on a free port, with every decoder complaint (505, underrun) collected so tests can fail on it.

import net from 'node:net';
import { EventName, IBApi } from '@stoqey/ib';
import { TwsServer, type ServerEngine, type TwsServerOptions } from '#simulator/server/tws-server';
import { encodeHandshake } from '#simulator/server/framing';

export interface ErrorEvent {
  code: number;
  reqId: number;
  message: string;
}

export interface TestClient {
  ib: IBApi;
  clientId: number;
  nextValidId: number;
  accounts: string;
  errors: ErrorEvent[];
  infos: { code: number; message: string }[];
  /** Decoder errors: unknown message (505), unprocessed data left, underrun. Must stay empty. */
  protocolErrors: string[];
  disconnected: boolean;
  close(): void;
}

const open = new Set<{ close(): void | Promise<void> }>();

/** Anything the client's decoder reports about a malformed message. */
function isProtocolError(code: number, message: string): boolean {
  return code === 505 || /underrun|unprocessed data|No parser implementation/i.test(message);
}

export async function startServer(
  engine: ServerEngine,
  options: Partial<TwsServerOptions> = {},
): Promise<TwsServer> {
  const server = new TwsServer({ engine, speed: 0, snapshotDelayMs: 30, ...options });
  await server.listen();
  open.add({ close: () => server.stop() });
  return server;
}

/** Connects a real IBApi client and waits for nextValidId (the end of IB's connect sequence). */
export async function connectClient(port: number, clientId = 0, maxReqPerSec = 40): Promise<TestClient> {
  const ib = new IBApi({ host: '127.0.0.1', port, maxReqPerSec });
  const client: TestClient = {
    ib,
    clientId,
    nextValidId: -1,
    accounts: '',
    errors: [],
    infos: [],
    protocolErrors: [],
    disconnected: false,
    close: () => {
      if (ib.isConnected) ib.disconnect();
    },
  };
  ib.on(EventName.error, (err: Error, code: number, reqId: number) => {
    client.errors.push({ code, reqId, message: err.message });
    if (isProtocolError(code, err.message)) client.protocolErrors.push(`${code}: ${err.message}`);
  });
  ib.on(EventName.info, (message: string, code: number) => {
    client.infos.push({ code, message });
    if (isProtocolError(code, message)) client.protocolErrors.push(`${code}: ${message}`);
  });
  ib.on(EventName.managedAccounts, (accounts: string) => {
    client.accounts = accounts;
  });
  ib.on(EventName.disconnected, () => {
    client.disconnected = true;
  });
  open.add(client);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no nextValidId within 3 s')), 3000);
    ib.once(EventName.nextValidId, (id: number) => {
      clearTimeout(timer);
      client.nextValidId = id;
      resolve();
    });
  });
  ib.connect(clientId);
  await ready;
  return client;
}

/** Resolves when `predicate` holds, polling every few ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Collects every emission of `event` into an array of argument lists. */
export function record<T extends unknown[] = unknown[]>(ib: IBApi, event: EventName): T[] {
  const seen: T[] = [];
  // IBApi types `on` per event name; a generic recorder needs the untyped form.
  (ib as unknown as { on(e: EventName, l: (...a: unknown[]) => void): void }).on(
    event,
    (...args) => void seen.push(args as T),
  );
  return seen;
}

export interface RawClient {
  socket: net.Socket;
  frames: string[][];
  closed: boolean;
  send(fields: (string | number)[]): void;
}

/** A bare TCP client that speaks the framing by hand (for handshake and chunking tests). */
export async function rawClient(port: number, versions?: string): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer = Buffer.alloc(0);
  const client: RawClient = {
    socket,
    frames: [],
    closed: false,
    send(fields) {
      const payload = Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
      const header = Buffer.alloc(4);
      header.writeUInt32BE(payload.length, 0);
      socket.write(Buffer.concat([header, payload]));
    },
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
      const length = buffer.readUInt32BE(0);
      const fields = buffer
        .subarray(4, 4 + length)
        .toString('utf8')
        .split('\0');
      fields.pop();
      client.frames.push(fields);
      buffer = buffer.subarray(4 + length);
    }
  });
  socket.on('close', () => {
    client.closed = true;
  });
  socket.on('error', () => undefined);
  open.add({ close: () => void socket.destroy() });
  if (versions !== undefined) socket.write(encodeHandshake(versions));
  return client;
}

/** Closes every client, socket and server opened by the helpers above (call in afterEach). */
export async function closeAll(): Promise<void> {
  const items = [...open];
  open.clear();
  await Promise.all(items.map((item) => item.close()));
  // Let the sockets' close events run before the next test binds new ones.
  await sleep(10);
}
