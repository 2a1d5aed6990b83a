// The NYSE market calendar: trading days, sessions (early-close aware) and the cross-check against IB's
// `liquidHours`; the New York wall-clock conversions are in ny-time.ts. Pure: every function takes the
// instant as epoch ms.
import type { CalendarConfig } from './config';
import { BROAD_ETF_OPTIONS_EXTRA_MINUTES } from './nyse-calendar';
import type { IsoDate, MarketClock } from './types';
import {
  addDays,
  calendarDaysBetween,
  dayNumberMs,
  MINUTE_MS,
  NEW_YORK,
  nyParts,
  nyTimeToEpoch,
  pad2,
  weekdayOf,
  zonedTimeToEpoch,
} from './ny-time';

// Most callers know the wall-clock conversions as part of the calendar.
export {
  clockTimeAfter,
  minutesOfDay,
  addDays,
  calendarDaysBetween,
  NEW_YORK,
  nyClockTime,
  nyDate,
  nyParts,
  nyTimeToEpoch,
  weekdayOf,
  zonedParts,
  zonedTimeToEpoch,
} from './ny-time';
export type { NyParts } from './ny-time';

// ---------------------------------------------------------------------------------------------------
// Trading days and sessions

// Holiday lists are scanned on every call (the monitor asks every 5 minutes, the simulator far more
// often), so keep a Set per list; the length check rebuilds it if a caller appended to the list.
const dateSets = new WeakMap<readonly string[], { length: number; set: Set<string> }>();

function dateSet(dates: readonly string[]): Set<string> {
  let cached = dateSets.get(dates);
  if (!cached || cached.length !== dates.length) {
    cached = { length: dates.length, set: new Set(dates) };
    dateSets.set(dates, cached);
  }
  return cached.set;
}

/** Calendar fields the functions here read; a full `CalendarConfig` fits. */
export type MarketCalendar = Pick<
  CalendarConfig,
  'holidays' | 'earlyCloses' | 'regularOpen' | 'regularClose' | 'earlyClose'
>;

/** True on weekdays that are not NYSE holidays. */
export function isTradingDay(date: IsoDate, cal: MarketCalendar): boolean {
  const weekday = weekdayOf(date);
  return weekday !== 0 && weekday !== 6 && !dateSet(cal.holidays).has(date);
}

/** True on trading days that close early (13:00 by default). */
export function isEarlyClose(date: IsoDate, cal: MarketCalendar): boolean {
  return isTradingDay(date, cal) && dateSet(cal.earlyCloses).has(date);
}

export interface Session {
  date: IsoDate;
  /** Epoch ms of the equity open and close. */
  open: number;
  close: number;
  /** Epoch ms when broad ETF options (SPY, QQQ, IWM) stop trading: 15 minutes after the close. */
  optionsClose: number;
  earlyClose: boolean;
}

/** The regular session on `date`, or undefined on weekends and holidays. */
export function sessionFor(date: IsoDate, cal: MarketCalendar): Session | undefined {
  if (!isTradingDay(date, cal)) return undefined;
  const earlyClose = isEarlyClose(date, cal);
  const close = nyTimeToEpoch(date, earlyClose ? cal.earlyClose : cal.regularClose);
  return {
    date,
    open: nyTimeToEpoch(date, cal.regularOpen),
    close,
    optionsClose: close + BROAD_ETF_OPTIONS_EXTRA_MINUTES * MINUTE_MS,
    earlyClose,
  };
}

/** Where the market stands at instant `at`. Minutes are fractional (09:45:30 is 15.5 after the open). */
export function marketClock(at: number, cal: MarketCalendar): MarketClock {
  const tradeDate = nyParts(at).date;
  const session = sessionFor(tradeDate, cal);
  if (!session) {
    return {
      now: at,
      tradeDate,
      isTradingDay: false,
      isOpen: false,
      earlyClose: false,
      minutesSinceOpen: Number.NaN,
      minutesToClose: Number.NaN,
    };
  }
  return {
    now: at,
    tradeDate,
    isTradingDay: true,
    isOpen: at >= session.open && at < session.close,
    earlyClose: session.earlyClose,
    openAt: session.open,
    closeAt: session.close,
    minutesSinceOpen: (at - session.open) / MINUTE_MS,
    minutesToClose: (session.close - at) / MINUTE_MS,
  };
}

