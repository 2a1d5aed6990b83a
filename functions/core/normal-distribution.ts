// The standard normal distribution, N(x) and φ(x), accurate into the far tails (pricing and probability
// of profit read them). Pure.

/** 1/√(2π). */
const INV_SQRT_2PI = 0.3989422804014327;

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
// as coded in his SPECFUN routine ANORM (Netlib). Relative error below about 1e-15 over the whole
// line, including the far tails, where 1 − N(x) computed naively would lose every digit.
/* eslint-disable no-loss-of-precision -- Cody's coefficients kept digit for digit as published */
const CODY_A = [
  2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249,
  0.065682337918207449113,
];
const CODY_B = [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
const CODY_C = [
  0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226,
  2494.5375852903726711, 6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218,
  1.0765576773720192317e-8,
];
const CODY_D = [
  22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755,
  18615.571640885098091, 34900.952721145977266, 38912.003286093271411, 19685.429676859990727,
];
const CODY_P = [
  0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466,
  2.9112874951168792e-5, 0.02307344176494017303,
];
const CODY_Q = [
  1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244,
  7.29751555083966205e-5,
];
/* eslint-enable no-loss-of-precision */

const c = (coefficients: number[], i: number): number => coefficients[i] as number;

/** Standard normal cumulative distribution N(x) (Cody's ANORM rational approximation). */
export function normCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  const y = Math.abs(x);
  if (y <= 0.66291) {
    const xsq = y > 1.11e-16 ? x * x : 0;
    let num = c(CODY_A, 4) * xsq;
    let den = xsq;
    for (let i = 0; i < 3; i++) {
      num = (num + c(CODY_A, i)) * xsq;
      den = (den + c(CODY_B, i)) * xsq;
    }
    return 0.5 + (x * (num + c(CODY_A, 3))) / (den + c(CODY_B, 3));
  }
  let tail: number; // N(−|x|)
  if (y <= Math.sqrt(32)) {
    let num = c(CODY_C, 8) * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + c(CODY_C, i)) * y;
      den = (den + c(CODY_D, i)) * y;
    }
    tail = (num + c(CODY_C, 7)) / (den + c(CODY_D, 7));
  } else {
    if (y > 40) return x > 0 ? 1 : 0; // exp(−800) underflows anyway
    const xsq = 1 / (y * y);
    let num = c(CODY_P, 5) * xsq;
    let den = xsq;
    for (let i = 0; i < 4; i++) {
      num = (num + c(CODY_P, i)) * xsq;
      den = (den + c(CODY_Q, i)) * xsq;
    }
    tail = (INV_SQRT_2PI - (xsq * (num + c(CODY_P, 4))) / (den + c(CODY_Q, 4))) / y;
  }
  // exp(−y²/2) split as exp(−r²/2)·exp(−(y−r)(y+r)/2) with r = y rounded down to 1/16, so that the
  // square is exact and the tail keeps full relative precision.
  const r = Math.trunc(y * 16) / 16;
  const del = (y - r) * (y + r);
  tail *= Math.exp(-r * r * 0.5) * Math.exp(-del * 0.5);
  return x > 0 ? 1 - tail : tail;
}

/** Standard normal density φ(x). */
export function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
