// Lambda entry point: daily-statistics (16:30 ET, priority 40). See daily-statistics/run.ts.
// Manual payload: { "tradeDate": "2026-06-01" } to summarise a past day.
import { defineJob } from './shared/define-job';
import { pastDateField, payloadSchema } from './shared/input';
import { runDailyStatistics } from './daily-statistics/run';

export const inputSchema = payloadSchema({
  tradeDate: pastDateField.describe('trade date to summarise instead of today'),
});

export const handler = defineJob({
  name: 'daily-statistics',
  inputSchema,
  run: runDailyStatistics,
});
