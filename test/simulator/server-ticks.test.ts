// The pure tick pieces of the market-data lines: which tick messages a quote makes (live and delayed
// tick types, sizes on their own, open interest, option computations), a combo's quote from its legs',
// and the market data type a line carries. Expectations come from the quotes fed in.

import { describe, expect, it } from 'vitest';
import type { SimQuote } from '#simulator/engine-api';
import { comboQuote, lineDataType, quoteTicks } from '#simulator/server/ticks';
import { OUT } from '#simulator/server/wire';

const REQ = 7;
const NO_GENERIC = new Set<string>();

/** [message id, tick type, value] of each tick, in order. */
function summary(ticks: ReturnType<typeof quoteTicks>): [number, number, number][] {
  return ticks.map(({ fields }) => {
    const [msgId] = fields as number[];
    if (msgId === OUT.TICK_OPTION_COMPUTATION) return [msgId, fields[2] as number, fields[6] as number];
    return [msgId as number, fields[3] as number, fields[4] as number];
  });
}

describe('lineDataType', () => {
  it.each([
    // [connection's type, delayedData fault on the line, type the line carries]
    [1, false, 1],
    [2, false, 2],
    [3, false, 3],
    [4, false, 4],
    [1, true, 3],
    [2, true, 4],
    [3, true, 3],
    [4, true, 4],
  ])('connection type %i, delayedOnly %s → %i', (connectionType, delayedOnly, expected) => {
    expect(lineDataType(connectionType, delayedOnly)).toBe(expected);
  });
});

