// The one list of Lambda jobs: what the stack deploys, how each is scheduled, and how hard a failed run is
// retried. It follows the schedule in the owner's architecture notes (not in this repository); the README's
// job table mirrors it by hand (no generator).
//
// Times are New York wall-clock times (EventBridge Scheduler evaluates them in America/New_York, so 09:45
// stays 09:45 across daylight-saving changes). Schedules fire on weekdays (health-check every day); each
// job asks the market calendar itself whether today is an NYSE trading day (holidays, 13:00 early closes).
import { JOB_NAMES, type JobName } from '../functions/core/config';

/** One EventBridge Scheduler cron, in New York time. */
export interface JobSchedule {
  /** Distinguishes a job's schedules in construct ids and the README (`pre-market`, `9h`, ...). */
  label: string;
  minute: string;
  hour: string;
  /** Monday to Friday (the default), or every day of the week. */
  days?: 'weekdays' | 'every-day';
  /** What the README says about this run. */
  description: string;
}

/**
 * How a failed delivery or a failed run is retried.
 * - `none`: never retried. A trading run that fails must not be replayed minutes later on stale
 *   market data (execute-strategies could send an order the operator no longer expects; monitor simply
 *   runs again at the next 5-minute mark). The event goes to the dead-letter queue and an alarm fires.
 * - `modest`: a couple of retries (data loads and reports are idempotent), then the dead-letter queue.
 */
export type RetryPolicy = 'none' | 'modest';

export interface JobSpec {
  name: JobName;
  /** Lambda entry, relative to the repository root. */
  entry: string;
  /** Bridge queue priority (lower = more urgent); the handler's defineJob declares the same number. */
  priority: number;
  schedules: readonly JobSchedule[];
  timeoutSeconds: number;
  memoryMiB: number;
  retry: RetryPolicy;
  /**
   * Oldest an undelivered (Scheduler) or queued (Lambda async) event may be before it is dropped into
   * the dead-letter queue instead of run: a run later than this is no longer the run that was meant.
   */
  maxEventAgeMinutes: number;
  /** Calls the bridge (needs BRIDGE_URL, the bridge secret and the bridge port). */
  usesBridge: boolean;
  /**
   * Places, reprices or cancels orders (POST/PUT/DELETE /orders*): gets the order-route secret too. Only
   * execute-strategies and monitor; every other job can read from the bridge but never trade.
   */
  placesOrders?: boolean;
  /** Tables the job reads and writes beyond what every job does (read config, read/write alert state). */
  reads: readonly TableAccess[];
  writes: readonly TableAccess[];
  /** Reads and restarts the gateway ECS service (health-check). */
  managesGateway?: boolean;
  /** Triggered by the bridge's OrderFilled / PositionChanged events (position-sync). */
  onBridgeEvents?: boolean;
}

export type TableAccess = 'positions' | 'orders' | 'candidates' | 'snapshots' | 'idempotency';

const entry = (name: JobName) => `functions/jobs/${name}.ts`;

/** Every 5 minutes from 09:30 to 15:55 New York time: two crons, since 09:00-09:25 is before the open. */
const everyFiveMinutesInMarketHours = (what: string): JobSchedule[] => [
  { label: 'open', minute: '30-55/5', hour: '9', description: `${what} every 5 min, 09:30-09:55` },
  { label: 'day', minute: '0-55/5', hour: '10-15', description: `${what} every 5 min, 10:00-15:55` },
];

