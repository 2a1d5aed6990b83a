// Black-Scholes-Merton pricing with a continuous dividend yield, its greeks, implied volatility and
// the lognormal probabilities used for probability of profit. Pure functions of their inputs.
//
// Conventions: `years` is the time to expiry in years (calendar days / 365, see chain.ts), `rate` and
// `dividendYield` are continuously compounded annual decimals, `vol` is an annual decimal (0.2 = 20%).
// Greeks use the units traders quote: theta per calendar day, vega per vol point, rho per rate point.

import { normCdf, normPdf } from './normal-distribution';
import type { Right } from './types';

export interface OptionInputs {
  right: 'C' | 'P';
  spot: number;
  strike: number;
  years: number;
  rate: number;
  vol: number;
  dividendYield?: number;
}

export interface Greeks {
  price: number;
  /** dV/dS. */
  delta: number;
  /** d²V/dS². */
  gamma: number;
  /** Change in value for one calendar day passing (annual theta / 365); negative for a long option that decays. */
  theta: number;
  /** Change in value for +1 vol point (+0.01 of vol). */
  vega: number;
  /** Change in value for +1 rate point (+0.01 of rate). */
  rho: number;
}

export type ImpliedVolInputs = Omit<OptionInputs, 'vol'> & { price: number };

export type ImpliedVolResult = { ok: true; vol: number; iterations: number } | { ok: false; reason: string };

/** Volatility range the implied-volatility solver searches. */
export const IV_MIN = 1e-4;
export const IV_MAX = 5;

const DAYS_PER_YEAR = 365;

// The normal distribution lives in ./normal-distribution; re-exported here, where callers look for it.
export { normCdf, normPdf } from './normal-distribution';

// ---------------------------------------------------------------------------------------------------
// Black-Scholes-Merton
// ---------------------------------------------------------------------------------------------------

function requireNonNegative(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${field} must be a finite number ≥ 0, got ${value}`);
  }
}

function requireFinite(field: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${field} must be a finite number, got ${value}`);
}

function validate(inputs: OptionInputs): void {
  if (inputs.right !== 'C' && inputs.right !== 'P') {
    throw new RangeError(`right must be 'C' or 'P', got ${String(inputs.right)}`);
  }
  requireNonNegative('spot', inputs.spot);
  requireNonNegative('strike', inputs.strike);
  requireNonNegative('vol', inputs.vol);
  requireFinite('years', inputs.years);
  requireFinite('rate', inputs.rate);
  requireFinite('dividendYield', inputs.dividendYield ?? 0);
}

/** Greeks without validation (inputs already checked). */
function greeksUnchecked(inputs: OptionInputs): Greeks {
  const { right, spot, strike, rate, vol } = inputs;
  const q = inputs.dividendYield ?? 0;
  const isCall = right === 'C';

  if (inputs.years <= 0) {
    // At or past expiry: intrinsic value. Delta is the exercise indicator (½ exactly at the money,
    // the average of its one-sided limits); nothing else moves the value any more.
    const intrinsic = isCall ? Math.max(0, spot - strike) : Math.max(0, strike - spot);
    const itm = spot === strike ? 0.5 : isCall ? (spot > strike ? 1 : 0) : spot < strike ? 1 : 0;
    return { price: intrinsic, delta: isCall ? itm : 0 - itm, gamma: 0, theta: 0, vega: 0, rho: 0 };
  }

  const t = inputs.years;
  const sqrtT = Math.sqrt(t);
  const dq = Math.exp(-q * t); // dividend discount
  const dr = Math.exp(-rate * t); // rate discount
  const forwardSpot = spot * dq; // S e^{−qT}
  const pvStrike = strike * dr; // K e^{−rT}
  const sd = vol * sqrtT;

  // N(d1), N(d2) for the call, and the density term S e^{−qT} φ(d1) shared by gamma, vega and theta.
  let nd1: number;
  let nd2: number;
  let densityTerm: number;
  if (sd > 0 && spot > 0 && strike > 0) {
    const d1 = (Math.log(spot / strike) + (rate - q + 0.5 * vol * vol) * t) / sd;
    const d2 = d1 - sd;
    nd1 = normCdf(d1);
    nd2 = normCdf(d2);
    densityTerm = forwardSpot * normPdf(d1);
  } else {
    // No uncertainty left (zero vol, zero spot or zero strike): the option is worth its discounted
    // forward intrinsic value; d1 = d2 = ±∞, with ½ at the exact forward-at-the-money point.
    const w = forwardSpot > pvStrike ? 1 : forwardSpot < pvStrike ? 0 : 0.5;
    nd1 = w;
    nd2 = w;
    densityTerm = 0;
  }

  // Put values use N(−d) = 1 − N(d).
  const n1 = isCall ? nd1 : nd1 - 1; // signed: N(d1) for calls, −N(−d1) for puts
  const n2 = isCall ? nd2 : nd2 - 1; // signed: N(d2) for calls, −N(−d2) for puts
  let price = forwardSpot * n1 - pvStrike * n2;
  // Rounding can leave a deep out-of-the-money value a hair below zero.
  if (price < 0) price = 0;

  const delta = dq * n1;
  const gamma = densityTerm > 0 && spot > 0 ? densityTerm / (spot * spot * sd) : 0;
  const vegaAnnual = densityTerm * sqrtT;
  const thetaAnnual = densityTerm > 0 ? -(densityTerm * vol) / (2 * sqrtT) : 0;
  const thetaCarry = -rate * pvStrike * n2 + q * forwardSpot * n1;
  const rhoAnnual = strike * t * dr * n2;

  return {
    price,
    delta,
    gamma,
    theta: (thetaAnnual + thetaCarry) / DAYS_PER_YEAR,
    vega: vegaAnnual / 100,
    rho: rhoAnnual / 100,
  };
}

