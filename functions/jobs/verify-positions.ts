// Lambda entry point: verify-positions (on demand). See verify-positions/run.ts.
// Manual payload: {} to report, { "repair": true } to repair what can be repaired safely.
import { z } from 'zod';
import { defineJob } from './shared/define-job';
import { payloadSchema } from './shared/input';
import { runVerifyPositions } from './verify-positions/run';

export const inputSchema = payloadSchema({
  repair: z
    .boolean({ error: 'expected true or false' })
    .optional()
    .describe('true closes records gone at IB and records unknown IB legs as EXTERNAL positions'),
});

export const handler = defineJob({
  name: 'verify-positions',
  inputSchema,
  run: runVerifyPositions,
});
