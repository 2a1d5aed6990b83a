// The real @stoqey/ib client over TCP against the server (backed by the predictable fake engine):
// every message of the protocol surface, with any decoder complaint failing the test.

import { afterEach, describe, expect, it } from 'vitest';
import { BarSizeSetting, EventName, OrderAction, type Contract, type Order } from '@stoqey/ib';
import {
  ACCOUNT,
  createFakeEngine,
  ES_CONID,
  EXPIRY,
  optionConId,
  SPY_CONID,
  STRIKES,
  VIX_CONID,
  type FakeEngine,
} from './fake-engine';
import {
  closeAll,
  connectClient,
  rawClient,
  record,
  startServer,
  waitFor,
  type TestClient,
} from './server-harness';
import { encodeHandshake } from '#simulator/server/framing';
import type { TwsServer } from '#simulator/server/tws-server';

// Tuesday 24 Nov 2026, 10:00 New York (15:00 UTC).
const START = Date.UTC(2026, 10, 24, 15, 0);

const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) expect(c.protocolErrors, `client ${c.clientId}`).toEqual([]);
  clients.length = 0;
  await closeAll();
});

async function setup(clientId = 0): Promise<{ engine: FakeEngine; server: TwsServer; client: TestClient }> {
  const engine = createFakeEngine(START);
  const server = await startServer(engine);
  const client = await connectClient(server.port, clientId);
  clients.push(client);
  return { engine, server, client };
}

const spy: Contract = {
  symbol: 'SPY',
  secType: 'STK' as Contract['secType'],
  exchange: 'SMART',
  currency: 'USD',
};
const put = (strike: number): Contract => ({ conId: optionConId(strike, 'P'), exchange: 'SMART' });

function limitOrder(
  action: 'BUY' | 'SELL',
  quantity: number,
  price: number,
  extra: Partial<Order> = {},
): Order {
  return {
    action: action as Order['action'],
    orderType: 'LMT' as Order['orderType'],
    totalQuantity: quantity,
    lmtPrice: price,
    tif: 'DAY' as Order['tif'],
    transmit: true,
    ...extra,
  };
}

describe('connection', () => {
  it('completes IB’s connect sequence: accounts, next valid id and farm status', async () => {
    const { server, client } = await setup(7);
    expect(client.accounts).toBe(ACCOUNT);
    expect(client.nextValidId).toBe(1);
    await waitFor(() => client.infos.length >= 3, 1000, 'farm status');
    expect(client.infos.map((i) => i.code)).toEqual([2104, 2106, 2158]);
    expect(server.connections()).toEqual([expect.objectContaining({ clientId: 7, state: 'ready' })]);
  });

  it('answers reqIds, reqCurrentTime and reqManagedAccts', async () => {
    const { client } = await setup();
    const ids = record<[number]>(client.ib, EventName.nextValidId);
    const times = record<[number]>(client.ib, EventName.currentTime);
    const accounts = record<[string]>(client.ib, EventName.managedAccounts);
    client.ib.reqIds();
    client.ib.reqCurrentTime();
    client.ib.reqManagedAccts();
    await waitFor(() => ids.length > 0 && times.length > 0 && accounts.length > 0);
    expect(ids[0]).toEqual([1]);
    expect(times[0]).toEqual([START / 1000]);
    expect(accounts[0]).toEqual([ACCOUNT]);
  });

  it('survives a client that writes one byte at a time and one that coalesces messages', async () => {
    const engine = createFakeEngine(START);
    const server = await startServer(engine);
    const raw = await rawClient(server.port);
    const hello = encodeHandshake('v100..193');
    for (const byte of hello) raw.socket.write(Buffer.from([byte]));
    await waitFor(() => raw.frames.length === 1);
    expect(raw.frames[0]?.[0]).toBe('193');
    // startApi and reqCurrentTime in one TCP write.
    const frame = (fields: (string | number)[]): Buffer => {
      const payload = Buffer.from(fields.map((f) => `${f}\0`).join(''));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(payload.length);
      return Buffer.concat([header, payload]);
    };
    raw.socket.write(Buffer.concat([frame([71, 2, 5, '']), frame([49, 1])]));
    await waitFor(() => raw.frames.some((f) => f[0] === '49'));
    const ids = raw.frames.map((f) => f[0]);
    expect(ids.slice(1, 3)).toEqual(['15', '9']);
    expect(raw.frames.find((f) => f[0] === '49')).toEqual(['49', '1', String(START / 1000)]);
  });
});

