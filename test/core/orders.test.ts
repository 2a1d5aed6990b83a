import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config';
import {
  comboOrderFor,
  fnv1a64,
  initialLimit,
  intentKey,
  nextLimit,
  planCombo,
  positionSpreadLegs,
  roundToTick,
  shouldCancel,
  spreadPrices,
  urgentLimit,
  orderLifetimeMs,
  workingOrderStep,
} from '#core/orders';
import type { ComboOrder, ComboPurpose, PricedSpreadLeg, SpreadLeg } from '#core/orders';
import type { Side, StrategyPosition } from '#core/types';

const orders = parseConfig({}).orders; // repriceFraction 1/3, maxReprices 3, minCredit 0.30

// Bull put 580/575: short 580 at 1.30 × 1.40, long 575 at 0.50 × 0.60.
// Mid = 1.35 − 0.55 = 0.80; opening natural = 1.30 − 0.60 = 0.70; closing natural = 1.40 − 0.50 = 0.90.
const BULL_PUT: PricedSpreadLeg[] = [
  { conId: 580, held: 'SHORT', ratio: 1, quote: { bid: 1.3, ask: 1.4 } },
  { conId: 575, held: 'LONG', ratio: 1, quote: { bid: 0.5, ask: 0.6 } },
];

/**
 * IB's combo semantics, written independently of the code under test: BUYing the BAG executes each leg
 * with its own action, SELLing it executes each leg the other way; the BAG price is Σ(BUY legs) − Σ(SELL
 * legs) for a BUY. Returns the leg trades that result and the cash the order receives per share at
 * `comboPrice`.
 */
function executeCombo(order: ComboOrder, comboPrice: number) {
  const flip = (a: Side): Side => (a === 'BUY' ? 'SELL' : 'BUY');
  const trades = order.legs.map((l) => ({
    conId: l.conId,
    action: order.action === 'BUY' ? l.action : flip(l.action),
  }));
  const cashReceived = order.action === 'SELL' ? comboPrice : -comboPrice;
  return { trades, cashReceived };
}

/** IB's rule: receiving cash means a negative limit on a BUY and a positive one on a SELL. */
function receivesCashPerIbRule(order: ComboOrder): boolean {
  return order.action === 'BUY' ? order.limitPrice < 0 : order.limitPrice > 0;
}

describe('sign convention', () => {
  const legs: SpreadLeg[] = BULL_PUT.map(({ conId, held, ratio }) => ({ conId, held, ratio }));

  it('opening a bull put for 0.80 credit sells the short strike, buys the wing and receives cash', () => {
    const order = comboOrderFor('OPEN', legs, 0.8);
    const { trades, cashReceived } = executeCombo(order, order.limitPrice);
    expect(trades).toEqual([
      { conId: 580, action: 'SELL' },
      { conId: 575, action: 'BUY' },
    ]);
    expect(cashReceived).toBeCloseTo(0.8, 10);
    expect(receivesCashPerIbRule(order)).toBe(true);
  });

  it('closing it for 0.90 debit buys back the short strike, sells the wing and pays cash', () => {
    const order = comboOrderFor('CLOSE', legs, 0.9);
    const { trades, cashReceived } = executeCombo(order, order.limitPrice);
    expect(trades).toEqual([
      { conId: 580, action: 'BUY' },
      { conId: 575, action: 'SELL' },
    ]);
    expect(cashReceived).toBeCloseTo(-0.9, 10);
    expect(receivesCashPerIbRule(order)).toBe(false);
  });

  it('the BAG price of the legs as built equals the spread value (so the limit is the credit or debit)', () => {
    // BAG price for a BUY at leg mids: +mid(580) − mid(575) = 0.80, the credit; a SELL at 0.80 receives it.
    const order = comboOrderFor('OPEN', legs, 0.8);
    const mids: Record<number, number> = { 580: 1.35, 575: 0.55 };
    const bagPrice = order.legs.reduce(
      (s, l) => s + (l.action === 'BUY' ? 1 : -1) * l.ratio * (mids[l.conId] ?? NaN),
      0,
    );
    expect(bagPrice).toBeCloseTo(0.8, 10);
  });

  it('law: for any spread, OPEN puts on the held legs and receives cash; CLOSE takes them off and pays', () => {
    const legArb = fc.record({
      conId: fc.integer({ min: 1, max: 1e9 }),
      held: fc.constantFrom<'SHORT' | 'LONG'>('SHORT', 'LONG'),
      ratio: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(legArb, { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0.01, max: 50, noNaN: true }),
        (ls, price) => {
          const open = executeCombo(comboOrderFor('OPEN', ls, price), price);
          const close = executeCombo(comboOrderFor('CLOSE', ls, price), price);
          ls.forEach((l, i) => {
            expect(open.trades[i]?.action).toBe(l.held === 'SHORT' ? 'SELL' : 'BUY');
            expect(close.trades[i]?.action).toBe(l.held === 'SHORT' ? 'BUY' : 'SELL');
          });
          expect(open.cashReceived).toBeGreaterThan(0);
          expect(close.cashReceived).toBeLessThan(0);
          expect(receivesCashPerIbRule(comboOrderFor('OPEN', ls, price))).toBe(true);
          expect(receivesCashPerIbRule(comboOrderFor('CLOSE', ls, price))).toBe(false);
        },
      ),
    );
  });

  it('refuses a combo without legs or with a non-numeric price', () => {
    expect(() => comboOrderFor('OPEN', [], 1)).toThrow(RangeError);
    expect(() => comboOrderFor('OPEN', legs, Number.NaN)).toThrow(RangeError);
  });
});

