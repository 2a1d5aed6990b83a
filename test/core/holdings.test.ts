// The holdings rules: a position following the broker after assignments, exercises and expiries; the
// closable spread; when assigned holdings are due; the orders that close them; applying their fills.
import { describe, expect, it } from 'vitest';
import { marketClock, nyTimeToEpoch } from '#core/calendar';
import { parseConfig } from '#core/config';
import {
  applyHoldingFill,
  closableSpread,
  heldInstruments,
  holdingCloseOrders,
  holdingsDue,
  stockLimitOffset,
} from '#core/holdings';
import { reconcileWithBroker, sharesDeliveredAtExpiry } from '#core/reconciliation';
import type { BrokerView } from '#core/reconciliation';
import type { OptionContract, StrategyPosition } from '#core/types';

const put = (strike: number, conId: number): OptionContract => ({
  symbol: 'IWM',
  expiry: '2026-07-17',
  strike,
  right: 'P',
  conId,
  multiplier: 100,
});
const call = (strike: number, conId: number): OptionContract => ({ ...put(strike, conId), right: 'C' });
const STOCK = 9;

/** A bull put 205/200 of `q` spreads at 1.20 credit, $2.60 of opening commissions. */
function bullPut(q = 1): StrategyPosition {
  return {
    id: 'p1',
    strategy: 'BULL_PUT',
    symbol: 'IWM',
    expiry: '2026-07-17',
    legs: [
      { contract: put(205, 1), quantity: -q },
      { contract: put(200, 2), quantity: q },
    ],
    quantity: q,
    entryCredit: 1.2,
    width: 5,
    openedAt: 0,
    commissionsUsd: 2.6,
  };
}
const view = (
  options: [number, number][],
  newShares: number,
  extra: Partial<BrokerView> = {},
): BrokerView => ({
  options: new Map(options),
  newShares,
  stockConId: STOCK,
  pastExpiry: false,
  now: 1000,
  ...extra,
});

describe('reconcileWithBroker', () => {
  it('nothing gone: nothing changes', () => {
    const r = reconcileWithBroker(
      bullPut(),
      view(
        [
          [1, -1],
          [2, 1],
        ],
        0,
      ),
    );
    expect(r.gone).toEqual([]);
    expect(r.position).toEqual(bullPut());
  });

  it('early assignment of the short: the leg leaves, the hedge is orphaned, 100 shares at the strike; credit − commissions realised', () => {
    const r = reconcileWithBroker(bullPut(), view([[2, 1]], 100));
    expect(r.kind).toBe('ASSIGNMENT');
    expect(r.position.legs).toEqual([]);
    expect(r.position.quantity).toBe(0);
    expect(r.position.orphanLegs).toEqual([{ contract: put(200, 2), quantity: 1 }]);
    expect(r.position.stock).toEqual({ symbol: 'IWM', conId: STOCK, shares: 100, averagePrice: 205 });
    expect(r.assignments).toEqual([
      {
        at: 1000,
        kind: 'ASSIGNED',
        contract: put(205, 1),
        contracts: 1,
        strike: 205,
        shares: 100,
        cashUsd: -20500,
      },
    ]);
    expect(r.realisedUsd).toBe(117.4); // 1.20 · 100 − 2.60
    expect(r.position.commissionsUsd).toBe(0);
    expect(r.finished).toBe(false);
    expect(heldInstruments(r.position)).toEqual(
      new Map([
        [2, 1],
        [STOCK, 100],
      ]),
    );
  });

  it('part of a 3-lot assigned: 2 spreads stay whole, 1 hedge is orphaned, a third of the commissions goes with it', () => {
    const r = reconcileWithBroker(
      bullPut(3),
      view(
        [
          [1, -2],
          [2, 3],
        ],
        100,
      ),
    );
    expect(r.position.quantity).toBe(2);
    expect(r.position.legs.map((l) => l.quantity)).toEqual([-2, 2]);
    expect(r.position.orphanLegs).toEqual([{ contract: put(200, 2), quantity: 1 }]);
    expect(r.realisedUsd).toBe(Math.round((120 - 0.87) * 100) / 100);
    expect(r.position.commissionsUsd).toBe(1.73);
  });

  it('worthless expiry: both legs gone past expiry with no shares → EXPIRY, credit − commissions, finished', () => {
    const r = reconcileWithBroker(bullPut(2), view([], 0, { pastExpiry: true, underlyingPrice: 210 }));
    expect(r.kind).toBe('EXPIRY');
    expect(r.gone.map((g) => g.fate)).toEqual(['EXPIRED', 'EXPIRED']);
    expect(r.realisedUsd).toBe(237.4);
    expect(r.finished).toBe(true);
  });

  it('both legs in the money at expiry: both delivered (shares net 0), max loss realised', () => {
    const r = reconcileWithBroker(bullPut(), view([], 0, { pastExpiry: true, underlyingPrice: 190 }));
    expect(r.gone.map((g) => g.fate)).toEqual(['ASSIGNED', 'EXERCISED']);
    // 120 credit − 2.60 − (205 − 200) · 100 paid on the stock round trip
    expect(r.realisedUsd).toBe(-382.6);
    expect(r.position.stock).toBeUndefined();
    expect(r.finished).toBe(true);
  });

  it('legs gone before expiry with no shares: closed outside the system', () => {
    const r = reconcileWithBroker(bullPut(), view([], 0));
    expect(r.unexplained.map((g) => g.leg.contract.conId)).toEqual([1, 2]);
    expect(r.kind).toBe('EXTERNAL');
  });

  it('the orphaned hedge later exercised: shares sold at its strike net against the holding', () => {
    const assigned = reconcileWithBroker(bullPut(), view([[2, 1]], 100)).position;
    const r = reconcileWithBroker(assigned, view([], -100, { pastExpiry: true, underlyingPrice: 195 }));
    expect(r.kind).toBe('EXERCISE');
    expect(r.position.stock).toBeUndefined();
    expect(r.realisedUsd).toBe(-500); // bought at 205, sold at 200
    expect(r.finished).toBe(true);
  });

  it('a short call assigned delivers short stock', () => {
    const bearCall: StrategyPosition = {
      ...bullPut(),
      strategy: 'BEAR_CALL',
      legs: [
        { contract: call(210, 5), quantity: -1 },
        { contract: call(215, 6), quantity: 1 },
      ],
    };
    const r = reconcileWithBroker(bearCall, view([[6, 1]], -100));
    expect(r.position.stock).toEqual({ symbol: 'IWM', conId: STOCK, shares: -100, averagePrice: 210 });
    expect(r.assignments[0]).toMatchObject({ shares: -100, cashUsd: 21000 });
  });
});

