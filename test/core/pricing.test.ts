import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IV_MAX,
  IV_MIN,
  bsGreeks,
  bsPrice,
  impliedVol,
  normCdf,
  normPdf,
  probabilityAbove,
  probabilityBetween,
} from '#core/pricing';
import type { OptionInputs } from '#core/pricing';

/** |actual − expected| ≤ abs + rel·|expected|. */
function expectNear(actual: number, expected: number, abs: number, rel = 0): void {
  expect(Number.isFinite(actual)).toBe(true);
  const tol = abs + rel * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(
      `expected ${actual} to be within ${tol} of ${expected} (off by ${Math.abs(actual - expected)})`,
    );
  }
}

// Inputs away from the degenerate corners, where finite differences are well conditioned.
const moderateInputs = fc.record({
  right: fc.constantFrom<'C' | 'P'>('C', 'P'),
  spot: fc.double({ min: 20, max: 800, noNaN: true }),
  moneyness: fc.double({ min: 0.7, max: 1.3, noNaN: true }),
  years: fc.double({ min: 0.05, max: 2, noNaN: true }),
  rate: fc.double({ min: 0, max: 0.08, noNaN: true }),
  vol: fc.double({ min: 0.08, max: 1, noNaN: true }),
  dividendYield: fc.double({ min: 0, max: 0.05, noNaN: true }),
});
const toInputs = (a: {
  right: 'C' | 'P';
  spot: number;
  moneyness: number;
  years: number;
  rate: number;
  vol: number;
  dividendYield: number;
}): OptionInputs => ({
  right: a.right,
  spot: a.spot,
  strike: a.spot * a.moneyness,
  years: a.years,
  rate: a.rate,
  vol: a.vol,
  dividendYield: a.dividendYield,
});

describe('normCdf / normPdf', () => {
  it('matches published values of the standard normal distribution', () => {
    // Standard tables (Abramowitz & Stegun 26.2; also any 30-digit evaluation of ½·erfc(−x/√2)).
    expect(normCdf(0)).toBe(0.5);
    expectNear(normCdf(0.5), 0.6914624612740131, 2e-16);
    expectNear(normCdf(1), 0.8413447460685429, 2e-16);
    expectNear(normCdf(2), 0.9772498680518208, 2e-16);
    expectNear(normCdf(3), 0.9986501019683699, 2e-16);
    expectNear(normCdf(-1.96), 0.024997895148220435, 0, 1e-14);
    // Far tails keep their relative precision (1 − N(x) computed naively would be 0 here).
    expectNear(normCdf(-5), 2.866515718791939e-7, 0, 1e-13);
    expectNear(normCdf(-10), 7.619853024160525e-24, 0, 1e-12);
    expectNear(normCdf(-20), 2.7536241186062337e-89, 0, 1e-12);
    expectNear(normPdf(0), 0.3989422804014327, 1e-17);
  });

  it('is symmetric: N(x) + N(−x) = 1', () => {
    fc.assert(
      fc.property(fc.double({ min: -9, max: 9, noNaN: true }), (x) => {
        expectNear(normCdf(x) + normCdf(-x), 1, 3e-16);
      }),
    );
  });

  it('has the density as its derivative and never decreases', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
        const h = 1e-5;
        // Central difference error is h²/6·|φ''| ≲ 1e-11, plus rounding ≈ 1e-16/h.
        expectNear((normCdf(x + h) - normCdf(x - h)) / (2 * h), normPdf(x), 1e-10);
        expect(normCdf(x + 0.01)).toBeGreaterThanOrEqual(normCdf(x));
      }),
    );
  });

  it('handles infinities and NaN', () => {
    expect(normCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normCdf(60)).toBe(1);
    expect(normCdf(-60)).toBe(0);
    expect(Number.isNaN(normCdf(Number.NaN))).toBe(true);
    expect(normPdf(Number.POSITIVE_INFINITY)).toBe(0);
  });
});

