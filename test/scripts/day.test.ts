// A shortened trading day (08:00 to 10:05) through the real handlers: out/summary.json must agree with
// the simulator's own view of the broker and with the records in DynamoDB, and report.html must show it.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDynamoStores, localDynamoClient, tableNames } from '#adapters/dynamo/index';
import type { LocalStack } from '#scripts/local/stack';
import type { DaySummary, RunSummary } from '#scripts/report/summary';
import { quietJobLogs, runDay } from '#scripts/start';
import { dynamoEndpoint } from '../support/dynamodb';

// The jobs' JSON logs would bury the test output; npm start silences them the same way.
quietJobLogs(false);

describe('npm start day runner', () => {
  it('runs a short day and writes a summary consistent with the simulator and DynamoDB', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'day-'));
    const tablePrefix = `day-${Date.now().toString(36)}`;
    let stack: LocalStack | undefined;
    const lines: string[] = [];
    const returned = await runDay({
      until: '10:05',
      outDir,
      dynamoEndpoint: dynamoEndpoint(),
      tablePrefix,
      analysisMaxQuotes: 40,
      payloads: { 'execute-strategies': { maxOrders: 1 } },
      write: (line) => lines.push(line),
      onStack: (s) => {
        stack = s;
      },
    });
    const run = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as RunSummary;
    // One day: the run is that day, and the five counts are 0 on it.
    expect(run.days.length).toBe(1);
    const summary = run.days[0] as DaySummary;
    expect(summary).toEqual(JSON.parse(JSON.stringify(returned)));
    expect(run.from).toBe(summary.date);
    expect(run.to).toBe(summary.date);
    expect(summary.checks).toEqual({
      duplicateOrders: 0,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
      details: [],
    });
    expect(run.completed).toBe(summary.completed);
    const sim = (stack as LocalStack).simulator;

    // Every run belongs to the shortened day, in order.
    expect(summary.runs.every((r) => r.time <= '10:05' || r.trigger === 'event')).toBe(true);
    for (let i = 1; i < summary.runs.length; i++) {
      expect(summary.runs[i]!.at).toBeGreaterThanOrEqual(summary.runs[i - 1]!.at - 1);
    }
    // A job that exists and throws must fail the day.
    if (summary.runs.some((r) => r.status === 'failed' && !r.tolerated))
      expect(summary.completed).toBe(false);
    expect(summary.completed).toBe(summary.problems.length === 0);

    // The broker's view in the summary is the simulator's own.
    const brokerOrders = sim
      .orders()
      .filter((o) => !o.request.whatIf)
      .map((o) => ({ orderRef: o.request.orderRef, status: o.status, filled: o.filled }));
    expect(
      summary.simulator.orders.map((o) => ({ orderRef: o.orderRef, status: o.status, filled: o.filled })),
    ).toEqual(brokerOrders);
    const account = sim.engine.accounts()[0] as string;
    const brokerPositions = new Map(
      sim
        .positions(account)
        .filter((p) => p.position !== 0)
        .map((p) => [p.contract.conId, p.position]),
    );
    expect(new Map(summary.simulator.positions.map((p) => [p.conId, p.position]))).toEqual(brokerPositions);
    expect(summary.simulator.executions).toBe(sim.executions().length);

    // Orders: what the summary lists is what DynamoDB holds, and each one placed is at the broker.
    const client = localDynamoClient(dynamoEndpoint());
    try {
      const stores = createDynamoStores({ client, names: tableNames(tablePrefix) });
      const intents = await stores.intents.listByTradeDate(summary.date);
      expect(summary.orders.map((o) => o.intentKey).sort()).toEqual(intents.map((i) => i.intentKey).sort());
      const refs = new Set(brokerOrders.map((o) => o.orderRef));
      for (const order of summary.orders.filter((o) => o.orderId !== undefined && !o.dryRun)) {
        expect(refs.has(order.intentKey), order.intentKey).toBe(true);
      }
      expect(summary.orderCounts.intents).toBe(intents.length);
      expect(summary.orderCounts.filled).toBe(intents.filter((i) => i.status === 'FILLED').length);

      // The positions check reports 'met' exactly when DynamoDB's open legs equal the broker's positions.
      const open = await stores.positions.listOpen();
      const ours = new Map<number, number>();
      for (const p of open) {
        for (const leg of p.legs) {
          if (leg.contract.conId !== undefined)
            ours.set(leg.contract.conId, (ours.get(leg.contract.conId) ?? 0) + leg.quantity);
        }
      }
      const agree = [...new Set([...ours.keys(), ...brokerPositions.keys()])].every(
        (id) => (ours.get(id) ?? 0) === (brokerPositions.get(id) ?? 0),
      );
      const check = summary.expectations.find((e) => e.description.startsWith("open positions' legs"));
      if (check && check.status !== 'not checked') expect(check.status).toBe(agree ? 'met' : 'not met');
      expect(
        summary.positions
          .filter((p) => p.status === 'OPEN')
          .map((p) => p.id)
          .sort(),
      ).toEqual(open.map((p) => p.id).sort());

      // Candidates: the count is every candidate the day scored (the archive), not only the best ones stored
      // as items; the top list is sorted by score.
      let archived = 0;
      let eligible = 0;
      for await (const row of stores.candidates.readArchive(summary.date)) {
        archived += 1;
        if (row.eligible) eligible += 1;
      }
      expect(archived).toBeGreaterThanOrEqual((await stores.candidates.listByTradeDate(summary.date)).length);
      expect(summary.candidates.count).toBe(archived);
      expect(summary.candidates.eligible).toBe(eligible);
      const scores = summary.candidates.top.map((c) => c.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    } finally {
      client.destroy();
    }

    // Alerts in the summary are the ones the console printed.
    expect(summary.alerts.length).toBe(lines.filter((l) => l.startsWith('  alert [')).length);

    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(summary.date);
    // Self-contained: no script and nothing fetched from elsewhere.
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i);
    for (const order of summary.orders) expect(html).toContain(order.intentKey);
    expect(existsSync(join(outDir, 'summary.json'))).toBe(true);
  }, 120_000);
});
