// The `delayedData` fault with the real client: what IB sends to an account without a real-time
// subscription. Warning 10167 for the request (which goes on), MARKET_DATA_TYPE 3, then delayed tick
// types (66 bid, 67 ask, 68 last; 80–83 option computations) and no live ones.

import { afterEach, describe, expect, it } from 'vitest';
import { EventName, type Contract } from '@stoqey/ib';
import { createFakeEngine, optionConId, SPY_CONID } from './fake-engine';
import { closeAll, connectClient, record, startServer, waitFor, type TestClient } from './server-harness';
import { parseFaultScript } from '#simulator/server/faults';

// Tuesday 24 Nov 2026, 10:00 New York.
const START = Date.UTC(2026, 10, 24, 15, 0);
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) expect(c.protocolErrors, `client ${c.clientId}`).toEqual([]);
  clients.length = 0;
  await closeAll();
});

const spy: Contract = { conId: SPY_CONID, exchange: 'SMART' };
const put595: Contract = { conId: optionConId(595, 'P'), exchange: 'SMART' };

describe('delayedData fault', () => {
  it('answers a live request with 10167, market data type 3 and delayed ticks only', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connectClient(server.port);
    clients.push(client);
    const prices = record<[number, number, number]>(client.ib, EventName.tickPrice);
    const types = record<[number, number]>(client.ib, EventName.marketDataType);
    const comps = record<unknown[]>(client.ib, EventName.tickOptionComputation);
    server.faults.delayedData(true);
    expect(server.faults.state().delayedData).toBe(true);
    client.ib.reqMktData(5, spy, '', false, false);
    client.ib.reqMktData(6, put595, '', false, false);
    await waitFor(() => prices.filter((p) => p[0] === 5).length >= 3 && comps.length >= 4);
    expect(client.errors.filter((e) => e.code === 10167).map((e) => e.reqId)).toEqual([5, 6]);
    expect(types).toEqual([
      [5, 3],
      [6, 3],
    ]);
    expect(prices.filter((p) => p[0] === 5).map((p) => p[1])).toEqual(expect.arrayContaining([66, 67, 68]));
    expect(prices.some((p) => p[1] < 66)).toBe(false);
    expect(comps.map((c) => c[1]).sort()).toEqual([80, 81, 82, 83]);

    // Switched off, a new request is live again: no warning, type 1, live tick types.
    server.faults.delayedData(false);
    prices.length = 0;
    client.ib.reqMktData(7, spy, '', false, false);
    await waitFor(() => prices.filter((p) => p[0] === 7).length >= 2);
    expect(types.at(-1)).toEqual([7, 1]);
    expect(prices.filter((p) => p[0] === 7).map((p) => p[1])).toEqual(expect.arrayContaining([1, 2]));
    expect(client.errors.filter((e) => e.code === 10167)).toHaveLength(2);
  });

  it('is scriptable and validated like the other faults', () => {
    expect(parseFaultScript([{ fault: 'delayedData', on: true }])).toEqual([
      { at: undefined, action: { fault: 'delayedData', on: true } },
    ]);
    expect(() => parseFaultScript([{ fault: 'delayedData' }])).toThrow(/on/);
  });
});
