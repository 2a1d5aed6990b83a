// npm run report -- --aws against a "deployed stack" made of DynamoDB Local filled by a real simulated
// day (the day runner through the real jobs, bridge and simulator) and CloudFormation mocked (no local
// CloudFormation exists): the table names come from the stack's outputs, the report reads them with
// read-only calls and finds what the local run recorded. Then each error the user can fix gets its line.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClient, TABLE_IDS, tableNames, tableOutputName } from '#adapters/dynamo/index';
import type { TableNames } from '#adapters/dynamo/index';
import { main, parseReportArgs } from '#scripts/report';
import type { ReportClients } from '#scripts/report';
import type { DaySummary, RunSummary } from '#scripts/report/summary';
import { DEFAULT_ANALYSIS_MAX_QUOTES, quietJobLogs, runDay } from '#scripts/start';
import { dynamoEndpoint } from '../support/dynamodb';

quietJobLogs(false);

const STACK = 'IbOptionsIncome-report-test';
const REGION = 'us-east-1';
const READ_COMMANDS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);

const outputsFor = (names: TableNames, leaveOut: string[] = []) =>
  TABLE_IDS.map((id) => ({ OutputKey: tableOutputName(id), OutputValue: names[id] })).filter(
    (o) => !leaveOut.includes(o.OutputKey),
  );

/** A CloudFormation client whose DescribeStacks of STACK answers with `outputs` (or fails). */
function stackClient(answer: { outputs?: ReturnType<typeof outputsFor>; error?: Error }) {
  const client = new CloudFormationClient({ region: REGION });
  const mock = mockClient(client);
  const call = mock.on(DescribeStacksCommand);
  if (answer.error) call.rejects(answer.error);
  else
    call.resolves({
      Stacks: [
        {
          StackName: STACK,
          CreationTime: new Date('2026-01-05T12:00:00Z'),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: answer.outputs ?? [],
        },
      ],
    });
  return { client, mock };
}

/** DynamoDB Local, recording the name of every command sent. */
function recordingDynamo(commands: Set<string>): DynamoDBClient {
  const client = localDynamoClient(dynamoEndpoint());
  client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.add(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommandNames' },
  );
  return client;
}

async function report(argv: string[], clients: ReportClients) {
  const log: string[] = [];
  const errors: string[] = [];
  const code = await main(['--aws', '--stack', STACK, '--region', REGION, ...argv], {
    clients: () => clients,
    log: (line) => log.push(line),
    error: (line) => errors.push(line),
  });
  return { code, log, errors };
}

