import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bsGreeks } from '#core/pricing';
import { addDays, isTradingDay, nyTimeToEpoch, weekdayOf } from '#core/calendar';
import { parseConfig } from '#core/config';
import { SIM_RATE, VIX_CON_ID, createSimEngine } from '#simulator/engine/index';
import type { SimEngineControls } from '#simulator/engine/index';
import type { SimContract } from '#simulator/engine-api';

const cal = parseConfig({}).calendar;
const YEAR_MS = 365 * 86_400_000;
const MONDAY_OPEN = nyTimeToEpoch('2026-06-01', '09:30');

function stock(e: SimEngineControls, symbol: string): SimContract {
  const [c] = e.findContracts({ symbol, secType: 'STK' });
  if (!c) throw new Error(`no ${symbol}`);
  return c;
}

function iso(compact: string): string {
  return `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`;
}

/** Years to expiry by the convention the engine documents: to the expiry day's 16:00 close, 365-day years. */
function yearsTo(contract: SimContract, at: number): number {
  return (nyTimeToEpoch(iso(contract.lastTradeDate), '16:00') - at) / YEAR_MS;
}

describe('reproducibility', () => {
  it('the same seed gives the same prices however the clock is stepped; another seed differs', () => {
    const a = createSimEngine({ seed: 7, start: MONDAY_OPEN });
    const b = createSimEngine({ seed: 7, start: MONDAY_OPEN });
    const c = createSimEngine({ seed: 8, start: MONDAY_OPEN });
    a.advance(3 * 3_600_000);
    for (let i = 0; i < 36; i++) b.advance(300_000); // twelve 5-minute steps per hour, three hours
    c.advance(3 * 3_600_000);
    const spyA = stock(a, 'SPY').conId;
    expect(a.now()).toBe(b.now());
    expect(a.quote(spyA)).toEqual(b.quote(spyA));
    const put = a.findContracts({ symbol: 'QQQ', secType: 'OPT', right: 'P' })[500]!;
    expect(a.quote(put.conId)).toEqual(b.quote(put.conId));
    expect(c.quote(spyA)!.last).not.toBe(a.quote(spyA)!.last);
    // History is part of the seeded market too.
    expect(a.dailyBars(spyA, 20, 'TRADES')).toEqual(b.dailyBars(spyA, 20, 'TRADES'));
  });

  it('prices stay put outside market hours and move inside them', () => {
    const e = createSimEngine({ seed: 3, start: nyTimeToEpoch('2026-06-05', '15:00') });
    const spy = stock(e, 'SPY').conId;
    const before = e.quote(spy)!.last;
    e.advance(60 * 60_000); // to 16:00 Friday
    const close = e.quote(spy)!.last;
    expect(close).not.toBe(before);
    e.setTime(nyTimeToEpoch('2026-06-08', '09:29')); // weekend passes; the open's gap is not there yet
    expect(e.isMarketOpen()).toBe(false);
    expect(e.quote(spy)!.last).toBe(close);
    e.setTime(nyTimeToEpoch('2026-06-08', '09:30'));
    expect(e.isMarketOpen()).toBe(true);
    e.setTime(nyTimeToEpoch('2026-06-06', '12:00') + 7 * 86_400_000); // a Saturday
    expect(e.isMarketOpen()).toBe(false);
  });
});