describe('bsPrice', () => {
  it("reproduces Hull's example: S=42, K=40, r=10%, σ=20%, T=0.5 → call 4.76, put 0.81", () => {
    // Hull, Options, Futures, and Other Derivatives, Black-Scholes-Merton chapter, worked example.
    const base = { spot: 42, strike: 40, rate: 0.1, vol: 0.2, years: 0.5 };
    expect(bsPrice({ ...base, right: 'C' }).toFixed(2)).toBe('4.76');
    expect(bsPrice({ ...base, right: 'P' }).toFixed(2)).toBe('0.81');
  });

  it("reproduces Hull's index option with a dividend yield: S=930, K=900, r=8%, q=3%, σ=20%, T=2/12 → 51.83", () => {
    // Hull, options on stock indices chapter, worked example (d1 = 0.5444, d2 = 0.4628, c = 51.83).
    const c = bsPrice({
      right: 'C',
      spot: 930,
      strike: 900,
      rate: 0.08,
      dividendYield: 0.03,
      vol: 0.2,
      years: 2 / 12,
    });
    expect(c.toFixed(2)).toBe('51.83');
  });

  it('satisfies put-call parity with dividends: C − P = S e^{−qT} − K e^{−rT}', () => {
    fc.assert(
      fc.property(
        fc.record({
          spot: fc.double({ min: 1, max: 2000, noNaN: true }),
          moneyness: fc.double({ min: 0.5, max: 1.5, noNaN: true }),
          years: fc.double({ min: 1 / 365, max: 3, noNaN: true }),
          rate: fc.double({ min: -0.01, max: 0.1, noNaN: true }),
          dividendYield: fc.double({ min: 0, max: 0.06, noNaN: true }),
          vol: fc.double({ min: 0.01, max: 2, noNaN: true }),
        }),
        ({ spot, moneyness, years, rate, dividendYield, vol }) => {
          const strike = spot * moneyness;
          const common = { spot, strike, years, rate, dividendYield, vol };
          const lhs = bsPrice({ ...common, right: 'C' }) - bsPrice({ ...common, right: 'P' });
          const rhs = spot * Math.exp(-dividendYield * years) - strike * Math.exp(-rate * years);
          expectNear(lhs, rhs, 1e-11 * Math.max(spot, strike));
        },
      ),
    );
  });

  it('stays inside the no-arbitrage bounds', () => {
    fc.assert(
      fc.property(moderateInputs, (a) => {
        const inputs = toInputs(a);
        const fwd = inputs.spot * Math.exp(-a.dividendYield * a.years);
        const pvK = inputs.strike * Math.exp(-a.rate * a.years);
        const lower = a.right === 'C' ? Math.max(0, fwd - pvK) : Math.max(0, pvK - fwd);
        const upper = a.right === 'C' ? fwd : pvK;
        const p = bsPrice(inputs);
        const slack = 1e-12 * Math.max(fwd, pvK);
        expect(p).toBeGreaterThanOrEqual(lower - slack);
        expect(p).toBeLessThanOrEqual(upper + slack);
      }),
    );
  });

  it('is intrinsic value at or past expiry', () => {
    for (const years of [0, -0.01]) {
      expect(bsPrice({ right: 'C', spot: 105, strike: 100, years, rate: 0.05, vol: 0.3 })).toBe(5);
      expect(bsPrice({ right: 'P', spot: 105, strike: 100, years, rate: 0.05, vol: 0.3 })).toBe(0);
      expect(
        bsPrice({ right: 'P', spot: 95, strike: 100, years, rate: 0.05, vol: 0.3, dividendYield: 0.02 }),
      ).toBe(5);
    }
  });

  it('is the discounted forward intrinsic value at zero volatility', () => {
    // S e^{−qT} − K e^{−rT} with S=100, K=95, r=5%, q=1%, T=1.
    const expected = 100 * Math.exp(-0.01) - 95 * Math.exp(-0.05);
    expectNear(
      bsPrice({ right: 'C', spot: 100, strike: 95, years: 1, rate: 0.05, vol: 0, dividendYield: 0.01 }),
      expected,
      1e-12,
    );
    expect(
      bsPrice({ right: 'P', spot: 100, strike: 95, years: 1, rate: 0.05, vol: 0, dividendYield: 0.01 }),
    ).toBe(0);
  });

  it('prices a worthless underlying: call 0, put the present value of the strike', () => {
    expect(bsPrice({ right: 'C', spot: 0, strike: 50, years: 1, rate: 0.05, vol: 0.3 })).toBe(0);
    expectNear(
      bsPrice({ right: 'P', spot: 0, strike: 50, years: 1, rate: 0.05, vol: 0.3 }),
      50 * Math.exp(-0.05),
      1e-12,
    );
  });

  it('throws a RangeError naming the field for bad inputs', () => {
    const ok: OptionInputs = { right: 'C', spot: 100, strike: 100, years: 0.5, rate: 0.03, vol: 0.2 };
    expect(() => bsPrice({ ...ok, spot: Number.NaN })).toThrow(RangeError);
    expect(() => bsPrice({ ...ok, spot: Number.NaN })).toThrow(/spot/);
    expect(() => bsPrice({ ...ok, spot: -1 })).toThrow(/spot/);
    expect(() => bsPrice({ ...ok, strike: -5 })).toThrow(/strike/);
    expect(() => bsPrice({ ...ok, strike: Number.POSITIVE_INFINITY })).toThrow(/strike/);
    expect(() => bsPrice({ ...ok, vol: -0.2 })).toThrow(/vol/);
    expect(() => bsGreeks({ ...ok, vol: Number.POSITIVE_INFINITY })).toThrow(/vol/);
    expect(() => bsGreeks({ ...ok, years: Number.NaN })).toThrow(/years/);
    expect(() => bsGreeks({ ...ok, rate: Number.NaN })).toThrow(/rate/);
    expect(() => bsGreeks({ ...ok, dividendYield: Number.NaN })).toThrow(/dividendYield/);
  });
});

