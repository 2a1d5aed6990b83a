import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IB_GREEK_NOT_COMPUTED,
  IB_NOT_COMPUTED,
  IB_NO_VALUE,
  IB_NO_VALUE_INTEGER,
  IB_NO_VALUE_SAFE_INTEGER,
  buildChain,
  daysToExpiry,
  findQuote,
  ibNumber,
  mid,
  spreadPct,
  validateOptionQuote,
  validateUnderlyingQuote,
  yearsToExpiry,
} from '#core/chain';
import type { IbNumberKind, RawOptionQuote, RawUnderlyingQuote } from '#core/chain';
import type { OptionChain, OptionContract, OptionQuote, Right, UnderlyingQuote } from '#core/types';

/** 2026-06-01 14:00 UTC = 10:00 in New York (EDT, UTC−4). */
const NOW = Date.UTC(2026, 5, 1, 14, 0, 0);
const EXPIRY = '2026-07-17';
const MAX_AGE = 60;

const contract = (strike = 580, right: Right = 'P', expiry = EXPIRY, symbol = 'SPY'): OptionContract => ({
  symbol,
  expiry,
  strike,
  right,
  multiplier: 100,
});

const raw = (over: Partial<RawOptionQuote> = {}): RawOptionQuote => ({
  contract: contract(),
  bid: 2.1,
  ask: 2.2,
  last: 2.15,
  iv: 0.21,
  delta: -0.24,
  gamma: 0.01,
  theta: -0.12,
  vega: 0.55,
  openInterest: 1200,
  volume: 300,
  timestamp: NOW - 1000,
  ...over,
});

const reasonsOf = (r: ReturnType<typeof validateOptionQuote> | ReturnType<typeof validateUnderlyingQuote>) =>
  r.ok ? [] : r.reasons;

describe('ibNumber', () => {
  const kinds: IbNumberKind[] = ['price', 'greek', 'size', 'iv'];

  it('treats the universal placeholders as absent for every kind', () => {
    for (const kind of kinds) {
      for (const sentinel of [
        IB_NO_VALUE,
        1.7976931348623157e308,
        IB_NO_VALUE_SAFE_INTEGER,
        9007199254740991,
        2 ** 63 - 1, // Java Long.MAX_VALUE (rounds to 2^63 as a double)
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        undefined,
        null,
      ]) {
        expect(ibNumber(sentinel, kind), `${kind} ${String(sentinel)}`).toBeUndefined();
      }
    }
  });

  it('reads −1 as "not computed" for prices, sizes and IV', () => {
    expect(IB_NOT_COMPUTED).toBe(-1);
    expect(ibNumber(-1, 'price')).toBeUndefined();
    expect(ibNumber(-1, 'size')).toBeUndefined();
    expect(ibNumber(-1, 'iv')).toBeUndefined();
  });

  it('reads only exactly −2 as "not computed" for greeks; negative deltas and thetas are real', () => {
    expect(IB_GREEK_NOT_COMPUTED).toBe(-2);
    expect(ibNumber(-2, 'greek')).toBeUndefined();
    expect(ibNumber(-1, 'greek')).toBe(-1); // a deep in-the-money put
    expect(ibNumber(-0.35, 'greek')).toBe(-0.35);
    expect(ibNumber(-2.0001, 'greek')).toBe(-2.0001);
    expect(ibNumber(0.5, 'greek')).toBe(0.5);
  });

  it('keeps real values, including zero, and passes other negative prices on for validation', () => {
    for (const kind of kinds) expect(ibNumber(0, kind)).toBe(0);
    expect(ibNumber(2.15, 'price')).toBe(2.15);
    expect(ibNumber(-0.05, 'price')).toBe(-0.05);
    expect(ibNumber(1500, 'size')).toBe(1500);
    expect(ibNumber(0.2, 'iv')).toBe(0.2);
  });

  it("drops what cannot be a size or an IV: negatives and IB's Integer.MAX_VALUE", () => {
    expect(ibNumber(IB_NO_VALUE_INTEGER, 'size')).toBeUndefined();
    expect(ibNumber(-5, 'size')).toBeUndefined();
    expect(ibNumber(-0.3, 'iv')).toBeUndefined();
  });

  it('returns finite numbers unchanged or undefined, never a sentinel (property)', () => {
    fc.assert(
      fc.property(fc.double(), fc.constantFrom(...kinds), (x, kind) => {
        const v = ibNumber(x, kind);
        if (v !== undefined) {
          expect(v).toBe(x);
          expect(Math.abs(v)).toBeLessThan(Number.MAX_SAFE_INTEGER);
        }
      }),
    );
  });
});

