// The jobs' client of the bridge: signed HTTP (HMAC over timestamp, method, path, priority and body,
// see the contract; order routes with the order secret, the rest with the read secret), the job's priority in `x-priority` so order work is never queued behind data collection, a
// timeout per request, responses parsed with the contract's zod schemas, and errors as a typed
// BridgeError. Uses the global fetch (node 20); no SDK.
//
// Retries: only requests that cannot do anything twice are retried, on retryable errors (5xx, 429,
// network failures, timeouts), with a short backoff: the GETs, POST /quotes and POST /orders/what-if
// (reads), and POST /orders, because the bridge looks the orderRef up among open orders and today's
// executions before placing and answers `duplicate: true` instead of placing a second order. PUT and
// DELETE are not retried here: the order workflow re-reads the order and decides again.
import type { z } from 'zod';
import {
  AccountResponseSchema,
  CancelOrderResponseSchema,
  ChainResponseSchema,
  TradingHoursResponseSchema,
  ErrorBodySchema,
  ExecutionsResponseSchema,
  isOrderRoute,
  HealthResponseSchema,
  HistoryResponseSchema,
  ModifyOrderResponseSchema,
  OrdersResponseSchema,
  PlaceOrderResponseSchema,
  PositionsResponseSchema,
  QuotesResponseSchema,
  signedHeaders,
  WhatIfResponseSchema,
} from '#bridge/contract';
import type {
  BridgeEvent,
  TradingHoursResponse,
  HistoryQuery,
  HistoryResponse,
  PlaceOrderRequest,
  WhatIfRequest,
  WhatIfResponse,
} from '#bridge/contract';
import { brokerExecutionOf, brokerOrderOf, brokerPositionOf } from './broker-views';
import type {
  BridgeHealth,
  BrokerAccount,
  BrokerExecution,
  BrokerOrder,
  BrokerPosition,
  BrokerQuote,
  ChainDefinition,
  PlacedOrder,
  QuoteRequest,
} from './broker-views';

// The bridge's events, validated by the jobs' input layer (same names: they are this system's events).
export { EVENT_SOURCE, OrderFilledDetailSchema, PositionChangedDetailSchema } from '#bridge/contract';
export type { BridgeEvent };

// ---------------------------------------------------------------------------------------------------
// What the jobs see (./broker-views), re-exported where the jobs import the client.
// ---------------------------------------------------------------------------------------------------

export { brokerExecutionOf, brokerOrderOf, brokerPositionOf, heldInstrumentOf } from './broker-views';
export type {
  BridgeHealth,
  BrokerAccount,
  BrokerExecution,
  BrokerOrder,
  BrokerPosition,
  BrokerQuote,
  ChainDefinition,
  HeldInstrument,
  InstrumentKind,
  PlacedOrder,
  PriceBar,
  QuoteRequest,
} from './broker-views';

/** A failed bridge call. `status` 0 means no HTTP answer at all (network error or timeout). */
export class BridgeError extends Error {
  override name = 'BridgeError';
  constructor(
    readonly status: number,
    readonly code: string | number,
    message: string,
    readonly retryable: boolean,
    /** For invalid input: the bridge's dotted path of the bad field. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface BridgeClientOptions {
  /** `http://host:port`, no trailing slash needed. */
  baseUrl: string;
  /**
   * The HMAC secret, or a function that resolves it (read from Secrets Manager on first use). Used to
   * sign only; never logged, never part of an error message.
   */
  secret: string | (() => Promise<string>);
  /**
   * The order routes' secret (POST/PUT/DELETE /orders*), held only by the jobs that trade. Without it an
   * order call fails before anything is sent, with `missingOrderSecret` as its message.
   */
  orderSecret?: string | (() => Promise<string>);
  /** Why there is no order secret (names the environment variable); default a generic message. */
  missingOrderSecret?: string;
  /** The job's priority from the architecture's schedule table (lower = more urgent). */
  priority: number;
  /** Time for the signature; the bridge refuses timestamps more than 30 s off its own clock. */
  now: () => number;
  /** Per-request timeout; default 30 s (a batch of quotes can take that long). */
  timeoutMs?: number;
  /** Attempts for retryable requests, first one included; default 3. */
  attempts?: number;
  /** Backoff before retry n (1-based), ms; default 250 · 2^(n−1). */
  backoffMs?: (retry: number) => number;
  /** Waits for the backoff; real time by default (it waits for the bridge, not for the market). */
  delay?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export interface BridgeClient {
  readonly priority: number;
  health(): Promise<BridgeHealth>;
  account(): Promise<BrokerAccount>;
  positions(): Promise<BrokerPosition[]>;
  chain(symbol: string): Promise<ChainDefinition>;
  /** IB's tradingHours / liquidHours strings for the underlying stock. */
  tradingHours(symbol: string): Promise<TradingHoursResponse>;
  /** One batch; the answer is in request order. */
  quotes(contracts: QuoteRequest[]): Promise<BrokerQuote[]>;
  history(query: HistoryQuery): Promise<HistoryResponse>;
  whatIf(order: WhatIfRequest): Promise<WhatIfResponse>;
  placeOrder(order: PlaceOrderRequest): Promise<PlacedOrder>;
  ordersByRef(orderRef: string): Promise<BrokerOrder[]>;
  openOrders(): Promise<BrokerOrder[]>;
  modifyOrder(orderId: number, limitPrice: number): Promise<BrokerOrder>;
  /** Resolves once IB confirmed the cancel. */
  cancelOrder(orderId: number): Promise<BrokerOrder>;
  executions(sinceMs?: number): Promise<BrokerExecution[]>;
}

// The bridge refuses a signature it has seen (replay cache): two identical requests signed in the same
// millisecond would collide, so timestamps are made strictly increasing within the process.
let lastTimestamp = 0;
function uniqueTimestamp(now: number): number {
  lastTimestamp = Math.max(Math.floor(now), lastTimestamp + 1);
  return lastTimestamp;
}

interface Call<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  schema: S;
  /** Safe to send twice (see the header comment). */
  idempotent: boolean;
}

export function createBridgeClient(options: BridgeClientOptions): BridgeClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const attempts = Math.max(1, options.attempts ?? 3);
  const backoff = options.backoffMs ?? ((retry: number) => 250 * 2 ** (retry - 1));
  const delay = options.delay ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const doFetch = options.fetch ?? fetch;

