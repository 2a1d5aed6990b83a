// The report's charts: small pure functions that return inline SVG strings.
//
// Hand-written rather than a charting library. The report is one file that must open with no network and
// holds no script; the well-kept libraries (D3, Vega, Chart.js, uPlot) draw in the browser with JavaScript,
// so bundling one would add a script and a dependency for seven simple shapes (lines, areas, bars, rules).
// SVG built here is static: it prints, reads the same with scripting off, and unit tests can assert on it.
//
// Every chart is an <svg data-chart="KIND" role="img" aria-label=...> with a <title> and <desc>, labelled
// axis ticks in dollars (or counts), and a legend. Missing data draws a "no data" panel of the same kind
// instead of throwing, so an older summary still renders.
import { nyParts } from '../../functions/core/calendar';
import { intrinsicValue } from '../../functions/core/pricing';
import { FACTOR_POINTS } from '../../functions/core/scoring';
import { STRATEGIES } from '../../functions/core/strategies';
import type { AlertSeverity, ScoreBreakdown } from '../../functions/core/types';
import type { CandidateView, EquityPoint, PositionView } from './summary';

export type ChartKind =
  'equity' | 'position-pnl' | 'payoff' | 'scores' | 'factors' | 'closes-by-rule' | 'alerts-by-severity';

export const CHART_KINDS: readonly ChartKind[] = [
  'equity',
  'position-pnl',
  'payoff',
  'scores',
  'factors',
  'closes-by-rule',
  'alerts-by-severity',
];

/** Escapes text for HTML (and inline SVG) element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

// ---------------------------------------------------------------------------------------------------
// Numbers and scales

const round2 = (x: number) => Math.round(x * 100) / 100;
/** Coordinates with two decimals keep the SVG short and stable for tests. */
const px = (x: number) => String(Math.round(x * 100) / 100);
const MINUS = '−';

