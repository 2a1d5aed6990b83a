// The jobs' integration stack: DynamoDB Local (test/support/dynamodb.ts), the real TWS simulator and
// the real bridge over HTTP, with SNS as the only mocked client. One clock for everything: real time
// plus whatever the jobs "slept", so the bridge's pacing keeps working while a 45 s reprice wait costs
// nothing — the sleep advances the simulator (prices move, working orders may fill) by the same amount.
import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll } from 'vitest';
import type { BridgeEvent } from '#bridge/contract';
import { productionLoggers, startBridge } from '#bridge/main';
import { limitsForContractsPerTrade } from '#bridge/order-guard';
import type { RunningBridge } from '#bridge/main';
import { startSimulator } from '#simulator/index';
import type { Simulator } from '#simulator/index';
import type { BridgeClient } from '#adapters/bridge-client';
import type { Clock } from '#adapters/clock';
import { snsAlerter } from '#adapters/sns-alerter';
import { nyTimeToEpoch } from '#core/calendar';
import { createJobContext, setJobContext } from '#jobs/shared/context';
import type { JobContext } from '#jobs/shared/context';
import { useTables } from '../support/dynamodb';
import type { TestTables } from '../support/dynamodb';

export const SECRET = 'jobs-test-secret-0123456789abcdef';
export const ORDER_SECRET = 'jobs-test-order-secret-0123456789';
export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';

export interface JobStack {
  db: TestTables;
  sim: Simulator;
  bridge: RunningBridge;
  clock: Clock;
  context: JobContext;
  sns: ReturnType<typeof mockClient>;
  events: BridgeEvent[];
  /** Everything written to stdout/stderr since the stack started (Powertools logs and metrics). */
  logs(): string;
  /** PublishCommand inputs sent so far. */
  published(): Record<string, unknown>[];
}

/** A Monday morning, 10:30 New York: a trading day, open, past the no-entry first 15 minutes. */
export const START = nyTimeToEpoch('2026-06-01', '10:30');

/** Small universe so a run quotes tens of options, not thousands (the whole suite stays fast). */
export const TEST_CONFIG = {
  universe: {
    underlyings: ['IWM'],
    strategies: ['BULL_PUT', 'BEAR_CALL'],
    widths: [5],
    shortDeltaMin: 0.15,
    shortDeltaMax: 0.3,
    minDte: 28,
    maxDte: 42,
  },
  scoring: { minScore: 20 },
  risk: { maxContractsPerTrade: 1, maxOpenPositions: 5, maxPerUnderlying: 5 },
  orders: { repriceSeconds: 5, maxReprices: 3 },
} as const;

export async function startJobStack(options: { seed?: number } = {}): Promise<JobStack> {
  // Every log line of the file is captured (and kept off the test output): the secrets test reads them all.
  const captured: string[] = [];
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const record = ((chunk: string | Uint8Array) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = record;
  process.stderr.write = record;
  const db = await useTables();
  const sim = await startSimulator({
    port: 0,
    seed: options.seed ?? 7,
    speed: 0,
    start: START,
    symbols: ['SPY', 'QQQ', 'IWM'],
  });
  const realBase = Date.now();
  let slept = 0;
  const clock: Clock = {
    now: () => START + (Date.now() - realBase) + slept,
    sleep: async (ms) => {
      slept += ms;
      sim.advance(ms);
      await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
  const events: BridgeEvent[] = [];
  const bridge = await startBridge({
    ib: { host: '127.0.0.1', port: sim.port, clientId: 1 },
    http: { host: '127.0.0.1', port: 0 },
    secret: SECRET,
    orderSecret: ORDER_SECRET,
    tradingMode: 'paper',
    // the limits the stack derives from the config's cap: the jobs' orders all pass through them
    limits: limitsForContractsPerTrade(TEST_CONFIG.risk.maxContractsPerTrade),
    // the bridge's production logging, captured with the jobs' (the secrets test reads it all)
    ...productionLoggers('info'),
    events: (event) => {
      events.push(event);
    },
    quoteTimeoutMs: 3000,
    backoff: { initialMs: 100, maxMs: 1000 },
    clock: {
      now: () => clock.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    },
  });
  await bridge.ready(15_000);

  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  const context = createJobContext({
    stores: db.stores,
    clock,
    alerter: snsAlerter({
      client: new SNSClient({ region: 'us-east-1' }),
      topicArn: TOPIC,
      alertState: db.stores.alerts,
    }),
    bridgeUrl: bridge.url,
    bridgeSecret: SECRET,
    bridgeOrderSecret: ORDER_SECRET,
    idempotency: new DynamoDBPersistenceLayer({ tableName: db.names.idempotency, awsSdkV3Client: db.client }),
  });
  setJobContext(context);
  for (const [section, value] of Object.entries(TEST_CONFIG)) {
    await db.stores.config.saveSection(section as 'universe', value, { now: clock.now() });
  }
  afterAll(async () => {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    setJobContext(undefined);
    sns.restore();
    await bridge.close();
    await sim.stop();
  });
  return {
    db,
    sim,
    bridge,
    clock,
    context,
    sns,
    events,
    logs: () => captured.join(''),
    published: () =>
      sns
        .commandCalls(PublishCommand)
        .map((call) => call.args[0].input as unknown as Record<string, unknown>),
  };
}

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Runs `body` with the jobs' context on a bridge whose calls `override` replaces (an answer the real
 * bridge cannot be made to give on demand), then puts the stack's own context back.
 */
export async function withBridgeOverride<T>(
  stack: JobStack,
  override: (client: BridgeClient) => Partial<BridgeClient>,
  body: () => Promise<T>,
): Promise<T> {
  const real = stack.context;
  setJobContext(
    createJobContext({
      stores: stack.db.stores,
      clock: stack.clock,
      alerter: real.alerter,
      idempotency: null,
      bridge: (priority) => {
        const client = real.bridge(priority);
        return { ...client, ...override(client) } as BridgeClient;
      },
    }),
  );
  try {
    return await body();
  } finally {
    setJobContext(real);
  }
}

/**
 * Runs `body` with the jobs' context minus the Powertools idempotency layer (so a second run the same
 * day really runs, or two concurrent runs race on the order intents alone), then puts it back.
 */
export function withoutIdempotency<T>(stack: JobStack, body: () => Promise<T>): Promise<T> {
  return withBridgeOverride(stack, () => ({}), body);
}
