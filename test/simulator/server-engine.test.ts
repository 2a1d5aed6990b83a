// The protocol surface once more, now against the full simulator (the real engine) through
// `startSimulator`: every answer decodes cleanly and carries the market the engine models.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BarSizeSetting,
  EventName,
  OrderAction,
  type Contract,
  type ContractDetails,
  type Order,
} from '@stoqey/ib';
import { startSimulator, type Simulator } from '#simulator/index';
import { closeAll, connectClient, record, waitFor, type TestClient } from './server-harness';

let sim: Simulator;
let client: TestClient;
let reqId = 1;

beforeAll(async () => {
  // Monday 2 Nov 2026, 10:00 New York: the market is open.
  sim = await startSimulator({ seed: 3, speed: 0, start: Date.UTC(2026, 10, 2, 15, 0), snapshotDelayMs: 5 });
  client = await connectClient(sim.port, 2);
});

afterAll(async () => {
  expect(client.protocolErrors).toEqual([]);
  await closeAll();
});

async function details(contract: Contract): Promise<ContractDetails[]> {
  const id = reqId++;
  const found = record<[number, ContractDetails]>(client.ib, EventName.contractDetails);
  const ends = record<[number]>(client.ib, EventName.contractDetailsEnd);
  const errors = client.errors.length;
  client.ib.reqContractDetails(id, contract);
  await waitFor(
    () => ends.some((e) => e[0] === id) || client.errors.length > errors,
    5000,
    'contract details',
  );
  return found.filter((f) => f[0] === id).map((f) => f[1]);
}

