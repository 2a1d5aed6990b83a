// A position's life in pure functions (functions/core/lifecycle.ts). The closing P&L was computed twice
// before (the monitor's closeRealisedUsd and position-sync's own copy); the one core function must give
// both call sites' results to the cent, half-cent cases included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  closeRealisedUsd,
  externalPosition,
  fillOf,
  heldOptionContract,
  positionFromFill,
  summariseFills,
  ticketLegsOf,
  widthOf,
} from '#core/lifecycle';
import type { FillSummary } from '#core/lifecycle';
import type { OrderIntentLeg } from '#core/intents';
import type { OptionContract, Right, StrategyPosition } from '#core/types';

const EXPIRY = '2026-04-17';

function contract(right: Right, strike: number, conId?: number, multiplier = 100): OptionContract {
  return { symbol: 'SPY', expiry: EXPIRY, strike, right, multiplier, ...(conId ? { conId } : {}) };
}

function bullPut(quantity: number, entryCredit: number, commissionsUsd: number, multiplier = 100) {
  return {
    id: 'bp',
    strategy: 'BULL_PUT',
    symbol: 'SPY',
    expiry: EXPIRY,
    legs: [
      { contract: contract('P', 580, 1, multiplier), quantity: -quantity },
      { contract: contract('P', 575, 2, multiplier), quantity },
    ],
    quantity,
    entryCredit,
    width: 5,
    openedAt: 0,
    commissionsUsd,
  } satisfies StrategyPosition;
}

// The two formulas as they stood at their call sites before they became one (the oracle).
function monitorBefore(
  position: StrategyPosition,
  fill: FillSummary,
  quantity = fill.filledQuantity,
  otherCostsUsd = 0,
): number {
  const multiplier = position.legs[0]?.contract.multiplier ?? 100;
  const gross = (position.entryCredit - Math.abs(fill.avgFillPrice)) * multiplier * quantity;
  return Math.round((gross - otherCostsUsd - (fill.commissionsUsd ?? 0)) * 100) / 100;
}
function positionSyncBefore(position: StrategyPosition, fill: Required<FillSummary>): number {
  const multiplier = position.legs[0]?.contract.multiplier ?? 100;
  return (
    Math.round(
      ((position.entryCredit - Math.abs(fill.avgFillPrice)) * multiplier * position.quantity -
        position.commissionsUsd -
        fill.commissionsUsd) *
        100,
    ) / 100
  );
}