/** "$1,234.50", "−$400", with cents only when there are any. */
export function usd(x: number): string {
  const abs = Math.abs(round2(x));
  const digits = Number.isInteger(abs) ? 0 : 2;
  const text = abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${x < 0 && abs !== 0 ? MINUS : ''}$${text}`;
}

/** Tick labels in dollars with as many decimals as the step needs; thousands as "k" for account sizes. */
function usdTicks(ticks: readonly number[], step: number): (x: number) => string {
  const largest = Math.max(...ticks.map(Math.abs));
  if (largest >= 10_000 && step >= 100) {
    const digits = Math.max(0, Math.ceil(-Math.log10(step / 1000) - 1e-9));
    return (x) => `${x < 0 ? MINUS : ''}$${(Math.abs(x) / 1000).toFixed(digits)}k`;
  }
  const digits = step < 1 ? 2 : 0;
  return (x) =>
    `${x < 0 ? MINUS : ''}$${Math.abs(x).toLocaleString('en-US', {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    })}`;
}

interface Ticks {
  min: number;
  max: number;
  step: number;
  values: number[];
}

/** About `count` round ticks (1, 2, 5 × 10ⁿ) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5, integer = false): Ticks {
  let lo = min;
  let hi = max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const rough = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  let step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  if (integer) step = Math.max(1, Math.round(step));
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const values: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) values.push(Number(v.toPrecision(12)));
  return { min: values[0]!, max: values.at(-1)!, step, values };
}

/** Maps [d0, d1] onto [r0, r1]. */
function linear(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  const span = d1 - d0 || 1;
  return (x) => r0 + ((x - d0) / span) * (r1 - r0);
}

// ---------------------------------------------------------------------------------------------------
// Frame, axes, legend

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

interface LegendItem {
  label: string;
  color: string;
  shape: 'line' | 'dash' | 'box' | 'dot';
}

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"';
const INK = '#1d2330';
const MUTED = '#5a6275';
const GRID = '#e5e7ee';
const WIDE = 1160;
const SMALL = 560;

/** Opens a chart: its kind for the browser test, role and label for screen readers, title and description. */
function svgOpen(kind: ChartKind, width: number, height: number, title: string, desc: string): string {
  return (
    `<svg data-chart="${kind}" class="${sizeClass(width)}" role="img" aria-label="${escapeHtml(`${title}. ${desc}`)}" ` +
    `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT} font-size="11" fill="${INK}">` +
    `<title>${escapeHtml(title)}</title><desc>${escapeHtml(desc)}</desc>` +
    `<text x="8" y="16" font-size="13" font-weight="600">${escapeHtml(clip(title, Math.floor(width / 8)))}</text>`
  );
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** A wide chart spans the page; small ones sit in a grid (the class sets their CSS width). */
const sizeClass = (width: number) => (width >= WIDE ? 'chart wide' : 'chart');

/** A muted second line under the title (the legs of a position). */
const subtitle = (text: string) => `<text x="8" y="32" fill="${MUTED}">${escapeHtml(text)}</text>`;

/** A chart of `kind` that says why it has nothing to draw, so an older summary renders instead of failing. */
export function noDataChart(
  kind: ChartKind,
  title: string,
  reason: string,
  width = SMALL,
  height = 120,
): string {
  return (
    svgOpen(kind, width, height, title, `No data: ${reason}`) +
    `<rect x="8" y="26" width="${width - 16}" height="${height - 34}" fill="#f7f8fb" stroke="${GRID}"/>` +
    `<text data-no-data="" x="${width / 2}" y="${(height + 26) / 2}" text-anchor="middle" dominant-baseline="middle" fill="${MUTED}" font-style="italic">${escapeHtml(
      `no data: ${reason}`,
    )}</text></svg>`
  );
}

/** Legend items left to right under the title, wrapping; returns the markup and the height used. */
function legend(
  items: readonly LegendItem[],
  x0: number,
  y0: number,
  width: number,
): { svg: string; height: number } {
  let x = x0;
  let y = y0;
  const parts: string[] = [];
  for (const item of items) {
    const w = 22 + item.label.length * 6.8 + 14;
    if (x + w > x0 + width && x > x0) {
      x = x0;
      y += 16;
    }
    const swatch =
      item.shape === 'box'
        ? `<rect x="${px(x)}" y="${px(y - 8)}" width="12" height="10" fill="${item.color}"/>`
        : item.shape === 'dot'
          ? `<circle cx="${px(x + 6)}" cy="${px(y - 3)}" r="4" fill="${item.color}"/>`
          : `<line x1="${px(x)}" y1="${px(y - 3)}" x2="${px(x + 16)}" y2="${px(y - 3)}" stroke="${item.color}" stroke-width="2"${item.shape === 'dash' ? ' stroke-dasharray="4 3"' : ''}/>`;
    parts.push(
      `<g data-legend="${escapeHtml(item.label)}">${swatch}<text x="${px(x + 20)}" y="${px(y)}">${escapeHtml(item.label)}</text></g>`,
    );
    x += w;
  }
  return { svg: parts.join(''), height: y - y0 + 16 };
}

/** Horizontal grid lines with labelled ticks on the left. */
function yAxis(ticks: Ticks, y: (v: number) => number, box: Box, format: (v: number) => string): string {
  return ticks.values
    .map(
      (v) =>
        `<line x1="${box.left}" x2="${box.right}" y1="${px(y(v))}" y2="${px(y(v))}" stroke="${v === 0 ? '#9aa1b2' : GRID}"/>` +
        `<text data-tick="y" x="${box.left - 6}" y="${px(y(v) + 4)}" text-anchor="end" fill="${MUTED}">${escapeHtml(format(v))}</text>`,
    )
    .join('');
}

/** Labelled ticks under the plot; `every` thins labels so they do not overlap. */
function xLabels(labels: readonly { x: number; text: string }[], box: Box, every = 1): string {
  return labels
    .map((l, i) =>
      i % every === 0
        ? `<text data-tick="x" x="${px(l.x)}" y="${box.bottom + 15}" text-anchor="middle" fill="${MUTED}">${escapeHtml(l.text)}</text>`
        : '',
    )
    .join('');
}

const labelEvery = (count: number, plotWidth: number, labelWidth: number) =>
  Math.max(1, Math.ceil((count * labelWidth) / plotWidth));

function polyline(points: readonly [number, number][], color: string, attrs = ''): string {
  return `<polyline points="${points.map(([x, y]) => `${px(x)},${px(y)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" ${attrs}/>`;
}

/** "IRON_CONDOR" → "iron condor": the strategy module's label (a kind no module knows: its words in lower case). */
export const strategyName = (strategy: string) =>
  STRATEGIES.find((s) => s.kind === strategy)?.label ?? strategy.toLowerCase().replaceAll('_', ' ');

/** "2026-06-01" → "06-01": the year is in the header, the month and day fit under a column. */
const shortDate = (date: string) => (/^\d{4}-\d{2}-\d{2}$/.test(date) ? date.slice(5) : date);

/** The minScore threshold: dark and dashed, so it reads apart from every series colour. */
const THRESHOLD = INK;

const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#8C6D1F',
  '#6A3D9A',
  '#999999',
];

// ---------------------------------------------------------------------------------------------------
// Equity curve

export interface EquityDay {
  date: string;
  equity?: EquityPoint;
}

const NET_LIQ = '#0072B2';
const REALISED = '#009E73';
const BROKER = '#7a8194';
const LOSS = '#D55E00';

/**
 * Two panels on one day axis: the broker's net liquidation at each day's end (top), and the realised P&L
 * to date with the drawdown below the running peak (bottom; both in dollars around zero, so they share a
 * scale the account size would flatten).
 */
export function equityChart(days: readonly EquityDay[]): string {
  const title = 'Equity: net liquidation, realised P&L to date and drawdown';
  const withEquity = days.filter((d) => d.equity);
  if (withEquity.length === 0) return noDataChart('equity', title, 'no day recorded its equity', WIDE);
  const width = WIDE;
  const items: LegendItem[] = [
    { label: 'net liquidation (day end)', color: NET_LIQ, shape: 'line' },
    { label: 'realised P&L to date', color: REALISED, shape: 'line' },
    ...(withEquity.some((d) => d.equity!.brokerRealisedToDateUsd !== undefined)
      ? [{ label: "broker's realised to date", color: BROKER, shape: 'dash' as const }]
      : []),
    { label: 'drawdown below the peak', color: LOSS, shape: 'box' },
  ];
  const leg = legend(items, 90, 36, width - 100);
  const top = 36 + leg.height + 4;
  const panel = 130;
  const gap = 34;
  const height = top + panel * 2 + gap + 30;
  const left = 90;
  const right = width - 20;
  const band = (right - left) / days.length;
  const x = (i: number) => left + band * (i + 0.5);
  const every = labelEvery(days.length, right - left, 48);

  // Top panel: net liquidation; a day without it leaves a gap in the line.
  const netBox: Box = { left, right, top, bottom: top + panel };
  const nets = days.map((d) => d.equity?.netLiquidation);
  const netValues = nets.filter((v): v is number => v !== undefined && Number.isFinite(v));
  let netPanel: string;
  if (netValues.length === 0) {
    netPanel = `<text data-no-data="" x="${(left + right) / 2}" y="${top + panel / 2}" text-anchor="middle" fill="${MUTED}" font-style="italic">no data: net liquidation was not recorded</text>`;
  } else {
    const t = niceTicks(Math.min(...netValues), Math.max(...netValues), 4);
    const y = linear(t.min, t.max, netBox.bottom, netBox.top);
    netPanel =
      `<g data-panel="net-liquidation" data-domain="${t.min},${t.max}">` +
      yAxis(t, y, netBox, usdTicks(t.values, t.step)) +
      segments(nets, x, y, NET_LIQ) +
      dots(days, nets, x, y, NET_LIQ, 'net-liquidation', 'net liquidation') +
      '</g>';
  }

  // Bottom panel: realised to date (system and broker) and the drawdown area.
  const pnlBox: Box = { left, right, top: netBox.bottom + gap, bottom: netBox.bottom + gap + panel };
  const realised = days.map((d) => d.equity?.realisedToDateUsd);
  const broker = days.map((d) => d.equity?.brokerRealisedToDateUsd);
  const drawdown = days.map((d) => d.equity?.drawdownUsd);
  const all = [...realised, ...broker, ...drawdown, 0].filter(
    (v): v is number => v !== undefined && Number.isFinite(v),
  );
  const t = niceTicks(Math.min(...all), Math.max(...all), 4);
  const y = linear(t.min, t.max, pnlBox.bottom, pnlBox.top);
  const area: [number, number][] = [];
  days.forEach((_, i) => {
    const d = drawdown[i];
    if (d !== undefined && Number.isFinite(d)) area.push([x(i), y(d)]);
  });
  const firstDrawdown = drawdown.findIndex((d) => d !== undefined);
  const lastDrawdown = drawdown.length - 1 - [...drawdown].reverse().findIndex((d) => d !== undefined);
  const drawdownArea =
    area.length === 0
      ? ''
      : `<polygon data-series="drawdown" points="${[
          [x(firstDrawdown), y(0)] as [number, number],
          ...area,
          [x(lastDrawdown), y(0)] as [number, number],
        ]
          .map(([a, b]) => `${px(a)},${px(b)}`)
          .join(' ')}" fill="${LOSS}" fill-opacity="0.25" stroke="${LOSS}" stroke-width="1"/>`;
  const pnlPanel =
    `<g data-panel="realised" data-domain="${t.min},${t.max}">` +
    yAxis(t, y, pnlBox, usdTicks(t.values, t.step)) +
    drawdownArea +
    segments(broker, x, y, BROKER, 'stroke-dasharray="5 4"') +
    segments(realised, x, y, REALISED) +
    dots(days, realised, x, y, REALISED, 'realised', 'realised P&L to date') +
    dots(days, drawdown, x, y, LOSS, 'drawdown', 'drawdown', 2.5) +
    '</g>';

  const labels = days.map((d, i) => ({ x: x(i), text: shortDate(d.date) }));
  const first = days[0]!.date;
  const last = days.at(-1)!.date;
  const lastEquity = withEquity.at(-1)!.equity!;
  const desc =
    `${days.length} trading days, ${first} to ${last}. At ${lastEquity.date}: ` +
    `net liquidation ${lastEquity.netLiquidation === undefined ? 'not recorded' : usd(lastEquity.netLiquidation)}, ` +
    `realised to date ${usd(lastEquity.realisedToDateUsd)}, deepest drawdown ${usd(
      Math.min(0, ...drawdown.filter((v): v is number => v !== undefined)),
    )}.`;
  return (
    svgOpen('equity', width, height, title, desc) +
    leg.svg +
    `<text x="${left}" y="${top - 4}" fill="${MUTED}">net liquidation</text>` +
    netPanel +
    `<text x="${left}" y="${pnlBox.top - 6}" fill="${MUTED}">realised P&amp;L to date and drawdown</text>` +
    pnlPanel +
    xLabels(labels, pnlBox, every) +
    '</svg>'
  );
}

