import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { historicalVolatility, ivRank, trendPercentile } from '#core/market-context';

describe('historicalVolatility', () => {
  it('is zero for a constant growth path (every log return equal)', () => {
    const closes = Array.from({ length: 30 }, (_, i) => 100 * 1.01 ** i);
    expect(historicalVolatility(closes)).toBeCloseTo(0, 12);
  });

  it('matches a hand computation for alternating ±1% log returns', () => {
    // Returns alternate +0.01, −0.01 (20 of them): mean 0, sample variance = 20·0.0001/19.
    const closes = [100];
    for (let i = 0; i < 20; i++) closes.push(closes[i]! * Math.exp(i % 2 === 0 ? 0.01 : -0.01));
    const expected = Math.sqrt(((20 * 0.0001) / 19) * 252);
    expect(historicalVolatility(closes, 20)).toBeCloseTo(expected, 12);
  });

  it('needs window + 1 closes and names a bad value', () => {
    expect(historicalVolatility([100, 101], 20)).toBeUndefined();
    const closes = Array.from({ length: 21 }, () => 100);
    closes[5] = Number.NaN;
    expect(() => historicalVolatility(closes, 20)).toThrow(/closes\[5\] is NaN/);
  });
});

describe('ivRank', () => {
  it('places the current IV between the year low and high', () => {
    // low 0.10, high 0.30: 0.25 sits 75% of the way up.
    expect(ivRank([0.1, 0.2, 0.3, 0.15], 0.25)).toBeCloseTo(75, 12);
    expect(ivRank([0.1, 0.2, 0.3], 0.3)).toBeCloseTo(100, 12);
    expect(ivRank([0.1, 0.2, 0.3], 0.1)).toBeCloseTo(0, 12);
  });

  it('uses only the lookback window', () => {
    // The 0.9 spike is older than the 3-day lookback, so it does not widen the range.
    expect(ivRank([0.9, 0.1, 0.2, 0.3], 0.2, 3)).toBeCloseTo(50, 12);
  });

  it('stays within 0–100 for any history', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 3, noNaN: true }), { minLength: 2, maxLength: 300 }),
        fc.double({ min: 0.01, max: 3, noNaN: true }),
        (history, current) => {
          const rank = ivRank(history, current)!;
          return rank >= 0 && rank <= 100;
        },
      ),
    );
  });
});

describe('trendPercentile', () => {
  it('is high after an unusual rally and low after an unusual fall', () => {
    const flatThenUp = [...Array.from({ length: 200 }, (_, i) => 100 + Math.sin(i) * 0.5)];
    for (let i = 0; i < 20; i++) flatThenUp.push(flatThenUp[flatThenUp.length - 1]! * 1.01);
    expect(trendPercentile(flatThenUp)!).toBeGreaterThan(95);

    const flatThenDown = [...Array.from({ length: 200 }, (_, i) => 100 + Math.sin(i) * 0.5)];
    for (let i = 0; i < 20; i++) flatThenDown.push(flatThenDown[flatThenDown.length - 1]! * 0.99);
    expect(trendPercentile(flatThenDown)!).toBeLessThan(5);
  });

  it('reads a flat history as 50', () => {
    expect(trendPercentile(Array.from({ length: 60 }, () => 100))).toBe(50);
  });
});