describe('closeRealisedUsd: the one closing P&L', () => {
  // [case, position, fill, expected]: full closes carry the opening commissions, partial ones do not.
  const full: [string, StrategyPosition, Required<FillSummary>, number][] = [
    // (1.20 − 0.45) · 100 · 2 − 2.60 − 2.60 = 144.80
    [
      'profit target, 2 spreads',
      bullPut(2, 1.2, 2.6),
      { filledQuantity: 2, avgFillPrice: 0.45, commissionsUsd: 2.6 },
      144.8,
    ],
    // The BAG's price may come back negative (IB's sign): the debit is its size. (1.20 − 2.40) · 100 − 1.30 − 1.30
    [
      'stop loss, negative BAG price',
      bullPut(1, 1.2, 1.3),
      { filledQuantity: 1, avgFillPrice: -2.4, commissionsUsd: 1.3 },
      -122.6,
    ],
    // (7.06 − 7.27) · 1100 − 0.0356 − 0.3894 = −231.425: the half cent rounds up, to −231.42.
    [
      'half cent, loss',
      bullPut(11, 7.06, 0.0356),
      { filledQuantity: 11, avgFillPrice: 7.27, commissionsUsd: 0.3894 },
      -231.42,
    ],
    // Mini options: the multiplier comes from the legs. (1.00 − 0.20) · 10 · 3 − 1 − 1 = 22
    ['multiplier 10', bullPut(3, 1, 1, 10), { filledQuantity: 3, avgFillPrice: 0.2, commissionsUsd: 1 }, 22],
    [
      'closed for nothing',
      bullPut(1, 0.85, 1.3),
      { filledQuantity: 1, avgFillPrice: 0, commissionsUsd: 0 },
      83.7,
    ],
  ];

  it.each(full)('full close (monitor and position-sync): %s', (_case, position, fill, expected) => {
    const now = closeRealisedUsd(position, fill, position.quantity, position.commissionsUsd);
    expect(now).toBe(expected);
    expect(now).toBe(monitorBefore(position, fill, position.quantity, position.commissionsUsd));
    expect(now).toBe(positionSyncBefore(position, fill));
  });

  const partial: [string, StrategyPosition, FillSummary, number][] = [
    // 1 of 3 closed: (1.20 − 0.45) · 100 − 1.30 = 73.70; the opening commissions wait for the last close.
    [
      '1 of 3 at 0.45',
      bullPut(3, 1.2, 3.9),
      { filledQuantity: 1, avgFillPrice: 0.45, commissionsUsd: 1.3 },
      73.7,
    ],
    // (7.00 − 6.79) · 100 − 0.385 = 20.615, which is 20.614999… in binary: 20.61, as before.
    [
      'half cent, profit',
      bullPut(2, 7, 0.1432),
      { filledQuantity: 1, avgFillPrice: 6.79, commissionsUsd: 0.385 },
      20.61,
    ],
    ['no commissions reported', bullPut(2, 1.2, 2.6), { filledQuantity: 1, avgFillPrice: 1.5 }, -30],
  ];

  it.each(partial)('partial close (monitor): %s', (_case, position, fill, expected) => {
    expect(closeRealisedUsd(position, fill)).toBe(expected);
    expect(closeRealisedUsd(position, fill)).toBe(monitorBefore(position, fill));
  });

  it('gives what both call sites gave, to the cent, for any cents prices and commissions', () => {
    const cents = (max: number) => fc.integer({ min: 0, max }).map((c) => c / 100);
    const commission = fc.integer({ min: 0, max: 50_000 }).map((c) => c / 10_000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        cents(2_000),
        cents(2_000),
        fc.boolean(),
        commission,
        commission,
        fc.constantFrom(100, 10),
        (quantity, credit, debit, negative, opening, closing, multiplier) => {
          const position = bullPut(quantity, credit, opening, multiplier);
          const fill = {
            filledQuantity: quantity,
            avgFillPrice: negative ? -debit : debit,
            commissionsUsd: closing,
          };
          expect(closeRealisedUsd(position, fill, quantity, opening)).toBe(
            positionSyncBefore(position, fill),
          );
          expect(closeRealisedUsd(position, fill)).toBe(monitorBefore(position, fill));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

describe('opening: intent legs → ticket → position', () => {
  const legs: OrderIntentLeg[] = [
    { contract: contract('P', 580, 11), action: 'SELL', ratio: 1 },
    { contract: contract('P', 575, 12), action: 'BUY', ratio: 1 },
    { contract: contract('C', 620, 13), action: 'SELL', ratio: 1 },
    { contract: contract('C', 630, 14), action: 'BUY', ratio: 1 },
  ];

  it('a condor is as wide as its wider wing', () => {
    expect(widthOf(legs)).toBe(10);
    expect(widthOf(legs.slice(0, 2))).toBe(5);
  });

  it('the ticket holds the short legs as BUY legs of the BAG, opening or closing', () => {
    const open = ticketLegsOf({ purpose: 'OPEN', legs, limitPrice: 1.5 });
    expect(open.purpose).toBe('OPEN');
    expect(open.spreadLegs.map((l) => l.held)).toEqual(['SHORT', 'LONG', 'SHORT', 'LONG']);
    expect(open.comboLegs.map((l) => [l.conId, l.action])).toEqual([
      [11, 'BUY'],
      [12, 'SELL'],
      [13, 'BUY'],
      [14, 'SELL'],
    ]);
    expect(ticketLegsOf({ purpose: 'CLOSE', legs, limitPrice: 0.4 }).purpose).toBe('CLOSE');
    expect(() =>
      ticketLegsOf({ purpose: 'OPEN', legs: [{ ...legs[0]!, contract: contract('P', 580) }], limitPrice: 1 }),
    ).toThrow(/P580 has no conId/);
  });

  it('a 2-lot fill opens the position under the intent key with signed legs and the credit', () => {
    const position = positionFromFill(
      { intentKey: 'oi-1', strategy: 'IRON_CONDOR', symbol: 'SPY', legs },
      { filledQuantity: 2, avgFillPrice: -1.5, commissionsUsd: 5.2 },
      1000,
    );
    expect(position).toEqual({
      id: 'oi-1',
      strategy: 'IRON_CONDOR',
      symbol: 'SPY',
      expiry: EXPIRY,
      legs: [
        { contract: legs[0]!.contract, quantity: -2 },
        { contract: legs[1]!.contract, quantity: 2 },
        { contract: legs[2]!.contract, quantity: -2 },
        { contract: legs[3]!.contract, quantity: 2 },
      ],
      quantity: 2,
      entryCredit: 1.5,
      width: 10,
      openedAt: 1000,
      commissionsUsd: 5.2,
    });
  });
});

describe('legs found at IB', () => {
  it('only an option with expiry, strike and right is an option contract', () => {
    const view = {
      contract: { conId: 7, symbol: 'SPY', kind: 'OPTION', expiry: EXPIRY, strike: 580, right: 'P' as const },
    };
    expect(heldOptionContract(view)).toEqual({ ...contract('P', 580, 7) });
    expect(heldOptionContract({ contract: { conId: 8, symbol: 'SPY', kind: 'STOCK' } })).toBeUndefined();
  });

  it('a short put above a long put of the same size is a bull put; its credit from IB average costs', () => {
    const position = externalPosition(
      [
        { contract: contract('P', 580, 1), quantity: -2, averageCost: 150 },
        { contract: contract('P', 575, 2), quantity: 2, averageCost: 30 },
      ],
      5,
    );
    expect(position).toMatchObject({
      id: `ext-SPY-${EXPIRY}-P575/P580`,
      strategy: 'BULL_PUT',
      quantity: 2,
      entryCredit: 1.2,
      width: 5,
      openedAt: 5,
    });
    expect(
      externalPosition(
        [
          { contract: contract('P', 580, 1), quantity: -2, averageCost: 150 },
          { contract: contract('P', 575, 2), quantity: 1, averageCost: 30 },
        ],
        5,
      ),
    ).toBeUndefined();
  });
});

describe('fills', () => {
  const intent = {
    legs: [
      { contract: contract('P', 580, 1), action: 'SELL' as const, ratio: 1 },
      { contract: contract('P', 575, 2), action: 'BUY' as const, ratio: 1 },
    ],
  };

  it('a BAG report gives quantity and average price; commissions come from every execution', () => {
    const executions = [
      { orderId: 9, contract: { conId: 0, kind: 'COMBO' }, shares: 1, price: 1.2 },
      { orderId: 9, contract: { conId: 0, kind: 'COMBO' }, shares: 1, price: 1.3 },
      { orderId: 9, contract: { conId: 1, kind: 'OPTION' }, shares: 2, price: 1.5, commission: 1.3 },
      { orderId: 9, contract: { conId: 2, kind: 'OPTION' }, shares: 2, price: 0.25, commission: 1.3 },
    ];
    expect(summariseFills(executions, intent)).toEqual({
      filledQuantity: 2,
      avgFillPrice: 1.25,
      commissionsUsd: 2.6,
      orderId: 9,
    });
  });

  it('without a BAG report the legs give the signed net price', () => {
    const executions = [
      { orderId: 9, contract: { conId: 1, kind: 'OPTION' }, shares: 1, price: 1.5 },
      { orderId: 9, contract: { conId: 2, kind: 'OPTION' }, shares: 1, price: 0.3 },
    ];
    const fill = summariseFills(executions, intent);
    expect(fill.filledQuantity).toBe(1);
    expect(fill.avgFillPrice).toBeCloseTo(1.2, 12);
  });

  it('an order at IB: its average price, else the last fill, else the fallback limit', () => {
    const fills = [{ commission: 0.651 }, { commission: 0.65 }];
    expect(fillOf({ filled: 2, averagePrice: 1.1, lastFillPrice: 1.2, fills }, 1)).toEqual({
      filledQuantity: 2,
      avgFillPrice: 1.1,
      commissionsUsd: 1.3,
    });
    expect(fillOf({ filled: 2, lastFillPrice: 1.2, fills: [] }, 1).avgFillPrice).toBe(1.2);
    expect(fillOf({ filled: 0, fills: [] }, 1).avgFillPrice).toBe(1);
  });
});
