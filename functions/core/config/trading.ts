// What to trade: the trading switches, the universe of underlyings and strategies, and the entry filters.
import { z } from 'zod';
import { DEFAULT_STRATEGIES, STRATEGY_KINDS } from '../strategies/registry';
import { isoDate, pct, symbol } from './fields';

export const tradingSchema = z
  .object({
    mode: z
      .enum(['paper', 'live'])
      .default('paper')
      .describe('paper or live; live is refused unless the IB account is live too'),
    killSwitch: z.boolean().default(false).describe('true stops every new order (entries and exits)'),
    closeOnly: z.boolean().default(false).describe('true allows exit orders only'),
    dryRun: z
      .boolean()
      .default(false)
      .describe('default for runs that do not say: do everything except transmit'),
  })
  .strict();

export const universeSchema = z
  .object({
    underlyings: z
      .array(symbol)
      .min(1)
      .max(20)
      .default(['SPY', 'QQQ', 'IWM'])
      .describe('underlyings to trade'),
    strategies: z
      .array(z.enum(STRATEGY_KINDS))
      .min(1)
      .default(DEFAULT_STRATEGIES)
      .describe('strategies the analysis builds'),
    widths: z
      .array(z.number().positive().max(100))
      .min(1)
      .default([1, 2, 5, 10])
      .describe('allowed wing widths in points (used where listed)'),
    shortDeltaMin: z.number().gt(0).lt(1).default(0.1).describe('smallest |delta| of a short strike'),
    shortDeltaMax: z.number().gt(0).lt(1).default(0.35).describe('largest |delta| of a short strike'),
    minDte: z.number().int().min(0).max(365).default(21).describe('shortest days to expiry at entry'),
    maxDte: z.number().int().min(1).max(365).default(70).describe('longest days to expiry at entry'),
    riskFreeRate: z
      .number()
      .min(0)
      .max(0.2)
      .default(0.04)
      .describe('continuously compounded rate for pricing and POP'),
  })
  .strict()
  .refine((u) => u.shortDeltaMin < u.shortDeltaMax, {
    message: 'shortDeltaMin must be below shortDeltaMax',
    path: ['shortDeltaMin'],
  })
  .refine((u) => u.minDte <= u.maxDte, { message: 'minDte must not exceed maxDte', path: ['minDte'] });

export const filtersSchema = z
  .object({
    maxQuoteAgeSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(60)
      .describe('quotes older than this are stale at analysis'),
    minCreditToWidth: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('reject when credit / width is below this'),
    minCredit: z
      .number()
      .min(0)
      .max(100)
      .default(0.3)
      .describe('smallest credit per spread, dollars per share'),
    maxLegSpreadPct: pct('reject when any leg bid-ask width exceeds this % of its mid', 50, 1000),
    maxVolatility: z
      .number()
      .positive()
      .max(200)
      .default(35)
      .describe('reject when VIX or underlying IV (vol points) exceeds this'),
    blackoutDates: z.array(isoDate).default([]).describe('market-wide event blackout dates (FOMC, CPI, ...)'),
  })
  .strict();
