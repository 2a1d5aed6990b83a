// What the health check watches besides the gateway: every other scheduled job (the watchman) and IB's
// login.
// (the task never runs on Sunday): every morning's start is the full login, announced by gateway-hours.
import { JOB_NAMES } from '#core/config';
import { deployedUnder, JOB_TIMINGS } from '#core/schedule';
import { overdueJobs } from '#core/watchman';
import { makeAlert } from '#core/alerts';
import {
  DEFAULT_WEEKLY_LOGIN,
  firstJobNeedingIb,
  lastWeeklyLogin,
  LOGIN_ALERT_EVERY_MINUTES,
  loginAlert,
  weeklyLoginSchema,
} from '#core/login';
import { lastCompletedAt } from '../shared/completions';
import type { RunContext } from '../shared/define-job';
import type { GatewayVerdict } from './gateway-policy';
import { STATE_KEYS } from './state-keys';
import { errorMessage } from '../shared/errors';

/**
 * The watchman: every scheduled job but this one (watched by its own CloudWatch alarm) against the
 * schedule table, the market calendar and its last completed run; one CRITICAL per overdue job.
 */
export async function watchJobs(ctx: RunContext): Promise<string[]> {
  const alerts = ctx.stores.alerts;
  const now = ctx.clock.now();
  const watchingSince = await alerts.holdingSince(STATE_KEYS.watchingSince, now);
  const jobs = await Promise.all(
    JOB_NAMES.filter(
      // A job deployed only with gatewayHours=market is not watched without it.
      (name) => name !== ctx.job && deployedUnder(JOB_TIMINGS[name].deployedWith, ctx.gatewayHours),
    ).map(async (name) => ({
      name,
      timing: JOB_TIMINGS[name],
      enabled: ctx.config.jobs[name],
      lastCompletedAt: await lastCompletedAt(alerts, name),
    })),
  );
  const overdue = overdueJobs({ jobs, now, calendar: ctx.config.calendar, watchingSince });
  for (const o of overdue) {
    await ctx.alert({
      subject: o.job,
      rule: 'job-overdue',
      severity: 'CRITICAL',
      title: `${o.job} overdue`,
      message: `${o.message}. A job that stops running raises no error alarm: check its schedule (EventBridge Scheduler), its last logs and its permissions.`,
    });
  }
  return overdue.map((o) => o.message);
}

/** The alert-state key of the login alert (subject#rule). */
const LOGIN_ALERT_KEY = 'ib-login#login-waiting';

/** The login settings the stack passes (WEEKLY_LOGIN, TRADING_MODE); defaults when run locally. */
export function loginSettings(env: Record<string, string | undefined> = process.env): {
  weeklyLogin: string;
  paperOnly: boolean;
} {
  return {
    weeklyLogin: weeklyLoginSchema.parse(env.WEEKLY_LOGIN ?? DEFAULT_WEEKLY_LOGIN),
    paperOnly: env.TRADING_MODE !== 'live',
  };
}

/**
 * IB's login, the health check's business (the container health check no longer replaces a task whose
 * login waits): at the weekly login and every 10 minutes while a login waits, the alert of core/login.ts.
 * Returns what it said, or undefined when IB is logged in outside the weekly login's first 10 minutes.
 */
export async function watchLogin(ctx: RunContext, verdict: GatewayVerdict): Promise<string | undefined> {
  const alerts = ctx.stores.alerts;
  const now = ctx.clock.now();
  const { weeklyLogin, paperOnly } = loginSettings();
  const weekly = lastWeeklyLogin(now, weeklyLogin);
  // gatewayHours=market: no weekly cold restart (the task is off on Sundays), the morning start is the login.
  const atWeeklyLogin = ctx.gatewayHours === 'always' && now - weekly < LOGIN_ALERT_EVERY_MINUTES * 60_000;
  const waiting = verdict.loginWaiting && !paperOnly;
  if (!waiting) {
    // Logged in again ("Gateway back up" says so): the next waiting login starts its cadence afresh.
    if (verdict.healthy)
      await Promise.all([alerts.clear(STATE_KEYS.loginWaitingSince), alerts.clear(LOGIN_ALERT_KEY)]);
    if (!atWeeklyLogin) return undefined;
  }
  // A login first seen waiting within two checks of the weekly login waits since the weekly login (the
  // check at that very minute may still find the old session, before IBC has closed the gateway).
  const seen = waiting ? await alerts.holdingSince(STATE_KEYS.loginWaitingSince, now) : now;
  const weeklyCause = seen >= weekly && seen - weekly < 2 * LOGIN_ALERT_EVERY_MINUTES * 60_000;
  const alert = loginAlert({
    now,
    waitingSince: weeklyCause ? weekly : seen,
    cause: weeklyCause ? 'weekly' : 'not-logged-in',
    paperOnly,
    firstJob: firstJobNeedingIb(now, ctx.config.calendar),
  });
  // Its own cadence, not the config's alert cooldown: one alert per 10-minute check while it waits.
  const delivery = await ctx.alerter
    .send(
      makeAlert({
        subject: 'ib-login',
        rule: 'login-waiting',
        severity: alert.severity,
        title: alert.title,
        message: alert.message,
      }),
      { now, cooldownMinutes: LOGIN_ALERT_EVERY_MINUTES - 1 },
    )
    .catch((error: unknown) => ({ sent: false, reason: `alert failed: ${errorMessage(error)}` }));
  ctx.log.info('login alert', { slot: alert.slot, severity: alert.severity, sent: delivery.sent });
  return `${alert.title}${delivery.sent ? '' : ` (${delivery.reason})`}`;
}
