// `npm start`: simulated trading days through the real job handlers, with no AWS and no IB account.
//
// Starts the local stack (DynamoDB Local, the TWS-protocol simulator, the bridge), walks the job
// schedule from 08:00 New York (position-sync pre-market, strategy-analysis 09:45,
// execute-strategies 10:00 on the paper account, monitor every 5 minutes until the close,
// position-sync 16:15, ...) by jumping the simulator's clock from one run to the next, prints a line
// per run, and writes out/summary.json and out/report.html. `--days N` walks N trading days on the same
// stack (the night between: expiries settle, IB Gateway restarts at 23:45) and checks five counts after
// each day (scripts/report/reconcile.ts).
//
//   npm start                                   # the normal day
//   npm start -- --days 20                      # twenty trading days, checked after each
//   npm start -- --faults my-faults.json        # a fault script in the simulator's format
//   npm start -- --scenario sell-off --seed 7   # a named fault scenario
//   npm start -- --help                         # the scenarios and flags
//
// Jobs are picked up by file as they are written: a job without a handler yet is listed as "not
// available yet"; a job that exists and throws fails the run (exit code 1).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nextTradingDay, nyDate, nyTimeToEpoch, sessionFor } from '../functions/core/calendar';
import type { MarketCalendar } from '../functions/core/calendar';
import { JOB_TIMINGS } from '../functions/core/schedule';
import { expectedFiresOn } from '../functions/core/watchman';
import { JOB_NAMES, parseConfig } from '../functions/core/config';
import type { JobName } from '../functions/core/config';
import type { AlertSeverity, IsoDate } from '../functions/core/types';
import type { BridgeEvent } from '../gateway-container/bridge/contract';
import type { ScheduledFault } from '../gateway-container/simulator/server/faults';
import {
  bridgeEventEnvelope,
  DEFAULT_DATE,
  hideSdkNodeVersionWarning,
  loadJob,
  REPO_ROOT,
  scheduledEvent,
  startLocalStack,
} from './local/stack';
import type { LocalStack, LocalStackOptions } from './local/stack';
import {
  clockTime,
  faultScriptFile,
  firstTradingDay,
  minutesStep,
  numberAbove,
  oneOf,
  parseFlags,
  UsageError,
  wholeNumber,
  wholeNumberIn,
} from './args';
import { writeOutputs } from './report/outputs';
import { consistencyChecks, SCENARIOS } from './scenarios/index';
import type { Scenario, ScenarioContext } from './scenarios/index';
import { brokerBook, checksClean, equityPoint, reconcile } from './report/reconcile';
import { collectDayRecords } from './report/day-records';
import { hhmm } from './report/summary';
import type { DayChecks, DaySummary, RunRecord, RunStatus, RunSummary } from './report/summary';

// ---------------------------------------------------------------------------------------------------
// The schedule (functions/core/schedule.ts, walked as the day's runs)
// ---------------------------------------------------------------------------------------------------

