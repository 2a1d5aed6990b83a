// What `npm start` prints: a line per job run as the day goes, a line closing each day, and the closing
// lines of the run (the last day in full, or the totals of many days).
import type { DaySummary, RunRecord, RunSummary } from '../report/summary';

/** A job run's progress line: time, job, status (`*` when the scenario provoked it), outcome, duration. */
export function progressLine(run: RunRecord): string {
  const text =
    run.status === 'refused' || run.status === 'failed'
      ? (run.error ?? '')
      : (run.did ?? run.skipped ?? run.error ?? '');
  const status = run.tolerated ? `${run.status}*` : run.status;
  const what = run.label ? `${run.job} (${run.label})` : run.job;
  const took = run.elapsedMs >= 1000 ? ` (${(run.elapsedMs / 1000).toFixed(1)} s)` : '';
  return `${run.time}  ${what.padEnd(34)} ${status.padEnd(15)} ${text}${took}`;
}

/** Dollars as a trader writes them: -$672.00, $1,234.50. */
const usd = (x: number) =>
  `${x < 0 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The one-line close of a day in the progress output. */
export function dayCloseLine(day: DaySummary, index: number, count: number): string {
  const c = day.checks;
  const counts = c
    ? `duplicate ${c.duplicateOrders}, lost ${c.lostRecords}, unreconciled ${c.unreconciledPositions}, orphan ${c.orphanLegs}, P&L mismatch ${usd(c.pnlMismatchUsd)}`
    : 'not checked';
  const closes = Object.entries(day.closesByRule ?? {})
    .map(([rule, n]) => `${rule} ×${n}`)
    .join(', ');
  return (
    `${day.date} close (day ${index + 1}/${count}, ${(day.realDurationMs / 1000).toFixed(1)} s): ${counts}; ` +
    `realised today ${usd(day.pnl.realisedUsd)}, to date ${usd(day.equity?.realisedToDateUsd ?? 0)}` +
    (day.equity?.netLiquidation === undefined ? '' : `; net liq ${usd(day.equity.netLiquidation)}`) +
    (closes ? `; closes: ${closes}` : '') +
    (day.completed ? '' : ' — NOT completed')
  );
}

/** The closing lines of one day: counts, P&L, alerts, the expectations and the problems. */
export function closingLines(summary: DaySummary): string[] {
  const lines = [
    '',
    `Day ${summary.date} (${summary.scenario.name}) ${summary.completed ? 'completed' : 'did NOT complete'} in ${(summary.realDurationMs / 1000).toFixed(1)} s`,
    `  candidates: ${summary.candidates.count} scored, ${summary.candidates.eligible} eligible` +
      (summary.candidates.top[0]
        ? `, top ${summary.candidates.top
            .slice(0, 3)
            .map((c) => `${c.symbol} ${c.strategy} ${c.score.toFixed(1)}`)
            .join(', ')}`
        : ''),
    `  orders: ${summary.orderCounts.intents} intents, ${summary.orderCounts.placed} placed, ${summary.orderCounts.filled} filled, ${summary.orderCounts.rejected} rejected, ${summary.orderCounts.cancelled} cancelled`,
    `  positions: ${summary.positions.filter((p) => p.status === 'OPEN').length} open, ${summary.positions.filter((p) => p.status === 'CLOSED').length} closed today; broker legs: ${summary.simulator.positions.length}`,
    `  P&L: realised $${summary.pnl.realisedUsd.toFixed(2)}, unrealised $${summary.pnl.unrealisedMidUsd.toFixed(2)} (mid)`,
    `  alerts: ${summary.alertCounts.CRITICAL} critical, ${summary.alertCounts.WARNING} warning, ${summary.alertCounts.INFO} info`,
  ];
  for (const e of summary.expectations)
    lines.push(`  [${e.status}] ${e.description}${e.detail ? ` – ${e.detail}` : ''}`);
  for (const p of summary.problems) lines.push(`  PROBLEM: ${p}`);
  return lines;
}

/** What `npm start` prints at the end: the last day in full (one day) or the run's totals (many). */
export function runClosingLines(run: RunSummary): string[] {
  const last = run.days.at(-1) as DaySummary | undefined;
  const t = run.totals;
  const lines: string[] = [];
  if (run.days.length === 1 && last) lines.push(...closingLines(last));
  else {
    lines.push(
      '',
      `Run ${run.from} to ${run.to} (${run.days.length} trading days, ${run.scenario.name}) ${run.completed ? 'completed' : 'did NOT complete'} in ${(run.realDurationMs / 1000).toFixed(1)} s`,
      `  realised since the start: ${usd(t.realisedUsd)}; alerts: ${t.alertCounts.CRITICAL} critical, ${t.alertCounts.WARNING} warning, ${t.alertCounts.INFO} info`,
    );
    for (const day of run.days)
      for (const e of day.expectations.filter(
        (x) => x.status !== 'met' || !/^(every order|the broker has|open positions')/.test(x.description),
      ))
        lines.push(`  ${day.date} [${e.status}] ${e.description}${e.detail ? ` – ${e.detail}` : ''}`);
    for (const p of run.problems) lines.push(`  PROBLEM: ${p}`);
  }
  const closes = Object.entries(t.closesByRule)
    .map(([rule, n]) => `${rule} ×${n}`)
    .join(', ');
  lines.push(
    `  checks (worst day): duplicateOrders ${t.duplicateOrders}, lostRecords ${t.lostRecords}, unreconciledPositions ${t.unreconciledPositions}, orphanLegs ${t.orphanLegs}, pnlMismatchUsd ${t.pnlMismatchUsd.toFixed(2)}`,
    `  closes by rule: ${closes || 'none'}`,
  );
  return lines;
}
