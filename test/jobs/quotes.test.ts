// The jobs' quote checks: delayed data from the bridge is never usable, whatever its prices and age.
import { describe, expect, it } from 'vitest';
import { checkOptionQuote, checkUnderlyingQuote, DELAYED_REASON } from '#jobs/shared/quotes';
import type { Quote } from '#bridge/contract';

const NOW = Date.UTC(2026, 5, 1, 15, 0);
const option: Quote = {
  contract: { secType: 'OPT', conId: 11, symbol: 'SPY', expiry: '2026-07-17', strike: 500, right: 'P' },
  bid: 2.1,
  ask: 2.2,
  iv: 0.2,
  delta: -0.25,
  gamma: 0.01,
  theta: -0.05,
  vega: 0.3,
  openInterest: 1000,
  timestamp: NOW,
  stale: false,
};
const stock: Quote = {
  contract: { secType: 'STK', symbol: 'SPY' },
  bid: 520,
  ask: 520.1,
  timestamp: NOW,
  stale: false,
};

describe('quote checks', () => {
  it('accepts a fresh real-time quote, and refuses the same quote when IB sent it delayed', () => {
    expect(checkOptionQuote(option, NOW, 30).ok).toBe(true);
    expect(checkUnderlyingQuote(stock, 'SPY', NOW, 30).ok).toBe(true);
    expect(checkOptionQuote({ ...option, delayed: true }, NOW, 30)).toEqual({
      ok: false,
      reasons: [DELAYED_REASON],
    });
    expect(checkUnderlyingQuote({ ...stock, delayed: true }, 'SPY', NOW, 30)).toEqual({
      ok: false,
      reasons: [DELAYED_REASON],
    });
    expect(DELAYED_REASON).toMatch(/delayed/);
  });
});
