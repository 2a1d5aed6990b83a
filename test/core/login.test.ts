// The weekly login's rules: when it is, which alert each 10-minute check sends, what it names.
import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { parseConfig } from '#core/config';
import {
  DEFAULT_WEEKLY_LOGIN,
  firstJobNeedingIb,
  lastWeeklyLogin,
  loginAlert,
  weeklyLoginSchema,
  weeklyLoginTime,
} from '#core/login';

const calendar = parseConfig({}).calendar;
const at = (date: string, hhmm: string) => nyTimeToEpoch(date, hhmm);
const SUNDAY = '2026-11-29';

describe('weekly login', () => {
  it('is a Sunday time (IBC cold-restarts on Sundays only), after the 01:00 token reset and before 23:45', () => {
    expect(weeklyLoginTime(DEFAULT_WEEKLY_LOGIN)).toBe('18:00');
    expect(weeklyLoginSchema.safeParse('Sat 18:00').error?.issues[0]?.message).toMatch(/Sundays only/);
    expect(weeklyLoginSchema.safeParse('Sun 00:30').error?.issues[0]?.message).toMatch(/01:00 token reset/);
    expect(weeklyLoginSchema.safeParse('Sun 23:50').success).toBe(false);
    expect(weeklyLoginSchema.safeParse('Sun 6:00').success).toBe(false);
  });

  it('the latest weekly login is this Sunday once its time has come, else last Sunday', () => {
    expect(lastWeeklyLogin(at(SUNDAY, '18:00'), 'Sun 18:00')).toBe(at(SUNDAY, '18:00'));
    expect(lastWeeklyLogin(at(SUNDAY, '17:59'), 'Sun 18:00')).toBe(at('2026-11-22', '18:00'));
    expect(lastWeeklyLogin(at('2026-12-02', '10:00'), 'Sun 09:30')).toBe(at(SUNDAY, '09:30'));
  });

  it('counts down to the first job that needs IB, skipping holidays (Thanksgiving) and jobs that do not', () => {
    expect(firstJobNeedingIb(at(SUNDAY, '18:00'), calendar)).toEqual({
      job: 'load-historical-data',
      at: at('2026-11-30', '08:00'),
    });
    // Wednesday 25 Nov after the 18:00 data check (which needs no IB): Thanksgiving is closed, Friday 08:00.
    expect(firstJobNeedingIb(at('2026-11-25', '16:40'), calendar)?.at).toBe(at('2026-11-27', '08:00'));
  });

  it('WARNING at once, CRITICAL from the second 10-minute check, each naming the time to the first job', () => {
    const firstJob = { job: 'load-historical-data' as const, at: at('2026-11-30', '08:00') };
    const base = { waitingSince: at(SUNDAY, '18:00'), cause: 'weekly' as const, paperOnly: false, firstJob };
    const first = loginAlert({ ...base, now: at(SUNDAY, '18:00') });
    expect(first).toMatchObject({
      slot: 0,
      severity: 'WARNING',
      title: 'Approve the IBKR Mobile notification now',
    });
    expect(first.message).toContain('load-historical-data, runs in 14 h 0 min');
    expect(loginAlert({ ...base, now: at(SUNDAY, '18:09') })).toMatchObject({ slot: 0, severity: 'WARNING' });
    const second = loginAlert({ ...base, now: at(SUNDAY, '18:10') });
    expect(second).toMatchObject({
      slot: 1,
      severity: 'CRITICAL',
      title: 'IB login waiting 10 min: approve the IBKR Mobile notification now',
    });
    expect(loginAlert({ ...base, now: at(SUNDAY, '20:05') }).title).toBe(
      'IB login waiting 2 h 5 min: approve the IBKR Mobile notification now',
    );
  });

  it('a paper-only setup says so and asks for nothing', () => {
    const alert = loginAlert({
      now: at(SUNDAY, '18:00'),
      waitingSince: at(SUNDAY, '18:00'),
      cause: 'weekly',
      paperOnly: true,
      firstJob: undefined,
    });
    expect(alert.severity).toBe('INFO');
    expect(alert.title).toBe('Weekly IB login (paper): no approval needed');
    expect(alert.message).not.toContain('approve the IBKR Mobile');
  });
});
