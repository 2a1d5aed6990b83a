// One day of the report in detail: its summary and checks, the candidates and why they scored what they
// did, the orders, every position's decisions with the rule and numbers, the alerts, the broker's view and
// the job runs.
import { escapeHtml } from './charts/svg';
import { badge, checksSection, money, num, pct, realisedKinds, statusKind, table } from './page';
import { hhmm } from './summary';
import type { DecisionView, Expectation, ReportDay, RunRecord } from './summary';

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
export function dayDetail(s: ReportDay): string {
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
