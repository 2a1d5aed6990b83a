// Wire-level tests: our framing and parsers against the client's own Encoder, and our message
// builders against the client's own Decoder (strict: an extra field is error 505, a missing one an
// underrun). Expectations come from the values fed in, never from our output.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Encoder } from '@stoqey/ib/dist/core/io/encoder';
import { Decoder } from '@stoqey/ib/dist/core/io/decoder';
import { BarSizeSetting, EventName, OrderAction } from '@stoqey/ib';
import type { Contract, Order } from '@stoqey/ib';
import {
  encodeFrame,
  encodeHandshake,
  FrameDecoder,
  parseVersionRange,
  splitFields,
} from '#simulator/server/framing';
import {
  parseCancelOrder,
  parsePlaceOrder,
  parseReqContractDetails,
  parseReqExecutions,
  parseReqHistoricalData,
  parseReqMktData,
} from '#simulator/server/parse';
import * as enc from '#simulator/server/encode';
import { FieldReader, formatField } from '#simulator/server/wire';
import { durationToBars } from '#simulator/server/tws-server';
import { parseIbTime, connectionTime } from '#simulator/server/time';
import { parseFaultScript } from '#simulator/server/faults';
import type { SimContract, SimExecution } from '#simulator/engine-api';

/** What the client would put on the wire for one encoder call, as field strings (socket.send's rules). */
function clientFields(call: (e: Encoder) => void): string[] {
  const sent: unknown[] = [];
  const encoder = new Encoder({
    serverVersion: 193,
    sendMsg: (...tokens: unknown[]) => void sent.push(tokens),
    emitError: (msg: string) => {
      throw new Error(`encoder refused: ${msg}`);
    },
  });
  call(encoder);
  if (sent.length !== 1) throw new Error(`expected one message, got ${sent.length}`);
  return (sent[0] as unknown[]).flat(Infinity).map((t) => {
    if (t === true || t === false) return t ? '1' : '0';
    return t === undefined || t === null ? '' : String(t);
  });
}

/** Our reader positioned after the message id, as the server dispatches. */
function readerAfterId(fields: string[]): FieldReader {
  const r = new FieldReader(fields);
  r.int();
  return r;
}

interface Decoded {
  events: { name: string; args: unknown[] }[];
  errors: string[];
}

/** Feeds one server message through the client's Decoder exactly as its socket layer would. */
function decode(fields: ReturnType<typeof enc.errMsg>): Decoded {
  const out: Decoded = { events: [], errors: [] };
  const decoder = new Decoder({
    serverVersion: 193,
    emitEvent: (name: EventName, ...args: unknown[]) => void out.events.push({ name, args }),
    emitError: (msg: string, code: number) => void out.errors.push(`${code} ${msg}`),
    emitInfo: (msg: string, code: number) => void out.events.push({ name: 'info', args: [msg, code] }),
  });
  decoder.enqueueMessage(splitFields(fields.map((f) => formatField(f) + '\0').join('')));
  decoder.process();
  return out;
}

function only(d: Decoded, name: string): unknown[] {
  expect(d.errors).toEqual([]);
  const hits = d.events.filter((e) => e.name === name);
  expect(hits).toHaveLength(1);
  return (hits[0] as { args: unknown[] }).args;
}

const spyPut: SimContract = {
  conId: 1005951,
  symbol: 'SPY',
  secType: 'OPT',
  lastTradeDate: '20261218',
  strike: 595,
  right: 'P',
  multiplier: 100,
  exchange: 'SMART',
  primaryExchange: '',
  currency: 'USD',
  localSymbol: 'SPY   261218P00595000',
  tradingClass: 'SPY',
  underlyingConId: 756733,
  minTick: 0.01,
  longName: 'SPDR S&P 500 ETF TRUST',
  timeZoneId: 'US/Eastern',
  tradingHours: '20261124:0930-20261124:1615',
  liquidHours: '20261124:0930-20261124:1615',
};

