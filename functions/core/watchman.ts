// The watchman: which scheduled job has not completed a run it should have by now. Pure: the schedule
// table (schedule.ts), the market calendar, each job's last completion and the time are parameters.
//
// A job "should have completed" a scheduled fire time when the fire falls on one of its cron days, the
// calendar gate its handler applies lets it run then (a trading day; inside the session for market-open
// jobs, so 15:55 on a 13:00 early close expects nothing), and the completion grace has passed since. A
// job that fails, is never invoked (a disabled schedule, a permission change) or dies before it can
// alert has no completion later than that fire: overdue.
import { addDays, isOpen, isTradingDay, nyDate, nyTimeToEpoch, nyParts, weekdayOf } from './calendar';
import type { MarketCalendar } from './calendar';
import type { JobName } from './config';
import type { JobSchedule, JobTiming } from './schedule';

/**
 * Minutes after a scheduled fire by which its run must have completed: the longest job timeout (10 min,
 * strategy-analysis and load-historical-data) plus Scheduler's delivery slack.
 */
export const COMPLETION_GRACE_MINUTES = 15;
/** How far back the watchman looks for the latest expected run (a long weekend plus a holiday). */
const LOOKBACK_DAYS = 6;
const MINUTE_MS = 60_000;

/** The values a cron field stands for within lo..hi: `*`, `a` or `a-b`, each with an optional `/n` step, or a comma list. */
export function cronValues(field: string, lo: number, hi: number): number[] {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part.trim());
    if (!match) throw new RangeError(`unsupported cron field "${field}"`);
    const from = match[1] === '*' ? lo : Number(match[2]);
    const to = match[1] === '*' ? hi : match[3] !== undefined ? Number(match[3]) : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (from < lo || to > hi || from > to || step < 1)
      throw new RangeError(`cron field "${field}" out of range ${lo}-${hi}`);
    // `a/n` alone (no range) means from a to the end, as in cron
    const end = match[4] !== undefined && match[3] === undefined && match[1] !== '*' ? hi : to;
    for (let v = from; v <= end; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function firesOn(date: string, schedule: JobSchedule): number[] {
  const weekday = weekdayOf(date);
  if ((schedule.days ?? 'weekdays') === 'weekdays' && (weekday === 0 || weekday === 6)) return [];
  const minutes = cronValues(schedule.minute, 0, 59);
  const pad = (n: number) => String(n).padStart(2, '0');
  return cronValues(schedule.hour, 0, 23).flatMap((h) =>
    minutes.map((m) => nyTimeToEpoch(date, `${pad(h)}:${pad(m)}`)),
  );
}

/**
 * The scheduled fires of a job on `date` that its calendar gate lets run (epoch ms, ascending): what the
 * watchman expects, and the runs `npm start` walks.
 */
export function expectedFiresOn(date: string, timing: JobTiming, cal: MarketCalendar): number[] {
  return timing.schedules
    .flatMap((s) => firesOn(date, s))
    .filter((t) => gateAllows(timing, t, cal))
    .sort((a, b) => a - b);
}

function gateAllows(timing: JobTiming, at: number, cal: MarketCalendar): boolean {
  if (timing.calendar === 'always') return true;
  if (timing.calendar === 'trading-day') return isTradingDay(nyDate(at), cal);
  return isOpen(at, cal);
}

/**
 * The latest scheduled fire at or before `until` whose run the calendar lets happen, or undefined when
 * none in the look-back (an on-demand job, a long holiday).
 */
export function lastExpectedFire(timing: JobTiming, until: number, cal: MarketCalendar): number | undefined {
  const today = nyDate(until);
  for (let back = 0; back <= LOOKBACK_DAYS; back++) {
    const date = addDays(today, -back);
    const fires = timing.schedules
      .flatMap((s) => firesOn(date, s))
      .filter((t) => t <= until && gateAllows(timing, t, cal))
      .sort((a, b) => b - a);
    if (fires[0] !== undefined) return fires[0];
  }
  return undefined;
}

/** The first scheduled fire after `after` whose run the calendar lets happen (within a week), or undefined. */
export function nextExpectedFire(timing: JobTiming, after: number, cal: MarketCalendar): number | undefined {
  const today = nyDate(after);
  for (let ahead = 0; ahead <= LOOKBACK_DAYS + 1; ahead++) {
    const date = addDays(today, ahead);
    const fires = timing.schedules
      .flatMap((s) => firesOn(date, s))
      .filter((t) => t > after && gateAllows(timing, t, cal))
      .sort((a, b) => a - b);
    if (fires[0] !== undefined) return fires[0];
  }
  return undefined;
}

/** "every 5 minutes" for a job scheduled more often than hourly, else undefined. */
export function cadenceOf(timing: JobTiming): string | undefined {
  const steps = timing.schedules
    .map((s) => cronValues(s.minute, 0, 59))
    .filter((v) => v.length > 1)
    .map((v) => v[1]! - v[0]!);
  return steps.length > 0 ? `every ${Math.min(...steps)} minutes` : undefined;
}

export interface WatchedJob {
  name: JobName;
  timing: JobTiming;
  /** False when the config disables the job (`jobs.<name>`): nothing is expected of it. */
  enabled: boolean;
  /** Epoch ms of its last completed run; undefined when none is recorded. */
  lastCompletedAt: number | undefined;
}

export interface OverdueJob {
  job: JobName;
  /** The scheduled fire whose completion is missing, epoch ms. */
  expectedAt: number;
  lastCompletedAt: number | undefined;
  /** One line for the alert: "monitor last completed 10:35, expected every 5 minutes since". */
  message: string;
}

/** New York "HH:MM" today, else "YYYY-MM-DD HH:MM". */
function stamp(at: number, now: number): string {
  const p = nyParts(at);
  const hhmm = `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
  return p.date === nyDate(now) ? hhmm : `${p.date} ${hhmm}`;
}

/**
 * The jobs overdue at `now`. `watchingSince` is when completions started being recorded (the first
 * watchman run after a deploy): fires before it expect nothing, so a fresh stack raises no false alarm.
 */
export function overdueJobs(input: {
  jobs: readonly WatchedJob[];
  now: number;
  calendar: MarketCalendar;
  watchingSince: number;
  graceMinutes?: number;
}): OverdueJob[] {
  const grace = (input.graceMinutes ?? COMPLETION_GRACE_MINUTES) * MINUTE_MS;
  const overdue: OverdueJob[] = [];
  for (const job of input.jobs) {
    if (!job.enabled || job.timing.schedules.length === 0) continue;
    const expectedAt = lastExpectedFire(job.timing, input.now - grace, input.calendar);
    if (expectedAt === undefined || expectedAt < input.watchingSince) continue;
    const last = job.lastCompletedAt;
    if (last !== undefined && last >= expectedAt) continue;
    const cadence = cadenceOf(job.timing);
    const lastText =
      last === undefined
        ? `has not completed a run since ${stamp(input.watchingSince, input.now)}`
        : `last completed ${stamp(last, input.now)}`;
    const expectedText = cadence
      ? `expected ${cadence} since`
      : `expected a run at ${stamp(expectedAt, input.now)}`;
    overdue.push({
      job: job.name,
      expectedAt,
      lastCompletedAt: last,
      message: `${job.name} ${lastText}, ${expectedText}`,
    });
  }
  return overdue;
}
