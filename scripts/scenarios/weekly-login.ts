// IB's weekly full login, end to end on the local stack: the gateway restarts cold on Sunday at the
// weekly login time (the default, Sun 18:00), its API port refuses connections until the trader approves
// the IBKR Mobile notification (the simulator's loginPending / loginApproved faults), and the real
// health-check job runs every 10 minutes as scheduled in AWS. Two endings: approved after 25 minutes,
// and never approved.
import { addDays, clockTimeAfter, minutesOfDay, nyClockTime, nyTimeToEpoch, weekdayOf } from '#core/calendar';
import { DEFAULT_WEEKLY_LOGIN, weeklyLoginTime } from '#core/login';
import { JOB_TIMINGS } from '#core/schedule';
import { COMPLETION_GRACE_MINUTES } from '#core/watchman';
import type { IsoDate } from '#core/types';
import { scheduledEvent } from '../local/stack';
import type { LocalStack, PublishedAlert } from '../local/stack';
import type { Expectation, RunRecord } from '../report/summary';
import type { Scenario, ScenarioContext } from './scenario';

/** The Sunday before a trading day (the weekend the weekly login falls on). */
export function sundayBefore(date: IsoDate): IsoDate {
  return addDays(date, -(weekdayOf(date) || 7));
}

const LOGIN_TIME = weeklyLoginTime(DEFAULT_WEEKLY_LOGIN);
/** The login alerts' subject names the approval (core/login.ts). */
const isLoginAlert = (a: PublishedAlert) => a.title.includes('IBKR Mobile');

interface SundayRecord {
  /** The health check's runs on Sunday evening: time, outcome and the restart it decided. */
  checks: { time: string; did: string; restartDone: boolean }[];
  /** HTTP status of the bridge's /health (the container health check) while the login waited. */
  containerHealth: number[];
}

const sundays = new WeakMap<LocalStack, SundayRecord>();

/**
 * Sunday from the weekly login: the cold restart, the health check every 10 minutes (its AWS schedule),
 * and approval after `approveAfterMinutes` (undefined: never).
 */
async function weeklyLoginSunday(
  ctx: ScenarioContext,
  approveAfterMinutes: number | undefined,
): Promise<void> {
  const { stack, log } = ctx;
  const sunday = sundayBefore(ctx.date);
  const at = (hhmm: string) => nyTimeToEpoch(sunday, hhmm);
  const record: SundayRecord = { checks: [], containerHealth: [] };
  sundays.set(stack, record);
  stack.clock.advanceTo(at(LOGIN_TIME));
  log(
    `${sunday} ${LOGIN_TIME}  scenario: IB Gateway restarts cold for the weekly login and waits for the second factor`,
  );
  stack.simulator.faults.loginPending();
  const last = approveAfterMinutes === undefined ? 30 : Math.ceil((approveAfterMinutes + 5) / 10) * 10;
  for (let minutes = 0; minutes <= last; minutes += 10) {
    const time = clockTimeAfter(LOGIN_TIME, minutes);
    // The approval comes between two checks; the checks after it find IB logged in again.
    if (
      approveAfterMinutes !== undefined &&
      minutes > approveAfterMinutes &&
      stack.simulator.faults.state().loginPending
    ) {
      const approvedAt = clockTimeAfter(LOGIN_TIME, approveAfterMinutes);
      stack.clock.advanceTo(at(approvedAt));
      log(`${sunday} ${approvedAt}  scenario: the trader approves the IBKR Mobile notification`);
      stack.simulator.faults.loginApproved();
      await stack.bridge.ready(20_000);
    }
    stack.clock.advanceTo(at(time));
    if (stack.simulator.faults.state().loginPending) {
      record.containerHealth.push((await fetch(`${stack.bridge.url}/health`)).status);
    }
    const outcome = await stack.invoke('health-check', scheduledEvent(stack.clock.now()));
    const result = outcome.result as {
      did?: string;
      error?: string;
      details?: { restart?: { done?: boolean } };
    };
    record.checks.push({
      time,
      did: result.did ?? result.error ?? JSON.stringify(result),
      restartDone: result.details?.restart?.done === true,
    });
    log(`${sunday} ${time}  health-check: ${record.checks.at(-1)!.did}`);
  }
}

const met = (description: string, ok: boolean, detail?: string): Expectation => ({
  description,
  status: ok ? 'met' : 'not met',
  ...(detail ? { detail } : {}),
});

/** The login alerts of Sunday evening, as "HH:MM SEVERITY". */
function sundayLoginAlerts(ctx: ScenarioContext): string[] {
  const sunday = sundayBefore(ctx.date);
  const from = nyTimeToEpoch(sunday, LOGIN_TIME);
  const to = nyTimeToEpoch(sunday, '23:59');
  return ctx.stack.alerts
    .filter((a) => isLoginAlert(a) && a.at >= from && a.at <= to)
    .map((a) => `${clockTimeAfter(LOGIN_TIME, Math.round((a.at - from) / 60_000))} ${a.severity}`);
}

