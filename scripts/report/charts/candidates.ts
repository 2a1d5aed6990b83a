// The candidates' charts: each day's score distribution against minScore, and the chosen candidates' scores
// split factor by factor.
import { FACTOR_POINTS } from '#core/scoring';
import type { ScoreBreakdown } from '#core/types';
import type { CandidateView } from '../summary';
import {
  GRID,
  MUTED,
  PALETTE,
  PROFIT,
  THRESHOLD,
  WIDE,
  clip,
  escapeHtml,
  legend,
  linear,
  niceTicks,
  noDataChart,
  px,
  shortDate,
  strategyName,
  svgOpen,
  xLabels,
  yAxis,
} from './svg';
import type { Box, LegendItem } from './svg';

const BIN = 5;

/** Histogram of every scored candidate's score in bins of 5 points, with the `minScore` line. */
export function scoreHistogram(input: {
  date: string;
  /** Candidates per whole score, index 0–100 (scripts/report/day-records.ts `scoreDistribution`). */
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
