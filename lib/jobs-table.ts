// The one list of Lambda jobs: what the stack deploys, how each is scheduled, and how hard a failed run is
// retried. The times, days and priorities come from functions/core/schedule.ts (runtime-safe data the
// health check's watchman reads too), so there is one copy; the README's job table mirrors it by hand.
import type { JobName } from '#core/config';
import { JOB_TIMINGS } from '#core/schedule';
import type { JobSchedule, JobTiming } from '#core/schedule';

export type { JobSchedule } from '#core/schedule';

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
  /** Bridge queue priority (lower = more urgent), from functions/core/schedule.ts. */
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
   * execute-strategies and monitor, and gateway-hours (it cancels what still works when the gateway
   * stops); every other job can read from the bridge but never trade.
   */
  placesOrders?: boolean;
  /** Tables the job reads and writes beyond what every job does (read config, read/write alert state). */
  reads: readonly TableAccess[];
  writes: readonly TableAccess[];
  /** Reads and restarts the gateway ECS service (health-check), or starts and stops it (gateway-hours). */
  managesGateway?: boolean;
  /** Deployed only with this deploy setting (functions/core/schedule.ts); default always. */
  deployedWith?: JobTiming['deployedWith'];
  /** Triggered by the bridge's OrderFilled / PositionChanged events (position-sync). */
  onBridgeEvents?: boolean;
}

export type TableAccess = 'positions' | 'orders' | 'candidates' | 'snapshots' | 'idempotency';

const entry = (name: JobName) => `functions/jobs/${name}.ts`;
/** The job's priority and schedules, from the one schedule table. */
const timing = (name: JobName) => ({
  priority: JOB_TIMINGS[name].priority,
  schedules: JOB_TIMINGS[name].schedules,
  ...(JOB_TIMINGS[name].deployedWith ? { deployedWith: JOB_TIMINGS[name].deployedWith } : {}),
});

export const JOBS: readonly JobSpec[] = [
  {
    name: 'load-historical-data',
    entry: entry('load-historical-data'),
    ...timing('load-historical-data'),
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
    ...timing('position-sync'),
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
    ...timing('validate-ib-connection'),
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
    ...timing('strategy-analysis'),
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
    ...timing('execute-strategies'),
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
    ...timing('collect-option-data'),
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
    ...timing('collect-futures-data'),
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
    ...timing('monitor'),
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
    ...timing('daily-statistics'),
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
    ...timing('validate-data-quality'),
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
    // Every 10 minutes of every day (functions/core/schedule.ts says why).
    ...timing('health-check'),
    timeoutSeconds: 120,
    memoryMiB: 256,
    retry: 'modest',
    // No older than the next run: a late check is replaced by the next one.
    maxEventAgeMinutes: 10,
    usesBridge: true,
    reads: ['orders'],
    writes: [],
    managesGateway: true,
  },
  {
    name: 'verify-positions',
    entry: entry('verify-positions'),
    ...timing('verify-positions'),
    timeoutSeconds: 300,
    memoryMiB: 512,
    retry: 'modest',
    maxEventAgeMinutes: 60,
    usesBridge: true,
    // Reconciles positions with IB only; it never reads or writes order intents.
    reads: ['positions'],
    writes: ['positions'],
  },
  {
    name: 'gateway-hours',
    entry: entry('gateway-hours'),
    // 07:30 and 18:30 on weekdays, only with -c gatewayHours=market: the calendar decides in the handler.
    ...timing('gateway-hours'),
    // The stop waits up to STOP_WAIT_MINUTES (5) for working orders, then cancels them.
    timeoutSeconds: 480,
    memoryMiB: 256,
    retry: 'modest',
    maxEventAgeMinutes: 15,
    usesBridge: true,
    // Cancels the orders still working when the gateway stops (an order must not outlive its gateway).
    placesOrders: true,
    reads: [],
    writes: [],
    managesGateway: true,
  },
];