describe('contracts', () => {
  it('returns contract details for a stock, an option chain slice, a future and an index', async () => {
    const { client } = await setup();
    const details = record<[number, { contract: Contract }]>(client.ib, EventName.contractDetails);
    const ends = record<[number]>(client.ib, EventName.contractDetailsEnd);
    client.ib.reqContractDetails(1, spy);
    client.ib.reqContractDetails(2, {
      symbol: 'SPY',
      secType: 'OPT' as Contract['secType'],
      lastTradeDateOrContractMonth: EXPIRY,
      right: 'P' as Contract['right'],
      exchange: 'SMART',
    });
    client.ib.reqContractDetails(3, {
      symbol: 'ES',
      secType: 'FUT' as Contract['secType'],
      lastTradeDateOrContractMonth: EXPIRY.slice(0, 6),
      exchange: 'CME',
    });
    client.ib.reqContractDetails(4, {
      symbol: 'VIX',
      secType: 'IND' as Contract['secType'],
      exchange: 'CBOE',
    });
    await waitFor(() => ends.length === 4);
    const of = (reqId: number): Contract[] =>
      details.filter(([id]) => id === reqId).map(([, d]) => d.contract);
    expect(of(1).map((c) => c.conId)).toEqual([SPY_CONID]);
    expect(
      of(2)
        .map((c) => c.strike)
        .sort((a, b) => (a ?? 0) - (b ?? 0)),
    ).toEqual(STRIKES);
    expect(of(2).every((c) => c.right === 'P' && c.lastTradeDateOrContractMonth === EXPIRY)).toBe(true);
    expect(of(3).map((c) => [c.conId, c.multiplier])).toEqual([[ES_CONID, 50]]);
    expect(of(4).map((c) => c.conId)).toEqual([VIX_CONID]);
  });

  it('answers error 200 for an unknown contract', async () => {
    const { client } = await setup();
    client.ib.reqContractDetails(9, {
      symbol: 'NOPE',
      secType: 'STK' as Contract['secType'],
      exchange: 'SMART',
    });
    await waitFor(() => client.errors.length > 0);
    expect(client.errors[0]).toMatchObject({ code: 200, reqId: 9 });
  });

  it('lists option parameters per exchange, then the end marker', async () => {
    const { client } = await setup();
    const params = record<[number, string, number, string, number, string[], number[]]>(
      client.ib,
      EventName.securityDefinitionOptionParameter,
    );
    const ends = record(client.ib, EventName.securityDefinitionOptionParameterEnd);
    client.ib.reqSecDefOptParams(5, 'SPY', '', 'STK', SPY_CONID);
    await waitFor(() => ends.length === 1);
    expect(params.map((p) => p[1])).toEqual(['SMART', 'CBOE']);
    expect(params[0]?.slice(2)).toEqual([SPY_CONID, 'SPY', 100, [EXPIRY], STRIKES]);
  });
});