describe('validateOptionQuote', () => {
  it('accepts a good quote and keeps its figures', () => {
    const r = validateOptionQuote(raw(), NOW, MAX_AGE);
    expect(r).toEqual({
      ok: true,
      quote: {
        contract: contract(),
        bid: 2.1,
        ask: 2.2,
        last: 2.15,
        iv: 0.21,
        delta: -0.24,
        gamma: 0.01,
        theta: -0.12,
        vega: 0.55,
        openInterest: 1200,
        volume: 300,
        timestamp: NOW - 1000,
      },
    });
  });

  it('accepts a quote whose greeks are missing or sentinels, leaving them absent', () => {
    const r = validateOptionQuote(
      raw({
        iv: IB_NOT_COMPUTED,
        delta: IB_GREEK_NOT_COMPUTED,
        gamma: IB_NO_VALUE,
        theta: Number.NaN,
        vega: undefined,
        last: IB_NOT_COMPUTED,
        openInterest: IB_NO_VALUE_INTEGER,
        volume: -1,
      }),
      NOW,
      MAX_AGE,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    for (const field of ['iv', 'delta', 'gamma', 'theta', 'vega', 'last', 'openInterest', 'volume']) {
      expect(field in r.quote, field).toBe(false);
    }
    expect(r.quote.bid).toBe(2.1);
  });

  it('accepts an already validated OptionQuote unchanged', () => {
    const first = validateOptionQuote(raw(), NOW, MAX_AGE);
    if (!first.ok) throw new Error('fixture should be valid');
    expect(validateOptionQuote(first.quote, NOW, MAX_AGE)).toEqual(first);
  });

  it('keeps a zero bid (no bid for a far out-of-the-money option)', () => {
    const r = validateOptionQuote(raw({ bid: 0, ask: 0.05 }), NOW, MAX_AGE);
    expect(r.ok && r.quote.bid).toBe(0);
  });

  it('rejects a missing bid or ask', () => {
    expect(reasonsOf(validateOptionQuote(raw({ bid: undefined }), NOW, MAX_AGE))).toEqual(['bid missing']);
    expect(reasonsOf(validateOptionQuote(raw({ ask: undefined }), NOW, MAX_AGE))).toEqual(['ask missing']);
  });

  it('rejects NaN', () => {
    expect(reasonsOf(validateOptionQuote(raw({ bid: Number.NaN }), NOW, MAX_AGE))).toEqual(['bid is NaN']);
    expect(reasonsOf(validateOptionQuote(raw({ ask: Number.NaN }), NOW, MAX_AGE))).toEqual(['ask is NaN']);
  });

  it("rejects IB's no-value placeholders, naming the number", () => {
    expect(reasonsOf(validateOptionQuote(raw({ bid: IB_NO_VALUE }), NOW, MAX_AGE))).toEqual([
      'bid missing: IB sent the no-value placeholder 1.7976931348623157e+308',
    ]);
    expect(reasonsOf(validateOptionQuote(raw({ ask: IB_NO_VALUE_SAFE_INTEGER }), NOW, MAX_AGE))).toEqual([
      'ask missing: IB sent the no-value placeholder 9007199254740991',
    ]);
    expect(reasonsOf(validateOptionQuote(raw({ bid: -1 }), NOW, MAX_AGE))).toEqual([
      'bid missing: IB sent the no-value placeholder -1',
    ]);
    expect(reasonsOf(validateOptionQuote(raw({ ask: Number.POSITIVE_INFINITY }), NOW, MAX_AGE))).toEqual([
      'ask missing: IB sent the no-value placeholder Infinity',
    ]);
  });

  it('rejects bid above ask', () => {
    expect(reasonsOf(validateOptionQuote(raw({ bid: 2.3, ask: 2.2 }), NOW, MAX_AGE))).toEqual([
      'bid 2.3 is above ask 2.2',
    ]);
  });

  it('rejects a non-positive ask', () => {
    expect(reasonsOf(validateOptionQuote(raw({ bid: 0, ask: 0 }), NOW, MAX_AGE))).toEqual([
      'ask 0 is not positive',
    ]);
    expect(reasonsOf(validateOptionQuote(raw({ bid: 0, ask: -0.5 }), NOW, MAX_AGE))).toContain(
      'ask -0.5 is not positive',
    );
  });

  it('rejects a negative bid', () => {
    expect(reasonsOf(validateOptionQuote(raw({ bid: -0.05 }), NOW, MAX_AGE))).toEqual([
      'bid -0.05 is negative',
    ]);
  });

  it('rejects a stale quote, with the boundary at exactly maxAgeSeconds', () => {
    expect(validateOptionQuote(raw({ timestamp: NOW - 60_000 }), NOW, MAX_AGE).ok).toBe(true);
    expect(reasonsOf(validateOptionQuote(raw({ timestamp: NOW - 60_001 }), NOW, MAX_AGE))).toEqual([
      'stale: quote is 60.0 s old, older than 60 s',
    ]);
    expect(reasonsOf(validateOptionQuote(raw({ timestamp: NOW - 95_000 }), NOW, MAX_AGE))).toEqual([
      'stale: quote is 95.0 s old, older than 60 s',
    ]);
    // With no age limit nothing is stale.
    expect(validateOptionQuote(raw({ timestamp: 0 }), NOW, Number.POSITIVE_INFINITY).ok).toBe(true);
  });

  it('rejects a timestamp more than 5 s in the future', () => {
    expect(validateOptionQuote(raw({ timestamp: NOW + 5000 }), NOW, MAX_AGE).ok).toBe(true);
    const r = reasonsOf(validateOptionQuote(raw({ timestamp: NOW + 5001 }), NOW, MAX_AGE));
    expect(r).toHaveLength(1);
    expect(r[0]).toMatch(/^timestamp is 5\.0 s in the future/);
    expect(reasonsOf(validateOptionQuote(raw({ timestamp: NOW + 12_000 }), NOW, MAX_AGE))[0]).toMatch(
      /^timestamp is 12\.0 s in the future/,
    );
  });

  it('rejects a non-finite timestamp and a bad strike', () => {
    expect(reasonsOf(validateOptionQuote(raw({ timestamp: Number.NaN }), NOW, MAX_AGE))).toEqual([
      'timestamp NaN is not a valid time',
    ]);
    expect(reasonsOf(validateOptionQuote(raw({ contract: contract(0) }), NOW, MAX_AGE))).toEqual([
      'strike 0 is not a positive number',
    ]);
  });

  it('reports every problem at once', () => {
    const r = reasonsOf(
      validateOptionQuote(raw({ bid: Number.NaN, ask: -0.1, timestamp: NOW - 120_000 }), NOW, 60),
    );
    expect(r).toEqual([
      'bid is NaN',
      'ask -0.1 is not positive',
      'stale: quote is 120.0 s old, older than 60 s',
    ]);
  });
});

describe('validateUnderlyingQuote', () => {
  const under = (over: Partial<RawUnderlyingQuote> = {}): RawUnderlyingQuote => ({
    symbol: 'SPY',
    bid: 599.9,
    ask: 600.1,
    last: 600.05,
    timestamp: NOW - 500,
    ...over,
  });

  it('prices from the bid/ask mid, else the last trade', () => {
    const r = validateUnderlyingQuote(under(), NOW, MAX_AGE);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.quote.price).toBeCloseTo(600, 10);
      expect(r.quote).toMatchObject({ symbol: 'SPY', bid: 599.9, ask: 600.1, timestamp: NOW - 500 });
    }
    const lastOnly = validateUnderlyingQuote(under({ bid: IB_NO_VALUE, ask: -1 }), NOW, MAX_AGE);
    expect(lastOnly).toEqual({ ok: true, quote: { symbol: 'SPY', price: 600.05, timestamp: NOW - 500 } });
  });

  it('rejects a quote with no usable price, naming what it saw', () => {
    expect(
      reasonsOf(validateUnderlyingQuote(under({ bid: IB_NO_VALUE, ask: undefined, last: -1 }), NOW, MAX_AGE)),
    ).toEqual(['no price: bid 1.7976931348623157e+308, ask NaN, last -1']);
  });

  it('rejects crossed or non-positive figures, NaN, stale and future quotes', () => {
    expect(reasonsOf(validateUnderlyingQuote(under({ bid: 601, ask: 600 }), NOW, MAX_AGE))).toEqual([
      'bid 601 is above ask 600',
    ]);
    expect(reasonsOf(validateUnderlyingQuote(under({ last: 0 }), NOW, MAX_AGE))).toEqual([
      'last 0 is not positive',
    ]);
    expect(reasonsOf(validateUnderlyingQuote(under({ bid: Number.NaN }), NOW, MAX_AGE))).toContain(
      'bid is NaN',
    );
    expect(validateUnderlyingQuote(under({ timestamp: NOW - 60_000 }), NOW, MAX_AGE).ok).toBe(true);
    expect(reasonsOf(validateUnderlyingQuote(under({ timestamp: NOW - 60_001 }), NOW, MAX_AGE))).toEqual([
      'stale: quote is 60.0 s old, older than 60 s',
    ]);
    expect(reasonsOf(validateUnderlyingQuote(under({ timestamp: NOW + 6000 }), NOW, MAX_AGE))[0]).toMatch(
      /in the future/,
    );
  });
});

