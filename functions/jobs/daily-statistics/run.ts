// daily-statistics (16:30 ET): the day in numbers, one INFO summary alert.
//   - the day's P&L from the core's dayPnl: realised on the trade date (closes, partial closes,
//     expiries, assignments; net of commissions) + unrealised at the last P&L snapshot of the day of
//     each open position (at mid; natural alongside);
//   - win rate: closed positions with a positive realised P&L, of the day and of all time;
//   - exposure: total max loss of the open positions against the account's net liquidation.
import type { PositionRecord } from '#adapters/ports';
import { usd } from '#core/alerts';
import { nyDate } from '#core/calendar';
import { dayPnl, marksFrom } from '#core/day-pnl';
import type { IsoDate, StrategyPosition } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { errorMessage } from '../shared/errors';

export interface DailyStatisticsInput {
  /** A past trade date to summarise instead of today. */
  tradeDate?: IsoDate | undefined;
}

/** Dollars lost if the position expires at its worst: (width − credit) × multiplier × quantity. */
export function maxLossUsd(p: StrategyPosition): number {
  const multiplier = p.legs[0]?.contract.multiplier ?? 100;
  return Math.max(0, p.width - p.entryCredit) * multiplier * p.quantity;
}

export interface WinRate {
  wins: number;
  closed: number;
  /** 0–100, undefined when nothing closed. */
  pct: number | undefined;
}

/** Wins among closed positions with a known realised P&L (breakeven counts as not a win). */
export function winRate(closed: readonly Pick<PositionRecord, 'realisedPnlUsd'>[]): WinRate {
  const known = closed.filter((p) => p.realisedPnlUsd !== undefined && Number.isFinite(p.realisedPnlUsd));
  const wins = known.filter((p) => p.realisedPnlUsd! > 0).length;
  return { wins, closed: known.length, pct: known.length === 0 ? undefined : (wins / known.length) * 100 };
}

const cents = (v: number) => Math.round(v * 100) / 100;
const pctText = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(0)}%`);

export async function runDailyStatistics(input: DailyStatisticsInput, ctx: RunContext): Promise<RunOutcome> {
  const tradeDate = input.tradeDate ?? ctx.tradeDate;
  const { positions, snapshots, intents } = ctx.stores;
  const [open, closed, pnl, dayIntents] = await Promise.all([
    positions.listOpen(),
    positions.listByStatus('CLOSED'),
    snapshots.listPnlByDay(tradeDate),
    intents.listByTradeDate(tradeDate),
  ]);
  const closedToday = closed.filter((p) => p.closedAt !== undefined && nyDate(p.closedAt) === tradeDate);
  const today = winRate(closedToday);
  const allTime = winRate(closed);

  const day = dayPnl({ tradeDate, positions: [...open, ...closed], marks: marksFrom(pnl) });
  const { realisedUsd, unrealisedUsd } = day;
  const unrealisedNaturalUsd = dayPnl({
    tradeDate,
    positions: open,
    marks: marksFrom(pnl, 'natural'),
  }).unrealisedUsd;
  // Open positions without a mark since they last changed (opened or part-closed after the last
  // snapshot): listed, not guessed.
  const unmarked = day.unmarked;

  const exposureUsd = cents(open.reduce((s, p) => s + maxLossUsd(p), 0));
  const reasons: string[] = [];
  let netLiquidation: number | undefined;
  try {
    netLiquidation = (await ctx.bridge.account()).netLiquidation;
  } catch (error) {
    reasons.push(`net liquidation unknown: ${errorMessage(error)}`);
  }
  const exposurePct =
    netLiquidation !== undefined && netLiquidation > 0 ? (exposureUsd / netLiquidation) * 100 : undefined;

  const filled = dayIntents.filter((i) => i.status === 'FILLED' && !i.dryRun);
  const opened = filled.filter((i) => i.purpose === 'OPEN').length;
  const closedByOrders = filled.filter((i) => i.purpose === 'CLOSE').length;

  const summary =
    `Realised ${usd(realisedUsd)}; ${closedToday.length} closed (win rate ${pctText(today.pct)}; all time ${pctText(allTime.pct)} of ${allTime.closed}). ` +
    `Unrealised ${usd(unrealisedUsd)} at mid (${usd(unrealisedNaturalUsd)} natural) on ${open.length} open. ` +
    `Exposure ${usd(exposureUsd)} max loss` +
    (exposurePct === undefined
      ? ''
      : ` = ${exposurePct.toFixed(1)}% of ${usd(netLiquidation!)} net liq (cap ${ctx.config.risk.maxPortfolioRiskPct}%)`) +
    `. Orders filled: ${opened} open, ${closedByOrders} close.`;
  reasons.push(summary);
  if (unmarked.length > 0) reasons.push(`no P&L snapshot on ${tradeDate} for: ${unmarked.join(', ')}`);
  await ctx.alert({
    subject: `daily-${tradeDate}`,
    rule: 'daily-summary',
    severity: 'INFO',
    title: `Daily ${tradeDate}: realised ${usd(realisedUsd)}, unrealised ${usd(unrealisedUsd)}`,
    message: summary,
    numbers: { realisedUsd, unrealisedUsd, exposureUsd },
  });
  return {
    did: `summarised ${tradeDate}: realised ${usd(realisedUsd)}, unrealised ${usd(unrealisedUsd)}, exposure ${usd(exposureUsd)}`,
    counts: {
      open: open.length,
      closedToday: closedToday.length,
      winsToday: today.wins,
      closedAllTime: allTime.closed,
      winsAllTime: allTime.wins,
      ordersOpened: opened,
      ordersClosed: closedByOrders,
      unmarked: unmarked.length,
    },
    reasons,
    details: {
      tradeDate,
      realisedUsd,
      realisedByKind: day.byKind,
      unrealisedUsd,
      unrealisedNaturalUsd,
      winRatePct: today.pct ?? null,
      winRateAllTimePct: allTime.pct ?? null,
      exposureUsd,
      netLiquidation: netLiquidation ?? null,
      exposurePct: exposurePct === undefined ? null : Math.round(exposurePct * 100) / 100,
    },
  };
}
