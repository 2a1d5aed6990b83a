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
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import type { Alert } from '../../functions/core/alerts';
import { nyTimeToEpoch } from '../../functions/core/calendar';
import { JOB_NAMES } from '../../functions/core/config';
import type { JobName } from '../../functions/core/config';
import { consolePublisher, cooldownAlerter } from '../../functions/adapters/alerter';
import type { Clock } from '../../functions/adapters/clock';
import {
  createDynamoStores,
  documentClient,
  ensureTables,
  localDynamoClient,
  tableNames,
  TABLE_IDS,
  TABLES,
} from '../../functions/adapters/dynamo';
import type { TableNames } from '../../functions/adapters/dynamo';
import type { ConfigSection, Stores } from '../../functions/adapters/ports';
import { createJobContext, setJobContext } from '../../functions/jobs/shared/context';
import type { JobContext } from '../../functions/jobs/shared/context';
import { EVENT_SOURCE } from '../../gateway-container/bridge/contract';
import type { BridgeEvent } from '../../gateway-container/bridge/contract';
import { startBridge } from '../../gateway-container/bridge/main';
import { limitsForContractsPerTrade } from '../../gateway-container/bridge/order-guard';
import { riskSchema } from '../../functions/core/config';
import type { RunningBridge } from '../../gateway-container/bridge/main';
import type { Clock as BridgeClock } from '../../gateway-container/bridge/pacer';
import { startSimulator } from '../../gateway-container/simulator/index';
import type { Simulator, SimulatorOptions } from '../../gateway-container/simulator/index';
import { startDynamoLocal } from './dynamodb';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where `npm run local:up` describes the running stack for `npm run invoke`. */
export const STACK_INFO_FILE = resolve(REPO_ROOT, 'out/local-stack.json');
/** A Monday the simulator knows well (its own default start): a plain trading day, no holiday near. */
export const DEFAULT_DATE = '2026-06-01';
export const DEFAULT_TABLE_PREFIX = 'local';
/** The heap cap of the stack's own DynamoDB Local JVM, MB. */
export const LOCAL_DYNAMO_HEAP_MB = 512;

// ---------------------------------------------------------------------------------------------------
// Jobs: every job in the table has its handler at functions/jobs/<job>.ts (as lib/ bundles it).
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// Clocks over the simulator's time
// ---------------------------------------------------------------------------------------------------

export interface SimulatorClock extends Clock {
  /** Jumps the simulator to `at` (no-op when already past it); the market moves on the way. */
  advanceTo(at: number): void;
}

const realDelay = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * The simulator's time, read continuously. The simulator moves its clock in steps (every 250 real ms);
 * a clock that stands still for 250 ms starves the bridge's pacer, whose burst window is 90 ms (it
 * would send 4 messages per step, a third of IB's rate). Between steps this extrapolates at `speed`,
 * never by more than one step, and never backwards.
 */
export function continuousNow(
  simulator: Pick<Simulator, 'now'>,
  speed: number,
  maxStepMs = 250,
): () => number {
  let lastSim = simulator.now();
  let lastReal = performance.now();
  let lastOut = lastSim;
  return () => {
    const sim = simulator.now();
    const real = performance.now();
    if (sim !== lastSim) {
      lastSim = sim;
      lastReal = real;
    }
    lastOut = Math.max(lastOut, sim + Math.min(real - lastReal, maxStepMs) * speed);
    return lastOut;
  };
}

/**
 * The jobs' clock: the simulator's time. `sleep` jumps the simulator instead of waiting, then gives the
 * wire a few real milliseconds, so the fills the jump caused reach the bridge before the job asks.
 */
export function simulatorClock(
  simulator: Pick<Simulator, 'now' | 'advance'>,
  now: () => number = () => simulator.now(),
  settleMs = 30,
): SimulatorClock {
  return {
    now,
    async sleep(ms) {
      // Until this clock (not the stepped simulator) has moved `ms` on.
      const step = now() + Math.max(ms, 0) - simulator.now();
      if (step > 0) simulator.advance(step);
      await realDelay(Math.min(Math.max(ms, 0), settleMs));
    },
    advanceTo(at) {
      const step = at - simulator.now();
      if (step > 0) simulator.advance(step);
    },
  };
}

/**
 * The clock IB's message pacing runs on: simulated time, and a wait for a token jumps the simulator
 * instead of waiting real time (IB allows 50 messages per simulated second; the simulator counts them
 * on its own clock). Before a jump, every message the queue has let out must have reached the simulator:
 * counted after the jump, a window's worth sent before it would share a simulated second with the next
 * window's and trip IB's error 100. Messages that never arrive (a connection dropped with them) are
 * written off after `arrivalMs` of real time.
 */
