// The order guard's rules as tables (gateway-container/bridge/order-guard.ts). Expected numbers are worked
// out by hand in the comments; the jobs' own pricing path (core orders.ts) is run through the guard to
// show that no legitimate price is refused.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config';
import {
  comboOrderFor,
  initialLimit,
  nextLimit,
  spreadPrices,
  urgentLimit,
  type PricedSpreadLeg,
} from '#core/orders';
import {
  checkInstrument,
  checkPrice,
  checkTradingMode,
  contractsOf,
  guardModification,
  guardOrder,
  type GuardInput,
  type LegContract,
  limitsForContractsPerTrade,
  positionEffect,
  bandFor,
  priceBand,
  type PriceBand,
} from '#bridge/order-guard';

const LIMITS = { maxContractsPerOrder: 40, maxContractsPerDay: 100, priceBandWidthFraction: 0.1 };

// A bull put 500/495 in the jobs' convention: BUY the short put, SELL the long put; SELL of the combo opens.
const SHORT: LegContract = { conId: 1, secType: 'OPT', symbol: 'SPY', right: 'P', strike: 500 };
const LONG: LegContract = { conId: 2, secType: 'OPT', symbol: 'SPY', right: 'P', strike: 495 };
const BULL_PUT_LEGS = [
  { conId: 1, action: 'BUY' as const, ratio: 1 },
  { conId: 2, action: 'SELL' as const, ratio: 1 },
];
// short 2.00/2.20, long 0.80/0.90: mid credit 2.10 − 0.85 = 1.25; natural credit (SELL) 2.00 − 0.90 = 1.10
const QUOTES = [
  { bid: 2.0, ask: 2.2 },
  { bid: 0.8, ask: 0.9 },
];

function input(
  over: Partial<Omit<GuardInput, 'order'>> & { order?: Partial<GuardInput['order']> } = {},
): GuardInput {
  return {
    contracts: [SHORT, LONG],
    quotes: QUOTES,
    held: new Map(),
    placedToday: 0,
    limits: LIMITS,
    ...over,
    order: { legs: BULL_PUT_LEGS, action: 'SELL', quantity: 1, limitPrice: 1.25, ...over.order },
  };
}

describe('trading mode (one rule with the jobs: paper = DU…)', () => {
  it.each([
    ['paper', 'DU1234567', undefined],
    ['live', 'U7654321', undefined],
    ['live', 'DU1234567', 'TRADING_MODE'],
    ['paper', 'U7654321', 'TRADING_MODE'],
    // DF (a paper advisor master) was paper to the bridge but live to the jobs: now live for both
    ['paper', 'DF1234567', 'TRADING_MODE'],
    ['paper', undefined, 'TRADING_MODE'],
  ] as const)('%s stack, account %s → %s', (mode, account, rule) => {
    expect(checkTradingMode(mode, account)?.rule).toBe(rule);
  });

  it('names the modes but never the account id', () => {
    const refusal = checkTradingMode('live', 'DU1234567')!;
    expect(refusal.message).toContain('live');
    expect(refusal.message).toContain('paper');
    expect(refusal.message).not.toContain('DU1234567');
  });
});

describe('instrument', () => {
  const stock: LegContract = { conId: 9, secType: 'STK', symbol: 'SPY' };
  const qqq: LegContract = { conId: 3, secType: 'OPT', symbol: 'QQQ', right: 'P', strike: 400 };
  const fut: LegContract = { conId: 4, secType: 'FUT', symbol: 'ES' };
  it.each([
    ['one option, ratio 1', [{ conId: 1, action: 'SELL', ratio: 1 }], [SHORT], undefined],
    ['one option, ratio 10', [{ conId: 1, action: 'SELL', ratio: 10 }], [SHORT], 'ratio 10'],
    ['one stock leg', [{ conId: 9, action: 'SELL', ratio: 1 }], [stock], undefined],
    ['one future', [{ conId: 4, action: 'BUY', ratio: 1 }], [fut], 'FUT'],
    ['a vertical', BULL_PUT_LEGS, [SHORT, LONG], undefined],
    [
      'options of two underlyings',
      [BULL_PUT_LEGS[0]!, { conId: 3, action: 'SELL', ratio: 1 }],
      [SHORT, qqq],
      'SPY, QQQ',
    ],
    [
      'a combo with stock',
      [BULL_PUT_LEGS[0]!, { conId: 9, action: 'SELL', ratio: 1 }],
      [SHORT, stock],
      'STK',
    ],
  ] as const)('%s', (_name, legs, contracts, refusedWith) => {
    const refusal = checkInstrument(legs as never, contracts);
    if (refusedWith === undefined) expect(refusal).toBeUndefined();
    else {
      expect(refusal?.rule).toBe('INSTRUMENT');
      expect(refusal?.message).toContain(refusedWith);
    }
  });
});

