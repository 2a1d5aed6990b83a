// The market between sessions: each session after the run's first opens at a seeded gap from the last
// close, larger after a weekend than after a weeknight, bounded, with options repriced from the new spot.
import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch, weekdayOf } from '#core/calendar';
import { createSimEngine } from '#simulator/engine/index';
import type { SimEngineControls } from '#simulator/engine/index';

// Monday 2026-06-01 .. Monday 2026-06-08: four weeknights and one weekend (no holiday in between).
const START = nyTimeToEpoch('2026-06-01', '09:30');
const NEXT_MONDAY_CLOSE = nyTimeToEpoch('2026-06-08', '16:00');

const conIdOf = (e: SimEngineControls, symbol: string) =>
  e.findContracts({ symbol, secType: 'STK' })[0]!.conId;

interface Gap {
  date: string;
  previousClose: number;
  open: number;
  /** ln(open / previous close). */
  logGap: number;
}

/** The run's sessions' gaps from the daily bars (the history's bars are excluded). */
function gapsOf(e: SimEngineControls, symbol: string): Gap[] {
  const bars = e.dailyBars(conIdOf(e, symbol), 7, 'TRADES');
  const iso = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
  return bars.slice(1).flatMap((bar, i) =>
    iso(bar.date) > '2026-06-01'
      ? [
          {
            date: iso(bar.date),
            previousClose: bars[i]!.close,
            open: bar.open,
            logGap: Math.log(bar.open / bars[i]!.close),
          },
        ]
      : [],
  );
}

function runWeek(seed: number, symbols = ['SPY']): SimEngineControls {
  const e = createSimEngine({ seed, start: START, symbols });
  e.setTime(NEXT_MONDAY_CLOSE);
  return e;
}

describe('overnight and weekend gaps', () => {
  it('the same seed gives the same gaps twice; another seed other gaps', () => {
    const a = gapsOf(runWeek(21, ['SPY', 'IWM']), 'IWM');
    const b = gapsOf(runWeek(21, ['SPY', 'IWM']), 'IWM');
    const c = gapsOf(runWeek(22, ['SPY', 'IWM']), 'IWM');
    expect(a.map((g) => g.date)).toEqual([
      '2026-06-02',
      '2026-06-03',
      '2026-06-04',
      '2026-06-05',
      '2026-06-08',
    ]);
    expect(b).toEqual(a);
    expect(c.map((g) => g.open)).not.toEqual(a.map((g) => g.open));
  });

  it("every session after the first opens away from the last close; the run's first opens at the start price", () => {
    const e = runWeek(5, ['SPY', 'QQQ', 'IWM']);
    for (const symbol of ['SPY', 'QQQ', 'IWM']) {
      const gaps = gapsOf(e, symbol);
      expect(gaps).toHaveLength(5);
      for (const g of gaps) expect(g.open, `${symbol} ${g.date}`).not.toBe(g.previousClose);
    }
    const fresh = createSimEngine({ seed: 5, start: START });
    const before = fresh.quote(conIdOf(fresh, 'SPY'))!.last;
    fresh.advance(60_000);
    const first = fresh.dailyBars(conIdOf(fresh, 'SPY'), 1, 'TRADES')[0]!;
    expect(first.open).toBe(before);
  });

  it('a Monday gap after the weekend is larger on average than a Tuesday–Friday gap (60 fixed seeds), and every gap is bounded', () => {
    const monday: number[] = [];
    const weekday: number[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      for (const g of gapsOf(runWeek(seed), 'SPY')) {
        (weekdayOf(g.date) === 1 ? monday : weekday).push(Math.abs(g.logGap));
      }
    }
    expect(monday).toHaveLength(60);
    expect(weekday).toHaveLength(240);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    // The model's ratio of standard deviations is √(0.65 / 0.25) ≈ 1.6; the same-sized samples of
    // gaps with equal variance would differ by far less than 30%.
    expect(mean(monday)).toBeGreaterThan(1.3 * mean(weekday));
    // SPY's realised vol ≈ 17%: a weeknight's gap has a standard deviation ≈ 0.5%, a weekend's ≈ 0.9%;
    // the draw is cut at 4 standard deviations, so no gap reaches 4% (priceShock is the crash).
    expect(Math.max(...monday, ...weekday)).toBeLessThan(0.04);
    expect(mean(weekday)).toBeGreaterThan(0.001);
    expect(mean(weekday)).toBeLessThan(0.01);
  }, 60_000);

  it('quotes and greeks follow the gap at the opening bell; pre-market still shows the last close', () => {
    const e = createSimEngine({ seed: 9, start: nyTimeToEpoch('2026-06-05', '15:00') });
    const spy = conIdOf(e, 'SPY');
    const put = e.findContracts({
      symbol: 'SPY',
      secType: 'OPT',
      lastTradeDate: '20260717',
      right: 'P',
    })[40]!;
    e.setTime(nyTimeToEpoch('2026-06-05', '16:00'));
    const close = e.quote(spy)!.last!;
    e.setTime(nyTimeToEpoch('2026-06-08', '09:29'));
    expect(e.quote(spy)!.last).toBe(close);
    const putBefore = e.quote(put.conId)!;
    e.setTime(nyTimeToEpoch('2026-06-08', '09:30'));
    const open = e.quote(spy)!.last!;
    expect(open).not.toBe(close);
    const putAfter = e.quote(put.conId)!;
    expect(putAfter.greeks!.undPrice).toBe(open);
    expect(putBefore.greeks!.undPrice).toBe(close);
    // A put gains when the underlying gaps down and loses when it gaps up.
    expect(Math.sign(putAfter.greeks!.optPrice - putBefore.greeks!.optPrice)).toBe(-Math.sign(open - close));
    expect(e.dailyBars(spy, 1, 'TRADES')[0]).toMatchObject({ open, close: open });
  });

  it('a state saved overnight and loaded gives the same gap at the next open', () => {
    const a = createSimEngine({ seed: 13, start: nyTimeToEpoch('2026-06-05', '15:00') });
    a.setTime(nyTimeToEpoch('2026-06-05', '18:00'));
    const b = createSimEngine({ seed: 99 });
    b.loadState(a.saveState());
    a.setTime(nyTimeToEpoch('2026-06-08', '10:00'));
    b.setTime(nyTimeToEpoch('2026-06-08', '10:00'));
    const spy = conIdOf(a, 'SPY');
    expect(b.quote(spy)).toEqual(a.quote(spy));
    expect(b.dailyBars(spy, 2, 'TRADES')).toEqual(a.dailyBars(spy, 2, 'TRADES'));
  });
});
