import { describe, expect, it } from 'vitest';
import {
  ExecutionsQuerySchema,
  HistoryQuerySchema,
  PlaceOrderRequestSchema,
  QuotesRequestSchema,
  WhatIfRequestSchema,
} from '#bridge/contract';

const bullPut = {
  orderRef: '2026-11-24:SPY-BP-580-575:open',
  legs: [
    { conId: 101, action: 'SELL', ratio: 1 },
    { conId: 102, action: 'BUY', ratio: 1 },
  ],
  action: 'BUY',
  quantity: 2,
  limitPrice: -1.25,
  tif: 'DAY',
};

function firstIssuePath(result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string {
  return result.error!.issues[0]!.path.join('.');
}

describe('order schemas', () => {
  it('accepts a combo limit order and defaults the order type to LMT', () => {
    const parsed = PlaceOrderRequestSchema.parse(bullPut);
    expect(parsed.orderType).toBe('LMT');
  });

  it('refuses market orders, missing orderRef, a repeated leg and a zero quantity, naming the field', () => {
    const mkt = PlaceOrderRequestSchema.safeParse({ ...bullPut, orderType: 'MKT' });
    expect(mkt.success).toBe(false);
    expect(firstIssuePath(mkt)).toBe('orderType');
    const { orderRef: _drop, ...noRef } = bullPut;
    expect(firstIssuePath(PlaceOrderRequestSchema.safeParse(noRef))).toBe('orderRef');
    const repeated = PlaceOrderRequestSchema.safeParse({
      ...bullPut,
      legs: [bullPut.legs[0], bullPut.legs[0]],
    });
    expect(firstIssuePath(repeated)).toBe('legs.1.conId');
    expect(firstIssuePath(WhatIfRequestSchema.safeParse({ ...bullPut, quantity: 0 }))).toBe('quantity');
  });
});

describe('quote and query schemas', () => {
  it('needs expiry, strike and right for an option given without conId', () => {
    const r = QuotesRequestSchema.safeParse({
      contracts: [{ secType: 'OPT', symbol: 'SPY', expiry: '2026-12-18' }],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'contracts.0.right',
      'contracts.0.strike',
    ]);
    expect(QuotesRequestSchema.safeParse({ contracts: [{ secType: 'OPT', conId: 5 }] }).success).toBe(true);
  });

  it('coerces query strings and bounds them', () => {
    expect(HistoryQuerySchema.parse({ symbol: 'SPY', what: 'TRADES', days: '252' }).days).toBe(252);
    expect(HistoryQuerySchema.safeParse({ symbol: 'SPY', what: 'MIDPOINT', days: '5' }).success).toBe(false);
    expect(ExecutionsQuerySchema.parse({ since: '2026-11-24T15:00:00Z' }).since).toBe(
      Date.UTC(2026, 10, 24, 15),
    );
    expect(ExecutionsQuerySchema.parse({ since: '1764000000000' }).since).toBe(1_764_000_000_000);
  });
});
