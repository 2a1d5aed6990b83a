// The payoff at expiry of a position still open: what it makes or loses by the underlying's price then.
import { intrinsicValue } from '#core/pricing';
import {
  INK,
  LOSS,
  MUTED,
  NET_LIQ,
  PROFIT,
  SMALL,
  escapeHtml,
  legend,
  linear,
  niceTicks,
  noDataChart,
  polyline,
  px,
  round2,
  svgOpen,
  usd,
  usdTicks,
  xLabels,
  yAxis,
} from './svg';
import type { Box, LegendItem } from './svg';

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