/** Black-Scholes-Merton value of a European option; intrinsic value when `years <= 0`. */
export function bsPrice(inputs: OptionInputs): number {
  validate(inputs);
  return greeksUnchecked(inputs).price;
}

/**
 * Value and greeks: theta per calendar day (annual / 365), vega per vol point (0.01), rho per rate
 * point (0.01). At or past expiry the value is intrinsic, delta is 0/±1 (±½ at the money) and the
 * other greeks are 0.
 */
export function bsGreeks(inputs: OptionInputs): Greeks {
  validate(inputs);
  return greeksUnchecked(inputs);
}

// ---------------------------------------------------------------------------------------------------
// Implied volatility
// ---------------------------------------------------------------------------------------------------

/** Formats a price for a message: cents when that is exact, otherwise enough digits to see the gap. */
function fmt(x: number): string {
  const cents = x.toFixed(2);
  if (Number(cents) === x) return cents;
  return String(Number(x.toPrecision(8)));
}

/**
 * The volatility at which the Black-Scholes-Merton value equals `price`, searched on [1e-4, 5].
 * Bracketed Newton: a Newton step is taken when it stays inside the bracket that is known to hold
 * the root, otherwise the bracket is bisected, so it always converges. Prices outside the
 * no-arbitrage bounds, non-finite inputs and `years <= 0` give `ok: false` with the reason, as do
 * prices whose implied vol lies outside [1e-4, 5]. A price equal, within rounding, to the value at
 * 1e-4 (no time value to speak of, e.g. a far out-of-the-money option quoted at 0) gives 1e-4.
 */
export function impliedVol(inputs: ImpliedVolInputs): ImpliedVolResult {
  const { right, spot, strike, years, rate, price } = inputs;
  const q = inputs.dividendYield ?? 0;
  if (right !== 'C' && right !== 'P')
    return { ok: false, reason: `right must be 'C' or 'P', got ${String(right)}` };
  const fields: [string, number][] = [
    ['price', price],
    ['spot', spot],
    ['strike', strike],
    ['years', years],
    ['rate', rate],
    ['dividendYield', q],
  ];
  for (const [name, value] of fields) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return { ok: false, reason: `${name} is not a finite number (${String(value)})` };
    }
  }
  if (spot <= 0) return { ok: false, reason: `spot ${fmt(spot)} must be positive` };
  if (strike <= 0) return { ok: false, reason: `strike ${fmt(strike)} must be positive` };
  if (years <= 0) {
    return {
      ok: false,
      reason: `years ${years} must be positive: at or past expiry only intrinsic value is left`,
    };
  }

  const forwardSpot = spot * Math.exp(-q * years);
  const pvStrike = strike * Math.exp(-rate * years);
  const lower = right === 'C' ? Math.max(0, forwardSpot - pvStrike) : Math.max(0, pvStrike - forwardSpot);
  const upper = right === 'C' ? forwardSpot : pvStrike;
  // Tolerance for rounding in the bounds themselves, not for market noise.
  const tol = 1e-12 * Math.max(spot, strike);
  if (price < lower - tol) {
    return { ok: false, reason: `price ${fmt(price)} is below intrinsic lower bound ${fmt(lower)}` };
  }
  if (price > upper + tol) {
    return { ok: false, reason: `price ${fmt(price)} is above the no-arbitrage upper bound ${fmt(upper)}` };
  }

  const base = { right, spot, strike, years, rate, dividendYield: q };
  const valueAt = (vol: number) => greeksUnchecked({ ...base, vol });
  const atMin = valueAt(IV_MIN).price;
  const atMax = valueAt(IV_MAX).price;
  const priceTol = Math.max(1e-13 * Math.max(spot, strike), 1e-15);
  if (price < atMin - priceTol) {
    return {
      ok: false,
      reason: `price ${fmt(price)} has less time value than volatility ${IV_MIN} gives (${fmt(atMin)}): implied volatility is below the search range`,
    };
  }
  if (price > atMax + priceTol) {
    return {
      ok: false,
      reason: `price ${fmt(price)} is above the value at volatility ${IV_MAX} (${fmt(atMax)}): implied volatility is above the search range`,
    };
  }
  if (Math.abs(price - atMin) <= priceTol) return { ok: true, vol: IV_MIN, iterations: 0 };
  if (Math.abs(price - atMax) <= priceTol) return { ok: true, vol: IV_MAX, iterations: 0 };

  // The value rises with volatility, so [lo, hi] always brackets the root.
  let lo = IV_MIN;
  let hi = IV_MAX;
  // Start from the Brenner-Subrahmanyam at-the-money estimate, clamped into the bracket.
  let vol = Math.min(Math.max((Math.sqrt((2 * Math.PI) / years) * price) / spot, 0.05), 2);
  const maxIterations = 200;
  for (let i = 1; i <= maxIterations; i++) {
    const g = valueAt(vol);
    const diff = g.price - price;
    if (Math.abs(diff) <= priceTol) return { ok: true, vol, iterations: i };
    if (diff > 0) hi = vol;
    else lo = vol;
    if (hi - lo <= 1e-15 * hi) return { ok: true, vol: 0.5 * (lo + hi), iterations: i };
    const vegaAnnual = g.vega * 100;
    const newton = vegaAnnual > 0 ? vol - diff / vegaAnnual : Number.NaN;
    vol = newton > lo && newton < hi ? newton : 0.5 * (lo + hi);
  }
  return { ok: true, vol, iterations: maxIterations };
}

