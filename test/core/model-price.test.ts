import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { legKey } from '#core/chain';
import { ivSourceStrikes, modelLegPrice, protectiveCloseLimit } from '#core/model-price';
import type { OptionContract, OptionQuote, StrategyPosition } from '#core/types';

const NOW = nyTimeToEpoch('2026-03-10', '11:00');
const put = (strike: number): OptionContract => ({
  symbol: 'SPY',
  expiry: '2026-04-17',
  right: 'P',
  strike,
  multiplier: 100,
});
const market = { spot: 570, rate: 0.04, freshness: { now: NOW, maxAgeSeconds: 60 } };

describe('ivSourceStrikes', () => {
  it('takes the nearest listed strikes on each side, leaving out the ones already quoted', () => {
    const listed = [560, 565, 570, 572.5, 575, 577.5, 580, 585];
    expect(ivSourceStrikes(listed, 575, new Set([580]))).toEqual([570, 572.5, 577.5, 585]);
    expect(ivSourceStrikes(listed, 575, new Set([580]), 1)).toEqual([572.5, 577.5]);
    expect(ivSourceStrikes([575], 575, new Set())).toEqual([]);
  });
});

describe('modelLegPrice', () => {
  it('says why when no real-time quote of the same expiry and right is usable', () => {
    const other: OptionQuote = { contract: { ...put(580), right: 'C' }, bid: 1, ask: 1.1, timestamp: NOW };
    const stale: OptionQuote = { contract: put(580), bid: 20, ask: 20.2, timestamp: NOW - 120_000 };
    const result = modelLegPrice(put(575), [other, stale, undefined], market);
    expect(result).toEqual({
      ok: false,
      reason: 'no usable real-time quote of SPY 2026-04-17 P to take an implied volatility from',
    });
    expect(
      modelLegPrice(put(575), [], {
        ...market,
        freshness: { ...market.freshness, now: nyTimeToEpoch('2026-04-18', '10:00') },
      }).ok,
    ).toBe(false);
  });
});

describe('protectiveCloseLimit', () => {
  const position: StrategyPosition = {
    id: 'p',
    strategy: 'BULL_PUT',
    symbol: 'SPY',
    expiry: '2026-04-17',
    legs: [
      { contract: put(580), quantity: -1 },
      { contract: put(575), quantity: 1 },
    ],
    quantity: 1,
    entryCredit: 1,
    width: 5,
    openedAt: NOW - 86_400_000,
    commissionsUsd: 0,
  };
  const quotes = (shortAsk: number, wing: number) =>
    new Map<string, OptionQuote>([
      [legKey(put(580)), { contract: put(580), bid: shortAsk - 0.1, ask: shortAsk, timestamp: NOW }],
      [legKey(put(575)), { contract: put(575), bid: wing, ask: wing, timestamp: NOW }],
    ]);

  it('is natural on the quoted legs plus the model price, on the cent above, at most the width', () => {
    expect(protectiveCloseLimit(position, quotes(12.345, 9))).toEqual({ natural: 12.345 - 9, limit: 3.35 });
    expect(protectiveCloseLimit(position, quotes(16, 9))?.limit).toBe(5);
    expect(protectiveCloseLimit(position, quotes(8, 9))?.limit).toBe(0);
  });

  it('gives no limit without a positive width or with a leg still unpriced', () => {
    expect(protectiveCloseLimit({ ...position, width: 0 }, quotes(12, 9))).toBeUndefined();
    expect(protectiveCloseLimit({ ...position, width: Number.NaN }, quotes(12, 9))).toBeUndefined();
    const missing = quotes(12, 9);
    missing.delete(legKey(put(575)));
    expect(protectiveCloseLimit(position, missing)).toBeUndefined();
  });
});
