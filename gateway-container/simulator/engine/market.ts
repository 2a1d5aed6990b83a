// The simulated market: per-underlying price paths (geometric Brownian motion with jumps and a
// mean-reverting volatility level), the implied-volatility surface, quotes and daily history.
import { bsGreeks, bsPrice } from '../../../functions/core/pricing';
import type { MarketCalendar } from '../../../functions/core/calendar';
import { nyParts, previousTradingDay, sessionFor } from '../../../functions/core/calendar';
import type { IsoDate } from '../../../functions/core/types';
import type { SimBar, SimQuote, SimRight } from '../engine-api';
import type { UnderlyingSpec } from './instruments';
import { compactDate } from './instruments';
import { Draw } from './rng';

/** Risk-free rate used for every price and greek (continuously compounded). */
export const SIM_RATE = 0.04;
export const YEAR_MS = 365 * 86_400_000;
const MINUTE_MS = 60_000;
const TRADING_MINUTES_PER_YEAR = 252 * 390;
const DT = 1 / TRADING_MINUTES_PER_YEAR;

const DRIFT = 0.06;
// Realised volatility runs below implied (the variance risk premium sellers harvest): IV/HV ≈ 1.2.
const REALISED_TO_IMPLIED = 0.85;
const VOL_MEAN_REVERSION = 4;
const VOL_OF_VOL = 0.9;
const SPOT_VOL_CORRELATION = -0.7;
const JUMPS_PER_YEAR = 4;
const JUMP_MEAN = -0.015;
const JUMP_SD = 0.02;
const JUMP_VOL_BUMP = 0.2;
// Overnight and weekend gaps. News arrives around the clock but prices are discovered in the session, so
// closed time carries far less variance per hour than trading time: a normal night (16:00 → 09:30,
// 17.5 h) carries about a quarter of a session's variance (SPY's close-to-open share of daily variance
// is roughly 20–30%), and each further closed calendar day (Saturday, Sunday, a holiday) adds a smaller
// share: weekend variance is well below three nights' worth (French & Roll 1986), yet a Monday gap is
// larger than a Tuesday one. Measured from the last close to this open, so half days count too.
const NORMAL_NIGHT_MS = 17.5 * 3_600_000;
const NIGHT_VARIANCE_SESSIONS = 0.25;
const CLOSED_DAY_VARIANCE_SESSIONS = 0.2;
/** A gap's normal draw is cut at this many standard deviations: a gap, never a crash (priceShock is that). */
export const GAP_MAX_SD = 4;

/** Closed-time variance between a close and the next open, in sessions' worth of variance. */
export function overnightVarianceSessions(closedMs: number): number {
  const extraDays = Math.max(0, closedMs - NORMAL_NIGHT_MS) / 86_400_000;
  return NIGHT_VARIANCE_SESSIONS + CLOSED_DAY_VARIANCE_SESSIONS * extraDays;
}

/** The VIX runs above SPY's 30-day at-the-money IV because it prices the whole skew. */
export const VIX_OVER_ATM = 1.1;
export const HISTORY_DAYS = 300;

export interface UnderlyingState {
  spot: number;
  /** Log of the volatility level relative to the symbol's base (0 = base vol). */
  volLog: number;
}

/** One simulated session's bar for an underlying, including its ATM IV range. */
export interface DayRecord {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  ivOpen: number;
  ivHigh: number;
  ivLow: number;
  ivClose: number;
}

export interface MarketState {
  underlyings: Record<string, UnderlyingState>;
  days: Record<string, DayRecord[]>;
}

export function round2(x: number): number {
  return Math.round((x + Math.sign(x) * 1e-9) * 100) / 100;
}

/** Term structure: short expiries trade a little below the long-run level (contango, the usual state). */
export function termFactor(years: number): number {
  return 0.88 + 0.12 * (1 - Math.exp(-Math.max(years, 0) / 0.15));
}

/**
 * Standardised log-moneyness ln(K/F)/(σ√T), softly bounded to (−4, 4) so far wings stay finite while
 * IV keeps rising strike by strike down the put wing (a hard clamp would flatten it).
 */
function moneyness(strike: number, forward: number, atm: number, years: number): number {
  const t = Math.max(years, 1 / 365 / 24);
  const x = Math.log(strike / forward) / (atm * Math.sqrt(t));
  return 4 * Math.tanh(x / 4);
}

export interface OptionModel {
  spot: number;
  years: number;
  vol: number;
  price: number;
  delta: number;
  gamma: number;
  theta: number;
  vega: number;
  /** Standardised moneyness, for spreads, sizes and open interest. */
  moneyness: number;
}

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

  /**
   * Daily bars before the run: generated backwards from the start price, so the last bar's close is
   * the run's previous close, with realised volatility following a seeded IV history.
   */
  history(symbol: string): DayRecord[] {
    const cached = this.historyCache.get(symbol);
    if (cached) return cached;
    const spec = this.spec(symbol);
    const bars: DayRecord[] = [];
    const dtDay = 1 / 252;
    let close = this.startSpots[symbol]!;
    let volLog = 0;
    let date = this.startDate;
    for (let k = 1; k <= HISTORY_DAYS; k++) {
      date = previousTradingDay(date, this.cal);
      const draw = new Draw(this.seed, `history:${symbol}`, k);
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
    this.historyCache.set(symbol, bars);
    return bars;
  }

  /** History plus the simulated days (today's partial bar included), oldest first. */
  allDays(symbol: string): DayRecord[] {
    return [...this.history(symbol), ...this.state.days[symbol]!];
  }

  /** IB-shaped daily bars of an underlying. */
  bars(symbol: string, days: number, what: 'TRADES' | 'OPTION_IMPLIED_VOLATILITY' | 'MIDPOINT'): SimBar[] {
    const records = this.allDays(symbol).slice(-Math.max(0, Math.floor(days)));
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
  derivedBars(symbol: string, days: number, map: (price: number) => number, fromIv: boolean): SimBar[] {
    const records = this.allDays(symbol).slice(-Math.max(0, Math.floor(days)));
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
