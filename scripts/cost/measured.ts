// What the estimate cannot read from the template: how long each job runs, how much it logs and alerts,
// what it stores. MEASURED_DAY is one `npm start` day (the normal scenario, seed 1, simulated 2026-06-01),
// measured 2026-12-03 on the shared 2-core development machine with:
//
//   POWERTOOLS_LOG_LEVEL=INFO POWERTOOLS_METRICS_DISABLED=false npm start > out/day.log
//   npx tsx scripts/cost/measure.ts out/summary.json out/day.log
//
// Durations are the handlers' real milliseconds against the local bridge and DynamoDB Local; in Lambda
// the network is slower and the CPU share of 256–1024 MB is smaller, so treat them as a lower bound (the
// two long jobs, strategy-analysis and execute-strategies, wait mostly on the bridge's IB pacing, which
// is the same there). Log bytes are the Powertools JSON and EMF lines plus CloudWatch's 26 bytes an event.
// VOLUMES are the rest: not measurable without AWS, each says why it is what it is.

export interface MeasuredJob {
  /** Runs in the walked day: the scheduled ones (the template decides how many a month) and the event ones. */
  scheduledRunsPerDay: number;
  eventRunsPerDay: number;
  meanDurationMs: number;
  logBytesPerRun: number;
  /** Distinct custom metrics (EMF) a run emits. */
  metricsPerRun: number;
}

export interface MeasuredDay {
  date: string;
  jobs: Record<string, MeasuredJob>;
  alertsPerDay: Record<'INFO' | 'WARNING' | 'CRITICAL', number>;
  candidatesStoredPerDay: number;
  candidateArchiveBytesPerDay: number;
}

export const MEASURED_ON = '2026-12-03';

const job = (
  scheduledRunsPerDay: number,
  eventRunsPerDay: number,
  meanDurationMs: number,
  logBytesPerRun: number,
): MeasuredJob => ({
  scheduledRunsPerDay,
  eventRunsPerDay,
  meanDurationMs,
  logBytesPerRun,
  metricsPerRun: 1,
});

export const MEASURED_DAY: MeasuredDay = {
  date: '2026-06-01',
  jobs: {
    'load-historical-data': job(1, 0, 2152, 1145),
    'position-sync': job(2, 1, 467, 1251),
    // npm start walks the health check hourly; the template's schedule (every 10 min) sets the count.
    'health-check': job(11, 0, 961, 1000),
    'validate-ib-connection': job(1, 0, 308, 1150),
    'collect-option-data': job(78, 0, 552, 1092),
    'collect-futures-data': job(78, 0, 177, 1110),
    monitor: job(78, 0, 240, 1061),
    'strategy-analysis': job(1, 0, 75_762, 1751),
    'execute-strategies': job(1, 0, 35_595, 2540),
    'daily-statistics': job(1, 0, 61, 1619),
    'validate-data-quality': job(1, 0, 153, 1183),
    'verify-positions': job(1, 0, 14, 1187),
  },
  alertsPerDay: { INFO: 3, WARNING: 1, CRITICAL: 0 },
  candidatesStoredPerDay: 6150,
  candidateArchiveBytesPerDay: 6_121_939,
};

export const VOLUMES = {
  /** Lambda's own START, END and REPORT lines an invocation (≈ 110 + 80 + 200 bytes with overhead). */
  lambdaPlatformLogBytesPerRun: 390,
  /**
   * The gateway task's two containers: IB Gateway/IBC's log and the bridge's JSON request log at INFO.
   * Not run by npm start (the bridge logs silently there); 20 MB a day is a generous guess.
   */
  gatewayLogBytesPerDay: 20_000_000,
  /** Rejected-flow records of the VPC flow log: internet scanners probing the public task, ≈ 1 MB a day. */
  flowLogBytesPerDay: 1_000_000,
  /** Bytes through the interface endpoints (SNS publishes, secret reads, ECS describes): well under 1 GB. */
  interfaceEndpointGbPerMonth: 0.1,
  /** Through a NAT gateway, if the template has one: the Lambdas' AWS API and bridge traffic. */
  natGatewayGbPerMonth: 1,
  /** A stored candidate with its breakdown (table + byScore index, projection ALL: written twice). */
  candidateItemBytes: 2000,
  /** Writes and reads of a run besides the candidates: config read, run record, snapshots, intents. */
  writeUnitsPerRun: 5,
  readUnitsPerRun: 10,
  /** Candidates expire after 30 days (≈ 21 trading days held); snapshots and the rest are small. */
  candidateDaysHeld: 21,
  otherStoredGb: 0.1,
} as const;

export type Volumes = typeof VOLUMES;
