// IB's weekly full login, on the trader's terms. IB invalidates the gateway's session token once a week
// (around Sunday 01:00 New York); the next login then needs the second factor (IBKR Mobile). Left alone,
// that login happens at whatever restart comes next. Instead the gateway restarts cold at a time the
// trader picks (IBC's ColdRestartTime, which IBC applies on Sundays only), and the health check says so:
// an alert at that moment, "approve the IBKR Mobile notification now", and again every 10 minutes while
// the login waits, CRITICAL from the second, naming how long until the first job that needs IB. Pure:
// time is a parameter.
import { z } from 'zod';
import { addDays, nyDate, nyTimeToEpoch, weekdayOf } from './calendar';
import type { MarketCalendar } from './calendar';
import type { JobName } from './config';
import { JOB_TIMINGS } from './schedule';
import { nextExpectedFire } from './watchman';
import type { AlertSeverity } from './types';

/**
 * Sunday 18:00 New York: the evening before the week, when a trader is usually at hand; long after IB's
 * Sunday 01:00 token reset (IBC requires a cold-restart time after it), hours before Monday's 08:00
 * jobs, so a missed push is still caught by a later alert, and clear of the 23:45 daily restart window.
 */
export const DEFAULT_WEEKLY_LOGIN = 'Sun 18:00';
/** How often the alert repeats while the login waits. */
export const LOGIN_ALERT_EVERY_MINUTES = 10;
const MINUTE_MS = 60_000;

/** `Sun HH:MM`, New York. IBC's cold restart runs on Sundays only; the time must fall 02:00–23:30. */
export const weeklyLoginSchema = z
  .string()
  .regex(
    /^Sun ([01]\d|2[0-3]):[0-5]\d$/,
    'weeklyLogin must be "Sun HH:MM" (New York): IBC\'s ColdRestartTime restarts the gateway on Sundays only',
  )
  .refine((text) => {
    const hhmm = text.slice(4);
    return hhmm >= '02:00' && hhmm <= '23:30';
  }, "weeklyLogin must be between Sun 02:00 and Sun 23:30: after IB's Sunday 01:00 token reset and clear of the 23:45 daily restart");

/** The `HH:MM` of a weekly login ("Sun 18:00" → "18:00"), as IBC's ColdRestartTime takes it. */
export function weeklyLoginTime(weeklyLogin: string): string {
  return weeklyLoginSchema.parse(weeklyLogin).slice(4);
}

/** The latest weekly login at or before `now`, epoch ms. */
export function lastWeeklyLogin(now: number, weeklyLogin: string): number {
  const hhmm = weeklyLoginTime(weeklyLogin);
  const today = nyDate(now);
  const sunday = addDays(today, -weekdayOf(today));
  const thisWeek = nyTimeToEpoch(sunday, hhmm);
  return thisWeek <= now ? thisWeek : nyTimeToEpoch(addDays(sunday, -7), hhmm);
}

/** The first scheduled run after `now` of a job that needs IB logged in, or undefined (none in a week). */
export function firstJobNeedingIb(
  now: number,
  cal: MarketCalendar,
): { job: JobName; at: number } | undefined {
  let first: { job: JobName; at: number } | undefined;
  for (const [job, timing] of Object.entries(JOB_TIMINGS) as [JobName, (typeof JOB_TIMINGS)[JobName]][]) {
    if (!timing.needsIb) continue;
    const at = nextExpectedFire(timing, now, cal);
    if (at !== undefined && (!first || at < first.at)) first = { job, at };
  }
  return first;
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / MINUTE_MS));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

export interface LoginAlert {
  /** 0 at the login's start, then one per 10 minutes of waiting. */
  slot: number;
  severity: AlertSeverity;
  title: string;
  message: string;
}

/**
 * The alert for a login that has waited since `waitingSince`, at `now`: WARNING at first, CRITICAL from
 * the second (10 minutes on), each naming the time until the first job that needs IB. A paper-only setup
 * logs in without a second factor: one INFO that says so.
 */
export function loginAlert(input: {
  now: number;
  waitingSince: number;
  /** Why a login is happening: the weekly full login, or a gateway that is not logged in. */
  cause: 'weekly' | 'not-logged-in';
  paperOnly: boolean;
  firstJob: { job: JobName; at: number } | undefined;
}): LoginAlert {
  const waited = Math.max(0, input.now - input.waitingSince);
  const slot = Math.floor(waited / (LOGIN_ALERT_EVERY_MINUTES * MINUTE_MS));
  const why =
    input.cause === 'weekly'
      ? "IB Gateway restarted for IB's weekly full login"
      : 'IB Gateway is not logged in to IB';
  if (input.paperOnly) {
    return {
      slot,
      severity: 'INFO',
      title: 'Weekly IB login (paper): no approval needed',
      message: `${why}. This is a paper-only setup: it logs in without a second factor, nothing to approve.`,
    };
  }
  const next = input.firstJob
    ? `The first job that needs IB, ${input.firstJob.job}, runs in ${duration(input.firstJob.at - input.now)}.`
    : 'No job needs IB within the week.';
  if (slot === 0) {
    return {
      slot,
      severity: 'WARNING',
      title: 'Approve the IBKR Mobile notification now',
      message: `${why} and waits for its second factor: approve the IBKR Mobile notification now. ${next}`,
    };
  }
  return {
    slot,
    severity: 'CRITICAL',
    title: `IB login waiting ${duration(waited)}: approve the IBKR Mobile notification now`,
    message:
      `${why}; its login has waited ${duration(waited)} for the second factor: approve the IBKR Mobile notification now ` +
      `(IBC asks again after each timeout, so the newest notification is the one to approve). ${next} ` +
      `Until then nothing reaches IB: no analysis, no orders, no exits.`,
  };
}