describe('size', () => {
  it('counts legs × ratio × quantity as IB will', () => {
    expect(contractsOf({ legs: BULL_PUT_LEGS, quantity: 10 })).toBe(20);
    expect(contractsOf({ legs: [...BULL_PUT_LEGS, ...BULL_PUT_LEGS], quantity: 10 })).toBe(40); // an iron condor
    expect(contractsOf({ legs: [{ conId: 1, action: 'BUY', ratio: 2 }], quantity: 3 })).toBe(6);
  });

  it('refuses above the per-order cap and names both numbers', () => {
    const ok = guardOrder(input({ order: { quantity: 20 } }));
    expect(ok.ok).toBe(true);
    const refused = guardOrder(input({ order: { quantity: 21 } }));
    expect(refused).toMatchObject({ ok: false, refusal: { rule: 'MAX_CONTRACTS_PER_ORDER' } });
    if (!refused.ok) expect(refused.refusal.message).toMatch(/42 contracts .* 40/);
  });

  it('refuses an opening order past the day cap, never a close', () => {
    // 90 opened + 2 × 6 = 102 > 100
    const open = guardOrder(input({ order: { quantity: 6 }, placedToday: 90 }));
    expect(open).toMatchObject({ ok: false, refusal: { rule: 'MAX_CONTRACTS_PER_DAY' } });
    expect(guardOrder(input({ order: { quantity: 5 }, placedToday: 90 })).ok).toBe(true);
    // closing 6 of a held bull put (short −6, long +6) at a debit inside the band
    const close = guardOrder(
      input({
        order: { action: 'BUY', quantity: 6, limitPrice: 1.3 },
        held: new Map([
          [1, -6],
          [2, 6],
        ]),
        placedToday: 100,
      }),
    );
    expect(close).toMatchObject({ ok: true, effect: 'CLOSE' });
  });

  it('bounds a closing order by what the account holds, not by the per-order cap (an exit is never refused for size)', () => {
    const held = new Map([
      [1, -30],
      [2, 30],
    ]);
    // 2 × 30 = 60 contracts > 40, but it only buys back the spread held
    const close = guardOrder(input({ order: { action: 'BUY', quantity: 30, limitPrice: 1.3 }, held }));
    expect(close).toMatchObject({ ok: true, effect: 'CLOSE', contracts: 60 });
    // one more than held is no longer a close: the cap applies
    const beyond = guardOrder(input({ order: { action: 'BUY', quantity: 31, limitPrice: 1.3 }, held }));
    expect(beyond).toMatchObject({ ok: false, refusal: { rule: 'MAX_CONTRACTS_PER_ORDER' } });
  });

  it('derives the local limits from the config cap: an iron condor per order, ten of them per day', () => {
    expect(limitsForContractsPerTrade(10)).toEqual({
      maxContractsPerOrder: 40,
      maxContractsPerDay: 400,
      priceBandWidthFraction: 0.1,
    });
  });
});

