// Lambda entry point: collect-option-data (every 5 min in market hours, priority 30).
// See collect-option-data/run.ts. Manual payload: { "symbols": ["SPY"] }.
import { defineJob } from './shared/define-job';
import { payloadSchema, tickerList } from './shared/input';
import { runCollectOptionData } from './collect-option-data/run';

export const inputSchema = payloadSchema({
  symbols: tickerList.describe('underlyings to collect instead of the config universe'),
});

export const handler = defineJob({
  name: 'collect-option-data',
  inputSchema,
  run: runCollectOptionData,
});
