// Lambda entry point: monitor (every 5 min in market hours, priority 32). See monitor/run.ts.
import { defineJob } from './shared/define-job';
import { dryRunField, payloadSchema } from './shared/input';
import { runMonitor } from './monitor/run';

export const inputSchema = payloadSchema({ dryRun: dryRunField });

export const handler = defineJob({
  name: 'monitor',
  inputSchema,
  run: runMonitor,
});
