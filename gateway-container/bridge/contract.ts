// The bridge's HTTP contract: every request and response body of the bridge API as zod schemas, plus
// the request signature. Both the bridge (server) and the Lambda jobs' bridge client import this one
// file, so the two sides cannot drift. It must stay free of fastify, @stoqey/ib and node modules other
// than node:crypto, because it is bundled into the Lambda functions.

import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------
// Headers and signing
// ---------------------------------------------------------------------------------------------------

export const TIMESTAMP_HEADER = 'x-bridge-timestamp';
export const SIGNATURE_HEADER = 'x-bridge-signature';
export const PRIORITY_HEADER = 'x-priority';
/** Priority used when a caller sends no `x-priority` header (lower number = more urgent). */
export const DEFAULT_PRIORITY = 50;
/** A signature older (or further in the future) than this is refused. */
export const SIGNATURE_WINDOW_MS = 30_000;

/**
 * The container health check's script (`node -e`): healthy while GET /health answers 2xx within the check's
 * timeout. /health answers 503 only when the bridge is wedged, and a blocked event loop answers nothing;
 * whether IB is logged in does not enter (see server.ts /health). One copy: the task definition runs it.
 */
export function containerHealthProbe(port: number): string {
  return `fetch('http://127.0.0.1:${port}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
}

export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The exact bytes that are signed: `timestamp \n METHOD \n pathWithQuery \n priority \n hex(sha256(body))`,
 * with `priority` the `x-priority` header as sent (empty when absent), so a priority cannot be changed in
 * transit either.
 */
export function signaturePayload(input: {
  timestamp: number | string;
  method: string;
  pathWithQuery: string;
  priority?: number | string;
  body?: string | Uint8Array;
}): string {
  const priority = input.priority === undefined ? '' : String(input.priority);
  return `${input.timestamp}\n${input.method.toUpperCase()}\n${input.pathWithQuery}\n${priority}\n${sha256Hex(input.body ?? '')}`;
}

/** Hex HMAC-SHA256 of the signature payload with the shared secret. */
export function signRequest(input: {
  secret: string;
  timestamp: number | string;
  method: string;
  pathWithQuery: string;
  priority?: number | string;
  body?: string | Uint8Array;
}): string {
  return createHmac('sha256', input.secret).update(signaturePayload(input)).digest('hex');
}

/**
 * The routes that change orders (`POST`, `PUT`, `DELETE` under `/orders`, what-if included): signed with
 * the order secret, which only execute-strategies and monitor hold. Every other route takes the read secret.
 */
export function isOrderRoute(method: string, pathWithQuery: string): boolean {
  const path = pathWithQuery.split('?')[0] ?? '';
  return ['POST', 'PUT', 'DELETE'].includes(method.toUpperCase()) && /^\/orders(\/|$)/.test(path);
}

/** Headers a client sends with a signed request (the body must be sent byte for byte as signed). */
export function signedHeaders(input: {
  secret: string;
  timestamp: number;
  method: string;
  pathWithQuery: string;
  body?: string;
  priority?: number | string;
}): Record<string, string> {
  const headers: Record<string, string> = {
    [TIMESTAMP_HEADER]: String(input.timestamp),
    [SIGNATURE_HEADER]: signRequest(input),
  };
  if (input.priority !== undefined) headers[PRIORITY_HEADER] = String(input.priority);
  if (input.body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

// ---------------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------------

/** Calendar date `YYYY-MM-DD` (expiries are IB's `lastTradeDateOrContractMonth`, reformatted). */
export const IsoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
export const SecTypeSchema = z.enum(['STK', 'OPT', 'IND', 'FUT']);
export const RightSchema = z.enum(['C', 'P']);
export const ActionSchema = z.enum(['BUY', 'SELL']);
/** `x-priority`: digits only (no sign, exponent, hex or spaces), 0–1000. */
export const PrioritySchema = z
  .string()
  .regex(/^\d{1,4}$/, 'expected digits only (0–1000)')
  .transform(Number)
  .pipe(z.number().int().min(0).max(1000));

export const ErrorBodySchema = z.object({
  error: z.object({
    /** IB's error code (number) or the bridge's own code (string, e.g. `UNAUTHORIZED`, `INVALID_INPUT`, `TIMEOUT`). */
    code: z.union([z.number(), z.string()]),
    message: z.string(),
    /** True when the same request may succeed later (connectivity, pacing, timeouts). */
    retryable: z.boolean(),
    /** For invalid input: the field that is wrong, as a dotted path. */
    field: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** A contract as the bridge reports it. */
export const ContractViewSchema = z.object({
  conId: z.number().int(),
  symbol: z.string(),
  secType: z.string(),
  expiry: IsoDateSchema.optional(),
  strike: z.number().optional(),
  right: RightSchema.optional(),
  multiplier: z.number().optional(),
  exchange: z.string().optional(),
  currency: z.string().optional(),
  localSymbol: z.string().optional(),
  tradingClass: z.string().optional(),
});
export type ContractView = z.infer<typeof ContractViewSchema>;

// ---------------------------------------------------------------------------------------------------
// GET /health
// ---------------------------------------------------------------------------------------------------

export const ConnectionStateSchema = z.enum(['disconnected', 'connecting', 'connected', 'ready', 'degraded']);
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;

export const HealthResponseSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  ibConnected: z.boolean(),
  /** State machine: disconnected → connecting → connected (waiting for nextValidId) → ready; degraded. */
  state: ConnectionStateSchema,
  serverVersion: z.number().int().optional(),
  /** Epoch ms since the bridge has been in `state`. */
  since: z.number(),
  /** Data farm name → status, from IB's 2104/2106/2158 (ok), 2103/2105/2157 (broken), 2107/2108 (inactive). */
  farms: z.record(z.string(), z.enum(['ok', 'broken', 'inactive'])),
  tradingMode: z.enum(['paper', 'live', 'unknown']),
  /** Why the bridge is not ready (e.g. `1100 connectivity lost`, `326 client id in use`). */
  reason: z.string().optional(),
  reconnectAttempts: z.number().int(),
  /** True inside IB's nightly reset / gateway restart window, when outages are expected. */
  inRestartWindow: z.boolean(),
  /**
   * Whether the bridge process can work: false only when its IB connection machine is wedged (stopped,
   * or nothing scheduled to reconnect). The HTTP status follows it (503 when false), not IB's login.
   * Optional so an older bridge's answer still parses.
   */
  bridgeAlive: z.boolean().optional(),
  queueLength: z.number().int(),
  linesInUse: z.number().int(),
  /**
   * Quotes answered with delayed data since the bridge started (IB's 10167/10168 warnings or delayed
   * tick types): above 0 means the account lacks a real-time subscription for something it quotes.
   * Optional so an older bridge's answer still parses.
   */
  delayedQuotes: z.number().int().optional(),
  /**
   * The bridge's order guard: whether it places orders at all (no when the account IB reports is not of
   * the stack's TRADING_MODE, with the reason), its limits and the contracts opened today. Optional so an
   * older bridge's answer still parses.
   */
  orders: z
    .object({
      allowed: z.boolean(),
      expectedTradingMode: z.enum(['paper', 'live']),
      reason: z.string().optional(),
      contractsOpenedToday: z.number().int(),
      maxContractsPerOrder: z.number().int(),
      maxContractsPerDay: z.number().int(),
      priceBandWidthFraction: z.number(),
    })
    .optional(),
});
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

// ---------------------------------------------------------------------------------------------------
// GET /account
// ---------------------------------------------------------------------------------------------------

export const AccountResponseSchema = z.object({
  accountId: z.string(),
  tradingMode: z.enum(['paper', 'live']),
  currency: z.string(),
  netLiquidation: z.number(),
  buyingPower: z.number(),
  availableFunds: z.number(),
  excessLiquidity: z.number(),
  totalCashValue: z.number().optional(),
  initMarginReq: z.number().optional(),
  maintMarginReq: z.number().optional(),
});
export type AccountResponse = z.infer<typeof AccountResponseSchema>;

// ---------------------------------------------------------------------------------------------------
// GET /positions
// ---------------------------------------------------------------------------------------------------

export const PositionViewSchema = z.object({
  account: z.string(),
  contract: ContractViewSchema,
  /** Signed: negative for short positions. */
  quantity: z.number(),
  /** IB's average cost: per contract including the multiplier (and commissions) for options. */
  averageCost: z.number(),
});
export type PositionView = z.infer<typeof PositionViewSchema>;
export const PositionsResponseSchema = z.object({ positions: z.array(PositionViewSchema) });
export type PositionsResponse = z.infer<typeof PositionsResponseSchema>;

// ---------------------------------------------------------------------------------------------------
// GET /chain?symbol=SPY
// ---------------------------------------------------------------------------------------------------

export const SymbolSchema = z
  .string()
  .min(1)
  .max(12)
  .regex(/^[A-Z0-9.]+$/, 'expected an upper-case ticker symbol');

export const ChainQuerySchema = z.object({ symbol: SymbolSchema });
export type ChainQuery = z.infer<typeof ChainQuerySchema>;

export const ChainResponseSchema = z.object({
  symbol: z.string(),
  underlyingConId: z.number().int(),
  /** Mid of bid/ask, else last, else previous close; absent when IB had no price at all. */
  underlyingPrice: z.number().optional(),
  /** True when the underlying price did not complete in time (or came from last/close). */
  underlyingPriceStale: z.boolean(),
  exchange: z.string(),
  tradingClass: z.string(),
  multiplier: z.number(),
  /** Ascending. */
  expirations: z.array(IsoDateSchema),
  /** Ascending. */
  strikes: z.array(z.number()),
});
export type ChainResponse = z.infer<typeof ChainResponseSchema>;

export const TradingHoursQuerySchema = z.object({ symbol: SymbolSchema });
export type TradingHoursQuery = z.infer<typeof TradingHoursQuerySchema>;

/** IB's own session strings for the underlying stock, as its contract details give them (not parsed). */
export const TradingHoursResponseSchema = z.object({
  symbol: z.string(),
  conId: z.number().int(),
  /** IB's zone name for the strings below, e.g. `US/Eastern`. */
  timeZoneId: z.string(),
  /** `20261123:0400-20261123:2000;20261126:CLOSED;…` (extended hours). */
  tradingHours: z.string(),
  /** The regular session in the same format: what the calendar cross-check compares with. */
  liquidHours: z.string(),
});
export type TradingHoursResponse = z.infer<typeof TradingHoursResponseSchema>;

// ---------------------------------------------------------------------------------------------------
// POST /quotes
// ---------------------------------------------------------------------------------------------------

/** What to quote: a conId (with its secType) or a description the bridge qualifies (cached for the day). */
export const QuoteContractSchema = z
  .object({
    conId: z.number().int().positive().optional(),
    secType: SecTypeSchema,
    symbol: SymbolSchema.optional(),
    expiry: IsoDateSchema.optional(),
    strike: z.number().positive().optional(),
    right: RightSchema.optional(),
    exchange: z.string().min(1).max(20).optional(),
    currency: z.string().length(3).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.conId !== undefined) return;
    if (!c.symbol)
      ctx.addIssue({ code: 'custom', path: ['symbol'], message: 'symbol is required without conId' });
    if (c.secType === 'OPT') {
      for (const field of ['expiry', 'strike', 'right'] as const) {
        if (c[field] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} is required for an option without conId`,
          });
      }
    }
    if (c.secType === 'FUT' && c.expiry === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiry'],
        message: 'expiry is required for a future without conId',
      });
    }
  });
