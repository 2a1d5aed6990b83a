// The day's runs of `npm start`: the job schedule (functions/core/schedule.ts) as the fires of one
// trading day, in the order the day runner walks them.
import { minutesOfDay, nyClockTime, sessionFor } from '#core/calendar';
import type { MarketCalendar } from '#core/calendar';
import { JOB_NAMES } from '#core/config';
import type { JobName } from '#core/config';
import { deployedUnder, JOB_TIMINGS } from '#core/schedule';
import type { IsoDate } from '#core/types';
import { expectedFiresOn } from '#core/watchman';

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
    // The local stack's gateway runs all day (no ECS): a job tied to a deploy setting has no part in it.
    if (!deployedUnder(timing.deployedWith, 'always')) continue;
    for (const schedule of timing.schedules) {
      const fires = expectedFiresOn(options.date, { ...timing, schedules: [schedule] }, options.calendar);
      // A job with several once-a-day schedules names each run (position-sync pre-market, post-market).
      const label = timing.schedules.length > 1 && fires.length === 1 ? schedule.label : undefined;
      for (const at of fires) {
        const time = nyClockTime(at);
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
  const until = options.until ? minutesOfDay(options.until) : Number.POSITIVE_INFINITY;
  return runs
    .filter((r) => minutesOfDay(r.time) <= until)
    .sort((a, b) => minutesOfDay(a.time) - minutesOfDay(b.time) || a.priority - b.priority);
}