describe('closableSpread', () => {
  it('all legs held: the position itself, nothing missing', () => {
    expect(
      closableSpread(
        bullPut(2),
        new Map([
          [1, -2],
          [2, 2],
        ]),
      ),
    ).toEqual({ position: bullPut(2), missing: [] });
  });
  it('a leg gone: no spread closable, and the gone leg named', () => {
    const c = closableSpread(bullPut(), new Map([[2, 1]]));
    expect(c.position.quantity).toBe(0);
    expect(c.position.legs).toEqual([]);
    expect(c.missing).toEqual(['P205 (IB holds 0 of 1)']);
  });
  it('a leg part held: only the whole spreads IB still holds', () => {
    const c = closableSpread(
      bullPut(3),
      new Map([
        [1, -1],
        [2, 3],
      ]),
    );
    expect(c.position.quantity).toBe(1);
    expect(c.position.legs.map((l) => [l.contract.conId, l.quantity])).toEqual([
      [1, -1],
      [2, 1],
    ]);
  });
});

describe('holdingsDue', () => {
  const cal = parseConfig({}).calendar;
  const assigned = { ...reconcileWithBroker(bullPut(), view([[2, 1]], 100)).position };
  const at = (date: string, time: string) => marketClock(nyTimeToEpoch(date, time), cal);
  it('assigned during a session: not that session, due from the next session’s open', () => {
    const p = {
      ...assigned,
      assignments: assigned.assignments!.map((a) => ({ ...a, at: nyTimeToEpoch('2026-06-01', '11:00') })),
    };
    expect(holdingsDue(p, at('2026-06-01', '11:05'))).toBe(false);
    expect(holdingsDue(p, at('2026-06-01', '17:00'))).toBe(false);
    expect(holdingsDue(p, at('2026-06-02', '09:25'))).toBe(false);
    expect(holdingsDue(p, at('2026-06-02', '09:30'))).toBe(true);
  });
  it('found before the open (the overnight notice): due at that day’s open', () => {
    const p = {
      ...assigned,
      assignments: assigned.assignments!.map((a) => ({ ...a, at: nyTimeToEpoch('2026-06-02', '08:00') })),
    };
    expect(holdingsDue(p, at('2026-06-02', '09:30'))).toBe(true);
  });
  it('no holdings: never due', () => {
    expect(holdingsDue(bullPut(), at('2026-06-02', '10:00'))).toBe(false);
  });
});