describe('position effect and stock', () => {
  const held = new Map([
    [1, -2],
    [2, 2],
    [9, 300],
  ]);
  it.each([
    ['buying back the held spread', { action: 'BUY', quantity: 2 }, BULL_PUT_LEGS, 'CLOSE'],
    ['buying back more than held', { action: 'BUY', quantity: 3 }, BULL_PUT_LEGS, 'OPEN'],
    ['selling the spread again', { action: 'SELL', quantity: 1 }, BULL_PUT_LEGS, 'OPEN'],
    [
      'selling held shares',
      { action: 'BUY', quantity: 300 },
      [{ conId: 9, action: 'SELL', ratio: 1 }],
      'CLOSE',
    ],
    [
      'selling more shares than held',
      { action: 'BUY', quantity: 301 },
      [{ conId: 9, action: 'SELL', ratio: 1 }],
      'OPEN',
    ],
    ['buying more shares', { action: 'BUY', quantity: 1 }, [{ conId: 9, action: 'BUY', ratio: 1 }], 'OPEN'],
  ] as const)('%s → %s', (_name, order, legs, effect) => {
    expect(positionEffect({ ...order, legs: legs as never }, held)).toBe(effect);
  });

  it('allows stock only to close held shares, whatever the quantity cap says about contracts', () => {
    const spy: LegContract = { conId: 9, secType: 'STK', symbol: 'SPY' };
    const sell = (quantity: number) =>
      guardOrder({
        order: { legs: [{ conId: 9, action: 'SELL', ratio: 1 }], action: 'BUY', quantity, limitPrice: -500 },
        contracts: [spy],
        quotes: [{ bid: 500, ask: 500.05 }],
        held,
        placedToday: 0,
        limits: LIMITS,
      });
    expect(sell(300)).toMatchObject({ ok: true, effect: 'CLOSE' });
    expect(sell(301)).toMatchObject({ ok: false, refusal: { rule: 'STOCK_CLOSE_ONLY' } });
  });
});