export type QuoteContract = z.infer<typeof QuoteContractSchema>;

export const MAX_QUOTES_PER_REQUEST = 1000;
export const QuotesRequestSchema = z.object({
  contracts: z.array(QuoteContractSchema).min(1).max(MAX_QUOTES_PER_REQUEST),
});
export type QuotesRequest = z.infer<typeof QuotesRequestSchema>;

/** A quote. Every optional figure is absent when IB had no value; IB's sentinels never appear here. */
export const QuoteSchema = z.object({
  contract: ContractViewSchema.partial().extend({ secType: z.string() }),
  bid: z.number().optional(),
  ask: z.number().optional(),
  last: z.number().optional(),
  close: z.number().optional(),
  bidSize: z.number().optional(),
  askSize: z.number().optional(),
  volume: z.number().optional(),
  openInterest: z.number().optional(),
  /** Implied volatility as a decimal (0.2 = 20%). */
  iv: z.number().optional(),
  delta: z.number().optional(),
  gamma: z.number().optional(),
  theta: z.number().optional(),
  vega: z.number().optional(),
  underlyingPrice: z.number().optional(),
  /** Epoch ms when the bridge finished collecting this quote. */
  timestamp: z.number(),
  /** True when the quote did not complete before the per-contract timeout: the data is partial. */
  stale: z.boolean(),
  /**
   * True when IB sent delayed ticks (types 66–76, 80–83: no real-time subscription, or a delayed market
   * data type): about 15 minutes old, so the jobs never price or decide on it. Absent means real time.
   */
  delayed: z.boolean().optional(),
  /** Set when IB refused this contract (e.g. 200 no security definition, 354 not subscribed). */
  error: ErrorBodySchema.shape.error.optional(),
});
export type Quote = z.infer<typeof QuoteSchema>;
export const QuotesResponseSchema = z.object({ quotes: z.array(QuoteSchema) });
export type QuotesResponse = z.infer<typeof QuotesResponseSchema>;