/** Line pieces through consecutive defined values (a missing day breaks the line). */
function segments(
  values: readonly (number | undefined)[],
  x: (i: number) => number,
  y: (v: number) => number,
  color: string,
  attrs = '',
): string {
  const runs: [number, number][][] = [];
  let current: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === undefined || !Number.isFinite(v)) {
      if (current.length > 0) runs.push(current);
      current = [];
    } else current.push([x(i), y(v)]);
  });
  if (current.length > 0) runs.push(current);
  return runs
    .filter((r) => r.length > 1)
    .map((r) => polyline(r, color, attrs))
    .join('');
}

/** One dot per defined value, each with a tooltip naming the day and the amount. */
function dots(
  days: readonly { date: string }[],
  values: readonly (number | undefined)[],
  x: (i: number) => number,
  y: (v: number) => number,
  color: string,
  series: string,
  name: string,
  r = 3.5,
): string {
  return values
    .map((v, i) =>
      v === undefined || !Number.isFinite(v)
        ? ''
        : `<circle data-series="${series}" data-value="${round2(v)}" cx="${px(x(i))}" cy="${px(y(v))}" r="${r}" fill="${color}"><title>${escapeHtml(
            `${days[i]!.date} ${name} ${usd(v)}`,
          )}</title></circle>`,
    )
    .join('');
}

// ---------------------------------------------------------------------------------------------------
// A position's P&L path from entry to exit

export interface PositionLine {
  id: string;
  /** "SPY iron condor 2026-07-17 ×2". */
  label: string;
  /** "+P480 −P485 −C520 +C525": the contracts held per leg, signed. */
  legs: string;
  status: string;
  /** Every P&L point of every day, oldest first; undefined when no day carried a path. */
  points?: { at: number; pnlUsd: number }[];
  openedAt: number;
  closedAt?: number;
  closedBy?: string;
  realisedPnlUsd?: number;
  /** entry credit × 100 × quantity. */
  maxProfitUsd: number;
}