describe('framing', () => {
  it('reassembles the handshake and every frame however TCP splits the stream', () => {
    const field = fc.string({ maxLength: 12 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 50 }),
        (messages, cuts) => {
          const stream = Buffer.concat([
            encodeHandshake('v100..193'),
            ...messages.map((m) => encodeFrame(m)),
          ]);
          const decoder = new FrameDecoder();
          const events = [];
          let pos = 0;
          let i = 0;
          while (pos < stream.length) {
            const size = cuts[i++ % cuts.length] as number;
            events.push(...decoder.push(stream.subarray(pos, pos + size)));
            pos += size;
          }
          expect(events[0]).toMatchObject({ type: 'handshake', minVersion: 100, maxVersion: 193 });
          expect(events.slice(1)).toEqual(messages.map((fields) => ({ type: 'message', fields })));
        },
      ),
    );
  });

  it('rejects a stream that does not open with API\\0', () => {
    const events = new FrameDecoder().push(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(events).toEqual([{ type: 'error', reason: expect.stringContaining('API') }]);
  });

  it('reads version ranges as the client writes them', () => {
    expect(parseVersionRange('v100..193')).toEqual({ minVersion: 100, maxVersion: 193 });
    expect(parseVersionRange('v176')).toEqual({ minVersion: 176, maxVersion: 176 });
    expect(parseVersionRange('v100..193 +PACEAPI')).toEqual({ minVersion: 100, maxVersion: 193 });
    expect(parseVersionRange('hello')).toBeUndefined();
  });

  it('writes a 4-byte big-endian byte length and NUL-terminated UTF-8 fields', () => {
    const frame = encodeFrame([9, 1, 'é']);
    // "9\0" + "1\0" + "é\0" = 2 + 2 + 3 bytes ('é' is two bytes in UTF-8)
    expect(frame.readUInt32BE(0)).toBe(7);
    expect(frame.subarray(4).toString('utf8')).toBe('9\u00001\u0000é\u0000');
  });
});