/** True inside the regular equity session (open inclusive, close exclusive). */
export function isOpen(at: number, cal: MarketCalendar): boolean {
  return marketClock(at, cal).isOpen;
}

// Far more holidays in a row than NYSE has ever had; stops a loop over a malformed calendar.
const MAX_SEARCH_DAYS = 366;

/** The next trading day strictly after `date`. */
export function nextTradingDay(date: IsoDate, cal: MarketCalendar): IsoDate {
  for (let i = 1; i <= MAX_SEARCH_DAYS; i++) {
    const candidate = addDays(date, i);
    if (isTradingDay(candidate, cal)) return candidate;
  }
  throw new RangeError(`no trading day within ${MAX_SEARCH_DAYS} days after ${date}`);
}

/** The last trading day strictly before `date`. */
export function previousTradingDay(date: IsoDate, cal: MarketCalendar): IsoDate {
  for (let i = 1; i <= MAX_SEARCH_DAYS; i++) {
    const candidate = addDays(date, -i);
    if (isTradingDay(candidate, cal)) return candidate;
  }
  throw new RangeError(`no trading day within ${MAX_SEARCH_DAYS} days before ${date}`);
}

/** The next session open strictly after `at` (today's open when `at` is before it), epoch ms. */
export function nextOpen(at: number, cal: MarketCalendar): number {
  const today = nyParts(at).date;
  const session = sessionFor(today, cal);
  if (session && at < session.open) return session.open;
  return sessionFor(nextTradingDay(today, cal), cal)!.open;
}

/**
 * Trading days d with from < d ≤ to: 0 for the same day, 1 from a Friday to the next Monday.
 * Negative (the count from `to` to `from`) when `to` is earlier, so counts add up across ranges.
 */
export function tradingDaysBetween(from: IsoDate, to: IsoDate, cal: MarketCalendar): number {
  const days = calendarDaysBetween(from, to);
  if (days < 0) return 0 - tradingDaysBetween(to, from, cal); // 0 - x: never -0
  let count = 0;
  for (let i = 1; i <= days; i++) if (isTradingDay(addDays(from, i), cal)) count++;
  return count;
}

// ---------------------------------------------------------------------------------------------------
// IB liquidHours cross-check

export interface IbInterval {
  /** Epoch ms. */
  open: number;
  close: number;
}

export interface IbDayHours {
  date: IsoDate;
  /** True when IB lists the date as CLOSED (no intervals). */
  closed: boolean;
  /** Trading intervals on that date, in order. */
  intervals: IbInterval[];
}

// IB reports `timeZoneId` as an IANA link ("US/Eastern") or, from some gateways, an abbreviation with
// a description ("EST (Eastern Standard Time)"); Intl would read "EST" as fixed UTC−5 all year.
const IB_ZONE_ALIASES: Record<string, string> = {
  EST: 'America/New_York',
  EDT: 'America/New_York',
  EST5EDT: 'America/New_York',
  CST: 'America/Chicago',
  CDT: 'America/Chicago',
  CST6CDT: 'America/Chicago',
};

