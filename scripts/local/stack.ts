// The whole system on one machine, in one process, with no AWS and no IB account: DynamoDB Local (the
// tables of tables.ts, config seeded with the defaults), the TWS-protocol simulator, the bridge on a
// random HMAC secret, and a job context wired to them (console + in-memory alerts instead of SNS, the
// bridge's fill events delivered in process instead of through EventBridge).
//
//   const stack = await startLocalStack({ seed: 7, start: nyTimeToEpoch('2026-06-01', '08:00') });
//   const result = await stack.invoke('monitor', {});
//   await stack.stop();
//
// Time: the simulator's clock is the one clock of the stack. The jobs' clock reads it and its `sleep`
// jumps it (a 45 s reprice wait costs no real time); the bridge stamps quotes and checks signatures
// with it, so quote ages and HMAC windows agree with what the jobs see. Between jobs the day runner
// jumps it forward with `advanceTo`; meanwhile it runs at `speed` (1 = real time).
//
// `npm run local:up` keeps a stack running for `npm run invoke` in other terminals: it writes
// out/local-stack.json (endpoints, table prefix, secret) and serves a tiny loopback control endpoint
// (GET /time, POST /advance) so another process can share the simulator's clock.
//
// The parts: jobs.ts (loading and invoking the job handlers, the AWS events), clocks.ts (clocks over the
// simulator's time), stack-sharing.ts (out/local-stack.json and the control endpoint). Their names stay
// importable from here.
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Alert } from '#core/alerts';
import { nyTimeToEpoch } from '#core/calendar';
import type { JobName } from '#core/config';
import { consolePublisher, cooldownAlerter } from '#adapters/alerter';
import {
  createDynamoStores,
  documentClient,
  ensureTables,
  localDynamoClient,
  tableNames,
  TABLE_IDS,
  TABLES,
} from '#adapters/dynamo/index';
import type { TableNames } from '#adapters/dynamo/index';
import type { ConfigSection, Stores } from '#adapters/ports';
import { createJobContext, setJobContext } from '#jobs/shared/context';
import type { JobContext } from '#jobs/shared/context';
import type { BridgeEvent } from '#bridge/contract';
import { startBridge } from '#bridge/main';
import { limitsForContractsPerTrade } from '#bridge/order-guard';
import { riskSchema } from '#core/config';
import type { RunningBridge } from '#bridge/main';
import { startSimulator } from '#simulator/index';
import type { Simulator, SimulatorOptions } from '#simulator/index';
import { bridgeClock, continuousNow, simulatedPacingClock, simulatorClock } from './clocks';
import type { SimulatorClock } from './clocks';
import { startDynamoLocal } from './dynamodb';
import { invokeWith } from './jobs';
import type { InvokeOutcome } from './jobs';
import type { LocalStackInfo } from './stack-sharing';

export {
  bridgeEventEnvelope,
  invokeWith,
  isJobName,
  jobEntry,
  lambdaContext,
  loadJob,
  REPO_ROOT,
  scheduledEvent,
} from './jobs';
export type { InvokeOutcome, JobHandler } from './jobs';
export { continuousNow, simulatedPacingClock, simulatorClock } from './clocks';
export type { SimulatorClock } from './clocks';
export {
  readStackInfo,
  remoteClock,
  STACK_INFO_FILE,
  startControlServer,
  writeStackInfo,
} from './stack-sharing';
export type { ControlServer, LocalStackInfo } from './stack-sharing';

/** A Monday the simulator knows well (its own default start): a plain trading day, no holiday near. */
export const DEFAULT_DATE = '2026-06-01';
export const DEFAULT_TABLE_PREFIX = 'local';
/** The heap cap of the stack's own DynamoDB Local JVM, MB. */
export const LOCAL_DYNAMO_HEAP_MB = 512;

export interface LocalStackOptions {
  /** Market seed; the same seed replays the same day. Default 1. */
  seed?: number;
  /** Simulated start, epoch ms. Default 08:00 New York on DEFAULT_DATE. */
  start?: number;
  /** Simulated ms per real ms while the stack runs between jumps. Default 1. */
  speed?: number;
  account?: 'paper' | 'live';
  /** Table name prefix. Default `local`. */
  tablePrefix?: string;
  /** An already running DynamoDB (say the tests' DynamoDB Local): no JVM is started or stopped. */
  dynamoEndpoint?: string;
  /** Config sections written over the defaults after seeding (validated like any write). */
  config?: Partial<Record<ConfigSection, unknown>>;
  /** Extra simulator options (faults, limits, symbols). */
  simulator?: Omit<SimulatorOptions, 'port' | 'seed' | 'speed' | 'start' | 'account'>;
  /** Where alerts and stack notices are written; default console.log. `null` silences them. */
  write?: ((line: string) => void) | null;
  /** The bridge's HMAC secret (read routes); default 32 random bytes. */
  bridgeSecret?: string;
  /** The bridge's order-route secret; default 32 random bytes. */
  bridgeOrderSecret?: string;
  /** HTTP port of the bridge; 0 (default) picks a free one. */
  bridgePort?: number;
  /**
   * Real ms the bridge waits for a quote to complete (production: 8 s). The simulator answers in
   * milliseconds, so a quote it has not completed in 3 s (the default here) is not coming: a fault.
   */
  quoteTimeoutMs?: number;
  /** How long to wait for the bridge's IB connection at start, real ms. Default 20 s. */
  readyTimeoutMs?: number;
  /**
   * Where IB's 50 messages per second are paid: `simulated` (default) jumps the simulator over each
   * pacing wait, so a day costs no real time for it; `real` paces on the wall clock as in production
   * (what the bench measures the analysis against).
   */
  pacing?: 'simulated' | 'real';
}

