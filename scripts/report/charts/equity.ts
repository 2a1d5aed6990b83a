// The equity chart: the account's net liquidation, realised P&L to date and drawdown, day by day.
import type { EquityPoint } from '../summary';
import {
  LOSS,
  MUTED,
  NET_LIQ,
  REALISED,
  WIDE,
  escapeHtml,
  labelEvery,
  legend,
  linear,
  niceTicks,
  noDataChart,
  polyline,
  px,
  round2,
  shortDate,
  svgOpen,
  usd,
  usdTicks,
  xLabels,
  yAxis,
} from './svg';
import type { Box, LegendItem } from './svg';

const BROKER = '#7a8194';

export interface EquityDay {
  date: string;
  equity?: EquityPoint;
}

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
