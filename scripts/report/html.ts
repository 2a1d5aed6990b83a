// out/report.html: the day's summary as one self-contained page (inline CSS, no script, no external
// resource) that a trader can read top to bottom: what happened, the candidates and why they scored
// what they did, the orders, every position's decisions with the rule and numbers, and the alerts.
import { factorChart, scoreHistogram } from './charts/candidates';
import { alertsBySeverityChart, closesByRuleChart } from './charts/daily-counts';
import { equityChart } from './charts/equity';
import { payoffChart } from './charts/payoff';
import { positionLines, positionPnlChart } from './charts/position-pnl';
import { escapeHtml, strategyName } from './charts/svg';
import { hhmm } from './summary';
import type {
  DayChecks,
  DaySummary,
  DecisionView,
  Expectation,
  ReportDay,
  RunRecord,
  RunSummary,
} from './summary';

export { escapeHtml };

const money = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '–' : `${x < 0 ? '−' : ''}$${Math.abs(x).toFixed(2)}`;
/** " (CLOSE $x, EXPIRY $y)": the kinds that realised anything; older summaries have none. */
const realisedKinds = (byKind: Record<string, number> | undefined) => {
  const parts = Object.entries(byKind ?? {})
    .filter(([, usd]) => usd !== 0)
    .map(([kind, usd]) => `${kind} ${money(usd)}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
};
const num = (x: number | undefined, digits = 2) =>
  x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
const pct = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(0)}%`;

function table(headers: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  // Cells arrive already escaped (some hold markup such as a status badge).
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const badge = (text: string, kind: string) =>
  `<span class="badge ${escapeHtml(kind)}">${escapeHtml(text)}</span>`;

function statusKind(status: string): string {
  if (['failed', 'refused', 'not met', 'REJECTED', 'CRITICAL'].includes(status)) return 'bad';
  if (['needs-attention', 'WARNING', 'CANCELLED', 'PARTIAL', 'not checked', 'not-available'].includes(status))
    return 'warn';
  if (['ran', 'met', 'FILLED', 'OPEN', 'INFO'].includes(status)) return 'good';
  return 'plain';
}

function inputsText(inputs: Record<string, number | string | boolean>): string {
  return Object.entries(inputs)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : String(v)}`)
    .join(', ');
}

function runsSection(runs: RunRecord[]): string {
  // Monitor and data collection run every 5 minutes: show them, but let the rest stand out.
  const rows = runs.map((r) => [
    escapeHtml(r.time),
    escapeHtml(r.job) + (r.label ? ` <small>(${escapeHtml(r.label)})</small>` : ''),
    badge(r.status, statusKind(r.status)),
    escapeHtml(r.did ?? r.skipped ?? r.error ?? '') +
      (r.tolerated ? ` <small>(${escapeHtml(r.tolerated)})</small>` : ''),
    escapeHtml(`${r.elapsedMs} ms`),
  ]);
  return `<details><summary>Every job run (${runs.length})</summary>${table(
    ['time (ET)', 'job', 'status', 'what it did', 'real time'],
    rows,
    'no job ran',
  )}</details>`;
}

function decisionRow(d: DecisionView): string[] {
  return [
    escapeHtml(d.time),
    badge(d.action, d.action === 'CLOSE' ? 'bad' : d.action === 'HOLD' ? 'plain' : 'warn'),
    escapeHtml(`${d.rule} ${d.ruleName}`),
    escapeHtml(d.reason),
    `<small>${escapeHtml(inputsText(d.inputs))}</small>`,
    d.alert ? badge(d.alert.severity, statusKind(d.alert.severity)) : '',
  ];
}

function expectationsSection(expectations: Expectation[]): string {
  if (expectations.length === 0) return '';
  return `<h2>Scenario checks</h2>${table(
    ['check', 'result', 'detail'],
    expectations.map((e) => [
      escapeHtml(e.description),
      badge(e.status, statusKind(e.status)),
      escapeHtml(e.detail ?? ''),
    ]),
    '',
  )}`;
}

// A day read back from the deployed tables has no simulator, no job runs and no job list.
const NOT_FROM_AWS = 'not available from AWS';

/** One day's detail: summary, checks, candidates, orders, positions with their decisions, alerts, runs. */
function dayDetail(s: ReportDay): string {
  const runs = s.runs;
  const ranJobs = new Set((runs ?? []).filter((r) => r.status !== 'not-available').map((r) => r.job));
  const broker = s.simulator
    ? `; broker: realised ${money(s.simulator.realizedPnlUsd)}, ` +
      `unrealised ${money(s.simulator.unrealizedPnlUsd)}, commissions ${money(s.simulator.commissionsUsd)}`
    : '';

  const overview = table(
    ['', ''],
    [
      ['scenario', `<b>${escapeHtml(s.scenario.name)}</b> – ${escapeHtml(s.scenario.description)}`],
      [
        'trade date',
        // Seed and speed describe the simulator; a day read back from AWS had neither.
        escapeHtml(s.simulator ? `${s.date} (seed ${s.seed}, simulator speed ${s.speed}×)` : s.date),
      ],
      ['real duration', escapeHtml(`${(s.realDurationMs / 1000).toFixed(1)} s`)],
      ['jobs run', escapeHtml(runs ? `${runs.length} runs of ${ranJobs.size} jobs` : NOT_FROM_AWS)],
      [
        'candidates',
        escapeHtml(
          `${s.candidates.count} scored, ${s.candidates.eligible} eligible (min score ${s.candidates.minScore})`,
        ),
      ],
      [
        'orders',
        escapeHtml(
          `${s.orderCounts.intents} intents, ${s.orderCounts.placed} placed, ${s.orderCounts.filled} filled, ` +
            `${s.orderCounts.cancelled} cancelled, ${s.orderCounts.rejected} rejected, ${s.orderCounts.dryRun} dry-run`,
        ),
      ],
      [
        'positions',
        escapeHtml(
          `${s.positions.filter((p) => p.status === 'OPEN').length} open, ${s.positions.filter((p) => p.status === 'CLOSED').length} closed today`,
        ),
      ],
      [
        'P&L',
        escapeHtml(
          `day ${money(s.pnl.totalUsd)}: realised ${money(s.pnl.realisedUsd)}${realisedKinds(s.pnl.realisedByKind)}, unrealised ${money(s.pnl.unrealisedMidUsd)} at mid ` +
            `(${money(s.pnl.unrealisedNaturalUsd)} at natural)${broker}`,
        ),
      ],
      [
        'alerts',
        escapeHtml(
          `${s.alertCounts.CRITICAL} critical, ${s.alertCounts.WARNING} warning, ${s.alertCounts.INFO} info`,
        ),
      ],
    ],
    '',
  );

  const problems =
    s.problems.length === 0
      ? ''
      : `<div class="problems"><b>Problems</b><ul>${s.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></div>`;

  const candidates = table(
    [
      'score',
      'strategy',
      'symbol',
      'expiry (DTE)',
      'strikes',
      'credit',
      'max loss',
      'POP',
      'IV rank',
      'credit/width',
      'delta',
      'liquidity',
      'DTE fit',
      'IV/HV',
      'trend',
      'status',
    ],
    s.candidates.top.map((c) => [
      `<b>${escapeHtml(num(c.score, 1))}</b>`,
      escapeHtml(c.strategy),
      escapeHtml(c.symbol),
      escapeHtml(`${c.expiry} (${c.dte})`),
      escapeHtml(c.strikes),
      escapeHtml(money(c.creditMid)),
      escapeHtml(money(c.maxLossUsd)),
      escapeHtml(pct(c.pop)),
      escapeHtml(num(c.breakdown.ivRank, 1)),
      escapeHtml(num(c.breakdown.creditToWidth, 1)),
      escapeHtml(num(c.breakdown.shortDelta, 1)),
      escapeHtml(num(c.breakdown.liquidity, 1)),
      escapeHtml(num(c.breakdown.dteFit, 1)),
      escapeHtml(num(c.breakdown.ivHv, 1)),
      escapeHtml(num(c.breakdown.trendFit, 1)),
      c.eligible ? badge('eligible', 'good') : escapeHtml(c.rejections.join('; ') || 'below min score'),
    ]),
    'no candidates were scored',
  );
  const rechecks = table(
    ['time (ET)', 'candidate', 'score then → now', 'outcome', 'why'],
    s.candidates.reevaluations.map((r) => [
      escapeHtml(r.time),
      escapeHtml(r.candidateId) + (r.dryRun ? ' <small>(dry run)</small>' : ''),
      escapeHtml(`${r.scoreBefore} → ${r.scoreAfter ?? 'not scored'}`),
      r.intentKey
        ? badge('order', 'good')
        : badge('refused', 'bad') + (r.eligible ? ' <small>(entry workflow)</small>' : ''),
      escapeHtml([r.reason, ...(r.entryRefusals ?? [])].join('; ')),
    ]),
    'execute-strategies re-checked no candidate',
  );
  const reasons = Object.entries(s.candidates.rejectionReasons).sort((a, b) => b[1] - a[1]);
  const reasonsTable = table(
    ['hard-filter reason', 'candidates'],
    reasons.map(([reason, n]) => [escapeHtml(reason), escapeHtml(n)]),
    'no candidate was rejected by a hard filter',
  );

  const orders = table(
    [
      'created (ET)',
      'purpose',
      'strategy',
      'order',
      'limit',
      'status',
      'filled',
      'avg fill',
      'reprices',
      'why',
    ],
    s.orders.map((o) => [
      escapeHtml(hhmm(o.createdAt)),
      escapeHtml(o.purpose + (o.rule === undefined ? '' : ` (rule ${o.rule})`)),
      escapeHtml(`${o.strategy} ${o.symbol}`),
      escapeHtml(`${o.action} ${o.quantity}${o.orderId === undefined ? '' : ` #${o.orderId}`}`) +
        `<br><small>${escapeHtml(o.intentKey)}</small>`,
      escapeHtml(num(o.limitPrice)),
      badge(o.status, statusKind(o.status)) +
        (o.statusReason ? `<br><small>${escapeHtml(o.statusReason)}</small>` : ''),
      escapeHtml(`${o.filledQuantity}/${o.quantity}`),
      escapeHtml(num(o.avgFillPrice)),
      escapeHtml(o.repriceCount),
      escapeHtml(o.reason),
    ]),
    'no order intents today',
  );

  const positions =
    s.positions.length === 0
      ? '<p class="empty">no positions</p>'
      : s.positions
          .map((p) => {
            const legs = p.legs
              .map((l) => `${l.quantity > 0 ? '+' : ''}${l.quantity} ${l.right}${l.strike}`)
              .join(', ');
            const pnl = p.lastPnl
              ? `unrealised ${money(p.lastPnl.unrealisedMidUsd)} at mid (${money(p.lastPnl.unrealisedNaturalUsd)} natural), ${num(p.lastPnl.pctOfMaxProfit, 1)}% of max profit`
              : 'no P&L snapshot';
            const closed =
              p.status === 'CLOSED'
                ? ` – closed: ${p.closeReason ?? ''}, realised ${money(p.realisedPnlUsd)}`
                : '';
            const rules = Object.entries(p.decisionsByRule)
              .map(([rule, n]) => `${rule} ×${n}`)
              .join(', ');
            const decisions =
              p.notableDecisions.length > 0 ? p.notableDecisions : p.lastDecision ? [p.lastDecision] : [];
            return `<div class="position"><h3>${badge(p.status, statusKind(p.status))} ${escapeHtml(
              `${p.strategy} ${p.symbol} ${p.expiry} ×${p.quantity}`,
            )}</h3>
<p>${escapeHtml(`${legs}; entry credit ${num(p.entryCredit)}, width ${p.width}; ${pnl}${closed}`)}<br>
<small>${escapeHtml(p.id)} (${escapeHtml(p.source)}); decisions today: ${escapeHtml(rules || 'none')}</small></p>
${table(['time', 'action', 'rule', 'reason', 'numbers', 'alert'], decisions.map(decisionRow), 'no decisions recorded')}</div>`;
          })
          .join('\n');

  const alerts = table(
    ['time (ET)', 'severity', 'title', 'message'],
    s.alerts.map((a) => [
      escapeHtml(hhmm(a.at)),
      badge(a.severity, statusKind(a.severity)),
      escapeHtml(a.title),
      escapeHtml(a.message),
    ]),
    'no alerts',
  );

  const brokerOrders = !s.simulator
    ? `<p class="empty">${NOT_FROM_AWS}</p>`
    : table(
        ['order', 'orderRef', 'action', 'qty', 'limit', 'status', 'filled', 'avg fill', 'reject reason'],
        s.simulator.orders.map((o) => [
          escapeHtml(`#${o.orderId} (${o.legs} legs)`),
          escapeHtml(o.orderRef),
          escapeHtml(o.action),
          escapeHtml(o.quantity),
          escapeHtml(num(o.limitPrice)),
          badge(o.status, statusKind(o.status === 'Filled' ? 'FILLED' : o.status)),
          escapeHtml(o.filled),
          escapeHtml(num(o.avgFillPrice)),
          escapeHtml(o.rejectReason ?? ''),
        ]),
        'the broker saw no orders',
      );
  const brokerPositions = !s.simulator
    ? ''
    : table(
        ['contract', 'position', 'avg cost'],
        s.simulator.positions.map((p) => [
          escapeHtml(p.localSymbol || `${p.symbol} #${p.conId}`),
          escapeHtml(p.position),
          escapeHtml(num(p.avgCost)),
        ]),
        'no broker positions',
      );

  const h = (text: string) => `<h3 class="section">${text}</h3>`;
  return `${problems}
${h('Summary')}
${overview}
${checksSection(s.checks)}
${expectationsSection(s.expectations)}
${h(`Candidates (top ${s.candidates.top.length} of ${s.candidates.count})`)}
<p><small>Score = IV rank (20) + credit/width (20) + short delta (15) + liquidity (15) + DTE fit (10) + IV/HV (10) + trend fit (10).</small></p>
${candidates}
<details><summary>Why candidates were rejected</summary>${reasonsTable}</details>
<h4>Re-checked at execution, on the quotes of the order</h4>
${rechecks}
${h('Orders')}
${orders}
<details><summary>The broker's view (simulator): orders and positions</summary>${brokerOrders}${brokerPositions}</details>
${h('Positions and decisions')}
${positions}
${h('Alerts')}
${alerts}
${h('Job runs')}
${runs ? runsSection(runs) : `<p class="empty">${NOT_FROM_AWS}</p>`}`;
}

