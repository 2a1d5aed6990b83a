// Starts the bridge: from environment variables (`npm run bridge`, the container) or in process
// (`startBridge(options)` for tests and `npm start`).

import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { IbConnection } from './connection';
import { type Logger, silentLogger } from './logger';
import type { RestartWindow } from './reconnect';
import type { BridgeEvent } from './contract';
import { callbackSink, eventBridgeSink, type EventSink, nullSink } from './events';
import { IbService } from './ib-service';
import { LineBudget } from './lines';
import { DEFAULT_PRICE_BAND_WIDTH_FRACTION, type OrderLimits } from './order-guard';
import { type Clock, OutgoingQueue, systemClock } from './pacer';
import { buildServer, type ServerOptions } from './server';

export interface BridgeOptions {
  ib: { host: string; port: number; clientId: number };
  /**
   * HTTP listen address; port 0 picks a free port. `requestTimeoutMs`: time for a client to send its
   * whole request (default 10 s); `connectionsCheckingIntervalMs`: how often that is checked (1 s).
   */
  http: { host: string; port: number; requestTimeoutMs?: number; connectionsCheckingIntervalMs?: number };
  /** Read routes' secret (and the previous one during a rotation). */
  secret: string;
  previousSecret?: string;
  /** Order routes' secret (POST/PUT/DELETE /orders*; and the previous one during a rotation). */
  orderSecret: string;
  previousOrderSecret?: string;
  /** The stack's trading mode: orders are refused while IB reports an account of the other mode. */
  tradingMode: 'paper' | 'live';
  /** The order guard's hard limits; `priceBandWidthFraction` defaults to 0.1. */
  limits: Omit<OrderLimits, 'priceBandWidthFraction'> & { priceBandWidthFraction?: number };
  /** Where OrderFilled / PositionChanged go: a sink, or a callback (in-process adapter). */
  events?: EventSink | ((event: BridgeEvent) => void | Promise<void>);
  maxMessagesPerSecond?: number;
  maxLines?: number;
  quoteTimeoutMs?: number;
  requestTimeoutMs?: number;
  orderTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  restartWindow?: RestartWindow;
  marketDataType?: 1 | 2 | 3 | 4;
  ibTimeZone?: string;
  /**
   * The clock IB's message pacing runs on: the wall clock (default) in production. The local stack passes
   * its simulated clock, whose waits jump the simulator (IB's 50 per second in simulated time).
   */
  pacingClock?: Clock;
  /** The client library's own throttle, messages per real second (default 50; see ConnectionOptions). */
  clientMaxReqPerSec?: number;
  /** How far a signature's timestamp may be from the bridge's clock (default 30 s). */
  signatureWindowMs?: number;
  /** Observer of every message sent to IB (label, epoch ms): instrumentation and tests. */
  onIbSend?: (label: string, at: number) => void;
  logger?: Logger;
  httpLogger?: ServerOptions['logger'];
  clock?: Clock;
}

export interface RunningBridge {
  /** `http://host:port` */
  url: string;
  port: number;
  connection: IbConnection;
  service: IbService;
  /** Resolves once the IB connection is ready (or rejects after `timeoutMs`). */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  if ([options.secret, options.previousSecret].includes(options.orderSecret))
    throw new Error(
      'the order secret must differ from the read secrets: order routes would be open to every job',
    );
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  // IB counts messages per real second, so the queue paces on the wall clock even when the bridge's
  // clock is a simulated one that jumps ahead (the jobs' tests): each jump would otherwise hand back a
  // whole window of tokens at once and IB would disconnect with error 100. Only a pacing clock made for
  // it (the local stack's, with a simulator counting simulated seconds) replaces the wall clock.
  const queue = new OutgoingQueue({
    maxPerWindow: options.maxMessagesPerSecond ?? 45,
    clock: options.pacingClock ?? systemClock,
    onSend: options.onIbSend,
  });
  const connection = new IbConnection({
    ...options.ib,
    queue,
    clock,
    logger,
    backoff: options.backoff,
    connectTimeoutMs: options.connectTimeoutMs,
    restartWindow: options.restartWindow,
    marketDataType: options.marketDataType,
    ...(options.clientMaxReqPerSec ? { clientMaxReqPerSec: options.clientMaxReqPerSec } : {}),
  });
  const sink =
    typeof options.events === 'function' ? callbackSink(options.events) : (options.events ?? nullSink);
  const service = new IbService({
    connection,
    sink,
    clock,
    logger,
    lines: new LineBudget(options.maxLines ?? 90),
    quoteTimeoutMs: options.quoteTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    orderTimeoutMs: options.orderTimeoutMs,
    ibTimeZone: options.ibTimeZone,
    tradingMode: options.tradingMode,
    limits: {
      ...options.limits,
      priceBandWidthFraction: options.limits.priceBandWidthFraction ?? DEFAULT_PRICE_BAND_WIDTH_FRACTION,
    },
  });
  const app = buildServer({
    connection,
    service,
    secret: options.secret,
    previousSecret: options.previousSecret,
    orderSecret: options.orderSecret,
    previousOrderSecret: options.previousOrderSecret,
    now: () => clock.now(),
    ...(options.signatureWindowMs ? { signatureWindowMs: options.signatureWindowMs } : {}),
    logger: options.httpLogger,
    requestTimeoutMs: options.http.requestTimeoutMs,
    connectionsCheckingIntervalMs: options.http.connectionsCheckingIntervalMs,
  });
  connection.start();
  await app.listen({ host: options.http.host, port: options.http.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.http.port;
  const host = options.http.host === '0.0.0.0' ? '127.0.0.1' : options.http.host;
  return {
    url: `http://${host}:${port}`,
    port,
    connection,
    service,
    ready(timeoutMs = 15_000) {
      if (connection.state === 'ready') return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          connection.off('ready', onReady);
          reject(
            new Error(
              `IB connection not ready after ${timeoutMs} ms (${connection.state}: ${connection.reason ?? ''})`,
            ),
          );
        }, timeoutMs);
        const onReady = (): void => {
          clearTimeout(timer);
          resolve();
        };
        connection.once('ready', onReady);
      });
    },
    async close() {
      service.close();
      await app.close();
      await connection.stop();
    },
  };
}

