// Lambda entry point: load-historical-data (08:00 ET, priority 10). See load-historical-data/run.ts.
// Manual payload: { "symbols": ["SPY"], "days": 400 }.
import { z } from 'zod';
import { defineJob } from './shared/define-job';
import { payloadSchema, tickerList } from './shared/input';
import { runLoadHistoricalData } from './load-historical-data/run';

export const inputSchema = payloadSchema({
  symbols: tickerList.describe('underlyings to load instead of the config universe'),
  days: z
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(30, { error: 'expected a whole number ≥ 30' })
    .max(2000, { error: 'expected a whole number ≤ 2000' })
    .optional()
    .describe('calendar days of history (default 400: a year of trading days plus the HV window)'),
});

export const handler = defineJob({
  name: 'load-historical-data',
  inputSchema,
  run: runLoadHistoricalData,
});
