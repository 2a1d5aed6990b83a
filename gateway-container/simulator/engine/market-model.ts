// The simulated market's model: its parameters (rate, drift, volatility dynamics, jumps, overnight gaps),
// the shapes of its state, and the shared price helpers (cent rounding, IV term structure, moneyness).

/** Risk-free rate used for every price and greek (continuously compounded). */
export const SIM_RATE = 0.04;
export const YEAR_MS = 365 * 86_400_000;
export const MINUTE_MS = 60_000;
const TRADING_MINUTES_PER_YEAR = 252 * 390;
export const DT = 1 / TRADING_MINUTES_PER_YEAR;

export const DRIFT = 0.06;
// Realised volatility runs below implied (the variance risk premium sellers harvest): IV/HV ≈ 1.2.
export const REALISED_TO_IMPLIED = 0.85;
export const VOL_MEAN_REVERSION = 4;
export const VOL_OF_VOL = 0.9;
export const SPOT_VOL_CORRELATION = -0.7;
export const JUMPS_PER_YEAR = 4;
export const JUMP_MEAN = -0.015;
export const JUMP_SD = 0.02;
export const JUMP_VOL_BUMP = 0.2;
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

export function round2(x: number): number {
  return Math.round((x + Math.sign(x) * 1e-9) * 100) / 100;
}

/** Term structure: short expiries trade a little below the long-run level (contango, the usual state). */
export function termFactor(years: number): number {
  return 0.88 + 0.12 * (1 - Math.exp(-Math.max(years, 0) / 0.15));
}

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

/**
 * Standardised log-moneyness ln(K/F)/(σ√T), softly bounded to (−4, 4) so far wings stay finite while
 * IV keeps rising strike by strike down the put wing (a hard clamp would flatten it).
 */
export function moneyness(strike: number, forward: number, atm: number, years: number): number {
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
