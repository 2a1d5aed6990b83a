// IB's limits as the server enforces them, each shown with the real client (small thresholds keep
// the tests fast; the defaults are IB's: 50 msg/s, 100 lines, 60 historical requests per 10 min).

import { afterEach, describe, expect, it } from 'vitest';
import { BarSizeSetting, EventName, IBApi, type Contract } from '@stoqey/ib';
import { createFakeEngine, optionConId } from './fake-engine';
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
import { DEFAULT_LIMITS } from '#simulator/server/limits';

const START = Date.UTC(2026, 10, 24, 15, 0);
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) expect(c.protocolErrors, `client ${c.clientId}`).toEqual([]);
  clients.length = 0;
  await closeAll();
});

async function connect(port: number, clientId = 0, maxReqPerSec = 40): Promise<TestClient> {
  const client = await connectClient(port, clientId, maxReqPerSec);
  clients.push(client);
  return client;
}

const spy: Contract = {
  symbol: 'SPY',
  secType: 'STK' as Contract['secType'],
  exchange: 'SMART',
  currency: 'USD',
};

describe('limits', () => {
  it('uses IB’s numbers by default', () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      enabled: true,
      maxMessagesPerSecond: 50,
      maxMarketDataLines: 100,
      historicalRequestsPerWindow: 60,
      historicalWindowMs: 600_000,
      identicalHistoricalWithinMs: 15_000,
    });
  });

  it('answers error 100 and disconnects a client that sends more than the message rate', async () => {
    const server = await startServer(createFakeEngine(START), { limits: { maxMessagesPerSecond: 10 } });
    // The client's own throttle is raised so it can break the limit.
    const client = await connect(server.port, 0, 1000);
    for (let i = 0; i < 30; i++) client.ib.reqCurrentTime();
    await waitFor(() => client.disconnected, 2000, 'disconnect');
    expect(client.infos.map((i) => i.code)).toContain(100);
    expect(server.connections()).toHaveLength(0);
  });

  it('counts the message rate in simulated seconds when asked: a burst spread by clock jumps passes', async () => {
    const engine = createFakeEngine(START);
    const server = await startServer(engine, {
      limits: { maxMessagesPerSecond: 10 },
      messageRateClock: 'simulated',
    });
    const client = await connect(server.port, 0, 1000);
    const times = record<[number]>(client.ib, EventName.currentTime);
    const before = server.messagesReceived;
    // 30 messages within a few real ms, 8 per simulated second (IB's limit here is 10).
    for (let second = 0; second < 3; second++) {
      for (let i = 0; i < 8; i++) client.ib.reqCurrentTime();
      await waitFor(() => server.messagesReceived - before === (second + 1) * 8, 2000, 'messages');
      server.advance(1000);
    }
    await waitFor(() => times.length === 24, 2000, 'answers');
    expect(client.disconnected).toBe(false);
    expect(client.infos.map((i) => i.code)).not.toContain(100);
    // The same burst within one simulated second is over the limit.
    for (let i = 0; i < 11; i++) client.ib.reqCurrentTime();
    await waitFor(() => client.disconnected, 2000, 'disconnect');
    expect(client.infos.map((i) => i.code)).toContain(100);
  });

  it('lets the same burst through when limits are switched off', async () => {
    const server = await startServer(createFakeEngine(START), { limits: false });
    const client = await connect(server.port, 0, 1000);
    const times = record(client.ib, EventName.currentTime);
    for (let i = 0; i < 80; i++) client.ib.reqCurrentTime();
    await waitFor(() => times.length === 80, 3000, '80 answers');
    expect(client.disconnected).toBe(false);
  });

  it('answers error 101 beyond the market-data line budget, and frees a line on cancel', async () => {
    const server = await startServer(createFakeEngine(START), { limits: { maxMarketDataLines: 3 } });
    const client = await connect(server.port);
    const params = record<[number]>(client.ib, EventName.tickReqParams);
    for (const [i, strike] of [590, 595, 600, 605].entries()) {
      client.ib.reqMktData(i + 1, { conId: optionConId(strike, 'C'), exchange: 'SMART' }, '', false, false);
    }
    await waitFor(() => client.errors.length === 1 && params.length === 3);
    expect(client.errors[0]).toMatchObject({ code: 101, reqId: 4 });
    client.ib.cancelMktData(1);
    client.ib.reqMktData(5, { conId: optionConId(610, 'C'), exchange: 'SMART' }, '', false, false);
    await waitFor(() => params.length === 4);
    expect(params.map((p) => p[0])).toEqual([1, 2, 3, 5]);
  });

  it('paces historical requests: identical within 15 s and over the window get error 162', async () => {
    const engine = createFakeEngine(START);
    const server = await startServer(engine, { limits: { historicalRequestsPerWindow: 3 } });
    const client = await connect(server.port);
    const bars = record<[number, string]>(client.ib, EventName.historicalData);
    const finished = (): number[] => bars.filter((b) => b[1].startsWith('finished')).map((b) => b[0]);
    const ask = (reqId: number, duration: string): void =>
      void client.ib.reqHistoricalData(
        reqId,
        spy,
        '',
        duration,
        BarSizeSetting.DAYS_ONE,
        'TRADES' as never,
        1,
        1,
        false,
      );
    ask(1, '5 D');
    ask(2, '5 D'); // identical, same simulated instant
    await waitFor(() => finished().length === 1 && client.errors.length === 1);
    expect(client.errors[0]).toMatchObject({ code: 162, reqId: 2 });
    server.advance(16_000);
    ask(3, '5 D'); // identical, 16 s later: allowed
    ask(4, '10 D'); // third in the window
    ask(5, '20 D'); // fourth: over the budget of 3
    await waitFor(() => finished().length === 3 && client.errors.length === 2);
    expect(finished()).toEqual([1, 3, 4]);
    expect(client.errors[1]).toMatchObject({ code: 162, reqId: 5 });
  });

  it('refuses a duplicate client id with error 326 and closes that socket only', async () => {
    const server = await startServer(createFakeEngine(START));
    const first = await connect(server.port, 3);
    const second = await connect(server.port, 4);
    expect(second.nextValidId).toBe(1);
    const raw = await rawClient(server.port, 'v100..193');
    await waitFor(() => raw.frames.length === 1);
    raw.send([71, 2, 3, '']);
    await waitFor(() => raw.closed, 2000, 'close');
    expect(raw.frames[1]).toEqual([
      '4',
      '2',
      '-1',
      '326',
      expect.stringContaining('client id is already in use'),
      '',
    ]);
    await sleep(20);
    expect(first.disconnected).toBe(false);
    expect(
      server
        .connections()
        .map((c) => c.clientId)
        .sort(),
    ).toEqual([3, 4]);

    // The real client sees the same: 326 (as info, id −1) and a disconnect, never nextValidId.
    const dup = new IBApi({ host: '127.0.0.1', port: server.port });
    const infos: number[] = [];
    let disconnected = false;
    let ready = false;
    dup.on(EventName.info, (_msg: string, code: number) => void infos.push(code));
    dup.on(EventName.disconnected, () => void (disconnected = true));
    dup.on(EventName.nextValidId, () => void (ready = true));
    dup.connect(4);
    try {
      await waitFor(() => disconnected, 2000, 'disconnect of the duplicate');
    } finally {
      dup.disconnect();
    }
    expect(infos).toContain(326);
    expect(ready).toBe(false);
  });

  it('answers error 506 and closes when the client’s version range excludes 193', async () => {
    const server = await startServer(createFakeEngine(START));
    const raw = await rawClient(server.port, 'v100..150');
    await waitFor(() => raw.closed, 2000, 'close');
    expect(raw.frames).toEqual([['4', '2', '-1', '506', expect.stringContaining('Unsupported version'), '']]);
  });
});
