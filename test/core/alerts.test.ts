import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alertKey,
  compareSeverity,
  cooldownKey,
  cooldownKeyOf,
  describeLegs,
  describePosition,
  makeAlert,
  pnlAlertSeverity,
  shouldSendAlert,
  usd,
} from '#core/alerts';
import { parseConfig } from '#core/config';
import type { AlertSeverity, Right, StrategyPosition } from '#core/types';

const config = parseConfig({});
const alerts = config.alerts; // defaults: critical > 500, warning > 200, info > 500 profit

function leg(right: Right, strike: number, quantity: number) {
  return { contract: { symbol: 'SPY', expiry: '2026-12-31', strike, right, multiplier: 100 }, quantity };
}

const condor: StrategyPosition = {
  id: 'pos-ic-1',
  strategy: 'IRON_CONDOR',
  symbol: 'SPY',
  expiry: '2026-12-31',
  legs: [leg('P', 575, 2), leg('P', 580, -2), leg('C', 620, -2), leg('C', 625, 2)],
  quantity: 2,
  entryCredit: 2,
  width: 5,
  openedAt: 0,
  commissionsUsd: 5.2,
};

describe('pnlAlertSeverity', () => {
  it('uses strict thresholds: exactly $500 or $200 of loss is not above them', () => {
    expect(pnlAlertSeverity(-500, alerts)).toBe('WARNING');
    expect(pnlAlertSeverity(-500.01, alerts)).toBe('CRITICAL');
    expect(pnlAlertSeverity(-200, alerts)).toBeUndefined();
    expect(pnlAlertSeverity(-200.01, alerts)).toBe('WARNING');
    expect(pnlAlertSeverity(500, alerts)).toBeUndefined();
    expect(pnlAlertSeverity(500.01, alerts)).toBe('INFO');
    expect(pnlAlertSeverity(0, alerts)).toBeUndefined();
    expect(pnlAlertSeverity(Number.NaN, alerts)).toBeUndefined();
  });

  it('follows the configured thresholds', () => {
    const custom = parseConfig({
      alerts: { lossCriticalUsd: 1000, lossWarningUsd: 100, profitInfoUsd: 50 },
    }).alerts;
    expect(pnlAlertSeverity(-999, custom)).toBe('WARNING');
    expect(pnlAlertSeverity(-1001, custom)).toBe('CRITICAL');
    expect(pnlAlertSeverity(60, custom)).toBe('INFO');
  });

  it('is monotone: a bigger loss is never less severe', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (a, b) => {
          const [small, big] = a <= b ? [a, b] : [b, a];
          const rank = (s: AlertSeverity | undefined) => (s === 'CRITICAL' ? 2 : s === 'WARNING' ? 1 : 0);
          expect(rank(pnlAlertSeverity(-big, alerts))).toBeGreaterThanOrEqual(
            rank(pnlAlertSeverity(-small, alerts)),
          );
        },
      ),
    );
  });
});

describe('alert keys', () => {
  it('key is subject + rule + severity; the cooldown key leaves severity out', () => {
    expect(alertKey('pos-1', 12, 'WARNING')).toBe('pos-1#12#WARNING');
    expect(alertKey('pos-1', 12, 'WARNING')).not.toBe(alertKey('pos-1', 12, 'CRITICAL'));
    expect(cooldownKey('pos-1', 12)).toBe('pos-1#12');
    const a = makeAlert({ subject: 'pos-1', rule: 12, severity: 'CRITICAL', title: 't', message: 'm' });
    const b = makeAlert({ subject: 'pos-1', rule: 12, severity: 'INFO', title: 't', message: 'm' });
    expect(a.key).toBe(alertKey('pos-1', 12, 'CRITICAL'));
    expect(cooldownKeyOf(a)).toBe(cooldownKeyOf(b));
    expect(cooldownKeyOf(a)).not.toBe(cooldownKeyOf({ subject: 'pos-2', rule: '12' }));
  });

  it('orders severities INFO < WARNING < CRITICAL', () => {
    expect(compareSeverity('WARNING', 'INFO')).toBeGreaterThan(0);
    expect(compareSeverity('CRITICAL', 'WARNING')).toBeGreaterThan(0);
    expect(compareSeverity('INFO', 'CRITICAL')).toBeLessThan(0);
    expect(compareSeverity('WARNING', 'WARNING')).toBe(0);
  });
});

describe('shouldSendAlert (cooldown 60 min)', () => {
  const t0 = Date.UTC(2026, 2, 10, 15, 0);
  const min = 60_000;
  const warning = { severity: 'WARNING' as const };

  it('sends the first alert', () => {
    expect(shouldSendAlert(warning, undefined, t0, 60).send).toBe(true);
  });

  it('suppresses the same severity inside the cooldown and sends it once the cooldown is over', () => {
    const prev = { severity: 'WARNING' as const, sentAt: t0 };
    expect(shouldSendAlert(warning, prev, t0 + 59 * min, 60).send).toBe(false);
    expect(shouldSendAlert(warning, prev, t0 + 60 * min, 60).send).toBe(true);
  });

  it('lets a rising severity through at once, and suppresses a falling one', () => {
    const prev = { severity: 'WARNING' as const, sentAt: t0 };
    const up = shouldSendAlert({ severity: 'CRITICAL' }, prev, t0 + min, 60);
    expect(up.send).toBe(true);
    expect(up.reason).toContain('rose');
    expect(shouldSendAlert({ severity: 'INFO' }, prev, t0 + min, 60).send).toBe(false);
    expect(shouldSendAlert(warning, { severity: 'CRITICAL', sentAt: t0 }, t0 + min, 60).send).toBe(false);
  });

  it('treats a clock that reads before the last send as inside the cooldown', () => {
    expect(shouldSendAlert(warning, { severity: 'WARNING', sentAt: t0 }, t0 - 5 * min, 60).send).toBe(false);
  });

  it('law: inside the cooldown it sends exactly when the severity rises', () => {
    const sev = fc.constantFrom<AlertSeverity>('INFO', 'WARNING', 'CRITICAL');
    fc.assert(
      fc.property(
        sev,
        sev,
        fc.integer({ min: 1, max: 1440 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (p, n, cd, frac) => {
          const elapsed = Math.floor(frac * (cd * min - 1));
          const result = shouldSendAlert({ severity: n }, { severity: p, sentAt: t0 }, t0 + elapsed, cd);
          expect(result.send).toBe(compareSeverity(n, p) > 0);
        },
      ),
    );
  });
});

describe('formatting', () => {
  it('formats dollars with cents, thousands separators and a minus sign', () => {
    expect(usd(612)).toBe('$612.00');
    expect(usd(1234.5)).toBe('$1,234.50');
    expect(usd(-612)).toBe('-$612.00');
    expect(usd(1_000_000)).toBe('$1,000,000.00');
    expect(usd(0.005)).toBe('$0.01');
    expect(usd(-0.001)).toBe('$0.00');
    expect(usd(Number.NaN)).toBe('n/a');
  });

  it('names the position by strikes, short strike first per side', () => {
    expect(describePosition(condor)).toBe('SPY iron condor 2026-12-31 P580/575 C620/625 ×2');
  });

  it('names legs no strategy recognises by what they are: signed quantity, right, strike; puts first', () => {
    const legs = [
      { right: 'C' as const, strike: 252, quantity: 2 },
      { right: 'P' as const, strike: 228, quantity: -2 },
      { right: 'P' as const, strike: 220, quantity: 1 },
    ];
    expect(describeLegs('IWM', '2026-07-17', legs)).toBe('IWM 2026-07-17 legs +1 P220, −2 P228, +2 C252');
  });
});
