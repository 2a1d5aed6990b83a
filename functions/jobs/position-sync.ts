// Lambda entry point: position-sync (08:00 and 16:15 ET, priority 15, and on the bridge's OrderFilled /
// PositionChanged events). See position-sync/run.ts.
import { defineJob } from './shared/define-job';
import { payloadSchema } from './shared/input';
import { runPositionSync } from './position-sync/run';

export const inputSchema = payloadSchema({});

export const handler = defineJob({
  name: 'position-sync',
  inputSchema,
  acceptsEvents: ['OrderFilled', 'PositionChanged'],
  // A fill can arrive at any time (and an assignment shows before the open): events always run.
  calendar: (trigger) => (trigger.kind === 'event' ? 'always' : 'trading-day'),
  run: runPositionSync,
});
