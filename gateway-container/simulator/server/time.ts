// Time strings as IB Gateway writes them. The gateway runs in New York time, like the market.

import { nyParts, nyTimeToEpoch, zonedTimeToEpoch } from '#core/calendar';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function compactDate(isoDate: string): string {
  return isoDate.replaceAll('-', '');
}

/** New York's offset from UTC at `at`, in minutes (−300 in winter, −240 in summer). */
function nyOffsetMinutes(at: number): number {
  const p = nyParts(at);
  const [y, m, d] = p.date.split('-').map(Number) as [number, number, number];
  const wallAsUtc = Date.UTC(y, m - 1, d, p.hour, p.minute, p.second);
  return Math.round((wallAsUtc - Math.floor(at / 1000) * 1000) / 60_000);
}

/** `YYYYMMDD HH:mm:ss` in New York. */
export function nyStamp(at: number): string {
  const p = nyParts(at);
  return `${compactDate(p.date)} ${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
}

/** The handshake's connection time, e.g. `20261124 10:30:00 EST`. */
export function connectionTime(at: number): string {
  return `${nyStamp(at)} ${nyOffsetMinutes(at) === -240 ? 'EDT' : 'EST'}`;
}

/** Execution times as recent gateways report them: `20261124 10:15:03 US/Eastern`. */
export function executionTime(at: number): string {
  return `${nyStamp(at)} US/Eastern`;
}

/** `HH:MM` in New York, for ACCT_UPDATE_TIME. */
export function nyHhmm(at: number): string {
  const p = nyParts(at);
  return `${pad2(p.hour)}:${pad2(p.minute)}`;
}

const IB_ZONES: Record<string, string> = {
  'US/Eastern': 'America/New_York',
  EST: 'America/New_York',
  EDT: 'America/New_York',
  'America/New_York': 'America/New_York',
  'US/Central': 'America/Chicago',
  'US/Pacific': 'America/Los_Angeles',
  GMT: 'UTC',
  UTC: 'UTC',
};

/**
 * An IB request time: `yyyymmdd-hh:mm:ss` (UTC), or `yyyymmdd hh:mm:ss [zone]` (New York when no zone is
 * given, as the gateway's local time). Empty or unreadable → undefined (no filter).
 */
export function parseIbTime(text: string): number | undefined {
  const trimmed = text.trim();
  const match = /^(\d{4})(\d{2})(\d{2})(?:([- ])\s*(\d{2}):(\d{2})(?::(\d{2}))?(?:\s+(\S+))?)?$/.exec(
    trimmed,
  );
  if (!match) return undefined;
  const [, y, mo, d, sep, hh = '00', mm = '00', ss = '00', zone] = match;
  const date = `${y}-${mo}-${d}`;
  const seconds = Number(ss) * 1000;
  if (sep === '-') return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm)) + seconds;
  const timeZone = zone === undefined ? 'America/New_York' : IB_ZONES[zone];
  if (timeZone === undefined) return undefined;
  if (timeZone === 'America/New_York') return nyTimeToEpoch(date, `${hh}:${mm}`) + seconds;
  return zonedTimeToEpoch(date, `${hh}:${mm}`, timeZone) + seconds;
}