describe('spread prices and limits', () => {
  it('computes mid and natural for each direction', () => {
    expect(spreadPrices(BULL_PUT, 'OPEN')).toEqual({ mid: 0.8, natural: 0.7 });
    expect(spreadPrices(BULL_PUT, 'CLOSE')).toEqual({ mid: 0.8, natural: 0.9 });
  });

  it('rounds onto the tick, immune to float noise', () => {
    expect(roundToTick(1.15, 0.05, 'down')).toBe(1.15);
    expect(roundToTick(1.15, 0.05, 'up')).toBe(1.15);
    expect(roundToTick(1.16, 0.05, 'up')).toBe(1.2);
    expect(roundToTick(0.805, 0.01, 'down')).toBe(0.8);
    expect(roundToTick(0.1 + 0.2, 0.01, 'up')).toBe(0.3);
  });

  it('starts at mid, rounded on the tick in our favour', () => {
    // Short 580 at 1.30 × 1.41: mid 1.355 − 0.55 = 0.805, between two ticks.
    const legs: PricedSpreadLeg[] = [{ ...BULL_PUT[0]!, quote: { bid: 1.3, ask: 1.41 } }, BULL_PUT[1]!];
    expect(initialLimit(legs, 'OPEN')).toBe(0.81); // ask the higher credit
    expect(initialLimit(legs, 'CLOSE')).toBe(0.8); // offer the lower debit
    expect(initialLimit(legs, 'OPEN', 0.05)).toBe(0.85);
  });

  it('never asks less than minCredit to open', () => {
    expect(initialLimit(BULL_PUT, 'OPEN', 0.01, 1.0)).toBe(1.0);
  });

  it('urgent pricing goes to natural at once', () => {
    expect(urgentLimit(BULL_PUT, 'CLOSE')).toBe(0.9);
    expect(urgentLimit(BULL_PUT, 'OPEN')).toBe(0.7);
  });
});