describe('npm run report -- --aws, from the tables a simulated day filled', () => {
  const tablePrefix = `rep-${Date.now().toString(36)}`;
  const names = tableNames(tablePrefix);
  let local: DaySummary;
  let run: RunSummary;
  let outDir: string;
  let code: number;
  let log: string[];
  let errors: string[];
  const commands = new Set<string>();
  let describeCalls: unknown[];

  beforeAll(async () => {
    local = await runDay({
      until: '10:30',
      dynamoEndpoint: dynamoEndpoint(),
      tablePrefix,
      // 40 quotes reach no expiry of the three underlyings on the default date: no candidate, no order.
      analysisMaxQuotes: DEFAULT_ANALYSIS_MAX_QUOTES,
      payloads: { 'execute-strategies': { maxOrders: 1 } },
      write: () => undefined,
    });
    outDir = mkdtempSync(join(tmpdir(), 'report-aws-'));
    const stack = stackClient({ outputs: outputsFor(names) });
    ({ code, log, errors } = await report(['--from', local.date, '--to', local.date, '--out', outDir], {
      cloudFormation: stack.client,
      dynamo: recordingDynamo(commands),
    }));
    describeCalls = stack.mock.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input);
    run = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as RunSummary;
  }, 240_000);

  it('asks CloudFormation once, for the named stack, and reads DynamoDB with read-only calls', () => {
    expect(describeCalls).toEqual([{ StackName: STACK }]);
    expect(commands.size).toBeGreaterThan(0);
    expect([...commands].filter((c) => !READ_COMMANDS.has(c))).toEqual([]);
  });

  it('finds what the local run recorded: orders, positions, P&L, candidates', () => {
    // The day did something worth reading back.
    expect(local.orders.length).toBeGreaterThan(0);
    expect(local.positions.length).toBeGreaterThan(0);
    expect(run.source).toBe('aws');
    expect(run.days.map((d) => d.date)).toEqual([local.date]);
    const day = run.days[0]!;
    expect(day.orders).toEqual(local.orders);
    expect(day.orderCounts).toEqual(local.orderCounts);
    expect(day.positions).toEqual(local.positions);
    expect(day.pnl).toEqual(local.pnl);
    expect(day.candidates.count).toBe(local.candidates.count);
    expect(day.candidates.scoreCounts?.reduce((a, b) => a + b, 0)).toBe(local.candidates.count);
    expect(day.candidates.scoreCounts).toEqual(local.candidates.scoreCounts);
    expect(day.candidates.atOrAboveMinScore).toBe(local.candidates.atOrAboveMinScore);
    // Chosen: the candidates of the day's opening orders.
    const opened = local.orders.filter((o) => o.purpose === 'OPEN').length;
    expect(day.candidates.chosen).toHaveLength(opened);
    expect(day.equity).toEqual({
      date: local.date,
      realisedToDateUsd: local.pnl.realisedUsd,
      drawdownUsd: Math.min(0, local.pnl.realisedUsd),
    });
    expect(run.totals.realisedUsd).toBe(local.pnl.realisedUsd);
    // The broker's view and the job runs are not in the tables.
    expect(day.simulator).toBeUndefined();
    expect(day.runs).toBeUndefined();
    expect(day.checks).toBeUndefined();
  });

  it('writes report.html through the one renderer and exits 0', () => {
    expect({ code, errors }).toEqual({ code: 0, errors: [] });
    expect(log.at(-1)).toBe(`  wrote ${join(outDir, 'summary.json')} and ${join(outDir, 'report.html')}`);
    expect(existsSync(join(outDir, 'report.html'))).toBe(true);
    expect(readFileSync(join(outDir, 'report.html'), 'utf8')).toContain(local.date);
  });
});

