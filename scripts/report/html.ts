// out/report.html: the day's summary as one self-contained page (inline CSS, no script, no external
// resource) that a trader can read top to bottom: what happened, the candidates and why they scored
// what they did, the orders, every position's decisions with the rule and numbers, and the alerts.
// A run's page: its header, the charts by section, then each day in detail (day-detail.ts).
import { factorChart, scoreHistogram } from './charts/candidates';
import { alertsBySeverityChart, closesByRuleChart } from './charts/daily-counts';
import { equityChart } from './charts/equity';
import { payoffChart } from './charts/payoff';
import { positionLines, positionPnlChart } from './charts/position-pnl';
import { escapeHtml, strategyName } from './charts/svg';
import { dayDetail } from './day-detail';
import { badge, checkBadges, money, page, table } from './page';
import type { DaySummary, RunSummary } from './summary';

export { escapeHtml };

/** out/report.html for one simulated day (inline CSS, no script, no external resource). */
export function renderReport(summary: DaySummary): string {
  const s = summary;
  const headline = s.completed ? badge('day completed', 'good') : badge('day did not complete', 'bad');
  return page(
    `Trading day ${s.date} – ${s.scenario.name}`,
    `<h1>Trading day ${escapeHtml(s.date)} ${headline}</h1>
<p><small>Simulated with DynamoDB Local, the TWS-protocol simulator and the bridge; the real job handlers ran on an accelerated clock. Generated ${escapeHtml(s.startedAt)}.</small></p>
${dayDetail(s)}`,
  );
}

/** The charts of a run, each in the section a trader looks for it: account, positions, entries, the days. */
function chartsSection(run: RunSummary): string {
  const days = run.days;
  const dates = days.map((d) => d.date);
  const lines = positionLines(days);
  const lastDay = days.at(-1);
  const open = (lastDay?.positions ?? []).filter((p) => p.status === 'OPEN');
  const chosenRecorded = days.some((d) => d.candidates.chosen !== undefined);
  const chosen = chosenRecorded
    ? days.flatMap((d) => (d.candidates.chosen ?? []).map((candidate) => ({ date: d.date, candidate })))
    : undefined;
  const grid = (charts: string[], empty: string, kind = 'charts') =>
    charts.length === 0
      ? `<p class="empty">${escapeHtml(empty)}</p>`
      : `<div class="${kind}">${charts.join('\n')}</div>`;
  return `<h2>Account</h2>
<p class="hint">Top: the broker's net liquidation at each day's end. Bottom: realised P&amp;L from the first day to each day's end (the system's figure; dashed, the broker's), and in red how far net liquidation stood below its running peak.</p>
${equityChart(days)}
<h2>Positions: P&amp;L from entry to exit</h2>
<p class="hint">One line per position: realised + unrealised at mid at every P&amp;L snapshot, each trading day the same width (nights take none). The dot is the entry, the diamond the exit, labelled with the rule that closed it; the dashed line is the max profit (the entry credit).</p>
${grid(
  lines.map((line) => positionPnlChart(line, dates)),
  'no position in this run',
)}
<h2>Open positions at expiry</h2>
<p class="hint">What each position still open ${escapeHtml(lastDay?.date ?? '')} makes or loses if held to expiry, by the underlying's price then: green is profit, red loss; the dashed lines are the short strikes, the blue line the underlying's last price.</p>
${grid(
  open.map((p) =>
    payoffChart({
      label: `${p.symbol} ${strategyName(p.strategy)} ${p.expiry} ×${p.quantity}`,
      symbol: p.symbol,
      legs: p.legs,
      entryCredit: p.entryCredit,
      quantity: p.quantity,
      ...(p.lastPnl?.underlyingPrice === undefined ? {} : { underlyingPrice: p.lastPnl.underlyingPrice }),
    }),
  ),
  'no position open at the end of the run',
)}
<h2>Candidates</h2>
<p class="hint">Every candidate the analysis scored each day, in bins of 5 points; only those at or above the dashed minScore line go to execution (green).</p>
${grid(
  days.map((d) =>
    scoreHistogram({
      date: d.date,
      minScore: d.candidates.minScore,
      ...(d.candidates.scoreCounts ? { scoreCounts: d.candidates.scoreCounts } : {}),
      ...(d.candidates.atOrAboveMinScore !== undefined
        ? { atOrAboveMinScore: d.candidates.atOrAboveMinScore }
        : {}),
    }),
  ),
  'no day in this run',
  'charts three',
)}
<h3 class="section">The chosen candidates, factor by factor</h3>
<p class="hint">One bar per candidate an opening order was placed for: its score split into the seven factors of the trading rules (each factor's full marks in brackets), the score at the bar's end.</p>
${factorChart(chosen, lastDay?.candidates.minScore)}
<h2>Closes and alerts per day</h2>
<div class="charts">${closesByRuleChart(days)}
${alertsBySeverityChart(days)}</div>`;
}