describe('mid and spreadPct', () => {
  it('works a hand example: bid 1.00, ask 1.20 → mid 1.10, spread 0.20 / 1.10 = 18.18%', () => {
    expect(mid({ bid: 1, ask: 1.2 })).toBeCloseTo(1.1, 12);
    expect(spreadPct({ bid: 1, ask: 1.2 })).toBeCloseTo((0.2 / 1.1) * 100, 10);
  });

  it('gives 0% for a locked market and 200% for a zero bid', () => {
    expect(spreadPct({ bid: 2.5, ask: 2.5 })).toBe(0);
    // bid 0, ask a: width a over mid a/2.
    expect(spreadPct({ bid: 0, ask: 0.1 })).toBeCloseTo(200, 10);
  });

  it('is infinite when the mid is not positive', () => {
    expect(spreadPct({ bid: 0, ask: 0 })).toBe(Number.POSITIVE_INFINITY);
  });

  it('scales: spread% is unchanged when both sides are multiplied by the same factor', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (bid, width, k) => {
          const q = { bid, ask: bid + width };
          expect(mid(q)).toBeGreaterThanOrEqual(q.bid);
          expect(mid(q)).toBeLessThanOrEqual(q.ask);
          expect(spreadPct({ bid: bid * k, ask: (bid + width) * k })).toBeCloseTo(spreadPct(q), 8);
        },
      ),
    );
  });
});

