import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconnectDelay, withinDailyWindow } from '#bridge/reconnect';
import { ibError, isWarning, mapIbError } from '#bridge/errors';
import { contractView, isoFromIb, parseIbTime } from '#bridge/ib-service';
import { parseEnv } from '#bridge/main';
import {
  computedPriceOrAbsent,
  deltaOrAbsent,
  greekOrAbsent,
  numericStringOrAbsent,
  priceOrAbsent,
  sizeOrAbsent,
} from '#bridge/sentinels';

describe('IB sentinels become absent values', () => {
  it('drops −1 prices, −2 greeks, MAX_VALUE / MAX_SAFE_INTEGER and non-numbers', () => {
    for (const sentinel of [
      Number.MAX_VALUE,
      1.7976931348623157e308,
      Number.MAX_SAFE_INTEGER,
      NaN,
      Infinity,
      undefined,
      null,
      '1.5',
    ]) {
      expect(priceOrAbsent(sentinel)).toBeUndefined();
      expect(greekOrAbsent(sentinel)).toBeUndefined();
      expect(sizeOrAbsent(sentinel)).toBeUndefined();
    }
    expect(priceOrAbsent(-1)).toBeUndefined();
    expect(computedPriceOrAbsent(-1)).toBeUndefined();
    expect(greekOrAbsent(-2)).toBeUndefined();
    expect(deltaOrAbsent(-2)).toBeUndefined();
  });

  it('keeps real values that merely look special: a zero bid, a delta of −1, a theta of −1', () => {
    expect(priceOrAbsent(0)).toBe(0);
    expect(deltaOrAbsent(-1)).toBe(-1); // a deep in-the-money put
    expect(greekOrAbsent(-1)).toBe(-1);
    expect(deltaOrAbsent(1.5)).toBeUndefined(); // not a delta at all
  });

  it('law: every finite ordinary value passes through unchanged', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (x) => {
        expect(priceOrAbsent(x)).toBe(x);
        expect(sizeOrAbsent(x)).toBe(x);
        expect(computedPriceOrAbsent(x)).toBe(x);
      }),
    );
    fc.assert(fc.property(fc.double({ min: -1, max: 1, noNaN: true }), (d) => deltaOrAbsent(d) === d));
  });

  it('reads IB number strings (account values, what-if margins)', () => {
    expect(numericStringOrAbsent('1,234.5')).toBe(1234.5);
    expect(numericStringOrAbsent('')).toBeUndefined();
    expect(numericStringOrAbsent('1.7976931348623157E308')).toBeUndefined();
  });
});

describe('IB error codes map to HTTP statuses that say whether a retry helps', () => {
  it.each([
    [502, 503, true], // couldn't connect
    [504, 503, true], // not connected
    [1100, 503, true],
    [326, 503, true],
    [100, 429, true], // message rate exceeded
    [101, 429, true], // too many tickers
    [200, 422, false], // no security definition
    [201, 422, false], // order rejected
    [10147, 404, false], // order to cancel not found
    [104, 409, false], // can't modify a filled order
  ])('code %i → %i (retryable %s)', (code, status, retryable) => {
    expect(mapIbError(code)).toEqual({ status, retryable });
  });

  it('splits 162 by its message: pacing is retryable, no data is not', () => {
    expect(
      mapIbError(
        162,
        'Historical Market Data Service error message:Historical data request pacing violation',
      ),
    ).toEqual({ status: 429, retryable: true });
    expect(
      mapIbError(162, 'Historical Market Data Service error message:HMDS query returned no data'),
    ).toEqual({ status: 422, retryable: false });
  });

  it('law: every retryable mapping is 429 or 5xx, every non-retryable one 4xx', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 20_000 }), (code) => {
        const { status, retryable } = mapIbError(code);
        return retryable ? status === 429 || status >= 500 : status >= 400 && status < 500 && status !== 429;
      }),
    );
  });

  it('builds the JSON body with IB code and message', () => {
    expect(ibError(200, 'No security definition').toBody()).toEqual({
      error: { code: 200, message: 'No security definition', retryable: false },
    });
    expect(isWarning(2104)).toBe(true);
    expect(isWarning(200)).toBe(false);
  });
});

describe('reconnect backoff', () => {
  const backoff = { initialMs: 1000, maxMs: 60_000 };

  it('doubles per attempt up to the cap, with jitter between half and all of the step', () => {
    // attempt n's step is min(60 s, 1 s × 2^(n−1)); equal jitter puts the delay in [step/2, step]
    expect(reconnectDelay(1, backoff, 0)).toBe(500);
    expect(reconnectDelay(1, backoff, 1)).toBe(1000);
    expect(reconnectDelay(4, backoff, 0.5)).toBe(6000); // step 8 s → 4 s + 0.5 × 4 s
    expect(reconnectDelay(20, backoff, 1)).toBe(60_000);
    expect(reconnectDelay(1, backoff, 0, true)).toBe(30_000); // duplicate client id: straight to the cap
  });

  it('law: never above the cap, never below half of its step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, r) => {
          const d = reconnectDelay(n, backoff, r);
          const step = Math.min(60_000, 1000 * 2 ** (n - 1));
          return d <= 60_000 && d >= step / 2 && d <= step;
        },
      ),
    );
  });
});

