// IB counts messages per real second. The bridge's clock may run ahead of real time (the jobs' test
// stack and `npm start` advance it whenever a job "sleeps"); the outgoing queue must keep pacing on
// real time anyway, or every jump hands back a full window of tokens and IB disconnects (error 100).

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Quote } from '#bridge/contract';
import { signedHeaders } from '#bridge/contract';
import { type RunningBridge, startBridge } from '#bridge/main';
import { startSimulator } from '#simulator/index';
import { startWireTap, type WireTap } from './wire-tap';

const SECRET = 'pacing-clock-secret-0123456789';

let sim: Awaited<ReturnType<typeof startSimulator>>;
let tap: WireTap;
let bridge: RunningBridge;
/** How far the bridge's clock runs ahead of real time. */
let ahead = 0;
const simLog: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 5, speed: 0, log: (line) => simLog.push(line) });
  tap = await startWireTap({ host: '127.0.0.1', port: sim.port });
  bridge = await startBridge({
    ib: { host: '127.0.0.1', port: tap.port, clientId: 1 },
    http: { host: '127.0.0.1', port: 0 },
    secret: SECRET,
    orderSecret: 'pacing-order-secret-0123456789',
    tradingMode: 'paper',
    limits: { maxContractsPerOrder: 40, maxContractsPerDay: 400 },
    quoteTimeoutMs: 3000,
    clock: {
      now: () => Date.now() + ahead,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    },
  });
  await bridge.ready(10_000);
}, 30_000);

afterAll(async () => {
  await bridge?.close();
  await tap?.close();
  await sim?.stop();
});

it('keeps under 50 messages per real second while its clock jumps ahead', async () => {
  const contracts = sim.engine
    .findContracts({ symbol: 'SPY', secType: 'OPT' })
    .slice(0, 150)
    .map((c) => ({ secType: 'OPT', conId: c.conId }));
  const body = JSON.stringify({ contracts });
  const startIndex = tap.messages.length;
  const request = fetch(`${bridge.url}/quotes`, {
    method: 'POST',
    headers: signedHeaders({
      secret: SECRET,
      timestamp: Date.now() + ahead,
      method: 'POST',
      pathWithQuery: '/quotes',
      body,
    }),
    body,
  });
  // Another job sleeps 5 s every 100 ms of real time while the queue is full of quote requests.
  const jumps = setInterval(() => {
    ahead += 5000;
  }, 100);
  let quotes: Quote[];
  try {
    const res = await request;
    expect(res.status).toBe(200);
    quotes = ((await res.json()) as { quotes: Quote[] }).quotes;
  } finally {
    clearInterval(jumps);
  }
  // 150 requests and 150 cancels went out, never more than IB's limit in a real second.
  expect(tap.messages.slice(startIndex).filter((m) => m.id === 1)).toHaveLength(150);
  expect(tap.maxPerWindow(1000)).toBeLessThan(50);
  expect(simLog.filter((l) => l.includes('messages/s'))).toEqual([]);
  expect(quotes.filter((q) => q.error !== undefined)).toEqual([]);
  expect(bridge.connection.state).toBe('ready');
}, 60_000);
