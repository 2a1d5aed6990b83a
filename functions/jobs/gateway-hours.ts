// Lambda entry point: gateway-hours (07:30 and 18:30 New York on weekdays, deployed only with
// `-c gatewayHours=market`). See gateway-hours/run.ts. Environment: ECS_CLUSTER, ECS_SERVICE (the gateway
// service), TRADING_MODE (the morning's approval alert). No manual payload: a run puts the gateway where
// the window says it should be at that moment.
import { defineJob } from './shared/define-job';
import { payloadSchema } from './shared/input';
import { runGatewayHours } from './gateway-hours/run';

export const inputSchema = payloadSchema({});

export const handler = defineJob({
  name: 'gateway-hours',
  inputSchema,
  run: runGatewayHours,
});
