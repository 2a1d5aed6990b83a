// The day runner of `npm start`: walks consecutive trading days on one local stack, as they would pass in
// AWS. Each day: the scenario's events and the scheduled runs minute by minute (scripts/day/schedule.ts),
// the bridge's fill events to position-sync between them, the day's summary (scripts/day/day-summary.ts);
// between two days the night (expiries settle, IB Gateway restarts at 23:45).
import { minutesOfDay, nextTradingDay, nyClockTime, nyDate, nyTimeToEpoch, sessionFor } from '#core/calendar';
import { JOB_NAMES, parseConfig } from '#core/config';
import type { JobName } from '#core/config';
import type { IsoDate } from '#core/types';
import type { BridgeEvent } from '#bridge/contract';
import type { ScheduledFault } from '#simulator/server/faults';
import { UsageError } from '../args';
import { bridgeEventEnvelope, DEFAULT_DATE, loadJob, scheduledEvent, startLocalStack } from '../local/stack';
import type { LocalStack, LocalStackOptions } from '../local/stack';
import { writeOutputs } from '../report/outputs';
import { brokerBook } from '../report/reconcile';
import type { DaySummary, RunRecord, RunSummary } from '../report/summary';
import { SCENARIOS } from '../scenarios/index';
import type { Scenario, ScenarioContext } from '../scenarios/index';
import { dayCloseLine, progressLine } from './console';
import { classify, closeDay, runTotals, summarizeEvents } from './day-summary';
import type { DayTally } from './day-summary';
import { daySchedule } from './schedule';

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

/** One trading day: the day of a run of one (out/summary.json, when written, holds the run). */
export async function runDay(options: RunDayOptions = {}): Promise<DaySummary> {
  return (await runDays({ ...options, days: 1 })).days[0] as DaySummary;
}

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

/**
 * Walks `days` consecutive trading days on ONE local stack, as they would pass in AWS: the records, the
 * broker's positions and the market carry over; between two days the simulator runs through the night
 * (DAY orders expire, expiries settle at the options close) and IB Gateway restarts at 23:45 as IBC
 * makes it. After every day the five counts (scripts/report/reconcile.ts) compare DynamoDB with the broker.
 */
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
    const tally: DayTally = { alertsSeen: 0, ordersSeen: new Set(), peak: undefined };
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
          time: nyClockTime(startedAtSim),
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
        .filter((time) => !options.until || minutesOfDay(time) <= minutesOfDay(options.until))
        .sort((a, b) => minutesOfDay(a) - minutesOfDay(b));

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

      const summary = await closeDay(
        {
          stack,
          scenario,
          ctx,
          seed,
          date,
          speed,
          dayStartReal,
          completed,
          problems,
          runs,
          from,
          baseline,
          judge: index === checkDay,
          earlier: days,
        },
        tally,
      );
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
