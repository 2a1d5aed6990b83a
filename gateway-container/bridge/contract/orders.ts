// The bridge contract: orders (what-if, place, modify, cancel, look up) and executions.

import { z } from 'zod';
import { ActionSchema, ContractViewSchema } from './common';

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
