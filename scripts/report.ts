// npm run report -- --aws: the run report (out/summary.json, out/report.html) of the deployed stack,
// read from its DynamoDB tables with the user's own AWS credentials. Read only: CloudFormation
// DescribeStacks for the table names (the stack's outputs), then DynamoDB GetItem, Query and Scan. The
// same collector (report/summary.ts) and the same renderer as a local run; what the tables cannot show
// (the broker's view, the job runs) is left out, not guessed.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Output } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoStores, TABLE_IDS, tableOutputName } from '#adapters/dynamo/index';
import type { TableId, TableNames } from '#adapters/dynamo/index';
import { nyDate, previousTradingDay, sessionFor } from '#core/calendar';
import { parseConfig } from '#core/config';
import type { IsoDate } from '#core/types';
import { STACK_NAME } from '#lib/app';
import { isoDate, parseFlags, UsageError } from './args';
import { hideSdkNodeVersionWarning } from './local/stack';
import { writeOutputs } from './report/outputs';
import { collectStoredRun } from './report/stored-report';
import type { RunSummary } from './report/summary';

const REPO_ROOT = resolve(import.meta.dirname, '..');

/** Trading days the report covers by default, up to today. */
export const DEFAULT_TRADING_DAYS = 20;

/** The tables the report reads; the others' outputs are not needed. */
export const REPORT_TABLES: readonly TableId[] = ['positions', 'orders', 'candidates', 'config', 'snapshots'];

/** A mistake the user can fix (credentials, stack name, an old stack): printed as one line, exit 1. */
export class ReportError extends Error {
  override name = 'ReportError';
}

export interface ReportArgs {
  from: IsoDate;
  to: IsoDate;
  outDir: string;
  stack: string;
  region?: string;
  help: boolean;
}

const REPORT_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  aws: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
} as const;

/** The last `DEFAULT_TRADING_DAYS` NYSE trading days up to `today` (today included when it is one). */
export function defaultRange(today: IsoDate): { from: IsoDate; to: IsoDate } {
  const calendar = parseConfig({}).calendar;
  const to = sessionFor(today, calendar) ? today : previousTradingDay(today, calendar);
  let from = to;
  for (let i = 1; i < DEFAULT_TRADING_DAYS; i++) from = previousTradingDay(from, calendar);
  return { from, to };
}

export function parseReportArgs(argv: readonly string[], today: IsoDate): ReportArgs {
  const { values } = parseFlags(argv, REPORT_OPTIONS);
  const help = values.help ?? false;
  if (!help && !values.aws) {
    throw new UsageError('--aws is required: the report reads the deployed stack (npm start writes its own)');
  }
  const to = values.to === undefined ? undefined : isoDate('--to', values.to);
  const from = values.from === undefined ? undefined : isoDate('--from', values.from);
  const range = defaultRange(to ?? today);
  const args: ReportArgs = {
    from: from ?? range.from,
    to: to ?? range.to,
    outDir: resolve(values.out ?? resolve(REPO_ROOT, 'out')),
    stack: values.stack ?? STACK_NAME,
    help,
  };
  if (values.stack !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(values.stack)) {
    throw new UsageError(`--stack: expected a CloudFormation stack name, got "${values.stack}"`);
  }
  if (values.region !== undefined) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region)) {
      throw new UsageError(`--region: expected an AWS region like us-east-1, got "${values.region}"`);
    }
    args.region = values.region;
  }
  if (args.from > args.to) throw new UsageError(`--from ${args.from} is after --to ${args.to}`);
  return args;
}

export function helpText(): string {
  return [
    'npm run report -- --aws [options]: the run report of the deployed stack, read from its DynamoDB tables with your AWS credentials (read only).',
    '',
    'Options:',
    '  --aws             read the deployed stack (required)',
    `  --from YYYY-MM-DD first day (default: ${DEFAULT_TRADING_DAYS} trading days before --to)`,
    '  --to YYYY-MM-DD   last day (default: today in New York, or the trading day before)',
    '  --out DIR         where summary.json and report.html go (default out/)',
    `  --stack NAME      the CloudFormation stack (default ${STACK_NAME})`,
    '  --region REGION   its region (default: AWS_REGION or your profile)',
    '',
    'Needs: cloudformation:DescribeStacks on the stack; dynamodb:GetItem, Query, Scan on its tables.',
  ].join('\n');
}

/** The names of the tables the report reads, from the stack's outputs; a missing output means an old stack. */
export function tableNamesFromOutputs(stack: string, outputs: readonly Output[]): TableNames {
  const byKey = new Map(outputs.map((o) => [o.OutputKey, o.OutputValue]));
  const missing = REPORT_TABLES.map(tableOutputName).filter((key) => !byKey.get(key));
  if (missing.length > 0) {
    throw new ReportError(
      `stack ${stack} has no output ${missing.join(', ')}: it was deployed before the report existed; redeploy it (npm run deploy)`,
    );
  }
  // Tables the report never reads get a name no table has, so a read of one would fail loudly.
  return Object.fromEntries(
    TABLE_IDS.map((id) => [id, byKey.get(tableOutputName(id)) ?? `not-read-by-the-report-${id}`]),
  ) as TableNames;
}