describe('price band', () => {
  it('is natural..mid widened by fraction × width + a tick, from the bridge’s own quotes', () => {
    // SELL (open): mid 1.25, natural 1.10; ± 0.1 × 5 + 0.01 = 0.51 → 0.59..1.76
    const band = priceBand({ legs: BULL_PUT_LEGS, action: 'SELL' }, [SHORT, LONG], QUOTES, 0.1) as PriceBand;
    expect(band).toEqual({
      basis: 'quotes',
      mid: 1.25,
      natural: 1.1,
      width: 5,
      tolerance: 0.51,
      low: 0.59,
      high: 1.76,
    });
    // BUY (close): natural debit 2.20 − 0.80 = 1.40 → 0.74..1.91
    const close = priceBand({ legs: BULL_PUT_LEGS, action: 'BUY' }, [SHORT, LONG], QUOTES, 0.1) as PriceBand;
    expect(close).toMatchObject({ mid: 1.25, natural: 1.4, low: 0.74, high: 1.91 });
    // the bridge's own convention (BUY of [SELL short, BUY long] at −credit) gives the mirrored band
    const mirrored = priceBand(
      {
        legs: [
          { conId: 1, action: 'SELL', ratio: 1 },
          { conId: 2, action: 'BUY', ratio: 1 },
        ],
        action: 'BUY',
      },
      [SHORT, LONG],
      QUOTES,
      0.1,
    ) as PriceBand;
    expect(mirrored).toMatchObject({ mid: -1.25, natural: -1.1, low: -1.76, high: -0.59 });
  });

  it('uses an iron condor’s wider wing, and a single leg’s own price as the width', () => {
    const callShort: LegContract = { conId: 5, secType: 'OPT', symbol: 'SPY', right: 'C', strike: 560 };
    const callLong: LegContract = { conId: 6, secType: 'OPT', symbol: 'SPY', right: 'C', strike: 570 };
    const ic = priceBand(
      {
        legs: [
          ...BULL_PUT_LEGS,
          { conId: 5, action: 'BUY', ratio: 1 },
          { conId: 6, action: 'SELL', ratio: 1 },
        ],
        action: 'SELL',
      },
      [SHORT, LONG, callShort, callLong],
      [...QUOTES, { bid: 1.0, ask: 1.1 }, { bid: 0.3, ask: 0.4 }],
      0.1,
    ) as PriceBand;
    expect(ic.width).toBe(10);
    expect(ic.tolerance).toBe(1.01);
    // one put sold at 2.00..2.20: natural 2.00 (SELL), ± 0.1 × 2.00 + 0.01 = 0.21
    const single = priceBand(
      { legs: [{ conId: 1, action: 'BUY', ratio: 1 }], action: 'SELL' },
      [SHORT],
      [QUOTES[0]!],
      0.1,
    ) as PriceBand;
    expect(single).toMatchObject({ mid: 2.1, natural: 2, tolerance: 0.21, low: 1.79, high: 2.31 });
  });

  it('counts a missing bid as 0 and refuses without an ask', () => {
    const noBid = priceBand(
      { legs: BULL_PUT_LEGS, action: 'SELL' },
      [SHORT, LONG],
      [QUOTES[0]!, { ask: 0.05 }],
      0.1,
    ) as PriceBand;
    expect(noBid).toMatchObject({ mid: 2.075, natural: 1.95 });
    const noAsk = priceBand(
      { legs: BULL_PUT_LEGS, action: 'SELL' },
      [SHORT, LONG],
      [QUOTES[0]!, { bid: 0.8 }],
      0.1,
    );
    expect(noAsk).toMatchObject({ rule: 'PRICE_BAND' });
  });

  it('a close whose wing has no quote is bounded by the width alone; an opening order is refused', () => {
    const wingSilent = [QUOTES[0]!, {}];
    // closing the bull put: BUY the long-the-spread combo at a debit
    const close = bandFor({ legs: BULL_PUT_LEGS, action: 'BUY' }, [SHORT, LONG], wingSilent, 0.1, 'CLOSE');
    expect(close).toEqual({ basis: 'width', width: 5, tolerance: 0, low: -5, high: 5 });
    expect(checkPrice({ action: 'BUY', limitPrice: 4.2 }, close as PriceBand, 'CLOSE')).toBeUndefined();
    expect(checkPrice({ action: 'BUY', limitPrice: 5.01 }, close as PriceBand, 'CLOSE')).toMatchObject({
      rule: 'PRICE_BAND',
      message: 'BUY limit 5.01 is outside -5..5 (a leg has no quote, so only the width 5 bounds a close)',
    });
    expect(
      bandFor({ legs: BULL_PUT_LEGS, action: 'SELL' }, [SHORT, LONG], wingSilent, 0.1, 'OPEN'),
    ).toMatchObject({ rule: 'PRICE_BAND', message: expect.stringContaining('no ask for leg 2') });
    // a single leg has no width to bound it
    expect(
      bandFor({ legs: [{ conId: 2, action: 'SELL', ratio: 1 }], action: 'SELL' }, [LONG], [{}], 0.1, 'CLOSE'),
    ).toMatchObject({ rule: 'PRICE_BAND' });
  });

  it.each([
    ['the mid', 'SELL', 1.25, 'OPEN', undefined],
    ['natural', 'SELL', 1.1, 'OPEN', undefined],
    ['a limit of 1,000,000', 'BUY', 1_000_000, 'CLOSE', 'PRICE_BAND'],
    ['just below the band', 'SELL', 0.58, 'OPEN', 'PRICE_BAND'],
    ['just above the band', 'SELL', 1.77, 'OPEN', 'PRICE_BAND'],
  ] as const)('%s: %s at %s to %s → %s', (_name, action, limitPrice, effect, rule) => {
    const band = priceBand({ legs: BULL_PUT_LEGS, action }, [SHORT, LONG], QUOTES, 0.1) as PriceBand;
    expect(checkPrice({ action, limitPrice }, band, effect)?.rule).toBe(rule);
  });

  it('never a debit to open a credit spread, never more than the width to close it', () => {
    // a far spread worth almost nothing: mid 0.03, band ± 0.51
    const cheap = {
      basis: 'quotes' as const,
      mid: 0.03,
      natural: 0.01,
      width: 5,
      tolerance: 0.51,
      low: -0.5,
      high: 0.54,
    };
    expect(checkPrice({ action: 'SELL', limitPrice: -0.05 }, cheap, 'OPEN')?.rule).toBe('CREDIT_TO_OPEN');
    expect(checkPrice({ action: 'SELL', limitPrice: 0 }, cheap, 'OPEN')?.rule).toBe('CREDIT_TO_OPEN');
    expect(checkPrice({ action: 'SELL', limitPrice: 0.01 }, cheap, 'OPEN')).toBeUndefined();
    // deep in the money: worth about the width
    const deep = {
      basis: 'quotes' as const,
      mid: 4.9,
      natural: 4.98,
      width: 5,
      tolerance: 0.51,
      low: 4.39,
      high: 5.49,
    };
    expect(checkPrice({ action: 'BUY', limitPrice: 5.1 }, deep, 'CLOSE')?.rule).toBe('DEBIT_TO_CLOSE');
    expect(checkPrice({ action: 'BUY', limitPrice: 5 }, deep, 'CLOSE')).toBeUndefined();
  });

  it('applies to a modification with the same numbers', () => {
    const base = { contracts: [SHORT, LONG], quotes: QUOTES, effect: 'OPEN' as const, limits: LIMITS };
    const order = { legs: BULL_PUT_LEGS, action: 'SELL' as const, quantity: 1 };
    expect(guardModification({ ...base, order: { ...order, limitPrice: 1.1 } })).toBeUndefined();
    expect(guardModification({ ...base, order: { ...order, limitPrice: 1_000_000 } })?.rule).toBe(
      'PRICE_BAND',
    );
  });
});