export interface ScheduledRun {
  /** New York HH:MM. */
  time: string;
  job: JobName;
  /** The schedule table's priority: orders runs at the same minute. */
  priority: number;
  label?: string;
  /** The schedule's `detail`: a payload the handler validates like a manual one. */
  payload?: Record<string, unknown>;
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

export interface ScheduleOptions {
  date: IsoDate;
  calendar: MarketCalendar;
  /** Minutes between data-collection runs (the schedule says 5). */
  collectEveryMinutes?: number;
  /** Minutes between monitor runs (the schedule says 5). */
  monitorEveryMinutes?: number;
  /** Last time of the day to run anything (a shortened day for tests). */
  until?: string;
  /** strategy-analysis `maxQuotes` (option quotes per underlying); undefined leaves the job's default. */
  analysisMaxQuotes?: number;
}

/**
 * The day's runs in order, by time then priority: the schedule table (functions/core/schedule.ts), the
 * fires each job's calendar gate lets run (a fire the handler would skip, such as 15:55 on a 13:00 early
 * close, is left out rather than walked). Three local differences, each to keep a simulated day short or
 * complete: `--collect-every`/`monitorEveryMinutes` thin the 5-minute jobs; health-check runs on the hour
 * 08:00-18:00 (every 10 minutes, every day, in AWS); verify-positions, on demand in AWS, runs once at
 * 18:05 as the day's reconciliation report.
 */
export function daySchedule(options: ScheduleOptions): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  const open = sessionFor(options.date, options.calendar)?.open;
  for (const job of JOB_NAMES) {
    const timing = JOB_TIMINGS[job];
    for (const schedule of timing.schedules) {
      const fires = expectedFiresOn(options.date, { ...timing, schedules: [schedule] }, options.calendar);
      // A job with several once-a-day schedules names each run (position-sync pre-market, post-market).
      const label = timing.schedules.length > 1 && fires.length === 1 ? schedule.label : undefined;
      for (const at of fires) {
        const time = hhmm(at);
        const every =
          job === 'monitor'
            ? options.monitorEveryMinutes
            : job.startsWith('collect-')
              ? options.collectEveryMinutes
              : undefined;
        if (every && open !== undefined && Math.round((at - open) / 60_000) % every !== 0) continue;
        if (job === 'health-check' && (!time.endsWith(':00') || time < '08:00' || time > '18:00')) continue;
        const payload =
          job === 'strategy-analysis' && options.analysisMaxQuotes !== undefined
            ? { maxQuotes: options.analysisMaxQuotes }
            : undefined;
        runs.push({
          time,
          job,
          priority: timing.priority,
          ...(label ? { label } : {}),
          ...(payload ? { payload } : {}),
        });
      }
    }
  }
  // On demand in production; once at the end here, as the day's reconciliation report (no repair).
  runs.push({
    time: '18:05',
    job: 'verify-positions',
    priority: JOB_TIMINGS['verify-positions'].priority,
    label: 'end-of-day report',
  });
  const until = options.until ? minutesOf(options.until) : Number.POSITIVE_INFINITY;
  return runs
    .filter((r) => minutesOf(r.time) <= until)
    .sort((a, b) => minutesOf(a.time) - minutesOf(b.time) || a.priority - b.priority);
}

// ---------------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------------

export interface StartArgs {
  scenario: string;
  seed: number;
  /** Absent: the scenario's own first day, else DEFAULT_DATE. */
  date?: IsoDate;
  /** Set when --date was a weekend or holiday and the run starts on the next trading day. */
  dateNote?: string;
  days: number;
  faults?: ScheduledFault[];
  faultsFile?: string;
  speed: number;
  outDir: string;
  until?: string;
  collectEvery: number;
  verbose: boolean;
  help: boolean;
}

// The scenarios moved to scripts/scenarios/index.ts; their names stay importable from here.
export { consistencyChecks, SCENARIOS, shockUnderlying } from './scenarios/index';
export type { Scenario, ScenarioContext, ScenarioEvent } from './scenarios/index';

// One usage error class for the three local scripts (scripts/args.ts); re-exported under its old name.
export { UsageError };

// What the README and --help document; each value is checked by the shared validators of scripts/args.ts.
const START_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  scenario: { type: 'string' },
  seed: { type: 'string' },
  date: { type: 'string' },
  days: { type: 'string' },
  faults: { type: 'string' },
  speed: { type: 'string' },
  until: { type: 'string' },
  'collect-every': { type: 'string' },
  out: { type: 'string' },
} as const;

export function parseStartArgs(argv: readonly string[]): StartArgs {
  const { values } = parseFlags(argv, START_OPTIONS);
  const date = values.date === undefined ? undefined : firstTradingDay('--date', values.date);
  const script = values.faults === undefined ? undefined : faultScriptFile('--faults', values.faults);
  return {
    scenario:
      values.scenario === undefined ? 'normal' : oneOf('scenario', values.scenario, Object.keys(SCENARIOS)),
    seed: values.seed === undefined ? 1 : wholeNumber('--seed', values.seed),
    ...(date ? { date: date.date } : {}),
    ...(date?.note ? { dateNote: date.note } : {}),
    days: values.days === undefined ? 1 : wholeNumberIn('--days', values.days, 1, MAX_DAYS),
    ...(script ? { faults: script.faults, faultsFile: script.file } : {}),
    speed: values.speed === undefined ? 1 : numberAbove('--speed', values.speed, 0, 1000),
    outDir: resolve(values.out ?? resolve(REPO_ROOT, 'out')),
    ...(values.until === undefined ? {} : { until: clockTime('--until', values.until) }),
    collectEvery:
      values['collect-every'] === undefined
        ? 5
        : minutesStep('--collect-every', values['collect-every'], 5, 60),
    verbose: values.verbose ?? false,
    help: values.help ?? false,
  };
}

