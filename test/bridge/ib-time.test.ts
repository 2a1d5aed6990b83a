// IB's date and time formats (gateway-container/bridge/ib/parsing/time.ts), as tables. Expected
// instants are written as Date.UTC of the wall time worked out by hand (New York: EST UTC−5, EDT UTC−4;
// 2026's changes on 8 March and 1 November).

import { describe, expect, it } from 'vitest';
import { isoFromIb, nyDate, parseIbTime } from '#bridge/ib/parsing/time';

describe('parseIbTime', () => {
  it.each([
    // [IB's text, the zone of times without one, the instant]
    ['20260601 09:30:00 US/Eastern', undefined, Date.UTC(2026, 5, 1, 13, 30)],
    ['20260601 09:30:00 America/New_York', undefined, Date.UTC(2026, 5, 1, 13, 30)],
    ['20261124 10:15:32 US/Eastern', undefined, Date.UTC(2026, 10, 24, 15, 15, 32)],
    ['20260601 09:30:00 EST', undefined, Date.UTC(2026, 5, 1, 13, 30)], // IB's label, New York's rules
    ['20260601 09:30:00 EDT', undefined, Date.UTC(2026, 5, 1, 13, 30)],
    ['20260601 09:30:00 Europe/London', undefined, Date.UTC(2026, 5, 1, 8, 30)],
    ['20260601-13:30:00', undefined, Date.UTC(2026, 5, 1, 13, 30)], // yyyymmdd-hh:mm:ss is UTC
    ['20260601-13:30:00', 'Asia/Tokyo', Date.UTC(2026, 5, 1, 13, 30)], // whatever the gateway's zone
    ['20260601-09:30:00 US/Eastern', undefined, Date.UTC(2026, 5, 1, 13, 30)],
    ['20260601  09:30:00', 'America/New_York', Date.UTC(2026, 5, 1, 13, 30)], // the gateway's zone
    ['20260601  09:30:00', 'Europe/London', Date.UTC(2026, 5, 1, 8, 30)],
    ['20260601  09:30:00', undefined, Date.UTC(2026, 5, 1, 13, 30)], // New York by default
    ['  20260601 09:30:00 US/Eastern  ', undefined, Date.UTC(2026, 5, 1, 13, 30)],
    ['20260308 01:30:00 America/New_York', undefined, Date.UTC(2026, 2, 8, 6, 30)], // before spring forward
    ['20260308 03:30:00 America/New_York', undefined, Date.UTC(2026, 2, 8, 7, 30)], // after it
    ['20261101 00:30:00 America/New_York', undefined, Date.UTC(2026, 10, 1, 4, 30)], // before fall back
    ['20261101 03:00:00 America/New_York', undefined, Date.UTC(2026, 10, 1, 8, 0)], // after it
    ['1780320600', undefined, Date.UTC(2026, 5, 1, 13, 30)], // epoch seconds
    ['999999999', undefined, 999_999_999_000], // nine digits
  ])('%j (default zone %s)', (text, zone, expected) => {
    expect(parseIbTime(text, zone)).toBe(expected);
  });

  it.each([
    ['garbage'],
    [''],
    ['2026-06-01 09:30:00'], // ISO, not IB's
    ['20260601 09:30'], // no seconds
    ['20260601'], // a date alone
    ['12345678'], // eight digits: neither epoch seconds nor a date and time
    ['17803206000'], // eleven digits: epoch milliseconds are not IB's
    ['20260601 09:30:00 Not/AZone'],
  ])('%j is no IB time', (text) => {
    expect(parseIbTime(text)).toBeUndefined();
  });
});

describe('isoFromIb', () => {
  it.each([
    ['20261218', '2026-12-18'],
    ['20230623 16:00:00 US/Eastern', '2023-06-23'], // the decoder leaves an expiry's time on
    ['20260601-13:30:00', '2026-06-01'],
    [' 20261218 ', '2026-12-18'],
    ['202612', undefined], // a contract month has no day
    ['garbage', undefined],
    ['', undefined],
  ])('%j → %s', (text, expected) => {
    expect(isoFromIb(text)).toBe(expected);
  });
});

describe('nyDate (the trade date)', () => {
  it.each([
    [Date.UTC(2026, 10, 24, 4, 59, 59), '2026-11-23'], // 23:59:59 EST the day before
    [Date.UTC(2026, 10, 24, 5, 0, 0), '2026-11-24'], // midnight EST
    [Date.UTC(2026, 6, 15, 3, 59, 59), '2026-07-14'], // 23:59:59 EDT the day before
    [Date.UTC(2026, 6, 15, 4, 0, 0), '2026-07-15'], // midnight EDT
    [Date.UTC(2026, 11, 31, 23, 0), '2026-12-31'], // 18:00 New Year's Eve
  ])('%i → %s', (at, expected) => {
    expect(nyDate(at)).toBe(expected);
  });
});
