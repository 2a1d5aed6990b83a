// Counts per trading day as stacked columns: positions closed by the rule that closed them, alerts by severity.
import type { AlertSeverity } from '#core/types';
import {
  MUTED,
  PALETTE,
  SMALL,
  escapeHtml,
  labelEvery,
  legend,
  linear,
  niceTicks,
  noDataChart,
  px,
  shortDate,
  svgOpen,
  xLabels,
  yAxis,
} from './svg';
import type { Box, ChartKind, LegendItem } from './svg';

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
