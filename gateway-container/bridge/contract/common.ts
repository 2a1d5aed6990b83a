// The bridge contract: pieces every route's schemas share (dates, IB enums, the error body, a contract).

import { z } from 'zod';

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
