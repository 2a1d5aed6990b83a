// The simulated market: per-underlying price paths (geometric Brownian motion with jumps and a
// mean-reverting volatility level), the implied-volatility surface, quotes and daily history.
import { bsGreeks, bsPrice } from '#core/pricing';
import type { MarketCalendar } from '#core/calendar';
import { nyParts, sessionFor } from '#core/calendar';
import type { IsoDate } from '#core/types';
import type { SimBar, SimQuote, SimRight } from '../engine-api';
import type { UnderlyingSpec } from './instruments';
import { barsOf, derivedBarsOf, preRunHistory } from './market-history';
import {
  DRIFT,
  DT,
  GAP_MAX_SD,
  JUMP_MEAN,
  JUMP_SD,
  JUMP_VOL_BUMP,
  JUMPS_PER_YEAR,
  MINUTE_MS,
  moneyness,
  overnightVarianceSessions,
  REALISED_TO_IMPLIED,
  round2,
  SIM_RATE,
  SPOT_VOL_CORRELATION,
  termFactor,
  VIX_OVER_ATM,
  VOL_MEAN_REVERSION,
  VOL_OF_VOL,
  YEAR_MS,
} from './market-model';
import type { DayRecord, MarketState, OptionModel } from './market-model';
import { Draw } from './rng';

// The model's parameters, state shapes and price helpers live in market-model.ts; re-exported for the engine.
export type { DayRecord, MarketState, OptionModel, UnderlyingState } from './market-model';
export {
  GAP_MAX_SD,
  HISTORY_DAYS,
  overnightVarianceSessions,
  round2,
  SIM_RATE,
  termFactor,
  VIX_OVER_ATM,
  YEAR_MS,
} from './market-model';

export class Market {
  readonly state: MarketState;
  private readonly historyCache = new Map<string, DayRecord[]>();

  constructor(
    private readonly seed: number,
    private readonly specs: ReadonlyMap<string, UnderlyingSpec>,
    /** Prices at the start of the run: the previous close of the history. */
    private readonly startSpots: Readonly<Record<string, number>>,
    private readonly startDate: string,
    private readonly cal: MarketCalendar,
    state?: MarketState,
  ) {
    this.state = state ?? {
      underlyings: Object.fromEntries([...specs.keys()].map((s) => [s, { spot: startSpots[s]!, volLog: 0 }])),
      days: Object.fromEntries([...specs.keys()].map((s) => [s, []])),
    };
  }

  spec(symbol: string): UnderlyingSpec {
    const spec = this.specs.get(symbol);
    if (!spec) throw new RangeError(`unknown underlying ${symbol}`);
    return spec;
  }

  spot(symbol: string): number {
    return this.state.underlyings[symbol]!.spot;
  }

  /** The quoted (cent-rounded) price the option model uses as the underlying's price. */
  quotedSpot(symbol: string): number {
    return round2(this.spot(symbol));
  }

  /** At-the-money implied volatility for an expiry `years` away. */
  atmVol(symbol: string, years: number): number {
    const spec = this.spec(symbol);
    return spec.baseVol * Math.exp(this.state.underlyings[symbol]!.volLog) * termFactor(years);
  }

  /** Implied volatility of a strike: put skew (higher IV below the forward) and a little smile. */
  impliedVol(
    symbol: string,
    strike: number,
    years: number,
    spot = this.quotedSpot(symbol),
  ): { vol: number; x: number } {
    const spec = this.spec(symbol);
    const atm = this.atmVol(symbol, years);
    const forward = spot * Math.exp((SIM_RATE - spec.dividendYield) * Math.max(years, 0));
    const x = moneyness(strike, forward, atm, years);
    const vol = Math.min(2, Math.max(0.05, atm * Math.exp(-0.12 * x + 0.03 * x * x)));
    return { vol, x };
  }

