// Lambda entry point: validate-ib-connection (08:45 ET, priority 20). See validate-ib-connection/run.ts.
import { defineJob } from './shared/define-job';
import { payloadSchema } from './shared/input';
import { runValidateIbConnection } from './validate-ib-connection/run';

export const inputSchema = payloadSchema({});

export const handler = defineJob({
  name: 'validate-ib-connection',
  inputSchema,
  run: runValidateIbConnection,
});