describe('client → server parsing (fed by the client Encoder at v193)', () => {
  const bagContract: Contract = {
    symbol: 'SPY',
    secType: 'BAG' as Contract['secType'],
    currency: 'USD',
    exchange: 'SMART',
    comboLegs: [
      { conId: 1005951, ratio: 1, action: OrderAction.SELL, exchange: 'SMART' },
      { conId: 1005901, ratio: 1, action: OrderAction.BUY, exchange: 'SMART' },
    ],
  };

  it('parses a BAG limit order, its legs, per-leg prices and orderRef, with nothing left over', () => {
    const order: Order = {
      action: 'SELL' as Order['action'],
      orderType: 'LMT' as Order['orderType'],
      totalQuantity: 3,
      lmtPrice: 1.25,
      tif: 'DAY' as Order['tif'],
      orderRef: '2026-11-24|SPY-BP-595-590|open',
      transmit: true,
      account: 'DU1234567',
      orderComboLegs: [{ price: 2.1 }, { price: 0.85 }],
    };
    const fields = clientFields((e) => e.placeOrder(42, bagContract, order));
    const { contract, order: parsed } = parsePlaceOrder(readerAfterId(fields));
    expect(parsed).toMatchObject({
      orderId: 42,
      action: 'SELL',
      totalQuantity: 3,
      orderType: 'LMT',
      lmtPrice: 1.25,
      tif: 'DAY',
      orderRef: order.orderRef,
      transmit: true,
      account: 'DU1234567',
      whatIf: false,
      orderComboLegPrices: [2.1, 0.85],
      trailing: 0,
    });
    expect(contract.secType).toBe('BAG');
    expect(contract.comboLegs?.map((l) => [l.conId, l.ratio, l.action])).toEqual([
      [1005951, 1, 'SELL'],
      [1005901, 1, 'BUY'],
    ]);
  });

  it('consumes every optional block the encoder may add, whatever combination is set', () => {
    const conditions = [
      {
        type: 1,
        conjunctionConnection: 'and',
        isMore: true,
        price: 600,
        strValue: '600',
        conId: 756733,
        exchange: 'SMART',
        triggerMethod: 0,
      },
      {
        type: 3,
        conjunctionConnection: 'or',
        isMore: false,
        time: '20261124 10:00:00',
        strValue: '20261124 10:00:00',
      },
      { type: 4, conjunctionConnection: 'and', isMore: true, percent: 30, strValue: '30' },
      { type: 5, conjunctionConnection: 'and', secType: 'OPT', exchange: 'SMART', symbol: 'SPY' },
      {
        type: 6,
        conjunctionConnection: 'and',
        isMore: true,
        volume: 1000,
        strValue: '1000',
        conId: 756733,
        exchange: 'SMART',
      },
      {
        type: 7,
        conjunctionConnection: 'and',
        isMore: true,
        changePercent: 2,
        strValue: '2',
        conId: 756733,
        exchange: 'SMART',
      },
    ];
    fc.assert(
      fc.property(
        fc.record({
          bag: fc.boolean(),
          hedge: fc.boolean(),
          algo: fc.boolean(),
          deltaNeutral: fc.boolean(),
          scale: fc.boolean(),
          whatIf: fc.boolean(),
          ibkrAts: fc.boolean(),
          orderType: fc.constantFrom('LMT', 'MKT', 'PEG BEST', 'PEG MID', 'PEG BENCH'),
          upToMid: fc.boolean(),
          conditionCount: fc.integer({ min: 0, max: conditions.length }),
          quantity: fc.integer({ min: 1, max: 500 }),
          limit: fc.double({ min: -50, max: 50, noNaN: true }),
          orderId: fc.integer({ min: 1, max: 1_000_000 }),
        }),
        (o) => {
          const contract: Contract = o.bag
            ? bagContract
            : {
                conId: 756733,
                symbol: 'SPY',
                secType: 'STK' as Contract['secType'],
                exchange: o.ibkrAts ? 'IBKRATS' : 'SMART',
                currency: 'USD',
              };
          const order = {
            action: 'BUY',
            orderType: o.orderType,
            totalQuantity: o.quantity,
            lmtPrice: o.limit,
            transmit: true,
            whatIf: o.whatIf,
            orderRef: 'ref',
            ...(o.hedge ? { hedgeType: 'D', hedgeParam: '0.5' } : {}),
            ...(o.algo
              ? { algoStrategy: 'Adaptive', algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }] }
              : {}),
            ...(o.deltaNeutral ? { deltaNeutralOrderType: 'MKT', deltaNeutralConId: 756733 } : {}),
            ...(o.scale ? { scalePriceIncrement: 0.05, scaleInitLevelSize: 1, scaleSubsLevelSize: 1 } : {}),
            ...(o.orderType === 'PEG BEST'
              ? {
                  minCompeteSize: 1,
                  competeAgainstBestOffset: o.upToMid ? Infinity : 0.02,
                  midOffsetAtWhole: 0.01,
                  midOffsetAtHalf: 0.005,
                }
              : {}),
            ...(o.orderType === 'PEG MID' ? { midOffsetAtWhole: 0.01, midOffsetAtHalf: 0.005 } : {}),
            ...(o.orderType === 'PEG BENCH'
              ? {
                  referenceContractId: 1,
                  isPeggedChangeAmountDecrease: false,
                  peggedChangeAmount: 1,
                  referenceChangeAmount: 1,
                  referenceExchangeId: 'SMART',
                }
              : {}),
            ...(o.conditionCount > 0
              ? {
                  conditions: conditions.slice(0, o.conditionCount),
                  conditionsIgnoreRth: true,
                  conditionsCancelOrder: false,
                }
              : {}),
          } as unknown as Order;
          const fields = clientFields((e) => e.placeOrder(o.orderId, contract, order));
          const parsed = parsePlaceOrder(readerAfterId(fields)).order;
          expect(parsed.trailing).toBe(0);
          expect(parsed.orderId).toBe(o.orderId);
          expect(parsed.totalQuantity).toBe(o.quantity);
          // −0 travels as "0"; the sum normalises both sides.
          expect((parsed.lmtPrice as number) + 0).toBe(o.limit + 0);
          expect(parsed.whatIf).toBe(o.whatIf);
          expect(parsed.orderType).toBe(o.orderType);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parses reqMktData for a single contract and for a combo', () => {
    const single = parseReqMktData(
      readerAfterId(
        clientFields((e) => e.reqMktData(7, { conId: 756733, exchange: 'SMART' }, '101,106', false, false)),
      ),
    );
    expect(single).toMatchObject({ reqId: 7, genericTicks: ['101', '106'], snapshot: false });
    expect(single.contract.conId).toBe(756733);
    const combo = parseReqMktData(
      readerAfterId(clientFields((e) => e.reqMktData(8, bagContract, '', true, false))),
    );
    expect(combo).toMatchObject({ reqId: 8, genericTicks: [], snapshot: true });
    expect(combo.contract.comboLegs?.map((l) => l.conId)).toEqual([1005951, 1005901]);
  });

  it('parses reqHistoricalData, reqContractDetails, reqExecutions and cancelOrder', () => {
    const hist = parseReqHistoricalData(
      readerAfterId(
        clientFields((e) =>
          e.reqHistoricalData(
            3,
            { symbol: 'SPY', secType: 'STK' as Contract['secType'], exchange: 'SMART', currency: 'USD' },
            '',
            '1 Y',
            BarSizeSetting.DAYS_ONE,
            'OPTION_IMPLIED_VOLATILITY',
            1,
            1,
            false,
            [],
          ),
        ),
      ),
    );
    expect(hist).toMatchObject({
      reqId: 3,
      duration: '1 Y',
      barSize: '1 day',
      whatToShow: 'OPTION_IMPLIED_VOLATILITY',
      useRth: true,
      formatDate: 1,
    });
    expect(hist.contract.symbol).toBe('SPY');

    const details = parseReqContractDetails(
      readerAfterId(
        clientFields((e) =>
          e.reqContractDetails(4, {
            symbol: 'SPY',
            secType: 'OPT' as Contract['secType'],
            lastTradeDateOrContractMonth: '20261218',
            right: 'P' as Contract['right'],
            exchange: 'SMART',
          }),
        ),
      ),
    );
    expect(details.reqId).toBe(4);
    expect(details.contract).toMatchObject({
      symbol: 'SPY',
      secType: 'OPT',
      lastTradeDate: '20261218',
      right: 'P',
      strike: undefined,
    });

    const execs = parseReqExecutions(
      readerAfterId(
        clientFields((e) =>
          e.reqExecutions(5, { acctCode: 'DU1', symbol: 'SPY', side: 'BUY', time: '20261124-14:30:00' }),
        ),
      ),
    );
    expect(execs).toMatchObject({
      reqId: 5,
      account: 'DU1',
      symbol: 'SPY',
      side: 'BUY',
      time: '20261124-14:30:00',
      clientId: 0,
    });

    const cancel = parseCancelOrder(
      readerAfterId(
        clientFields((e) =>
          e.cancelOrder(77, { manualOrderCancelTime: '', extOperator: '', manualOrderIndicator: undefined }),
        ),
      ),
    );
    expect(cancel.orderId).toBe(77);
  });
});

describe('server → client messages (checked by the client Decoder at v193)', () => {
  it('CONTRACT_DATA decodes to the contract it describes', () => {
    const [reqId, details] = only(decode(enc.contractData(11, spyPut)), EventName.contractDetails) as [
      number,
      Record<string, unknown> & { contract: Record<string, unknown> },
    ];
    expect(reqId).toBe(11);
    expect(details.contract).toMatchObject({
      conId: 1005951,
      symbol: 'SPY',
      secType: 'OPT',
      lastTradeDateOrContractMonth: '20261218',
      strike: 595,
      right: 'P',
      multiplier: 100,
      tradingClass: 'SPY',
    });
    expect(details).toMatchObject({
      minTick: 0.01,
      underConId: 756733,
      timeZoneId: 'US/Eastern',
      liquidHours: spyPut.liquidHours,
    });
  });

  it('OPEN_ORDER (~150 fields) decodes, with combo legs and what-if margins in the order state', () => {
    const legs = [
      { conId: 1005951, ratio: 1, action: OrderAction.SELL, exchange: 'SMART' },
      { conId: 1005901, ratio: 1, action: OrderAction.BUY, exchange: 'SMART' },
    ];
    const fields = enc.openOrder({
      contract: {
        conId: 0,
        symbol: 'SPY',
        secType: 'BAG',
        lastTradeDate: '',
        right: '',
        multiplier: '',
        exchange: 'SMART',
        primaryExch: '',
        currency: 'USD',
        localSymbol: '',
        tradingClass: '',
        comboLegs: legs,
      },
      order: {
        orderId: 42,
        action: 'SELL',
        totalQuantity: 2,
        orderType: 'LMT',
        lmtPrice: 1.25,
        tif: 'DAY',
        ocaGroup: '',
        account: 'DU1234567',
        openClose: '',
        origin: 0,
        orderRef: 'key-1',
        transmit: true,
        parentId: 0,
        outsideRth: false,
        hidden: false,
        orderComboLegPrices: [],
        goodAfterTime: '',
        goodTillDate: '',
        whatIf: true,
        algoStrategy: '',
        trailing: 0,
      },
      clientId: 3,
      permId: 777,
      status: 'PreSubmitted',
      whatIf: {
        initMarginBefore: 1,
        maintMarginBefore: 2,
        equityWithLoanBefore: 3,
        initMarginChange: 1000,
        maintMarginChange: 900,
        equityWithLoanChange: -5,
        initMarginAfter: 1001,
        maintMarginAfter: 902,
        equityWithLoanAfter: -2,
        commission: 2.6,
      },
    });
    const [orderId, contract, order, state] = only(decode(fields), EventName.openOrder) as [
      number,
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect(orderId).toBe(42);
    expect(contract).toMatchObject({ symbol: 'SPY', secType: 'BAG' });
    expect(
      (contract.comboLegs as { conId: number; action: string }[]).map((l) => [l.conId, l.action]),
    ).toEqual([
      [1005951, 'SELL'],
      [1005901, 'BUY'],
    ]);
    expect(order).toMatchObject({
      action: 'SELL',
      totalQuantity: 2,
      lmtPrice: 1.25,
      orderRef: 'key-1',
      clientId: 3,
      permId: 777,
      whatIf: true,
    });
    expect(state).toMatchObject({
      status: 'PreSubmitted',
      initMarginChange: 1000,
      maintMarginChange: 900,
      initMarginAfter: 1001,
      commission: 2.6,
      commissionCurrency: 'USD',
    });
  });

  it('ORDER_STATUS, EXECUTION_DATA and COMMISSION_REPORT decode field for field', () => {
    const status = only(
      decode(
        enc.orderStatus({
          orderId: 5,
          status: 'Filled',
          filled: 2,
          remaining: 0,
          avgFillPrice: 1.23,
          permId: 99,
          parentId: 0,
          lastFillPrice: 1.23,
          clientId: 1,
        }),
      ),
      EventName.orderStatus,
    );
    expect(status).toEqual([5, 'Filled', 2, 0, 1.23, 99, 0, 1.23, 1, '', 0]);

    const exec: SimExecution = {
      execId: 'e1',
      orderId: 5,
      clientId: 1,
      permId: 99,
      account: 'DU1234567',
      contract: spyPut,
      side: 'SLD',
      shares: 2,
      price: 2.1,
      cumQty: 2,
      avgPrice: 2.1,
      orderRef: 'key-1',
      time: 0,
    };
    const [reqId, contract, execution] = only(
      decode(enc.executionData(-1, exec, '20261124 10:15:03 US/Eastern', 'CBOE')),
      EventName.execDetails,
    ) as [number, Record<string, unknown>, Record<string, unknown>];
    expect(reqId).toBe(-1);
    expect(contract).toMatchObject({
      conId: 1005951,
      secType: 'OPT',
      strike: 595,
      right: 'P',
      multiplier: 100,
    });
    expect(execution).toMatchObject({
      execId: 'e1',
      orderId: 5,
      side: 'SLD',
      shares: 2,
      price: 2.1,
      permId: 99,
      clientId: 1,
      cumQty: 2,
      avgPrice: 2.1,
      orderRef: 'key-1',
      acctNumber: 'DU1234567',
    });

    const [report] = only(
      decode(enc.commissionReport({ execId: 'e1', commission: 1.3, currency: 'USD' })),
      EventName.commissionReport,
    ) as [Record<string, unknown>];
    // Absent realised P&L travels as Double.MAX_VALUE, which the client turns into undefined.
    expect(report).toMatchObject({ execId: 'e1', commission: 1.3, currency: 'USD', realizedPNL: undefined });
  });

  it('tick messages decode to the values put in, with −1/−2 meaning "not computed"', () => {
    const bid = decode(enc.tickPrice(9, 1, 2.15, 10, 1));
    expect(bid.errors).toEqual([]);
    // The client drops the size carried with a bid (BID_SIZE is tick type 0, which it tests as falsy),
    // which is why the server also sends sizes as TICK_SIZE.
    expect(bid.events.map((e) => [e.name, ...e.args])).toEqual([[EventName.tickPrice, 9, 1, 2.15, true]]);
    const ask = decode(enc.tickPrice(9, 2, 2.25, 12, 1));
    expect(ask.events.map((e) => [e.name, ...e.args])).toEqual([
      [EventName.tickPrice, 9, 2, 2.25, true],
      [EventName.tickSize, 9, 3, 12],
    ]);
    expect(only(decode(enc.tickSize(9, 0, 10)), EventName.tickSize)).toEqual([9, 0, 10]);
    const comp = only(
      decode(
        enc.tickOptionComputation(9, 13, {
          impliedVol: 0.18,
          delta: -0.3,
          optPrice: 2.1,
          pvDividend: 0,
          gamma: 0.02,
          vega: 0.3,
          theta: -0.05,
          undPrice: 600,
        }),
      ),
      EventName.tickOptionComputation,
    );
    expect(comp).toEqual([9, 13, 0, 0.18, -0.3, 2.1, 0, 0.02, 0.3, -0.05, 600]);
    const blank = only(decode(enc.tickOptionComputation(9, 10, {})), EventName.tickOptionComputation);
    expect(blank).toEqual([
      9,
      10,
      0,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(only(decode(enc.tickReqParams(9, 0.01)), EventName.tickReqParams)).toEqual([9, 0, '9c0001', 3]);
  });

  it('position, account, historical and option-parameter messages decode', () => {
    const [account, contract, pos, avgCost] = only(
      decode(enc.position({ account: 'DU1', contract: spyPut, position: -2, avgCost: 212.65 })),
      EventName.position,
    ) as [string, Record<string, unknown>, number, number];
    expect([account, contract.conId, pos, avgCost]).toEqual(['DU1', 1005951, -2, 212.65]);
    expect(
      only(
        decode(enc.accountSummary(4, 'DU1', 'NetLiquidation', '100000.00', 'USD')),
        EventName.accountSummary,
      ),
    ).toEqual([4, 'DU1', 'NetLiquidation', '100000.00', 'USD']);
    const hist = decode(
      enc.historicalData(6, '20251124 00:00:00', '20261124 10:00:00', [
        { date: '20261123', open: 1, high: 2, low: 0.5, close: 1.5, volume: 100, wap: 1.2, barCount: 7 },
      ]),
    );
    expect(hist.errors).toEqual([]);
    expect(hist.events.map((e) => e.args.slice(0, 6))).toEqual([
      [6, '20261123', 1, 2, 0.5, 1.5],
      [6, 'finished-20251124 00:00:00-20261124 10:00:00', -1, -1, -1, -1],
    ]);
    const params = only(
      decode(
        enc.secDefOptParams(2, {
          exchange: 'SMART',
          underlyingConId: 756733,
          tradingClass: 'SPY',
          multiplier: 100,
          expirations: ['20261218'],
          strikes: [590, 595],
        }),
      ),
      EventName.securityDefinitionOptionParameter,
    );
    expect(params).toEqual([2, 'SMART', 756733, 'SPY', 100, ['20261218'], [590, 595]]);
    const portfolio = only(
      decode(
        enc.portfolioValue(
          { account: 'DU1', contract: spyPut, position: -1, avgCost: 200 },
          2.5,
          -250,
          -50,
          0,
        ),
      ),
      EventName.updatePortfolio,
    );
    expect(portfolio.slice(1, 6)).toEqual([-1, 2.5, -250, 200, -50]);
  });
});

describe('helpers', () => {
  it('turns IB durations into daily bar counts (252 trading days a year)', () => {
    expect(durationToBars('1 Y')).toBe(252);
    expect(durationToBars('6 M')).toBe(126);
    expect(durationToBars('2 W')).toBe(10);
    // 365 calendar days hold 252 trading days.
    expect(durationToBars('365 D')).toBe(252);
    expect(durationToBars('one year')).toBeUndefined();
  });

  it('reads IB request times in UTC and New York', () => {
    expect(parseIbTime('20261124-14:30:00')).toBe(Date.UTC(2026, 10, 24, 14, 30));
    // 24 Nov 2026 is winter time: New York = UTC − 5 h.
    expect(parseIbTime('20261124 09:30:00 US/Eastern')).toBe(Date.UTC(2026, 10, 24, 14, 30));
    expect(parseIbTime('20260701 09:30:00')).toBe(Date.UTC(2026, 6, 1, 13, 30));
    expect(parseIbTime('')).toBeUndefined();
  });

  it('stamps the connection time in New York with the season’s zone', () => {
    expect(connectionTime(Date.UTC(2026, 10, 24, 15, 30))).toBe('20261124 10:30:00 EST');
    expect(connectionTime(Date.UTC(2026, 6, 1, 14, 0))).toBe('20260701 10:00:00 EDT');
  });

  it('validates fault scripts and converts their New York times', () => {
    const script = parseFaultScript([
      { at: '2026-11-24T10:15', fault: 'disconnect' },
      { fault: 'slow', delayMs: 50 },
    ]);
    expect(script).toEqual([
      { at: Date.UTC(2026, 10, 24, 15, 15), action: { fault: 'disconnect' } },
      { at: undefined, action: { fault: 'slow', delayMs: 50 } },
    ]);
    expect(() => parseFaultScript([{ fault: 'explode' }])).toThrow(/invalid fault script/);
    expect(() => parseFaultScript([{ at: '10:15', fault: 'disconnect' }])).toThrow(/YYYY-MM-DDTHH:mm/);
  });
});