/** An IANA zone for IB's `timeZoneId`. */
export function ibTimeZone(timeZoneId: string): string {
  const trimmed = timeZoneId.trim();
  const abbreviation = trimmed.split(/\s|\(/)[0] ?? '';
  return IB_ZONE_ALIASES[abbreviation] ?? (trimmed === '' ? NEW_YORK : trimmed);
}

function ibDate(yyyymmdd: string, whole: string): IsoDate {
  if (!/^\d{8}$/.test(yyyymmdd)) throw new RangeError(`liquidHours: bad date "${yyyymmdd}" in "${whole}"`);
  const date = `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
  dayNumberMs(date);
  return date;
}

/**
 * Parses IB's `liquidHours` (or `tradingHours`), e.g.
 * `20261123:0930-20261123:1600;20261124:0930-20261124:1600;20261126:CLOSED`, into hours per date
 * (sorted by date). The older form `20261123:0930-1600,1700-1800` is accepted too. Times are in
 * `timeZone` (the contract's `timeZoneId`, default New York). An interval belongs to the date on
 * which it closes, as IB's overnight futures sessions do.
 */
export function parseIbLiquidHours(liquidHours: string, timeZone: string = NEW_YORK): IbDayHours[] {
  const zone = ibTimeZone(timeZone);
  const byDate = new Map<IsoDate, IbDayHours>();
  const day = (date: IsoDate): IbDayHours => {
    let entry = byDate.get(date);
    if (!entry) {
      entry = { date, closed: true, intervals: [] };
      byDate.set(date, entry);
    }
    return entry;
  };

  for (const raw of liquidHours.split(';')) {
    const item = raw.trim();
    if (item === '') continue;
    const closed = /^(\d{8}):CLOSED$/i.exec(item);
    if (closed) {
      day(ibDate(closed[1]!, item));
      continue;
    }
    const head = /^(\d{8}):(.*)$/.exec(item);
    if (!head) throw new RangeError(`liquidHours: cannot read "${item}"`);
    const firstDate = ibDate(head[1]!, item);
    for (const range of head[2]!.split(',')) {
      // Either HHMM-YYYYMMDD:HHMM (current form) or HHMM-HHMM (older form, same date).
      const match = /^(\d{4})-(?:(\d{8}):)?(\d{4})$/.exec(range.trim());
      if (!match) throw new RangeError(`liquidHours: cannot read "${range}" in "${item}"`);
      const closeDate = match[2] ? ibDate(match[2], item) : firstDate;
      const open = zonedTimeToEpoch(firstDate, match[1]!, zone);
      const close = zonedTimeToEpoch(closeDate, match[3]!, zone);
      if (close <= open) throw new RangeError(`liquidHours: "${range}" closes before it opens`);
      const entry = day(closeDate);
      entry.closed = false;
      entry.intervals.push({ open, close });
    }
  }
  const days = [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (const entry of days) entry.intervals.sort((a, b) => a.open - b.open);
  return days;
}

export interface HoursDisagreement {
  date: IsoDate;
  /** Our session in New York time, e.g. `09:30-13:00`, or `CLOSED`. */
  ours: string;
  /** IB's hours in New York time, e.g. `09:30-16:00`, or `CLOSED`. */
  ib: string;
}

function nyHhmm(at: number, date: IsoDate): string {
  const parts = nyParts(at);
  const time = `${pad2(parts.hour)}:${pad2(parts.minute)}`;
  return parts.date === date ? time : `${parts.date} ${time}`;
}

function describeIntervals(intervals: readonly IbInterval[], date: IsoDate): string {
  if (intervals.length === 0) return 'CLOSED';
  return intervals.map((i) => `${nyHhmm(i.open, date)}-${nyHhmm(i.close, date)}`).join(',');
}

/**
 * Dates on which IB's hours disagree with our calendar: open vs closed, or different open/close
 * times. `against` picks which of our closes to compare with: the equity close (an underlying's
 * liquidHours) or the broad ETF options close (16:15 / 13:15, for SPY/QQQ/IWM option contracts).
 */
export function compareWithIbHours(
  sessions: readonly IbDayHours[],
  cal: MarketCalendar,
  against: 'equity' | 'broadEtfOptions' = 'equity',
): HoursDisagreement[] {
  const disagreements: HoursDisagreement[] = [];
  for (const ibDay of sessions) {
    const session = sessionFor(ibDay.date, cal);
    const ours: IbInterval[] = session
      ? [{ open: session.open, close: against === 'equity' ? session.close : session.optionsClose }]
      : [];
    const same =
      ours.length === ibDay.intervals.length &&
      ours.every((o, i) => o.open === ibDay.intervals[i]!.open && o.close === ibDay.intervals[i]!.close);
    if (!same) {
      disagreements.push({
        date: ibDay.date,
        ours: describeIntervals(ours, ibDay.date),
        ib: describeIntervals(ibDay.intervals, ibDay.date),
      });
    }
  }
  return disagreements;
}
