// New York wall-clock time: time zone offsets, calendar dates and their arithmetic, and wall-clock times
// turned into instants. Pure: every function takes the instant as epoch ms.
import type { IsoDate } from './types';

export const NEW_YORK = 'America/New_York';

export const MINUTE_MS = 60_000;
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

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function isoFromUtcDate(d: Date): IsoDate {
  const year = d.getUTCFullYear();
  return `${year < 1000 ? String(year).padStart(4, '0') : year}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** Midnight UTC of a calendar date, as epoch ms; used for day arithmetic only (never an instant). */
export function dayNumberMs(date: IsoDate): number {
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
