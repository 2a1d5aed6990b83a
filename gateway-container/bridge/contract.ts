// The bridge's HTTP contract: every request and response body of the bridge API as zod schemas, plus
// the request signature. Both the bridge (server) and the Lambda jobs' bridge client import this one
// file, so the two sides cannot drift. It must stay free of fastify, @stoqey/ib and node modules other
// than node:crypto, because it is bundled into the Lambda functions.
//
// The schemas live in contract/ by area; this file is the one entry both sides import.

import { AccountResponseSchema, HealthResponseSchema, PositionsResponseSchema } from './contract/account';
import {
  ChainQuerySchema,
  ChainResponseSchema,
  HistoryQuerySchema,
  HistoryResponseSchema,
  QuotesRequestSchema,
  QuotesResponseSchema,
  TradingHoursQuerySchema,
  TradingHoursResponseSchema,
} from './contract/market-data';
import {
  CancelOrderResponseSchema,
  ExecutionsQuerySchema,
  ExecutionsResponseSchema,
  ModifyOrderRequestSchema,
  ModifyOrderResponseSchema,
  OrdersQuerySchema,
  OrdersResponseSchema,
  PlaceOrderRequestSchema,
  PlaceOrderResponseSchema,
  WhatIfRequestSchema,
  WhatIfResponseSchema,
} from './contract/orders';

export * from './contract/signing';
export * from './contract/common';
export * from './contract/account';
export * from './contract/market-data';
export * from './contract/orders';
export * from './contract/events';

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