export function simulatedPacingClock(
  simulator: Pick<Simulator, 'now' | 'advance' | 'messagesReceived'>,
  now: () => number,
  sent: () => number,
  arrivalMs = 50,
): BridgeClock {
  let lost = 0;
  return {
    now,
    setTimeout(fn, ms) {
      const deadline = now() + Math.max(ms, 0);
      const startedAt = performance.now();
      const handle = { cancelled: false };
      const step = () => {
        if (handle.cancelled) return;
        const arrived = simulator.messagesReceived() + lost >= sent();
        if (!arrived && performance.now() - startedAt < arrivalMs) {
          setImmediate(step);
          return;
        }
        if (!arrived) lost = sent() - simulator.messagesReceived();
        const gap = deadline - now();
        if (gap > 0) simulator.advance(gap);
        fn();
      };
      setImmediate(step);
      return handle;
    },
    clearTimeout(handle) {
      (handle as { cancelled: boolean }).cancelled = true;
    },
  };
}

/** The bridge's clock: simulated `now` (quote stamps, trade date, signatures, pacing), real timers. */
function bridgeClock(now: () => number): BridgeClock {
  return {
    now,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

// ---------------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------------

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

/** What another process needs to use a running stack (out/local-stack.json). */
export interface LocalStackInfo {
  pid: number;
  startedAt: string;
  dynamoEndpoint: string;
  tablePrefix: string;
  bridgeUrl: string;
  bridgeSecret: string;
  bridgeOrderSecret: string;
  simulator: { host: string; port: number; seed: number };
  /** Simulated ms per real ms of the running stack (a remote clock extrapolates with it). */
  speed: number;
  /** Loopback control endpoint (GET /time, POST /advance) sharing the simulator's clock. */
  controlUrl?: string;
  /** Environment a job process uses (TABLE_*, DYNAMODB_ENDPOINT, BRIDGE_URL, BRIDGE_SECRET, AWS_*). */
  env: Record<string, string>;
}

export interface PublishedAlert extends Alert {
  /** Simulated instant it was published. */
  at: number;
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

// ---------------------------------------------------------------------------------------------------
// Sharing a running stack with other processes (npm run local:up ↔ npm run invoke)
// ---------------------------------------------------------------------------------------------------

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > 10_000) throw new Error('body too large');
  }
  return body;
}

/**
 * Loopback endpoint over the stack's clock: `GET /time` → `{ now }`, `POST /advance {"ms":N}` (a job's
 * sleep in another process) → `{ now }`. Unauthenticated like the simulator itself, so loopback only.
 */
export async function startControlServer(clock: SimulatorClock): Promise<ControlServer> {
  const server = createServer((request, response) => {
    void (async () => {
      try {
        if (request.method === 'GET' && request.url === '/time')
          return sendJson(response, 200, { now: clock.now() });
        if (request.method === 'POST' && request.url === '/advance') {
          const parsed = JSON.parse((await readBody(request)) || '{}') as { ms?: unknown };
          const ms = Number(parsed.ms);
          if (!Number.isFinite(ms) || ms < 0 || ms > 7 * 86_400_000) {
            return sendJson(response, 400, {
              error: 'ms: expected a number of milliseconds from 0 to 7 days',
            });
          }
          await clock.sleep(ms);
          return sendJson(response, 200, { now: clock.now() });
        }
        sendJson(response, 404, { error: 'GET /time or POST /advance' });
      } catch (error) {
        sendJson(response, 400, { error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/**
 * A clock in another process that follows a running stack's simulator: `now()` extrapolates from the
 * last reading at the stack's speed, `sleep` asks the stack to jump. `sync()` must run once first.
 */
export function remoteClock(controlUrl: string, speed: number): Clock & { sync(): Promise<void> } {
  let simAt = 0;
  let realAt = 0;
  const remember = (now: number) => {
    simAt = now;
    realAt = Date.now();
  };
  const call = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${controlUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { now?: number; error?: string };
    if (!response.ok || typeof body.now !== 'number') {
      throw new Error(`local stack control ${path}: ${body.error ?? response.status}`);
    }
    remember(body.now);
  };
  return {
    now: () => simAt + (Date.now() - realAt) * speed,
    sleep: (ms) => call('/advance', { method: 'POST', body: JSON.stringify({ ms }) }),
    sync: () => call('/time'),
  };
}

export function writeStackInfo(info: LocalStackInfo, file = STACK_INFO_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  // The file holds the bridge secret: readable by its owner only.
  writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** The running stack described in `file`, or undefined when there is none (no file, or its process is gone). */
export function readStackInfo(file = STACK_INFO_FILE): LocalStackInfo | undefined {
  if (!existsSync(file)) return undefined;
  let info: LocalStackInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as LocalStackInfo;
  } catch {
    return undefined;
  }
  if (typeof info.pid !== 'number' || !processAlive(info.pid)) return undefined;
  return info;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
