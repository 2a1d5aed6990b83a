// The month the estimate prices, from the NYSE calendar (functions/core's calendar and the config's
// default holiday list): days, hours, each weekday's count and the trading days. `averageMonth` is a
// twelfth of a calendar year, what the README prints; `calendarMonth` is one real month.
import { addDays, isTradingDay, weekdayOf } from '#core/calendar';
import type { MarketCalendar } from '#core/calendar';
import { calendarSchema } from '#core/config';
import type { IsoDate } from '#core/types';

export interface Month {
  /** "2026 average" or "2026-06". */
  label: string;
  days: number;
  hours: number;
  /** Days of the month by weekday, 0 = Sunday (what a cron's day-of-week field selects). */
  weekdays: readonly number[];
  tradingDays: number;
}

/** The gateway's hours on a trading day with `gatewayHours=market`: 07:30 to 18:30 New York. */
export const MARKET_HOURS_PER_TRADING_DAY = 11;

/** The config's default calendar: the NYSE holidays and early closes of functions/core/nyse-calendar.ts. */
export const NYSE_CALENDAR: MarketCalendar = calendarSchema.parse({});

function countDays(label: string, from: IsoDate, to: IsoDate, cal: MarketCalendar, divisor = 1): Month {
  const weekdays = [0, 0, 0, 0, 0, 0, 0];
  let days = 0;
  let tradingDays = 0;
  for (let date = from; date < to; date = addDays(date, 1)) {
    days++;
    weekdays[weekdayOf(date)]!++;
    if (isTradingDay(date, cal)) tradingDays++;
  }
  return {
    label,
    days: days / divisor,
    hours: (days * 24) / divisor,
    weekdays: weekdays.map((n) => n / divisor),
    tradingDays: tradingDays / divisor,
  };
}

/** One calendar month (`month` 1–12). */
export function calendarMonth(year: number, month: number, cal: MarketCalendar = NYSE_CALENDAR): Month {
  const pad = (n: number) => String(n).padStart(2, '0');
  const next = month === 12 ? `${year + 1}-01-01` : `${year}-${pad(month + 1)}-01`;
  return countDays(`${year}-${pad(month)}`, `${year}-${pad(month)}-01`, next, cal);
}

/** A twelfth of `year`: 730 hours in a common year, the hours AWS's own monthly examples use. */
export function averageMonth(year: number, cal: MarketCalendar = NYSE_CALENDAR): Month {
  return countDays(`${year} average`, `${year}-01-01`, `${year + 1}-01-01`, cal, 12);
}

/**
 * Hours a month's gateway task runs: `market` (the `gatewayHours` setting, where the deploy has it) is
 * 11 h on each trading day; anything else, or no such setting yet, is always on.
 */
export function gatewayHoursIn(month: Month, gatewayHours: unknown): number {
  return gatewayHours === 'market' ? MARKET_HOURS_PER_TRADING_DAY * month.tradingDays : month.hours;
}