/** Joins the days' views of each position (by id) into one line from entry to exit, in order of opening. */
export function positionLines(days: readonly { positions: readonly PositionView[] }[]): PositionLine[] {
  const byId = new Map<string, { last: PositionView; points?: Map<number, number> }>();
  for (const day of days) {
    for (const p of day.positions) {
      const entry = byId.get(p.id) ?? { last: p };
      entry.last = p;
      if (p.pnlPath) {
        entry.points ??= new Map();
        for (const point of p.pnlPath) entry.points.set(point.at, point.pnlUsd);
      }
      byId.set(p.id, entry);
    }
  }
  return [...byId.values()]
    .map(({ last: p, points }) => ({
      id: p.id,
      label: `${p.symbol} ${strategyName(p.strategy)} ${p.expiry} ×${p.quantity}`,
      legs: legsText(p.legs),
      status: p.status,
      ...(points
        ? { points: [...points].sort((a, b) => a[0] - b[0]).map(([at, pnlUsd]) => ({ at, pnlUsd })) }
        : {}),
      openedAt: p.openedAt,
      ...(p.status === 'CLOSED' && p.closedAt !== undefined ? { closedAt: p.closedAt } : {}),
      ...(p.status === 'CLOSED' ? { closedBy: p.closedBy ?? p.closeReason ?? 'closed' } : {}),
      ...(p.realisedPnlUsd === undefined ? {} : { realisedPnlUsd: p.realisedPnlUsd }),
      maxProfitUsd: round2(p.entryCredit * 100 * p.quantity),
    }))
    .sort((a, b) => a.openedAt - b.openedAt || a.id.localeCompare(b.id));
}

const legsText = (legs: PositionView['legs']) =>
  legs.map((l) => `${l.quantity < 0 ? MINUS : '+'}${l.right}${l.strike}`).join(' ');

// Regular session 09:30–16:00 New York: each trading day gets the same width and nights take none.
const OPEN_MINUTE = 9 * 60 + 30;
const SESSION_MINUTES = 390;

/** Position of instant `at` on an axis of trading days: day index + share of the session elapsed. */
function sessionX(at: number, dates: readonly string[]): number {
  const parts = nyParts(at);
  const index = dates.indexOf(parts.date);
  if (index < 0) {
    const before = dates.filter((d) => d < parts.date).length;
    return before;
  }
  const minute = parts.hour * 60 + parts.minute + parts.second / 60;
  return index + Math.min(1, Math.max(0, (minute - OPEN_MINUTE) / SESSION_MINUTES));
}

const PNL_LINE = '#0072B2';

/**
 * One position's P&L (realised + unrealised at mid) across its days, entry marked, and the exit marked with
 * the rule that closed it. `dates` are the run's trading days, the x axis.
 */
export function positionPnlChart(line: PositionLine, dates: readonly string[]): string {
  const title = `${line.label}: ${line.status === 'CLOSED' ? 'closed' : 'open'}`;
  if (!line.points || line.points.length === 0)
    return noDataChart('position-pnl', title, 'no P&L snapshot was recorded for this position', SMALL, 150);
  const width = SMALL;
  const height = 250;
  const points = line.points.map((p) => ({ ...p }));
  // The close's realised figure is the line's last word when it came after the last snapshot.
  if (line.closedAt !== undefined && line.realisedPnlUsd !== undefined && line.closedAt > points.at(-1)!.at)
    points.push({ at: line.closedAt, pnlUsd: line.realisedPnlUsd });
  const xs = points.map((p) => sessionX(p.at, dates));
  const d0 = Math.floor(Math.min(...xs));
  const d1 = Math.max(d0 + 1, Math.ceil(Math.max(...xs)));
  const items: LegendItem[] = [
    { label: 'P&L (realised + unrealised at mid)', color: PNL_LINE, shape: 'line' },
    { label: `max profit ${usd(line.maxProfitUsd)}`, color: REALISED, shape: 'dash' },
  ];
  const leg = legend(items, 64, 50, width - 74);
  const box: Box = { left: 64, right: width - 16, top: 50 + leg.height + 6, bottom: height - 26 };
  const values = points.map((p) => p.pnlUsd);
  const t = niceTicks(Math.min(0, ...values), Math.max(0, line.maxProfitUsd, ...values), 4);
  const y = linear(t.min, t.max, box.bottom, box.top);
  const x = linear(d0, d1, box.left, box.right);
  const dayLines: string[] = [];
  const labels: { x: number; text: string }[] = [];
  for (let d = d0; d < d1; d += 1) {
    if (d > d0)
      dayLines.push(
        `<line x1="${px(x(d))}" x2="${px(x(d))}" y1="${box.top}" y2="${box.bottom}" stroke="${GRID}" stroke-dasharray="2 3"/>`,
      );
    labels.push({ x: x(d + 0.5), text: shortDate(dates[d] ?? '') });
  }
  const path = points.map((p, i) => [x(xs[i]!), y(p.pnlUsd)] as [number, number]);
  const [ex, ey] = path.at(-1)!;
  const [sx, sy] = path[0]!;
  const last = points.at(-1)!;
  const closed = line.status === 'CLOSED';
  const exitText = closed ? (line.closedBy ?? 'closed') : 'open';
  // The label sits left of the marker when the marker is near the right edge.
  const anchor = ex > box.right - 90 ? 'end' : 'start';
  const lx = anchor === 'end' ? ex - 8 : ex + 8;
  // Above the marker when there is room, else below it, so it does not sit on the line's end.
  const ly = ey - box.top > 24 ? ey - 10 : ey + 18;
  const exitMarker = closed
    ? `<g data-marker="exit" data-closed-by="${escapeHtml(exitText)}" data-value="${round2(last.pnlUsd)}">` +
      `<path d="M${px(ex)} ${px(ey - 6)} L${px(ex + 6)} ${px(ey)} L${px(ex)} ${px(ey + 6)} L${px(ex - 6)} ${px(ey)} Z" fill="${last.pnlUsd >= 0 ? REALISED : LOSS}" stroke="#fff"/>` +
      `<text x="${px(lx)}" y="${px(ly)}" text-anchor="${anchor}" font-weight="600">${escapeHtml(`${exitText} ${usd(last.pnlUsd)}`)}</text>` +
      `<title>${escapeHtml(`closed by ${exitText}, P&L ${usd(last.pnlUsd)}`)}</title></g>`
    : `<g data-marker="last" data-value="${round2(last.pnlUsd)}"><circle cx="${px(ex)}" cy="${px(ey)}" r="4" fill="#fff" stroke="${PNL_LINE}" stroke-width="2"/>` +
      `<text x="${px(lx)}" y="${px(ly)}" text-anchor="${anchor}" fill="${MUTED}">${escapeHtml(`open ${usd(last.pnlUsd)}`)}</text></g>`;
  const desc =
    `${points.length} P&L points from ${dates[d0] ?? ''} to ${dates[d1 - 1] ?? ''}; ` +
    `${closed ? `closed by ${exitText}` : 'still open'} at ${usd(last.pnlUsd)}; max profit ${usd(line.maxProfitUsd)}.`;
  return (
    svgOpen('position-pnl', width, height, title, desc) +
    subtitle(line.legs) +
    leg.svg +
    yAxis(t, y, box, usdTicks(t.values, t.step)) +
    dayLines.join('') +
    `<line data-series="max-profit" x1="${box.left}" x2="${box.right}" y1="${px(y(line.maxProfitUsd))}" y2="${px(y(line.maxProfitUsd))}" stroke="${REALISED}" stroke-dasharray="5 4"/>` +
    polyline(path, PNL_LINE, 'data-series="pnl"') +
    `<g data-marker="entry"><circle cx="${px(sx)}" cy="${px(sy)}" r="4" fill="${PNL_LINE}"/><title>entry</title></g>` +
    exitMarker +
    xLabels(labels, box, labelEvery(labels.length, box.right - box.left, 44)) +
    '</svg>'
  );
}