  /** Model price and greeks of an option at expiry instant `expiryAt`, seen at `at`. */
  optionModel(symbol: string, strike: number, right: SimRight, expiryAt: number, at: number): OptionModel {
    const spec = this.spec(symbol);
    const spot = this.quotedSpot(symbol);
    const years = Math.max(0, (expiryAt - at) / YEAR_MS);
    const { vol, x } = this.impliedVol(symbol, strike, years, spot);
    const g = bsGreeks({
      right,
      spot,
      strike,
      years,
      rate: SIM_RATE,
      vol,
      dividendYield: spec.dividendYield,
    });
    return {
      spot,
      years,
      vol,
      price: g.price,
      delta: g.delta,
      gamma: g.gamma,
      theta: g.theta,
      vega: g.vega,
      moneyness: x,
    };
  }

  /** Fair value of an index future on `proxy` × ratio, rounded to its 0.25 tick. */
  futurePrice(proxy: string, ratio: number, expiryAt: number, at: number): number {
    const spec = this.spec(proxy);
    const years = Math.max(0, (expiryAt - at) / YEAR_MS);
    const fair = this.quotedSpot(proxy) * ratio * Math.exp((SIM_RATE - spec.dividendYield) * years);
    return Math.round(fair * 4) / 4;
  }

  /** The VIX-like index: 30-day ATM IV of `symbol` (SPY by default) in vol points, plus its skew premium. */
  vix(symbol: string): number {
    return round2(100 * VIX_OVER_ATM * this.atmVol(symbol, 30 / 365));
  }

  /**
   * Moves every underlying over the simulated minute ending at `minuteEnd` (a multiple of 60 s inside
   * a session). Draws depend only on (seed, symbol, minute), so the path is the same however the
   * clock gets there.
   */
  step(minuteEnd: number): void {
    const minute = Math.round(minuteEnd / MINUTE_MS);
    const date = nyParts(minuteEnd - 1).date;
    for (const [symbol, spec] of this.specs) {
      const u = this.state.underlyings[symbol]!;
      const draw = new Draw(this.seed, `path:${symbol}`, minute);
      const z1 = draw.normal();
      const z2 = draw.normal();
      const zVol = SPOT_VOL_CORRELATION * z1 + Math.sqrt(1 - SPOT_VOL_CORRELATION ** 2) * z2;
      const sigma = spec.baseVol * Math.exp(u.volLog) * REALISED_TO_IMPLIED;
      let logReturn = (DRIFT - 0.5 * sigma * sigma) * DT + sigma * Math.sqrt(DT) * z1;
      let volLog = u.volLog * (1 - VOL_MEAN_REVERSION * DT) + VOL_OF_VOL * Math.sqrt(DT) * zVol;
      if (draw.uniform() < JUMPS_PER_YEAR * DT) {
        logReturn += JUMP_MEAN + JUMP_SD * draw.normal();
        volLog += JUMP_VOL_BUMP;
      }
      u.spot = u.spot * Math.exp(logReturn);
      u.volLog = Math.max(-0.7, Math.min(1.6, volLog));
      this.record(symbol, spec, date, u.spot, draw.uniform());
    }
  }

  /**
   * Opens today's bar at the session's open, after the overnight gap since the last simulated close.
   * The run's first session opens at the start price (the history's last close), so a run starts from
   * the figures it was given.
   */
  openDay(date: string): void {
    for (const [symbol, spec] of this.specs) {
      const days = this.state.days[symbol]!;
      const last = days[days.length - 1];
      if (last && last.date < date) this.gap(symbol, spec, last.date, date);
      this.record(symbol, spec, date, this.spot(symbol), 0.5, true);
    }
  }

