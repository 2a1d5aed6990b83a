// `npm run invoke -- JOB '<json>' [--dry-run] [--min-score N]`: runs one job handler locally, as Lambda
// would, and prints its result as JSON on stdout.
//
// Against the stack `npm run local:up` keeps running (found through out/local-stack.json), or, when
// none runs, against a stack started for this one call and stopped after it. The flags operators know
// from the scripts this system replaces merge into the payload: `--dry-run` → `"dryRun": true`,
// `--min-score N` → `"minScore": N` (a flag wins over the same field in the JSON).
//
//   npm run invoke -- strategy-analysis
//   npm run invoke -- execute-strategies '{"maxOrders": 1}' --dry-run --min-score 75
//   npm run invoke -- verify-positions '{"repair": true}'
import { pathToFileURL } from 'node:url';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { consolePublisher, cooldownAlerter } from '#adapters/alerter';
import { createDynamoStores, localDynamoClient, tableNames } from '#adapters/dynamo/index';
import { nyTimeToEpoch } from '#core/calendar';
import { JOB_NAMES } from '#core/config';
import type { JobName } from '#core/config';
import type { IsoDate } from '#core/types';
import { createJobContext } from '#jobs/shared/context';
import {
  DEFAULT_DATE,
  hideSdkNodeVersionWarning,
  invokeWith,
  isJobName,
  readStackInfo,
  remoteClock,
  startLocalStack,
  STACK_INFO_FILE,
} from './local/stack';
import type { InvokeOutcome, LocalStackInfo } from './local/stack';
import { clockTime, finiteNumber, parseFlags, tradingDay, UsageError, wholeNumber } from './args';

// The shared usage error of the local scripts (scripts/args.ts), under the name this script exported.
export const InvokeUsageError = UsageError;
export type InvokeUsageError = UsageError;

export interface InvokeArgs {
  job: JobName;
  /** The manual payload with the flags merged in. */
  payload: Record<string, unknown>;
  /** For a stack started for this call: its date and New York time. */
  date: IsoDate;
  at: string;
  seed: number;
  verbose: boolean;
}

export function jobList(): string {
  return JOB_NAMES.map((job) => `  ${job}`).join('\n');
}

export function invokeHelp(): string {
  return [
    "npm run invoke -- JOB ['<json payload>'] [--dry-run] [--min-score N] [options]",
    '',
    'Runs one job handler against the local stack (`npm run local:up`), or a stack started for the call.',
    '  --dry-run          merge "dryRun": true into the payload (do everything except transmit)',
    '  --min-score N      merge "minScore": N into the payload',
    '  --date YYYY-MM-DD  a stack started for the call: its trading day (default ' + DEFAULT_DATE + ')',
    '  --at HH:MM         a stack started for the call: its New York time (default 10:30)',
    '  --seed N           a stack started for the call: its market seed (default 1)',
    "  --verbose          the job's own JSON logs too (on stdout, before the result)",
    '',
    'Jobs:',
    jobList(),
  ].join('\n');
}

const INVOKE_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  'dry-run': { type: 'boolean' },
  'min-score': { type: 'string' },
  date: { type: 'string' },
  at: { type: 'string' },
  seed: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

