// Lambda entry point: execute-strategies (10:00 ET, priority 26). See execute-strategies/run.ts.
// Manual payload: { "dryRun": true, "minScore": 75, "maxOrders": 2 }.
import { defineJob } from './shared/define-job';
import { countField, dryRunField, minScoreField, payloadSchema } from './shared/input';
import { executeStrategies, idempotentRun } from './execute-strategies/run';

export const inputSchema = payloadSchema({
  dryRun: dryRunField,
  minScore: minScoreField,
  maxOrders: countField('most orders this run (default risk.maxOpenPositions)', 20),
});

export const handler = defineJob({
  name: 'execute-strategies',
  inputSchema,
  run: executeStrategies,
  around: idempotentRun,
});
