// The weekly-login scenario through the real runner: a Sunday cold restart waiting for its second factor,
// the real health check every 10 minutes against the real bridge, approval after 25 minutes, Monday's
// opening order. Short Monday (until 10:15) with a small analysis budget; the checks are the scenario's own.
import { describe, expect, it } from 'vitest';
import { sundayBefore } from '#scripts/scenarios/weekly-login';
import { quietJobLogs, runDays } from '#scripts/start';
import { dynamoEndpoint } from '../support/dynamodb';

quietJobLogs(false);

describe('npm start --scenario weekly-login', () => {
  it('alerts at 0, 10 and 20 minutes, never replaces the task, and Monday trades', async () => {
    const before = { ...process.env };
    const lines: string[] = [];
    const run = await runDays({
      scenario: 'weekly-login',
      date: '2026-06-08',
      until: '10:15',
      monitorEveryMinutes: 30,
      collectEveryMinutes: 60,
      analysisMaxQuotes: 60,
      payloads: { 'execute-strategies': { maxOrders: 1 } },
      dynamoEndpoint: dynamoEndpoint(),
      tablePrefix: `login-${Date.now().toString(36)}`,
      write: (line) => lines.push(line),
    });
    const expectations = run.days[0]!.expectations;
    expect(
      expectations.filter((e) => e.status !== 'met'),
      lines.join('\n'),
    ).toEqual([]);
    expect(expectations.find((e) => e.description.startsWith('login alerts'))?.detail).toBe(
      'alerts: 18:00 WARNING, 18:10 CRITICAL, 18:20 CRITICAL',
    );
    expect(lines).toContain('2026-06-07 18:25  scenario: the trader approves the IBKR Mobile notification');
    expect(run.totals).toMatchObject({ duplicateOrders: 0, lostRecords: 0, pnlMismatchUsd: 0 });
    // The scenario's TRADING_MODE=live is the run's only: the environment is as it was.
    expect(process.env.TRADING_MODE).toBe(before.TRADING_MODE);
    expect(process.env.WEEKLY_LOGIN).toBe(before.WEEKLY_LOGIN);
  }, 180_000);

  it('finds the Sunday before any trading day', () => {
    expect(sundayBefore('2026-06-08')).toBe('2026-06-07');
    expect(sundayBefore('2026-06-12')).toBe('2026-06-07');
  });
});