/** Parses the command line; throws InvokeUsageError with a message an operator can act on. */
export function parseInvokeArgs(argv: readonly string[]): InvokeArgs | { help: true } {
  // Flags may come before or after the job and its payload.
  const { values, positionals: positional } = parseFlags(argv, INVOKE_OPTIONS, { positionals: true });
  if (values.help) return { help: true };
  const flags: Record<string, unknown> = {};
  if (values['dry-run']) flags.dryRun = true;
  // Range checks are the handler's (it names the field); here only "is it a number at all".
  if (values['min-score'] !== undefined) flags.minScore = finiteNumber('--min-score', values['min-score']);
  const args = {
    date: values.date === undefined ? DEFAULT_DATE : tradingDay('--date', values.date),
    at: values.at === undefined ? '10:30' : clockTime('--at', values.at),
    seed: values.seed === undefined ? 1 : wholeNumber('--seed', values.seed),
    verbose: values.verbose ?? false,
  };
  const [job, json, ...extra] = positional;
  if (!job) throw new InvokeUsageError(`which job? One of:\n${jobList()}`);
  if (!isJobName(job)) throw new InvokeUsageError(`unknown job "${job}". Jobs:\n${jobList()}`);
  if (extra.length > 0) {
    throw new InvokeUsageError(
      `one JSON payload expected, got also: ${extra.join(' ')} (quote the JSON in '…')`,
    );
  }
  let payload: unknown = {};
  if (json !== undefined) {
    try {
      payload = JSON.parse(json);
    } catch (error) {
      throw new InvokeUsageError(
        `the payload is not valid JSON (${(error as Error).message}): ${json}\nExample: '{"dryRun": true, "minScore": 75}'`,
      );
    }
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvokeUsageError(`the payload must be a JSON object such as '{"dryRun": true}', got: ${json}`);
  }
  return { job, payload: { ...(payload as Record<string, unknown>), ...flags }, ...args };
}

/** Runs the job against the stack described by `info` (another process: `npm run local:up`). */
export async function invokeOnRunningStack(
  info: LocalStackInfo,
  job: JobName,
  payload: Record<string, unknown>,
  write: (line: string) => void,
): Promise<InvokeOutcome> {
  if (!info.controlUrl)
    throw new Error(`${STACK_INFO_FILE} has no control endpoint; restart npm run local:up`);
  const clock = remoteClock(info.controlUrl, info.speed);
  await clock.sync();
  const dynamoClient = localDynamoClient(info.dynamoEndpoint);
  try {
    const names = tableNames(info.tablePrefix);
    const stores = createDynamoStores({ client: dynamoClient, names });
    const context = createJobContext({
      stores,
      clock,
      alerter: cooldownAlerter(
        consolePublisher((line) => write(`alert ${line}`)),
        stores.alerts,
      ),
      bridgeUrl: info.bridgeUrl,
      bridgeSecret: info.bridgeSecret,
      bridgeOrderSecret: info.bridgeOrderSecret,
      dynamoClient,
      idempotency: new DynamoDBPersistenceLayer({
        tableName: names.idempotency,
        awsSdkV3Client: dynamoClient,
      }),
      env: info.env,
    });
    return await invokeWith(context, clock, job, payload);
  } finally {
    dynamoClient.destroy();
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseInvokeArgs>;
  try {
    parsed = parseInvokeArgs(argv);
  } catch (error) {
    if (error instanceof InvokeUsageError) {
      console.error(`npm run invoke: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if ('help' in parsed) {
    console.log(invokeHelp());
    return 0;
  }
  if (!parsed.verbose) {
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  }
  // stdout carries the result JSON only; everything else goes to stderr.
  hideSdkNodeVersionWarning();
  const note = (line: string) => console.error(line);
  try {
    const info = readStackInfo();
    let outcome: InvokeOutcome;
    if (info) {
      note(`using the running local stack (pid ${info.pid}, bridge ${info.bridgeUrl})`);
      outcome = await invokeOnRunningStack(info, parsed.job, parsed.payload, note);
    } else {
      note(
        `no running local stack (${STACK_INFO_FILE}); starting one for this call at ${parsed.date} ${parsed.at} New York …`,
      );
      const stack = await startLocalStack({
        seed: parsed.seed,
        start: nyTimeToEpoch(parsed.date, parsed.at),
        write: note,
      });
      const stop = () => void stack.stop().finally(() => process.exit(130));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        outcome = await stack.invoke(parsed.job, parsed.payload);
      } finally {
        await stack.stop();
      }
    }
    console.log(JSON.stringify(outcome.result, null, 2));
    const ok = (outcome.result as { ok?: unknown } | undefined)?.ok;
    return ok === false ? 1 : 0;
  } catch (error) {
    console.error(
      `npm run invoke: ${parsed.job} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await main(process.argv.slice(2)));
}
