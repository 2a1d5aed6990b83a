// Lambda entry point: validate-data-quality (18:00 ET, priority 50). See validate-data-quality/run.ts.
// Manual payload: { "tradeDate": "2026-06-01" } to check a past day.
import { defineJob } from './shared/define-job';
import { pastDateField, payloadSchema } from './shared/input';
import { runValidateDataQuality } from './validate-data-quality/run';

export const inputSchema = payloadSchema({
  tradeDate: pastDateField.describe('trade date to check instead of today'),
});

export const handler = defineJob({
  name: 'validate-data-quality',
  inputSchema,
  run: runValidateDataQuality,
});
