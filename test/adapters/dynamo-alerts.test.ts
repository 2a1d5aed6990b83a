// Alert cooldown against DynamoDB Local: one claim per cooldown, escalation breaks through, and of
// concurrent monitors exactly one sends.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertSeverity } from '#core/types';
import { useTables } from '../support/dynamodb';

const db = await useTables();
const alerts = db.stores.alerts;
const NOW = Date.UTC(2026, 1, 2, 15, 0);
const MINUTE = 60_000;
const key = (label: string) => `pos-${randomUUID().slice(0, 8)}:${label}`;

describe('alert cooldown', () => {
  it('sends once per cooldown; the same severity is suppressed until the cooldown has passed', async () => {
    const k = key('rule12');
    expect(await alerts.tryClaimAlert(k, 'WARNING', NOW, 60)).toEqual({ claimed: true });
    const suppressed = await alerts.tryClaimAlert(k, 'WARNING', NOW + 59 * MINUTE, 60);
    expect(suppressed).toEqual({
      claimed: false,
      current: { key: k, severity: 'WARNING', lastSentAt: NOW, sentCount: 1 },
    });
    // Exactly one cooldown later it may go again.
    expect((await alerts.tryClaimAlert(k, 'WARNING', NOW + 60 * MINUTE, 60)).claimed).toBe(true);
    expect(await alerts.get(k)).toEqual({
      key: k,
      severity: 'WARNING',
      lastSentAt: NOW + 60 * MINUTE,
      sentCount: 2,
    });
  });

  it('a rise in severity goes through at once; a fall waits for the cooldown', async () => {
    const k = key('loss');
    await alerts.tryClaimAlert(k, 'WARNING', NOW, 60);
    expect((await alerts.tryClaimAlert(k, 'CRITICAL', NOW + MINUTE, 60)).claimed).toBe(true);
    expect((await alerts.tryClaimAlert(k, 'WARNING', NOW + 2 * MINUTE, 60)).claimed).toBe(false);
    expect((await alerts.tryClaimAlert(k, 'CRITICAL', NOW + 3 * MINUTE, 60)).claimed).toBe(false);
    expect((await alerts.get(k))?.severity).toBe('CRITICAL');
  });

  it('of 20 concurrent claims exactly one wins', async () => {
    const k = key('race');
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => alerts.tryClaimAlert(k, 'CRITICAL', NOW, 60)),
    );
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    expect((await alerts.get(k))?.sentCount).toBe(1);
  });

  it('concurrent WARNING and CRITICAL claims send at most one of each severity', async () => {
    const k = key('mixed');
    const severities: AlertSeverity[] = Array.from({ length: 16 }, (_, i) =>
      i % 2 ? 'CRITICAL' : 'WARNING',
    );
    const claims = await Promise.all(severities.map((s) => alerts.tryClaimAlert(k, s, NOW, 60)));
    const sent = severities.filter((_, i) => claims[i]?.claimed);
    // CRITICAL first suppresses every WARNING (1 send); WARNING first lets one CRITICAL escalate (2).
    expect(sent.filter((s) => s === 'CRITICAL')).toHaveLength(1);
    expect(sent.filter((s) => s === 'WARNING').length).toBeLessThanOrEqual(1);
    expect((await alerts.get(k))?.severity).toBe('CRITICAL');
  });

  it('remembers since when a condition holds, until cleared', async () => {
    const k = key('guard');
    expect(await alerts.holdingSince(k, NOW)).toBe(NOW);
    expect(await alerts.holdingSince(k, NOW + 20 * MINUTE)).toBe(NOW);
    await alerts.tryClaimAlert(k, 'WARNING', NOW + 20 * MINUTE, 60);
    await alerts.clear(k);
    expect(await alerts.get(k)).toBeUndefined();
    expect(await alerts.holdingSince(k, NOW + 30 * MINUTE)).toBe(NOW + 30 * MINUTE);
    // Holding since is not a send: the first real alert still goes out.
    expect((await alerts.tryClaimAlert(k, 'INFO', NOW + 31 * MINUTE, 60)).claimed).toBe(true);
  });

  it('property: a sequence of claims matches the cooldown rule of the trading rules', async () => {
    const rank: Record<AlertSeverity, number> = { INFO: 1, WARNING: 2, CRITICAL: 3 };
    const step = fc.record({
      severity: fc.constantFrom<AlertSeverity>('INFO', 'WARNING', 'CRITICAL'),
      minutesLater: fc.integer({ min: 0, max: 90 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 120 }),
        async (steps, cooldown) => {
          const k = key('model');
          // The rule, written independently: suppressed for the cooldown unless severity rises.
          let last: { at: number; severity: AlertSeverity } | undefined;
          let now = NOW;
          for (const { severity, minutesLater } of steps) {
            now += minutesLater * MINUTE;
            const expected =
              !last || now - last.at >= cooldown * MINUTE || rank[severity] > rank[last.severity];
            const claim = await alerts.tryClaimAlert(k, severity, now, cooldown);
            expect(claim.claimed).toBe(expected);
            if (expected) last = { at: now, severity };
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