const port = z.coerce.number().int().min(0).max(65535);

/** The environment `npm run bridge` and the container read. */
export const EnvSchema = z.object({
  IB_HOST: z.string().min(1).default('127.0.0.1'),
  IB_PORT: port,
  IB_CLIENT_ID: z.coerce.number().int().min(0).max(2_147_483_647),
  BRIDGE_PORT: port,
  BRIDGE_HOST: z.string().min(1).default('127.0.0.1'),
  BRIDGE_SECRET: z.string().min(16, 'must be at least 16 characters'),
  BRIDGE_SECRET_PREVIOUS: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Order routes (POST/PUT/DELETE /orders*): a second secret, held only by execute-strategies and monitor. */
  BRIDGE_ORDER_SECRET: z.string().min(16, 'must be at least 16 characters'),
  BRIDGE_ORDER_SECRET_PREVIOUS: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The stack's mode: every order is refused while IB reports an account of the other mode. */
  TRADING_MODE: z.enum(['paper', 'live']),
  /** Contracts per opening order, counted legs × ratio × quantity as IB will. */
  BRIDGE_MAX_CONTRACTS_PER_ORDER: z.coerce.number().int().min(1).max(10_000),
  /** Contracts of opening orders per New York trade date. */
  BRIDGE_MAX_CONTRACTS_PER_DAY: z.coerce.number().int().min(1).max(100_000),
  /** Fraction of the spread's width by which the natural–mid price band is widened on each side. */
  BRIDGE_PRICE_BAND_WIDTH_FRACTION: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(DEFAULT_PRICE_BAND_WIDTH_FRACTION),
  EVENT_BUS_NAME: z.string().min(1).optional(),
  IB_MARKET_DATA_TYPE: z.coerce.number().int().min(1).max(4).default(1),
  IB_TIME_ZONE: z.string().min(1).default('America/New_York'),
  /** `HH:MM-HH:MM` New York time, when IB's nightly reset / the gateway's restart is expected. */
  IB_RESTART_WINDOW: z
    .string()
    .regex(/^\d{2}:\d{2}-\d{2}:\d{2}$/, 'expected HH:MM-HH:MM')
    .default('23:45-02:00'),
  BRIDGE_MAX_MSG_PER_SEC: z.coerce.number().int().min(1).max(49).default(45),
  BRIDGE_MAX_LINES: z.coerce.number().int().min(1).max(99).default(90),
  BRIDGE_QUOTE_TIMEOUT_MS: z.coerce.number().int().min(100).default(8000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});
export type BridgeEnv = z.infer<typeof EnvSchema>;

/** Parses the environment; on error, a message naming each bad or missing variable. */
export function parseEnv(
  env: Record<string, string | undefined>,
): { ok: true; env: BridgeEnv } | { ok: false; message: string } {
  // empty strings count as unset, as in a shell `VAR=`
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = EnvSchema.safeParse(cleaned);
  if (result.success) {
    const e = result.data;
    if (e.BRIDGE_ORDER_SECRET === e.BRIDGE_SECRET || e.BRIDGE_ORDER_SECRET === e.BRIDGE_SECRET_PREVIOUS)
      return {
        ok: false,
        message:
          'bridge configuration error:\n  BRIDGE_ORDER_SECRET is invalid: must differ from BRIDGE_SECRET and BRIDGE_SECRET_PREVIOUS',
      };
    return { ok: true, env: e };
  }
  const lines = result.error.issues.map((i) => {
    const name = String(i.path[0] ?? '?');
    return cleaned[name] === undefined ? `${name} is missing` : `${name} is invalid: ${i.message}`;
  });
  return { ok: false, message: `bridge configuration error:\n  ${lines.join('\n  ')}` };
}

function jsonLogger(level: BridgeEnv['LOG_LEVEL']): Logger {
  const order = ['debug', 'info', 'warn', 'error'];
  const min = level === 'silent' ? 99 : order.indexOf(level);
  const write = (lvl: string, msg: string, data?: Record<string, unknown>): void => {
    if (order.indexOf(lvl) < min) return;
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...data })}\n`);
  };
  return {
    info: (m, d) => write('info', m, d),
    warn: (m, d) => write('warn', m, d),
    error: (m, d) => write('error', m, d),
  };
}

/**
 * The bridge's production logging (the container, `npm run bridge`): its own JSON lines and fastify's
 * request log, both to stdout. Tests that look for secrets in logs run the bridge with these.
 */
export function productionLoggers(level: BridgeEnv['LOG_LEVEL']): {
  logger: Logger;
  httpLogger: ServerOptions['logger'];
} {
  return {
    logger: jsonLogger(level),
    // through process.stdout (not pino's own fd writer), so whatever captures stdout sees it
    httpLogger: level === 'silent' ? false : { level, stream: process.stdout },
  };
}

export async function main(env: Record<string, string | undefined> = process.env): Promise<RunningBridge> {
  const parsed = parseEnv(env);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n`);
    process.exit(2);
  }
  const e = parsed.env;
  const [start, end] = e.IB_RESTART_WINDOW.split('-') as [string, string];
  const { logger, httpLogger } = productionLoggers(e.LOG_LEVEL);
  const bridge = await startBridge({
    ib: { host: e.IB_HOST, port: e.IB_PORT, clientId: e.IB_CLIENT_ID },
    http: { host: e.BRIDGE_HOST, port: e.BRIDGE_PORT },
    secret: e.BRIDGE_SECRET,
    previousSecret: e.BRIDGE_SECRET_PREVIOUS,
    orderSecret: e.BRIDGE_ORDER_SECRET,
    previousOrderSecret: e.BRIDGE_ORDER_SECRET_PREVIOUS,
    tradingMode: e.TRADING_MODE,
    limits: {
      maxContractsPerOrder: e.BRIDGE_MAX_CONTRACTS_PER_ORDER,
      maxContractsPerDay: e.BRIDGE_MAX_CONTRACTS_PER_DAY,
      priceBandWidthFraction: e.BRIDGE_PRICE_BAND_WIDTH_FRACTION,
    },
    events: e.EVENT_BUS_NAME
      ? eventBridgeSink({ eventBusName: e.EVENT_BUS_NAME })
      : (event) => logger.info('event (no EVENT_BUS_NAME set)', { type: event.type, detail: event.detail }),
    maxMessagesPerSecond: e.BRIDGE_MAX_MSG_PER_SEC,
    maxLines: e.BRIDGE_MAX_LINES,
    quoteTimeoutMs: e.BRIDGE_QUOTE_TIMEOUT_MS,
    restartWindow: { start, end, timeZone: 'America/New_York' },
    marketDataType: e.IB_MARKET_DATA_TYPE as 1 | 2 | 3 | 4,
    ibTimeZone: e.IB_TIME_ZONE,
    logger,
    httpLogger,
  });
  logger.info('bridge listening', {
    url: bridge.url,
    ib: `${e.IB_HOST}:${e.IB_PORT}`,
    clientId: e.IB_CLIENT_ID,
    eventBus: e.EVENT_BUS_NAME ?? null,
    tradingMode: e.TRADING_MODE,
    maxContractsPerOrder: e.BRIDGE_MAX_CONTRACTS_PER_ORDER,
    maxContractsPerDay: e.BRIDGE_MAX_CONTRACTS_PER_DAY,
  });
  const shutdown = (signal: string): void => {
    logger.info('shutting down', { signal });
    bridge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return bridge;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main().catch((err: unknown) => {
    process.stderr.write(`bridge failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
