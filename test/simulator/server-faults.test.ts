// Every fault the simulator can inject, shown with the real client: disconnects (now and at a
// simulated time), connectivity lost/restored, the nightly restart window, order rejection, stale /
// missing / sentinel quotes, partial fills that never complete, slow responses, and a fault script.

import { afterEach, describe, expect, it } from 'vitest';
import { EventName, type Contract, type Order } from '@stoqey/ib';
import { createFakeEngine, optionConId, SPY_CONID } from './fake-engine';
import {
  closeAll,
  connectClient,
  rawClient,
  record,
  sleep,
  startServer,
  waitFor,
  type TestClient,
} from './server-harness';
import { parseFaultScript } from '#simulator/server/faults';

// Tuesday 24 Nov 2026, 10:00 New York.
const START = Date.UTC(2026, 10, 24, 15, 0);
const MINUTE = 60_000;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) expect(c.protocolErrors, `client ${c.clientId}`).toEqual([]);
  clients.length = 0;
  await closeAll();
});

async function connect(port: number, clientId = 0): Promise<TestClient> {
  const client = await connectClient(port, clientId);
  clients.push(client);
  return client;
}

const spy: Contract = { conId: SPY_CONID, exchange: 'SMART' };
const put595: Contract = { conId: optionConId(595, 'P'), exchange: 'SMART' };
const buy = (quantity: number, price: number): Order => ({
  action: 'BUY' as Order['action'],
  orderType: 'LMT' as Order['orderType'],
  totalQuantity: quantity,
  lmtPrice: price,
  transmit: true,
});

