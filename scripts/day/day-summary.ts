// What a simulated day leaves behind: each job run's record, and the day's summary (the stores' records,
// the five counts against the broker, the day's alerts, the scenario's verdict), then the run's totals.
import { nyTimeToEpoch } from '#core/calendar';
import type { AlertSeverity, IsoDate } from '#core/types';
import type { BridgeEvent } from '#bridge/contract';
import type { LocalStack } from '../local/stack';
import { checksClean, equityPoint, reconcile } from '../report/reconcile';
import type { BrokerBook } from '../report/reconcile';
import { collectDayRecords } from '../report/day-records';
import type { DayChecks, DaySummary, RunRecord, RunStatus, RunSummary } from '../report/summary';
import { consistencyChecks } from '../scenarios/index';
import type { Scenario, ScenarioContext } from '../scenarios/index';

/** A job run's status and fields, read from what its handler returned. */
export function classify(result: unknown): { status: RunStatus; record: Partial<RunRecord> } {
  if (!result || typeof result !== 'object') return { status: 'ran', record: {} };
  const r = result as Record<string, unknown>;
  const record: Partial<RunRecord> = {};
  if (typeof r.did === 'string') record.did = r.did;
  if (typeof r.skipped === 'string') record.skipped = r.skipped;
  if (typeof r.error === 'string') record.error = r.error;
  if (r.counts && typeof r.counts === 'object') record.counts = r.counts as Record<string, number>;
  if (Array.isArray(r.reasons)) record.reasons = r.reasons.map(String);
  if (record.skipped !== undefined) return { status: 'skipped', record };
  if (r.ok === false) return { status: record.error !== undefined ? 'refused' : 'needs-attention', record };
  return { status: 'ran', record };
}

/** A batch of bridge events by type (`OrderFilled ×1, PositionChanged ×4`): the label of its event run. */
export function summarizeEvents(events: BridgeEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type} ×${n}`).join(', ');
}

/** What earlier days already counted: each day's summary holds its own alerts and judges its own orders. */
export interface DayTally {
  alertsSeen: number;
  ordersSeen: Set<number>;
  /** Highest net liquidation so far (the equity curve's drawdown). */
  peak: number | undefined;
}

export interface DayToClose {
  stack: LocalStack;
  scenario: Scenario;
  ctx: ScenarioContext;
  seed: number;
  date: IsoDate;
  speed: number;
  /** Real epoch ms the day started. */
  dayStartReal: number;
  /** Every minute of the day was walked (not interrupted). */
  completed: boolean;
  /** The day's problems so far: the summary holds this very list and adds its own to it. */
  problems: string[];
  runs: RunRecord[];
  /** The run's first day and the broker's book before it: "since the start" for the counts. */
  from: IsoDate;
  baseline: BrokerBook;
  /** This is the day the scenario is judged after. */
  judge: boolean;
  /** The run's earlier days, oldest first. */
  earlier: readonly DaySummary[];
}

/**
 * The day's summary once its last run is done: the records of the day, the counts against the broker,
 * the scenario's expectations (on its judging day) and the shared consistency checks. `tally` moves on.
 */
export async function closeDay(day: DayToClose, tally: DayTally): Promise<DaySummary> {
  const { stack, scenario, ctx, seed, date, speed, dayStartReal, completed, problems, runs, from, baseline } =
    day;
  // Let the last fills and events land before reading the records.
  await new Promise((done) => setTimeout(done, 100));
  const { minScoreFallback: _fallback, ...records } = await collectDayRecords({
    stores: stack.stores,
    simulator: stack.simulator,
    tradeDate: date,
    dayStart: nyTimeToEpoch(date, '00:00'),
  });
  const reconciliation = await reconcile({
    stores: stack.stores,
    simulator: stack.simulator,
    from,
    date,
    baseline,
  });
  const equity = equityPoint(date, reconciliation, tally.peak);
  tally.peak = Math.max(tally.peak ?? equity.netLiquidation!, equity.netLiquidation!);
  const alerts = stack.alerts.slice(tally.alertsSeen);
  tally.alertsSeen = stack.alerts.length;
  const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
  for (const alert of alerts) alertCounts[alert.severity]++;
  const summary: DaySummary = {
    scenario: { name: scenario.name, description: scenario.description },
    seed,
    date,
    speed,
    startedAt: new Date(dayStartReal).toISOString(),
    realDurationMs: 0,
    completed,
    problems,
    runs,
    // Whatever the day's records hold (closes by rule, chosen candidates, ... as they are added).
    ...records,
    alerts,
    alertCounts,
    expectations: [],
    checks: reconciliation.checks,
    equity,
  };
  // The consistency checks judge the day's own broker orders (earlier days' are the counts' business).
  const newOrders = summary.simulator.orders.filter((o) => !tally.ordersSeen.has(o.orderId));
  tally.ordersSeen = new Set(summary.simulator.orders.map((o) => o.orderId));
  const judged = day.judge ? await scenario.check?.(summary, ctx, [...day.earlier, summary]) : undefined;
  summary.expectations = [
    ...(judged ?? []),
    ...consistencyChecks({ ...summary, simulator: { ...summary.simulator, orders: newOrders } }),
  ];
  for (const e of summary.expectations.filter((x) => x.status === 'not met')) {
    problems.push(`scenario check not met: ${e.description}${e.detail ? ` (${e.detail})` : ''}`);
  }
  if (!checksClean(reconciliation.checks)) {
    problems.push(`the day's checks are not all 0: ${reconciliation.checks.details.join('; ')}`);
  }
  summary.completed = completed && problems.length === 0;
  summary.realDurationMs = Date.now() - dayStartReal;
  return summary;
}

/** The run's totals: counts are the worst day's (they describe the state, which carries from day to day). */
export function runTotals(days: readonly DaySummary[]): RunSummary['totals'] {
  const closesByRule: Record<string, number> = {};
  const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
  for (const day of days) {
    for (const [rule, n] of Object.entries(day.closesByRule ?? {}))
      closesByRule[rule] = (closesByRule[rule] ?? 0) + n;
    for (const severity of Object.keys(alertCounts) as AlertSeverity[])
      alertCounts[severity] += day.alertCounts[severity];
  }
  const worst = (name: keyof Omit<DayChecks, 'details'>) =>
    Math.max(0, ...days.map((d) => d.checks?.[name] ?? 0));
  return {
    duplicateOrders: worst('duplicateOrders'),
    lostRecords: worst('lostRecords'),
    unreconciledPositions: worst('unreconciledPositions'),
    orphanLegs: worst('orphanLegs'),
    pnlMismatchUsd: worst('pnlMismatchUsd'),
    closesByRule,
    alertCounts,
    realisedUsd: days.at(-1)?.equity?.realisedToDateUsd ?? 0,
  };
}
