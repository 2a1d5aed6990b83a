// The local stack pays IB's pacing (50 messages per second) in simulated time: a wait for the next
// token jumps the simulator instead of waiting real time, so a day with hundreds of quotes per cycle
// costs no real time for it. At speed 0 nothing else moves the clock, so what the quotes moved it by is
// what the pacing waits moved it by.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { signedHeaders } from '#bridge/contract';
import { startLocalStack } from '#scripts/local/stack';
import type { LocalStack } from '#scripts/local/stack';
import { dynamoEndpoint } from '../support/dynamodb';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    write: null,
    speed: 0,
    start: nyTimeToEpoch('2026-06-01', '10:30'),
    dynamoEndpoint: dynamoEndpoint(),
    tablePrefix: `pacing-${Date.now().toString(36)}`,
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

it('paces IB messages on the simulated clock: the waits jump it, and IB never sees more than 50 a second', async () => {
  const contracts = stack.simulator.engine
    .findContracts({ symbol: 'SPY', secType: 'OPT' })
    .slice(0, 150)
    .map((c) => ({ secType: 'OPT' as const, conId: c.conId }));
  const receivedBefore = stack.simulator.messagesReceived();
  const simulatedBefore = stack.simulator.now();
  const quotes = await stack.context.bridge(30).quotes(contracts);
  const messages = stack.simulator.messagesReceived() - receivedBefore;
  const simulatedSeconds = (stack.simulator.now() - simulatedBefore) / 1000;

  expect(quotes.filter((q) => q.error !== undefined || q.stale)).toEqual([]);
  // 150 requests and (most of) their cancels reached IB...
  expect(messages).toBeGreaterThanOrEqual(250);
  // ...and the clock moved by at least IB's floor for them (the queue keeps 45 per 1.1 s).
  expect(simulatedSeconds).toBeGreaterThanOrEqual((messages - 50) / 50);
  // No error 100: the one connection is still the first one.
  expect(stack.bridge.connection.state).toBe('ready');
  expect(stack.bridge.connection.reconnectAttempts).toBe(0);
  expect(stack.simulator.connections()).toHaveLength(1);
}, 60_000);

it('pays the wall clock instead with pacing "real" (production pacing, for the bench)', async () => {
  const real = await startLocalStack({
    write: null,
    speed: 0,
    pacing: 'real',
    start: nyTimeToEpoch('2026-06-01', '10:30'),
    dynamoEndpoint: dynamoEndpoint(),
    tablePrefix: `pacing-real-${Date.now().toString(36)}`,
  });
  try {
    const contracts = real.simulator.engine
      .findContracts({ symbol: 'SPY', secType: 'OPT' })
      .slice(0, 30)
      .map((c) => ({ secType: 'OPT' as const, conId: c.conId }));
    const simulatedBefore = real.simulator.now();
    const quotes = await real.context.bridge(30).quotes(contracts);
    expect(quotes.filter((q) => q.error !== undefined)).toEqual([]);
    // 60 messages are over one window, yet the stopped clock did not move: the wait was real.
    expect(real.simulator.now()).toBe(simulatedBefore);
  } finally {
    await real.stop();
  }
}, 60_000);

it("accepts a job's request signed just before another job's sleep jumped the clock", async () => {
  const secret = stack.bridgeSecret;
  const timestamp = stack.clock.now();
  // execute-strategies waits 45 s between reprices; the jump lands while this request is on its way.
  await stack.clock.sleep(45_000);
  const response = await fetch(`${stack.bridge.url}/positions`, {
    headers: signedHeaders({ secret, timestamp, method: 'GET', pathWithQuery: '/positions' }),
  });
  expect(response.status).toBe(200);
  // The same signature again is still a replay.
  const again = await fetch(`${stack.bridge.url}/positions`, {
    headers: signedHeaders({ secret, timestamp, method: 'GET', pathWithQuery: '/positions' }),
  });
  expect(again.status).toBe(401);
}, 60_000);
