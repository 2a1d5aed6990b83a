// IB's date and time formats, read into the domain's (pure: the zone is a parameter, never the clock).

/** `YYYYMMDD` (possibly followed by a time, a known decoder quirk) → `YYYY-MM-DD`. */
export function isoFromIb(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(value.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/** The New York calendar date of an instant, `YYYY-MM-DD` (IB's trade date; the day caches roll on it). */
export function nyDate(at: number): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/New_York',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** Offset of `timeZone` from UTC at `at`, in ms. */
function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * IB execution and bar times: `YYYYMMDD-HH:mm:ss` (UTC), `YYYYMMDD HH:mm:ss Zone/Name`, or
 * `YYYYMMDD  HH:mm:ss` in the gateway's own time zone. Epoch seconds are accepted too.
 */
export function parseIbTime(value: string, defaultZone = 'America/New_York'): number | undefined {
  const s = value.trim();
  if (/^\d{9,10}$/.test(s)) return Number(s) * 1000;
  const m = /^(\d{4})(\d{2})(\d{2})(-|\s+)(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, sep, h, mi, se, zone] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  if (sep === '-' && !zone) return wall;
  const tz = zone === undefined ? defaultZone : zone === 'EST' || zone === 'EDT' ? 'America/New_York' : zone;
  try {
    // two passes settle the offset around daylight-saving changes
    const guess = wall - zoneOffsetMs(wall, tz);
    return wall - zoneOffsetMs(guess, tz);
  } catch {
    return undefined;
  }
}
