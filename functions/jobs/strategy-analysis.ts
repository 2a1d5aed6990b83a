// Lambda entry point: strategy-analysis (09:45 ET, priority 25). See strategy-analysis/run.ts.
import { z } from 'zod';
import { defineJob } from './shared/define-job';
import { countField, payloadSchema } from './shared/input';
import { runStrategyAnalysis } from './strategy-analysis/run';

export const inputSchema = payloadSchema({
  symbols: z
    .array(
      z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, { error: 'expected an upper-case ticker such as SPY' }),
      {
        error: 'expected a list of tickers',
      },
    )
    .min(1, { error: 'expected at least one ticker' })
    .max(20, { error: 'expected at most 20 tickers' })
    .optional(),
  maxQuotes: countField('most option quotes per underlying (default 600)', 1000),
});

export const handler = defineJob({
  name: 'strategy-analysis',
  inputSchema,
  run: runStrategyAnalysis,
});
