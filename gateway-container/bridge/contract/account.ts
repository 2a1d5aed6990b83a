// The bridge contract: the connection's health, the account and its positions.

import { z } from 'zod';
import { ContractViewSchema } from './common';

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