describe('quoteTicks', () => {
  it.each<[string, SimQuote, boolean, [number, number, number][]]>([
    [
      'bid and ask live: prices carry their sizes, then the sizes alone',
      { bid: 1.5, ask: 1.6, bidSize: 10, askSize: 12, time: 0 },
      false,
      [
        [OUT.TICK_PRICE, 1, 1.5],
        [OUT.TICK_PRICE, 2, 1.6],
        [OUT.TICK_SIZE, 0, 10],
        [OUT.TICK_SIZE, 3, 12],
      ],
    ],
    [
      'the same quote delayed: tick types 66, 67, 69, 70',
      { bid: 1.5, ask: 1.6, bidSize: 10, askSize: 12, time: 0 },
      true,
      [
        [OUT.TICK_PRICE, 66, 1.5],
        [OUT.TICK_PRICE, 67, 1.6],
        [OUT.TICK_SIZE, 69, 10],
        [OUT.TICK_SIZE, 70, 12],
      ],
    ],
    [
      'last, high, low, close and volume live',
      { last: 400, lastSize: 3, high: 402, low: 398, close: 399, volume: 1000, time: 0 },
      false,
      [
        [OUT.TICK_PRICE, 4, 400],
        [OUT.TICK_PRICE, 6, 402],
        [OUT.TICK_PRICE, 7, 398],
        [OUT.TICK_PRICE, 9, 399],
        [OUT.TICK_SIZE, 5, 3],
        [OUT.TICK_SIZE, 8, 1000],
      ],
    ],
    [
      'last, high, low, close and volume delayed',
      { last: 400, lastSize: 3, high: 402, low: 398, close: 399, volume: 1000, time: 0 },
      true,
      [
        [OUT.TICK_PRICE, 68, 400],
        [OUT.TICK_PRICE, 72, 402],
        [OUT.TICK_PRICE, 73, 398],
        [OUT.TICK_PRICE, 75, 399],
        [OUT.TICK_SIZE, 71, 3],
        [OUT.TICK_SIZE, 74, 1000],
      ],
    ],
    ['an empty quote makes no ticks', { time: 0 }, false, []],
  ])('%s', (_name, quote, delayed, expected) => {
    expect(summary(quoteTicks(REQ, quote, { delayed, genericTicks: NO_GENERIC }))).toEqual(expected);
  });

  const greeks = {
    impliedVol: 0.2,
    delta: -0.3,
    gamma: 0.01,
    vega: 0.1,
    theta: -0.05,
    optPrice: 1.55,
    pvDividend: 0,
    undPrice: 400,
  };

  it.each<[string, boolean, number[]]>([
    ['live', false, [10, 11, 12, 13]],
    ['delayed', true, [80, 81, 82, 83]],
  ])('option computations %s: bid, ask, last and model, each at its own price', (_name, delayed, types) => {
    const quote: SimQuote = { bid: 1.5, ask: 1.6, last: 1.58, greeks, time: 0 };
    const computations = summary(quoteTicks(REQ, quote, { delayed, genericTicks: NO_GENERIC })).filter(
      ([msgId]) => msgId === OUT.TICK_OPTION_COMPUTATION,
    );
    expect(computations).toEqual([
      [OUT.TICK_OPTION_COMPUTATION, types[0], 1.5],
      [OUT.TICK_OPTION_COMPUTATION, types[1], 1.6],
      [OUT.TICK_OPTION_COMPUTATION, types[2], 1.58],
      [OUT.TICK_OPTION_COMPUTATION, types[3], 1.55],
    ]);
  });

  it.each<[string, 'OPT' | 'STK', 'C' | 'P' | undefined, string[], [number, number, number][]]>([
    [
      'a call with generic tick 101: call open interest (27)',
      'OPT',
      'C',
      ['101'],
      [[OUT.TICK_SIZE, 27, 500]],
    ],
    ['a put with generic tick 101: put open interest (28)', 'OPT', 'P', ['101'], [[OUT.TICK_SIZE, 28, 500]]],
    ['an option without generic tick 101: none', 'OPT', 'P', [], []],
    ['a stock with generic tick 101: none', 'STK', undefined, ['101'], []],
  ])('%s', (_name, secType, right, generic, expected) => {
    const ticks = quoteTicks(
      REQ,
      { openInterest: 500, time: 0 },
      { delayed: false, contract: { secType, right }, genericTicks: new Set(generic) },
    );
    expect(summary(ticks)).toEqual(expected);
  });

  it('names each slot once, with the value as its signature, so a line can send only changes', () => {
    const ticks = quoteTicks(
      REQ,
      { bid: 1.5, ask: 1.6, bidSize: 10, askSize: 12, openInterest: 9, greeks, time: 0 },
      { delayed: false, contract: { secType: 'OPT', right: 'P' }, genericTicks: new Set(['101']) },
    );
    const keys = ticks.map((t) => t.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(ticks.find((t) => t.key === 'p1')?.signature).toBe('1.5');
    expect(ticks.find((t) => t.key === 's28')?.signature).toBe('9');
    expect(ticks.every((t) => t.fields[t.fields[0] === OUT.TICK_OPTION_COMPUTATION ? 1 : 2] === REQ)).toBe(
      true,
    );
  });
});

describe('comboQuote', () => {
  const quotes: Record<number, SimQuote> = {
    1: { bid: 2.0, ask: 2.2, time: 100 },
    2: { bid: 0.9, ask: 1.0, time: 300 },
    3: { bid: 0.5, time: 200 },
  };
  const quoteOf = (conId: number): SimQuote | undefined => quotes[conId];

  it.each<[string, { conId: number; ratio: number; action: 'BUY' | 'SELL' }[], SimQuote | undefined]>([
    [
      'one BUY leg: its own quote',
      [{ conId: 1, ratio: 1, action: 'BUY' }],
      { bid: 2.0, ask: 2.2, time: 100 },
    ],
    [
      'SELL leg 2, BUY leg 1: bid = 2.0 − 1.0 (its ask), ask = 2.2 − 0.9 (its bid), the later time',
      [
        { conId: 2, ratio: 1, action: 'SELL' },
        { conId: 1, ratio: 1, action: 'BUY' },
      ],
      { bid: 2.0 - 1.0, ask: 2.2 - 0.9, time: 300 },
    ],
    [
      'a ratio of 2 doubles the leg',
      [{ conId: 2, ratio: 2, action: 'BUY' }],
      { bid: 1.8, ask: 2.0, time: 300 },
    ],
    [
      'a leg without an ask: no quote',
      [
        { conId: 1, ratio: 1, action: 'BUY' },
        { conId: 3, ratio: 1, action: 'SELL' },
      ],
      undefined,
    ],
    ['a leg without any quote: no quote', [{ conId: 99, ratio: 1, action: 'BUY' }], undefined],
  ])('%s', (_name, legs, expected) => {
    const result = comboQuote(
      legs.map(({ conId, ratio, action }) => ({ contract: { conId }, ratio, action })),
      quoteOf,
    );
    if (expected === undefined) {
      expect(result).toBeUndefined();
      return;
    }
    expect(result?.bid).toBeCloseTo(expected.bid as number, 10);
    expect(result?.ask).toBeCloseTo(expected.ask as number, 10);
    expect(result?.time).toBe(expected.time);
  });
});
