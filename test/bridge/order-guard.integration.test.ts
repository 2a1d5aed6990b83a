// The bridge as the last line of defence (issue 13): every case the security review measured on a
// signed request, against the real bridge and the TWS-protocol simulator over TCP. Each order the guard
// refuses must never reach the simulator's broker; each it allows must.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '#bridge/contract';
import type { HealthResponse } from '#bridge/contract';
import { type RunningBridge, startBridge } from '#bridge/main';
import { startSimulator } from '#simulator/index';

const READ_SECRET = 'guard-read-secret-0123456789';
const ORDER_SECRET = 'guard-order-secret-0123456789';
const PREVIOUS_ORDER_SECRET = 'guard-order-previous-012345';
const LIMITS = { maxContractsPerOrder: 40, maxContractsPerDay: 200, priceBandWidthFraction: 0.1 };

type Sim = Awaited<ReturnType<typeof startSimulator>>;

const ORDER_ROUTE = /^(POST|PUT|DELETE) \/orders/;

interface CallOptions {
  body?: unknown;
  rawBody?: string;
  secret?: string | null;
  priority?: number | string;
  headers?: Record<string, string>;
}

function client(bridge: () => RunningBridge) {
  return async function call(method: string, pathWithQuery: string, options: CallOptions = {}) {
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const secret =
      options.secret === undefined
        ? ORDER_ROUTE.test(`${method} ${pathWithQuery}`)
          ? ORDER_SECRET
          : READ_SECRET
        : options.secret;
    const headers: Record<string, string> =
      secret === null
        ? body
          ? { 'content-type': 'application/json' }
          : {}
        : signedHeaders({
            secret,
            timestamp: Date.now(),
            method,
            pathWithQuery,
            body,
            priority: options.priority as number | undefined,
          });
    const res = await fetch(bridge().url + pathWithQuery, {
      method,
      headers: { ...headers, ...options.headers },
      body,
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, json: json as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>) {
  const end = Date.now() + 10_000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** A bull put on `symbol` in the jobs' convention: SELL of [BUY short put, SELL long put] at +credit. */
function bullPut(sim: Sim, symbol = 'SPY', delta = 0.25) {
  const puts = sim.engine.findContracts({ symbol, secType: 'OPT' }).filter((o) => o.right === 'P');
  const expiry = [...new Set(puts.map((p) => p.lastTradeDate))].sort()[2]!;
  const ofExpiry = puts.filter((p) => p.lastTradeDate === expiry);
  const short = ofExpiry
    .map((p) => ({ p, d: Math.abs(Math.abs(sim.engine.quote(p.conId)!.greeks!.delta) - delta) }))
    .sort((a, b) => a.d - b.d)[0]!.p;
  const long = ofExpiry.find((p) => p.strike === short.strike - 5)!;
  const qs = sim.engine.quote(short.conId)!;
  const ql = sim.engine.quote(long.conId)!;
  // Credit: mid = mid(short) − mid(long); natural (the worst credit) = bid(short) − ask(long).
  const mid = (qs.bid! + qs.ask!) / 2 - (ql.bid! + ql.ask!) / 2;
  const natural = qs.bid! - ql.ask!;
  return {
    legs: [
      { conId: short.conId, action: 'BUY', ratio: 1 },
      { conId: long.conId, action: 'SELL', ratio: 1 },
    ],
    mid,
    natural,
    width: 5,
  };
}

describe('the bridge guards every order (issue 13)', () => {
  let sim: Sim;
  let bridge: RunningBridge;
  const call = client(() => bridge);
  let seq = 0;
  const ref = (what: string) => `2026-06-01:guard-${what}-${++seq}`;
  const engineOrderCount = () => sim.engine.openOrders().length + sim.engine.executions().length;

  /** A bridge on the test's simulator with the guard's secrets and limits; `over` changes what a test needs. */
  const guardedBridge = (clientId: number, over: Partial<Parameters<typeof startBridge>[0]> = {}) =>
    startBridge({
      ib: { host: '127.0.0.1', port: sim.port, clientId },
      http: { host: '127.0.0.1', port: 0 },
      secret: READ_SECRET,
      orderSecret: ORDER_SECRET,
      tradingMode: 'paper',
      limits: LIMITS,
      quoteTimeoutMs: 3000,
      backoff: { initialMs: 100, maxMs: 1000 },
      ...over,
    });

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 11, speed: 0 });
    bridge = await guardedBridge(1, {
      http: { host: '127.0.0.1', port: 0, requestTimeoutMs: 1000, connectionsCheckingIntervalMs: 200 },
      previousOrderSecret: PREVIOUS_ORDER_SECRET,
    });
    await bridge.ready(10_000);
  }, 30_000);

  afterAll(async () => {
    await bridge?.close();
    await sim?.stop();
  });

  it('refuses quantity 1000 (and any order above the cap, counted legs × ratio × quantity); places one at the cap', async () => {
    const bp = bullPut(sim);
    const before = engineOrderCount();
    const huge = await call('POST', '/orders', {
      body: {
        orderRef: ref('qty'),
        legs: bp.legs,
        action: 'SELL',
        quantity: 1000,
        limitPrice: round2(bp.mid),
      },
    });
    expect(huge.status).toBe(422);
    expect(huge.json.error).toMatchObject({ code: 'MAX_CONTRACTS_PER_ORDER', retryable: false });
    // 2 legs × ratio 1 × 1000 = 2000 contracts against the cap of 40
    expect(huge.json.error.message).toContain('2000');
    expect(huge.json.error.message).toContain('40');
    const justAbove = await call('POST', '/orders', {
      body: { orderRef: ref('qty'), legs: bp.legs, action: 'SELL', quantity: 21, limitPrice: round2(bp.mid) },
    });
    expect(justAbove.status).toBe(422);
    expect(engineOrderCount()).toBe(before); // nothing reached IB

    // 20 × 2 legs = 40 = the cap: placed (at a credit above mid: it waits), then cancelled
    const atCap = await call('POST', '/orders', {
      body: {
        orderRef: ref('qty'),
        legs: bp.legs,
        action: 'SELL',
        quantity: 20,
        limitPrice: round2(bp.mid + 0.1),
      },
    });
    expect(atCap.status).toBe(200);
    expect(atCap.json.quantity).toBe(20);
    expect((await call('DELETE', `/orders/${atCap.json.orderId}`)).status).toBe(200);
  }, 20_000);

  it('refuses a single leg with ratio 10 (IB would get 10 × quantity contracts)', async () => {
    const put = sim.engine
      .findContracts({ symbol: 'IWM', secType: 'OPT' })
      .find((o) => o.right === 'P' && sim.engine.quote(o.conId)!.bid! > 0.5)!;
    const bid = sim.engine.quote(put.conId)!.bid!;
    const before = engineOrderCount();
    const res = await call('POST', '/orders', {
      body: {
        orderRef: ref('ratio'),
        legs: [{ conId: put.conId, action: 'SELL', ratio: 10 }],
        action: 'BUY',
        quantity: 2,
        limitPrice: -round2(bid * 10),
      },
    });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('INSTRUMENT');
    expect(res.json.error.message).toContain('ratio 10');
    expect(engineOrderCount()).toBe(before);
  });

  it('refuses stock to open (1,000 SPY shares); allows selling shares the account holds, never more', async () => {
    const spy = sim.engine.findContracts({ symbol: 'SPY', secType: 'STK' })[0]!;
    const q = sim.engine.quote(spy.conId)!;
    const before = engineOrderCount();
    const buy = await call('POST', '/orders', {
      body: {
        orderRef: ref('stock'),
        legs: [{ conId: spy.conId, action: 'BUY', ratio: 1 }],
        action: 'BUY',
        quantity: 1000,
        limitPrice: round2(q.ask!),
      },
    });
    expect(buy.status).toBe(422);
    expect(buy.json.error.code).toBe('STOCK_CLOSE_ONLY');
    expect(engineOrderCount()).toBe(before);

    // shares arrive outside the bridge (as an assignment would): selling them is a close
    const account = sim.engine.accounts()[0]!;
    sim.engine.placeOrder({
      orderId: 900_001,
      clientId: 99,
      account,
      contract: { secType: 'STK', conId: spy.conId, symbol: 'SPY' },
      action: 'BUY',
      quantity: 30,
      orderType: 'LMT',
      limitPrice: round2(q.ask! + 1),
      tif: 'DAY',
      orderRef: '',
      transmit: true,
      whatIf: false,
    });
    // the simulated broker may fill part of it at once (partial fills for size): whatever it holds
    const held = sim.engine.positions().find((p) => p.contract.conId === spy.conId)?.position ?? 0;
    expect(held).toBeGreaterThan(0);
    sim.engine.cancelOrder(900_001);
    const sellTooMany = await call('POST', '/orders', {
      body: {
        orderRef: ref('stock'),
        legs: [{ conId: spy.conId, action: 'SELL', ratio: 1 }],
        action: 'BUY',
        quantity: held + 1,
        limitPrice: -round2(q.bid!),
      },
    });
    expect(sellTooMany.status).toBe(422);
    expect(sellTooMany.json.error.code).toBe('STOCK_CLOSE_ONLY');
    const sell = await call('POST', '/orders', {
      body: {
        orderRef: ref('stock'),
        legs: [{ conId: spy.conId, action: 'SELL', ratio: 1 }],
        action: 'BUY',
        quantity: held,
        limitPrice: -round2(q.bid!),
      },
    });
    expect(sell.status).toBe(200);
    await until('the shares sold', () =>
      sim.engine.positions().every((p) => p.contract.conId !== spy.conId || p.position === 0),
    );
  }, 20_000);

  it('refuses a BUY at limit 1,000,000 and a PUT /orders/N to it, naming the band', async () => {
    const bp = bullPut(sim, 'QQQ');
    const before = engineOrderCount();
    // closing-style BUY of the combo at an absurd debit: a limit that would act as a market order
    const absurd = await call('POST', '/orders', {
      body: { orderRef: ref('band'), legs: bp.legs, action: 'BUY', quantity: 1, limitPrice: 1_000_000 },
    });
    expect(absurd.status).toBe(422);
    expect(absurd.json.error.code).toBe('PRICE_BAND');
    expect(absurd.json.error.message).toMatch(/1000000 .*outside/);
    expect(engineOrderCount()).toBe(before);

    // a legitimate opening order above mid (it waits) may not be moved to 1,000,000 either
    const placed = await call('POST', '/orders', {
      body: {
        orderRef: ref('band'),
        legs: bp.legs,
        action: 'SELL',
        quantity: 1,
        limitPrice: round2(bp.mid + 0.2),
      },
    });
    expect(placed.status).toBe(200);
    const id = placed.json.orderId as number;
    const moved = await call('PUT', `/orders/${id}`, { body: { limitPrice: 1_000_000 } });
    expect(moved.status).toBe(422);
    expect(moved.json.error.code).toBe('PRICE_BAND');
    const engineOrder = sim.engine.openOrders().find((o) => o.request.orderId === id)!;
    expect(engineOrder.request.limitPrice).toBeCloseTo(round2(bp.mid + 0.2), 6);
    // within the band it moves: to natural, the end of the jobs' reprice path
    const toNatural = await call('PUT', `/orders/${id}`, { body: { limitPrice: round2(bp.natural) } });
    expect(toNatural.status).toBe(200);
    await call('DELETE', `/orders/${id}`);
  }, 20_000);

  it('order routes take only the order secret, read routes only the read secret (previous ones during rotation)', async () => {
    const bp = bullPut(sim, 'IWM');
    const body = {
      orderRef: ref('secret'),
      legs: bp.legs,
      action: 'SELL',
      quantity: 1,
      limitPrice: round2(bp.mid + 0.3),
    };
    const withRead = await call('POST', '/orders', { body, secret: READ_SECRET });
    expect(withRead.status).toBe(401);
    expect(withRead.json.error.message).toBe('bad signature');
    const cancelWithRead = await call('DELETE', '/orders/1', { secret: READ_SECRET });
    expect(cancelWithRead.status).toBe(401);
    const readWithOrder = await call('GET', '/account', { secret: ORDER_SECRET });
    expect(readWithOrder.status).toBe(401);
    const placed = await call('POST', '/orders', { body, secret: PREVIOUS_ORDER_SECRET });
    expect(placed.status).toBe(200);
    expect((await call('DELETE', `/orders/${placed.json.orderId}`)).status).toBe(200);
    expect((await call('GET', '/account')).status).toBe(200);
  }, 20_000);

  it('checks the signature on the raw body before parsing it: unsigned malformed JSON is 401', async () => {
    const res = await call('POST', '/quotes', { rawBody: '{"contracts": [', secret: null });
    expect(res.status).toBe(401);
    expect(res.json.error.message).toBe('missing signature');
    // signed but malformed: 400 naming the body
    const signed = await call('POST', '/quotes', { rawBody: '{"contracts": [' });
    expect(signed.status).toBe(400);
    expect(signed.json.error.field).toBe('body');
  });

  it('refuses a body above 256 KB, and an unsigned request before its body arrives', async () => {
    const big = JSON.stringify({ contracts: [{ secType: 'STK', symbol: 'SPY' }], pad: 'x'.repeat(300_000) });
    const res = await call('POST', '/quotes', { rawBody: big });
    expect(res.status).toBe(413);

    // 1 MB announced, 1 KB sent: the answer (401) comes without waiting for the rest
    const url = new URL(bridge.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST /quotes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n${'{'.padEnd(1024, ' ')}`,
        );
      });
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        resolve(text || 'no answer within 2 s');
      }, 2000);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('closes a connection whose request never completes (request timeout)', async () => {
    const url = new URL(bridge.url);
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('GET /account HTTP/1.1\r\nHost: x\r\n'); // headers never finish
      });
      socket.resume(); // read the 408, so the close is seen
      socket.on('close', () => resolve(Date.now() - started));
      socket.on('error', () => undefined);
      setTimeout(() => {
        socket.destroy();
        resolve(Number.POSITIVE_INFINITY);
      }, 5000).unref();
    });
    expect(closedAfter).toBeLessThan(4000);
  }, 10_000);

  it('covers x-priority with the signature and accepts digits only', async () => {
    const headers = signedHeaders({
      secret: READ_SECRET,
      timestamp: Date.now(),
      method: 'GET',
      pathWithQuery: '/positions',
      priority: 50,
    });
    const tampered = await fetch(`${bridge.url}/positions`, { headers: { ...headers, 'x-priority': '0' } });
    expect(tampered.status).toBe(401);
    const notDigits = await call('GET', '/positions', { priority: '1e1' });
    expect(notDigits.status).toBe(400);
    expect(notDigits.json.error.field).toBe('x-priority');
    expect((await call('GET', '/positions', { priority: 10 })).status).toBe(200);
  });

  it('frees the lines of a /quotes request whose client went away', async () => {
    // quotes that never complete: each holds its line until the per-contract timeout (20 s here)
    const slow = await guardedBridge(3, { maxLines: 10, quoteTimeoutMs: 20_000 });
    try {
      await slow.ready(10_000);
      const options = sim.engine.findContracts({ symbol: 'IWM', secType: 'OPT' }).slice(0, 30);
      sim.faults.quotes('IWM', 'missing');
      const body = JSON.stringify({ contracts: options.map((o) => ({ secType: 'OPT', conId: o.conId })) });
      const abort = new AbortController();
      const request = fetch(`${slow.url}/quotes`, {
        method: 'POST',
        headers: signedHeaders({
          secret: READ_SECRET,
          timestamp: Date.now(),
          method: 'POST',
          pathWithQuery: '/quotes',
          body,
        }),
        body,
        signal: abort.signal,
      }).catch(() => undefined);
      await until('all lines in use', () => slow.service.lines.linesInUse === 10);
      abort.abort();
      await request;
      const freedAt = Date.now();
      await until(
        'lines freed',
        () => slow.service.lines.linesInUse === 0 && slow.service.lines.waiting === 0,
      );
      expect(Date.now() - freedAt).toBeLessThan(2000);
    } finally {
      sim.faults.quotes('IWM', undefined);
      await slow.close();
    }
  }, 30_000);

  it('a bridge for a live stack refuses every order on a paper account and says so on /health', async () => {
    const live = await guardedBridge(4, { tradingMode: 'live' });
    try {
      await live.ready(10_000);
      const liveCall = client(() => live);
      const health = (await liveCall('GET', '/health', { secret: null })).json as HealthResponse;
      expect(health.orders).toMatchObject({ allowed: false, expectedTradingMode: 'live' });
      expect(health.orders?.reason).toContain('paper');
      const bp = bullPut(sim, 'IWM');
      const before = engineOrderCount();
      const res = await liveCall('POST', '/orders', {
        body: {
          orderRef: ref('mode'),
          legs: bp.legs,
          action: 'SELL',
          quantity: 1,
          limitPrice: round2(bp.natural),
        },
      });
      expect(res.status).toBe(422);
      expect(res.json.error.code).toBe('TRADING_MODE');
      expect(engineOrderCount()).toBe(before);
      // the paper bridge on the same account says orders are allowed
      const ok = (await call('GET', '/health', { secret: null })).json as HealthResponse;
      expect(ok.orders).toMatchObject({ allowed: true, expectedTradingMode: 'paper' });
    } finally {
      await live.close();
    }
  }, 30_000);
});