// ---------------------------------------------------------------------------------------------------
// Payoff at expiry

export interface PayoffInput {
  label: string;
  symbol: string;
  legs: readonly { right: string; strike: number; quantity: number }[];
  /** Credit received per share at entry. */
  entryCredit: number;
  /** Spreads held. */
  quantity: number;
  underlyingPrice?: number;
  multiplier?: number;
}

/**
 * P&L at expiry of the legs at underlying price `spot`, dollars: the credit received plus each leg's
 * intrinsic value (signed: a short leg's is owed). Leg quantities are the contracts held.
 */
export function payoffAtExpiry(input: PayoffInput, spot: number): number {
  const multiplier = input.multiplier ?? 100;
  let value = input.entryCredit * input.quantity;
  for (const leg of input.legs)
    value += leg.quantity * intrinsicValue(leg.right === 'C' ? 'C' : 'P', spot, leg.strike);
  return round2(value * multiplier);
}

const PROFIT = '#009E73';

/**
 * The payoff at expiry: piecewise linear with its kinks at the strikes, green above zero and red below, the
 * short strikes and the underlying's current price marked.
 */
export function payoffChart(input: PayoffInput): string {
  const title = `Payoff at expiry: ${input.label}`;
  const badLeg = input.legs.find((l) => l.right !== 'C' && l.right !== 'P');
  if (input.legs.length === 0 || badLeg)
    return noDataChart(
      'payoff',
      title,
      badLeg ? `leg right ${badLeg.right} is neither C nor P` : 'the position has no option legs',
      SMALL,
      150,
    );
  const width = SMALL;
  const height = 270;
  const strikes = [...new Set(input.legs.map((l) => l.strike))].sort((a, b) => a - b);
  const spot = input.underlyingPrice;
  const span = Math.max(strikes.at(-1)! - strikes[0]!, strikes[0]! * 0.01, 1);
  // Room either side of the strikes and of the current price, so neither sits on the frame.
  const pad = span * 0.4;
  const lo = Math.min(strikes[0]! - pad, spot === undefined ? Infinity : spot - pad / 2);
  const hi = Math.max(strikes.at(-1)! + pad, spot === undefined ? -Infinity : spot + pad / 2);
  // Exact, since the payoff is linear between strikes: the ends, every strike, and every zero crossing.
  const kinks = [lo, ...strikes, hi].map((s) => ({ s, v: payoffAtExpiry(input, s) }));
  const points: { s: number; v: number }[] = [kinks[0]!];
  const breakevens: number[] = [];
  for (let i = 1; i < kinks.length; i += 1) {
    const a = kinks[i - 1]!;
    const b = kinks[i]!;
    if ((a.v < 0 && b.v > 0) || (a.v > 0 && b.v < 0)) {
      const s = a.s + ((0 - a.v) / (b.v - a.v)) * (b.s - a.s);
      breakevens.push(round2(s));
      points.push({ s, v: 0 });
    }
    points.push(b);
  }
  const maxProfit = Math.max(...kinks.map((k) => k.v));
  const maxLoss = Math.min(...kinks.map((k) => k.v));
  const items: LegendItem[] = [
    { label: 'P&L at expiry', color: INK, shape: 'line' },
    { label: 'short strike', color: LOSS, shape: 'dash' },
    ...(spot === undefined ? [] : [{ label: `${input.symbol} now`, color: NET_LIQ, shape: 'line' as const }]),
  ];
  const leg = legend(items, 70, 34, width - 80);
  // The bottom keeps a row under the ticks for the current price's label.
  const box: Box = { left: 70, right: width - 16, top: 34 + leg.height + 14, bottom: height - 42 };
  const t = niceTicks(Math.min(0, maxLoss), Math.max(0, maxProfit), 4);
  const y = linear(t.min, t.max, box.bottom, box.top);
  const x = linear(lo, hi, box.left, box.right);
  const xt = niceTicks(lo, hi, 5);
  const xTicks = xt.values
    .filter((v) => v >= lo && v <= hi)
    .map((v) => ({ x: x(v), text: Number.isInteger(v) ? String(v) : v.toFixed(2) }));
  // Fill each piece between two points (never crossing zero) to the zero line, by its sign.
  const fills = points
    .slice(1)
    .map((b, i) => {
      const a = points[i]!;
      const sign = a.v + b.v;
      if (sign === 0) return '';
      return `<polygon points="${px(x(a.s))},${px(y(0))} ${px(x(a.s))},${px(y(a.v))} ${px(x(b.s))},${px(y(b.v))} ${px(x(b.s))},${px(y(0))}" fill="${sign > 0 ? PROFIT : LOSS}" fill-opacity="0.18"/>`;
    })
    .join('');
  const shorts = input.legs.filter((l) => l.quantity < 0);
  const shortLines = shorts
    .map(
      (l) =>
        `<g data-marker="short-strike" data-strike="${l.strike}"><line x1="${px(x(l.strike))}" x2="${px(x(l.strike))}" y1="${box.top}" y2="${box.bottom}" stroke="${LOSS}" stroke-dasharray="4 3"/>` +
        `<text x="${px(x(l.strike))}" y="${box.top - 3}" text-anchor="middle" fill="${LOSS}">${escapeHtml(`short ${l.right}${l.strike}`)}</text></g>`,
    )
    .join('');
  const spotLine =
    spot === undefined
      ? `<text x="${box.right}" y="${box.top + 10}" text-anchor="end" fill="${MUTED}" font-style="italic">current price not recorded</text>`
      : `<g data-marker="underlying" data-price="${spot}"><line x1="${px(x(spot))}" x2="${px(x(spot))}" y1="${box.top}" y2="${box.bottom}" stroke="${NET_LIQ}" stroke-width="2"/>` +
        `<line x1="${px(x(spot))}" x2="${px(x(spot))}" y1="${box.bottom}" y2="${box.bottom + 20}" stroke="${NET_LIQ}"/>` +
        `<text x="${px(x(spot))}" y="${box.bottom + 32}" text-anchor="middle" fill="${NET_LIQ}" font-weight="600">${escapeHtml(`${input.symbol} now ${spot.toFixed(2)}`)}</text></g>`;
  // Max profit under the middle of its plateau; max loss above the end of the side that loses most.
  const best = kinks.filter((k) => k.v === maxProfit);
  const bestX = x((best[0]!.s + best.at(-1)!.s) / 2);
  const worstLeft = kinks[0]!.v <= kinks.at(-1)!.v;
  const extremes =
    `<text x="${px(bestX)}" y="${px(Math.min(y(maxProfit) + 14, y(0) - 3))}" text-anchor="middle" fill="${PROFIT}" font-weight="600">${escapeHtml(`max profit ${usd(maxProfit)}`)}</text>` +
    (maxLoss < 0
      ? `<text x="${worstLeft ? box.left + 4 : box.right - 4}" y="${px(Math.max(y(maxLoss) - 5, y(0) + 12))}" text-anchor="${worstLeft ? 'start' : 'end'}" fill="${LOSS}" font-weight="600">${escapeHtml(`max loss ${usd(maxLoss)}`)}</text>`
      : '');
  const desc =
    `Max profit ${usd(maxProfit)} (entry credit ${input.entryCredit} × 100 × ${input.quantity}), ` +
    `max loss ${usd(maxLoss)}; breakevens ${breakevens.length === 0 ? 'none' : breakevens.join(' and ')}; ` +
    `short strikes ${shorts.map((l) => `${l.right}${l.strike}`).join(', ') || 'none'}; ` +
    `${input.symbol} ${spot === undefined ? 'price not recorded' : `now ${spot.toFixed(2)}`}.`;
  return (
    svgOpen('payoff', width, height, title, desc) +
    leg.svg +
    yAxis(t, y, box, usdTicks(t.values, t.step)) +
    fills +
    polyline(
      points.map((p) => [x(p.s), y(p.v)]),
      INK,
      `data-series="payoff" data-max-profit="${maxProfit}" data-max-loss="${maxLoss}" data-values="${points
        .map((p) => `${round2(p.s)}:${p.v}`)
        .join(' ')}"`,
    ) +
    extremes +
    shortLines +
    spotLine +
    xLabels(xTicks, box) +
    '</svg>'
  );
}