// ---------------------------------------------------------------------------------------------------
// GET /history?symbol=SPY&what=TRADES&days=N
// ---------------------------------------------------------------------------------------------------

export const HistoryQuerySchema = z.object({
  symbol: SymbolSchema,
  what: z.enum(['TRADES', 'OPTION_IMPLIED_VOLATILITY']),
  days: z.coerce.number().int().min(1).max(2000),
});
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

export const BarSchema = z.object({
  date: IsoDateSchema,
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number().optional(),
  wap: z.number().optional(),
  barCount: z.number().optional(),
});
export type Bar = z.infer<typeof BarSchema>;
export const HistoryResponseSchema = z.object({
  symbol: z.string(),
  what: z.enum(['TRADES', 'OPTION_IMPLIED_VOLATILITY']),
  /** Ascending by date, at most `days` bars. */
  bars: z.array(BarSchema),
});
export type HistoryResponse = z.infer<typeof HistoryResponseSchema>;

// ---------------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------------

export const OrderRefSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:#/-]+$/, 'orderRef may hold letters, digits and . _ : # / -');

export const OrderLegSchema = z.object({
  conId: z.number().int().positive(),
  action: ActionSchema,
  ratio: z.number().int().min(1).max(10),
});
export type OrderLeg = z.infer<typeof OrderLegSchema>;