describe('full simulator over the wire', () => {
  it('connects with the paper account and the engine’s clock', async () => {
    expect(client.accounts).toMatch(/^DU/);
    const times = record<[number]>(client.ib, EventName.currentTime);
    client.ib.reqCurrentTime();
    await waitFor(() => times.length === 1);
    expect(times[0]).toEqual([Math.floor(sim.now() / 1000)]);
  });

  it('describes stocks, futures and the VIX index, and answers 200 for nonsense', async () => {
    const [spy] = await details({
      symbol: 'SPY',
      secType: 'STK' as Contract['secType'],
      exchange: 'SMART',
      currency: 'USD',
    });
    expect(spy?.contract).toMatchObject({ symbol: 'SPY', secType: 'STK' });
    expect(spy?.liquidHours).toMatch(/^\d{8}:/);
    const es = await details({
      symbol: 'ES',
      secType: 'FUT' as Contract['secType'],
      exchange: 'CME',
      currency: 'USD',
    });
    expect(es.length).toBeGreaterThan(0);
    expect(es[0]?.contract.multiplier).toBe(50);
    const [vix] = await details({
      symbol: 'VIX',
      secType: 'IND' as Contract['secType'],
      exchange: 'CBOE',
      currency: 'USD',
    });
    expect(vix?.contract.secType).toBe('IND');
    await details({
      symbol: 'ZZZZ',
      secType: 'STK' as Contract['secType'],
      exchange: 'SMART',
      currency: 'USD',
    });
    expect(client.errors.at(-1)).toMatchObject({ code: 200, reqId: reqId - 1 });
  });

  it('streams an option with computations and re-ticks as the clock advances', async () => {
    const params = record<[number, string, number, string, number, string[], number[]]>(
      client.ib,
      EventName.securityDefinitionOptionParameter,
    );
    const ends = record(client.ib, EventName.securityDefinitionOptionParameterEnd);
    client.ib.reqSecDefOptParams(reqId++, 'SPY', '', 'STK', 0);
    await waitFor(() => ends.length === 1);
    const [, , , , multiplier, expirations, strikes] = params[0] as (typeof params)[number];
    expect(multiplier).toBe(100);
    const expiry = expirations[4] as string;
    const middle = strikes[Math.floor(strikes.length / 2)] as number;
    const [put] = await details({
      symbol: 'SPY',
      secType: 'OPT' as Contract['secType'],
      lastTradeDateOrContractMonth: expiry,
      strike: middle,
      right: 'P' as Contract['right'],
      exchange: 'SMART',
      currency: 'USD',
    });
    const id = reqId++;
    const prices = record<[number, number, number]>(client.ib, EventName.tickPrice);
    const comps = record<unknown[]>(client.ib, EventName.tickOptionComputation);
    client.ib.reqMktData(id, { conId: put?.contract.conId, exchange: 'SMART' }, '', false, false);
    await waitFor(
      () => prices.some((p) => p[0] === id && p[1] === 2) && comps.some((c) => c[0] === id && c[1] === 13),
    );
    const model = comps.find((c) => c[0] === id && c[1] === 13) as number[];
    // A put's delta is negative; gamma and vega positive; IV a plausible fraction.
    expect(model[4]).toBeLessThan(0);
    expect(model[7]).toBeGreaterThan(0);
    expect(model[8]).toBeGreaterThan(0);
    expect(model[3]).toBeGreaterThan(0.03);
    expect(model[3]).toBeLessThan(2);
    const before = prices.filter((p) => p[0] === id).length;
    sim.advance(60 * 60_000);
    await waitFor(() => prices.filter((p) => p[0] === id).length > before, 2000, 'a re-tick after an hour');
    client.ib.cancelMktData(id);
  });

  it('returns a year of daily bars and historical implied volatility', async () => {
    const bars = record<[number, string, number]>(client.ib, EventName.historicalData);
    const spy: Contract = {
      symbol: 'SPY',
      secType: 'STK' as Contract['secType'],
      exchange: 'SMART',
      currency: 'USD',
    };
    const trades = reqId++;
    const iv = reqId++;
    client.ib.reqHistoricalData(
      trades,
      spy,
      '',
      '1 Y',
      BarSizeSetting.DAYS_ONE,
      'TRADES' as never,
      1,
      1,
      false,
    );
    client.ib.reqHistoricalData(
      iv,
      spy,
      '',
      '1 Y',
      BarSizeSetting.DAYS_ONE,
      'OPTION_IMPLIED_VOLATILITY' as never,
      1,
      1,
      false,
    );
    await waitFor(() => bars.filter((b) => b[1].startsWith('finished')).length === 2, 5000);
    const of = (id: number): [number, string, number][] =>
      bars.filter((b) => b[0] === id && !b[1].startsWith('finished'));
    expect(of(trades)).toHaveLength(252);
    expect(of(iv)).toHaveLength(252);
    // Bars come oldest first, one per trading day.
    const dates = of(trades).map((b) => b[1]);
    expect([...dates].sort()).toEqual(dates);
    for (const [, , close] of of(iv)) expect(close).toBeGreaterThan(0);
  });

  it('answers a what-if bull put with margin figures, then places, lists and cancels a passive one', async () => {
    const params = record<[number, string, number, string, number, string[], number[]]>(
      client.ib,
      EventName.securityDefinitionOptionParameter,
    );
    const ends = record(client.ib, EventName.securityDefinitionOptionParameterEnd);
    client.ib.reqSecDefOptParams(reqId++, 'SPY', '', 'STK', 0);
    await waitFor(() => ends.length === 1);
    const [, , , , , expirations, strikes] = params[0] as (typeof params)[number];
    const expiry = expirations[5] as string;
    const short = strikes[Math.floor(strikes.length * 0.4)] as number;
    const legConId = async (strike: number): Promise<number> =>
      (
        await details({
          symbol: 'SPY',
          secType: 'OPT' as Contract['secType'],
          lastTradeDateOrContractMonth: expiry,
          strike,
          right: 'P' as Contract['right'],
          exchange: 'SMART',
          currency: 'USD',
        })
      )[0]?.contract.conId as number;
    const combo: Contract = {
      symbol: 'SPY',
      secType: 'BAG' as Contract['secType'],
      exchange: 'SMART',
      currency: 'USD',
      comboLegs: [
        { conId: await legConId(short), ratio: 1, action: OrderAction.SELL, exchange: 'SMART' },
        { conId: await legConId(short - 5), ratio: 1, action: OrderAction.BUY, exchange: 'SMART' },
      ],
    };
    const opens = record<[number, Contract, Order, Record<string, number | string>]>(
      client.ib,
      EventName.openOrder,
    );
    const whatIfId = client.nextValidId;
    const order = (price: number, whatIf: boolean): Order => ({
      action: 'BUY' as Order['action'],
      orderType: 'LMT' as Order['orderType'],
      totalQuantity: 1,
      lmtPrice: price,
      tif: 'DAY' as Order['tif'],
      transmit: true,
      whatIf,
    });
    client.ib.placeOrder(whatIfId, combo, order(-0.5, true));
    await waitFor(() => opens.some((o) => o[0] === whatIfId));
    const state = opens.find((o) => o[0] === whatIfId)?.[3] as Record<string, number>;
    // A 5-wide defined-risk spread needs at most its width in margin: 5 × 100 × 1.
    expect(state.initMarginChange).toBeGreaterThan(0);
    expect(state.initMarginChange).toBeLessThanOrEqual(500);
    expect(state.initMarginAfter).toBeCloseTo(
      (state.initMarginBefore as number) + (state.initMarginChange as number),
      2,
    );

    // A credit of 4.00 on a 5-wide spread far out of the money will not fill: it waits, and can be cancelled.
    const statuses = record<[number, string]>(client.ib, EventName.orderStatus);
    const openEnd = record(client.ib, EventName.openOrderEnd);
    const passiveId = whatIfId + 1;
    client.ib.placeOrder(passiveId, combo, order(-4, false));
    await waitFor(() => statuses.some((s) => s[0] === passiveId && s[1] === 'Submitted'));
    client.ib.reqAllOpenOrders();
    await waitFor(() => openEnd.length === 1);
    expect(opens.filter((o) => o[0] === passiveId).length).toBeGreaterThanOrEqual(2);
    const errors = client.errors.length;
    client.ib.cancelOrder(passiveId);
    await waitFor(
      () => statuses.some((s) => s[0] === passiveId && s[1] === 'Cancelled') && client.errors.length > errors,
    );
    expect(client.errors.at(-1)).toMatchObject({ code: 202, reqId: passiveId });
    expect(sim.orders().find((o) => o.request.orderId === passiveId)?.status).toBe('Cancelled');
  });

  it('reports the account summary and an account-updates download consistent with each other', async () => {
    const id = reqId++;
    const rows = record<[number, string, string, string]>(client.ib, EventName.accountSummary);
    const ends = record<[number]>(client.ib, EventName.accountSummaryEnd);
    client.ib.reqAccountSummary(id, 'All', 'All');
    await waitFor(() => ends.some((e) => e[0] === id));
    const tag = (name: string): number => Number(rows.find((r) => r[0] === id && r[2] === name)?.[3]);
    for (const name of ['NetLiquidation', 'BuyingPower', 'AvailableFunds', 'ExcessLiquidity'])
      expect(tag(name)).toBeGreaterThan(0);
    // Available funds = net liquidation − initial margin; excess liquidity = net liquidation − maintenance margin.
    expect(tag('AvailableFunds')).toBeCloseTo(tag('NetLiquidation') - tag('InitMarginReq'), 2);
    expect(tag('ExcessLiquidity')).toBeCloseTo(tag('NetLiquidation') - tag('MaintMarginReq'), 2);
    const values = record<[string, string, string, string]>(client.ib, EventName.updateAccountValue);
    const done = record(client.ib, EventName.accountDownloadEnd);
    client.ib.reqAccountUpdates(true, client.accounts);
    await waitFor(() => done.length === 1);
    expect(Number(values.find((v) => v[0] === 'NetLiquidation')?.[1])).toBeCloseTo(tag('NetLiquidation'), 2);
  });
});