describe('reprice path', () => {
  it('opening: mid 0.80 → 0.77 → 0.74 → natural 0.70 in maxReprices steps', () => {
    // Step 1: 0.80 − (0.80 − 0.70)/3 = 0.7667, rounded up to 0.77 (we ask for credit).
    // Step 2: a third of the original distance again: 0.77 − (0.77 − 0.70)/2 = 0.735 → 0.74.
    // Step 3: the last third: natural, 0.70. Then maxReprices (3) is reached and the order is cancelled.
    const path = [0.8];
    for (let k = 0; k < orders.maxReprices; k++) path.push(nextLimit(path[k]!, 0.7, k, orders, 'OPEN'));
    expect(path).toEqual([0.8, 0.77, 0.74, 0.7]);
    expect(shouldCancel(2, orders)).toBe(false);
    expect(shouldCancel(3, orders)).toBe(true);
  });

  it('closing: mid 0.80 → 0.83 → 0.86 → natural 0.90', () => {
    // 0.80 + 0.10/3 = 0.8333 → 0.83 (we pay, round down); 0.83 + 0.07/2 = 0.865 → 0.86; then 0.90.
    const path = [0.8];
    for (let k = 0; k < 3; k++) path.push(nextLimit(path[k]!, 0.9, k, orders, 'CLOSE'));
    expect(path).toEqual([0.8, 0.83, 0.86, 0.9]);
  });

  it('an opening order never goes below minCredit even when natural is lower', () => {
    // Mid 0.40, natural 0.20, floor 0.30: the path ends at the floor.
    const path = [0.4];
    for (let k = 0; k < 5; k++) path.push(nextLimit(path[k]!, 0.2, k, orders, 'OPEN'));
    expect(Math.min(...path)).toBe(0.3);
    expect(path[3]).toBe(0.3);
  });

  it('goes straight to natural when natural has moved past the current limit in our favour', () => {
    expect(nextLimit(0.75, 0.78, 0, orders, 'OPEN')).toBe(0.78);
    expect(nextLimit(0.85, 0.82, 0, orders, 'CLOSE')).toBe(0.82);
  });

  it('law: monotone toward natural, never worse than it, there after ⌈1/fraction⌉ reprices', () => {
    const quote = fc
      .record({ bid: fc.integer({ min: 0, max: 2000 }), spread: fc.integer({ min: 0, max: 200 }) })
      .map(({ bid, spread }) => ({ bid: bid / 100, ask: (bid + spread) / 100 }));
    fc.assert(
      fc.property(
        quote,
        quote,
        fc.constantFrom<ComboPurpose>('OPEN', 'CLOSE'),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.constantFrom(0.01, 0.05),
        fc.constantFrom(0, 0.3),
        (short, long, purpose, repriceFraction, tick, minCredit) => {
          const cfg = { ...orders, repriceFraction, minCredit };
          const legs: PricedSpreadLeg[] = [
            { conId: 1, held: 'SHORT', ratio: 1, quote: short },
            { conId: 2, held: 'LONG', ratio: 1, quote: long },
          ];
          const { natural } = spreadPrices(legs, purpose);
          const target = urgentLimit(legs, purpose, tick, purpose === 'OPEN' ? minCredit : 0);
          // Better for us: more credit when opening, less debit when closing.
          const atLeastAsGood = (a: number, b: number) =>
            purpose === 'OPEN' ? a >= b - 1e-9 : a <= b + 1e-9;
          expect(atLeastAsGood(target, natural)).toBe(true);
          let current = initialLimit(legs, purpose, tick, purpose === 'OPEN' ? minCredit : 0);
          const steps = Math.ceil(1 / repriceFraction);
          for (let k = 0; k < steps; k++) {
            const next = nextLimit(current, natural, k, cfg, purpose, tick);
            expect(atLeastAsGood(next, target)).toBe(true); // never worse than natural (or the floor)
            if (atLeastAsGood(current, target)) expect(atLeastAsGood(current, next)).toBe(true); // monotone
            if (purpose === 'OPEN') expect(next).toBeGreaterThanOrEqual(minCredit);
            current = next;
          }
          expect(current).toBeCloseTo(target, 9);
        },
      ),
    );
  });
});

describe('working order step, cancel and resubmit', () => {
  const placed = { limit: 0.8, repriceCount: 0, lastPricedAt: 1_000_000, purpose: 'OPEN' as const };

  it('waits repriceSeconds, then reprices, then cancels after maxReprices', () => {
    expect(workingOrderStep(placed, 0.7, placed.lastPricedAt + 44_999, orders)).toEqual({
      kind: 'WAIT',
      dueAt: placed.lastPricedAt + 45_000,
    });
    expect(workingOrderStep(placed, 0.7, placed.lastPricedAt + 45_000, orders)).toEqual({
      kind: 'REPRICE',
      limit: 0.77,
    });
    expect(
      workingOrderStep({ ...placed, repriceCount: 3 }, 0.7, placed.lastPricedAt + 45_000, orders).kind,
    ).toBe('CANCEL');
  });

  it('an order lives at most its reprices plus one more wait: the lifetime matches the step function', () => {
    // Defaults: 3 reprices 45 s apart, cancelled at the 4th due time: 180 s after placement.
    expect(orderLifetimeMs(orders)).toBe(180_000);
    let state = placed;
    let now = placed.lastPricedAt;
    for (;;) {
      const step = workingOrderStep(state, 0.7, now, orders);
      if (step.kind === 'CANCEL') break;
      if (step.kind === 'WAIT') now = step.dueAt;
      else state = { ...state, limit: step.limit, repriceCount: state.repriceCount + 1, lastPricedAt: now };
    }
    expect(now - placed.lastPricedAt).toBe(orderLifetimeMs(orders));
  });
});