describe('bsGreeks', () => {
  it("reproduces Hull's greeks example: S=49, K=50, r=5%, σ=20%, T=20 weeks", () => {
    // Hull's running example (the 100,000 calls sold for $300,000): value 2.40, delta 0.522,
    // gamma 0.066, theta −4.31 per year, vega 12.1 per unit of vol, rho 8.91 per unit of rate.
    const g = bsGreeks({ right: 'C', spot: 49, strike: 50, rate: 0.05, vol: 0.2, years: 20 / 52 });
    expect(g.price.toFixed(2)).toBe('2.40');
    expect(g.delta.toFixed(3)).toBe('0.522');
    expect(g.gamma.toFixed(3)).toBe('0.066');
    expect((g.theta * 365).toFixed(2)).toBe('-4.31');
    expect((g.vega * 100).toFixed(1)).toBe('12.1');
    expect((g.rho * 100).toFixed(2)).toBe('8.91');
  });

  it('agrees with central finite differences (theta per day, vega and rho per point)', () => {
    fc.assert(
      fc.property(moderateInputs, (a) => {
        const inputs = toInputs(a);
        const g = bsGreeks(inputs);
        const p = (over: Partial<OptionInputs>) => bsPrice({ ...inputs, ...over });
        expect(g.price).toBe(bsPrice(inputs));

        // Steps scale with the one-sd move S σ √T, so the truncation error stays small for low vols too.
        const sdMove = inputs.spot * inputs.vol * Math.sqrt(inputs.years);
        const hS = 1e-4 * sdMove;
        const delta = (p({ spot: inputs.spot + hS }) - p({ spot: inputs.spot - hS })) / (2 * hS);
        expectNear(g.delta, delta, 1e-7, 1e-6);

        const hG = 1e-3 * sdMove;
        const gamma =
          (p({ spot: inputs.spot + hG }) - 2 * g.price + p({ spot: inputs.spot - hG })) / (hG * hG);
        expectNear(g.gamma, gamma, 1e-7, 1e-4);

        // Theta: value change as one calendar day passes, i.e. −dV/dT / 365.
        const hT = 1e-5;
        const theta = -(p({ years: inputs.years + hT }) - p({ years: inputs.years - hT })) / (2 * hT) / 365;
        expectNear(g.theta, theta, 1e-8, 1e-5);

        // Vega and rho per point: the change for +0.01 of vol / rate, from the derivative.
        const h = 1e-6;
        const vega = (p({ vol: inputs.vol + h }) - p({ vol: inputs.vol - h })) / (2 * h) / 100;
        expectNear(g.vega, vega, 1e-7, 1e-5);
        const rho = (p({ rate: inputs.rate + h }) - p({ rate: inputs.rate - h })) / (2 * h) / 100;
        expectNear(g.rho, rho, 1e-7, 1e-5);
      }),
    );
  });

  it('has the signs of a long option: call delta in [0,1], put delta in [−1,0], gamma and vega ≥ 0', () => {
    fc.assert(
      fc.property(moderateInputs, (a) => {
        const g = bsGreeks(toInputs(a));
        if (a.right === 'C') {
          expect(g.delta).toBeGreaterThanOrEqual(0);
          expect(g.delta).toBeLessThanOrEqual(1);
        } else {
          expect(g.delta).toBeGreaterThanOrEqual(-1);
          expect(g.delta).toBeLessThanOrEqual(0);
        }
        expect(g.gamma).toBeGreaterThanOrEqual(0);
        expect(g.vega).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('degenerates without NaN at expiry, at zero vol and at zero spot', () => {
    const finite = (g: ReturnType<typeof bsGreeks>) => Object.values(g).every((v) => Number.isFinite(v));
    const expired = { years: 0, rate: 0.05, vol: 0.25 };
    const itmCall = bsGreeks({ ...expired, right: 'C', spot: 110, strike: 100 });
    expect(itmCall).toEqual({ price: 10, delta: 1, gamma: 0, theta: 0, vega: 0, rho: 0 });
    expect(bsGreeks({ ...expired, right: 'C', spot: 90, strike: 100 }).delta).toBe(0);
    expect(bsGreeks({ ...expired, right: 'P', spot: 90, strike: 100 }).delta).toBe(-1);
    expect(bsGreeks({ ...expired, right: 'P', spot: 110, strike: 100 }).delta).toBe(0);
    // Exactly at the money the exercise indicator is a step; ½ is the average of its one-sided limits.
    expect(bsGreeks({ ...expired, right: 'C', spot: 100, strike: 100 }).delta).toBe(0.5);
    expect(bsGreeks({ ...expired, right: 'P', spot: 100, strike: 100, years: -1 }).delta).toBe(-0.5);

    const zeroVol = bsGreeks({
      right: 'C',
      spot: 100,
      strike: 95,
      years: 1,
      rate: 0.05,
      vol: 0,
      dividendYield: 0.01,
    });
    expect(finite(zeroVol)).toBe(true);
    // Deterministic: V = S e^{−qT} − K e^{−rT}, so delta = e^{−qT}, gamma = vega = 0, rho = K T e^{−rT}/100.
    expectNear(zeroVol.delta, Math.exp(-0.01), 1e-15);
    expect(zeroVol.gamma).toBe(0);
    expect(zeroVol.vega).toBe(0);
    expectNear(zeroVol.rho, (95 * Math.exp(-0.05)) / 100, 1e-14);
    // Forward exactly at the money with zero vol: value 0, nothing NaN.
    const atFwd = bsGreeks({ right: 'P', spot: 100, strike: 100, years: 1, rate: 0, vol: 0 });
    expect(atFwd.price).toBe(0);
    expect(finite(atFwd)).toBe(true);

    for (const right of ['C', 'P'] as const) {
      expect(finite(bsGreeks({ right, spot: 0, strike: 50, years: 1, rate: 0.05, vol: 0.3 }))).toBe(true);
      expect(finite(bsGreeks({ right, spot: 50, strike: 0, years: 1, rate: 0.05, vol: 0.3 }))).toBe(true);
      // One second to expiry with a tiny vol: d1 is huge but everything stays finite.
      expect(
        finite(bsGreeks({ right, spot: 100, strike: 100, years: 1 / (365 * 86400), rate: 0, vol: 1e-4 })),
      ).toBe(true);
    }
  });

  it('decays a long at-the-money option by about S σ / (2 √(2π T)) / 365 per day with no carry', () => {
    // With r = q = 0 at the money, theta = −S φ(d1) σ / (2√T) and φ(d1) ≈ φ(0) = 1/√(2π)
    // (d1 = σ√T/2 = 0.05 here, so φ(d1) = φ(0)·e^{−0.00125}).
    const g = bsGreeks({ right: 'C', spot: 100, strike: 100, years: 0.25, rate: 0, vol: 0.2 });
    const expected = (-((100 * 0.2) / (2 * Math.sqrt(2 * Math.PI * 0.25))) * Math.exp(-0.00125)) / 365;
    expectNear(g.theta, expected, 1e-12);
  });
});

describe('impliedVol', () => {
  it('recovers the volatility over a grid of moneyness, expiries and vols', () => {
    const spot = 100;
    const rate = 0.04;
    const dividendYield = 0.01;
    let solved = 0;
    let skipped = 0;
    let atTheMoneySkipped = 0;
    for (const moneyness of [0.5, 0.7, 0.9, 0.97, 1, 1.03, 1.1, 1.3, 1.5]) {
      for (const years of [1 / 365, 7 / 365, 30 / 365, 0.25, 1, 2]) {
        for (const vol of [0.05, 0.1, 0.2, 0.4, 0.8, 1.2, 2]) {
          for (const right of ['C', 'P'] as const) {
            const strike = spot * moneyness;
            const g = bsGreeks({ right, spot, strike, years, rate, vol, dividendYield });
            // Skip points where the price barely depends on vol (e.g. a 1-day 50%-OTM option at 5% vol is
            // worth 1e-300): a change of 1e-6 in vol must move the price by more than ~1e-11 (100× the
            // rounding noise of a price near 100), i.e. vega per unit of vol ≥ 1e-5, or no solver can
            // tell the volatilities apart.
            if (g.vega * 100 < 1e-5) {
              skipped++;
              if (moneyness === 1) atTheMoneySkipped++;
              continue;
            }
            const result = impliedVol({ right, spot, strike, years, rate, dividendYield, price: g.price });
            if (!result.ok) throw new Error(`${right} K=${strike} T=${years} σ=${vol}: ${result.reason}`);
            expectNear(result.vol, vol, 1e-6, 1e-6);
            expect(result.iterations).toBeLessThanOrEqual(100);
            solved++;
          }
        }
      }
    }
    // The skip rule only drops the far-from-the-money, short, low-vol corner: at the money every
    // point is solved, and most of the grid is.
    expect(atTheMoneySkipped).toBe(0);
    expect(solved).toBeGreaterThan(3 * skipped);
  });

  it('round-trips random invertible inputs (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          right: fc.constantFrom<'C' | 'P'>('C', 'P'),
          spot: fc.double({ min: 5, max: 1000, noNaN: true }),
          moneyness: fc.double({ min: 0.5, max: 1.5, noNaN: true }),
          years: fc.double({ min: 1 / 365, max: 2, noNaN: true }),
          rate: fc.double({ min: 0, max: 0.08, noNaN: true }),
          dividendYield: fc.double({ min: 0, max: 0.04, noNaN: true }),
          vol: fc.double({ min: 0.05, max: 2, noNaN: true }),
        }),
        ({ right, spot, moneyness, years, rate, dividendYield, vol }) => {
          const strike = spot * moneyness;
          const g = bsGreeks({ right, spot, strike, years, rate, vol, dividendYield });
          // Same invertibility rule as the grid, scaled to the price level.
          fc.pre(g.vega * 100 >= 1e-7 * Math.max(spot, strike));
          const result = impliedVol({ right, spot, strike, years, rate, dividendYield, price: g.price });
          expect(result.ok).toBe(true);
          if (result.ok) expectNear(result.vol, vol, 1e-6, 1e-5);
        },
      ),
    );
  });

  it('rejects prices below intrinsic with the numbers in the reason', () => {
    // Put, S=100, K=110, r=q=0: lower bound K − S = 10; a price of 9.50 is an arbitrage.
    const r = impliedVol({ right: 'P', spot: 100, strike: 110, years: 0.5, rate: 0, price: 9.5 });
    expect(r).toEqual({ ok: false, reason: 'price 9.50 is below intrinsic lower bound 10.00' });
    // Call, S=42, K=40, r=0, T=1: lower bound 2.
    const c = impliedVol({ right: 'C', spot: 42, strike: 40, years: 1, rate: 0, price: 1.5 });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toContain('below intrinsic lower bound 2.00');
  });

  it('rejects prices above the upper bound (call ≤ S e^{−qT}, put ≤ K e^{−rT})', () => {
    const c = impliedVol({ right: 'C', spot: 50, strike: 40, years: 1, rate: 0, price: 50.01 });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toMatch(/price 50\.01 is above .*upper bound 50\.00/);
    const p = impliedVol({ right: 'P', spot: 50, strike: 40, years: 1, rate: 0, price: 41 });
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.reason).toMatch(/price 41\.00 is above .*upper bound 40\.00/);
  });

  it('rejects any price outside the no-arbitrage bounds (property)', () => {
    fc.assert(
      fc.property(
        moderateInputs,
        fc.double({ min: 1e-6, max: 10, noNaN: true }),
        fc.boolean(),
        (a, gapFraction, below) => {
          const { right, spot, strike, years, rate, dividendYield = 0 } = toInputs(a);
          const fwd = spot * Math.exp(-dividendYield * years);
          const pvK = strike * Math.exp(-rate * years);
          const lower = right === 'C' ? Math.max(0, fwd - pvK) : Math.max(0, pvK - fwd);
          const upper = right === 'C' ? fwd : pvK;
          const gap = gapFraction * 0.01 * spot;
          fc.pre(!below || lower - gap > 0);
          const price = below ? lower - gap : upper + gap;
          const r = impliedVol({ right, spot, strike, years, rate, dividendYield, price });
          expect(r.ok).toBe(false);
          if (!r.ok)
            expect(r.reason).toMatch(
              below ? /below intrinsic lower bound/ : /above the no-arbitrage upper bound/,
            );
        },
      ),
    );
  });

  it('rejects non-finite inputs and expired options', () => {
    const base = { right: 'C' as const, spot: 100, strike: 100, years: 0.5, rate: 0.03, price: 5 };
    const reasonOf = (r: ReturnType<typeof impliedVol>) => (r.ok ? 'ok' : r.reason);
    expect(reasonOf(impliedVol({ ...base, price: Number.NaN }))).toMatch(/price/);
    expect(reasonOf(impliedVol({ ...base, spot: Number.POSITIVE_INFINITY }))).toMatch(/spot/);
    expect(reasonOf(impliedVol({ ...base, strike: Number.NaN }))).toMatch(/strike/);
    expect(reasonOf(impliedVol({ ...base, rate: Number.NaN }))).toMatch(/rate/);
    expect(reasonOf(impliedVol({ ...base, dividendYield: Number.NEGATIVE_INFINITY }))).toMatch(
      /dividendYield/,
    );
    expect(reasonOf(impliedVol({ ...base, years: 0 }))).toMatch(/years 0 must be positive/);
    expect(reasonOf(impliedVol({ ...base, years: -0.1 }))).toMatch(/years/);
    expect(reasonOf(impliedVol({ ...base, spot: 0 }))).toMatch(/spot/);
  });

  it('says so when the implied vol lies outside the searched range', () => {
    // ATM, T=1, r=q=0: the value at vol 5 is S·(2N(2.5) − 1) ≈ 98.76; 99.5 is below the bound 100 yet
    // needs a vol above 5.
    const high = impliedVol({ right: 'C', spot: 100, strike: 100, years: 1, rate: 0, price: 99.5 });
    expect(high.ok).toBe(false);
    if (!high.ok) expect(high.reason).toMatch(new RegExp(`above the value at volatility ${IV_MAX}`));
    // Exactly intrinsic (no time value) for an ATM option implies a vol of 0, below the range.
    const low = impliedVol({ right: 'C', spot: 100, strike: 100, years: 1, rate: 0, price: 0 });
    expect(low.ok).toBe(false);
    if (!low.ok) expect(low.reason).toMatch(new RegExp(`volatility ${IV_MIN}`));
  });
});