export interface PublishedAlert extends Alert {
  /** Simulated instant it was published. */
  at: number;
}

export interface LocalStack {
  readonly options: Required<Pick<LocalStackOptions, 'seed' | 'speed' | 'tablePrefix'>>;
  dynamoEndpoint: string;
  /** pid of the JVM this stack started, undefined when it used an existing DynamoDB. */
  dynamoPid: number | undefined;
  dynamoClient: DynamoDBClient;
  names: TableNames;
  stores: Stores;
  simulator: Simulator;
  bridge: RunningBridge;
  bridgeSecret: string;
  bridgeOrderSecret: string;
  clock: SimulatorClock;
  context: JobContext;
  /** Every alert that passed the cooldown and was published, oldest first. */
  alerts: PublishedAlert[];
  /** Every fill / position event the bridge emitted, oldest first. */
  events: { at: number; event: BridgeEvent }[];
  onBridgeEvent(listener: (event: BridgeEvent) => void): () => void;
  /** Writes a raw config item, bypassing validation: how an operator's typo reaches the table. */
  putRawConfigItem(section: string, value: unknown): Promise<void>;
  /** Runs one job handler with this stack's context; `event` is the Lambda event (manual payload). */
  invoke(job: JobName, event?: unknown): Promise<InvokeOutcome>;
  info(): LocalStackInfo;
  /** The environment for a job process (see LocalStackInfo.env). */
  env(): Record<string, string>;
  /** Stops bridge, simulator and DynamoDB Local (if started here). Safe to call more than once. */
  stop(): Promise<void>;
}