/**
 * out/report.html for a run of one or many days: the run's header, the charts, then each day's detail
 * (last day open). One renderer for both sources; a day from AWS has no broker view, runs or job list.
 */
export function renderRunReport(run: RunSummary): string {
  const first = run.days[0]?.date ?? run.from;
  const headline = run.completed ? badge('run completed', 'good') : badge('run did not complete', 'bad');
  const source =
    run.source === 'aws'
      ? 'Read back from the deployed DynamoDB tables (AWS).'
      : 'Simulated with DynamoDB Local, the TWS-protocol simulator and the bridge; the real job handlers ran on an accelerated clock.';
  const t = run.totals;
  const closes = Object.entries(t.closesByRule)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
  const overview = table(
    ['', ''],
    [
      ['scenario', `<b>${escapeHtml(run.scenario.name)}</b> – ${escapeHtml(run.scenario.description)}`],
      [
        'trading days',
        escapeHtml(
          `${run.from} to ${run.to}: ${run.days.length} day${run.days.length === 1 ? '' : 's'}` +
            (run.seed === undefined ? '' : ` (seed ${run.seed})`),
        ),
      ],
      ['completed', run.completed ? badge('yes', 'good') : badge('no', 'bad')],
      ['checks (each must be 0)', checkBadges(t)],
      ['realised P&L', escapeHtml(money(t.realisedUsd))],
      ['closes', escapeHtml(closes || 'none')],
      [
        'alerts',
        escapeHtml(
          `${t.alertCounts.CRITICAL} critical, ${t.alertCounts.WARNING} warning, ${t.alertCounts.INFO} info`,
        ),
      ],
      ['real duration', escapeHtml(`${(run.realDurationMs / 1000).toFixed(1)} s`)],
    ],
    '',
  );
  const problems =
    run.problems.length === 0
      ? ''
      : `<div class="problems"><b>Problems</b><ul>${run.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></div>`;
  const days = run.days
    .map((day, i) => {
      const status = day.completed ? badge('completed', 'good') : badge('did not complete', 'bad');
      return `<details class="day"${i === run.days.length - 1 ? ' open' : ''}><summary>${escapeHtml(day.date)} ${status}</summary>
${dayDetail(day)}
</details>`;
    })
    .join('\n');
  return page(
    `Run ${first} to ${run.to} – ${run.scenario.name}`,
    `<h1>${escapeHtml(run.scenario.name)}: ${escapeHtml(run.from)} to ${escapeHtml(run.to)} ${headline}</h1>
<p><small>${escapeHtml(source)} Generated ${escapeHtml(run.startedAt)}.</small></p>
${problems}
${overview}
${run.days.length === 0 ? '<p class="empty">no trading day in this run</p>' : chartsSection(run)}
<h2>Days in detail</h2>
${days || '<p class="empty">no trading day in this run</p>'}`,
  );
}
