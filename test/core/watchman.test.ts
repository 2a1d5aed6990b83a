// The watchman's rule: which job is overdue, from the schedule table, the market calendar and each job's
// last completion. Times are New York wall-clock times converted with the calendar's own function.
import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { JOB_NAMES, parseConfig } from '#core/config';
import type { JobName } from '#core/config';
import { JOB_TIMINGS } from '#core/schedule';
import {
  cadenceOf,
  COMPLETION_GRACE_MINUTES,
  cronValues,
  lastExpectedFire,
  overdueJobs,
} from '#core/watchman';
import type { WatchedJob } from '#core/watchman';
import { JOBS } from '#lib/jobs-table';

const calendar = parseConfig({}).calendar;
const at = (date: string, hhmm: string) => nyTimeToEpoch(date, hhmm);
// Wednesday 2 Dec 2026, an ordinary trading day; Thanksgiving 26 Nov 2026 (closed), 27 Nov closes at 13:00.
const WED = '2026-12-02';

function watched(name: JobName, lastCompletedAt: number | undefined, enabled = true): WatchedJob {
  return { name, timing: JOB_TIMINGS[name], enabled, lastCompletedAt };
}
const since = at('2026-11-01', '00:00');

describe('watchman', () => {
  it('reads the cron fields the schedule table uses', () => {
    expect(cronValues('30-55/5', 0, 59)).toEqual([30, 35, 40, 45, 50, 55]);
    expect(cronValues('*/10', 0, 59)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(cronValues('10-15', 0, 23)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(cronValues('0,15', 0, 59)).toEqual([0, 15]);
    expect(cronValues('*', 0, 23)).toHaveLength(24);
    expect(() => cronValues('61', 0, 59)).toThrow(/out of range/);
    expect(() => cronValues('L', 0, 59)).toThrow(/unsupported/);
  });

  it('the grace covers the longest job timeout, so a run still in progress is never called overdue', () => {
    const longest = Math.max(...JOBS.map((j) => j.timeoutSeconds)) / 60;
    expect(COMPLETION_GRACE_MINUTES).toBeGreaterThan(longest);
  });

  it('names monitor overdue with its last completion and cadence once a 5-minute run is missing', () => {
    const now = at(WED, '11:00'); // 10:45 is the latest fire whose run must be done (15 min grace)
    expect(
      overdueJobs({ jobs: [watched('monitor', at(WED, '10:46'))], now, calendar, watchingSince: since }),
    ).toEqual([]);
    expect(
      overdueJobs({ jobs: [watched('monitor', at(WED, '10:35'))], now, calendar, watchingSince: since }),
    ).toEqual([
      {
        job: 'monitor',
        expectedAt: at(WED, '10:45'),
        lastCompletedAt: at(WED, '10:35'),
        message: 'monitor last completed 10:35, expected every 5 minutes since',
      },
    ]);
  });

  it('a daily job: expected after its time on a trading day, with the date when the last run is older', () => {
    const job = (last: number | undefined) => [watched('validate-ib-connection', last)];
    // 08:45 Wednesday: not due before 09:00
    expect(
      overdueJobs({
        jobs: job(at('2026-12-01', '08:46')),
        now: at(WED, '08:59'),
        calendar,
        watchingSince: since,
      }),
    ).toEqual([]);
    expect(
      overdueJobs({
        jobs: job(at('2026-12-01', '08:46')),
        now: at(WED, '09:01'),
        calendar,
        watchingSince: since,
      })[0]?.message,
    ).toBe('validate-ib-connection last completed 2026-12-01 08:46, expected a run at 08:45');
  });

  it('follows the market calendar: nothing on Thanksgiving, nothing after a 13:00 early close, nothing on weekends', () => {
    // Thanksgiving Thursday: the last expected monitor run is Wednesday's 15:55.
    expect(lastExpectedFire(JOB_TIMINGS.monitor, at('2026-11-26', '12:00'), calendar)).toBe(
      at('2026-11-25', '15:55'),
    );
    // Friday 27 Nov closes at 13:00: the 12:55 run is the last one expected that day.
    expect(lastExpectedFire(JOB_TIMINGS.monitor, at('2026-11-27', '15:55'), calendar)).toBe(
      at('2026-11-27', '12:55'),
    );
    // Sunday: Friday's last runs.
    const sunday = at('2026-11-29', '18:00');
    expect(
      overdueJobs({
        jobs: [
          watched('monitor', at('2026-11-27', '12:56')),
          watched('daily-statistics', at('2026-11-27', '16:31')),
        ],
        now: sunday,
        calendar,
        watchingSince: since,
      }),
    ).toEqual([]);
    // health-check runs every day, weekends included.
    expect(lastExpectedFire(JOB_TIMINGS['health-check'], sunday, calendar)).toBe(sunday);
  });

  it('expects nothing of a disabled or on-demand job, nor before the watchman started', () => {
    const now = at(WED, '11:00');
    expect(
      overdueJobs({
        jobs: [watched('monitor', undefined, false), watched('verify-positions', undefined)],
        now,
        calendar,
        watchingSince: since,
      }),
    ).toEqual([]);
    // Deployed at 10:50: the 10:45 fire predates the watchman; no false alarm on a fresh stack.
    expect(
      overdueJobs({ jobs: [watched('monitor', undefined)], now, calendar, watchingSince: at(WED, '10:50') }),
    ).toEqual([]);
    expect(
      overdueJobs({
        jobs: [watched('monitor', undefined)],
        now,
        calendar,
        watchingSince: at(WED, '10:00'),
      })[0]?.message,
    ).toBe('monitor has not completed a run since 10:00, expected every 5 minutes since');
  });

  it('the schedule table covers every job once and the CDK job table reads it (one copy)', () => {
    expect(Object.keys(JOB_TIMINGS).sort()).toEqual([...JOB_NAMES].sort());
    for (const spec of JOBS) {
      expect(spec.schedules, spec.name).toBe(JOB_TIMINGS[spec.name].schedules);
      expect(spec.priority, spec.name).toBe(JOB_TIMINGS[spec.name].priority);
    }
    expect(cadenceOf(JOB_TIMINGS['health-check'])).toBe('every 10 minutes');
    expect(cadenceOf(JOB_TIMINGS['execute-strategies'])).toBeUndefined();
  });
});