export function helpText(): string {
  const width = Math.max(...Object.keys(SCENARIOS).map((n) => n.length));
  return [
    'npm start [-- options]: simulated trading days through the real job handlers (no AWS, no IB account).',
    '',
    'Options:',
    '  --scenario NAME   a named fault scenario (default normal)',
    '  --seed N          market seed; the same seed replays the same day (default 1)',
    `  --date YYYY-MM-DD the first trading day (default ${DEFAULT_DATE}; a weekend or holiday moves to the next one)`,
    `  --days N          consecutive trading days on one stack, checked after each (default 1, at most ${MAX_DAYS})`,
    "  --faults FILE     a fault script in the simulator's format (a JSON list; see the README)",
    '  --speed N         simulator ms per real ms while a job runs (default 1; the clock jumps between runs)',
    '  --until HH:MM     stop the day early (New York time)',
    '  --collect-every N minutes between data-collection runs (default 5, as scheduled in AWS)',
    '  --out DIR         where summary.json and report.html go (default out/)',
    "  --verbose         the jobs' own JSON logs too",
    '',
    'Scenarios:',
    ...Object.values(SCENARIOS).map((s) => `  ${s.name.padEnd(width)}  ${s.description}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// The day runner
// ---------------------------------------------------------------------------------------------------

/** Option quotes per underlying for the day's analysis: the job's own default (strategy-analysis DEFAULT_MAX_QUOTES). */
export const DEFAULT_ANALYSIS_MAX_QUOTES = 600;

export interface RunDayOptions {
  scenario?: string;
  seed?: number;
  date?: IsoDate;
  speed?: number;
  until?: string;
  /** Where summary.json and report.html go; undefined writes nothing. */
  outDir?: string;
  /** Progress lines; default console.log. */
  write?: (line: string) => void;
  /** Reuse a running DynamoDB (tests); otherwise DynamoDB Local is started and stopped. */
  dynamoEndpoint?: string;
  tablePrefix?: string;
  collectEveryMinutes?: number;
  monitorEveryMinutes?: number;
  /**
   * Option quotes per underlying strategy-analysis asks for (its `maxQuotes`). Each costs three IB
   * messages at IB's 50 per second, as in production; the default keeps the day's analysis to seconds.
   */
  analysisMaxQuotes?: number;
  /** Extra payload fields per job, merged into the schedule's detail (e.g. execute-strategies maxOrders). */
  payloads?: Partial<Record<JobName, Record<string, unknown>>>;
  /** Config sections written over the defaults (and over the scenario's), e.g. a smaller position cap. */
  config?: LocalStackOptions['config'];
  /** Checked between runs; true stops the day early (Ctrl-C). */
  aborted?: () => boolean;
  /** Called with the stack once it is up (Ctrl-C handling stops it). */
  onStack?: (stack: LocalStack) => void;
}

function classify(result: unknown): { status: RunStatus; record: Partial<RunRecord> } {
  if (!result || typeof result !== 'object') return { status: 'ran', record: {} };
  const r = result as Record<string, unknown>;
  const record: Partial<RunRecord> = {};
  if (typeof r.did === 'string') record.did = r.did;
  if (typeof r.skipped === 'string') record.skipped = r.skipped;
  if (typeof r.error === 'string') record.error = r.error;
  if (r.counts && typeof r.counts === 'object') record.counts = r.counts as Record<string, number>;
  if (Array.isArray(r.reasons)) record.reasons = r.reasons.map(String);
  if (record.skipped !== undefined) return { status: 'skipped', record };
  if (r.ok === false) return { status: record.error !== undefined ? 'refused' : 'needs-attention', record };
  return { status: 'ran', record };
}

function summarizeEvents(events: BridgeEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type} ×${n}`).join(', ');
}

function progressLine(run: RunRecord): string {
  const text =
    run.status === 'refused' || run.status === 'failed'
      ? (run.error ?? '')
      : (run.did ?? run.skipped ?? run.error ?? '');
  const status = run.tolerated ? `${run.status}*` : run.status;
  const what = run.label ? `${run.job} (${run.label})` : run.job;
  const took = run.elapsedMs >= 1000 ? ` (${(run.elapsedMs / 1000).toFixed(1)} s)` : '';
  return `${run.time}  ${what.padEnd(34)} ${status.padEnd(15)} ${text}${took}`;
}

/** The most trading days one run walks (about a year of sessions). */
export const MAX_DAYS = 250;
/** IBC restarts IB Gateway every night at 23:45 New York (lib/gateway-service.ts). */
export const NIGHTLY_RESTART_TIME = '23:45';

export interface RunDaysOptions extends RunDayOptions {
  /** Consecutive NYSE trading days from `date` (default 1, at most MAX_DAYS; a scenario may need more). */
  days?: number;
  /** A fault script in the simulator's format (`--faults FILE`), applied at its simulated times. */
  faults?: ScheduledFault[];
}

/** `count` consecutive trading days from `first` (itself a trading day). */
export function tradingDays(first: IsoDate, count: number): IsoDate[] {
  const calendar = parseConfig({}).calendar;
  const days = [first];
  while (days.length < count) days.push(nextTradingDay(days.at(-1) as IsoDate, calendar));
  return days;
}

/** The day a scenario is judged after: its last event's day, or the last day it says it needs. */
export function checkDayOf(scenario: Scenario, dayCount: number): number {
  const lastEvent = Math.max(0, ...(scenario.events ?? []).map((e) => e.day ?? 0));
  return Math.min(dayCount - 1, Math.max(lastEvent, (scenario.days ?? 1) - 1));
}

/** The run's totals: counts are the worst day's (they describe the state, which carries from day to day). */
export function runTotals(days: readonly DaySummary[]): RunSummary['totals'] {
  const closesByRule: Record<string, number> = {};
  const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
  for (const day of days) {
    for (const [rule, n] of Object.entries(day.closesByRule ?? {}))
      closesByRule[rule] = (closesByRule[rule] ?? 0) + n;
    for (const severity of Object.keys(alertCounts) as AlertSeverity[])
      alertCounts[severity] += day.alertCounts[severity];
  }
  const worst = (name: keyof Omit<DayChecks, 'details'>) =>
    Math.max(0, ...days.map((d) => d.checks?.[name] ?? 0));
  return {
    duplicateOrders: worst('duplicateOrders'),
    lostRecords: worst('lostRecords'),
    unreconciledPositions: worst('unreconciledPositions'),
    orphanLegs: worst('orphanLegs'),
    pnlMismatchUsd: worst('pnlMismatchUsd'),
    closesByRule,
    alertCounts,
    realisedUsd: days.at(-1)?.equity?.realisedToDateUsd ?? 0,
  };
}

/** Dollars as a trader writes them: -$672.00, $1,234.50. */
const usd = (x: number) =>
  `${x < 0 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The one-line close of a day in the progress output. */
export function dayCloseLine(day: DaySummary, index: number, count: number): string {
  const c = day.checks;
  const counts = c
    ? `duplicate ${c.duplicateOrders}, lost ${c.lostRecords}, unreconciled ${c.unreconciledPositions}, orphan ${c.orphanLegs}, P&L mismatch ${usd(c.pnlMismatchUsd)}`
    : 'not checked';
  const closes = Object.entries(day.closesByRule ?? {})
    .map(([rule, n]) => `${rule} ×${n}`)
    .join(', ');
  return (
    `${day.date} close (day ${index + 1}/${count}, ${(day.realDurationMs / 1000).toFixed(1)} s): ${counts}; ` +
    `realised today ${usd(day.pnl.realisedUsd)}, to date ${usd(day.equity?.realisedToDateUsd ?? 0)}` +
    (day.equity?.netLiquidation === undefined ? '' : `; net liq ${usd(day.equity.netLiquidation)}`) +
    (closes ? `; closes: ${closes}` : '') +
    (day.completed ? '' : ' — NOT completed')
  );
}

/** One trading day: the day of a run of one (out/summary.json, when written, holds the run). */
export async function runDay(options: RunDayOptions = {}): Promise<DaySummary> {
  return (await runDays({ ...options, days: 1 })).days[0] as DaySummary;
}

/**
 * Walks `days` consecutive trading days on ONE local stack, as they would pass in AWS: the records, the
 * broker's positions and the market carry over; between two days the simulator runs through the night
 * (DAY orders expire, expiries settle at the options close) and IB Gateway restarts at 23:45 as IBC
 * makes it. After every day the five counts (scripts/report/reconcile.ts) compare DynamoDB with the broker.
 */
/** Sets `env` in process.env; returns what puts the previous values back. */
function applyEnv(env: Readonly<Record<string, string>> | undefined): () => void {
  const previous = Object.entries(env ?? {}).map(([name, value]) => {
    const before = process.env[name];
    process.env[name] = value;
    return [name, before] as const;
  });
  return () => {
    for (const [name, before] of previous) {
      if (before === undefined) delete process.env[name];
      else process.env[name] = before;
    }
  };
}

export async function runDays(options: RunDaysOptions = {}): Promise<RunSummary> {
  const scenario = SCENARIOS[options.scenario ?? 'normal'];
  if (!scenario) throw new UsageError(`unknown scenario "${options.scenario}"`);
  const write = options.write ?? ((line: string) => console.log(line));
  const first = options.date ?? scenario.date ?? DEFAULT_DATE;
  const seed = options.seed ?? 1;
  const speed = options.speed ?? 1;
  const calendar = parseConfig({}).calendar;
  if (!sessionFor(first, calendar)) throw new UsageError(`${first} is not a trading day`);
  const asked = options.days ?? 1;
  if (!Number.isInteger(asked) || asked < 1 || asked > MAX_DAYS) {
    throw new UsageError(`--days: expected a whole number from 1 to ${MAX_DAYS}, got "${asked}"`);
  }
  const dayCount = Math.min(MAX_DAYS, Math.max(asked, scenario.days ?? 1));
  const dates = tradingDays(first, dayCount);
  const checkDay = checkDayOf(scenario, dayCount);
  const realStart = Date.now();
  const startedAt = new Date(realStart).toISOString();
  const contextFor = (stack: LocalStack, today: IsoDate): ScenarioContext => ({
    stack,
    date: first,
    today,
    at: (time) => nyTimeToEpoch(first, time),
    log: write,
  });

  // Loading first: a job file that does not load fails the run before anything starts.
  for (const job of JOB_NAMES) await loadJob(job);

  write(`Local stack: DynamoDB Local, simulator (seed ${seed}), bridge …`);
  const stackStart = scenario.start?.(first) ?? nyTimeToEpoch(first, '08:00');
  const stack = await startLocalStack({
    seed,
    speed,
    start: stackStart,
    write: (line) => write(line),
    ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}),
    ...(options.tablePrefix ? { tablePrefix: options.tablePrefix } : {}),
    config: { ...scenario.config, ...options.config },
    ...(options.faults?.length ? { simulator: { faults: options.faults } } : {}),
  });
  options.onStack?.(stack);
  // "Since the start": the broker's book before anything happened (a scenario's set-up included).
  const baseline = brokerBook(stack.simulator);
  const from = nyDate(stackStart);
  const days: DaySummary[] = [];
  const restoreEnv = applyEnv(scenario.env);
  try {
    write(
      `Scenario ${scenario.name}: ${scenario.description}\n` +
        `Trading days: ${dates.length === 1 ? first : `${dates.length} from ${first} to ${dates.at(-1)}`}` +
        (dayCount > asked ? ` (the scenario needs ${dayCount})` : ''),
    );
    await scenario.setup?.(contextFor(stack, first));

    const pendingEvents: BridgeEvent[] = [];
    stack.onBridgeEvent((event) => pendingEvents.push(event));
    let alertsSeen = 0;
    let ordersSeen = new Set<number>();
    let peak: number | undefined;
    let interrupted = false;

    for (const [index, date] of dates.entries()) {
      const dayStartReal = Date.now();
      const ctx = contextFor(stack, date);
      const at = (time: string) => nyTimeToEpoch(date, time);
      const events = (scenario.events ?? []).filter((e) => (e.day ?? 0) === index);
      const runs: RunRecord[] = [];
      const problems: string[] = [];
      if (dates.length > 1) write(`\n── ${date} (day ${index + 1} of ${dates.length}) ──`);

      const execute = async (
        job: JobName,
        event: unknown,
        meta: Pick<RunRecord, 'trigger'> & { label?: string },
      ): Promise<RunRecord> => {
        const startedAtSim = stack.clock.now();
        const base = {
          at: startedAtSim,
          time: hhmm(startedAtSim),
          job,
          trigger: meta.trigger,
          ...(meta.label ? { label: meta.label } : {}),
          bridge: stack.bridge.connection.state,
        };
        let record: RunRecord;
        try {
          const outcome = await stack.invoke(job, event);
          const { status, record: fields } = classify(outcome.result);
          record = { ...base, ...fields, status, elapsedMs: outcome.elapsedMs };
        } catch (error) {
          record = {
            ...base,
            status: 'failed',
            error: error instanceof Error ? error.message : String(error),
            elapsedMs: 0,
          };
        }
        const tolerated =
          record.status === 'failed' || record.status === 'refused' ? scenario.tolerate?.(record) : undefined;
        if (tolerated) record.tolerated = tolerated;
        else if (record.status === 'failed') problems.push(`${record.time} ${job} failed: ${record.error}`);
        else if (record.status === 'refused')
          problems.push(`${record.time} ${job} refused to run: ${record.error}`);
        return record;
      };
      const report = (record: RunRecord) => {
        runs.push(record);
        write(progressLine(record));
      };

      // Fill and position events reach position-sync at once (EventBridge in AWS), between scheduled runs.
      const drainEvents = async () => {
        if (pendingEvents.length === 0) return;
        const batch = pendingEvents.splice(0);
        const firstEvent = batch.find((e) => e.type === 'OrderFilled') ?? (batch[0] as BridgeEvent);
        report(
          await execute('position-sync', bridgeEventEnvelope(firstEvent, stack.clock.now()), {
            trigger: 'event',
            label: `event: ${summarizeEvents(batch)}`,
          }),
        );
      };

      // The gateway's reconnect backoff runs on real timers while the day jumps minutes at a time: give
      // the bridge the few real seconds it would have had, once the gateway accepts connections again.
      const settleBridge = async (timeoutMs = 5000) => {
        const { restartUntil, loginPending } = stack.simulator.faults.state();
        // Restarting, or waiting for a login's second factor: nothing to wait for.
        const gatewayDown = loginPending || (restartUntil !== undefined && restartUntil > stack.clock.now());
        if (!gatewayDown && stack.bridge.connection.state !== 'ready') {
          await stack.bridge.ready(timeoutMs).catch(() => undefined);
        }
      };

      const schedule = daySchedule({
        date,
        calendar,
        ...(options.collectEveryMinutes ? { collectEveryMinutes: options.collectEveryMinutes } : {}),
        ...(options.monitorEveryMinutes ? { monitorEveryMinutes: options.monitorEveryMinutes } : {}),
        ...(options.until ? { until: options.until } : {}),
        analysisMaxQuotes: options.analysisMaxQuotes ?? DEFAULT_ANALYSIS_MAX_QUOTES,
      });
      // Scenario events first, then the runs of each minute. Runs of the same minute start together, as
      // their schedules would start separate Lambdas in AWS; the bridge's queue orders them by priority.
      const minutes = [...new Set([...events.map((e) => e.time), ...schedule.map((r) => r.time)])]
        .filter((time) => !options.until || minutesOf(time) <= minutesOf(options.until))
        .sort((a, b) => minutesOf(a) - minutesOf(b));

      let completed = true;
      for (const [n, time] of minutes.entries()) {
        if (options.aborted?.()) {
          completed = false;
          interrupted = true;
          problems.push('stopped before the end of the day (interrupted)');
          break;
        }
        stack.clock.advanceTo(at(time));
        if (n === 0 && index > 0) {
          // After the nightly restart: the morning's first run needs the bridge back on the gateway.
          await settleBridge(20_000);
          const state = stack.bridge.connection.state;
          write(
            `${time}  bridge ${state === 'ready' ? 'reconnected after the nightly restart' : `NOT ready (${state})`}`,
          );
          if (state !== 'ready')
            problems.push(`${time} the bridge was not ready after the nightly restart (${state})`);
        }
        for (const event of events.filter((e) => e.time === time)) {
          write(`${time}  scenario: ${event.label}`);
          await event.apply(ctx);
        }
        await drainEvents();
        await settleBridge();
        const due = schedule.filter((r) => r.time === time);
        const records = await Promise.all(
          due.map((run) =>
            execute(
              run.job,
              scheduledEvent(stack.clock.now(), { ...run.payload, ...options.payloads?.[run.job] }),
              {
                trigger: 'schedule',
                ...(run.label ? { label: run.label } : {}),
              },
            ),
          ),
        );
        for (const record of records) report(record);
      }
      if (completed) await drainEvents();

      // Let the last fills and events land before reading the records.
      await new Promise((done) => setTimeout(done, 100));
      const { minScoreFallback: _fallback, ...records } = await collectDayRecords({
        stores: stack.stores,
        simulator: stack.simulator,
        tradeDate: date,
        dayStart: at('00:00'),
      });
      const reconciliation = await reconcile({
        stores: stack.stores,
        simulator: stack.simulator,
        from,
        date,
        baseline,
      });
      const equity = equityPoint(date, reconciliation, peak);
      peak = Math.max(peak ?? equity.netLiquidation!, equity.netLiquidation!);
      const alerts = stack.alerts.slice(alertsSeen);
      alertsSeen = stack.alerts.length;
      const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
      for (const alert of alerts) alertCounts[alert.severity]++;
      const summary: DaySummary = {
        scenario: { name: scenario.name, description: scenario.description },
        seed,
        date,
        speed,
        startedAt: new Date(dayStartReal).toISOString(),
        realDurationMs: 0,
        completed,
        problems,
        runs,
        // Whatever the day's records hold (closes by rule, chosen candidates, ... as they are added).
        ...records,
        alerts,
        alertCounts,
        expectations: [],
        checks: reconciliation.checks,
        equity,
      };
      // The consistency checks judge the day's own broker orders (earlier days' are the counts' business).
      const newOrders = summary.simulator.orders.filter((o) => !ordersSeen.has(o.orderId));
      ordersSeen = new Set(summary.simulator.orders.map((o) => o.orderId));
      const judged =
        index === checkDay ? await scenario.check?.(summary, ctx, [...days, summary]) : undefined;
      summary.expectations = [
        ...(judged ?? []),
        ...consistencyChecks({ ...summary, simulator: { ...summary.simulator, orders: newOrders } }),
      ];
      for (const e of summary.expectations.filter((x) => x.status === 'not met')) {
        problems.push(`scenario check not met: ${e.description}${e.detail ? ` (${e.detail})` : ''}`);
      }
      if (!checksClean(reconciliation.checks)) {
        problems.push(`the day's checks are not all 0: ${reconciliation.checks.details.join('; ')}`);
      }
      summary.completed = completed && problems.length === 0;
      summary.realDurationMs = Date.now() - dayStartReal;
      days.push(summary);
      write(dayCloseLine(summary, index, dates.length));
      if (interrupted) break;

      if (index < dates.length - 1) {
        // The night: DAY orders expire and expiries settle as the clock passes the options close; IBC
        // restarts the gateway at 23:45 and the bridge reconnects on its own once it is back.
        stack.clock.advanceTo(at(NIGHTLY_RESTART_TIME));
        stack.simulator.faults.restart();
        await waitUntil(() => stack.bridge.connection.state !== 'ready', 5000);
        write(
          `${NIGHTLY_RESTART_TIME}  IB Gateway nightly restart (IBC): bridge ${stack.bridge.connection.state}`,
        );
      }
    }

    const run: RunSummary = {
      source: 'local',
      scenario: { name: scenario.name, description: scenario.description },
      seed,
      from: first,
      to: days.at(-1)?.date ?? first,
      startedAt,
      realDurationMs: Date.now() - realStart,
      completed: !interrupted && days.length === dates.length && days.every((d) => d.completed),
      problems: days.flatMap((d) => d.problems.map((p) => `${d.date}: ${p}`)),
      days,
      totals: runTotals(days),
    };
    if (options.outDir) writeOutputs(run, options.outDir);
    return run;
  } finally {
    restoreEnv();
    await stack.stop();
  }
}