function noReplacement(ctx: ScenarioContext): Expectation[] {
  const record = sundays.get(ctx.stack);
  const restarted = record?.checks.filter((c) => c.restartDone) ?? [];
  const health = record?.containerHealth ?? [];
  return [
    met(
      'no task replacement: the health check never restarted the gateway while the login waited',
      record !== undefined && record.checks.length > 0 && restarted.length === 0,
      record?.checks.map((c) => `${c.time} ${c.did}`).join('; '),
    ),
    met(
      'the container health check stayed healthy (/health 200) while the login waited',
      health.length > 0 && health.every((s) => s === 200),
      `/health: ${health.join(', ') || 'never asked'}`,
    ),
  ];
}

/** Monday's job failures caused by IB not being logged in (login-never-approved provokes them). */
const ibNotLoggedIn = (run: RunRecord) =>
  run.status === 'failed' || run.status === 'refused'
    ? 'IB not logged in: the weekly login was never approved (expected in this scenario)'
    : undefined;

export const weeklyLogin: Scenario = {
  name: 'weekly-login',
  description: `IB's weekly full login at ${DEFAULT_WEEKLY_LOGIN} (New York) on the Sunday before --date, on a live account: the gateway restarts cold and waits for the IBKR Mobile approval, which comes 25 minutes later; the health check alerts at 0, 10 and 20 minutes (CRITICAL from the second), the task is never replaced, Monday trades normally`,
  // Live: the account has a second factor (a paper-only setup needs no approval and is told so).
  env: { TRADING_MODE: 'live', WEEKLY_LOGIN: DEFAULT_WEEKLY_LOGIN },
  start: (date) => nyTimeToEpoch(sundayBefore(date), '17:50'),
  setup: (ctx) => weeklyLoginSunday(ctx, 25),
  check: (summary, ctx) => {
    const alerts = sundayLoginAlerts(ctx);
    const expected = [
      `${LOGIN_TIME} WARNING`,
      `${clockTimeAfter(LOGIN_TIME, 10)} CRITICAL`,
      `${clockTimeAfter(LOGIN_TIME, 20)} CRITICAL`,
    ];
    const failed = summary.runs.filter((r) => r.status === 'failed');
    const traded = summary.orderCounts.filled + summary.orderCounts.partial;
    return [
      met(
        'login alerts at 0, 10 and 20 minutes, CRITICAL from the second, none after the approval',
        JSON.stringify(alerts) === JSON.stringify(expected),
        `alerts: ${alerts.join(', ') || 'none'}`,
      ),
      ...noReplacement(ctx),
      met(
        'Monday trades normally: no job failed, an opening order filled (in whole or in part)',
        failed.length === 0 && traded > 0,
        `${failed.length} failed run(s), ${traded} order(s) filled`,
      ),
    ];
  },
};

export const loginNeverApproved: Scenario = {
  name: 'login-never-approved',
  description: `IB's weekly full login at ${DEFAULT_WEEKLY_LOGIN} on the Sunday before --date is never approved: the gateway's API port stays closed, Monday's jobs that need IB fail and place nothing, CRITICAL login alerts go out before the analysis, and the watchman names the jobs that could not run`,
  env: { TRADING_MODE: 'live', WEEKLY_LOGIN: DEFAULT_WEEKLY_LOGIN },
  start: (date) => nyTimeToEpoch(sundayBefore(date), '17:50'),
  setup: (ctx) => weeklyLoginSunday(ctx, undefined),
  tolerate: ibNotLoggedIn,
  check: (summary, ctx) => {
    const analysis = nyTimeToEpoch(ctx.today, '09:45');
    const criticalBefore = ctx.stack.alerts.filter(
      (a) =>
        isLoginAlert(a) &&
        a.severity === 'CRITICAL' &&
        a.at < analysis &&
        a.at >= nyTimeToEpoch(ctx.today, '00:00'),
    );
    // A job that failed (IB not logged in) has not completed its run: the next health check after the
    // completion grace names it. Jobs on demand in AWS (verify-positions) are not watched.
    const lastCheck = Math.max(
      ...summary.runs.filter((r) => r.job === 'health-check').map((r) => minutesOfDay(r.time)),
    );
    const couldNotRun = [
      ...new Set(
        summary.runs
          .filter(
            (r) =>
              r.status === 'failed' &&
              r.trigger === 'schedule' &&
              JOB_TIMINGS[r.job].schedules.length > 0 &&
              minutesOfDay(r.time) + COMPLETION_GRACE_MINUTES < lastCheck,
          )
          .map((r) => r.job),
      ),
    ];
    const overdue = ctx.stack.alerts.filter((a) => a.severity === 'CRITICAL' && a.rule === 'job-overdue');
    const named = couldNotRun.filter((job) => overdue.some((a) => a.message.startsWith(`${job} `)));
    return [
      met(
        'no order reached the broker',
        summary.simulator.orders.length === 0,
        `${summary.simulator.orders.length} order(s)`,
      ),
      met(
        'CRITICAL login alerts on Monday before the 09:45 analysis',
        criticalBefore.length > 0,
        criticalBefore.map((a) => `${nyClockTime(a.at)} ${a.title}`).join('; ') || 'none',
      ),
      met(
        'the watchman names the jobs that could not run (position-sync, load-historical-data)',
        named.length === 2,
        overdue
          .map((a) => a.message)
          .join(' | ')
          .slice(0, 400) || 'no overdue-job alert',
      ),
      ...noReplacement(ctx),
    ];
  },
};