describe('holdingCloseOrders and applyHoldingFill', () => {
  const assigned = reconcileWithBroker(bullPut(), view([[2, 1]], 100)).position;
  const quotes = new Map([
    [STOCK, { bid: 201.5, ask: 201.6 }],
    [2, { bid: 0.9, ask: 1.03 }],
  ]);

  it('stock: a marketable sell at bid − max(1¢, 0.05%); the orphan: a single-leg sell at mid rounded up', () => {
    expect(stockLimitOffset(201.5)).toBe(0.1);
    expect(stockLimitOffset(10)).toBe(0.01);
    const { orders, missing } = holdingCloseOrders(
      assigned,
      new Map([
        [2, 1],
        [STOCK, 100],
      ]),
      (c) => quotes.get(c),
    );
    expect(missing).toEqual([]);
    expect(orders.map(({ reason: _r, ...o }) => o)).toEqual([
      { kind: 'STOCK', conId: STOCK, action: 'SELL', quantity: 100, limitPrice: 201.4 },
      { kind: 'OPTION', conId: 2, action: 'SELL', quantity: 1, limitPrice: 0.97 },
    ]);
  });

  it('only what IB holds: fewer shares, no order for a leg IB does not hold, and no quote → missing', () => {
    const { orders, missing } = holdingCloseOrders(assigned, new Map([[STOCK, 60]]), (c) =>
      c === STOCK ? quotes.get(c) : undefined,
    );
    expect(orders.map((o) => [o.conId, o.quantity])).toEqual([[STOCK, 60]]);
    expect(missing).toEqual(['P200 2026-07-17: IB holds none']);
  });

  it('fills realise (price − strike) per share and the orphan’s whole price, less commissions', () => {
    const afterStock = applyHoldingFill(assigned, {
      conId: STOCK,
      quantity: 100,
      price: 201.5,
      commissionsUsd: 1,
    });
    expect(afterStock.realisedUsd).toBe(-351); // (201.50 − 205) · 100 − 1
    expect(afterStock.position.stock).toBeUndefined();
    const afterLeg = applyHoldingFill(afterStock.position, {
      conId: 2,
      quantity: 1,
      price: 0.97,
      commissionsUsd: 1,
    });
    expect(afterLeg.realisedUsd).toBe(96);
    expect(afterLeg.position.orphanLegs).toBeUndefined();
    expect(heldInstruments(afterLeg.position).size).toBe(0);
    expect(() =>
      applyHoldingFill(afterLeg.position, { conId: 77, quantity: 1, price: 1, commissionsUsd: 0 }),
    ).toThrow(RangeError);
  });
});

describe('sharesDeliveredAtExpiry (OCC: exercised when $0.01 or more in the money)', () => {
  const gone = new Map<number, number>();
  it('a short put in the money is assigned (+100), its wing out of the money expires', () => {
    expect(sharesDeliveredAtExpiry(bullPut(), gone, 202.5)).toBe(100);
  });
  it('both puts in the money: assigned and exercised, the shares net to none', () => {
    expect(sharesDeliveredAtExpiry(bullPut(), gone, 190)).toBe(0);
  });
  it('pinned exactly at the short strike, or 0.01 short of it: nothing delivered; a cent in: delivered', () => {
    expect(sharesDeliveredAtExpiry(bullPut(), gone, 205)).toBe(0);
    expect(sharesDeliveredAtExpiry(bullPut(), gone, 204.995)).toBe(0);
    expect(sharesDeliveredAtExpiry(bullPut(2), gone, 204.99)).toBe(200);
  });
  it('only the legs IB no longer holds count, orphaned legs included', () => {
    const position = {
      ...bullPut(),
      legs: [bullPut().legs[0]!],
      orphanLegs: [{ contract: call(210, 3), quantity: -1 }],
    };
    expect(sharesDeliveredAtExpiry(position, new Map([[1, -1]]), 215)).toBe(-100);
    expect(sharesDeliveredAtExpiry(position, gone, 215)).toBe(-100);
    expect(sharesDeliveredAtExpiry(position, gone, 200)).toBe(100);
  });
});
