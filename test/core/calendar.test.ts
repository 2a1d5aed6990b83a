import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clockTimeAfter,
  compareWithIbHours,
  isEarlyClose,
  isOpen,
  isTradingDay,
  marketClock,
  minutesOfDay,
  nextOpen,
  nextTradingDay,
  nyParts,
  nyTimeToEpoch,
  parseIbLiquidHours,
  previousTradingDay,
  sessionFor,
  tradingDaysBetween,
} from '#core/calendar';
import { calendarSchema } from '#core/config';
import { NYSE_EARLY_CLOSES, NYSE_HOLIDAYS } from '#core/nyse-calendar';

const cal = calendarSchema.parse({});
const utc = (iso: string) => Date.parse(iso);
const MINUTE = 60_000;
const HOUR = 3_600_000;

describe('New York time across daylight saving', () => {
  // US rule since 2007: EDT (UTC−4) from 02:00 on the second Sunday of March to 02:00 on the first
  // Sunday of November, EST (UTC−5) otherwise. In 2026 those Sundays are March 8 and November 1.
  it('springs forward on 2026-03-08: 01:59 EST is followed by 03:00 EDT', () => {
    expect(nyParts(utc('2026-03-08T06:59:00Z'))).toMatchObject({ date: '2026-03-08', hour: 1, minute: 59 });
    expect(nyParts(utc('2026-03-08T07:00:00Z'))).toMatchObject({ date: '2026-03-08', hour: 3, minute: 0 });
    expect(nyTimeToEpoch('2026-03-08', '01:59')).toBe(utc('2026-03-08T06:59:00Z'));
    expect(nyTimeToEpoch('2026-03-08', '03:00')).toBe(utc('2026-03-08T07:00:00Z'));
    // 02:30 does not exist that night; it is read with the pre-jump offset (EST), i.e. 03:30 EDT.
    expect(nyTimeToEpoch('2026-03-08', '02:30')).toBe(utc('2026-03-08T07:30:00Z'));
  });

  it('falls back on 2026-11-01: 01:30 happens twice, and the earlier (EDT) one is chosen', () => {
    expect(nyParts(utc('2026-11-01T05:30:00Z'))).toMatchObject({ date: '2026-11-01', hour: 1, minute: 30 });
    expect(nyParts(utc('2026-11-01T06:30:00Z'))).toMatchObject({ date: '2026-11-01', hour: 1, minute: 30 });
    expect(nyTimeToEpoch('2026-11-01', '01:30')).toBe(utc('2026-11-01T05:30:00Z'));
    expect(nyTimeToEpoch('2026-11-01', '02:00')).toBe(utc('2026-11-01T07:00:00Z'));
  });

  it('opens at 13:30Z in summer time and 14:30Z in winter time (the Mondays after the switch)', () => {
    expect(sessionFor('2026-03-09', cal)?.open).toBe(utc('2026-03-09T13:30:00Z'));
    expect(sessionFor('2026-03-09', cal)?.close).toBe(utc('2026-03-09T20:00:00Z'));
    expect(sessionFor('2026-11-02', cal)?.open).toBe(utc('2026-11-02T14:30:00Z'));
    expect(sessionFor('2026-11-02', cal)?.close).toBe(utc('2026-11-02T21:00:00Z'));
    // The Friday before the spring switch is still on EST.
    expect(sessionFor('2026-03-06', cal)?.open).toBe(utc('2026-03-06T14:30:00Z'));
  });

  it('reports the New York date and weekday, not the UTC ones', () => {
    // 2026-01-02T03:00Z is 22:00 on Thursday 2026-01-01 in New York.
    expect(nyParts(utc('2026-01-02T03:00:00Z'))).toEqual({
      date: '2026-01-01',
      hour: 22,
      minute: 0,
      second: 0,
      weekday: 4,
    });
    expect(nyParts(utc('2026-07-04T16:05:07Z'))).toEqual({
      date: '2026-07-04',
      hour: 12,
      minute: 5,
      second: 7,
      weekday: 6,
    });
  });

  it('matches the US daylight-saving rule for any instant 2007–2099', () => {
    const secondSundayOfMarch = (year: number) => {
      const march1 = new Date(Date.UTC(year, 2, 1)).getUTCDay();
      return 1 + ((7 - march1) % 7) + 7;
    };
    const firstSundayOfNovember = (year: number) => {
      const nov1 = new Date(Date.UTC(year, 10, 1)).getUTCDay();
      return 1 + ((7 - nov1) % 7);
    };
    fc.assert(
      fc.property(fc.integer({ min: utc('2007-01-01T05:00:00Z'), max: utc('2099-12-31T00:00:00Z') }), (t) => {
        const year = new Date(t).getUTCFullYear();
        // Transitions at 02:00 local: 07:00Z in March (from EST), 06:00Z in November (from EDT).
        const dstStart = Date.UTC(year, 2, secondSundayOfMarch(year), 7);
        const dstEnd = Date.UTC(year, 10, firstSundayOfNovember(year), 6);
        const offset = t >= dstStart && t < dstEnd ? -4 * HOUR : -5 * HOUR;
        const wall = new Date(t + offset);
        const parts = nyParts(t);
        expect(parts.date).toBe(wall.toISOString().slice(0, 10));
        expect([parts.hour, parts.minute, parts.second, parts.weekday]).toEqual([
          wall.getUTCHours(),
          wall.getUTCMinutes(),
          wall.getUTCSeconds(),
          wall.getUTCDay(),
        ]);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips nyTimeToEpoch(nyParts(t)) to the minute', () => {
    fc.assert(
      fc.property(fc.integer({ min: utc('1990-01-01T00:00:00Z'), max: utc('2100-01-01T00:00:00Z') }), (t) => {
        const parts = nyParts(t);
        const hhmm = `${String(parts.hour).padStart(2, '0')}:${String(parts.minute).padStart(2, '0')}`;
        const back = nyTimeToEpoch(parts.date, hhmm);
        const minute = Math.floor(t / MINUTE) * MINUTE;
        // Wall times in the repeated fall-back hour map to the first occurrence, one hour earlier.
        const repeated =
          nyParts(minute - HOUR).hour === parts.hour && nyParts(minute - HOUR).date === parts.date;
        expect(back).toBe(repeated ? minute - HOUR : minute);
        expect(nyParts(back)).toMatchObject({ date: parts.date, hour: parts.hour, minute: parts.minute });
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects malformed dates and times', () => {
    expect(() => nyTimeToEpoch('2026-02-30', '09:30')).toThrow(/no such date/);
    expect(() => nyTimeToEpoch('2026/03/09', '09:30')).toThrow(/YYYY-MM-DD/);
    expect(() => nyTimeToEpoch('2026-03-09', '24:00')).toThrow(/HH:MM/);
    expect(() => nyParts(Number.NaN)).toThrow(/finite/);
  });
});

describe('wall-clock times of one day (HH:MM)', () => {
  it('minutesOfDay counts from midnight and orders times; a malformed time is refused', () => {
    expect(minutesOfDay('00:00')).toBe(0);
    expect(minutesOfDay('09:45')).toBe(585);
    expect(minutesOfDay('1600')).toBe(960);
    expect(minutesOfDay('23:59')).toBe(1439);
    expect(() => minutesOfDay('24:00')).toThrow(/HH:MM/);
    expect(() => minutesOfDay('9:45')).toThrow(/HH:MM/);
  });

  it('clockTimeAfter steps within the day and refuses to leave it', () => {
    expect(clockTimeAfter('18:00', 25)).toBe('18:25');
    expect(clockTimeAfter('09:55', 10)).toBe('10:05');
    expect(clockTimeAfter('10:05', -10)).toBe('09:55');
    expect(clockTimeAfter('23:30', 29)).toBe('23:59');
    expect(() => clockTimeAfter('23:30', 30)).toThrow(/same day/);
    expect(() => clockTimeAfter('00:10', -11)).toThrow(/same day/);
  });
});

describe('trading days', () => {
  // NYSE's published 2026 holidays, by name.
  const holidays2026: [string, string][] = [
    ["New Year's Day", '2026-01-01'],
    ['Martin Luther King Jr. Day', '2026-01-19'],
    ["Washington's Birthday", '2026-02-16'],
    ['Good Friday', '2026-04-03'],
    ['Memorial Day', '2026-05-25'],
    ['Juneteenth', '2026-06-19'],
    ['Independence Day (observed)', '2026-07-03'],
    ['Labor Day', '2026-09-07'],
    ['Thanksgiving Day', '2026-11-26'],
    ['Christmas Day', '2026-12-25'],
  ];

  it.each(holidays2026)('%s %s is closed all day', (_name, date) => {
    expect(isTradingDay(date, cal)).toBe(false);
    expect(sessionFor(date, cal)).toBeUndefined();
    const noon = nyTimeToEpoch(date, '12:00');
    expect(isOpen(noon, cal)).toBe(false);
    expect(marketClock(noon, cal)).toMatchObject({ tradeDate: date, isTradingDay: false, isOpen: false });
  });

  it('keeps the weekdays around holidays open (2026-07-02 is a full day, not an early close)', () => {
    expect(isTradingDay('2026-07-02', cal)).toBe(true);
    expect(isEarlyClose('2026-07-02', cal)).toBe(false);
    expect(sessionFor('2026-07-02', cal)?.close).toBe(utc('2026-07-02T20:00:00Z'));
    expect(isTradingDay('2026-11-27', cal)).toBe(true);
  });

  it('is closed on weekends', () => {
    for (const date of ['2026-03-07', '2026-03-08', '2026-10-31', '2026-11-01', '2028-01-01']) {
      expect(isTradingDay(date, cal), date).toBe(false);
      expect(sessionFor(date, cal), date).toBeUndefined();
    }
    expect(isTradingDay('2026-03-06', cal)).toBe(true);
    expect(isTradingDay('2026-03-09', cal)).toBe(true);
  });

  it('closes at 13:00 on early-close days; ETF options trade until 13:15', () => {
    // 2026-11-27 (day after Thanksgiving) and 2026-12-24 are in EST: 13:00 = 18:00Z.
    for (const date of ['2026-11-27', '2026-12-24']) {
      expect(isEarlyClose(date, cal), date).toBe(true);
      const session = sessionFor(date, cal)!;
      expect(session.earlyClose).toBe(true);
      expect(session.open).toBe(utc(`${date}T14:30:00Z`));
      expect(session.close).toBe(utc(`${date}T18:00:00Z`));
      expect(session.optionsClose).toBe(utc(`${date}T18:15:00Z`));
      expect(isOpen(utc(`${date}T17:59:59Z`), cal)).toBe(true);
      expect(isOpen(utc(`${date}T18:00:00Z`), cal)).toBe(false);
    }
    expect(sessionFor('2026-11-25', cal)).toMatchObject({
      earlyClose: false,
      close: utc('2026-11-25T21:00:00Z'),
      optionsClose: utc('2026-11-25T21:15:00Z'),
    });
  });

  it('an early-close date that is also a holiday is just closed', () => {
    const odd = { ...cal, earlyCloses: [...cal.earlyCloses, '2026-11-26'] };
    expect(isEarlyClose('2026-11-26', odd)).toBe(false);
    expect(sessionFor('2026-11-26', odd)).toBeUndefined();
  });

  it('uses the configured times', () => {
    const custom = { ...cal, regularOpen: '10:00', regularClose: '15:00', earlyClose: '12:00' };
    expect(sessionFor('2026-03-09', custom)).toMatchObject({
      open: utc('2026-03-09T14:00:00Z'),
      close: utc('2026-03-09T19:00:00Z'),
    });
    expect(sessionFor('2026-12-24', custom)?.close).toBe(utc('2026-12-24T17:00:00Z'));
  });

  it('steps to the previous and next trading days over weekends and holidays', () => {
    expect(nextTradingDay('2026-01-16', cal)).toBe('2026-01-20'); // Fri → Tue (MLK Monday)
    expect(previousTradingDay('2026-01-20', cal)).toBe('2026-01-16');
    expect(nextTradingDay('2026-11-25', cal)).toBe('2026-11-27'); // over Thanksgiving
    expect(previousTradingDay('2026-11-27', cal)).toBe('2026-11-25');
    expect(nextTradingDay('2026-12-31', cal)).toBe('2027-01-04'); // New Year's Day on a Friday
    expect(previousTradingDay('2026-03-09', cal)).toBe('2026-03-06');
    expect(nextTradingDay('2026-03-07', cal)).toBe('2026-03-09'); // from a Saturday
  });

  it('counts trading days in (from, to]', () => {
    // Fri 2026-11-20 → Fri 11-27: Mon 23, Tue 24, Wed 25, (Thanksgiving 26 closed), Fri 27 = 4.
    expect(tradingDaysBetween('2026-11-20', '2026-11-27', cal)).toBe(4);
    expect(tradingDaysBetween('2026-11-27', '2026-11-20', cal)).toBe(-4);
    expect(tradingDaysBetween('2026-03-09', '2026-03-09', cal)).toBe(0);
    // 2026 has 365 days, 104 weekend days and 10 weekday holidays: 251 trading days.
    expect(tradingDaysBetween('2025-12-31', '2026-12-31', cal)).toBe(251);
  });

  it('trading-day counts add up across ranges and step by one to the next trading day', () => {
    const day = fc
      .integer({ min: 0, max: 4 * 365 })
      .map((n) => new Date(Date.UTC(2025, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, day, day, (a, b, c) => {
        expect(tradingDaysBetween(a, b, cal) + tradingDaysBetween(b, c, cal)).toBe(
          tradingDaysBetween(a, c, cal),
        );
        expect(tradingDaysBetween(a, nextTradingDay(a, cal), cal)).toBe(1);
        expect(tradingDaysBetween(previousTradingDay(a, cal), a, cal)).toBe(isTradingDay(a, cal) ? 1 : 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('marketClock and nextOpen', () => {
  it('counts minutes since the open and to the close', () => {
    // 2026-03-09 10:00 EDT = 14:00Z: 30 minutes after 09:30, 360 before 16:00.
    expect(marketClock(utc('2026-03-09T14:00:00Z'), cal)).toEqual({
      now: utc('2026-03-09T14:00:00Z'),
      tradeDate: '2026-03-09',
      isTradingDay: true,
      isOpen: true,
      earlyClose: false,
      openAt: utc('2026-03-09T13:30:00Z'),
      closeAt: utc('2026-03-09T20:00:00Z'),
      minutesSinceOpen: 30,
      minutesToClose: 360,
    });
    // Early close 2026-11-27, 12:30 EST = 17:30Z: 180 minutes after the open, 30 before 13:00.
    expect(marketClock(utc('2026-11-27T17:30:00Z'), cal)).toMatchObject({
      isOpen: true,
      earlyClose: true,
      minutesSinceOpen: 180,
      minutesToClose: 30,
    });
    // 09:00 EST on 2026-11-02 is 30 minutes before the open; 16:10 is 10 minutes after the close.
    expect(marketClock(utc('2026-11-02T14:00:00Z'), cal)).toMatchObject({
      isOpen: false,
      minutesSinceOpen: -30,
      minutesToClose: 420,
    });
    expect(marketClock(utc('2026-11-02T21:10:00Z'), cal)).toMatchObject({
      isOpen: false,
      minutesToClose: -10,
    });
  });

  it('has no session figures on a weekend', () => {
    const clock = marketClock(utc('2026-03-07T17:00:00Z'), cal);
    expect(clock).toMatchObject({ tradeDate: '2026-03-07', isTradingDay: false, isOpen: false });
    expect(clock.openAt).toBeUndefined();
    expect(clock.closeAt).toBeUndefined();
    expect(clock.minutesSinceOpen).toBeNaN();
    expect(clock.minutesToClose).toBeNaN();
  });

  it('is open from the open (inclusive) to the close (exclusive)', () => {
    expect(isOpen(utc('2026-03-09T13:29:59Z'), cal)).toBe(false);
    expect(isOpen(utc('2026-03-09T13:30:00Z'), cal)).toBe(true);
    expect(isOpen(utc('2026-03-09T19:59:59Z'), cal)).toBe(true);
    expect(isOpen(utc('2026-03-09T20:00:00Z'), cal)).toBe(false);
  });

  it('finds the next open over a long weekend and over Thanksgiving', () => {
    // Friday 2026-01-16 after the close → Tuesday 01-20 09:30 EST (MLK Day on Monday).
    expect(nextOpen(utc('2026-01-16T21:30:00Z'), cal)).toBe(utc('2026-01-20T14:30:00Z'));
    // Thursday 2026-04-02 evening → Monday 04-06 09:30 EDT (Good Friday).
    expect(nextOpen(utc('2026-04-02T23:00:00Z'), cal)).toBe(utc('2026-04-06T13:30:00Z'));
    // Wednesday 2026-11-25 after the close, and Thanksgiving itself → Friday 11-27 09:30 EST.
    expect(nextOpen(utc('2026-11-25T21:00:00Z'), cal)).toBe(utc('2026-11-27T14:30:00Z'));
    expect(nextOpen(utc('2026-11-26T15:00:00Z'), cal)).toBe(utc('2026-11-27T14:30:00Z'));
    // Saturday before the spring switch → Monday 03-09 09:30 EDT.
    expect(nextOpen(utc('2026-03-07T12:00:00Z'), cal)).toBe(utc('2026-03-09T13:30:00Z'));
  });

  it("returns today's open before it, and the next day's open from the open on", () => {
    expect(nextOpen(utc('2026-11-27T13:00:00Z'), cal)).toBe(utc('2026-11-27T14:30:00Z'));
    expect(nextOpen(utc('2026-11-27T14:30:00Z'), cal)).toBe(utc('2026-11-30T14:30:00Z'));
    expect(nextOpen(utc('2026-11-27T16:00:00Z'), cal)).toBe(utc('2026-11-30T14:30:00Z'));
  });

  it('nextOpen is the first session open after the instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: utc('2025-01-01T00:00:00Z'), max: utc('2028-12-20T00:00:00Z') }), (t) => {
        const open = nextOpen(t, cal);
        expect(open).toBeGreaterThan(t);
        expect(isOpen(open, cal)).toBe(true);
        expect(isOpen(open - 1, cal)).toBe(false);
        const from = nyParts(t).date;
        const to = nyParts(open).date;
        if (from === to) return;
        // Opening on a later day: no trading day lies between, and today's open (if any) has passed.
        expect(tradingDaysBetween(from, to, cal)).toBe(1);
        const today = sessionFor(from, cal);
        if (today) expect(t).toBeGreaterThanOrEqual(today.open);
      }),
      { numRuns: 500 },
    );
  });
});

describe('IB liquidHours', () => {
  it('parses the current format, including CLOSED days', () => {
    const days = parseIbLiquidHours(
      '20261123:0930-20261123:1600;20261124:0930-20261124:1600;20261126:CLOSED',
      'US/Eastern',
    );
    expect(days).toEqual([
      {
        date: '2026-11-23',
        closed: false,
        intervals: [{ open: utc('2026-11-23T14:30:00Z'), close: utc('2026-11-23T21:00:00Z') }],
      },
      {
        date: '2026-11-24',
        closed: false,
        intervals: [{ open: utc('2026-11-24T14:30:00Z'), close: utc('2026-11-24T21:00:00Z') }],
      },
      { date: '2026-11-26', closed: true, intervals: [] },
    ]);
  });

  it('reads times in the contract time zone, with daylight saving', () => {
    // CME-style Chicago hours 08:30–15:00 CDT are 13:30–20:00Z, the same as 09:30–16:00 EDT.
    const [chicago] = parseIbLiquidHours('20260706:0830-20260706:1500', 'America/Chicago');
    expect(chicago?.intervals).toEqual([
      { open: utc('2026-07-06T13:30:00Z'), close: utc('2026-07-06T20:00:00Z') },
    ]);
    // Some gateways send "EST (Eastern Standard Time)"; it still means New York with summer time.
    const [eastern] = parseIbLiquidHours('20260706:0930-20260706:1600', 'EST (Eastern Standard Time)');
    expect(eastern?.intervals[0]?.open).toBe(utc('2026-07-06T13:30:00Z'));
  });

  it('accepts the older form and overnight sessions', () => {
    const [day] = parseIbLiquidHours('20261123:0930-1200,1300-1600');
    expect(day?.intervals).toEqual([
      { open: utc('2026-11-23T14:30:00Z'), close: utc('2026-11-23T17:00:00Z') },
      { open: utc('2026-11-23T18:00:00Z'), close: utc('2026-11-23T21:00:00Z') },
    ]);
    // A futures session opening Sunday 18:00 belongs to Monday, the day it closes.
    const [overnight] = parseIbLiquidHours('20261122:1800-20261123:1700');
    expect(overnight).toMatchObject({ date: '2026-11-23', closed: false });
    expect(overnight?.intervals[0]).toEqual({
      open: utc('2026-11-22T23:00:00Z'),
      close: utc('2026-11-23T22:00:00Z'),
    });
  });

  it('rejects text it cannot read, naming it', () => {
    expect(() => parseIbLiquidHours('20261123:0930-')).toThrow(/0930-/);
    expect(() => parseIbLiquidHours('2026-11-23:0930-1600')).toThrow(/2026-11-23/);
    expect(() => parseIbLiquidHours('20261123:1600-20261123:0930')).toThrow(/closes before it opens/);
    expect(() => parseIbLiquidHours('20261123:0930-1600', 'Not/AZone')).toThrow(/Not\/AZone/);
  });

  it('finds no disagreement when IB matches our calendar', () => {
    const ib = parseIbLiquidHours(
      '20261123:0930-20261123:1600;20261124:0930-20261124:1600;20261125:0930-20261125:1600;' +
        '20261126:CLOSED;20261127:0930-20261127:1300;20261128:CLOSED',
      'US/Eastern',
    );
    expect(compareWithIbHours(ib, cal)).toEqual([]);
    // SPY options: 16:15 and 13:15 on the early close.
    const options = parseIbLiquidHours(
      '20261125:0930-20261125:1615;20261127:0930-20261127:1315',
      'US/Eastern',
    );
    expect(compareWithIbHours(options, cal, 'broadEtfOptions')).toEqual([]);
    expect(compareWithIbHours(options, cal, 'equity')).toHaveLength(2);
  });

  it('names each date where IB and our calendar disagree', () => {
    const ib = parseIbLiquidHours(
      // IB: open on Thanksgiving, full day on the early close, closed on a day we trade.
      '20261125:0930-20261125:1600;20261126:0930-20261126:1600;20261127:0930-20261127:1600;20261130:CLOSED',
      'US/Eastern',
    );
    expect(compareWithIbHours(ib, cal)).toEqual([
      { date: '2026-11-26', ours: 'CLOSED', ib: '09:30-16:00' },
      { date: '2026-11-27', ours: '09:30-13:00', ib: '09:30-16:00' },
      { date: '2026-11-30', ours: '09:30-16:00', ib: 'CLOSED' },
    ]);
  });
});

describe('nyse-calendar.ts', () => {
  const repoRoot = resolve(import.meta.dirname, '../..');
  const shared = resolve(repoRoot, '../shared/data/nyse-calendar.json');

  it('has weekday holidays and early closes only, sorted and distinct', () => {
    for (const list of [NYSE_HOLIDAYS, NYSE_EARLY_CLOSES]) {
      expect([...list].sort()).toEqual(list);
      expect(new Set(list).size).toBe(list.length);
      for (const date of list) expect([0, 6], date).not.toContain(new Date(`${date}T12:00:00Z`).getUTCDay());
    }
    for (const date of NYSE_EARLY_CLOSES) expect(NYSE_HOLIDAYS).not.toContain(date);
  });

  it.skipIf(!existsSync(shared))(
    `equals the announced dates in ${shared} (skipped when that file is absent)`,
    () => {
      const data = JSON.parse(readFileSync(shared, 'utf8')) as { holidays: string[]; earlyCloses: string[] };
      expect([...NYSE_HOLIDAYS]).toEqual(data.holidays);
      expect([...NYSE_EARLY_CLOSES]).toEqual(data.earlyCloses);
    },
  );

  it('is the default calendar config', () => {
    expect(cal.holidays).toEqual([...NYSE_HOLIDAYS]);
    expect(cal.earlyCloses).toEqual([...NYSE_EARLY_CLOSES]);
  });
});
