// How candidates are scored: the shape of each factor's marks.
import { z } from 'zod';
import { pct } from './fields';

/** Score shapes: each factor earns `points` at or beyond `full`, zero at or beyond `zero`, linear between. */
export const scoringSchema = z
  .object({
    minScore: z.number().min(0).max(100).default(70).describe('candidates below this score are not executed'),
    ivRankFull: z.number().min(0).max(100).default(50).describe('IV rank that earns full marks'),
    ivRankZero: z.number().min(0).max(100).default(10).describe('IV rank that earns zero'),
    creditToWidthFull: z
      .number()
      .min(0)
      .max(1)
      .default(1 / 3)
      .describe('credit / width that earns full marks'),
    creditToWidthZero: z.number().min(0).max(1).default(0.1).describe('credit / width that earns zero'),
    deltaFullMin: z
      .number()
      .min(0)
      .max(1)
      .default(0.16)
      .describe('short |delta| band with full marks: low end'),
    deltaFullMax: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe('short |delta| band with full marks: high end'),
    deltaZeroLow: z
      .number()
      .min(0)
      .max(1)
      .default(0.08)
      .describe('short |delta| at or below which delta scores zero'),
    deltaZeroHigh: z
      .number()
      .min(0)
      .max(1)
      .default(0.4)
      .describe('short |delta| at or above which delta scores zero'),
    liquiditySpreadFullPct: pct('leg spread (% of mid) with full liquidity marks', 10, 1000),
    liquiditySpreadZeroPct: pct('leg spread (% of mid) with zero liquidity marks', 40, 1000),
    liquidityOiFull: z
      .number()
      .int()
      .min(0)
      .default(500)
      .describe('open interest per leg for full liquidity marks'),
    liquidityOiZero: z
      .number()
      .int()
      .min(0)
      .default(50)
      .describe('open interest below which liquidity scores zero'),
    dteFullMin: z.number().int().min(0).default(40).describe('DTE band with full marks: low end'),
    dteFullMax: z.number().int().min(0).default(50).describe('DTE band with full marks: high end'),
    dteZeroLow: z.number().int().min(0).default(21).describe('DTE at or below which DTE fit scores zero'),
    dteZeroHigh: z.number().int().min(0).default(70).describe('DTE at or above which DTE fit scores zero'),
    ivHvFull: z.number().positive().default(1.2).describe('IV / HV20 ratio with full marks'),
    ivHvZero: z.number().positive().default(0.8).describe('IV / HV20 ratio with zero'),
    trendUpPercentile: z
      .number()
      .min(0)
      .max(100)
      .default(60)
      .describe('20-day return percentile above which the trend is up'),
    trendDownPercentile: z
      .number()
      .min(0)
      .max(100)
      .default(40)
      .describe('20-day return percentile below which the trend is down'),
  })
  .strict()
  .refine((s) => s.ivRankZero < s.ivRankFull, {
    message: 'ivRankZero must be below ivRankFull',
    path: ['ivRankZero'],
  })
  .refine((s) => s.creditToWidthZero < s.creditToWidthFull, {
    message: 'creditToWidthZero must be below creditToWidthFull',
    path: ['creditToWidthZero'],
  })
  .refine(
    (s) =>
      s.deltaZeroLow < s.deltaFullMin && s.deltaFullMin <= s.deltaFullMax && s.deltaFullMax < s.deltaZeroHigh,
    {
      message: 'delta bands must satisfy deltaZeroLow < deltaFullMin <= deltaFullMax < deltaZeroHigh',
      path: ['deltaFullMin'],
    },
  )
  .refine(
    (s) => s.liquiditySpreadFullPct < s.liquiditySpreadZeroPct && s.liquidityOiZero < s.liquidityOiFull,
    {
      message: 'liquidity bounds must have full marks stricter than zero marks',
      path: ['liquiditySpreadFullPct'],
    },
  )
  .refine(
    (s) => s.dteZeroLow < s.dteFullMin && s.dteFullMin <= s.dteFullMax && s.dteFullMax < s.dteZeroHigh,
    {
      message: 'DTE bands must satisfy dteZeroLow < dteFullMin <= dteFullMax < dteZeroHigh',
      path: ['dteFullMin'],
    },
  )
  .refine((s) => s.ivHvZero < s.ivHvFull, { message: 'ivHvZero must be below ivHvFull', path: ['ivHvZero'] })
  .refine((s) => s.trendDownPercentile < s.trendUpPercentile, {
    message: 'trendDownPercentile must be below trendUpPercentile',
    path: ['trendDownPercentile'],
  });
