// IB's tick types decoded into quote fields (gateway-container/bridge/ib/parsing/ticks.ts), as tables.
// The names are checked against the client library's own TickType enum; values and flags by hand.

import { EventName } from '@stoqey/ib';
import { TickType } from '@stoqey/ib/dist/api/market/tickType';
import { describe, expect, it } from 'vitest';
import { QuoteTicks, TICK_TYPES, tickType } from '#bridge/ib/parsing/ticks';

const MAX = Number.MAX_VALUE; // IB's "no value" for a price or size

describe('the named tick-type table', () => {
  it.each(TICK_TYPES.map((r) => [r.id, r.name] as const))('%i is %s, as IB numbers it', (id, name) => {
    expect(TickType[id]).toBe(name);
  });

  it.each([
    [0, 'BID_SIZE', 'size', 'bidSize', false, false],
    [1, 'BID', 'price', 'bid', false, false],
    [2, 'ASK', 'price', 'ask', false, false],
    [3, 'ASK_SIZE', 'size', 'askSize', false, false],
    [4, 'LAST', 'price', 'last', false, false],
    [8, 'VOLUME', 'size', 'volume', false, false],
    [9, 'CLOSE', 'price', 'close', false, false],
    [13, 'MODEL_OPTION', 'optionComputation', undefined, false, true],
    [22, 'OPEN_INTEREST', 'size', 'openInterest', false, false],
    [27, 'OPTION_CALL_OPEN_INTEREST', 'size', 'openInterest', false, false],
    [28, 'OPTION_PUT_OPEN_INTEREST', 'size', 'openInterest', false, false],
    [66, 'DELAYED_BID', 'price', 'bid', true, false],
    [67, 'DELAYED_ASK', 'price', 'ask', true, false],
    [68, 'DELAYED_LAST', 'price', 'last', true, false],
    [69, 'DELAYED_BID_SIZE', 'size', 'bidSize', true, false],
    [70, 'DELAYED_ASK_SIZE', 'size', 'askSize', true, false],
    [74, 'DELAYED_VOLUME', 'size', 'volume', true, false],
    [75, 'DELAYED_CLOSE', 'price', 'close', true, false],
    [76, 'DELAYED_OPEN', 'price', undefined, true, false],
    [83, 'DELAYED_MODEL_OPTION', 'optionComputation', undefined, true, true],
    [86, 'FUTURES_OPEN_INTEREST', 'size', 'openInterest', false, false],
  ])('%i %s: a %s tick, fills %s, delayed %s, model %s', (id, name, kind, field, delayed, model) => {
    const row = tickType(id);
    expect(
      row && {
        name: row.name,
        kind: row.kind,
        field: row.field,
        delayed: row.delayed,
        model: row.model === true,
      },
    ).toEqual({ name, kind, field, delayed, model });
  });

  it('marks every one of IB delayed types 66–76 and 80–83 delayed, and no other', () => {
    const delayedIds = TICK_TYPES.filter((r) => r.delayed).map((r) => r.id);
    expect(delayedIds).toEqual([66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 80, 81, 82, 83]);
  });

  it('knows nothing of types the bridge ignores', () => {
    expect(tickType(45)).toBeUndefined(); // LAST_TIMESTAMP
    expect(tickType(-1)).toBeUndefined();
  });
});

