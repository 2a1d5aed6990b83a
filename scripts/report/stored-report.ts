// The report from the deployed stack (scripts/report.ts): the days of a range read back from the stack's
// DynamoDB tables alone, with no broker, into the same summary a local run writes.
import { addDays, sessionFor } from '#core/calendar';
import type { MarketCalendar } from '#core/calendar';
import { parseConfig } from '#core/config';
import { realisedBetween } from '#core/day-pnl';
import type { AlertSeverity, IsoDate } from '#core/types';
import type { PositionRecord, Stores } from '#adapters/ports';
import { readStoredDay } from './day-records';
import { round2 } from './record-views';
import type { EquityPoint, ReportDay, RunSummary } from './summary';

const DEPLOYED = { name: 'deployed stack', description: "read from the stack's DynamoDB tables" };

/**
 * Equity at the end of each trading day from..to from the realised ledgers: realised to date from
 * `from`, and the drawdown below its running peak (counted from 0, the realised P&L before `from`).
 * The tables hold no net liquidation (daily-statistics reads it from the broker and only reports it).
 */
export function storedEquity(
  positions: readonly PositionRecord[],
  days: readonly IsoDate[],
  from: IsoDate,
): EquityPoint[] {
  let peak = 0;
  return days.map((date) => {
    const realisedToDateUsd = realisedBetween(positions, from, date);
    peak = Math.max(peak, realisedToDateUsd);
    return { date, realisedToDateUsd, drawdownUsd: round2(realisedToDateUsd - peak) };
  });
}

/** NYSE trading days from..to, inclusive. */
export function tradingDaysFrom(from: IsoDate, to: IsoDate, calendar: MarketCalendar): IsoDate[] {
  const days: IsoDate[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) if (sessionFor(date, calendar)) days.push(date);
  return days;
}

/**
 * One trading day as the report draws it, from the stores alone. What this source cannot know: the
 * broker's view (its orders, positions, executions, account; so no `simulator` and no `checks`), the
 * job runs (in CloudWatch Logs, not the tables), and of alerts only those a decision raised (rule 12
 * P&L, the data guard): alerts of jobs (a failure, a rejected order, a close, the daily summary) leave
 * no record in the tables, the alert-state table keeps only the last send per key for 7 days, and a
 * decision's alert may have been held back by the cooldown. So `alerts` is empty and `alertCounts`
 * counts the decisions' alerts.
 */
export async function collectStoredDay(
  stores: Stores,
  tradeDate: IsoDate,
  options: {
    /** Every stored position (read here when absent). */
    positions?: readonly PositionRecord[];
    /** The report's first day: realised to date counts from it (default: this day). */
    from?: IsoDate;
    minScore?: number;
    calendar?: MarketCalendar;
    scenario?: { name: string; description: string };
    /** Real time of the read. */
    startedAt?: string;
  } = {},
): Promise<ReportDay & { hasRecords: boolean }> {
  const positions =
    options.positions ??
    (
      await Promise.all([stores.positions.listByStatus('OPEN'), stores.positions.listByStatus('CLOSED')])
    ).flat();
  const from = options.from ?? tradeDate;
  const calendar = options.calendar ?? parseConfig({}).calendar;
  const { minScoreFallback, ...stored } = await readStoredDay(stores, tradeDate, {
    positions,
    ...(options.minScore === undefined ? {} : { minScore: options.minScore }),
  });
  const problems = minScoreFallback
    ? [`the config could not be read: minimum score ${stored.candidates.minScore} (the default) shown`]
    : [];
  return {
    scenario: options.scenario ?? DEPLOYED,
    // No seed, speed or run time: nothing was simulated.
    seed: 0,
    date: tradeDate,
    speed: 1,
    startedAt: options.startedAt ?? new Date().toISOString(),
    realDurationMs: 0,
    completed: problems.length === 0,
    problems,
    ...stored,
    alerts: [],
    expectations: [],
    equity: storedEquity(positions, tradingDaysFrom(from, tradeDate, calendar), from).at(-1) ?? {
      date: tradeDate,
      realisedToDateUsd: 0,
      drawdownUsd: 0,
    },
  };
}

function addCounts(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(counts)) into[key] = (into[key] ?? 0) + n;
}

/**
 * The report of from..to from the stores alone (source 'aws'): one day per NYSE trading day that left
 * any record. The broker's five counts are not known here: `checks` is absent on every day and the
 * totals' counts sum none (0).
 */
export async function collectStoredRun(
  stores: Stores,
  range: {
    from: IsoDate;
    to: IsoDate;
    calendar?: MarketCalendar;
    scenario?: { name: string; description: string };
  },
): Promise<RunSummary> {
  const realStart = Date.now();
  const startedAt = new Date(realStart).toISOString();
  const { from, to } = range;
  const calendar = range.calendar ?? parseConfig({}).calendar;
  const scenario = range.scenario ?? DEPLOYED;
  const [open, closed] = await Promise.all([
    stores.positions.listByStatus('OPEN'),
    stores.positions.listByStatus('CLOSED'),
  ]);
  const positions = [...open, ...closed];
  let minScore: number | undefined;
  try {
    minScore = (await stores.config.loadConfig()).scoring.minScore;
  } catch {
    // Each day then says so (its problems) and shows the default.
  }
  const tradingDays = tradingDaysFrom(from, to, calendar);
  const equity = new Map(storedEquity(positions, tradingDays, from).map((e) => [e.date, e]));
  const days: ReportDay[] = [];
  for (const date of tradingDays) {
    const { hasRecords, ...day } = await collectStoredDay(stores, date, {
      positions,
      from,
      calendar,
      scenario,
      startedAt,
      ...(minScore === undefined ? {} : { minScore }),
    });
    // The drawdown runs over every trading day of the range, recorded or not.
    if (hasRecords) days.push({ ...day, equity: equity.get(date) as EquityPoint });
  }
  const closesByRule: Record<string, number> = {};
  const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
  for (const day of days) {
    addCounts(closesByRule, day.closesByRule ?? {});
    addCounts(alertCounts, day.alertCounts);
  }
  const problems = days.flatMap((day) => day.problems.map((p) => `${day.date}: ${p}`));
  return {
    source: 'aws',
    scenario,
    from,
    to,
    startedAt,
    realDurationMs: Date.now() - realStart,
    completed: days.every((day) => day.completed),
    problems,
    days,
    totals: {
      duplicateOrders: 0,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
      closesByRule,
      alertCounts,
      realisedUsd: realisedBetween(positions, from, to),
    },
  };
}
