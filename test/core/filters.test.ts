import { describe, expect, it } from 'vitest';
import { parseConfig, type ConfigInput } from '#core/config';
import { legKey } from '#core/chain';
import { hardFilterReasons, type FilterContext } from '#core/filters';
import type { Candidate, MarketContext, OptionQuote } from '#core/types';
import { NOW, TRADE_DATE, addDays, quote } from './fixtures/chain';

const EXPIRY = addDays(TRADE_DATE, 45); // 2026-07-16

// A bull put that passes every filter with the defaults: SPY 580/575, 45 DTE, fresh quotes,
// credit 2.10 − 1.50 = 0.60 (credit/width 0.12 ≥ 0.10, credit ≥ 0.30), leg spreads 9.5% and 13.3% of mid.
function bullPut(overrides: Partial<Candidate> = {}): Candidate {
  const short = quote({
    expiry: EXPIRY,
    strike: 580,
    right: 'P',
    bid: 2.0,
    ask: 2.2,
    delta: -0.25,
    iv: 0.2,
    conId: 11,
  });
  const long = quote({
    expiry: EXPIRY,
    strike: 575,
    right: 'P',
    bid: 1.4,
    ask: 1.6,
    delta: -0.2,
    iv: 0.21,
    conId: 12,
  });
  return {
    id: `SPY:BULL_PUT:${EXPIRY}:P580/575`,
    strategy: 'BULL_PUT',
    symbol: 'SPY',
    expiry: EXPIRY,
    dte: 45,
    legs: [
      { contract: short.contract, action: 'SELL', ratio: 1, quote: short },
      { contract: long.contract, action: 'BUY', ratio: 1, quote: long },
    ],
    width: 5,
    creditMid: 0.6,
    creditNatural: 0.4,
    maxProfitUsd: 60,
    maxLossUsd: 440,
    breakevens: [579.4],
    pop: 0.8,
    expectedValueUsd: -40,
    underlyingPrice: 600,
    ...overrides,
  };
}

// A bear call 620/625 with the short call OTM: extrinsic value = its whole mid 1.90.
function bearCall(): Candidate {
  const short = quote({
    expiry: EXPIRY,
    strike: 620,
    right: 'C',
    bid: 1.8,
    ask: 2.0,
    delta: 0.22,
    iv: 0.16,
    conId: 21,
  });
  const long = quote({
    expiry: EXPIRY,
    strike: 625,
    right: 'C',
    bid: 1.0,
    ask: 1.2,
    delta: 0.15,
    iv: 0.15,
    conId: 22,
  });
  return {
    ...bullPut(),
    id: `SPY:BEAR_CALL:${EXPIRY}:C620/625`,
    strategy: 'BEAR_CALL',
    legs: [
      { contract: short.contract, action: 'SELL', ratio: 1, quote: short },
      { contract: long.contract, action: 'BUY', ratio: 1, quote: long },
    ],
    creditMid: 0.8,
    breakevens: [620.8],
  };
}

const market = (overrides: Partial<MarketContext> = {}): MarketContext => ({
  symbol: 'SPY',
  vix: 18,
  atmIv: 0.18,
  ivRank: 40,
  ...overrides,
});

function ctx(overrides: Partial<FilterContext> = {}, configInput: ConfigInput = {}): FilterContext {
  return {
    now: NOW,
    market: market(),
    config: parseConfig(configInput),
    heldConIds: new Set(),
    heldLegKeys: new Set(),
    openPositions: 0,
    openPerUnderlying: 0,
    ...overrides,
  };
}

/** The candidate with one leg's quote replaced. */
function withLegQuote(c: Candidate, index: number, patch: Partial<OptionQuote>): Candidate {
  const legs = c.legs.map((l, i) => (i === index ? { ...l, quote: { ...l.quote, ...patch } } : l));
  return { ...c, legs };
}

function onlyReason(reasons: string[]): string {
  expect(reasons).toHaveLength(1);
  return reasons[0]!;
}

