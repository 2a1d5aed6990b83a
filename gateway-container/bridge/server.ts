// The bridge's HTTP API (fastify). Every route but GET /health needs a valid signature: order routes
// (POST/PUT/DELETE /orders*) with the order secret, the others with the read secret. The signature is
// checked on the raw bytes before any JSON is parsed (an unsigned request is refused from its headers,
// before its body is read); input is validated with the shared contract's zod schemas (400 naming the
// field); IB errors come back as { error: { code, message, retryable } } with a status that says whether
// a retry can help.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { createVerifier, type AuthResult } from './auth';
import type { IbConnection } from './connection';
import {
  ChainQuerySchema,
  TradingHoursQuerySchema,
  DEFAULT_PRIORITY,
  ExecutionsQuerySchema,
  HistoryQuerySchema,
  isOrderRoute,
  ModifyOrderRequestSchema,
  OrderIdParamsSchema,
  OrdersQuerySchema,
  PlaceOrderRequestSchema,
  PRIORITY_HEADER,
  PrioritySchema,
  QuotesRequestSchema,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  WhatIfRequestSchema,
  type HealthResponse,
} from './contract';
import { BridgeError, invalidInput } from './errors';
import type { IbService } from './ib-service';
import { ORDER_PRIORITY } from './pacer';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/** Largest request body: a 1,000-contract /quotes request is about 60 KB. */
export const BODY_LIMIT_BYTES = 256 * 1024;

export interface ServerOptions {
  connection: IbConnection;
  service: IbService;
  /** Read routes: the current secret and the previous one (rotation). */
  secret: string;
  previousSecret?: string;
  /** Order routes (POST/PUT/DELETE /orders*): the current order secret and the previous one. */
  orderSecret: string;
  previousOrderSecret?: string;
  now?: () => number;
  /** How far a signature's timestamp may be from `now` (default SIGNATURE_WINDOW_MS, 30 s). */
  signatureWindowMs?: number;
  /** fastify logger setting; false in tests. Headers (and so signatures) are never logged. */
  logger?: boolean | { level: string; stream?: { write(line: string): unknown } };
  /** Time for a client to send its whole request (headers and body); default 10 s. */
  requestTimeoutMs?: number;
  /** How often Node looks for requests past their timeout; default 1 s. */
  connectionsCheckingIntervalMs?: number;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : where;
  throw invalidInput(field, issue.message);
}

function priorityOf(request: FastifyRequest): number {
  const header = request.headers[PRIORITY_HEADER];
  if (header === undefined) return DEFAULT_PRIORITY;
  return parse(PrioritySchema, Array.isArray(header) ? header[0] : header, PRIORITY_HEADER);
}

