// The gateway's hours (`-c gatewayHours=market`): the IB Gateway task runs only around the session, from
// 07:30 to 18:30 New York on NYSE trading days (the config calendar decides: a holiday keeps it off, an
// early close keeps the full window, since the jobs of the afternoon still run). 07:30 leaves half an hour
// for the task to start and the IB login (and its IBKR Mobile approval) before the first job at 08:00;
// 18:30 is half an hour after the last one (validate-data-quality, 18:00). `always` (the default) keeps
// the task running around the clock. Pure: time is a parameter.
import { z } from 'zod';
import { nyDate, nyTimeToEpoch, isTradingDay } from './calendar';
import type { MarketCalendar } from './calendar';

export const GATEWAY_HOURS = ['always', 'market'] as const;
export type GatewayHours = (typeof GATEWAY_HOURS)[number];
export const gatewayHoursSchema = z.enum(GATEWAY_HOURS, {
  error: 'gatewayHours must be always or market',
});

/** New York wall-clock times of the window, start included, end excluded. */
export const GATEWAY_WINDOW = { start: '07:30', end: '18:30' } as const;
/**
 * After the window opens, the minutes a task needs to start and log in before the health check counts it
 * down (Fargate start, IB Gateway start, the login): the first check (07:30) and the next (07:40) see it
 * starting, not down.
 */
export const GATEWAY_START_GRACE_MINUTES = 15;
/** At the stop, how long working orders get to finish before they are cancelled, and how often they are asked for. */
export const STOP_WAIT_MINUTES = 5;
export const STOP_POLL_SECONDS = 15;

const MINUTE_MS = 60_000;

/** The window on `date` (epoch ms), or undefined on a day the market is closed. */
export function gatewayWindowOn(
  date: string,
  cal: MarketCalendar,
): { start: number; end: number } | undefined {
  if (!isTradingDay(date, cal)) return undefined;
  return { start: nyTimeToEpoch(date, GATEWAY_WINDOW.start), end: nyTimeToEpoch(date, GATEWAY_WINDOW.end) };
}

/** True when `at` falls inside the gateway's window (07:30 included, 18:30 excluded). */
export function inGatewayWindow(at: number, cal: MarketCalendar): boolean {
  return gatewayPhase(at, 'market', cal) !== 'off';
}

/**
 * Where the gateway should be at `at`: `on`; `starting` (the window's first GATEWAY_START_GRACE_MINUTES);
 * `off` by schedule. With `always` hours it is always on.
 */
export function gatewayPhase(
  at: number,
  hours: GatewayHours,
  cal: MarketCalendar,
): 'on' | 'starting' | 'off' {
  if (hours === 'always') return 'on';
  const window = gatewayWindowOn(nyDate(at), cal);
  if (!window || at < window.start || at >= window.end) return 'off';
  return at < window.start + GATEWAY_START_GRACE_MINUTES * MINUTE_MS ? 'starting' : 'on';
}

/**
 * Why a job that needs IB finds the gateway off by schedule at `at`, or undefined when it runs then.
 * The one sentence the job shell records for such a run.
 */
export function gatewayOffBySchedule(
  at: number,
  hours: GatewayHours,
  cal: MarketCalendar,
): string | undefined {
  if (gatewayPhase(at, hours, cal) !== 'off') return undefined;
  const date = nyDate(at);
  const when = isTradingDay(date, cal)
    ? `${GATEWAY_WINDOW.start}-${GATEWAY_WINDOW.end} New York`
    : `trading days only; ${date} is not one`;
  return `gateway off by schedule (gatewayHours=market: ${when})`;
}