describe('buildChain and findQuote', () => {
  const underlying: UnderlyingQuote = { symbol: 'SPY', price: 600, timestamp: NOW };
  const q = (strike: number, right: Right, expiry: string, timestamp = NOW, bid = 1): OptionQuote => ({
    contract: contract(strike, right, expiry),
    bid,
    ask: bid + 0.1,
    timestamp,
  });

  it('sorts unique expiries and strikes, and sorts the quotes', () => {
    const chain = buildChain(underlying, [
      q(600, 'C', '2026-08-21'),
      q(580, 'P', '2026-07-17'),
      q(600, 'P', '2026-07-17'),
      q(590.5, 'C', '2026-07-17'),
      q(580, 'C', '2026-07-17'),
      q(610, 'P', '2026-06-19'),
    ]);
    expect(chain.underlying).toBe(underlying);
    expect(chain.expiries).toEqual(['2026-06-19', '2026-07-17', '2026-08-21']);
    expect(chain.strikes).toEqual([580, 590.5, 600, 610]);
    expect(chain.quotes.map((x) => `${x.contract.expiry} ${x.contract.strike}${x.contract.right}`)).toEqual([
      '2026-06-19 610P',
      '2026-07-17 580C',
      '2026-07-17 580P',
      '2026-07-17 590.5C',
      '2026-07-17 600P',
      '2026-08-21 600C',
    ]);
  });

  it('keeps the newer quote when a contract is quoted twice', () => {
    const older = q(580, 'P', EXPIRY, NOW - 5000, 1);
    const newer = q(580, 'P', EXPIRY, NOW - 1000, 2);
    for (const order of [
      [older, newer],
      [newer, older],
    ]) {
      const chain = buildChain(underlying, order);
      expect(chain.quotes).toHaveLength(1);
      expect(findQuote(chain, EXPIRY, 580, 'P')).toBe(newer);
    }
  });

  it('finds each quote by expiry, strike and right, and nothing else', () => {
    const p = q(580, 'P', EXPIRY);
    const c = q(580, 'C', EXPIRY);
    const chain = buildChain(underlying, [p, c]);
    expect(findQuote(chain, EXPIRY, 580, 'P')).toBe(p);
    expect(findQuote(chain, EXPIRY, 580, 'C')).toBe(c);
    expect(findQuote(chain, EXPIRY, 575, 'P')).toBeUndefined();
    expect(findQuote(chain, '2026-08-21', 580, 'P')).toBeUndefined();
  });

  it('finds a strike computed with rounding error (0.1 + 0.2 → 0.3)', () => {
    const cheap = { ...q(0.3, 'C', EXPIRY), contract: contract(0.3, 'C', EXPIRY) };
    const chain = buildChain(underlying, [cheap]);
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(findQuote(chain, EXPIRY, 0.1 + 0.2, 'C')).toBe(cheap);
  });

  it('works on a chain written as a plain object (index built on first use)', () => {
    const p = q(580, 'P', EXPIRY);
    const chain: OptionChain = { underlying, expiries: [EXPIRY], strikes: [580], quotes: [p] };
    expect(findQuote(chain, EXPIRY, 580, 'P')).toBe(p);
    // The index follows a replaced quote list.
    const p2 = q(575, 'P', EXPIRY);
    chain.quotes = [p, p2];
    expect(findQuote(chain, EXPIRY, 575, 'P')).toBe(p2);
  });

  it('refuses a quote for another symbol', () => {
    const other = { ...q(400, 'C', EXPIRY), contract: contract(400, 'C', EXPIRY, 'QQQ') };
    expect(() => buildChain(underlying, [other])).toThrow(/QQQ/);
  });

  it('indexes every listed contract (property)', () => {
    const contractArb = fc.record({
      strike: fc.integer({ min: 1, max: 2000 }).map((n) => n / 2),
      right: fc.constantFrom<Right>('C', 'P'),
      expiry: fc.constantFrom('2026-06-19', '2026-07-17', '2026-08-21', '2026-12-18'),
    });
    fc.assert(
      fc.property(fc.array(contractArb, { maxLength: 60 }), (specs) => {
        const quotes = specs.map((s, i) => q(s.strike, s.right, s.expiry, NOW + i));
        const chain = buildChain(underlying, quotes);
        const keys = new Set(specs.map((s) => `${s.expiry}|${s.strike}|${s.right}`));
        expect(chain.quotes).toHaveLength(keys.size);
        expect(chain.strikes).toEqual([...new Set(specs.map((s) => s.strike))].sort((a, b) => a - b));
        expect(chain.expiries).toEqual([...new Set(specs.map((s) => s.expiry))].sort());
        // The last (newest) quote of each contract is the one found.
        specs.forEach((s, i) => {
          const found = findQuote(chain, s.expiry, s.strike, s.right);
          const lastIndex = specs.findLastIndex(
            (t) => t.expiry === s.expiry && t.strike === s.strike && t.right === s.right,
          );
          if (i === lastIndex) expect(found).toBe(quotes[i]);
        });
        expect(findQuote(chain, '2027-01-15', 100, 'C')).toBeUndefined();
      }),
    );
  });
});

