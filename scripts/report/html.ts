// out/report.html: the day's summary as one self-contained page (inline CSS, no script, no external
// resource) that a trader can read top to bottom: what happened, the candidates and why they scored
// what they did, the orders, every position's decisions with the rule and numbers, and the alerts.
import { hhmm } from './summary';
import type { DaySummary, DecisionView, Expectation, RunRecord, RunSummary } from './summary';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

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

export function renderReport(summary: DaySummary): string {
  const s = summary;
  const ranJobs = new Set(s.runs.filter((r) => r.status !== 'not-available').map((r) => r.job));
  const headline = s.completed ? badge('day completed', 'good') : badge('day did not complete', 'bad');

  const overview = table(
    ['', ''],
    [
      ['scenario', `<b>${escapeHtml(s.scenario.name)}</b> – ${escapeHtml(s.scenario.description)}`],
      ['trade date', escapeHtml(`${s.date} (seed ${s.seed}, simulator speed ${s.speed}×)`)],
      ['real duration', escapeHtml(`${(s.realDurationMs / 1000).toFixed(1)} s`)],
      ['jobs run', escapeHtml(`${s.runs.length} runs of ${ranJobs.size} jobs`)],
      [
        'jobs not available yet',
        s.jobs.notAvailableYet.length === 0 ? 'none' : escapeHtml(s.jobs.notAvailableYet.join(', ')),
      ],
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
            `(${money(s.pnl.unrealisedNaturalUsd)} at natural); broker: realised ${money(s.simulator.realizedPnlUsd)}, ` +
            `unrealised ${money(s.simulator.unrealizedPnlUsd)}, commissions ${money(s.simulator.commissionsUsd)}`,
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

  const brokerOrders = table(
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
  const brokerPositions = table(
    ['contract', 'position', 'avg cost'],
    s.simulator.positions.map((p) => [
      escapeHtml(p.localSymbol || `${p.symbol} #${p.conId}`),
      escapeHtml(p.position),
      escapeHtml(num(p.avgCost)),
    ]),
    'no broker positions',
  );

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trading day ${escapeHtml(s.date)} – ${escapeHtml(s.scenario.name)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.2rem}h3{margin:.2rem 0;font-size:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #e5e7ee;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f4f5f9;font-weight:600}small{color:#5a6275}.empty{color:#5a6275;font-style:italic}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;font-weight:600;white-space:nowrap}
.good{background:#dcf5e3;color:#146c2e}.bad{background:#fde2e1;color:#a4161a}.warn{background:#fff1d6;color:#8a5300}.plain{background:#eceef3;color:#39404f}
.problems{background:#fde2e1;padding:.6rem 1rem;border-radius:.4rem;margin:1rem 0}.position{border:1px solid #e5e7ee;border-radius:.4rem;padding:.6rem .9rem;margin:.8rem 0}
details summary{cursor:pointer;font-weight:600;margin:.6rem 0}
</style></head><body>
<h1>Trading day ${escapeHtml(s.date)} ${headline}</h1>
<p><small>Simulated with DynamoDB Local, the TWS-protocol simulator and the bridge; the real job handlers ran on an accelerated clock. Generated ${escapeHtml(s.startedAt)}.</small></p>
${problems}
<h2>Summary</h2>
${overview}
${expectationsSection(s.expectations)}
<h2>Candidates (top ${s.candidates.top.length} of ${s.candidates.count})</h2>
<p><small>Score = IV rank (20) + credit/width (20) + short delta (15) + liquidity (15) + DTE fit (10) + IV/HV (10) + trend fit (10).</small></p>
${candidates}
<details><summary>Why candidates were rejected</summary>${reasonsTable}</details>
<h3>Re-checked at execution, on the quotes of the order</h3>
${rechecks}
<h2>Orders</h2>
${orders}
<details><summary>The broker's view (simulator): orders and positions</summary>${brokerOrders}${brokerPositions}</details>
<h2>Positions and decisions</h2>
${positions}
<h2>Alerts</h2>
${alerts}
<h2>Job runs</h2>
${runsSection(s.runs)}
</body></html>
`;
}

/**
 * out/report.html for a run of one or many days. Until the charts land this shows the last day only
 * (a local day always carries its broker view and runs).
 */
export function renderRunReport(run: RunSummary): string {
  return renderReport(run.days.at(-1) as DaySummary);
}
