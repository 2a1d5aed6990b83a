// Lambda entry point: collect-futures-data (every 5 min in market hours, priority 31).
// See collect-futures-data/run.ts. Manual payload: { "symbols": ["ES"] }.
import { z } from 'zod';
import { defineJob } from './shared/define-job';
import { payloadSchema } from './shared/input';
import { runCollectFuturesData } from './collect-futures-data/run';

export const inputSchema = payloadSchema({
  symbols: z
    .array(z.string().regex(/^[A-Z]{1,4}$/, { error: 'expected a future root such as ES' }), {
      error: 'expected a list of future roots',
    })
    .min(1, { error: 'expected at least one future root' })
    .max(6, { error: 'expected at most 6 future roots' })
    .optional()
    .describe('future roots to quote instead of ES and NQ'),
});

export const handler = defineJob({
  name: 'collect-futures-data',
  inputSchema,
  run: runCollectFuturesData,
});
