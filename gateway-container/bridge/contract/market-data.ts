// The bridge contract: market data (option chain, trading hours, quotes, price history).

import { z } from 'zod';
import { ContractViewSchema, ErrorBodySchema, IsoDateSchema, RightSchema, SecTypeSchema } from './common';

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
