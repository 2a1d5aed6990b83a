// The simulated market's daily history: the bars before the run (seeded, generated backwards from the
// start price) and the IB-shaped daily bars of an underlying or of an instrument derived from it.
import type { MarketCalendar } from '#core/calendar';
import { previousTradingDay } from '#core/calendar';
import type { SimBar } from '../engine-api';
import type { UnderlyingSpec } from './instruments';
import { compactDate } from './instruments';
import {
  DRIFT,
  HISTORY_DAYS,
  REALISED_TO_IMPLIED,
  round2,
  termFactor,
  VOL_MEAN_REVERSION,
  VOL_OF_VOL,
} from './market-model';
import type { DayRecord } from './market-model';
import { Draw } from './rng';

/**
 * Daily bars before the run: generated backwards from the start price, so the last bar's close is
 * the run's previous close, with realised volatility following a seeded IV history.
 */
export function preRunHistory(
  seed: number,
  symbol: string,
  spec: UnderlyingSpec,
  startSpot: number,
  startDate: string,
  cal: MarketCalendar,
): DayRecord[] {
  const bars: DayRecord[] = [];
  const dtDay = 1 / 252;
  let close = startSpot;
  let volLog = 0;
  let date = startDate;
  for (let k = 1; k <= HISTORY_DAYS; k++) {
    date = previousTradingDay(date, cal);
    const draw = new Draw(seed, `history:${symbol}`, k);
    // The day before the start closes at the start's level; earlier days wander back from it.
    const iv = spec.baseVol * Math.exp(volLog) * termFactor(30 / 365);
    volLog = Math.max(
      -0.7,
      Math.min(
        1.6,
        volLog * (1 - VOL_MEAN_REVERSION * dtDay) + VOL_OF_VOL * Math.sqrt(dtDay) * draw.normal(),
      ),
    );
    const sigma = (iv / termFactor(30 / 365)) * REALISED_TO_IMPLIED;
    const logReturn = (DRIFT - 0.5 * sigma * sigma) * dtDay + sigma * Math.sqrt(dtDay) * draw.normal();
    const open = close / Math.exp(logReturn * (0.8 + 0.4 * draw.uniform()));
    const wiggle = sigma * Math.sqrt(dtDay) * 0.5;
    const high = Math.max(open, close) * Math.exp(Math.abs(draw.normal()) * wiggle);
    const low = Math.min(open, close) * Math.exp(-Math.abs(draw.normal()) * wiggle);
    const ivSpread = iv * 0.03;
    const ivOpen = iv + ivSpread * (draw.uniform() - 0.5);
    bars.push({
      date,
      open: round2(open),
      high: round2(high),
      low: round2(low),
      close: round2(close),
      volume: Math.round(spec.dailyVolume * Math.exp(0.3 * draw.normal())),
      ivOpen,
      ivHigh: Math.max(ivOpen, iv) + ivSpread * draw.uniform(),
      ivLow: Math.min(ivOpen, iv) - ivSpread * draw.uniform(),
      ivClose: iv,
    });
    close = close / Math.exp(logReturn);
  }
  bars.reverse();
  return bars;
}

/** IB-shaped daily bars of an underlying from its day records (the last `days`). */
export function barsOf(
  allDays: readonly DayRecord[],
  days: number,
  what: 'TRADES' | 'OPTION_IMPLIED_VOLATILITY' | 'MIDPOINT',
): SimBar[] {
  const records = allDays.slice(-Math.max(0, Math.floor(days)));
  return records.map((d) => {
    if (what === 'OPTION_IMPLIED_VOLATILITY') {
      const iv = { open: d.ivOpen, high: d.ivHigh, low: d.ivLow, close: d.ivClose };
      return {
        date: compactDate(d.date),
        ...iv,
        volume: 0,
        wap: (iv.high + iv.low + iv.close) / 3,
        barCount: 0,
      };
    }
    const wap = round2((d.high + d.low + d.close) / 3);
    const volume = what === 'MIDPOINT' ? 0 : d.volume;
    return {
      date: compactDate(d.date),
      open: d.open,
      high: d.high,
      low: d.low,
      close: d.close,
      volume,
      wap,
      barCount: what === 'MIDPOINT' ? 0 : Math.round(d.volume / 180),
    };
  });
}

/** Bars of a derived instrument (VIX from a symbol's IV, a future from its proxy's price). */
export function derivedBarsOf(
  allDays: readonly DayRecord[],
  days: number,
  map: (price: number) => number,
  fromIv: boolean,
): SimBar[] {
  const records = allDays.slice(-Math.max(0, Math.floor(days)));
  return records.map((d) => {
    const src = fromIv
      ? { open: d.ivOpen, high: d.ivHigh, low: d.ivLow, close: d.ivClose }
      : { open: d.open, high: d.high, low: d.low, close: d.close };
    const bar = { open: map(src.open), high: map(src.high), low: map(src.low), close: map(src.close) };
    return {
      date: compactDate(d.date),
      ...bar,
      volume: 0,
      wap: round2((bar.high + bar.low + bar.close) / 3),
      barCount: 0,
    };
  });
}