// ---------------------------------------------------------------------------------------------------
// The day's score distribution

const BIN = 5;

/** Histogram of every scored candidate's score in bins of 5 points, with the `minScore` line. */
export function scoreHistogram(input: {
  date: string;
  /** Candidates per whole score, index 0–100 (scripts/report/summary.ts `scoreDistribution`). */
  scoreCounts?: readonly number[];
  atOrAboveMinScore?: number;
  minScore: number;
}): string {
  const counts = input.scoreCounts;
  let total = 0;
  let highest = -1;
  counts?.forEach((n, score) => {
    total += n;
    if (n > 0) highest = score;
  });
  const title = `Scores ${input.date}: ${counts ? total : 'no'} candidates`;
  if (!counts) return noDataChart('scores', title, 'the scores of the day were not recorded', 370, 150);
  if (total === 0) return noDataChart('scores', title, 'no candidate was scored', 370, 150);
  const width = 370;
  const height = 210;
  const bins = Array.from({ length: 100 / BIN }, () => 0);
  counts.forEach((n, score) => {
    bins[Math.min(bins.length - 1, Math.floor(score / BIN))]! += n;
  });
  const above =
    input.atOrAboveMinScore ??
    counts.reduce((sum, n, score) => (score >= Math.ceil(input.minScore) ? sum + n : sum), 0);
  const items: LegendItem[] = [
    { label: 'below minScore', color: '#b8bfce', shape: 'box' },
    { label: 'at/above', color: PROFIT, shape: 'box' },
    { label: `minScore ${input.minScore}`, color: THRESHOLD, shape: 'dash' },
  ];
  const leg = legend(items, 50, 34, width - 60);
  const box: Box = { left: 50, right: width - 16, top: 34 + leg.height + 6, bottom: height - 26 };
  const t = niceTicks(
    0,
    bins.reduce((m, n) => Math.max(m, n), 0),
    4,
    true,
  );
  const y = linear(0, t.max, box.bottom, box.top);
  const x = linear(0, 100, box.left, box.right);
  const bars = bins
    .map((n, i) =>
      n === 0
        ? ''
        : `<rect data-bin="${i * BIN}" data-count="${n}" x="${px(x(i * BIN) + 1)}" y="${px(y(n))}" width="${px(x(BIN) - x(0) - 2)}" height="${px(y(0) - y(n))}" fill="${i * BIN >= input.minScore ? PROFIT : '#b8bfce'}"><title>${escapeHtml(
            `score ${i * BIN}–${i * BIN + BIN}: ${n} candidate${n === 1 ? '' : 's'}`,
          )}</title></rect>`,
    )
    .join('');
  const mx = x(input.minScore);
  const desc = `${total} candidates scored, ${above} at or above minScore ${input.minScore}; highest ${highest}.`;
  return (
    svgOpen('scores', width, height, title, desc) +
    leg.svg +
    yAxis(t, y, box, (v) => String(v)) +
    bars +
    `<line data-series="min-score" data-value="${input.minScore}" x1="${px(mx)}" x2="${px(mx)}" y1="${box.top - 4}" y2="${box.bottom}" stroke="${THRESHOLD}" stroke-width="2" stroke-dasharray="5 3"/>` +
    `<text x="${px(mx + (mx < box.right - 70 ? 5 : -5))}" y="${box.top + 8}" text-anchor="${mx < box.right - 70 ? 'start' : 'end'}">${escapeHtml(`${above} at/above`)}</text>` +
    xLabels(
      Array.from({ length: 11 }, (_, i) => ({ x: x(i * 10), text: String(i * 10) })),
      box,
    ) +
    `<text x="${box.right}" y="${height - 2}" text-anchor="end" fill="${MUTED}">score</text>` +
    '</svg>'
  );
}