/**
 * One line for an AWS failure the user can fix, naming what to do; anything else is rethrown as is.
 * `action` is the API call that was being made (for an access denial without the action in its text).
 */
export function describeAwsError(error: unknown, context: { stack: string; action: string }): Error {
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e?.name ?? '';
  const message = e?.message ?? String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new ReportError('no AWS credentials found: run `aws configure` or set AWS_PROFILE');
  }
  if (/^Region is missing/i.test(message)) {
    return new ReportError('no AWS region: pass --region or set AWS_REGION');
  }
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken') {
    return new ReportError(
      'your AWS credentials have expired: sign in again (aws sso login) or refresh them',
    );
  }
  if (name === 'ValidationError' && /does not exist/.test(message)) {
    return new ReportError(
      `stack ${context.stack} does not exist in this account and region: deploy it, or name yours with --stack NAME (and --region)`,
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new ReportError(
      `a table named in stack ${context.stack}'s outputs does not exist (${message}): check --region, or redeploy the stack`,
    );
  }
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`)) {
    const action = /perform: ([\w-]+:\w+)/.exec(message)?.[1] ?? context.action;
    return new ReportError(
      `access denied to ${action}: your AWS identity needs it (the report needs cloudformation:DescribeStacks and dynamodb:GetItem, Query, Scan)`,
    );
  }
  return error instanceof Error ? error : new Error(message);
}

export interface ReportClients {
  cloudFormation: CloudFormationClient;
  dynamo: DynamoDBClient;
}

/** Reads the stack's tables from..to and returns the run summary (source 'aws'). */
export async function reportFromStack(
  args: Pick<ReportArgs, 'from' | 'to' | 'stack'>,
  clients: ReportClients,
): Promise<RunSummary> {
  let outputs: Output[];
  try {
    const described = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: args.stack }));
    outputs = described.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw describeAwsError(error, { stack: args.stack, action: 'cloudformation:DescribeStacks' });
  }
  const stores = createDynamoStores({
    client: clients.dynamo,
    names: tableNamesFromOutputs(args.stack, outputs),
  });
  try {
    return await collectStoredRun(stores, {
      from: args.from,
      to: args.to,
      scenario: {
        name: `stack ${args.stack}`,
        description: `the deployed stack's tables, ${args.from} to ${args.to}`,
      },
    });
  } catch (error) {
    throw describeAwsError(error, { stack: args.stack, action: 'dynamodb:GetItem/Query/Scan' });
  }
}

const money = (usd: number) => `${usd < 0 ? '-' : ''}$${Math.abs(usd).toFixed(2)}`;

export function closingLines(run: RunSummary): string[] {
  const rules = Object.entries(run.totals.closesByRule)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
  const a = run.totals.alertCounts;
  return [
    `${run.scenario.name}, ${run.from} to ${run.to}: ${run.days.length} trading day(s) with records`,
    ...run.days.map(
      (d) =>
        `  ${d.date}  ${d.candidates.count} scored, ${d.orderCounts.intents} orders (${d.orderCounts.filled} filled), ` +
        `${Object.values(d.closesByRule ?? {}).reduce((s, n) => s + n, 0)} closed, realised ${money(d.pnl.realisedUsd)}`,
    ),
    `  realised ${money(run.totals.realisedUsd)}; closes: ${rules || 'none'}; decision alerts: ${a.CRITICAL} critical, ${a.WARNING} warning, ${a.INFO} info`,
    ...run.problems.map((p) => `  PROBLEM: ${p}`),
  ];
}

export interface MainDeps {
  /** Tests inject mocked CloudFormation and DynamoDB Local; otherwise the SDK's default chain. */
  clients?: (region: string | undefined) => ReportClients;
  today?: IsoDate;
  log?: (line: string) => void;
  error?: (line: string) => void;
}

export async function main(argv: readonly string[], deps: MainDeps = {}): Promise<number> {
  const log = deps.log ?? ((line: string) => console.log(line));
  const error = deps.error ?? ((line: string) => console.error(line));
  let args: ReportArgs;
  try {
    args = parseReportArgs(argv, deps.today ?? nyDate(Date.now()));
  } catch (e) {
    if (e instanceof UsageError) {
      error(`npm run report: ${e.message}\n\n${helpText()}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    log(helpText());
    return 0;
  }
  hideSdkNodeVersionWarning();
  const region = args.region;
  const clients =
    deps.clients?.(region) ??
    ({
      cloudFormation: new CloudFormationClient(region ? { region } : {}),
      dynamo: new DynamoDBClient(region ? { region } : {}),
    } satisfies ReportClients);
  try {
    const run = await reportFromStack(args, clients);
    for (const line of closingLines(run)) log(line);
    const { summaryFile, reportFile } = writeOutputs(run, args.outDir);
    log(`  wrote ${summaryFile} and ${reportFile}`);
    return 0;
  } catch (e) {
    error(`npm run report: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    clients.cloudFormation.destroy();
    clients.dynamo.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await main(process.argv.slice(2)));
}