describe('one tick into a quote', () => {
  it.each([
    // [what, event, args (request id first), quote fields after, delayed, may complete]
    ['bid', EventName.tickPrice, [7, 1, 1.25], { bid: 1.25 }, false, true],
    ['a zero bid is a price', EventName.tickPrice, [7, 1, 0], { bid: 0 }, false, true],
    ['ask', EventName.tickPrice, [7, 2, 1.3], { ask: 1.3 }, false, true],
    ['last', EventName.tickPrice, [7, 4, 580.5], { last: 580.5 }, false, true],
    ['close', EventName.tickPrice, [7, 9, 579], { close: 579 }, false, true],
    ['delayed bid', EventName.tickPrice, [7, 66, 1.2], { bid: 1.2 }, true, true],
    ['delayed ask', EventName.tickPrice, [7, 67, 1.4], { ask: 1.4 }, true, true],
    ['delayed last', EventName.tickPrice, [7, 68, 20.1], { last: 20.1 }, true, true],
    ['delayed close', EventName.tickPrice, [7, 75, 19.8], { close: 19.8 }, true, true],
    ['delayed high: recognised, not kept', EventName.tickPrice, [7, 72, 21], {}, true, true],
    ['high: not kept', EventName.tickPrice, [7, 6, 21], {}, false, true],
    ['−1 bid placeholder', EventName.tickPrice, [7, 1, -1], {}, false, false],
    ['MAX_VALUE ask placeholder', EventName.tickPrice, [7, 2, MAX], {}, false, false],
    ['delayed bid placeholder still marks delayed', EventName.tickPrice, [7, 66, -1], {}, true, false],
    ['a size type sent as a price', EventName.tickPrice, [7, 0, 5], {}, false, true],
    ['an option type sent as a price', EventName.tickPrice, [7, 80, 5], {}, false, true],
    ['bid size', EventName.tickSize, [7, 0, 10], { bidSize: 10 }, false, true],
    ['ask size', EventName.tickSize, [7, 3, 12], { askSize: 12 }, false, true],
    ['volume', EventName.tickSize, [7, 8, 5000], { volume: 5000 }, false, true],
    ['open interest', EventName.tickSize, [7, 22, 900], { openInterest: 900 }, false, true],
    ['call open interest', EventName.tickSize, [7, 27, 901], { openInterest: 901 }, false, true],
    ['put open interest', EventName.tickSize, [7, 28, 902], { openInterest: 902 }, false, true],
    ['futures open interest', EventName.tickSize, [7, 86, 903], { openInterest: 903 }, false, true],
    ['delayed bid size', EventName.tickSize, [7, 69, 3], { bidSize: 3 }, true, true],
    ['delayed ask size', EventName.tickSize, [7, 70, 4], { askSize: 4 }, true, true],
    ['delayed volume', EventName.tickSize, [7, 74, 40], { volume: 40 }, true, true],
    ['delayed last size: not kept', EventName.tickSize, [7, 71, 1], {}, true, true],
    ['last size: not kept', EventName.tickSize, [7, 5, 1], {}, false, true],
    [
      'MAX_SAFE_INTEGER size placeholder',
      EventName.tickSize,
      [7, 8, Number.MAX_SAFE_INTEGER],
      {},
      false,
      false,
    ],
    ['a price type sent as a size', EventName.tickSize, [7, 1, 5], {}, false, true],
    [
      'model computation',
      EventName.tickOptionComputation,
      [7, 13, 0, 0.2, -0.3, 1.5, 0, 0.01, 0.05, -0.02, 580],
      { iv: 0.2, delta: -0.3, gamma: 0.01, vega: 0.05, theta: -0.02, underlyingPrice: 580 },
      false,
      true,
    ],
    [
      'delayed model computation',
      EventName.tickOptionComputation,
      [7, 83, 0, 0.2, 0.4, 1.5, 0, 0.01, 0.05, -0.02, 580],
      { iv: 0.2, delta: 0.4, gamma: 0.01, vega: 0.05, theta: -0.02, underlyingPrice: 580 },
      true,
      true,
    ],
    [
      'bid computation with −2 greeks and −1 iv: those absent',
      EventName.tickOptionComputation,
      [7, 10, 0, -1, -2, 1.5, 0, -2, -2, -2, 580],
      { underlyingPrice: 580 },
      false,
      true,
    ],
    [
      'delayed ask computation',
      EventName.tickOptionComputation,
      [7, 81, 0, 0.25, 0.5, 1.5, 0, 0.02, 0.06, -0.03, MAX],
      { iv: 0.25, delta: 0.5, gamma: 0.02, vega: 0.06, theta: -0.03 },
      true,
      true,
    ],
    ['market data type 1 (live)', EventName.marketDataType, [7, 1], {}, false, false],
    ['market data type 2 (frozen)', EventName.marketDataType, [7, 2], {}, false, false],
    ['market data type 3 (delayed)', EventName.marketDataType, [7, 3], {}, true, false],
    ['market data type 4 (delayed-frozen)', EventName.marketDataType, [7, 4], {}, true, false],
    ['an event that is no tick', EventName.tickString, [7, 45, '1780320600'], {}, false, false],
  ] as const)('%s', (_what, event, args, fields, delayed, applied) => {
    const ticks = new QuoteTicks();
    expect(ticks.apply(event, args)).toBe(applied);
    expect(ticks.quoteFields()).toEqual(fields);
    expect(ticks.delayed).toBe(delayed);
  });
});

const computation = (type: number, iv: number, delta: number): [string, unknown[]] => [
  EventName.tickOptionComputation,
  [7, type, 0, iv, delta, 1, 0, 0.01, 0.05, -0.02, 580],
];

describe('a line of ticks', () => {
  it.each([
    [
      'bid, ask and last computations fill gaps; the last one wins',
      [computation(10, 0.2, 0.3), computation(11, 0.22, 0.32)],
      0.22,
      0.32,
    ],
    [
      'the model wins over a later bid computation',
      [computation(13, 0.25, 0.35), computation(10, 0.2, 0.3)],
      0.25,
      0.35,
    ],
    [
      'the model replaces an earlier bid computation',
      [computation(10, 0.2, 0.3), computation(13, 0.25, 0.35)],
      0.25,
      0.35,
    ],
    [
      'a later model replaces the model',
      [computation(13, 0.25, 0.35), computation(13, 0.26, 0.36)],
      0.26,
      0.36,
    ],
    [
      'the delayed model counts as the model',
      [computation(83, 0.25, 0.35), computation(80, 0.2, 0.3)],
      0.25,
      0.35,
    ],
  ] as const)('%s', (_what, events, iv, delta) => {
    const ticks = new QuoteTicks();
    for (const [event, args] of events) ticks.apply(event, args);
    expect(ticks.quoteFields()).toMatchObject({ iv, delta });
  });

  const bidAsk = [
    [EventName.tickPrice, [7, 1, 1.2]],
    [EventName.tickPrice, [7, 2, 1.3]],
  ] as const;
  const greeks = [computation(13, 0.2, 0.3)] as const;
  it.each([
    // [what, secType, needs greeks, ticks, complete]
    ['a stock with bid and ask', 'STK', false, bidAsk, true],
    ['a stock with a bid only', 'STK', false, [bidAsk[0]], false],
    ['an option without greeks', 'OPT', true, bidAsk, false],
    ['an option with bid, ask and the model', 'OPT', true, [...bidAsk, ...greeks], true],
    ['an option for the price band (prices only)', 'OPT', false, bidAsk, true],
    ['an option with greeks but no ask', 'OPT', true, [bidAsk[0], ...greeks], false],
    ['an index with a last', 'IND', false, [[EventName.tickPrice, [7, 4, 18.5]]], true],
    ['an index with a delayed close', 'IND', false, [[EventName.tickPrice, [7, 75, 18.2]]], true],
    ['an index with bid and ask only', 'IND', false, bidAsk, false],
  ] as const)('complete: %s', (_what, secType, needsGreeks, events, complete) => {
    const ticks = new QuoteTicks();
    for (const [event, args] of events) ticks.apply(event, args);
    expect(ticks.complete(secType, needsGreeks)).toBe(complete);
  });
});
