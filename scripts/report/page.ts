// The report page's frame and building blocks: number formats, tables, status badges, the five checks
// as badges, the inline style and the page itself (no script, no external resource).
import { escapeHtml } from './charts/svg';
import type { DayChecks } from './summary';

export const money = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '–' : `${x < 0 ? '−' : ''}$${Math.abs(x).toFixed(2)}`;
/** " (CLOSE $x, EXPIRY $y)": the kinds that realised anything; older summaries have none. */
export const realisedKinds = (byKind: Record<string, number> | undefined) => {
  const parts = Object.entries(byKind ?? {})
    .filter(([, usd]) => usd !== 0)
    .map(([kind, usd]) => `${kind} ${money(usd)}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
};
export const num = (x: number | undefined, digits = 2) =>
  x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
export const pct = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(0)}%`;

export function table(headers: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  // Cells arrive already escaped (some hold markup such as a status badge).
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export const badge = (text: string, kind: string) =>
  `<span class="badge ${escapeHtml(kind)}">${escapeHtml(text)}</span>`;

export function statusKind(status: string): string {
  if (['failed', 'refused', 'not met', 'REJECTED', 'CRITICAL'].includes(status)) return 'bad';
  if (['needs-attention', 'WARNING', 'CANCELLED', 'PARTIAL', 'not checked', 'not-available'].includes(status))
    return 'warn';
  if (['ran', 'met', 'FILLED', 'OPEN', 'INFO'].includes(status)) return 'good';
  return 'plain';
}

const CHECK_NAMES: readonly [keyof Omit<DayChecks, 'details'>, string][] = [
  ['duplicateOrders', 'duplicate orders'],
  ['lostRecords', 'lost records'],
  ['unreconciledPositions', 'unreconciled positions'],
  ['orphanLegs', 'orphan legs'],
  ['pnlMismatchUsd', 'P&L mismatch (system vs broker)'],
];

/** The five counts that must be 0, as badges. */
export function checkBadges(checks: Omit<DayChecks, 'details'>): string {
  return CHECK_NAMES.map(([key, name]) => {
    const value = checks[key];
    const text = key === 'pnlMismatchUsd' ? money(value) : String(value);
    return badge(`${name}: ${text}`, value === 0 ? 'good' : 'bad');
  }).join(' ');
}

export function checksSection(checks: DayChecks | undefined): string {
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

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${STYLE}</head><body>
${body}
</body></html>
`;
}