export function health(connection: IbConnection, service: IbService): HealthResponse {
  const inWindow = connection.inRestartWindow();
  const status =
    connection.state === 'ready' ? 'ok' : connection.state === 'degraded' || inWindow ? 'degraded' : 'down';
  const h: HealthResponse = {
    status,
    ibConnected: connection.state === 'ready' || connection.state === 'degraded',
    state: connection.state,
    since: connection.since,
    farms: { ...connection.farms },
    tradingMode: connection.tradingMode,
    reconnectAttempts: connection.reconnectAttempts,
    inRestartWindow: inWindow,
    queueLength: connection.queue.length,
    linesInUse: service.lines.linesInUse,
    delayedQuotes: service.delayedQuotes,
  };
  h.orders = service.orderGuardStatus();
  if (connection.serverVersion !== undefined) h.serverVersion = connection.serverVersion;
  if (connection.reason) h.reason = connection.reason;
  const wedged = connection.wedged();
  h.bridgeAlive = wedged === undefined;
  if (wedged) h.reason = `bridge wedged: ${wedged}${h.reason ? ` (${h.reason})` : ''}`;
  return h;
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const { connection, service } = options;
  const readVerifier = createVerifier({
    secrets: [options.secret, options.previousSecret],
    now: options.now,
    ...(options.signatureWindowMs ? { windowMs: options.signatureWindowMs } : {}),
  });
  const orderVerifier = createVerifier({
    secrets: [options.orderSecret, options.previousOrderSecret],
    now: options.now,
    ...(options.signatureWindowMs ? { windowMs: options.signatureWindowMs } : {}),
  });
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: options.connectionsCheckingIntervalMs ?? 1000,
    },
  });

  // Keep the exact bytes and parse nothing yet: the signature covers the body as sent, and is checked
  // before any JSON is parsed (preValidation below). Any content type, so none is answered before auth.
  const keepRaw = (
    request: FastifyRequest,
    body: Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    request.rawBody = body;
    done(null, undefined);
  };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) =>
    keepRaw(request, body as Buffer, done),
  );
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) =>
    keepRaw(request, body as Buffer, done),
  );

  const isPublic = (request: FastifyRequest): boolean =>
    request.method === 'GET' && request.url.split('?')[0] === '/health';
  const header = (request: FastifyRequest, name: string): string | undefined => {
    const v = request.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const verifierOf = (request: FastifyRequest) =>
    isOrderRoute(request.method, request.url) ? orderVerifier : readVerifier;
  const unauthorized = (request: FastifyRequest, reply: FastifyReply, result: AuthResult & { ok: false }) => {
    request.log.warn({ reason: result.reason }, 'unauthorized request');
    // close the connection: whatever body the client still sends is not read
    return reply
      .code(401)
      .header('connection', 'close')
      .send({ error: { code: 'UNAUTHORIZED', message: result.reason, retryable: false } });
  };

  // From the headers alone, before the body is read.
  app.addHook('onRequest', async (request, reply) => {
    if (isPublic(request)) return;
    const result = verifierOf(request).precheck({
      timestamp: header(request, TIMESTAMP_HEADER),
      signature: header(request, SIGNATURE_HEADER),
    });
    if (!result.ok) return unauthorized(request, reply, result);
  });

  // The whole signature over the raw body, then the JSON.
  app.addHook('preValidation', async (request, reply) => {
    if (isPublic(request)) return;
    const raw = request.rawBody ?? Buffer.alloc(0);
    const result = verifierOf(request).verify({
      timestamp: header(request, TIMESTAMP_HEADER),
      signature: header(request, SIGNATURE_HEADER),
      method: request.method,
      pathWithQuery: request.url,
      priority: header(request, PRIORITY_HEADER),
      body: raw,
    });
    if (!result.ok) return unauthorized(request, reply, result);
    if (raw.length === 0) return;
    try {
      request.body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw invalidInput('body', 'malformed JSON');
    }
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof BridgeError) return reply.code(error.httpStatus).send(error.toBody());
    const e = error as { statusCode?: number; message?: string; code?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({
        error: { code: e.code ?? 'BAD_REQUEST', message: e.message ?? 'bad request', retryable: false },
      });
    }
    request.log.error({ err: error }, 'unhandled bridge error');
    return reply
      .code(500)
      .send({ error: { code: 'INTERNAL', message: 'internal bridge error', retryable: true } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
        retryable: false,
      },
    });
  });

  app.get('/health', async (_request, reply) => {
    const h = health(connection, service);
    // The task definition's health check: 503 only when the bridge itself cannot work any more (its
    // connection machine wedged; a blocked event loop never answers at all). IB being logged out — a
    // login waiting for its second factor, a restart — is not the task's fault: replacing the task would
    // only start another login and another push. The health-check job watches IB's login instead.
    return reply.code(h.bridgeAlive ? 200 : 503).send(h);
  });

  app.get('/account', async (request) => service.account(priorityOf(request)));

  app.get('/positions', async (request) => ({ positions: await service.positions(priorityOf(request)) }));

  app.get('/chain', async (request) => {
    const q = parse(ChainQuerySchema, request.query, 'query');
    return service.chain(q.symbol, priorityOf(request));
  });

  app.get('/trading-hours', async (request) => {
    const q = parse(TradingHoursQuerySchema, request.query, 'query');
    return service.tradingHours(q.symbol, priorityOf(request));
  });

  app.post('/quotes', async (request, reply) => {
    const body = parse(QuotesRequestSchema, request.body, 'body');
    // A client that goes away stops its quotes: their lines are freed and waiting ones never start.
    const gone = new AbortController();
    const onClose = (): void => {
      if (!reply.raw.writableFinished) gone.abort();
    };
    reply.raw.once('close', onClose);
    try {
      return { quotes: await service.quotes(body.contracts, priorityOf(request), gone.signal) };
    } finally {
      reply.raw.off('close', onClose);
    }
  });

  app.get('/history', async (request) => {
    const q = parse(HistoryQuerySchema, request.query, 'query');
    return service.history(q, priorityOf(request));
  });

  app.post('/orders/what-if', async (request) => {
    const body = parse(WhatIfRequestSchema, request.body, 'body');
    return service.whatIf(body, Math.min(priorityOf(request), ORDER_PRIORITY));
  });

  app.post('/orders', async (request) => {
    const body = parse(PlaceOrderRequestSchema, request.body, 'body');
    return service.placeOrder(body, Math.min(priorityOf(request), ORDER_PRIORITY));
  });

  app.get('/orders', async (request) => {
    const q = parse(OrdersQuerySchema, request.query, 'query');
    return {
      orders: await service.findByOrderRef(q.orderRef, Math.min(priorityOf(request), ORDER_PRIORITY)),
    };
  });

  app.get('/orders/open', async (request) => ({
    orders: await service.openOrders(Math.min(priorityOf(request), ORDER_PRIORITY)),
  }));

  app.put('/orders/:id', async (request) => {
    const { id } = parse(OrderIdParamsSchema, request.params, 'id');
    const body = parse(ModifyOrderRequestSchema, request.body, 'body');
    return service.modifyOrder(id, body.limitPrice, ORDER_PRIORITY);
  });

  app.delete('/orders/:id', async (request) => {
    const { id } = parse(OrderIdParamsSchema, request.params, 'id');
    return service.cancelOrder(id, ORDER_PRIORITY);
  });

  app.get('/executions', async (request) => {
    const q = parse(ExecutionsQuerySchema, request.query, 'query');
    return { executions: await service.executions(q.since, priorityOf(request)) };
  });

  return app;
}