describe('npm run report -- --aws: one clear line per thing to fix', () => {
  const names = tableNames('never-created');
  const dynamo = () => localDynamoClient(dynamoEndpoint());

  it('no credentials: says so and how to set them (the SDK’s own provider chain, nothing configured)', async () => {
    const run = promisify(execFile);
    const result = await run(
      resolve('node_modules/.bin/tsx'),
      ['scripts/report.ts', '--aws', '--region', REGION, '--out', mkdtempSync(join(tmpdir(), 'rep-'))],
      {
        // Nothing to find: no AWS_* variables, an empty home (no ~/.aws), no instance metadata.
        env: {
          PATH: process.env.PATH,
          HOME: mkdtempSync(join(tmpdir(), 'home-')),
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        timeout: 60_000,
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'npm run report: no AWS credentials found: run `aws configure` or set AWS_PROFILE',
    ]);
  }, 90_000);

  it('stack missing: names the stack and --stack', async () => {
    const error = Object.assign(new Error(`Stack with id ${STACK} does not exist`), {
      name: 'ValidationError',
    });
    const { code, errors } = await report([], {
      cloudFormation: stackClient({ error }).client,
      dynamo: dynamo(),
    });
    expect(code).toBe(1);
    expect(errors).toEqual([
      `npm run report: stack ${STACK} does not exist in this account and region: deploy it, or name yours with --stack NAME (and --region)`,
    ]);
  });

  it('an output missing: the stack is older than the report, redeploy', async () => {
    const outputs = outputsFor(names, ['SnapshotsTableName', 'OrdersTableName']);
    const { code, errors } = await report([], {
      cloudFormation: stackClient({ outputs }).client,
      dynamo: dynamo(),
    });
    expect(code).toBe(1);
    expect(errors).toEqual([
      `npm run report: stack ${STACK} has no output OrdersTableName, SnapshotsTableName: it was deployed before the report existed; redeploy it (npm run deploy)`,
    ]);
  });

  it('a table the outputs name is gone: says so (DynamoDB Local answers for the missing table)', async () => {
    const { code, errors } = await report([], {
      cloudFormation: stackClient({ outputs: outputsFor(names) }).client,
      dynamo: dynamo(),
    });
    expect(code).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^npm run report: a table named in stack ${STACK}'s outputs does not exist \\(.+\\): check --region, or redeploy the stack$`,
      ),
    );
  });

  it('access denied: names the action, for CloudFormation and for DynamoDB', async () => {
    const denied = (action: string) =>
      Object.assign(
        new Error(
          `User: arn:aws:iam::123456789012:user/reader is not authorized to perform: ${action} on resource: x`,
        ),
        { name: action.startsWith('dynamodb') ? 'AccessDeniedException' : 'AccessDenied' },
      );
    const cfn = await report([], {
      cloudFormation: stackClient({ error: denied('cloudformation:DescribeStacks') }).client,
      dynamo: dynamo(),
    });
    expect(cfn.errors).toEqual([
      'npm run report: access denied to cloudformation:DescribeStacks: your AWS identity needs it (the report needs cloudformation:DescribeStacks and dynamodb:GetItem, Query, Scan)',
    ]);
    // No IAM in DynamoDB Local: the denial is the SDK's, mocked (the stores send through a document client).
    const documents = mockClient(DynamoDBDocumentClient);
    documents.onAnyCommand().resolves({});
    documents.on(QueryCommand).rejects(denied('dynamodb:Query'));
    try {
      const ddb = await report([], {
        cloudFormation: stackClient({ outputs: outputsFor(names) }).client,
        dynamo: new DynamoDBClient({ region: REGION }),
      });
      expect(ddb.code).toBe(1);
      expect(ddb.errors).toEqual([
        'npm run report: access denied to dynamodb:Query: your AWS identity needs it (the report needs cloudformation:DescribeStacks and dynamodb:GetItem, Query, Scan)',
      ]);
    } finally {
      documents.restore();
    }
  });
});

describe('npm run report arguments', () => {
  it('defaults to the last 20 trading days up to today in New York', () => {
    // Friday 2026-02-06; 20 trading days back is Friday 2026-01-09 (MLK day 2026-01-19 is a holiday).
    expect(parseReportArgs(['--aws'], '2026-02-06')).toMatchObject({
      from: '2026-01-09',
      to: '2026-02-06',
      stack: 'IbOptionsIncome',
      outDir: resolve('out'),
    });
    // On a Sunday the range ends on the Friday before.
    expect(parseReportArgs(['--aws'], '2026-02-08')).toMatchObject({ from: '2026-01-09', to: '2026-02-06' });
  });

  it('refuses bad arguments with the shared validators’ words', () => {
    expect(() => parseReportArgs([], '2026-02-06')).toThrow(
      '--aws is required: the report reads the deployed stack (npm start writes its own)',
    );
    expect(() => parseReportArgs(['--aws', '--from', '2026-02-30'], '2026-02-06')).toThrow(
      '--from: expected a date YYYY-MM-DD, got "2026-02-30"',
    );
    expect(() =>
      parseReportArgs(['--aws', '--from', '2026-02-05', '--to', '2026-02-02'], '2026-02-06'),
    ).toThrow('--from 2026-02-05 is after --to 2026-02-02');
    expect(() => parseReportArgs(['--aws', '--region', 'mars'], '2026-02-06')).toThrow(
      '--region: expected an AWS region like us-east-1, got "mars"',
    );
    expect(() => parseReportArgs(['--aws', '--stack', 'no spaces'], '2026-02-06')).toThrow(
      '--stack: expected a CloudFormation stack name, got "no spaces"',
    );
    expect(() => parseReportArgs(['--aws', '--bucket', 'x'], '2026-02-06')).toThrow(
      'unknown option --bucket (see --help)',
    );
  });
});