/** Polls `done` every 20 real ms until it holds or `timeoutMs` passes. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
  return true;
}

export function closingLines(summary: DaySummary): string[] {
  const lines = [
    '',
    `Day ${summary.date} (${summary.scenario.name}) ${summary.completed ? 'completed' : 'did NOT complete'} in ${(summary.realDurationMs / 1000).toFixed(1)} s`,
    `  candidates: ${summary.candidates.count} scored, ${summary.candidates.eligible} eligible` +
      (summary.candidates.top[0]
        ? `, top ${summary.candidates.top
            .slice(0, 3)
            .map((c) => `${c.symbol} ${c.strategy} ${c.score.toFixed(1)}`)
            .join(', ')}`
        : ''),
    `  orders: ${summary.orderCounts.intents} intents, ${summary.orderCounts.placed} placed, ${summary.orderCounts.filled} filled, ${summary.orderCounts.rejected} rejected, ${summary.orderCounts.cancelled} cancelled`,
    `  positions: ${summary.positions.filter((p) => p.status === 'OPEN').length} open, ${summary.positions.filter((p) => p.status === 'CLOSED').length} closed today; broker legs: ${summary.simulator.positions.length}`,
    `  P&L: realised $${summary.pnl.realisedUsd.toFixed(2)}, unrealised $${summary.pnl.unrealisedMidUsd.toFixed(2)} (mid)`,
    `  alerts: ${summary.alertCounts.CRITICAL} critical, ${summary.alertCounts.WARNING} warning, ${summary.alertCounts.INFO} info`,
  ];
  for (const e of summary.expectations)
    lines.push(`  [${e.status}] ${e.description}${e.detail ? ` – ${e.detail}` : ''}`);
  for (const p of summary.problems) lines.push(`  PROBLEM: ${p}`);
  return lines;
}

/** What `npm start` prints at the end: the last day in full (one day) or the run's totals (many). */
export function runClosingLines(run: RunSummary): string[] {
  const last = run.days.at(-1) as DaySummary | undefined;
  const t = run.totals;
  const lines: string[] = [];
  if (run.days.length === 1 && last) lines.push(...closingLines(last));
  else {
    lines.push(
      '',
      `Run ${run.from} to ${run.to} (${run.days.length} trading days, ${run.scenario.name}) ${run.completed ? 'completed' : 'did NOT complete'} in ${(run.realDurationMs / 1000).toFixed(1)} s`,
      `  realised since the start: ${usd(t.realisedUsd)}; alerts: ${t.alertCounts.CRITICAL} critical, ${t.alertCounts.WARNING} warning, ${t.alertCounts.INFO} info`,
    );
    for (const day of run.days)
      for (const e of day.expectations.filter(
        (x) => x.status !== 'met' || !/^(every order|the broker has|open positions')/.test(x.description),
      ))
        lines.push(`  ${day.date} [${e.status}] ${e.description}${e.detail ? ` – ${e.detail}` : ''}`);
    for (const p of run.problems) lines.push(`  PROBLEM: ${p}`);
  }
  const closes = Object.entries(t.closesByRule)
    .map(([rule, n]) => `${rule} ×${n}`)
    .join(', ');
  lines.push(
    `  checks (worst day): duplicateOrders ${t.duplicateOrders}, lostRecords ${t.lostRecords}, unreconciledPositions ${t.unreconciledPositions}, orphanLegs ${t.orphanLegs}, pnlMismatchUsd ${t.pnlMismatchUsd.toFixed(2)}`,
    `  closes by rule: ${closes || 'none'}`,
  );
  return lines;
}

/** Keeps the jobs' Powertools JSON logs and metrics out of the progress lines (--verbose keeps them). */
export function quietJobLogs(verbose: boolean): void {
  if (verbose) return;
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
}

async function main(argv: string[]): Promise<number> {
  let args: StartArgs;
  try {
    args = parseStartArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`npm start: ${error.message}\n\n${helpText()}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(helpText());
    return 0;
  }
  quietJobLogs(args.verbose);
  hideSdkNodeVersionWarning();
  let stack: LocalStack | undefined;
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the local stack …`);
    // A day mid-job would finish its job first; stop everything now so nothing is left behind.
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  try {
    if (args.dateNote) console.log(args.dateNote);
    if (args.faultsFile) console.log(`Fault script: ${args.faultsFile} (${args.faults?.length ?? 0} faults)`);
    const run = await runDays({
      scenario: args.scenario,
      seed: args.seed,
      date: args.date,
      days: args.days,
      ...(args.faults ? { faults: args.faults } : {}),
      speed: args.speed,
      ...(args.until ? { until: args.until } : {}),
      collectEveryMinutes: args.collectEvery,
      outDir: args.outDir,
      aborted: () => interrupted,
      onStack: (s) => {
        stack = s;
      },
    });
    for (const line of runClosingLines(run)) console.log(line);
    console.log(`  wrote ${resolve(args.outDir, 'summary.json')} and ${resolve(args.outDir, 'report.html')}`);
    return run.completed ? 0 : 1;
  } catch (error) {
    console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
