// One chart per position: its P&L from entry to exit across the run's trading days, the exit marked with the
// rule that closed it.
import { nyParts } from '#core/calendar';
import type { PositionView } from '../summary';
import {
  GRID,
  LOSS,
  MINUS,
  MUTED,
  REALISED,
  SMALL,
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
  strategyName,
  subtitle,
  svgOpen,
  usd,
  usdTicks,
  xLabels,
  yAxis,
} from './svg';
import type { Box, LegendItem } from './svg';

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