  /**
   * Moves an underlying over the closed time from `lastDate`'s close to `date`'s open: a log-normal
   * gap at its realised volatility with variance scaled by the closed time (overnightVarianceSessions),
   * and its volatility level moved with the spot-vol correlation the session steps use (a gap down
   * lifts implied volatility). One draw per (seed, symbol, date): the same seed gives the same gaps.
   */
  private gap(symbol: string, spec: UnderlyingSpec, lastDate: IsoDate, date: IsoDate): void {
    const lastSession = sessionFor(lastDate, this.cal);
    const session = sessionFor(date, this.cal);
    if (!lastSession || !session) return;
    const u = this.state.underlyings[symbol]!;
    const dt = overnightVarianceSessions(session.open - lastSession.close) / 252;
    const draw = new Draw(
      this.seed,
      `gap:${symbol}`,
      Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000),
    );
    const clamp = (z: number) => Math.max(-GAP_MAX_SD, Math.min(GAP_MAX_SD, z));
    const z1 = clamp(draw.normal());
    const zVol = SPOT_VOL_CORRELATION * z1 + Math.sqrt(1 - SPOT_VOL_CORRELATION ** 2) * clamp(draw.normal());
    const sigma = spec.baseVol * Math.exp(u.volLog) * REALISED_TO_IMPLIED;
    u.spot *= Math.exp((DRIFT - 0.5 * sigma * sigma) * dt + sigma * Math.sqrt(dt) * z1);
    const volLog = u.volLog * (1 - VOL_MEAN_REVERSION * dt) + VOL_OF_VOL * Math.sqrt(dt) * zVol;
    u.volLog = Math.max(-0.7, Math.min(1.6, volLog));
  }

  private record(
    symbol: string,
    spec: UnderlyingSpec,
    date: string,
    spot: number,
    u: number,
    openOnly = false,
  ): void {
    const days = this.state.days[symbol]!;
    const price = round2(spot);
    const iv = this.atmVol(symbol, 30 / 365);
    let day = days[days.length - 1];
    if (!day || day.date !== date) {
      day = {
        date,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: 0,
        ivOpen: iv,
        ivHigh: iv,
        ivLow: iv,
        ivClose: iv,
      };
      days.push(day);
    }
    if (openOnly) return;
    day.high = Math.max(day.high, price);
    day.low = Math.min(day.low, price);
    day.close = price;
    day.ivHigh = Math.max(day.ivHigh, iv);
    day.ivLow = Math.min(day.ivLow, iv);
    day.ivClose = iv;
    day.volume += Math.round((spec.dailyVolume / 390) * (0.5 + u));
  }

  /** Today's bar so far, if the session has started. */
  today(symbol: string, date: string): DayRecord | undefined {
    const days = this.state.days[symbol]!;
    const last = days[days.length - 1];
    return last && last.date === date ? last : undefined;
  }

  /** The last close before `date`: a simulated day's close, else the start price (the history's last close). */
  previousClose(symbol: string, date: string): number {
    const days = this.state.days[symbol]!;
    for (let i = days.length - 1; i >= 0; i--) if (days[i]!.date < date) return days[i]!.close;
    return this.startSpots[symbol]!;
  }

  /** Daily bars before the run (market-history.ts), generated once per symbol. */
  history(symbol: string): DayRecord[] {
    const cached = this.historyCache.get(symbol);
    if (cached) return cached;
    const bars = preRunHistory(
      this.seed,
      symbol,
      this.spec(symbol),
      this.startSpots[symbol]!,
      this.startDate,
      this.cal,
    );
    this.historyCache.set(symbol, bars);
    return bars;
  }

  /** History plus the simulated days (today's partial bar included), oldest first. */
  allDays(symbol: string): DayRecord[] {
    return [...this.history(symbol), ...this.state.days[symbol]!];
  }

  /** IB-shaped daily bars of an underlying. */
  bars(symbol: string, days: number, what: 'TRADES' | 'OPTION_IMPLIED_VOLATILITY' | 'MIDPOINT'): SimBar[] {
    return barsOf(this.allDays(symbol), days, what);
  }

  /** Bars of a derived instrument (VIX from a symbol's IV, a future from its proxy's price). */
  derivedBars(symbol: string, days: number, map: (price: number) => number, fromIv: boolean): SimBar[] {
    return derivedBarsOf(this.allDays(symbol), days, map, fromIv);
  }

  /** Quote of an underlying at `at` (prices move only in session). */
  stockQuote(symbol: string, at: number): SimQuote {
    const date = nyParts(at).date;
    const last = this.quotedSpot(symbol);
    const today = this.today(symbol, date);
    const draw = new Draw(this.seed, `stk-size:${symbol}`, Math.floor(at / MINUTE_MS));
    return {
      bid: round2(last - 0.01),
      ask: round2(last + 0.01),
      last,
      bidSize: draw.int(1, 30) * 100,
      askSize: draw.int(1, 30) * 100,
      lastSize: draw.int(1, 10) * 100,
      volume: today?.volume ?? 0,
      high: today?.high ?? last,
      low: today?.low ?? last,
      close: this.previousClose(symbol, date),
      time: at,
    };
  }

  /**
   * Bid and ask around a model price: width grows with price, with distance from the money, and by
   * the symbol's liquidity factor; cheap options therefore carry the widest spreads relative to price.
   * Bid is floored and ask ceiled to the cent so bid ≤ model ≤ ask always holds (put-call parity
   * then holds within the spread), bid is never negative and ask is at least one tick above bid.
   */
  static optionBidAsk(price: number, x: number, spreadFactor: number): { bid: number; ask: number } {
    const distance = Math.abs(x);
    const width = spreadFactor * (0.01 + price * (0.006 + 0.004 * distance) + 0.01 * distance);
    const bid = Math.max(0, Math.floor((price - width / 2) * 100 + 1e-7) / 100);
    const ask = Math.max(round2(bid + 0.01), Math.ceil((price + width / 2) * 100 - 1e-7) / 100);
    return { bid: round2(bid), ask: round2(ask) };
  }

  /** Quote with greeks of an option, as of `at`. */
  optionQuote(
    symbol: string,
    conId: number,
    strike: number,
    right: SimRight,
    expiryAt: number,
    monthly: boolean,
    at: number,
  ): SimQuote {
    const spec = this.spec(symbol);
    const m = this.optionModel(symbol, strike, right, expiryAt, at);
    const { bid, ask } = Market.optionBidAsk(m.price, m.moneyness, spec.spreadFactor);
    const date = nyParts(at).date;
    // Open interest is fixed for the day: it depends on the previous close, not the moving spot.
    const prevClose = this.previousClose(symbol, date);
    const dayX = this.impliedVol(symbol, strike, Math.max(m.years, 1 / 365), prevClose).x;
    const bell = Math.exp(-0.5 * dayX * dayX);
    const dayDraw = new Draw(
      this.seed,
      `oi:${conId}`,
      Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000),
    );
    const liquidity = (spec.dailyVolume / 60_000_000) * (monthly ? 2 : 1);
    const openInterest = Math.round(20 + 30_000 * liquidity * bell * (0.5 + dayDraw.uniform()));
    const session = sessionFor(date, this.cal);
    const dayFraction = session
      ? Math.max(0, Math.min(1, (at - session.open) / (session.close - session.open)))
      : 1;
    const volume = Math.round(openInterest * 0.25 * (0.5 + dayDraw.uniform()) * dayFraction);
    const sizeDraw = new Draw(this.seed, `opt-size:${conId}`, Math.floor(at / MINUTE_MS));
    const depth = Math.max(1, Math.round(300 * bell));
    const spot = m.spot;
    const pvDividend = spot * (1 - Math.exp(-spec.dividendYield * m.years));
    return {
      bid,
      ask,
      last: round2((bid + ask) / 2),
      bidSize: sizeDraw.int(1, depth),
      askSize: sizeDraw.int(1, depth),
      lastSize: sizeDraw.int(1, 10),
      volume,
      openInterest,
      greeks: {
        impliedVol: m.vol,
        delta: m.delta,
        gamma: m.gamma,
        vega: m.vega,
        theta: m.theta,
        optPrice: m.price,
        pvDividend,
        undPrice: spot,
      },
      time: at,
    };
  }

  /** Plain model price (no greeks) for marks and settlement. */
  optionPrice(symbol: string, strike: number, right: SimRight, expiryAt: number, at: number): number {
    const spec = this.spec(symbol);
    const spot = this.quotedSpot(symbol);
    const years = Math.max(0, (expiryAt - at) / YEAR_MS);
    const { vol } = this.impliedVol(symbol, strike, years, spot);
    return bsPrice({ right, spot, strike, years, rate: SIM_RATE, vol, dividendYield: spec.dividendYield });
  }
}