const CHECK_NAMES: readonly [keyof Omit<DayChecks, 'details'>, string][] = [
  ['duplicateOrders', 'duplicate orders'],
  ['lostRecords', 'lost records'],
  ['unreconciledPositions', 'unreconciled positions'],
  ['orphanLegs', 'orphan legs'],
  ['pnlMismatchUsd', 'P&L mismatch (system vs broker)'],
];

/** The five counts that must be 0, as badges. */
function checkBadges(checks: Omit<DayChecks, 'details'>): string {
  return CHECK_NAMES.map(([key, name]) => {
    const value = checks[key];
    const text = key === 'pnlMismatchUsd' ? money(value) : String(value);
    return badge(`${name}: ${text}`, value === 0 ? 'good' : 'bad');
  }).join(' ');
}

function checksSection(checks: DayChecks | undefined): string {
  if (!checks) return '';
  const details =
    checks.details.length === 0
      ? ''
      : `<ul>${checks.details.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul>`;
  return `<p>${checkBadges(checks)}</p>${details}`;
}

const STYLE = `<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.2rem}h3{margin:.2rem 0;font-size:1rem}
h3.section{font-size:1.15rem;margin-top:1.4rem;border-bottom:1px solid #eef;padding-bottom:.15rem}h4{margin:.8rem 0 .2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #e5e7ee;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f4f5f9;font-weight:600}small{color:#5a6275}.empty{color:#5a6275;font-style:italic}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;font-weight:600;white-space:nowrap}
.good{background:#dcf5e3;color:#146c2e}.bad{background:#fde2e1;color:#a4161a}.warn{background:#fff1d6;color:#8a5300}.plain{background:#eceef3;color:#39404f}
.problems{background:#fde2e1;padding:.6rem 1rem;border-radius:.4rem;margin:1rem 0}.position{border:1px solid #e5e7ee;border-radius:.4rem;padding:.6rem .9rem;margin:.8rem 0}
details summary{cursor:pointer;font-weight:600;margin:.6rem 0}
details.day{border:1px solid #e5e7ee;border-radius:.4rem;padding:0 .9rem;margin:.6rem 0}details.day>summary{font-size:1.1rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:.8rem 1.2rem;align-items:start;margin:.4rem 0 1rem}
.charts.three{grid-template-columns:repeat(auto-fill,minmax(340px,1fr))}
.chart{display:block;width:100%;height:auto}
.hint{color:#5a6275;margin:.2rem 0 .6rem}
</style>`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${STYLE}</head><body>
${body}
</body></html>
`;
}

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