describe('daysToExpiry', () => {
  it('counts calendar days', () => {
    // June has 30 days: 29 days to June 30, then 17 more to July 17.
    expect(daysToExpiry('2026-06-01', '2026-07-17')).toBe(46);
    expect(daysToExpiry('2026-06-01', '2026-06-01')).toBe(0);
    expect(daysToExpiry('2026-06-02', '2026-06-01')).toBe(-1);
    // Leap year: 2028-02-29 exists.
    expect(daysToExpiry('2028-02-28', '2028-03-01')).toBe(2);
    expect(daysToExpiry('2027-02-28', '2027-03-01')).toBe(1);
    // Across the November DST change: still whole days.
    expect(daysToExpiry('2026-10-30', '2026-11-06')).toBe(7);
    expect(daysToExpiry('2026-12-31', '2027-01-01')).toBe(1);
  });

  it('rejects malformed dates', () => {
    expect(() => daysToExpiry('2026-6-1', '2026-07-17')).toThrow(RangeError);
  });
});

describe('yearsToExpiry', () => {
  it('counts to 16:00 New York on the expiry date', () => {
    // 10:00 EDT on June 1 → 16:00 same day: 6 hours = 0.25 day.
    expect(yearsToExpiry(NOW, '2026-06-01')).toBeCloseTo(0.25 / 365, 15);
    // 30 calendar days later: 30.25 days.
    expect(yearsToExpiry(NOW, '2026-07-01')).toBeCloseTo(30.25 / 365, 15);
    // In winter (EST, UTC−5): 15:00 UTC is 10:00 in New York.
    expect(yearsToExpiry(Date.UTC(2026, 0, 15, 15, 0, 0), '2026-01-16')).toBeCloseTo(1.25 / 365, 15);
  });

  it('uses the New York date, not the UTC date', () => {
    // 02:00 UTC on June 2 is 22:00 EDT on June 1: one calendar day minus 6 hours to June 2 16:00.
    expect(yearsToExpiry(Date.UTC(2026, 5, 2, 2, 0, 0), '2026-06-02')).toBeCloseTo(0.75 / 365, 15);
  });

  it('is zero at the close on expiry day and negative after it', () => {
    expect(yearsToExpiry(Date.UTC(2026, 5, 1, 20, 0, 0), '2026-06-01')).toBeCloseTo(0, 15);
    expect(yearsToExpiry(Date.UTC(2026, 5, 1, 21, 0, 0), '2026-06-01')).toBeCloseTo(-1 / 24 / 365, 15);
  });

  it('falls by exactly the elapsed time within a day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 * 3_600_000 }), (ms) => {
        const diffYears = yearsToExpiry(NOW, EXPIRY) - yearsToExpiry(NOW + ms, EXPIRY);
        expect(diffYears).toBeCloseTo(ms / 86_400_000 / 365, 12);
      }),
    );
  });
});
