// The NYSE market calendar: New York wall-clock conversions, trading days, sessions (early-close aware)
// and the cross-check against IB's `liquidHours`. Pure: every function takes the instant as epoch ms.
import type { CalendarConfig } from './config';
import { BROAD_ETF_OPTIONS_EXTRA_MINUTES } from './nyse-calendar';
import type { IsoDate, MarketClock } from './types';

export const NEW_YORK = 'America/New_York';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Midnight UTC of a calendar day; unlike Date.UTC it does not map years 0–99 to 1900–1999. */
function utcDayMs(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

// ---------------------------------------------------------------------------------------------------
// Time zone offsets

// Building an Intl.DateTimeFormat costs far more than using one, so keep one per time zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        // h23 avoids the "24:00" that hour12: false produces at midnight in some ICU versions.
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}"`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Offset of `timeZone` from UTC at instant `at`, in ms (New York: −5 h in winter, −4 h in summer). */
function offsetFromFormatter(at: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall =
    utcDayMs(fields.year!, fields.month!, fields.day!) +
    fields.hour! * HOUR_MS +
    fields.minute! * MINUTE_MS +
    fields.second! * 1000;
  // The formatter drops milliseconds; compare against the instant truncated to the second.
  return wall - Math.floor(at / 1000) * 1000;
}

// Offsets are cached per UTC hour: New York's transitions fall on whole UTC hours (06:00Z / 07:00Z),
// so an hour whose start and end share an offset has that offset throughout. Hours that contain a
// transition (other zones) are not cached and are asked about each instant.
const offsetCache = new Map<string, number>();
const OFFSET_CACHE_LIMIT = 50_000;

function zoneOffset(at: number, timeZone: string): number {
  const hour = Math.floor(at / HOUR_MS);
  const key = `${timeZone}|${hour}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const start = offsetFromFormatter(hour * HOUR_MS, timeZone);
  const end = offsetFromFormatter(hour * HOUR_MS + HOUR_MS - 1000, timeZone);
  if (start !== end) return offsetFromFormatter(at, timeZone);
  if (offsetCache.size >= OFFSET_CACHE_LIMIT) offsetCache.clear();
  offsetCache.set(key, start);
  return start;
}

// ---------------------------------------------------------------------------------------------------
// Dates and wall-clock times

export interface NyParts {
  /** New York calendar date, `YYYY-MM-DD`. */
  date: IsoDate;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

/** Wall-clock parts of instant `at` in `timeZone` (default New York). */
export function zonedParts(at: number, timeZone: string = NEW_YORK): NyParts {
  if (!Number.isFinite(at)) throw new RangeError(`instant must be a finite epoch ms, got ${at}`);
  const wall = new Date(at + zoneOffset(at, timeZone));
  return {
    date: isoFromUtcDate(wall),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    weekday: wall.getUTCDay(),
  };
}

/** New York date, time and weekday of instant `at` (epoch ms). */
export function nyParts(at: number): NyParts {
  return zonedParts(at, NEW_YORK);
}

/** New York calendar date of instant `at`. */
export function nyDate(at: number): IsoDate {
  return nyParts(at).date;
}

/** New York wall-clock time of instant `at`, `HH:MM` (as reasons and reports show it). */
export function nyClockTime(at: number): string {
  const { hour, minute } = nyParts(at);
  return `${pad2(hour)}:${pad2(minute)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function isoFromUtcDate(d: Date): IsoDate {
  const year = d.getUTCFullYear();
  return `${year < 1000 ? String(year).padStart(4, '0') : year}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** Midnight UTC of a calendar date, as epoch ms; used for day arithmetic only (never an instant). */
function dayNumberMs(date: IsoDate): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new RangeError(`date must be YYYY-MM-DD, got "${date}"`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = utcDayMs(year, month, day);
  const check = new Date(ms);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`no such date "${date}"`);
  }
  return ms;
}

/** The calendar date `days` after `date` (negative for before). */
export function addDays(date: IsoDate, days: number): IsoDate {
  return isoFromUtcDate(new Date(dayNumberMs(date) + days * DAY_MS));
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: IsoDate): number {
  return new Date(dayNumberMs(date)).getUTCDay();
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function calendarDaysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((dayNumberMs(to) - dayNumberMs(from)) / DAY_MS);
}

function parseHhmm(hhmm: string): { hour: number; minute: number } {
  const match = /^(\d{2}):?(\d{2})$/.exec(hhmm);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 23 || minute > 59) throw new RangeError(`time must be HH:MM, got "${hhmm}"`);
  return { hour, minute };
}

/** Minutes after midnight of a wall-clock time `HH:MM` (or `HHMM`): "09:45" → 585; orders a day's times. */
export function minutesOfDay(hhmm: string): number {
  const { hour, minute } = parseHhmm(hhmm);
  return hour * 60 + minute;
}

/** The wall-clock time `minutes` after `hhmm` on the same day, `HH:MM`: ("18:00", 25) → "18:25". */
export function clockTimeAfter(hhmm: string, minutes: number): string {
  const total = minutesOfDay(hhmm) + minutes;
  // A time past midnight would need a date as well: the caller must step to the next day itself.
  if (!Number.isInteger(total) || total < 0 || total >= 24 * 60) {
    throw new RangeError(`${minutes} minutes after ${hhmm} is not a time of the same day`);
  }
  return `${pad2(Math.floor(total / 60))}:${pad2(total % 60)}`;
}

/**
 * The instant of wall-clock time `hhmm` (`HH:MM` or `HHMM`) on `date` in `timeZone` (default New York).
 * On DST days it follows the usual ("compatible") rule: a time skipped by spring-forward is read with
 * the offset before the jump (02:30 → 03:30 EDT); a time repeated at fall-back is the earlier one.
 */
export function zonedTimeToEpoch(date: IsoDate, hhmm: string, timeZone: string = NEW_YORK): number {
  const { hour, minute } = parseHhmm(hhmm);
  const wall = dayNumberMs(date) + hour * HOUR_MS + minute * MINUTE_MS;
  // A zone changes offset at most once within a day either side, so the offsets a day before and a
  // day after are the only two candidates.
  const before = zoneOffset(wall - DAY_MS, timeZone);
  const after = zoneOffset(wall + DAY_MS, timeZone);
  const candidates = [wall - before, wall - after].filter((t) => zoneOffset(t, timeZone) === wall - t);
  if (candidates.length > 0) return Math.min(...candidates);
  return wall - before;
}

/** The instant of New York wall-clock time `hhmm` on `date`. */
export function nyTimeToEpoch(date: IsoDate, hhmm: string): number {
  return zonedTimeToEpoch(date, hhmm, NEW_YORK);
}

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
  const earlyClose = dateSet(cal.earlyCloses).has(date);
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
