// `npm start -- --days N` on short days: one stack over three trading days that span a weekend, the
// nightly gateway restart between them, and the five counts after each day.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFaultScript } from '#simulator/index';
import type { LocalStack } from '#scripts/local/stack';
import type { RunSummary } from '#scripts/report/summary';
import type { DaySummary } from '#scripts/report/summary';
import { checkDayOf, quietJobLogs, runDays, runTotals, SCENARIOS, tradingDays } from '#scripts/start';
import type { Scenario } from '#scripts/start';
import { dynamoEndpoint } from '../support/dynamodb';

quietJobLogs(false);

describe('npm start --days', () => {
  it('walks three trading days across a weekend on one stack, state carried, checked after each day', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'days-'));
    const lines: string[] = [];
    const bridgeStates: string[] = [];
    let stack: LocalStack | undefined;
    // A scenario with an event on the second day: applied on that day's date, judged after it.
    const applied: string[] = [];
    const judged: { date: string; days: string[] }[] = [];
    SCENARIOS['days-test'] = {
      name: 'days-test',
      description: 'an event on the second day',
      events: [
        {
          day: 1,
          time: '09:00',
          label: 'second-day event',
          apply: (ctx) => void applied.push(`${ctx.today}/${ctx.date}`),
        },
      ],
      check: (summary, ctx, days) => {
        judged.push({ date: `${summary.date}/${ctx.today}/${ctx.date}`, days: days.map((d) => d.date) });
        return [{ description: 'judged after the last event day', status: 'met' }];
      },
    };
    const returned = await runDays({
      scenario: 'days-test',
      // A Thursday: Friday, then the weekend, then Monday.
      date: '2026-06-04',
      days: 3,
      until: '10:30',
      monitorEveryMinutes: 30,
      collectEveryMinutes: 60,
      // 40 quotes leave no expiry in the DTE window on this date; 60 (npm start's) reach IWM's July expiry.
      analysisMaxQuotes: 60,
      payloads: { 'execute-strategies': { maxOrders: 1 } },
      // --faults: a script entry on the third day reaches the simulator at its simulated time.
      faults: parseFaultScript([{ at: '2026-06-08T10:15', fault: 'orderStatusLag', delayMs: 5 }]),
      outDir,
      dynamoEndpoint: dynamoEndpoint(),
      tablePrefix: `days-${Date.now().toString(36)}`,
      write: (line) => lines.push(line),
      onStack: (s) => {
        stack = s;
        s.bridge.connection.on('state', (state: string) => bridgeStates.push(state));
      },
    });
    delete SCENARIOS['days-test'];
    const run = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as RunSummary;
    // ctx.today is the event's day; ctx.date stays the run's first day (scenarios key their set-up on it).
    expect(applied).toEqual(['2026-06-05/2026-06-04']);
    expect(lines).toContain('09:00  scenario: second-day event');
    expect(judged).toEqual([
      { date: '2026-06-05/2026-06-05/2026-06-04', days: ['2026-06-04', '2026-06-05'] },
    ]);
    expect(run.days[1]!.expectations[0]).toEqual({
      description: 'judged after the last event day',
      status: 'met',
    });
    expect(run).toEqual(JSON.parse(JSON.stringify(returned)));

    // The calendar's trading days: the weekend skipped.
    expect(tradingDays('2026-06-04', 3)).toEqual(['2026-06-04', '2026-06-05', '2026-06-08']);
    expect(run.days.map((d) => d.date)).toEqual(['2026-06-04', '2026-06-05', '2026-06-08']);
    expect([run.from, run.to]).toEqual(['2026-06-04', '2026-06-08']);

    // State carried: the position opened on day 1 is still open, and monitored, on days 2 and 3.
    const opened = run.days[0]!.orders.find((o) => o.purpose === 'OPEN' && o.status === 'FILLED');
    expect(opened, `day 1 opened a position:\n${lines.join('\n')}`).toBeDefined();
    for (const day of run.days.slice(1)) {
      const position = day.positions.find((p) => p.id === opened!.intentKey);
      expect(position?.status, day.date).toBe('OPEN');
      const decisions = Object.values(position!.decisionsByRule).reduce((a, b) => a + b, 0);
      expect(decisions, `${day.date}: monitor decisions`).toBeGreaterThan(0);
      expect(day.runs!.some((r) => r.job === 'monitor' && /checked [1-9]/.test(r.did ?? ''))).toBe(true);
    }

    // The nightly restart: the gateway dropped the bridge each night and it was back for the morning.
    expect(lines.filter((l) => l.startsWith('23:45  IB Gateway nightly restart'))).toHaveLength(2);
    expect(lines.filter((l) => l === '08:00  bridge reconnected after the nightly restart')).toHaveLength(2);
    expect(bridgeStates.filter((s) => s === 'ready').length).toBeGreaterThanOrEqual(2);
    expect(bridgeStates.filter((s) => s !== 'ready').length).toBeGreaterThanOrEqual(2);
    for (const day of run.days.slice(1)) {
      const first = day.runs!.find((r) => r.trigger === 'schedule');
      expect(first?.bridge, day.date).toBe('ready');
    }
    expect(stack!.simulator.faults.state()).toMatchObject({ restartUntil: undefined, orderStatusLagMs: 5 });

    // The five counts, 0 on each day; equity from the broker; one close line per day.
    for (const day of run.days) {
      expect(day.checks, day.date).toEqual({
        duplicateOrders: 0,
        lostRecords: 0,
        unreconciledPositions: 0,
        orphanLegs: 0,
        pnlMismatchUsd: 0,
        details: [],
      });
      expect(day.equity?.date).toBe(day.date);
      expect(day.equity?.realisedToDateUsd).toBe(day.equity?.brokerRealisedToDateUsd);
      expect(day.equity!.drawdownUsd).toBeLessThanOrEqual(0);
      expect(lines.some((l) => l.startsWith(`${day.date} close (day `))).toBe(true);
    }
    const account = stack!.simulator.engine.accounts()[0]!;
    expect(run.days.at(-1)!.equity?.netLiquidation).toBe(
      stack!.simulator.engine.accountSummary(account).netLiquidation,
    );
    expect(run.totals).toMatchObject({
      duplicateOrders: 0,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
    });
    expect(run.completed).toBe(true);
    expect(run.problems).toEqual([]);
  }, 240_000);

  it('judges a scenario after its last event day, or the last day it needs, within the run', () => {
    const scenario = (days: number | undefined, eventDays: number[]): Scenario => ({
      name: 'x',
      description: 'x',
      ...(days === undefined ? {} : { days }),
      events: eventDays.map((day) => ({ day, time: '10:00', label: 'e', apply: () => undefined })),
    });
    expect(checkDayOf(scenario(undefined, []), 5)).toBe(0);
    expect(checkDayOf(scenario(undefined, [0, 2]), 5)).toBe(2);
    expect(checkDayOf(scenario(4, [1]), 5)).toBe(3);
    expect(checkDayOf(scenario(undefined, [7]), 5)).toBe(4);
  });

  it("totals: each count is the worst day's, closes and alerts are summed, realised is the last day's to date", () => {
    const day = (
      checks: Partial<NonNullable<DaySummary['checks']>>,
      closes: Record<string, number>,
      realised: number,
    ) =>
      ({
        alertCounts: { INFO: 1, WARNING: 0, CRITICAL: 2 },
        closesByRule: closes,
        checks: {
          duplicateOrders: 0,
          lostRecords: 0,
          unreconciledPositions: 0,
          orphanLegs: 0,
          pnlMismatchUsd: 0,
          details: [],
          ...checks,
        },
        equity: { date: '2026-06-01', realisedToDateUsd: realised, drawdownUsd: 0 },
      }) as unknown as DaySummary;
    expect(
      runTotals([
        day({ duplicateOrders: 1, pnlMismatchUsd: 0.01 }, { 'profit target': 1 }, 120),
        day({ duplicateOrders: 1, orphanLegs: 2 }, { 'profit target': 2, expiry: 1 }, 80.5),
      ]),
    ).toEqual({
      duplicateOrders: 1,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 2,
      pnlMismatchUsd: 0.01,
      closesByRule: { 'profit target': 3, expiry: 1 },
      alertCounts: { INFO: 2, WARNING: 0, CRITICAL: 4 },
      realisedUsd: 80.5,
    });
  });
});
