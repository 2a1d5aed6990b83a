// What every chart of the report shares: the chart kinds, HTML escaping, money and tick formats, scales,
// the SVG frame (title, description, no-data panel), axes, legend and colours. One module per chart
// family builds on it: equity, position-pnl, payoff, candidates (scores and factors), daily-counts.
//
// Hand-written rather than a charting library. The report is one file that must open with no network and
// holds no script; the well-kept libraries (D3, Vega, Chart.js, uPlot) draw in the browser with JavaScript,
// so bundling one would add a script and a dependency for seven simple shapes (lines, areas, bars, rules).
// SVG built here is static: it prints, reads the same with scripting off, and unit tests can assert on it.
//
// Every chart is an <svg data-chart="KIND" role="img" aria-label=...> with a <title> and <desc>, labelled
// axis ticks in dollars (or counts), and a legend. Missing data draws a "no data" panel of the same kind
// instead of throwing, so an older summary still renders.
// From the registry itself: loading the strategies' index first trips an import cycle in functions/core.
import { STRATEGIES } from '#core/strategies/registry';

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

export const round2 = (x: number) => Math.round(x * 100) / 100;
/** Coordinates with two decimals keep the SVG short and stable for tests. */
export const px = (x: number) => String(Math.round(x * 100) / 100);
export const MINUS = '−';

/** "$1,234.50", "−$400", with cents only when there are any. */
export function usd(x: number): string {
  const abs = Math.abs(round2(x));
  const digits = Number.isInteger(abs) ? 0 : 2;
  const text = abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${x < 0 && abs !== 0 ? MINUS : ''}$${text}`;
}

/** Tick labels in dollars with as many decimals as the step needs; thousands as "k" for account sizes. */
export function usdTicks(ticks: readonly number[], step: number): (x: number) => string {
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
export function linear(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  const span = d1 - d0 || 1;
  return (x) => r0 + ((x - d0) / span) * (r1 - r0);
}

// ---------------------------------------------------------------------------------------------------
// Frame, axes, legend

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface LegendItem {
  label: string;
  color: string;
  shape: 'line' | 'dash' | 'box' | 'dot';
}

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"';
export const INK = '#1d2330';
export const MUTED = '#5a6275';
export const GRID = '#e5e7ee';
export const WIDE = 1160;
export const SMALL = 560;

/** Opens a chart: its kind for the browser test, role and label for screen readers, title and description. */
export function svgOpen(kind: ChartKind, width: number, height: number, title: string, desc: string): string {
  return (
    `<svg data-chart="${kind}" class="${sizeClass(width)}" role="img" aria-label="${escapeHtml(`${title}. ${desc}`)}" ` +
    `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT} font-size="11" fill="${INK}">` +
    `<title>${escapeHtml(title)}</title><desc>${escapeHtml(desc)}</desc>` +
    `<text x="8" y="16" font-size="13" font-weight="600">${escapeHtml(clip(title, Math.floor(width / 8)))}</text>`
  );
}

export const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** A wide chart spans the page; small ones sit in a grid (the class sets their CSS width). */
const sizeClass = (width: number) => (width >= WIDE ? 'chart wide' : 'chart');

/** A muted second line under the title (the legs of a position). */
export const subtitle = (text: string) => `<text x="8" y="32" fill="${MUTED}">${escapeHtml(text)}</text>`;

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
export function legend(
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
export function yAxis(
  ticks: Ticks,
  y: (v: number) => number,
  box: Box,
  format: (v: number) => string,
): string {
  return ticks.values
    .map(
      (v) =>
        `<line x1="${box.left}" x2="${box.right}" y1="${px(y(v))}" y2="${px(y(v))}" stroke="${v === 0 ? '#9aa1b2' : GRID}"/>` +
        `<text data-tick="y" x="${box.left - 6}" y="${px(y(v) + 4)}" text-anchor="end" fill="${MUTED}">${escapeHtml(format(v))}</text>`,
    )
    .join('');
}

/** Labelled ticks under the plot; `every` thins labels so they do not overlap. */
export function xLabels(labels: readonly { x: number; text: string }[], box: Box, every = 1): string {
  return labels
    .map((l, i) =>
      i % every === 0
        ? `<text data-tick="x" x="${px(l.x)}" y="${box.bottom + 15}" text-anchor="middle" fill="${MUTED}">${escapeHtml(l.text)}</text>`
        : '',
    )
    .join('');
}

export const labelEvery = (count: number, plotWidth: number, labelWidth: number) =>
  Math.max(1, Math.ceil((count * labelWidth) / plotWidth));

export function polyline(points: readonly [number, number][], color: string, attrs = ''): string {
  return `<polyline points="${points.map(([x, y]) => `${px(x)},${px(y)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" ${attrs}/>`;
}

/** "IRON_CONDOR" → "iron condor": the strategy module's label (a kind no module knows: its words in lower case). */
export const strategyName = (strategy: string) =>
  STRATEGIES.find((s) => s.kind === strategy)?.label ?? strategy.toLowerCase().replaceAll('_', ' ');

/** "2026-06-01" → "06-01": the year is in the header, the month and day fit under a column. */
export const shortDate = (date: string) => (/^\d{4}-\d{2}-\d{2}$/.test(date) ? date.slice(5) : date);

/** The minScore threshold: dark and dashed, so it reads apart from every series colour. */
export const THRESHOLD = INK;

export const PALETTE = [
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

// Series colours more than one chart family uses.
export const NET_LIQ = '#0072B2';
export const REALISED = '#009E73';
export const LOSS = '#D55E00';
export const PROFIT = '#009E73';