describe('nightly restart window (New York time)', () => {
  const window = { start: '23:45', end: '01:00', timeZone: 'America/New_York' };
  it('wraps past midnight', () => {
    // 2026-11-24 is in EST (UTC−5): 04:50 UTC = 23:50 ET the day before, 05:30 UTC = 00:30 ET
    expect(withinDailyWindow(Date.UTC(2026, 10, 24, 4, 50), window)).toBe(true);
    expect(withinDailyWindow(Date.UTC(2026, 10, 24, 5, 30), window)).toBe(true);
    expect(withinDailyWindow(Date.UTC(2026, 10, 24, 6, 0), window)).toBe(false); // 01:00 ET: the end is exclusive
    expect(withinDailyWindow(Date.UTC(2026, 10, 24, 15, 0), window)).toBe(false); // 10:00 ET
  });
});

describe('IB dates and times', () => {
  it('keeps the first 8 characters of expiries (the decoder leaves "20230623 16:00:00 US/Eastern" whole)', () => {
    expect(isoFromIb('20230623 16:00:00 US/Eastern')).toBe('2023-06-23');
    expect(isoFromIb('20261218')).toBe('2026-12-18');
    expect(isoFromIb('garbage')).toBeUndefined();
  });

  it('reads execution times in UTC, with a zone name, or in the gateway zone', () => {
    // 10:15:32 in New York on 2026-11-24 (EST, UTC−5) is 15:15:32 UTC
    const expected = Date.UTC(2026, 10, 24, 15, 15, 32);
    expect(parseIbTime('20261124-15:15:32')).toBe(expected);
    expect(parseIbTime('20261124 10:15:32 US/Eastern')).toBe(expected);
    expect(parseIbTime('20261124  10:15:32', 'America/New_York')).toBe(expected);
    // in July New York is on EDT (UTC−4)
    expect(parseIbTime('20260715 09:30:00 America/New_York')).toBe(Date.UTC(2026, 6, 15, 13, 30, 0));
    expect(parseIbTime('1764000000')).toBe(1_764_000_000_000);
  });

  it('reports contracts in the domain shape', () => {
    expect(
      contractView({
        conId: 5,
        symbol: 'SPY',
        secType: 'OPT' as never,
        lastTradeDateOrContractMonth: '20261218',
        strike: 580,
        right: 'P' as never,
        multiplier: '100' as never,
      }),
    ).toEqual({
      conId: 5,
      symbol: 'SPY',
      secType: 'OPT',
      expiry: '2026-12-18',
      strike: 580,
      right: 'P',
      multiplier: 100,
    });
  });
});

describe('environment', () => {
  it('names each missing or invalid variable', () => {
    const r = parseEnv({ IB_PORT: 'abc', BRIDGE_SECRET: 'short' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toContain('IB_PORT is invalid');
    expect(r.message).toContain('IB_CLIENT_ID is missing');
    expect(r.message).toContain('BRIDGE_PORT is missing');
    expect(r.message).toContain('BRIDGE_SECRET is invalid');
  });

  it('accepts a complete environment and fills the defaults', () => {
    const r = parseEnv({
      IB_HOST: 'gw',
      IB_PORT: '4004',
      IB_CLIENT_ID: '7',
      BRIDGE_PORT: '8080',
      BRIDGE_SECRET: 'x'.repeat(32),
      BRIDGE_ORDER_SECRET: 'o'.repeat(32),
      TRADING_MODE: 'paper',
      BRIDGE_MAX_CONTRACTS_PER_ORDER: '40',
      BRIDGE_MAX_CONTRACTS_PER_DAY: '400',
      EVENT_BUS_NAME: '',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.env).toMatchObject({
      IB_HOST: 'gw',
      IB_PORT: 4004,
      IB_CLIENT_ID: 7,
      BRIDGE_PORT: 8080,
      BRIDGE_HOST: '127.0.0.1',
      TRADING_MODE: 'paper',
      BRIDGE_MAX_CONTRACTS_PER_ORDER: 40,
      BRIDGE_MAX_CONTRACTS_PER_DAY: 400,
      BRIDGE_PRICE_BAND_WIDTH_FRACTION: 0.1,
    });
    expect(r.env.EVENT_BUS_NAME).toBeUndefined();
  });

  it('requires the order secret (different from the read secret), the trading mode and the limits', () => {
    const base = { IB_PORT: '4002', IB_CLIENT_ID: '1', BRIDGE_PORT: '8080', BRIDGE_SECRET: 'x'.repeat(32) };
    const missing = parseEnv(base);
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    for (const name of [
      'BRIDGE_ORDER_SECRET is missing',
      'TRADING_MODE is missing',
      'BRIDGE_MAX_CONTRACTS_PER_ORDER is missing',
      'BRIDGE_MAX_CONTRACTS_PER_DAY is missing',
    ])
      expect(missing.message).toContain(name);
    const same = parseEnv({
      ...base,
      BRIDGE_ORDER_SECRET: 'x'.repeat(32),
      TRADING_MODE: 'live',
      BRIDGE_MAX_CONTRACTS_PER_ORDER: '40',
      BRIDGE_MAX_CONTRACTS_PER_DAY: '400',
    });
    expect(same.ok).toBe(false);
    if (!same.ok)
      expect(same.message).toContain('BRIDGE_ORDER_SECRET is invalid: must differ from BRIDGE_SECRET');
  });
});