describe('the jobs’ own pricing path stays inside the band', () => {
  const config = parseConfig({});
  // several markets: tight, wide, a cheap far spread, a rich one near the money
  const markets: [string, { bid: number; ask: number }, { bid: number; ask: number }][] = [
    ['tight', { bid: 2.0, ask: 2.05 }, { bid: 0.8, ask: 0.82 }],
    ['wide', { bid: 1.5, ask: 2.5 }, { bid: 0.3, ask: 0.9 }],
    ['cheap', { bid: 0.3, ask: 0.4 }, { bid: 0.02, ask: 0.06 }],
    ['rich', { bid: 4.2, ask: 4.6 }, { bid: 0.9, ask: 1.3 }],
  ];
  it.each(markets)(
    '%s market: mid, every reprice and natural, to open and to close',
    (_name, short, long) => {
      const legs: PricedSpreadLeg[] = [
        { conId: 1, held: 'SHORT', ratio: 1, quote: short },
        { conId: 2, held: 'LONG', ratio: 1, quote: long },
      ];
      for (const purpose of ['OPEN', 'CLOSE'] as const) {
        const { natural } = spreadPrices(legs, purpose);
        const path = [initialLimit(legs, purpose, 0.01, purpose === 'OPEN' ? config.orders.minCredit : 0)];
        for (let n = 0; n < config.orders.maxReprices; n++)
          path.push(nextLimit(path.at(-1)!, natural, n, config.orders, purpose));
        path.push(urgentLimit(legs, purpose, 0.01, purpose === 'OPEN' ? config.orders.minCredit : 0));
        for (const price of path) {
          const combo = comboOrderFor(purpose, legs, price);
          const held =
            purpose === 'CLOSE'
              ? new Map([
                  [1, -1],
                  [2, 1],
                ])
              : new Map<number, number>();
          const verdict = guardOrder({
            order: { legs: combo.legs, action: combo.action, quantity: 1, limitPrice: combo.limitPrice },
            contracts: [SHORT, LONG],
            quotes: [short, long],
            held,
            placedToday: 0,
            limits: limitsForContractsPerTrade(config.risk.maxContractsPerTrade),
          });
          // the minCredit floor may ask more than a cheap spread's band allows: that order would never fill
          if (
            purpose === 'OPEN' &&
            price === config.orders.minCredit &&
            spreadPrices(legs, 'OPEN').mid < price - 0.51
          )
            continue;
          expect(verdict, `${purpose} at ${price}`).toMatchObject({ ok: true, effect: purpose });
        }
      }
    },
  );
});