// ---------------------------------------------------------------------------------------------------
// Factor breakdown of the chosen candidates

const FACTORS: readonly { key: keyof ScoreBreakdown; name: string; color: string }[] = [
  { key: 'ivRank', name: 'IV rank', color: PALETTE[0]! },
  { key: 'creditToWidth', name: 'credit/width', color: PALETTE[1]! },
  { key: 'shortDelta', name: 'short delta', color: PALETTE[2]! },
  { key: 'liquidity', name: 'liquidity', color: PALETTE[3]! },
  { key: 'dteFit', name: 'DTE fit', color: PALETTE[4]! },
  { key: 'ivHv', name: 'IV/HV', color: PALETTE[5]! },
  { key: 'trendFit', name: 'trend fit', color: PALETTE[6]! },
];

export interface ChosenCandidate {
  date: string;
  candidate: Pick<CandidateView, 'id' | 'strategy' | 'symbol' | 'strikes' | 'score' | 'breakdown'>;
}

/**
 * One horizontal bar per chosen candidate, its score split into the seven factors' points (the stacked
 * segments sum to the score), with the `minScore` line. `chosen` undefined means the days did not record it.
 */
export function factorChart(chosen: readonly ChosenCandidate[] | undefined, minScore?: number): string {
  const title = 'Why the chosen candidates scored what they did: points per factor';
  if (!chosen) return noDataChart('factors', title, 'the chosen candidates were not recorded', WIDE);
  if (chosen.length === 0) return noDataChart('factors', title, 'no candidate was chosen in this run', WIDE);
  const width = WIDE;
  const rowHeight = 22;
  const items: LegendItem[] = FACTORS.map((f) => ({
    label: `${f.name} (${FACTOR_POINTS[f.key]})`,
    color: f.color,
    shape: 'box',
  }));
  if (minScore !== undefined) items.push({ label: `minScore ${minScore}`, color: THRESHOLD, shape: 'dash' });
  const left = 300;
  const leg = legend(items, left, 36, width - left - 10);
  const box: Box = {
    left,
    right: width - 50,
    top: 36 + leg.height + 6,
    bottom: 36 + leg.height + 6 + chosen.length * rowHeight,
  };
  const height = box.bottom + 30;
  const x = linear(0, 100, box.left, box.right);
  const grid = Array.from({ length: 11 }, (_, i) => i * 10)
    .map(
      (v) =>
        `<line x1="${px(x(v))}" x2="${px(x(v))}" y1="${box.top}" y2="${box.bottom}" stroke="${GRID}"/>` +
        `<text data-tick="x" x="${px(x(v))}" y="${box.bottom + 15}" text-anchor="middle" fill="${MUTED}">${v}</text>`,
    )
    .join('');
  const rows = chosen
    .map(({ date, candidate: c }, i) => {
      const top = box.top + i * rowHeight + 3;
      let at = 0;
      const segs = FACTORS.map((f) => {
        const points = c.breakdown[f.key] ?? 0;
        const start = at;
        at += points;
        if (!(points > 0)) return '';
        return `<rect data-factor="${f.key}" data-points="${points}" x="${px(x(start))}" y="${top}" width="${px(x(at) - x(start))}" height="${rowHeight - 6}" fill="${f.color}"><title>${escapeHtml(
          `${f.name}: ${points} of ${FACTOR_POINTS[f.key]}`,
        )}</title></rect>`;
      }).join('');
      const label = clip(`${shortDate(date)} ${c.symbol} ${strategyName(c.strategy)} ${c.strikes}`, 46);
      return (
        `<g data-candidate="${escapeHtml(c.id)}" data-score="${c.score}">` +
        `<text x="${box.left - 6}" y="${top + rowHeight / 2}" text-anchor="end">${escapeHtml(label)}</text>` +
        segs +
        `<text x="${px(x(at) + 4)}" y="${top + rowHeight / 2}" font-weight="600">${escapeHtml(c.score)}</text></g>`
      );
    })
    .join('');
  const minLine =
    minScore === undefined
      ? ''
      : `<line data-series="min-score" x1="${px(x(minScore))}" x2="${px(x(minScore))}" y1="${box.top - 2}" y2="${box.bottom + 2}" stroke="${THRESHOLD}" stroke-width="2" stroke-dasharray="5 3"/>`;
  const desc = `${chosen.length} chosen candidates; scores ${chosen.map((c) => c.candidate.score).join(', ')}.`;
  return svgOpen('factors', width, height, title, desc) + leg.svg + grid + rows + minLine + '</svg>';
}

