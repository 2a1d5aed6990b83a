// execute-strategies runs once per trade date and mode: Powertools idempotency around the run.
import type { Context } from 'aws-lambda';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { RunContext, RunOutcome } from '../shared/define-job';
import type { ExecuteInput } from './run';

/** The job's name: its idempotency key's and its intents' `createdBy`. */
export const JOB = 'execute-strategies';

/**
 * Powertools idempotency keyed on job + trade date + dryRun (never on the request id or scheduled time),
 * so a retried or manual re-run of the same day returns the first run's result instead of running again;
 * a concurrent second invocation is skipped. The order intents protect each order on top of this.
 */
export async function idempotentRun(
  input: ExecuteInput,
  ctx: RunContext,
  run: () => Promise<RunOutcome>,
  lambdaContext: Context,
): Promise<RunOutcome | { skipped: string }> {
  const persistenceStore = ctx.idempotency;
  if (!persistenceStore) return run();
  const dryRun = input.dryRun ?? ctx.config.trading.dryRun;
  const requestId = lambdaContext.awsRequestId;
  const config = new IdempotencyConfig({ expiresAfterSeconds: 36 * 3600 });
  if (typeof lambdaContext.getRemainingTimeInMillis === 'function')
    config.registerLambdaContext(lambdaContext);
  const once = makeIdempotent(
    async (_key: { job: string; tradeDate: string; dryRun: boolean }) => {
      const outcome = await run();
      return { ...outcome, details: { ...outcome.details, requestId } };
    },
    { persistenceStore, config, dataIndexArgument: 0 },
  );
  try {
    const outcome = (await once({ job: JOB, tradeDate: ctx.tradeDate, dryRun })) as RunOutcome;
    const first = outcome.details?.requestId;
    return first === requestId
      ? outcome
      : { ...outcome, did: `already ran for ${ctx.tradeDate} (request ${String(first)}): ${outcome.did}` };
  } catch (error) {
    if (error instanceof IdempotencyAlreadyInProgressError) {
      return {
        skipped: `another ${JOB} run for ${ctx.tradeDate}${dryRun ? ' (dry run)' : ''} is in progress`,
      };
    }
    throw error;
  }
}