describe('hardFilterReasons', () => {
  it('passes the baseline candidates', () => {
    expect(hardFilterReasons(bullPut(), ctx())).toEqual([]);
    expect(hardFilterReasons(bearCall(), ctx())).toEqual([]);
  });

  it('rejects an invalid leg quote: bid above ask', () => {
    const reason = onlyReason(hardFilterReasons(withLegQuote(bullPut(), 1, { bid: 1.7, ask: 1.6 }), ctx()));
    expect(reason).toMatch(/^long put 575 quote invalid/);
  });

  it('rejects an invalid leg quote: ask of zero', () => {
    const reason = onlyReason(hardFilterReasons(withLegQuote(bullPut(), 0, { bid: 0, ask: 0 }), ctx()));
    expect(reason).toMatch(/^short put 580 quote invalid/);
  });

  it("rejects IB's no-value placeholder as a price", () => {
    const reason = onlyReason(
      hardFilterReasons(withLegQuote(bullPut(), 0, { ask: Number.MAX_VALUE }), ctx()),
    );
    expect(reason).toMatch(/^short put 580 quote invalid/);
  });

  it('rejects a NaN price', () => {
    const reason = onlyReason(hardFilterReasons(withLegQuote(bullPut(), 1, { bid: Number.NaN }), ctx()));
    expect(reason).toMatch(/^long put 575 quote invalid/);
  });

  it('rejects a stale quote, and only beyond the limit', () => {
    const stale = withLegQuote(bullPut(), 1, { timestamp: NOW - 61_000 });
    expect(onlyReason(hardFilterReasons(stale, ctx()))).toBe(
      'long put 575 quote is 61 s old, older than 60 s',
    );
    expect(hardFilterReasons(withLegQuote(bullPut(), 1, { timestamp: NOW - 60_000 }), ctx())).toEqual([]);
  });

  it('rejects DTE outside the window, inclusive edges pass', () => {
    expect(onlyReason(hardFilterReasons(bullPut({ dte: 71 }), ctx()))).toBe('DTE 71 is outside 21–70');
    expect(onlyReason(hardFilterReasons(bullPut({ dte: 20 }), ctx()))).toBe('DTE 20 is outside 21–70');
    expect(hardFilterReasons(bullPut({ dte: 22 }), ctx())).toEqual([]);
    expect(hardFilterReasons(bullPut({ dte: 70 }), ctx())).toEqual([]);
  });

  it('rejects an entry the DTE exit would close at once', () => {
    // Defaults: minDte 21 and exitDte 21, so 21 DTE is inside the window but exits on the first cycle.
    expect(onlyReason(hardFilterReasons(bullPut({ dte: 21 }), ctx()))).toBe(
      'DTE 21 is at or below the exit DTE 21: it would be closed at once',
    );
    const laterExit = { exits: { exitDte: 30 } };
    expect(onlyReason(hardFilterReasons(bullPut({ dte: 30 }), ctx({}, laterExit)))).toBe(
      'DTE 30 is at or below the exit DTE 30: it would be closed at once',
    );
    expect(hardFilterReasons(bullPut({ dte: 31 }), ctx({}, laterExit))).toEqual([]);
  });

  it('rejects credit/width below the minimum', () => {
    // 0.45 / 5 = 0.09 < 0.10 while the credit itself clears 0.30.
    expect(onlyReason(hardFilterReasons(bullPut({ creditMid: 0.45 }), ctx()))).toBe(
      'credit/width 0.09 is below 0.10',
    );
    // 0.498 / 5 = 0.0996: two decimals would print "credit/width 0.10 is below 0.10".
    expect(onlyReason(hardFilterReasons(bullPut({ creditMid: 0.498 }), ctx()))).toBe(
      'credit/width 0.0996 is below 0.1000',
    );
  });

  it('rejects a credit below the minimum', () => {
    // 0.25 on a 1-point spread: credit/width 0.25 is fine, the credit is not.
    expect(onlyReason(hardFilterReasons(bullPut({ creditMid: 0.25, width: 1 }), ctx()))).toBe(
      'credit 0.25 is below the minimum 0.30',
    );
  });

  it('shows more decimals when two would print the credit equal to the minimum', () => {
    // 0.2967 rounds to 0.30 at two decimals: the old wording said "credit 0.30 is below the minimum 0.30".
    const wide = { width: 1 };
    expect(onlyReason(hardFilterReasons(bullPut({ creditMid: 0.2967, ...wide }), ctx()))).toBe(
      'credit 0.297 is below the minimum 0.300',
    );
    expect(onlyReason(hardFilterReasons(bullPut({ creditMid: 0.29996, ...wide }), ctx()))).toBe(
      'credit 0.29996 is below the minimum 0.30000',
    );
  });

  it('rejects a leg whose bid-ask width exceeds the limit of its mid', () => {
    // Bid 1.00, ask 3.00: width 2.00 on a mid of 2.00 is 100%.
    const reason = onlyReason(hardFilterReasons(withLegQuote(bullPut(), 0, { bid: 1.0, ask: 3.0 }), ctx()));
    expect(reason).toBe('short put 580 bid-ask 1.00/3.00 is 100% of mid, above 50%');
  });

  it('rejects a high-volatility regime by VIX or by the underlying IV', () => {
    expect(onlyReason(hardFilterReasons(bullPut(), ctx({ market: market({ vix: 36 }) })))).toBe(
      'VIX 36.0 is above 35',
    );
    expect(onlyReason(hardFilterReasons(bullPut(), ctx({ market: market({ atmIv: 0.36 }) })))).toBe(
      'SPY IV 36.0 is above 35',
    );
    expect(hardFilterReasons(bullPut(), ctx({ market: market({ vix: 35, atmIv: 0.35 }) }))).toEqual([]);
  });

  it('rejects a configured blackout date before expiry', () => {
    const reasons = hardFilterReasons(bullPut(), ctx({}, { filters: { blackoutDates: ['2026-06-17'] } }));
    expect(onlyReason(reasons)).toBe(`event blackout on 2026-06-17 before expiry ${EXPIRY}`);
    const onExpiry = hardFilterReasons(bullPut(), ctx({}, { filters: { blackoutDates: [EXPIRY] } }));
    expect(onlyReason(onExpiry)).toBe(`event blackout on ${EXPIRY} before expiry ${EXPIRY}`);
  });

  it('rejects an event of the underlying (earnings) up to and including expiry day', () => {
    const reasons = hardFilterReasons(bullPut(), ctx({ market: market({ eventDates: [EXPIRY] }) }));
    expect(onlyReason(reasons)).toBe(`event blackout on ${EXPIRY} before expiry ${EXPIRY}`);
  });

  it('ignores events after expiry or already past', () => {
    const dates = [addDays(EXPIRY, 1), addDays(TRADE_DATE, -1)];
    expect(
      hardFilterReasons(
        bullPut(),
        ctx({ market: market({ eventDates: dates }) }, { filters: { blackoutDates: dates } }),
      ),
    ).toEqual([]);
  });

  it('rejects a short call whose extrinsic value is below a dividend going ex before expiry', () => {
    const exDate = addDays(TRADE_DATE, 10);
    const reason = onlyReason(
      hardFilterReasons(bearCall(), ctx({ market: market({ nextDividend: { exDate, amount: 2.0 } }) })),
    );
    expect(reason).toBe(
      `ex-dividend ${exDate} before expiry: short call 620 extrinsic 1.90 is below the dividend 2.00`,
    );
  });

  it('keeps the short call when its extrinsic covers the dividend, or the ex-date is after expiry, or no call is short', () => {
    const soon = addDays(TRADE_DATE, 10);
    expect(
      hardFilterReasons(bearCall(), ctx({ market: market({ nextDividend: { exDate: soon, amount: 1.5 } }) })),
    ).toEqual([]);
    const late = addDays(EXPIRY, 1);
    expect(
      hardFilterReasons(bearCall(), ctx({ market: market({ nextDividend: { exDate: late, amount: 5 } }) })),
    ).toEqual([]);
    expect(
      hardFilterReasons(bullPut(), ctx({ market: market({ nextDividend: { exDate: soon, amount: 5 } }) })),
    ).toEqual([]);
  });

  it('measures extrinsic above intrinsic for an in-the-money short call', () => {
    // Spot 622 against the 620 call at mid 3.00: intrinsic 2.00, extrinsic 1.00 < dividend 1.50.
    const itm = withLegQuote({ ...bearCall(), underlyingPrice: 622 }, 0, { bid: 2.9, ask: 3.1 });
    const exDate = addDays(TRADE_DATE, 5);
    const reason = onlyReason(
      hardFilterReasons(itm, ctx({ market: market({ nextDividend: { exDate, amount: 1.5 } }) })),
    );
    expect(reason).toContain('extrinsic 1.00 is below the dividend 1.50');
  });

  it('rejects a leg already held, by conId or by leg key', () => {
    expect(onlyReason(hardFilterReasons(bullPut(), ctx({ heldConIds: new Set([12]) })))).toBe(
      `long put 575 ${EXPIRY} is already held`,
    );
    const key = legKey({ symbol: 'SPY', expiry: EXPIRY, right: 'P', strike: 580 });
    expect(onlyReason(hardFilterReasons(bullPut(), ctx({ heldLegKeys: new Set([key]) })))).toBe(
      `short put 580 ${EXPIRY} is already held`,
    );
    // The same strike in another expiry is a different leg.
    const other = legKey({ symbol: 'SPY', expiry: addDays(EXPIRY, 7), right: 'P', strike: 580 });
    expect(hardFilterReasons(bullPut(), ctx({ heldLegKeys: new Set([other]) }))).toEqual([]);
  });

  it('rejects when the open-position cap is reached', () => {
    expect(onlyReason(hardFilterReasons(bullPut(), ctx({ openPositions: 5 })))).toBe(
      '5 open positions reach the cap of 5',
    );
    expect(hardFilterReasons(bullPut(), ctx({ openPositions: 4 }))).toEqual([]);
  });

  it('rejects when the per-underlying cap is reached, given as a number or per symbol', () => {
    expect(onlyReason(hardFilterReasons(bullPut(), ctx({ openPerUnderlying: 2 })))).toBe(
      '2 open positions on SPY reach the cap of 2',
    );
    expect(onlyReason(hardFilterReasons(bullPut(), ctx({ openPerUnderlying: { SPY: 2 } })))).toBe(
      '2 open positions on SPY reach the cap of 2',
    );
    expect(hardFilterReasons(bullPut(), ctx({ openPerUnderlying: { QQQ: 2, SPY: 1 } }))).toEqual([]);
  });

  it('reports every failing filter at once', () => {
    const reasons = hardFilterReasons(bullPut({ dte: 90, creditMid: 0.2 }), ctx({ openPositions: 9 }));
    expect(reasons).toHaveLength(4); // DTE, credit/width, credit, cap
  });
});