// ---------------------------------------------------------------------------------------------------
// Lognormal probabilities
// ---------------------------------------------------------------------------------------------------

export interface ProbabilityAboveInputs {
  spot: number;
  /** Price level at expiry; 0 gives 1 and +Infinity gives 0. */
  level: number;
  years: number;
  rate: number;
  vol: number;
  dividendYield?: number;
}

export interface ProbabilityBetweenInputs {
  spot: number;
  lower: number;
  upper: number;
  years: number;
  rate: number;
  /** Volatility for the lower level (an iron condor's put-side IV). */
  volLower: number;
  /** Volatility for the upper level (an iron condor's call-side IV). */
  volUpper: number;
  dividendYield?: number;
}

function requireLevel(field: string, value: number): void {
  if (Number.isNaN(value) || value < 0) throw new RangeError(`${field} must be ≥ 0, got ${value}`);
}

function aboveUnchecked(
  spot: number,
  level: number,
  years: number,
  rate: number,
  vol: number,
  q: number,
): number {
  if (level === Number.POSITIVE_INFINITY) return 0;
  if (level <= 0) return spot > 0 ? 1 : 0; // levels are ≥ 0 (validated); S_T > 0 whenever S > 0
  if (spot <= 0) return 0;
  const t = Math.max(0, years);
  const sd = vol * Math.sqrt(t);
  const logForwardRatio = Math.log(spot / level) + (rate - q) * t; // ln(F/L)
  if (!(sd > 0)) return logForwardRatio > 0 ? 1 : 0; // no uncertainty: S_T = F for sure
  return normCdf((logForwardRatio - 0.5 * sd * sd) / sd);
}

/**
 * P(S_T > level) under the risk-neutral lognormal model: ln S_T is normal with mean
 * ln S + (r − q − σ²/2)T and variance σ²T, so the probability is N(d2) with
 * d2 = (ln(S/level) + (r − q − σ²/2)T) / (σ√T). With no time or no volatility left the outcome
 * is certain (S_T = S e^{(r−q)T}). Risk-neutral drift, not a forecast: the market's own odds.
 */
export function probabilityAbove(inputs: ProbabilityAboveInputs): number {
  const { spot, level, years, rate, vol } = inputs;
  const q = inputs.dividendYield ?? 0;
  requireNonNegative('spot', spot);
  requireLevel('level', level);
  requireNonNegative('vol', vol);
  requireFinite('years', years);
  requireFinite('rate', rate);
  requireFinite('dividendYield', q);
  return aboveUnchecked(spot, level, years, rate, vol, q);
}

/**
 * P(lower < S_T < upper) as P(S_T > lower, at volLower) − P(S_T > upper, at volUpper), clamped to
 * [0, 1]. An iron condor is priced off two different IVs (put side for the lower breakeven, call side
 * for the upper), so the two tails come from different distributions and the difference can stray
 * outside [0, 1]; hence the clamp. An empty range (upper ≤ lower) has probability 0.
 */
export function probabilityBetween(inputs: ProbabilityBetweenInputs): number {
  const { spot, lower, upper, years, rate, volLower, volUpper } = inputs;
  const q = inputs.dividendYield ?? 0;
  requireNonNegative('spot', spot);
  requireLevel('lower', lower);
  requireLevel('upper', upper);
  requireNonNegative('volLower', volLower);
  requireNonNegative('volUpper', volUpper);
  requireFinite('years', years);
  requireFinite('rate', rate);
  requireFinite('dividendYield', q);
  if (!(upper > lower)) return 0;
  const p =
    aboveUnchecked(spot, lower, years, rate, volLower, q) -
    aboveUnchecked(spot, upper, years, rate, volUpper, q);
  return Math.min(1, Math.max(0, p));
}

/** Intrinsic value of an option at `spot` (used by callers comparing a mid with its time value). */
export function intrinsicValue(right: Right, spot: number, strike: number): number {
  return right === 'C' ? Math.max(0, spot - strike) : Math.max(0, strike - spot);
}