export const JOBS: readonly JobSpec[] = [
  {
    name: 'load-historical-data',
    entry: entry('load-historical-data'),
    priority: 10,
    schedules: [{ label: 'daily', minute: '0', hour: '8', description: 'daily bars and historical IV' }],
    // Historical requests are paced by IB (one identical request per 15 s, 60 per 10 min).
    timeoutSeconds: 600,
    memoryMiB: 512,
    retry: 'modest',
    maxEventAgeMinutes: 60,
    usesBridge: true,
    reads: ['snapshots'],
    writes: ['snapshots'],
  },
  {
    name: 'position-sync',
    entry: entry('position-sync'),
    priority: 15,
    schedules: [
      {
        label: 'pre-market',
        minute: '0',
        hour: '8',
        description: 'IB positions and executions before the open',
      },
      { label: 'post-market', minute: '15', hour: '16', description: 'final state of the day' },
    ],
    timeoutSeconds: 120,
    memoryMiB: 512,
    retry: 'modest',
    maxEventAgeMinutes: 30,
    usesBridge: true,
    reads: ['positions', 'orders'],
    writes: ['positions', 'orders'],
    onBridgeEvents: true,
  },
  {
    name: 'validate-ib-connection',
    entry: entry('validate-ib-connection'),
    priority: 20,
    schedules: [
      { label: 'daily', minute: '45', hour: '8', description: 'account, mode, permissions, farms' },
    ],
    timeoutSeconds: 60,
    memoryMiB: 256,
    retry: 'modest',
    maxEventAgeMinutes: 30,
    usesBridge: true,
    reads: [],
    writes: [],
  },
  {
    name: 'strategy-analysis',
    entry: entry('strategy-analysis'),
    priority: 25,
    schedules: [
      { label: 'daily', minute: '45', hour: '9', description: 'chains and quotes to scored candidates' },
    ],
    // Up to 600 option quotes per underlying through 90 market-data lines, then scoring: CPU and time.
    timeoutSeconds: 600,
    memoryMiB: 1024,
    retry: 'modest',
    // Must finish before execute-strategies reads the candidates at 10:00.
    maxEventAgeMinutes: 10,
    usesBridge: true,
    reads: ['positions', 'candidates'],
    writes: ['candidates'],
  },
  {
    name: 'execute-strategies',
    entry: entry('execute-strategies'),
    priority: 26,
    schedules: [
      { label: 'daily', minute: '0', hour: '10', description: 'orders for candidates ≥ min score' },
    ],
    timeoutSeconds: 300,
    memoryMiB: 512,
    retry: 'none',
    maxEventAgeMinutes: 1,
    usesBridge: true,
    placesOrders: true,
    reads: ['candidates', 'positions', 'orders', 'snapshots', 'idempotency'],
    writes: ['positions', 'orders', 'idempotency'],
  },
  {
    name: 'collect-option-data',
    entry: entry('collect-option-data'),
    priority: 30,
    schedules: everyFiveMinutesInMarketHours('chain metrics'),
    // Shorter than the 5-minute period: two collections never overlap.
    timeoutSeconds: 240,
    memoryMiB: 512,
    retry: 'modest',
    maxEventAgeMinutes: 4,
    usesBridge: true,
    reads: ['snapshots'],
    writes: ['snapshots'],
  },
  {
    name: 'collect-futures-data',
    entry: entry('collect-futures-data'),
    priority: 31,
    schedules: everyFiveMinutesInMarketHours('ES/NQ quotes'),
    timeoutSeconds: 120,
    memoryMiB: 256,
    retry: 'modest',
    maxEventAgeMinutes: 4,
    usesBridge: true,
    reads: ['snapshots'],
    writes: ['snapshots'],
  },
  {
    name: 'monitor',
    entry: entry('monitor'),
    priority: 32,
    schedules: everyFiveMinutesInMarketHours('positions, P&L and exit rules'),
    timeoutSeconds: 240,
    memoryMiB: 512,
    retry: 'none',
    maxEventAgeMinutes: 1,
    usesBridge: true,
    placesOrders: true,
    reads: ['positions', 'orders', 'snapshots'],
    writes: ['positions', 'orders', 'snapshots'],
  },
  {
    name: 'daily-statistics',
    entry: entry('daily-statistics'),
    priority: 40,
    schedules: [{ label: 'daily', minute: '30', hour: '16', description: 'P&L, win rate, exposure' }],
    timeoutSeconds: 120,
    memoryMiB: 512,
    retry: 'modest',
    maxEventAgeMinutes: 60,
    usesBridge: true,
    reads: ['positions', 'orders', 'snapshots'],
    writes: [],
  },
  {
    name: 'validate-data-quality',
    entry: entry('validate-data-quality'),
    priority: 50,
    schedules: [
      { label: 'daily', minute: '0', hour: '18', description: 'gaps and staleness in collected data' },
    ],
    timeoutSeconds: 120,
    memoryMiB: 512,
    retry: 'modest',
    maxEventAgeMinutes: 60,
    usesBridge: false,
    reads: ['snapshots'],
    writes: [],
  },
  {
    name: 'health-check',
    entry: entry('health-check'),
    priority: 100,
    // Every hour of every day, weekends included (its handler's calendar gate is 'always'): a gateway that
    // died on Saturday, or did not come back after Sunday's weekly re-login, is known before Monday's open.
    schedules: [
      {
        label: 'hourly',
        minute: '0',
        hour: '*',
        days: 'every-day',
        description: 'bridge and gateway service health',
      },
    ],
    timeoutSeconds: 120,
    memoryMiB: 256,
    retry: 'modest',
    maxEventAgeMinutes: 30,
    usesBridge: true,
    reads: ['orders'],
    writes: [],
    managesGateway: true,
  },
  {
    name: 'verify-positions',
    entry: entry('verify-positions'),
    priority: 15,
    // On demand only (console or CLI invoke).
    schedules: [],
    timeoutSeconds: 300,
    memoryMiB: 512,
    retry: 'modest',
    maxEventAgeMinutes: 60,
    usesBridge: true,
    // Reconciles positions with IB only; it never reads or writes order intents.
    reads: ['positions'],
    writes: ['positions'],
  },
];

/**
 * The jobs whose handler entry exists in the repository and is deployed. NodejsFunction bundles the
 * entry at synth, so a job listed above whose handler is not written yet would break `cdk synth`: such a
 * job stays out of this set ("pending"), keeps its row (and its README line), and gets no function, no
 * schedule and no alarm. Adding a handler means adding its name here, deliberately, not a filesystem
 * probe that would deploy whatever half-written file happens to exist.
 */
// Every job has its handler now; to hold one back, list the others here instead.
export const IMPLEMENTED_JOBS: ReadonlySet<JobName> = new Set<JobName>(JOB_NAMES);