describe('probabilityAbove', () => {
  it('is N(d2) with risk-neutral drift r − q', () => {
    // Hand-worked: S = L = 100, r = q = 0, σ = 20%, T = 1 → d2 = −σ√T/2 = −0.1, N(−0.1) = 0.460172162722971.
    expectNear(
      probabilityAbove({ spot: 100, level: 100, years: 1, rate: 0, vol: 0.2 }),
      0.460172162722971,
      1e-15,
    );
    fc.assert(
      fc.property(moderateInputs, ({ spot, moneyness, years, rate, vol, dividendYield }) => {
        const level = spot * moneyness;
        const d2 =
          (Math.log(spot / level) + (rate - dividendYield - (vol * vol) / 2) * years) /
          (vol * Math.sqrt(years));
        expectNear(probabilityAbove({ spot, level, years, rate, vol, dividendYield }), normCdf(d2), 1e-14);
      }),
    );
  });

  it('equals the digital call value grown at the rate: P(S_T > K) = −e^{rT} ∂C/∂K', () => {
    fc.assert(
      fc.property(moderateInputs, ({ spot, moneyness, years, rate, vol, dividendYield }) => {
        const strike = spot * moneyness;
        const h = 1e-4 * strike * vol * Math.sqrt(years);
        const call = (k: number) => bsPrice({ right: 'C', spot, strike: k, years, rate, vol, dividendYield });
        const digital = (-(call(strike + h) - call(strike - h)) / (2 * h)) * Math.exp(rate * years);
        expectNear(probabilityAbove({ spot, level: strike, years, rate, vol, dividendYield }), digital, 1e-6);
      }),
    );
  });

  it('falls as the level rises and has the right limits', () => {
    fc.assert(
      fc.property(
        moderateInputs,
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        ({ spot, years, rate, vol }, m1, m2) => {
          const [lo, hi] = m1 <= m2 ? [m1, m2] : [m2, m1];
          const p = (level: number) => probabilityAbove({ spot, level, years, rate, vol });
          expect(p(spot * lo)).toBeGreaterThanOrEqual(p(spot * hi));
        },
      ),
    );
    const base = { spot: 100, years: 0.5, rate: 0.03, vol: 0.3 };
    expect(probabilityAbove({ ...base, level: 0 })).toBe(1);
    expect(probabilityAbove({ ...base, level: Number.POSITIVE_INFINITY })).toBe(0);
    // No time left: a certainty either way.
    expect(probabilityAbove({ ...base, years: 0, level: 99 })).toBe(1);
    expect(probabilityAbove({ ...base, years: 0, level: 101 })).toBe(0);
    expect(() => probabilityAbove({ ...base, level: Number.NaN })).toThrow(/level/);
    expect(() => probabilityAbove({ ...base, level: 100, vol: -1 })).toThrow(/vol/);
  });
});

