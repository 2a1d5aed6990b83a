// The jobs as the local stack runs them: every job in the table has its handler at
// functions/jobs/<job>.ts (as lib/ bundles it), called the way Lambda would with the events AWS would
// deliver (EventBridge Scheduler's, and the bridge events' rule that triggers position-sync).
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { JOB_NAMES } from '#core/config';
import type { JobName } from '#core/config';
import type { Clock } from '#adapters/clock';
import { setJobContext } from '#jobs/shared/context';
import type { JobContext } from '#jobs/shared/context';
import { EVENT_SOURCE } from '#bridge/contract';
import type { BridgeEvent } from '#bridge/contract';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A Lambda handler as the jobs export it (a middy handler is callable like this). */
export type JobHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The job's handler file, the same entry lib/ bundles for its Lambda. */
export function jobEntry(job: JobName): string {
  return resolve(REPO_ROOT, `functions/jobs/${job}.ts`);
}

export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}

/** Loads a job's handler; a file that fails to load or exports no handler throws: that is a broken job. */
export async function loadJob(job: JobName): Promise<JobHandler> {
  const file = jobEntry(job);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const handler = module.handler ?? module.default;
  if (typeof handler !== 'function') {
    throw new Error(`${job}: ${file} exports no \`handler\` function`);
  }
  return handler as JobHandler;
}

/** The Lambda context a handler sees locally (Powertools reads the function name and request id). */
export function lambdaContext(job: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${job}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:local-${job}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/local-${job}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 900_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The EventBridge envelope AWS would deliver for a bridge event (the rule that triggers position-sync). */
export function bridgeEventEnvelope(event: BridgeEvent, at: number): Record<string, unknown> {
  return {
    version: '0',
    id: `local-${at}`,
    source: EVENT_SOURCE,
    'detail-type': event.type,
    account: '000000000000',
    time: new Date(at).toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: event.detail,
  };
}

/** The EventBridge Scheduler event of a scheduled run at simulated instant `at`. */
export function scheduledEvent(at: number, detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: `schedule-${at}`,
    source: 'aws.scheduler',
    'detail-type': 'Scheduled Event',
    account: '000000000000',
    time: new Date(at).toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

export interface InvokeOutcome {
  job: JobName;
  result?: unknown;
  /** Real ms the handler took. */
  elapsedMs: number;
  /** Simulated instants around the call. */
  startedAt: number;
  endedAt: number;
}

let requestSeq = 0;

/** Calls a handler the way Lambda would, with the stack's context injected. */
export async function invokeWith(
  context: JobContext,
  clock: Clock,
  job: JobName,
  event: unknown = {},
): Promise<InvokeOutcome> {
  const handler = await loadJob(job);
  const startedAt = clock.now();
  // Set before every call, not reset after: jobs of the same minute run concurrently on one context.
  setJobContext(context);
  const real = performance.now();
  const result = await handler(event, lambdaContext(job, `local-${++requestSeq}`));
  return {
    job,
    result,
    elapsedMs: Math.round(performance.now() - real),
    startedAt,
    endedAt: clock.now(),
  };
}