/**
 * A limit order for one contract (one leg) or a combo (secType BAG). Only LMT exists here: combos are
 * never sent as market orders. The limit price follows IB's combo convention: the signed sum of the
 * legs' prices for a BUY of the combo (BUY legs +, SELL legs −), so a credit received on BUY is negative.
 */
const OrderBodyObject = z.object({
  legs: z.array(OrderLegSchema).min(1).max(4),
  action: ActionSchema,
  quantity: z.number().int().min(1).max(1000),
  orderType: z.literal('LMT').default('LMT'),
  limitPrice: z.number().finite(),
  tif: z.enum(['DAY', 'GTC']).default('DAY'),
});

function noRepeatedLeg(o: { legs: OrderLeg[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<number>();
  o.legs.forEach((leg, i) => {
    if (seen.has(leg.conId))
      ctx.addIssue({ code: 'custom', path: ['legs', i, 'conId'], message: 'a leg appears twice' });
    seen.add(leg.conId);
  });
}

export const WhatIfRequestSchema = OrderBodyObject.superRefine(noRepeatedLeg);
export type WhatIfRequest = z.infer<typeof WhatIfRequestSchema>;

export const PlaceOrderRequestSchema = OrderBodyObject.extend({ orderRef: OrderRefSchema }).superRefine(
  noRepeatedLeg,
);
export type PlaceOrderRequest = z.infer<typeof PlaceOrderRequestSchema>;

export const WhatIfResponseSchema = z.object({
  initMarginBefore: z.number().optional(),
  initMarginChange: z.number().optional(),
  initMarginAfter: z.number().optional(),
  maintMarginBefore: z.number().optional(),
  maintMarginChange: z.number().optional(),
  maintMarginAfter: z.number().optional(),
  equityWithLoanBefore: z.number().optional(),
  equityWithLoanChange: z.number().optional(),
  equityWithLoanAfter: z.number().optional(),
  commission: z.number().optional(),
  minCommission: z.number().optional(),
  maxCommission: z.number().optional(),
  commissionCurrency: z.string().optional(),
  warningText: z.string().optional(),
});
export type WhatIfResponse = z.infer<typeof WhatIfResponseSchema>;

export const ExecutionViewSchema = z.object({
  execId: z.string(),
  orderId: z.number().int(),
  permId: z.number().int().optional(),
  orderRef: z.string().optional(),
  account: z.string().optional(),
  /** Epoch ms. */
  time: z.number(),
  contract: ContractViewSchema,
  side: z.enum(['BOT', 'SLD']),
  shares: z.number(),
  price: z.number(),
  cumQty: z.number().optional(),
  avgPrice: z.number().optional(),
  commission: z.number().optional(),
  commissionCurrency: z.string().optional(),
  realizedPnl: z.number().optional(),
});
export type ExecutionView = z.infer<typeof ExecutionViewSchema>;

export const OrderStatusSchema = z.string();

export const OrderViewSchema = z.object({
  orderId: z.number().int(),
  permId: z.number().int().optional(),
  orderRef: z.string().optional(),
  status: OrderStatusSchema,
  action: ActionSchema.optional(),
  quantity: z.number().optional(),
  limitPrice: z.number().optional(),
  filled: z.number(),
  remaining: z.number(),
  averagePrice: z.number().optional(),
  lastFillPrice: z.number().optional(),
  symbol: z.string().optional(),
  legs: z.array(OrderLegSchema).optional(),
  fills: z.array(ExecutionViewSchema),
});
export type OrderView = z.infer<typeof OrderViewSchema>;

export const PlaceOrderResponseSchema = OrderViewSchema.extend({
  /** True when an order or execution with this orderRef already existed today: nothing was sent. */
  duplicate: z.boolean(),
});
export type PlaceOrderResponse = z.infer<typeof PlaceOrderResponseSchema>;

export const OrdersQuerySchema = z.object({ orderRef: OrderRefSchema });
export type OrdersQuery = z.infer<typeof OrdersQuerySchema>;
export const OrdersResponseSchema = z.object({ orders: z.array(OrderViewSchema) });
export type OrdersResponse = z.infer<typeof OrdersResponseSchema>;

export const OrderIdParamsSchema = z.object({ id: z.coerce.number().int().min(0) });
export const ModifyOrderRequestSchema = z.object({ limitPrice: z.number().finite() });
export type ModifyOrderRequest = z.infer<typeof ModifyOrderRequestSchema>;
export const ModifyOrderResponseSchema = OrderViewSchema;
export type ModifyOrderResponse = z.infer<typeof ModifyOrderResponseSchema>;
export const CancelOrderResponseSchema = OrderViewSchema;
export type CancelOrderResponse = z.infer<typeof CancelOrderResponseSchema>;

// ---------------------------------------------------------------------------------------------------
// GET /executions?since=…
// ---------------------------------------------------------------------------------------------------

/** `since`: epoch ms or an ISO-8601 instant; absent means everything IB still reports (today). */
export const ExecutionsQuerySchema = z.object({
  since: z
    .union([
      z.string().regex(/^\d+$/).transform(Number),
      z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
    ])
    .optional(),
});
export type ExecutionsQuery = z.infer<typeof ExecutionsQuerySchema>;
export const ExecutionsResponseSchema = z.object({ executions: z.array(ExecutionViewSchema) });
export type ExecutionsResponse = z.infer<typeof ExecutionsResponseSchema>;

// ---------------------------------------------------------------------------------------------------
// Events the bridge publishes (EventBridge detail types)
// ---------------------------------------------------------------------------------------------------

export const EVENT_SOURCE = 'ib-bridge';

export const OrderFilledDetailSchema = z.object({
  orderId: z.number().int(),
  permId: z.number().int().optional(),
  orderRef: z.string().optional(),
  status: z.string(),
  filled: z.number(),
  remaining: z.number(),
  averagePrice: z.number().optional(),
  lastFillPrice: z.number().optional(),
  /** Epoch ms when the bridge saw the fill. */
  time: z.number(),
});
export type OrderFilledDetail = z.infer<typeof OrderFilledDetailSchema>;

export const PositionChangedDetailSchema = z.object({
  account: z.string(),
  contract: ContractViewSchema,
  previousQuantity: z.number(),
  quantity: z.number(),
  averageCost: z.number(),
  time: z.number(),
});
export type PositionChangedDetail = z.infer<typeof PositionChangedDetailSchema>;

export type BridgeEvent =
  | { type: 'OrderFilled'; detail: OrderFilledDetail }
  | { type: 'PositionChanged'; detail: PositionChangedDetail };

// ---------------------------------------------------------------------------------------------------
// The endpoint table (for clients and docs)
// ---------------------------------------------------------------------------------------------------

export const ENDPOINTS = {
  health: { method: 'GET', path: '/health', response: HealthResponseSchema },
  account: { method: 'GET', path: '/account', response: AccountResponseSchema },
  positions: { method: 'GET', path: '/positions', response: PositionsResponseSchema },
  chain: { method: 'GET', path: '/chain', query: ChainQuerySchema, response: ChainResponseSchema },
  tradingHours: {
    method: 'GET',
    path: '/trading-hours',
    query: TradingHoursQuerySchema,
    response: TradingHoursResponseSchema,
  },
  quotes: { method: 'POST', path: '/quotes', body: QuotesRequestSchema, response: QuotesResponseSchema },
  history: { method: 'GET', path: '/history', query: HistoryQuerySchema, response: HistoryResponseSchema },
  whatIf: {
    method: 'POST',
    path: '/orders/what-if',
    body: WhatIfRequestSchema,
    response: WhatIfResponseSchema,
  },
  placeOrder: {
    method: 'POST',
    path: '/orders',
    body: PlaceOrderRequestSchema,
    response: PlaceOrderResponseSchema,
  },
  ordersByRef: { method: 'GET', path: '/orders', query: OrdersQuerySchema, response: OrdersResponseSchema },
  openOrders: { method: 'GET', path: '/orders/open', response: OrdersResponseSchema },
  modifyOrder: {
    method: 'PUT',
    path: '/orders/:id',
    body: ModifyOrderRequestSchema,
    response: ModifyOrderResponseSchema,
  },
  cancelOrder: { method: 'DELETE', path: '/orders/:id', response: CancelOrderResponseSchema },
  executions: {
    method: 'GET',
    path: '/executions',
    query: ExecutionsQuerySchema,
    response: ExecutionsResponseSchema,
  },
} as const;
