// Scenarios of faults outside the market: the gateway restarting mid-day, the quote feed stopping, the
// broker rejecting orders, and an operator's typo in the config table.
import { minutesOfDay, nyClockTime } from '#core/calendar';
import { parseConfig } from '#core/config';
import { expect, hasOpenPositions, within } from './expectations';
import type { Scenario } from './scenario';

export const gatewayDisconnect: Scenario = {
  name: 'gateway-disconnect',
  description:
    'IB Gateway restarts at 11:00 and refuses connections for 20 minutes; the bridge reconnects, the monitor holds meanwhile',
  events: [
    {
      time: '11:00',
      label: 'IB Gateway restarts: connections dropped and refused until 11:20',
      apply: ({ stack }) => stack.simulator.faults.restart(20 * 60_000),
    },
  ],
  tolerate: (run) => (within(run, '11:00', '11:25') ? 'gateway down (expected in this scenario)' : undefined),
  check: (summary) => [
    {
      description: 'the bridge lost the gateway during the outage',
      ...(summary.runs.some((r) => within(r, '11:00', '11:20') && r.bridge !== 'ready')
        ? { status: 'met' as const }
        : { status: 'not met' as const, detail: 'every run in 11:00–11:20 saw a ready bridge' }),
    },
    {
      description: 'the bridge reconnected after the gateway came back',
      ...(summary.runs.some((r) => minutesOfDay(r.time) >= minutesOfDay('11:30') && r.bridge === 'ready')
        ? { status: 'met' as const }
        : { status: 'not met' as const, detail: 'no run after 11:30 saw a ready bridge' }),
    },
    expect('the monitor held (data guard) while the gateway was down', () => {
      if (!hasOpenPositions(summary)) return 'not checked';
      const guarded = summary.positions.flatMap((p) =>
        p.notableDecisions.filter((d) => d.rule === 1 && within(d, '11:00', '11:25')),
      );
      return { ok: guarded.length > 0, detail: `${guarded.length} data-guard holds` };
    }),
  ],
};

export const staleQuotes: Scenario = {
  name: 'stale-quotes',
  description:
    'the quote feed stops from 11:00 to 11:30 (empty quotes); the data guard holds and a WARNING goes out',
  events: [
    {
      time: '11:00',
      label: 'quote feed stops for every contract',
      apply: ({ stack }) => stack.simulator.faults.quotes('all', 'missing'),
    },
    {
      time: '11:30',
      label: 'quote feed restored',
      apply: ({ stack }) => stack.simulator.faults.quotes('all', undefined),
    },
  ],
  tolerate: (run) =>
    within(run, '11:00', '11:30') && run.job !== 'monitor'
      ? 'no quotes (expected in this scenario)'
      : undefined,
  check: (summary) => [
    expect('the monitor held (data guard) on the missing quotes', () => {
      if (!hasOpenPositions(summary)) return 'not checked';
      const guarded = summary.positions.flatMap((p) =>
        p.notableDecisions.filter((d) => d.rule === 1 && within(d, '11:00', '11:30')),
      );
      return { ok: guarded.length > 0, detail: `${guarded.length} data-guard holds` };
    }),
    expect('a WARNING alert about the stale data', () => {
      if (!hasOpenPositions(summary)) return 'not checked';
      const warnings = summary.alerts.filter(
        (a) => a.severity === 'WARNING' && within({ time: nyClockTime(a.at) }, '11:00', '11:35'),
      );
      return { ok: warnings.length > 0, detail: warnings.map((a) => a.title).join('; ') };
    }),
  ],
};

export const orderRejected: Scenario = {
  name: 'order-rejected',
  description:
    'the broker rejects every new order from 09:55 to 10:30 (error 201); CRITICAL alert, no retry loop',
  events: [
    {
      time: '09:55',
      label: 'the broker starts rejecting orders (201: insufficient margin)',
      apply: ({ stack }) =>
        stack.simulator.faults.rejectOrders('Order rejected - reason: insufficient margin'),
    },
    {
      time: '10:30',
      label: 'the broker accepts orders again',
      apply: ({ stack }) => stack.simulator.faults.rejectOrders(undefined),
    },
  ],
  check: (summary) => [
    expect('the rejected orders raised a CRITICAL alert', () => {
      const rejected = summary.simulator.orders.filter((o) => o.rejectReason);
      if (rejected.length === 0) return { ok: false, detail: 'no order reached the broker to be rejected' };
      const critical = summary.alerts.filter((a) => a.severity === 'CRITICAL');
      return {
        ok: critical.length > 0,
        detail: `${rejected.length} rejected, ${critical.length} CRITICAL alerts`,
      };
    }),
    expect('no retry loop: each intent reached the broker at most once', () => {
      const perRef = new Map<string, number>();
      for (const o of summary.simulator.orders) perRef.set(o.orderRef, (perRef.get(o.orderRef) ?? 0) + 1);
      const repeated = [...perRef].filter(([, n]) => n > 1);
      return {
        ok: repeated.length === 0,
        ...(repeated.length ? { detail: repeated.map(([r, n]) => `${r} ×${n}`).join(', ') } : {}),
      };
    }),
  ],
};

export const corruptConfig: Scenario = {
  name: 'corrupt-config',
  description:
    'an operator typo in the config table (risk.maxOpenPositions = "five"); trading stops with a CRITICAL alert',
  setup: async ({ stack }) => {
    const risk = parseConfig({}).risk;
    await stack.putRawConfigItem('risk', { ...risk, maxOpenPositions: 'five' });
  },
  tolerate: (run) => (run.status === 'refused' ? 'config invalid (expected in this scenario)' : undefined),
  check: (summary) => [
    expect('a CRITICAL alert names the bad config field', () => {
      const critical = summary.alerts.filter(
        (a) => a.severity === 'CRITICAL' && /maxOpenPositions/.test(a.message),
      );
      return {
        ok: critical.length > 0,
        detail: critical[0]?.message ?? 'no CRITICAL alert naming risk.maxOpenPositions',
      };
    }),
    {
      description: 'no order reached the broker',
      ...(summary.simulator.orders.length === 0
        ? { status: 'met' as const }
        : { status: 'not met' as const, detail: `${summary.simulator.orders.length} orders` }),
    },
  ],
};
