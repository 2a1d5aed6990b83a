// Lambda entry point: health-check (every 10 minutes, priority 100). See health-check/run.ts.
// Environment: ECS_CLUSTER, ECS_SERVICE (the gateway service), WEEKLY_LOGIN, TRADING_MODE (the login
// alerts). Manual payload: { "restartAfterFailures": 2 } overrides the config's
// gateway.restartAfterFailures for that run only.
import { z } from 'zod';
import { defineJob } from './shared/define-job';
import { payloadSchema } from './shared/input';
import { runHealthCheck } from './health-check/run';

export const inputSchema = payloadSchema({
  restartAfterFailures: z
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(1, { error: 'expected a whole number ≥ 1' })
    // The config field's range (gateway.restartAfterFailures), so an override cannot go where the config cannot.
    .max(20, { error: 'expected a whole number ≤ 20' })
    .optional()
    .describe(
      'consecutive failed checks in market hours before the gateway task is replaced (this run only; default: the config gateway.restartAfterFailures)',
    ),
});

export const handler = defineJob({
  name: 'health-check',
  inputSchema,
  // Runs around the clock (a gateway down at night should be known by the open); restarts only in hours.
  run: runHealthCheck,
});
