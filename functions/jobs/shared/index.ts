// The job framework. A new job is three steps:
//
//   1. functions/jobs/<job>/run.ts: `export async function runX(input, ctx: RunContext): Promise<RunOutcome>`
//      using ports only (ctx.stores, ctx.bridge, ctx.alert, ctx.clock), returning { did, counts, reasons };
//   2. functions/jobs/<job>.ts: `export const handler = defineJob({ name, priority, inputSchema:
//      payloadSchema({ ... }), calendar: 'market-open' | 'trading-day' | 'always', run: runX })`;
//   3. tests: `setJobContext(createJobContext({ stores, clock, alerter, bridgeUrl, bridgeSecret }))` and
//      call `handler(event, lambdaContext)`.
//
// See define-job.ts for what every handler does before and after `run`, input.ts for the accepted
// events and the bad-payload answer, context.ts for the environment, order-workflow.ts for orders.
export { defineJob, METRICS_NAMESPACE } from './define-job';
export type {
  CalendarGate,
  JobDefinition,
  JobHandler,
  JobLog,
  JobResult,
  RunContext,
  RunOutcome,
} from './define-job';
export { createJobContext, jobContext, setJobContext } from './context';
export type { JobContext, JobContextOverrides } from './context';
export {
  countField,
  describeIssues,
  dryRunField,
  minScoreField,
  parseJobEvent,
  payloadSchema,
  redactForLog,
} from './input';
export type { InputIssue, JobTrigger, ParsedInput } from './input';
export { nextAttempt, orderDeps, runOrder, ticketOf } from './order-workflow';
export { applyOpenFill } from './positions';
export type { OrderDeps, OrderOutcome, OrderTicket } from './order-workflow';