describe('faults', () => {
  it('disconnect now drops every client; they can connect again', async () => {
    const server = await startServer(createFakeEngine(START));
    const a = await connect(server.port, 1);
    const b = await connect(server.port, 2);
    server.faults.disconnect();
    await waitFor(() => a.disconnected && b.disconnected);
    const again = await connect(server.port, 1);
    expect(again.nextValidId).toBeGreaterThan(0);
  });

  it('disconnects at a scheduled simulated time, not before', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    server.faults.disconnectAt(START + 30 * MINUTE);
    server.advance(29 * MINUTE);
    await sleep(30);
    expect(client.disconnected).toBe(false);
    server.advance(2 * MINUTE);
    await waitFor(() => client.disconnected);
  });

  it('connectivity lost (1100) stops ticks; restored with data maintained (1102) resumes them', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    const bids = record<[number, number, number]>(client.ib, EventName.tickPrice);
    const bidCount = (): number => bids.filter((t) => t[1] === 1).length;
    client.ib.reqMktData(1, spy, '', false, false);
    await waitFor(() => bidCount() === 1);
    server.faults.connectivityLost();
    await waitFor(() => client.infos.some((i) => i.code === 1100));
    server.advance(5 * MINUTE);
    await sleep(30);
    expect(bidCount()).toBe(1);
    server.faults.connectivityRestored(false);
    await waitFor(() => client.infos.some((i) => i.code === 1102) && bidCount() === 2);
    // The resumed bid is the current one: spot moved 0.05 in 5 minutes.
    expect(bids.filter((t) => t[1] === 1).at(-1)?.[2]).toBeCloseTo(600.04, 10);
  });

  it('restored with data lost (1101) drops subscriptions: no ticks until requested again', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    const prices = record(client.ib, EventName.tickPrice);
    client.ib.reqMktData(1, spy, '', false, false);
    await waitFor(() => prices.length > 0);
    server.faults.connectivityLost();
    server.faults.connectivityRestored(true);
    await waitFor(() => client.infos.some((i) => i.code === 1101));
    const seen = prices.length;
    server.advance(5 * MINUTE);
    await sleep(30);
    expect(prices.length).toBe(seen);
    client.ib.reqMktData(2, spy, '', false, false);
    await waitFor(() => prices.length > seen);
  });

  it('the nightly restart window drops connections and refuses new ones until it ends', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    server.faults.restart(20 * MINUTE);
    await waitFor(() => client.disconnected);
    const refused = await rawClient(server.port, 'v100..193');
    await waitFor(() => refused.closed, 1000, 'refused connection to close');
    expect(refused.frames).toEqual([]);
    server.advance(21 * MINUTE);
    const back = await connect(server.port);
    expect(back.nextValidId).toBeGreaterThan(0);
  });

  it('a login waiting for its second factor refuses connections however long it waits, until approved', async () => {
    const faults = parseFaultScript([
      { at: '2026-11-24T10:05', fault: 'loginPending' },
      { at: '2026-11-24T10:30', fault: 'loginApproved' },
    ]);
    const server = await startServer(createFakeEngine(START), { faults });
    const client = await connect(server.port);
    server.advance(6 * MINUTE);
    await waitFor(() => client.disconnected);
    expect(server.faults.state().loginPending).toBe(true);
    // unlike the nightly restart window, no duration ends it: only the approval does
    server.advance(20 * MINUTE);
    const refused = await rawClient(server.port, 'v100..193');
    await waitFor(() => refused.closed, 1000, 'refused connection to close');
    expect(refused.frames).toEqual([]);
    server.advance(5 * MINUTE);
    expect(server.faults.state().loginPending).toBe(false);
    const back = await connect(server.port);
    expect(back.nextValidId).toBeGreaterThan(0);
  });

  it('rejects orders with error 201 and the reason, until switched back', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    const statuses = record<[number, string]>(client.ib, EventName.orderStatus);
    server.faults.rejectOrders('Insufficient margin');
    client.ib.placeOrder(1, put595, buy(1, 2.05));
    await waitFor(() => client.errors.length === 1);
    expect(client.errors[0]).toMatchObject({
      code: 201,
      reqId: 1,
      message: expect.stringContaining('Insufficient margin'),
    });
    server.faults.rejectOrders(undefined);
    client.ib.placeOrder(2, put595, buy(1, 2.05));
    await waitFor(() => statuses.some((s) => s[0] === 2 && s[1] === 'Filled'));
  });

  it('rejects on the server’s own authority when the engine has no rejection hook', async () => {
    const engine = createFakeEngine(START);
    const server = await startServer({ ...engine, setOrderRejection: undefined });
    const client = await connect(server.port);
    server.faults.rejectOrders('Trading halted');
    client.ib.placeOrder(1, put595, buy(1, 2.05));
    await waitFor(() => client.errors.length === 1);
    expect(client.errors[0]).toMatchObject({ code: 201, message: expect.stringContaining('Trading halted') });
    expect(engine.executions()).toHaveLength(0);
  });

  it('stale quotes stop changing while the clock moves', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    const bids = record<[number, number, number]>(client.ib, EventName.tickPrice);
    client.ib.reqMktData(1, spy, '', false, false);
    await waitFor(() => bids.some((t) => t[1] === 1));
    server.faults.quotes('SPY', 'stale');
    server.advance(10 * MINUTE);
    await sleep(30);
    expect(bids.filter((t) => t[1] === 1).map((t) => t[2])).toEqual([599.99]);
    server.faults.quotes('SPY', undefined);
    await waitFor(() => bids.filter((t) => t[1] === 1).length === 2);
    // Ten minutes later the live bid is 0.10 higher.
    expect(bids.filter((t) => t[1] === 1).at(-1)?.[2]).toBeCloseTo(600.09, 10);
  });

  it('missing quotes give a snapshot with no prices, still ended by TICK_SNAPSHOT_END', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    const prices = record(client.ib, EventName.tickPrice);
    const ends = record(client.ib, EventName.tickSnapshotEnd);
    server.faults.quotes(optionConId(595, 'P'), 'missing');
    client.ib.reqMktData(1, put595, '', true, false);
    await waitFor(() => ends.length === 1);
    expect(prices).toHaveLength(0);
  });

  it('sentinel values reach the client as IB sends them (−1 price, MAX as absent, −2 greeks)', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    const prices = record<[number, number, number | undefined]>(client.ib, EventName.tickPrice);
    const comps = record<unknown[]>(client.ib, EventName.tickOptionComputation);
    server.faults.quotes('all', 'sentinel');
    client.ib.reqMktData(1, put595, '', false, false);
    await waitFor(() => prices.length >= 2 && comps.some((c) => c[1] === 13));
    expect(prices.find((p) => p[1] === 1)?.[2]).toBe(-1);
    // 1.7976931348623157E308 on the wire: the client reports "no value".
    expect(prices.find((p) => p[1] === 2)?.[2]).toBeUndefined();
    const model = comps.find((c) => c[1] === 13) as unknown[];
    expect(model.slice(3, 6)).toEqual([undefined, undefined, undefined]);
  });

  it('partial fills that never complete leave the order working with a remainder', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    const statuses = record<[number, string, number, number]>(client.ib, EventName.orderStatus);
    server.faults.partialFillsNeverComplete(true);
    client.ib.placeOrder(1, put595, buy(4, 2.1));
    await waitFor(() => statuses.some((s) => s[2] === 2));
    server.advance(30 * MINUTE);
    await sleep(30);
    expect(statuses.at(-1)?.slice(1, 4)).toEqual(['Submitted', 2, 2]);
    expect(server.orders()[0]).toMatchObject({ status: 'Submitted', filled: 2, remaining: 2 });
  });

  it('slow responses delay every answer by the set time, in order', async () => {
    const server = await startServer(createFakeEngine(START));
    const client = await connect(server.port);
    const times = record(client.ib, EventName.currentTime);
    const ids = record(client.ib, EventName.nextValidId);
    server.faults.slowResponses(250);
    const sent = Date.now();
    client.ib.reqCurrentTime();
    client.ib.reqIds();
    await waitFor(() => times.length === 1 && ids.length === 1, 2000);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(240);
    server.faults.slowResponses(0);
    const again = Date.now();
    client.ib.reqCurrentTime();
    await waitFor(() => times.length === 2);
    expect(Date.now() - again).toBeLessThan(200);
  });

  it('runs a fault script at its New York times', async () => {
    // 10:00 New York start; the script disconnects at 10:15 and turns on slow responses at once.
    const faults = parseFaultScript([
      { at: '2026-11-24T10:15', fault: 'disconnect' },
      { fault: 'slow', delayMs: 5 },
    ]);
    const server = await startServer(createFakeEngine(START), { faults });
    expect(server.faults.state().responseDelayMs).toBe(5);
    const client = await connect(server.port);
    server.advance(14 * MINUTE);
    await sleep(30);
    expect(client.disconnected).toBe(false);
    server.advance(2 * MINUTE);
    await waitFor(() => client.disconnected);
    expect(server.faults.state().pending).toEqual([]);
  });
});
