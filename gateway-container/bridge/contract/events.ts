// The bridge contract: the events the bridge publishes to EventBridge.

import { z } from 'zod';
import { ContractViewSchema } from './common';

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