describe('option quotes', () => {
  const e = createSimEngine({ seed: 11, start: MONDAY_OPEN });
  e.advance(95 * 60_000);
  const options = e.findContracts({ symbol: 'SPY', secType: 'OPT' });
  const underlying = e.quote(stock(e, 'SPY').conId)!;
  const q = e.dividendYield('SPY');

  it('satisfy put-call parity within the spread: bid(C) − ask(P) ≤ S e^{−qT} − K e^{−rT} ≤ ask(C) − bid(P)', () => {
    const byKey = new Map(options.map((o) => [`${o.lastTradeDate}|${o.strike}|${o.right}`, o]));
    let checked = 0;
    for (const call of options.filter((o) => o.right === 'C')) {
      const put = byKey.get(`${call.lastTradeDate}|${call.strike}|P`)!;
      const qc = e.quote(call.conId)!;
      const qp = e.quote(put.conId)!;
      const T = yearsTo(call, qc.time);
      const S = underlying.last!;
      const parity = S * Math.exp(-q * T) - call.strike * Math.exp(-SIM_RATE * T);
      expect(qc.bid! - qp.ask!).toBeLessThanOrEqual(parity + 1e-9);
      expect(qc.ask! - qp.bid!).toBeGreaterThanOrEqual(parity - 1e-9);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it("carry greeks equal to the core's bsGreeks at the quote's IV, with bid ≤ model ≤ ask", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: options.length - 1 }), (i) => {
        const o = options[i]!;
        const quote = e.quote(o.conId)!;
        const g = quote.greeks!;
        expect(g.undPrice).toBe(underlying.last);
        const core = bsGreeks({
          right: o.right!,
          spot: g.undPrice,
          strike: o.strike,
          years: yearsTo(o, quote.time),
          rate: SIM_RATE,
          vol: g.impliedVol,
          dividendYield: q,
        });
        expect(g.delta).toBe(core.delta);
        expect(g.gamma).toBe(core.gamma);
        expect(g.vega).toBe(core.vega);
        expect(g.theta).toBe(core.theta);
        expect(g.optPrice).toBe(core.price);
        expect(quote.bid!).toBeLessThanOrEqual(g.optPrice + 1e-9);
        expect(quote.ask!).toBeGreaterThanOrEqual(g.optPrice - 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('quote on the cent, bid never negative, ask at least a tick above bid', () => {
    for (const o of options) {
      const { bid, ask } = e.quote(o.conId)!;
      expect(bid!).toBeGreaterThanOrEqual(0);
      expect(ask! - bid!).toBeGreaterThanOrEqual(0.01 - 1e-9);
      expect(Math.abs(bid! * 100 - Math.round(bid! * 100))).toBeLessThan(1e-6);
      expect(Math.abs(ask! * 100 - Math.round(ask! * 100))).toBeLessThan(1e-6);
    }
  });

  const expiry = e.optionParams('SPY')[0]!.expirations.find((d) => d >= '20260710')!;
  const puts = options
    .filter((o) => o.lastTradeDate === expiry && o.right === 'P')
    .sort((a, b) => a.strike - b.strike);
  const S = underlying.last!;
  const ivOf = (o: SimContract) => e.quote(o.conId)!.greeks!.impliedVol;

  it('have put skew (IV falls as the strike rises toward the money) and an upward term structure', () => {
    const below = puts.filter((o) => o.strike < S * 0.98 && o.strike > S * 0.8);
    for (let i = 1; i < below.length; i++) expect(ivOf(below[i]!)).toBeLessThan(ivOf(below[i - 1]!));
    // 10% out-of-the-money puts carry clearly more IV than at-the-money ones (SPY: several vol points).
    const atm = puts.reduce((a, b) => (Math.abs(b.strike - S) < Math.abs(a.strike - S) ? b : a));
    const otm = puts.find((o) => o.strike >= Math.round(S * 0.9))!;
    expect(ivOf(otm) - ivOf(atm)).toBeGreaterThan(0.02);
    // ATM IV per expiry rises with time (contango).
    const atmIvs = e.optionParams('SPY')[0]!.expirations.map((d) => {
      const o = options.find((c) => c.lastTradeDate === d && c.right === 'C' && c.strike === atm.strike)!;
      return ivOf(o);
    });
    for (let i = 1; i < atmIvs.length; i++) expect(atmIvs[i]!).toBeGreaterThan(atmIvs[i - 1]! - 1e-3);
    expect(atmIvs[atmIvs.length - 1]!).toBeGreaterThan(atmIvs[0]!);
  });

  it('have spreads that widen (relative to price) away from the money, and more open interest near it', () => {
    const rel = (o: SimContract) => {
      const { bid, ask } = e.quote(o.conId)!;
      return (ask! - bid!) / ((ask! + bid!) / 2);
    };
    const near = puts.filter((o) => Math.abs(o.strike - S) <= 5);
    const far = puts.filter((o) => o.strike < S * 0.8);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(avg(far.map(rel))).toBeGreaterThan(3 * avg(near.map(rel)));
    const oi = (o: SimContract) => e.quote(o.conId)!.openInterest!;
    expect(avg(near.map(oi))).toBeGreaterThan(5 * avg(far.map(oi)));
  });
});

describe('chain shape', () => {
  const e = createSimEngine({ seed: 1, start: MONDAY_OPEN });
  const spot = e.quote(stock(e, 'SPY').conId)!.last!;
  const [params] = e.optionParams('SPY');

  it('lists strikes every point within ±10% of spot and every 5 points out to ±30%', () => {
    const strikes = params!.strikes;
    for (let k = Math.ceil(spot * 0.9); k <= Math.floor(spot * 1.1); k++) expect(strikes).toContain(k);
    const outer = strikes.filter((k) => k < spot * 0.9 - 1 || k > spot * 1.1 + 1);
    expect(outer.length).toBeGreaterThan(10);
    for (const k of outer) expect(k % 5).toBe(0);
    expect(Math.min(...strikes)).toBeLessThanOrEqual(spot * 0.71);
    expect(Math.max(...strikes)).toBeGreaterThanOrEqual(spot * 1.29);
    expect(Math.min(...strikes)).toBeGreaterThanOrEqual(spot * 0.69);
  });

  it('lists weekly Friday and monthly expiries out to about 90 days, holidays shifted to the day before', () => {
    const expiries = params!.expirations.map(iso);
    // Every Friday from 2026-06-05 to 2026-08-28 (88 days), in order.
    const fridays: string[] = [];
    for (let d = '2026-06-05'; d <= '2026-08-30'; d = addDays(d, 7)) fridays.push(d);
    const expected = fridays.map((d) => (isTradingDay(d, cal) ? d : addDays(d, -1)));
    expect(expiries).toEqual(expected);
    // Juneteenth (Friday 2026-06-19, the June monthly) and Independence Day observed (Friday 2026-07-03).
    expect(expiries).toContain('2026-06-18');
    expect(expiries).toContain('2026-07-02');
    expect(expiries).not.toContain('2026-06-19');
    // Monthlies: third Fridays of July and August.
    expect(expiries).toContain('2026-07-17');
    expect(expiries).toContain('2026-08-21');
    for (const d of expiries) expect([4, 5]).toContain(weekdayOf(d));
  });

  it('finds one option by expiry, strike and right, with IB-like fields and a stable conId', () => {
    const [put] = e.findContracts({
      symbol: 'SPY',
      secType: 'OPT',
      lastTradeDate: '20260717',
      strike: 580,
      right: 'PUT',
    });
    expect(put).toMatchObject({
      symbol: 'SPY',
      secType: 'OPT',
      lastTradeDate: '20260717',
      strike: 580,
      right: 'P',
      multiplier: 100,
      localSymbol: 'SPY   260717P00580000',
      underlyingConId: stock(e, 'SPY').conId,
    });
    const again = createSimEngine({ seed: 99, start: MONDAY_OPEN });
    expect(
      again.findContracts({
        symbol: 'SPY',
        secType: 'OPT',
        lastTradeDate: '20260717',
        strike: 580,
        right: 'P',
      })[0]!.conId,
    ).toBe(put!.conId);
    expect(e.contractById(put!.conId)?.localSymbol).toBe(put!.localSymbol);
    expect(e.findContracts({ symbol: 'NOPE', secType: 'STK' })).toEqual([]);
  });

  it('gives IB-format hours: holidays CLOSED, early closes short, ETF options until 16:15', () => {
    const thanksgiving = createSimEngine({ start: nyTimeToEpoch('2026-11-23', '09:30') });
    const stk = stock(thanksgiving, 'SPY');
    const opt = thanksgiving.findContracts({ symbol: 'SPY', secType: 'OPT' })[0]!;
    expect(stk.liquidHours.split(';')).toEqual([
      '20261123:0930-20261123:1600',
      '20261124:0930-20261124:1600',
      '20261125:0930-20261125:1600',
      '20261126:CLOSED',
      '20261127:0930-20261127:1300',
      '20261128:CLOSED',
      '20261129:CLOSED',
    ]);
    expect(opt.liquidHours).toContain('20261123:0930-20261123:1615');
    expect(opt.liquidHours).toContain('20261127:0930-20261127:1315');
    expect(opt.liquidHours).toContain('20261126:CLOSED');
  });
});

describe('index and futures', () => {
  const e = createSimEngine({ seed: 5, start: MONDAY_OPEN });
  e.advance(30 * 60_000);

  it('has a VIX-like index that follows the SPY surface level', () => {
    const [vix] = e.findContracts({ symbol: 'VIX', secType: 'IND' });
    expect(vix!.conId).toBe(VIX_CON_ID);
    const level = e.quote(VIX_CON_ID)!.last!;
    // Compare with the ATM IV of the SPY expiry nearest 30 days: the VIX sits a little above it.
    const spot = e.quote(stock(e, 'SPY').conId)!.last!;
    const target = e.now() + 30 * 86_400_000;
    const options = e.findContracts({ symbol: 'SPY', secType: 'OPT', right: 'C' });
    const nearest = options.reduce((a, b) =>
      Math.abs(nyTimeToEpoch(iso(b.lastTradeDate), '16:00') - target) + Math.abs(b.strike - spot) <
      Math.abs(nyTimeToEpoch(iso(a.lastTradeDate), '16:00') - target) + Math.abs(a.strike - spot)
        ? b
        : a,
    );
    const atmIv = e.quote(nearest.conId)!.greeks!.impliedVol * 100;
    expect(level / atmIv).toBeGreaterThan(1);
    expect(level / atmIv).toBeLessThan(1.25);
  });

  it('prices ES and NQ front months at fair value of SPY×10 and QQQ×41.2, quarterly third-Friday expiry', () => {
    const [es] = e.findContracts({ symbol: 'ES', secType: 'FUT' });
    const [nq] = e.findContracts({ symbol: 'NQ', secType: 'FUT' });
    // June 2026's third Friday is Juneteenth, so the contract expires Thursday 2026-06-18.
    expect(es).toMatchObject({
      lastTradeDate: '20260618',
      localSymbol: 'ESM6',
      multiplier: 50,
      secType: 'FUT',
    });
    expect(nq).toMatchObject({ lastTradeDate: '20260618', localSymbol: 'NQM6', multiplier: 20 });
    for (const [fut, proxy, ratio] of [
      [es!, 'SPY', 10],
      [nq!, 'QQQ', 41.2],
    ] as const) {
      const spot = e.quote(stock(e, proxy).conId)!.last!;
      const T = yearsTo(fut, e.quote(fut.conId)!.time);
      const fair = spot * ratio * Math.exp((SIM_RATE - e.dividendYield(proxy)) * T);
      const quote = e.quote(fut.conId)!;
      expect(Math.abs(quote.last! - fair)).toBeLessThanOrEqual(0.125 + 1e-9);
      expect(quote.ask! - quote.bid!).toBeCloseTo(0.25, 10);
    }
  });
});

describe('history', () => {
  const e = createSimEngine({ seed: 2, start: MONDAY_OPEN });
  const spy = stock(e, 'SPY');

  it('has a year of daily bars ending at the previous close, on trading days only', () => {
    const bars = e.dailyBars(spy.conId, 252, 'TRADES');
    expect(bars).toHaveLength(252);
    const last = bars[bars.length - 1]!;
    expect(last.date).toBe('20260529');
    expect(last.close).toBe(e.quote(spy.conId)!.close);
    for (const b of bars) {
      expect(isTradingDay(iso(b.date), cal)).toBe(true);
      expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
      expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
    }
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.date > bars[i - 1]!.date).toBe(true);
  });

  it('has implied-volatility bars whose last close is the current 30-day ATM IV level', () => {
    const iv = e.dailyBars(spy.conId, 252, 'OPTION_IMPLIED_VOLATILITY');
    expect(iv).toHaveLength(252);
    const last = iv[iv.length - 1]!.close;
    // The VIX is defined as 110% of the same 30-day ATM level.
    expect(e.quote(VIX_CON_ID)!.last! / (100 * last)).toBeCloseTo(1.1, 3);
    for (const b of iv) {
      expect(b.close).toBeGreaterThan(0.05);
      expect(b.close).toBeLessThan(1);
    }
  });

  it("adds today's bar as the session runs: its close is the last price", () => {
    e.advance(3 * 3_600_000);
    const bars = e.dailyBars(spy.conId, 5, 'TRADES');
    expect(bars[bars.length - 1]!.date).toBe('20260601');
    expect(bars[bars.length - 1]!.close).toBe(e.quote(spy.conId)!.last);
    expect(bars[bars.length - 1]!.open).toBe(bars[bars.length - 2]!.close);
  });
});

describe('quote faults', () => {
  it('make quotes missing, sentinel-valued or stale, per contract, symbol or all, and clear again', () => {
    const e = createSimEngine({ seed: 4, start: MONDAY_OPEN });
    const spy = stock(e, 'SPY').conId;
    const qqq = stock(e, 'QQQ').conId;
    const put = e.findContracts({ symbol: 'SPY', secType: 'OPT', right: 'P' })[100]!.conId;

    e.setQuoteFault('SPY', 'missing');
    expect(e.quote(spy)!.bid).toBeUndefined();
    expect(e.quote(put)!.ask).toBeUndefined();
    expect(e.quote(qqq)!.bid).toBeGreaterThan(0);

    e.setQuoteFault(put, 'sentinel');
    expect(e.quote(put)!.bid).toBe(-1);
    expect(e.quote(put)!.greeks!.delta).toBe(-2);

    e.setQuoteFault('SPY', undefined);
    e.setQuoteFault(put, undefined);
    e.setQuoteFault('all', 'stale');
    const frozen = e.quote(qqq)!;
    expect(frozen.time).toBeLessThan(e.now() - 60_000);
    e.advance(30 * 60_000);
    expect(e.quote(qqq)).toEqual(frozen);
    e.setQuoteFault('all', undefined);
    expect(e.quote(qqq)!.time).toBeGreaterThan(frozen.time);
    expect(e.quote(qqq)!.last).not.toBe(frozen.last);
  });
});