describe('market data', () => {
  it('streams bid/ask/last, sizes and re-ticks only what changes as the clock advances', async () => {
    const { engine, server, client } = await setup();
    const prices = record<[number, number, number]>(client.ib, EventName.tickPrice);
    const sizes = record<[number, number, number]>(client.ib, EventName.tickSize);
    const params = record(client.ib, EventName.tickReqParams);
    const types = record<[number, number]>(client.ib, EventName.marketDataType);
    client.ib.reqMktData(1, spy, '', false, false);
    await waitFor(() => prices.length >= 6);
    expect(params).toHaveLength(1);
    expect(types[0]).toEqual([1, 1]);
    const byType = (type: number): number[] => prices.filter((p) => p[1] === type).map((p) => p[2]);
    // The fake quotes SPY at 600.00 ± 0.01 at the start.
    expect(byType(1)).toEqual([599.99]);
    expect(byType(2)).toEqual([600.01]);
    expect(byType(4)).toEqual([600]);
    expect(byType(9)).toEqual([599.5]);
    expect(sizes.filter((s) => s[1] === 0).map((s) => s[2])).toEqual([300]);
    const before = prices.length;
    server.advance(5 * 60_000); // +5 minutes → spot +0.05
    expect(engine.spot()).toBeCloseTo(600.05, 10);
    await waitFor(() => byType(1).length === 2);
    expect(byType(1)[1]).toBeCloseTo(600.04, 10);
    // Close did not change, so it is not sent again.
    expect(byType(9)).toHaveLength(1);
    client.ib.cancelMktData(1);
    await new Promise((r) => setTimeout(r, 30));
    const afterCancel = prices.length;
    expect(afterCancel).toBeGreaterThan(before);
    server.advance(5 * 60_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(prices.length).toBe(afterCancel);
  });

  it('sends option computations 10–13 and open interest for generic tick 101', async () => {
    const { client } = await setup();
    const comps = record<unknown[]>(client.ib, EventName.tickOptionComputation);
    const sizes = record<[number, number, number]>(client.ib, EventName.tickSize);
    client.ib.reqMktData(2, put(595), '101', false, false);
    await waitFor(() => comps.length === 4 && sizes.some((s) => s[1] === 28));
    expect(comps.map((c) => c[1]).sort()).toEqual([10, 11, 12, 13]);
    const model = comps.find((c) => c[1] === 13) as unknown[];
    // (reqId, type, attrib, iv, delta, optPrice, pvDividend, gamma, vega, theta, undPrice); the fake's put: 595 strike, spot 600 → 2.00 of time value.
    expect(model).toEqual([2, 13, 0, 0.18, -0.5, 2, 0, 0.02, 0.3, -0.05, 600]);
    const bidComp = comps.find((c) => c[1] === 10) as unknown[];
    expect(bidComp[5]).toBeCloseTo(1.95, 10);
    expect(sizes.find((s) => s[1] === 28)?.[2]).toBe(4567);
  });

  it('switches to delayed tick types after reqMarketDataType(3)', async () => {
    const { client } = await setup();
    const prices = record<[number, number, number]>(client.ib, EventName.tickPrice);
    const types = record<[number, number]>(client.ib, EventName.marketDataType);
    client.ib.reqMarketDataType(3);
    client.ib.reqMktData(3, spy, '', false, false);
    await waitFor(() => prices.length >= 3);
    expect(types[0]).toEqual([3, 3]);
    expect(prices.map((p) => p[1])).toEqual(expect.arrayContaining([66, 67, 68]));
    expect(prices.some((p) => p[1] === 1 || p[1] === 2)).toBe(false);
  });

  it('answers a snapshot with ticks, then TICK_SNAPSHOT_END after the configured delay', async () => {
    const engine = createFakeEngine(START);
    const server = await startServer(engine, { snapshotDelayMs: 200 });
    const client = await connectClient(server.port);
    clients.push(client);
    const prices = record(client.ib, EventName.tickPrice);
    const ends = record<[number]>(client.ib, EventName.tickSnapshotEnd);
    const sent = Date.now();
    client.ib.reqMktData(4, put(600), '', true, false);
    await waitFor(() => prices.length >= 3, 1000);
    expect(ends).toHaveLength(0);
    await waitFor(() => ends.length === 1, 2000);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(190);
    expect(ends[0]).toEqual([4]);
  });

  it('runs the clock at `speed` (simulated ms per real ms) and scales the snapshot delay with it', async () => {
    const engine = createFakeEngine(START);
    const realStart = Date.now();
    // 1000× real time: IB's 11 s snapshot wait becomes 11 ms.
    const server = await startServer(engine, { speed: 1000, stepMs: 10, snapshotDelayMs: 11_000 });
    const client = await connectClient(server.port);
    clients.push(client);
    const ends = record(client.ib, EventName.tickSnapshotEnd);
    client.ib.reqMktData(1, spy, '', true, false);
    await waitFor(() => ends.length === 1, 1000);
    await waitFor(() => engine.now() - START >= 200_000, 2000, '200 simulated seconds');
    const realElapsed = Date.now() - realStart;
    // Simulated time can never run ahead of real time × speed (plus one step of slack).
    expect(engine.now() - START).toBeLessThanOrEqual((realElapsed + 20) * 1000);
  });

  it('prices a BAG as the signed sum of its legs', async () => {
    const { client } = await setup();
    const prices = record<[number, number, number]>(client.ib, EventName.tickPrice);
    const bullPut: Contract = {
      symbol: 'SPY',
      secType: 'BAG' as Contract['secType'],
      exchange: 'SMART',
      currency: 'USD',
      comboLegs: [
        { conId: optionConId(600, 'P'), ratio: 1, action: OrderAction.SELL, exchange: 'SMART' },
        { conId: optionConId(590, 'P'), ratio: 1, action: OrderAction.BUY, exchange: 'SMART' },
      ],
    };
    client.ib.reqMktData(5, bullPut, '', false, false);
    await waitFor(() => prices.length >= 2);
    // Legs at spot 600: 600P mid 2.00 (1.95/2.05), 590P mid 2.00 (1.95/2.05).
    // Combo bid = 590P bid − 600P ask = 1.95 − 2.05 = −0.10; ask = 590P ask − 600P bid = +0.10.
    expect(prices.find((p) => p[1] === 1)?.[2]).toBeCloseTo(-0.1, 10);
    expect(prices.find((p) => p[1] === 2)?.[2]).toBeCloseTo(0.1, 10);
  });
});

describe('historical data', () => {
  it('returns a year of daily TRADES and OPTION_IMPLIED_VOLATILITY bars', async () => {
    const { client } = await setup();
    const bars = record<[number, string, number]>(client.ib, EventName.historicalData);
    client.ib.reqHistoricalData(6, spy, '', '1 Y', BarSizeSetting.DAYS_ONE, 'TRADES' as never, 1, 1, false);
    client.ib.reqHistoricalData(
      7,
      spy,
      '',
      '1 Y',
      BarSizeSetting.DAYS_ONE,
      'OPTION_IMPLIED_VOLATILITY' as never,
      1,
      1,
      false,
    );
    await waitFor(() => bars.filter((b) => b[1].startsWith('finished')).length === 2);
    const of = (reqId: number): [number, string, number][] =>
      bars.filter((b) => b[0] === reqId && !b[1].startsWith('finished'));
    expect(of(6)).toHaveLength(252);
    expect(of(7)).toHaveLength(252);
    // The fake's IV bars close at 0.15 + i/10000, the last one (i = 1) at 0.1501.
    expect(of(7).at(-1)?.[2]).toBeCloseTo(0.1501, 10);
  });
});

describe('account', () => {
  it('reports account summary tags and an account-updates download', async () => {
    const { client } = await setup();
    const summary = record<[number, string, string, string, string]>(client.ib, EventName.accountSummary);
    const summaryEnd = record(client.ib, EventName.accountSummaryEnd);
    client.ib.reqAccountSummary(
      8,
      'All',
      'NetLiquidation,BuyingPower,AvailableFunds,ExcessLiquidity,$LEDGER',
    );
    await waitFor(() => summaryEnd.length === 1);
    const tag = (name: string): string | undefined => summary.find((s) => s[2] === name)?.[3];
    // The fake: cash 100 000, no positions, margins 1000/800, buying power 4 × net liquidation.
    expect(tag('NetLiquidation')).toBe('100000.00');
    expect(tag('BuyingPower')).toBe('400000.00');
    expect(tag('AvailableFunds')).toBe('99000.00');
    expect(tag('ExcessLiquidity')).toBe('99200.00');
    expect(tag('RealizedPnL')).toBe('0.00');

    const values = record<[string, string, string, string]>(client.ib, EventName.updateAccountValue);
    const done = record(client.ib, EventName.accountDownloadEnd);
    client.ib.reqAccountUpdates(true, ACCOUNT);
    await waitFor(() => done.length === 1);
    expect(values.find((v) => v[0] === 'NetLiquidation')?.[1]).toBe('100000.00');
  });
});

describe('orders', () => {
  it('fills a marketable single-leg order: OPEN_ORDER, ORDER_STATUS, EXECUTION_DATA, COMMISSION_REPORT, POSITION', async () => {
    const { server, client } = await setup();
    const statuses = record<[number, string, number, number, number]>(client.ib, EventName.orderStatus);
    const opens = record<[number, Contract, Order, { status: string }]>(client.ib, EventName.openOrder);
    const execs = record<[number, Contract, { execId: string; price: number; side: string; shares: number }]>(
      client.ib,
      EventName.execDetails,
    );
    const commissions = record<[{ execId: string; commission: number }]>(
      client.ib,
      EventName.commissionReport,
    );
    const positions = record<[string, Contract, number, number]>(client.ib, EventName.position);
    const positionEnd = record(client.ib, EventName.positionEnd);
    client.ib.reqPositions();
    await waitFor(() => positionEnd.length === 1);
    expect(positions).toHaveLength(0);

    // Buy 2 of the 595 put at its ask (1.95 bid / 2.05 ask... intrinsic 0 + 2.00): fills at once at 2.05.
    client.ib.placeOrder(1, put(595), limitOrder('BUY', 2, 2.05, { orderRef: 'k1' }));
    await waitFor(() => statuses.some((s) => s[1] === 'Filled') && commissions.length === 1);
    expect(opens[0]?.[2]).toMatchObject({
      orderId: 1,
      action: 'BUY',
      totalQuantity: 2,
      lmtPrice: 2.05,
      orderRef: 'k1',
    });
    expect(opens[0]?.[1]).toMatchObject({
      conId: optionConId(595, 'P'),
      secType: 'OPT',
      strike: 595,
      right: 'P',
    });
    expect(execs).toHaveLength(1);
    expect(execs[0]?.[0]).toBe(-1);
    expect(execs[0]?.[2]).toMatchObject({ side: 'BOT', shares: 2, price: 2.05 });
    // 2 contracts × 0.65 = 1.30 (above the 1.00 minimum).
    expect(commissions[0]?.[0]).toMatchObject({ execId: execs[0]?.[2].execId, commission: 1.3 });
    expect(statuses.at(-1)).toEqual([1, 'Filled', 2, 0, 2.05, expect.any(Number), 0, 2.05, 0, '', 0]);
    await waitFor(() => positions.length === 1);
    // avgCost per contract: (2.05 × 100 × 2 + 1.30) / 2 = 205.65
    expect(positions[0]?.slice(2)).toEqual([2, 205.65]);
    expect(server.orders().map((o) => [o.request.orderId, o.status])).toEqual([[1, 'Filled']]);
    expect(server.executions()).toHaveLength(1);
    expect(server.positions()).toHaveLength(1);
  });

  it('keeps a passive order working, lists it, modifies it into a fill and refuses to modify the fill', async () => {
    const { client } = await setup();
    const statuses = record<[number, string]>(client.ib, EventName.orderStatus);
    const opens = record<[number]>(client.ib, EventName.openOrder);
    const openEnd = record(client.ib, EventName.openOrderEnd);
    client.ib.placeOrder(3, put(595), limitOrder('BUY', 1, 1.5));
    await waitFor(() => statuses.length === 1);
    expect(statuses[0]?.[1]).toBe('Submitted');
    client.ib.reqOpenOrders();
    await waitFor(() => openEnd.length === 1);
    expect(opens.map((o) => o[0])).toEqual([3, 3]);
    client.ib.reqAllOpenOrders();
    await waitFor(() => openEnd.length === 2);
    expect(opens.map((o) => o[0])).toEqual([3, 3, 3]);
    client.ib.placeOrder(3, put(595), limitOrder('BUY', 1, 2.1));
    await waitFor(() => statuses.some((s) => s[1] === 'Filled'));
    client.ib.placeOrder(3, put(595), limitOrder('BUY', 1, 2.2));
    await waitFor(() => client.errors.length === 1);
    expect(client.errors[0]).toMatchObject({ code: 104, reqId: 3 });
  });

  it('cancels a working order (Cancelled + 202) and answers 135 for an unknown one', async () => {
    const { client } = await setup();
    const statuses = record<[number, string]>(client.ib, EventName.orderStatus);
    client.ib.placeOrder(4, put(590), limitOrder('BUY', 1, 0.5));
    await waitFor(() => statuses.length === 1);
    client.ib.cancelOrder(4);
    client.ib.cancelOrder(99);
    await waitFor(() => client.errors.length === 2 && statuses.length === 2);
    expect(statuses[1]?.slice(0, 2)).toEqual([4, 'Cancelled']);
    expect(client.errors.map((e) => [e.code, e.reqId]).sort()).toEqual([
      [135, 99],
      [202, 4],
    ]);
  });

  it('fills a BAG combo with one execution per leg, and filters executions on request', async () => {
    const { client } = await setup();
    const statuses = record<[number, string, number, number, number]>(client.ib, EventName.orderStatus);
    const execs = record<[number, Contract, { side: string; price: number }]>(
      client.ib,
      EventName.execDetails,
    );
    const execEnd = record<[number]>(client.ib, EventName.execDetailsEnd);
    const bullPut: Contract = {
      symbol: 'SPY',
      secType: 'BAG' as Contract['secType'],
      exchange: 'SMART',
      currency: 'USD',
      comboLegs: [
        { conId: optionConId(600, 'P'), ratio: 1, action: OrderAction.SELL, exchange: 'SMART' },
        { conId: optionConId(590, 'P'), ratio: 1, action: OrderAction.BUY, exchange: 'SMART' },
      ],
    };
    // A BUY of this combo receives cash when its price is negative; natural = 2.05 − 1.95 ... see the fake:
    // legs bought at ask, sold at bid → 590P ask 2.05 − 600P bid 1.95 = +0.10.
    client.ib.placeOrder(6, bullPut, limitOrder('BUY', 1, 0.1, { orderRef: 'bull-put' }));
    await waitFor(() => statuses.some((s) => s[1] === 'Filled'));
    expect(statuses.at(-1)?.[4]).toBeCloseTo(0.1, 10);
    expect(execs.map((e) => [e[1].conId, e[2].side, e[2].price])).toEqual([
      [optionConId(600, 'P'), 'SLD', 1.95],
      [optionConId(590, 'P'), 'BOT', 2.05],
    ]);
    client.ib.reqExecutions(10, { symbol: 'SPY', side: 'SELL' } as never);
    await waitFor(() => execEnd.length === 1);
    const answered = execs.filter((e) => e[0] === 10);
    expect(answered.map((e) => e[2].side)).toEqual(['SLD']);
    expect(execEnd[0]).toEqual([10]);
  });

  it('answers a what-if order with margin figures in OPEN_ORDER and places nothing', async () => {
    const { server, client } = await setup();
    const opens = record<[number, Contract, Order, Record<string, unknown>]>(client.ib, EventName.openOrder);
    const statuses = record(client.ib, EventName.orderStatus);
    client.ib.placeOrder(7, put(595), limitOrder('SELL', 2, 1.0, { whatIf: true }));
    await waitFor(() => opens.length === 1);
    // The fake's what-if: initial margin grows by width 5 × 100 × 2 = 1000.
    expect(opens[0]?.[3]).toMatchObject({
      initMarginChange: 1000,
      initMarginAfter: 2000,
      maintMarginAfter: 1800,
      commission: 2.6,
      // IB fills the commission range of a what-if too (Double.MAX_VALUE would mean "unknown").
      minCommission: 2.6,
      maxCommission: 2.6,
      commissionCurrency: 'USD',
    });
    expect(opens[0]?.[2].whatIf).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(statuses).toHaveLength(0);
    expect(server.orders()).toHaveLength(0);
  });

  it('answers reqCompletedOrders with its end marker', async () => {
    const { client } = await setup();
    const ends = record(client.ib, EventName.completedOrdersEnd);
    client.ib.reqCompletedOrders(true);
    await waitFor(() => ends.length === 1);
  });
});
