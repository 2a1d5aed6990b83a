// The gateway's window (gatewayHours=market): 07:30-18:30 New York on NYSE trading days, the config
// calendar deciding. UTC instants are written out where daylight saving matters, so a rule that used a
// fixed UTC time (or the machine's zone) would fail.
import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { parseConfig } from '#core/config';
import {
  gatewayHoursSchema,
  gatewayOffBySchedule,
  gatewayPhase,
  gatewayWindowOn,
  inGatewayWindow,
} from '#core/gateway-hours';

const calendar = parseConfig({}).calendar;
const ny = (date: string, hhmm: string) => nyTimeToEpoch(date, hhmm);
const utc = (iso: string) => Date.parse(iso);

describe('inGatewayWindow', () => {
  it.each([
    // Wednesday 2 Dec 2026, an ordinary trading day: 07:30 included, 18:30 excluded.
    ['trading day 07:29', ny('2026-12-02', '07:29'), false],
    ['trading day 07:30', ny('2026-12-02', '07:30'), true],
    ['trading day 12:00', ny('2026-12-02', '12:00'), true],
    ['trading day 18:29', ny('2026-12-02', '18:29'), true],
    ['trading day 18:30', ny('2026-12-02', '18:30'), false],
    ['trading day 23:00', ny('2026-12-02', '23:00'), false],
    ['trading day 03:00', ny('2026-12-02', '03:00'), false],
    // Weekend.
    ['Saturday 12:00', ny('2026-12-05', '12:00'), false],
    ['Sunday 12:00', ny('2026-12-06', '12:00'), false],
    // Thanksgiving 26 Nov 2026: NYSE closed, the gateway stays off.
    ['holiday 07:30', ny('2026-11-26', '07:30'), false],
    ['holiday 12:00', ny('2026-11-26', '12:00'), false],
    // 27 Nov 2026 closes at 13:00; the afternoon jobs (daily-statistics 16:30) still run: full window.
    ['early close 07:30', ny('2026-11-27', '07:30'), true],
    ['early close 16:30', ny('2026-11-27', '16:30'), true],
    ['early close 18:30', ny('2026-11-27', '18:30'), false],
    // DST starts Sun 8 Mar 2026 (a Sunday: off either way); Friday before is EST (UTC-5), Monday after EDT (UTC-4).
    ['DST start Sunday 12:00', ny('2026-03-08', '12:00'), false],
    ['Fri before DST start, 07:30 EST = 12:30Z', utc('2026-03-06T12:30:00Z'), true],
    ['Fri before DST start, 11:30Z = 06:30 EST', utc('2026-03-06T11:30:00Z'), false],
    ['Mon after DST start, 07:30 EDT = 11:30Z', utc('2026-03-09T11:30:00Z'), true],
    ['Mon after DST start, 11:29Z = 07:29 EDT', utc('2026-03-09T11:29:00Z'), false],
    ['Mon after DST start, 18:30 EDT = 22:30Z', utc('2026-03-09T22:30:00Z'), false],
    ['Mon after DST start, 22:29Z = 18:29 EDT', utc('2026-03-09T22:29:00Z'), true],
    // DST ends Sun 1 Nov 2026; Friday before EDT, Monday after EST.
    ['DST end Sunday 12:00', ny('2026-11-01', '12:00'), false],
    ['Fri before DST end, 18:29 EDT = 22:29Z', utc('2026-10-30T22:29:00Z'), true],
    ['Mon after DST end, 07:30 EST = 12:30Z', utc('2026-11-02T12:30:00Z'), true],
    ['Mon after DST end, 12:29Z = 07:29 EST', utc('2026-11-02T12:29:00Z'), false],
    ['Mon after DST end, 23:29Z = 18:29 EST', utc('2026-11-02T23:29:00Z'), true],
    ['Mon after DST end, 23:30Z = 18:30 EST', utc('2026-11-02T23:30:00Z'), false],
  ])('%s → %s', (_name, at, inside) => {
    expect(inGatewayWindow(at, calendar)).toBe(inside);
    expect(gatewayPhase(at, 'market', calendar) !== 'off').toBe(inside);
    // With `always` the gateway is never off.
    expect(gatewayPhase(at, 'always', calendar)).toBe('on');
  });

  it('follows the config calendar: a holiday added there keeps the gateway off', () => {
    const extra = { ...calendar, holidays: [...calendar.holidays, '2026-12-02'] };
    expect(inGatewayWindow(ny('2026-12-02', '12:00'), calendar)).toBe(true);
    expect(inGatewayWindow(ny('2026-12-02', '12:00'), extra)).toBe(false);
  });

  it('gives the window of a trading day and none on a holiday', () => {
    expect(gatewayWindowOn('2026-12-02', calendar)).toEqual({
      start: utc('2026-12-02T12:30:00Z'),
      end: utc('2026-12-02T23:30:00Z'),
    });
    expect(gatewayWindowOn('2026-11-26', calendar)).toBeUndefined();
  });
});

describe('gatewayPhase', () => {
  it.each([
    ['07:30', 'starting'],
    ['07:40', 'starting'],
    ['07:44', 'starting'],
    ['07:45', 'on'],
    ['18:29', 'on'],
    ['18:30', 'off'],
  ] as const)('trading day %s → %s', (hhmm, phase) => {
    expect(gatewayPhase(ny('2026-12-02', hhmm), 'market', calendar)).toBe(phase);
  });
});

describe('gatewayOffBySchedule', () => {
  it('names the window, or that the day is not a trading day', () => {
    expect(gatewayOffBySchedule(ny('2026-12-02', '20:00'), 'market', calendar)).toBe(
      'gateway off by schedule (gatewayHours=market: 07:30-18:30 New York)',
    );
    expect(gatewayOffBySchedule(ny('2026-11-26', '10:00'), 'market', calendar)).toBe(
      'gateway off by schedule (gatewayHours=market: trading days only; 2026-11-26 is not one)',
    );
    expect(gatewayOffBySchedule(ny('2026-12-02', '07:35'), 'market', calendar)).toBeUndefined();
    expect(gatewayOffBySchedule(ny('2026-12-02', '20:00'), 'always', calendar)).toBeUndefined();
  });

  it('refuses a gatewayHours other than always or market', () => {
    expect(gatewayHoursSchema.safeParse('market').success).toBe(true);
    expect(gatewayHoursSchema.safeParse('weekdays').error?.issues[0]?.message).toBe(
      'gatewayHours must be always or market',
    );
  });
});