/** The environment variables the job context reads, for this stack's tables and bridge. */
export function stackEnv(input: {
  dynamoEndpoint: string;
  names: TableNames;
  bridgeUrl: string;
  bridgeSecret: string;
  bridgeOrderSecret: string;
}): Record<string, string> {
  return {
    ...Object.fromEntries(TABLE_IDS.map((id) => [TABLES[id].envVar, input.names[id]])),
    DYNAMODB_ENDPOINT: input.dynamoEndpoint,
    BRIDGE_URL: input.bridgeUrl,
    BRIDGE_SECRET: input.bridgeSecret,
    BRIDGE_ORDER_SECRET: input.bridgeOrderSecret,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const seed = options.seed ?? 1;
  const speed = options.speed ?? 1;
  const tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const write =
    options.write === null ? () => undefined : (options.write ?? ((line: string) => console.log(line)));
  const start = options.start ?? nyTimeToEpoch(DEFAULT_DATE, '08:00');
  const bridgeSecret = options.bridgeSecret ?? randomBytes(32).toString('hex');
  const bridgeOrderSecret = options.bridgeOrderSecret ?? randomBytes(32).toString('hex');

  // Everything started so far, stopped in reverse order if a later part fails to start.
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    const errors: unknown[] = [];
    while (stops.length > 0) {
      const stop = stops.pop() as () => Promise<void>;
      await stop().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw errors[0];
  };

  try {
    // Capped: left to Java's default the heap grew past 4 GB over one day (garbage the JVM had no
    // reason to collect); the day's data is tens of MB.
    const dynamo = options.dynamoEndpoint
      ? undefined
      : await startDynamoLocal({ port: 0, inMemory: true, maxHeapMb: LOCAL_DYNAMO_HEAP_MB });
    if (dynamo) stops.push(() => dynamo.stop());
    const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo as { endpoint: string }).endpoint;
    const dynamoClient = localDynamoClient(dynamoEndpoint);
    stops.push(async () => dynamoClient.destroy());
    const names = tableNames(tablePrefix);
    // TTL off: the simulated day may lie in the past, and DynamoDB Local really deletes expired items.
    await ensureTables(dynamoClient, names, { timeToLive: false });
    const stores = createDynamoStores({ client: dynamoClient, names });
    await stores.config.seedDefaults({ now: start });
    for (const [section, value] of Object.entries(options.config ?? {})) {
      await stores.config.saveSection(section as ConfigSection, value, {
        now: start,
        updatedBy: 'local-stack',
      });
    }

    const pacing = options.pacing ?? 'simulated';
    const simulator = await startSimulator({
      // IB allows 50 messages per second. Paced on the simulated clock, the simulator counts simulated
      // seconds too. Paced on the wall clock, it counts real seconds, so in a world that runs `speed`
      // times faster the same limit is 50 × speed per real second.
      ...(pacing === 'simulated'
        ? { limits: { maxMessagesPerSecond: 50 }, messageRateClock: 'simulated' as const }
        : { limits: { maxMessagesPerSecond: Math.round(50 * Math.max(1, speed)) } }),
      ...options.simulator,
      port: 0,
      seed,
      speed,
      start,
      account: options.account ?? 'paper',
    });
    stops.push(() => simulator.stop());

    const now = continuousNow(simulator, speed);
    const listeners = new Set<(event: BridgeEvent) => void>();
    const events: { at: number; event: BridgeEvent }[] = [];
    let sentToIb = 0;
    const bridge = await startBridge({
      ib: { host: simulator.host, port: simulator.port, clientId: 1 },
      http: { host: '127.0.0.1', port: options.bridgePort ?? 0 },
      secret: bridgeSecret,
      orderSecret: bridgeOrderSecret,
      tradingMode: options.account ?? 'paper',
      // the bridge's hard limits from the config's cap, as the CDK stack sets them (README: Safety)
      limits: limitsForContractsPerTrade(riskSchema.parse(options.config?.risk ?? {}).maxContractsPerTrade),
      clock: bridgeClock(now),
      // A job's sleep jumps the shared clock, also under another job's request on its way to the bridge
      // (execute-strategies' reprice waits beside the 10:00 collection runs): a signature made before
      // such a jump is not stale. Replays are still refused.
      signatureWindowMs: 15 * 60_000,
      ...(pacing === 'simulated'
        ? {
            pacingClock: simulatedPacingClock(simulator, now, () => sentToIb),
            // the library's real-time slots would pace again what the simulated clock already paced
            clientMaxReqPerSec: 1_000_000,
            onIbSend: () => {
              sentToIb += 1;
            },
          }
        : {}),
      // Locally a dropped gateway comes back in a moment; reconnect quickly rather than IB's minute.
      backoff: { initialMs: 200, maxMs: 2000 },
      quoteTimeoutMs: options.quoteTimeoutMs ?? 3000,
      events: (event) => {
        events.push({ at: simulator.now(), event });
        for (const listener of listeners) listener(event);
      },
    });
    stops.push(() => bridge.close());
    await bridge.ready(options.readyTimeoutMs ?? 20_000);

    const clock = simulatorClock(simulator, now);
    const alerts: PublishedAlert[] = [];
    const alerter = cooldownAlerter(
      {
        async publish(alert) {
          alerts.push({ ...alert, at: clock.now() });
          await consolePublisher((line) => write(`  alert ${line}`)).publish(alert);
          return { messageId: `local-${alerts.length}` };
        },
      },
      stores.alerts,
    );
    const context = createJobContext({
      stores,
      alerter,
      clock,
      bridgeUrl: bridge.url,
      bridgeSecret,
      bridgeOrderSecret,
      dynamoClient,
      idempotency: new DynamoDBPersistenceLayer({
        tableName: names.idempotency,
        awsSdkV3Client: dynamoClient,
      }),
      env: stackEnv({ dynamoEndpoint, names, bridgeUrl: bridge.url, bridgeSecret, bridgeOrderSecret }),
    });

    let stopped: Promise<void> | undefined;
    const stack: LocalStack = {
      options: { seed, speed, tablePrefix },
      dynamoEndpoint,
      dynamoPid: dynamo?.pid,
      dynamoClient,
      names,
      stores,
      simulator,
      bridge,
      bridgeSecret,
      bridgeOrderSecret,
      clock,
      context,
      alerts,
      events,
      onBridgeEvent(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async putRawConfigItem(section, value) {
        await documentClient(dynamoClient).send(
          new PutCommand({
            TableName: names.config,
            Item: { section, value: JSON.stringify(value), updatedAt: clock.now(), updatedBy: 'local-stack' },
          }),
        );
      },
      invoke: (job, event = {}) => invokeWith(context, clock, job, event),
      env: () => stackEnv({ dynamoEndpoint, names, bridgeUrl: bridge.url, bridgeSecret, bridgeOrderSecret }),
      info: () => ({
        pid: process.pid,
        startedAt: new Date().toISOString(),
        dynamoEndpoint,
        tablePrefix,
        bridgeUrl: bridge.url,
        bridgeSecret,
        bridgeOrderSecret,
        simulator: { host: simulator.host, port: simulator.port, seed },
        speed,
        env: stackEnv({ dynamoEndpoint, names, bridgeUrl: bridge.url, bridgeSecret, bridgeOrderSecret }),
      }),
      stop() {
        setJobContext(undefined);
        stopped ??= stopAll();
        return stopped;
      },
    };
    return stack;
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/**
 * The CLIs' output is read by people: drop the AWS SDK's notice that its 2027 releases will need Node 22
 * (this project supports Node >= 20.19 locally; Lambda runs 22). Every other warning still prints.
 */
export function hideSdkNodeVersionWarning(): void {
  // The SDK's own switch for exactly this notice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