describe('probabilityBetween', () => {
  const base = { spot: 100, years: 45 / 365, rate: 0.04, dividendYield: 0.01 };

  it('is 1 over (0, ∞)', () => {
    expect(
      probabilityBetween({
        ...base,
        lower: 0,
        upper: Number.POSITIVE_INFINITY,
        volLower: 0.25,
        volUpper: 0.18,
      }),
    ).toBe(1);
  });

  it('is the difference of the two tails, each with its own vol', () => {
    const args = { ...base, lower: 92, upper: 106, volLower: 0.24, volUpper: 0.17 };
    const expected =
      probabilityAbove({ ...base, level: 92, vol: 0.24 }) -
      probabilityAbove({ ...base, level: 106, vol: 0.17 });
    expectNear(probabilityBetween(args), expected, 1e-15);
    // With one vol it is P(L < S_T < U) of a single lognormal: N(d2(L)) − N(d2(U)).
    const d2 = (level: number) =>
      (Math.log(100 / level) + (0.04 - 0.01 - 0.02) * base.years) / (0.2 * Math.sqrt(base.years));
    expectNear(
      probabilityBetween({ ...base, lower: 95, upper: 105, volLower: 0.2, volUpper: 0.2 }),
      normCdf(d2(95)) - normCdf(d2(105)),
      1e-14,
    );
  });

  it('stays within [0, 1], and is 0 for an empty or inverted range', () => {
    // A narrow range where a high put-side vol and a low call-side vol make the raw difference negative:
    // r = q = 0, T = 1: P(S_T > 100 | σ=1) = N(−0.5) ≈ 0.31 < P(S_T > 100.5 | σ=0.05) ≈ N(−0.125) ≈ 0.45.
    const crossed = { spot: 100, years: 1, rate: 0, lower: 100, upper: 100.5, volLower: 1, volUpper: 0.05 };
    expect(probabilityBetween(crossed)).toBe(0);
    expect(probabilityBetween({ ...crossed, lower: 101, upper: 99, volLower: 0.2, volUpper: 0.2 })).toBe(0);
    fc.assert(
      fc.property(
        fc.double({ min: 0.2, max: 2, noNaN: true }),
        fc.double({ min: 0.2, max: 2, noNaN: true }),
        fc.double({ min: 0.05, max: 1.5, noNaN: true }),
        fc.double({ min: 0.05, max: 1.5, noNaN: true }),
        (m1, m2, volLower, volUpper) => {
          const p = probabilityBetween({ ...base, lower: 100 * m1, upper: 100 * m2, volLower, volUpper });
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