// ---------------------------------------------------------------------------------------------------
// Counts per day: closes by rule, alerts by severity

export interface CountSeries {
  name: string;
  color: string;
  /** One value per day; undefined when that day did not record it. */
  values: readonly (number | undefined)[];
}

/** Stacked columns of counts, one per day, the total above each column. */
function stackedColumns(
  kind: ChartKind,
  title: string,
  dates: readonly string[],
  series: readonly CountSeries[],
  recorded: readonly boolean[],
): string {
  const width = SMALL;
  const height = 240;
  const items: LegendItem[] = series.map((s) => ({ label: s.name, color: s.color, shape: 'box' }));
  const leg = legend(items, 40, 34, width - 50);
  const box: Box = { left: 40, right: width - 12, top: 34 + leg.height + 14, bottom: height - 26 };
  const totals = dates.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const t = niceTicks(0, Math.max(1, ...totals), 4, true);
  const y = linear(0, t.max, box.bottom, box.top);
  const band = (box.right - box.left) / Math.max(1, dates.length);
  const barWidth = Math.min(46, band * 0.7);
  const columns = dates
    .map((date, i) => {
      const cx = box.left + band * (i + 0.5);
      if (!recorded[i])
        return `<text x="${px(cx)}" y="${box.bottom - 4}" text-anchor="middle" fill="${MUTED}" font-style="italic">n/a</text>`;
      let at = 0;
      const segs = series
        .map((s) => {
          const n = s.values[i] ?? 0;
          if (n <= 0) return '';
          const start = at;
          at += n;
          return `<rect data-series="${escapeHtml(s.name)}" data-count="${n}" x="${px(cx - barWidth / 2)}" y="${px(y(at))}" width="${px(barWidth)}" height="${px(y(start) - y(at))}" fill="${s.color}"><title>${escapeHtml(
            `${date}: ${s.name} ${n}`,
          )}</title></rect>`;
        })
        .join('');
      return `<g data-day="${escapeHtml(date)}" data-total="${totals[i]}">${segs}<text x="${px(cx)}" y="${px(y(at) - 4)}" text-anchor="middle" fill="${MUTED}">${totals[i]}</text></g>`;
    })
    .join('');
  const labels = dates.map((d, i) => ({ x: box.left + band * (i + 0.5), text: shortDate(d) }));
  const desc =
    series.length === 0
      ? `None in ${dates.length} days.`
      : `${series.map((s) => `${s.name} ${s.values.reduce<number>((a, b) => a + (b ?? 0), 0)}`).join(', ')} over ${dates.length} days.`;
  return (
    svgOpen(kind, width, height, title, desc) +
    leg.svg +
    yAxis(t, y, box, (v) => String(v)) +
    columns +
    xLabels(labels, box, labelEvery(labels.length, box.right - box.left, 40)) +
    '</svg>'
  );
}

/** Positions closed per day, stacked by the rule that closed them. */
export function closesByRuleChart(
  days: readonly { date: string; closesByRule?: Record<string, number> }[],
): string {
  const title = 'Closes per day, by the rule that closed them';
  if (days.every((d) => d.closesByRule === undefined))
    return noDataChart('closes-by-rule', title, 'the days did not record what closed their positions');
  const rules = [...new Set(days.flatMap((d) => Object.keys(d.closesByRule ?? {})))];
  const series = rules.map((rule, i) => ({
    name: rule,
    color: PALETTE[i % PALETTE.length]!,
    values: days.map((d) => d.closesByRule?.[rule]),
  }));
  return stackedColumns(
    'closes-by-rule',
    title,
    days.map((d) => d.date),
    series,
    days.map((d) => d.closesByRule !== undefined),
  );
}

const SEVERITIES: readonly { key: AlertSeverity; color: string }[] = [
  { key: 'CRITICAL', color: '#C62828' },
  { key: 'WARNING', color: '#E69F00' },
  { key: 'INFO', color: '#56B4E9' },
];

/** Alerts per day, stacked by severity. */
export function alertsBySeverityChart(
  days: readonly { date: string; alertCounts?: Partial<Record<AlertSeverity, number>> }[],
): string {
  const title = 'Alerts per day, by severity';
  if (days.every((d) => d.alertCounts === undefined))
    return noDataChart('alerts-by-severity', title, 'the days did not count their alerts');
  return stackedColumns(
    'alerts-by-severity',
    title,
    days.map((d) => d.date),
    SEVERITIES.map((s) => ({ name: s.key, color: s.color, values: days.map((d) => d.alertCounts?.[s.key]) })),
    days.map((d) => d.alertCounts !== undefined),
  );
}