describe('intent keys', () => {
  it('FNV-1a 64 matches the published test vectors', () => {
    // From the FNV reference (isthe.com/chongo/tech/comp/fnv): FNV-1a 64-bit.
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('is readable, short enough for orderRef and deterministic', () => {
    const input = {
      tradeDate: '2026-11-23',
      subjectId: 'SPY|IRON_CONDOR|2026-12-31|580/575/620/625',
      purpose: 'OPEN' as const,
    };
    const key = intentKey(input);
    expect(key).toMatch(/^oi-20261123-OPEN-[0-9a-f]{16}$/);
    expect(key.length).toBeLessThanOrEqual(40);
    expect(intentKey({ ...input })).toBe(key);
    expect(intentKey({ ...input, attempt: 1 })).toMatch(/^oi-20261123-OPEN-[0-9a-f]{16}-r1$/);
    expect(intentKey({ ...input, attempt: 1 })).not.toBe(key);
    expect(intentKey({ ...input, attempt: 0 })).toBe(key);
  });

  it('rejects malformed input', () => {
    expect(() => intentKey({ tradeDate: '20261123', subjectId: 'x', purpose: 'OPEN' })).toThrow(RangeError);
    expect(() => intentKey({ tradeDate: '2026-11-23', subjectId: '', purpose: 'OPEN' })).toThrow(RangeError);
    expect(() =>
      intentKey({ tradeDate: '2026-11-23', subjectId: 'x', purpose: 'OPEN', attempt: 100 }),
    ).toThrow(RangeError);
  });

  const inputArb = fc.record({
    tradeDate: fc
      .record({
        y: fc.integer({ min: 2025, max: 2030 }),
        m: fc.integer({ min: 1, max: 12 }),
        d: fc.integer({ min: 1, max: 28 }),
      })
      .map(({ y, m, d }) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
    subjectId: fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }),
    purpose: fc.constantFrom<'OPEN' | 'CLOSE'>('OPEN', 'CLOSE'),
    attempt: fc.integer({ min: 0, max: 99 }),
  });

  it('law: same input → same key, at most 40 characters', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const key = intentKey(input);
        expect(intentKey({ ...input })).toBe(key);
        expect(key.length).toBeLessThanOrEqual(40);
      }),
    );
  });

  it('law: different inputs → different keys (no collisions among thousands)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(inputArb, {
          minLength: 500,
          maxLength: 2000,
          selector: (i) => `${i.tradeDate}|${i.purpose}|${i.attempt}|${i.subjectId}`,
        }),
        (inputs) => {
          expect(new Set(inputs.map(intentKey)).size).toBe(inputs.length);
        },
      ),
      { numRuns: 10 },
    );
  });

  it('near-identical subjects (one strike apart) still get different keys', () => {
    const keys = new Set<string>();
    for (let strike = 400; strike < 700; strike++) {
      keys.add(
        intentKey({
          tradeDate: '2026-11-23',
          subjectId: `SPY|BULL_PUT|2026-12-31|${strike}/${strike - 5}`,
          purpose: 'OPEN',
        }),
      );
    }
    expect(keys.size).toBe(300);
  });
});

describe('planCombo and positionSpreadLegs', () => {
  it('plans a limit order at mid (or natural when urgent), keyed, with transmit explicit', () => {
    const base = {
      purpose: 'CLOSE' as const,
      subjectId: 'pos-1',
      symbol: 'SPY',
      tradeDate: '2026-03-10',
      legs: BULL_PUT,
      quantity: 2,
    };
    const plan = planCombo({ ...base, dryRun: false }, orders);
    expect(plan).toMatchObject({
      orderType: 'LMT',
      secType: 'BAG',
      action: 'BUY',
      limitPrice: 0.8,
      quantity: 2,
      transmit: true,
      dryRun: false,
      intentKey: intentKey({ tradeDate: '2026-03-10', subjectId: 'pos-1', purpose: 'CLOSE' }),
    });
    expect(planCombo({ ...base, dryRun: true, urgent: true }, orders)).toMatchObject({
      limitPrice: 0.9,
      transmit: false,
      dryRun: true,
    });
  });

  it('takes the legs of a held position with its short/long sides and the per-spread ratio', () => {
    const contract = (strike: number, conId?: number) => ({
      symbol: 'SPY',
      expiry: '2026-04-17',
      strike,
      right: 'P' as const,
      multiplier: 100,
      ...(conId ? { conId } : {}),
    });
    const position: StrategyPosition = {
      id: 'pos-1',
      strategy: 'BULL_PUT',
      symbol: 'SPY',
      expiry: '2026-04-17',
      legs: [
        { contract: contract(580, 580), quantity: -2 },
        { contract: contract(575, 575), quantity: 2 },
      ],
      quantity: 2,
      entryCredit: 1.25,
      width: 5,
      openedAt: 0,
      commissionsUsd: 2.6,
    };
    const quotes: Record<number, { bid: number; ask: number }> = {
      580: { bid: 1.3, ask: 1.4 },
      575: { bid: 0.5, ask: 0.6 },
    };
    const result = positionSpreadLegs(position, (l) => quotes[l.contract.strike]);
    expect(result).toEqual({ ok: true, legs: BULL_PUT });
    const noConId = { ...position, legs: [{ contract: contract(580), quantity: -2 }, position.legs[1]!] };
    expect(positionSpreadLegs(noConId, (l) => quotes[l.contract.strike])).toEqual({
      ok: false,
      missing: ['P580: no conId'],
    });
  });
});