  async function once<S extends z.ZodType>(call: Call<S>): Promise<z.infer<S>> {
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const source = isOrderRoute(call.method, call.path) ? options.orderSecret : options.secret;
    if (source === undefined)
      throw new BridgeError(
        0,
        'NO_ORDER_SECRET',
        `${call.method} ${pathOnly(call.path)}: ${options.missingOrderSecret ?? 'this client holds no order secret'}`,
        false,
      );
    const secret = typeof source === 'string' ? source : await source();
    const headers = signedHeaders({
      secret,
      timestamp: uniqueTimestamp(options.now()),
      method: call.method,
      pathWithQuery: call.path,
      ...(body === undefined ? {} : { body }),
      priority: options.priority,
    });
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${call.path}`, {
        method: call.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new BridgeError(
        0,
        timedOut ? 'TIMEOUT' : 'NETWORK',
        timedOut
          ? `${call.method} ${pathOnly(call.path)}: no answer from the bridge within ${timeoutMs} ms`
          : `${call.method} ${pathOnly(call.path)}: bridge unreachable (${messageOf(error)})`,
        true,
      );
    }
    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok) {
      const parsed = ErrorBodySchema.safeParse(json);
      if (parsed.success) {
        const e = parsed.data.error;
        throw new BridgeError(
          response.status,
          e.code,
          `${call.method} ${pathOnly(call.path)}: ${e.message}`,
          e.retryable,
          e.field,
        );
      }
      throw new BridgeError(
        response.status,
        `HTTP_${response.status}`,
        `${call.method} ${pathOnly(call.path)}: HTTP ${response.status}`,
        response.status >= 500 || response.status === 429,
      );
    }
    const parsed = call.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BridgeError(
        response.status,
        'BAD_RESPONSE',
        `${call.method} ${pathOnly(call.path)}: response does not match the contract at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
        false,
      );
    }
    return parsed.data;
  }

  async function request<S extends z.ZodType>(call: Call<S>): Promise<z.infer<S>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(call);
      } catch (error) {
        const retry =
          error instanceof BridgeError && error.retryable && call.idempotent && attempt < attempts;
        if (!retry) throw error;
        await delay(backoff(attempt));
      }
    }
  }

  const get = <S extends z.ZodType>(path: string, schema: S) =>
    request({ method: 'GET', path, schema, idempotent: true });

  return {
    priority: options.priority,
    health: () => get('/health', HealthResponseSchema),
    account: () => get('/account', AccountResponseSchema),
    positions: async () => (await get('/positions', PositionsResponseSchema)).positions.map(brokerPositionOf),
    chain: (symbol) => get(`/chain?${query({ symbol })}`, ChainResponseSchema),
    tradingHours: (symbol) => get(`/trading-hours?${query({ symbol })}`, TradingHoursResponseSchema),
    quotes: async (contracts) =>
      (
        await request({
          method: 'POST',
          path: '/quotes',
          body: { contracts },
          schema: QuotesResponseSchema,
          idempotent: true,
        })
      ).quotes,
    history: (q) =>
      get(
        `/history?${query({ symbol: q.symbol, what: q.what, days: String(q.days) })}`,
        HistoryResponseSchema,
      ),
    whatIf: (order) =>
      request({
        method: 'POST',
        path: '/orders/what-if',
        body: order,
        schema: WhatIfResponseSchema,
        idempotent: true,
      }),
    // Safe to retry: the bridge deduplicates by orderRef (see the header comment).
    placeOrder: async (order) =>
      brokerOrderOf(
        await request({
          method: 'POST',
          path: '/orders',
          body: order,
          schema: PlaceOrderResponseSchema,
          idempotent: true,
        }),
      ),
    ordersByRef: async (orderRef) =>
      (await get(`/orders?${query({ orderRef })}`, OrdersResponseSchema)).orders.map(brokerOrderOf),
    openOrders: async () => (await get('/orders/open', OrdersResponseSchema)).orders.map(brokerOrderOf),
    modifyOrder: async (orderId, limitPrice) =>
      brokerOrderOf(
        await request({
          method: 'PUT',
          path: `/orders/${orderId}`,
          body: { limitPrice },
          schema: ModifyOrderResponseSchema,
          idempotent: false,
        }),
      ),
    cancelOrder: async (orderId) =>
      brokerOrderOf(
        await request({
          method: 'DELETE',
          path: `/orders/${orderId}`,
          schema: CancelOrderResponseSchema,
          idempotent: false,
        }),
      ),
    executions: async (sinceMs) =>
      (
        await get(
          sinceMs === undefined
            ? '/executions'
            : `/executions?${query({ since: String(Math.floor(sinceMs)) })}`,
          ExecutionsResponseSchema,
        )
      ).executions.map(brokerExecutionOf),
  };
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** Errors name the route, never the query (orderRefs are fine, but keep messages short and uniform). */
function pathOnly(path: string): string {
  return path.split('?')[0] ?? path;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
