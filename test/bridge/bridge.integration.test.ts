// The real bridge against the TWS-protocol simulator over TCP, through a wire tap that counts what
// actually reaches the "gateway". Expected values come from the simulator's engine (an independent
// path: no wire, no bridge) or from hand calculations in comments.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithIbHours, isEarlyClose, parseIbLiquidHours } from '#core/calendar';
import { parseConfig } from '#core/config';
import { execFile } from 'node:child_process';
import { containerHealthProbe, isOrderRoute, signedHeaders } from '#bridge/contract';
import type { BridgeEvent, HealthResponse, Quote } from '#bridge/contract';
import { type RunningBridge, startBridge } from '#bridge/main';
import { startSimulator } from '#simulator/index';
import { startWireTap, type WireTap } from './wire-tap';

const SECRET = 'integration-secret-0123456789';
const PREVIOUS = 'previous-secret-0123456789abc';
const ORDER_SECRET = 'integration-order-secret-0123456';
/** The order guard's limits here: wide enough for every order below (an IC of 10 per order). */
const GUARD = {
  orderSecret: ORDER_SECRET,
  tradingMode: 'paper' as const,
  limits: { maxContractsPerOrder: 40, maxContractsPerDay: 400 },
};

type Sim = Awaited<ReturnType<typeof startSimulator>>;

interface CallOptions {
  body?: unknown;
  priority?: number | string;
  secret?: string | null;
  timestamp?: number;
  headers?: Record<string, string>;
}

function client(bridge: () => RunningBridge) {
  return async function call(method: string, pathWithQuery: string, options: CallOptions = {}) {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> =
      options.secret === null
        ? body
          ? { 'content-type': 'application/json' }
          : {}
        : signedHeaders({
            secret: options.secret ?? (isOrderRoute(method, pathWithQuery) ? ORDER_SECRET : SECRET),
            timestamp: options.timestamp ?? Date.now(),
            method,
            pathWithQuery,
            body,
            priority: options.priority,
          });
    const res = await fetch(bridge().url + pathWithQuery, {
      method,
      headers: { ...headers, ...options.headers },
      body,
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers };
  };
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs the task definition's container health check against `url`'s port: its exit code. */
function containerHealthCheck(url: string): Promise<number> {
  const port = Number(new URL(url).port);
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', containerHealthProbe(port)], { timeout: 5000 }, (error) =>
      resolve(error ? ((error as { code?: number }).code ?? 1) : 0),
    );
  });
}

function optionContracts(sim: Sim, symbol: string) {
  return sim.engine.findContracts({ symbol, secType: 'OPT' });
}

describe('bridge against the simulator', () => {
  let sim: Sim;
  let tap: WireTap;
  let bridge: RunningBridge;
  const events: BridgeEvent[] = [];
  const call = client(() => bridge);

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 11, speed: 0 });
    tap = await startWireTap({ host: '127.0.0.1', port: sim.port });
    bridge = await startBridge({
      ib: { host: '127.0.0.1', port: tap.port, clientId: 1 },
      http: { host: '127.0.0.1', port: 0 },
      secret: SECRET,
      previousSecret: PREVIOUS,
      ...GUARD,
      events: (e) => {
        events.push(e);
      },
      quoteTimeoutMs: 3000,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    await bridge.ready(10_000);
  }, 30_000);

  afterAll(async () => {
    await bridge?.close();
    await tap?.close();
    await sim?.stop();
  });

  describe('health and authentication', () => {
    it('GET /health needs no signature and shows the ready state without account data', async () => {
      const res = await call('GET', '/health', { secret: null });
      expect(res.status).toBe(200);
      const h = res.json as HealthResponse;
      expect(h).toMatchObject({
        status: 'ok',
        ibConnected: true,
        state: 'ready',
        serverVersion: 193,
        tradingMode: 'paper',
      });
      // the simulator reports its farms with 2104/2106/2158 (id −1, delivered as `info`)
      expect(Object.values(h.farms).length).toBeGreaterThan(0);
      expect(Object.values(h.farms).every((s) => s === 'ok')).toBe(true);
      const account = sim.engine.accounts()[0]!;
      expect(JSON.stringify(h)).not.toContain(account);
    });

    it('refuses missing, wrong, stale and replayed signatures with 401 and only the reason', async () => {
      const missing = await call('GET', '/account', { secret: null });
      expect(missing.status).toBe(401);
      expect(missing.json).toEqual({
        error: { code: 'UNAUTHORIZED', message: 'missing signature', retryable: false },
      });

      const wrong = await call('GET', '/account', { secret: 'not-the-secret-0000000000' });
      expect(wrong.status).toBe(401);
      expect(wrong.json.error.message).toBe('bad signature');

      const stale = await call('GET', '/account', { timestamp: Date.now() - 31_000 });
      expect(stale.status).toBe(401);
      expect(stale.json.error.message).toBe('stale timestamp');

      const first = await call('GET', '/positions');
      expect(first.status).toBe(200);
      const replay = await call('GET', '/positions', { secret: null, headers: first.headers });
      expect(replay.status).toBe(401);
      expect(replay.json.error.message).toBe('replayed signature');

      // a body changed after signing is a wrong signature
      const ts = Date.now();
      const signedFor = signedHeaders({
        secret: SECRET,
        timestamp: ts,
        method: 'POST',
        pathWithQuery: '/quotes',
        body: '{"contracts":[]}',
      });
      const tampered = await fetch(`${bridge.url}/quotes`, {
        method: 'POST',
        headers: signedFor,
        body: '{"contracts":[1]}',
      });
      expect(tampered.status).toBe(401);
    });

    it('accepts the previous secret during rotation', async () => {
      const res = await call('GET', '/positions', { secret: PREVIOUS });
      expect(res.status).toBe(200);
    });
  });

  describe('account, chain, quotes, history', () => {
    it('GET /account reports the engine account with its figures', async () => {
      const res = await call('GET', '/account', { priority: 20 });
      expect(res.status).toBe(200);
      const account = sim.engine.accounts()[0]!;
      const summary = sim.engine.accountSummary(account);
      expect(res.json).toMatchObject({ accountId: account, tradingMode: 'paper', currency: 'USD' });
      // the wire carries money with cents: equal to the engine's figure within half a cent
      expect(res.json.netLiquidation).toBeCloseTo(summary.netLiquidation, 2);
      expect(res.json.buyingPower).toBeCloseTo(summary.buyingPower, 2);
      expect(res.json.availableFunds).toBeCloseTo(summary.availableFunds, 2);
      expect(res.json.excessLiquidity).toBeCloseTo(summary.excessLiquidity, 2);
    });

    it('GET /chain gives the underlying conId and price, sorted expirations and strikes', async () => {
      const res = await call('GET', '/chain?symbol=SPY', { priority: 25 });
      expect(res.status).toBe(200);
      const und = sim.engine.findContracts({ symbol: 'SPY', secType: 'STK' })[0]!;
      const params =
        sim.engine.optionParams('SPY').find((p) => p.exchange === 'SMART') ??
        sim.engine.optionParams('SPY')[0]!;
      expect(res.json.underlyingConId).toBe(und.conId);
      expect(res.json.multiplier).toBe(100);
      expect(res.json.expirations).toEqual(
        params.expirations.map((e) => `${e.slice(0, 4)}-${e.slice(4, 6)}-${e.slice(6, 8)}`),
      );
      expect(res.json.strikes).toEqual([...params.strikes].sort((a, b) => a - b));
      const q = sim.engine.quote(und.conId)!;
      expect(res.json.underlyingPrice).toBeCloseTo((q.bid! + q.ask!) / 2, 2);
    });

    it('GET /trading-hours gives IB session strings for the stock, which agree with the NYSE calendar', async () => {
      const res = await call('GET', '/trading-hours?symbol=SPY', { priority: 20 });
      expect(res.status).toBe(200);
      const und = sim.engine.findContracts({ symbol: 'SPY', secType: 'STK' })[0]!;
      expect(res.json).toMatchObject({ symbol: 'SPY', conId: und.conId });
      const days = parseIbLiquidHours(res.json.liquidHours, res.json.timeZoneId);
      expect(days.length).toBeGreaterThanOrEqual(5);
      expect(compareWithIbHours(days, parseConfig({}).calendar)).toEqual([]);
      // A regular session is 09:30–16:00 New York: 6.5 hours.
      const regular = days.find((d) => !d.closed && !isEarlyClose(d.date, parseConfig({}).calendar))!;
      expect(regular.intervals.map((i) => (i.close - i.open) / 3_600_000)).toEqual([6.5]);
      expect(res.json.tradingHours).not.toBe(res.json.liquidHours);
      expect((await call('GET', '/trading-hours?symbol=spy!')).status).toBe(400);
      expect((await call('GET', '/trading-hours?symbol=SPY', { secret: null })).status).toBe(401);
    });

    it('marks quotes IB sends as delayed ticks (market data type 3), and only those', async () => {
      const delayedBridge = await startBridge({
        ib: { host: '127.0.0.1', port: sim.port, clientId: 7 },
        http: { host: '127.0.0.1', port: 0 },
        secret: SECRET,
        ...GUARD,
        marketDataType: 3,
      });
      try {
        const callDelayed = client(() => delayedBridge);
        await until('delayed bridge ready', async () =>
          (await callDelayed('GET', '/health', { secret: null })).json.status === 'ok' ? true : undefined,
        );
        const option = optionContracts(sim, 'SPY').find((o) => {
          const d = Math.abs(sim.engine.quote(o.conId)!.greeks!.delta);
          return d > 0.3 && d < 0.7;
        })!;
        const contracts = [
          { secType: 'STK', symbol: 'SPY' },
          { secType: 'OPT', conId: option.conId },
        ];
        const delayed = await callDelayed('POST', '/quotes', { body: { contracts } });
        expect(delayed.status).toBe(200);
        for (const q of delayed.json.quotes as Quote[]) {
          expect(q.delayed).toBe(true);
          expect(q.bid).toBeGreaterThan(0); // the delayed ticks still carry prices
        }
        const live = await call('POST', '/quotes', { body: { contracts } });
        for (const q of live.json.quotes as Quote[]) expect(q.delayed).toBeUndefined();
      } finally {
        await delayedBridge.close();
      }
    }, 30_000);

    it('marks quotes of an account without a live subscription (10167 + delayed ticks) and counts them', async () => {
      const option = optionContracts(sim, 'QQQ').find((o) => {
        const d = Math.abs(sim.engine.quote(o.conId)!.greeks!.delta);
        return d > 0.3 && d < 0.7;
      })!;
      const contracts = [
        { secType: 'STK', symbol: 'QQQ' },
        { secType: 'OPT', conId: option.conId },
      ];
      const countBefore = (await call('GET', '/health', { secret: null })).json.delayedQuotes as number;
      sim.faults.delayedData(true);
      let delayed;
      try {
        delayed = await call('POST', '/quotes', { body: { contracts } });
      } finally {
        sim.faults.delayedData(false);
      }
      expect(delayed.status).toBe(200);
      // IB's 10167 is a warning: the requests went on and completed with the delayed ticks.
      for (const q of delayed.json.quotes as Quote[]) {
        expect(q).toMatchObject({ delayed: true, stale: false });
        expect(q.error).toBeUndefined();
        expect(q.bid).toBeGreaterThan(0);
      }
      expect((delayed.json.quotes as Quote[])[1]!.delta).toBeDefined(); // delayed computations (80–83) too
      const health = (await call('GET', '/health', { secret: null })).json as HealthResponse;
      expect(health.delayedQuotes).toBe(countBefore + contracts.length);
      // With the subscription back, the same contracts are live again and the count stays.
      const live = await call('POST', '/quotes', { body: { contracts } });
      for (const q of live.json.quotes as Quote[]) expect(q.delayed).toBeUndefined();
      expect((await call('GET', '/health', { secret: null })).json.delayedQuotes).toBe(
        countBefore + contracts.length,
      );
    });

    it('POST /quotes streams options until bid, ask and greeks are in, in request order', async () => {
      // near-the-money options (|delta| 0.1–0.9): three calls and three puts
      const near = optionContracts(sim, 'SPY').filter((o) => {
        const d = Math.abs(sim.engine.quote(o.conId)!.greeks!.delta);
        return d > 0.1 && d < 0.9;
      });
      const options = [
        ...near.filter((o) => o.right === 'C').slice(0, 3),
        ...near.filter((o) => o.right === 'P').slice(0, 3),
      ];
      expect(options).toHaveLength(6);
      const res = await call('POST', '/quotes', {
        body: {
          contracts: options.map((o) => ({
            secType: 'OPT',
            symbol: 'SPY',
            expiry: `${o.lastTradeDate.slice(0, 4)}-${o.lastTradeDate.slice(4, 6)}-${o.lastTradeDate.slice(6, 8)}`,
            strike: o.strike,
            right: o.right,
          })),
        },
        priority: 25,
      });
      expect(res.status).toBe(200);
      expect(res.json.quotes).toHaveLength(options.length);
      res.json.quotes.forEach((quote: Quote, i: number) => {
        const o = options[i]!;
        const engineQuote = sim.engine.quote(o.conId)!;
        expect(quote.contract.conId).toBe(o.conId);
        expect(quote.stale).toBe(false);
        expect(quote.bid).toBeCloseTo(engineQuote.bid!, 2);
        expect(quote.ask).toBeCloseTo(engineQuote.ask!, 2);
        expect(quote.delta).toBeCloseTo(engineQuote.greeks!.delta, 4);
        expect(quote.iv).toBeCloseTo(engineQuote.greeks!.impliedVol, 4);
        expect(Math.sign(quote.delta!)).toBe(o.right === 'C' ? 1 : -1);
        expect(quote.gamma).toBeGreaterThan(0);
        expect(quote.underlyingPrice).toBeGreaterThan(0);
      });
    });

    it('marks a contract IB does not know with its error, and partial data as stale (never invented)', async () => {
      const put = optionContracts(sim, 'QQQ').find((o) => o.right === 'P')!;
      sim.faults.quotes(put.conId, 'missing');
      try {
        const res = await call('POST', '/quotes', {
          body: {
            contracts: [
              { secType: 'OPT', symbol: 'SPY', expiry: '2026-06-19', strike: 99999, right: 'C' },
              { secType: 'OPT', conId: put.conId },
            ],
          },
        });
        expect(res.status).toBe(200);
        const [unknown, missing] = res.json.quotes;
        expect(unknown.error).toMatchObject({ code: 200, retryable: false });
        expect(unknown.stale).toBe(true);
        expect(missing.stale).toBe(true);
        expect(missing.bid === undefined || missing.ask === undefined || missing.delta === undefined).toBe(
          true,
        );
      } finally {
        sim.faults.quotes(put.conId, undefined);
      }
    });

    it('GET /history returns the daily bars the engine holds, ascending', async () => {
      const und = sim.engine.findContracts({ symbol: 'SPY', secType: 'STK' })[0]!;
      for (const what of ['TRADES', 'OPTION_IMPLIED_VOLATILITY'] as const) {
        const res = await call('GET', `/history?symbol=SPY&what=${what}&days=20`, { priority: 10 });
        expect(res.status).toBe(200);
        const expected = sim.engine.dailyBars(und.conId, 20, what);
        expect(res.json.bars.map((b: { close: number }) => b.close)).toEqual(
          expected.map((b) => expect.closeTo(b.close, 4)),
        );
        const dates = res.json.bars.map((b: { date: string }) => b.date);
        expect([...dates].sort()).toEqual(dates);
      }
    });
  });

  describe('input validation and error mapping', () => {
    it('answers malformed input with 400 naming the field', async () => {
      const res = await call('POST', '/orders', {
        body: { orderRef: 'x', legs: [], action: 'BUY', quantity: 1, limitPrice: 1 },
      });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'INVALID_INPUT', field: 'legs', retryable: false });
      const mkt = await call('POST', '/orders', {
        body: {
          orderRef: 'x',
          legs: [{ conId: 1, action: 'BUY', ratio: 1 }],
          action: 'BUY',
          quantity: 1,
          limitPrice: 1,
          orderType: 'MKT',
        },
      });
      expect(mkt.status).toBe(400);
      expect(mkt.json.error.field).toBe('orderType');
      const days = await call('GET', '/history?symbol=SPY&what=TRADES&days=zero');
      expect(days.json.error.field).toBe('days');
      const priority = await call('GET', '/positions', { priority: 'urgent' });
      expect(priority.status).toBe(400);
      expect(priority.json.error.field).toBe('x-priority');
    });

    it('maps IB errors: 200 → 422, unknown order → 404, rejection 201 → 422, all with IB code and message', async () => {
      const chain = await call('GET', '/chain?symbol=NOPE');
      expect(chain.status).toBe(422);
      expect(chain.json.error).toMatchObject({ code: 200, retryable: false });

      const cancel = await call('DELETE', '/orders/987654');
      expect(cancel.status).toBe(404);
      expect(cancel.json.error.retryable).toBe(false);

      const leg = optionContracts(sim, 'IWM').find((o) => sim.engine.quote(o.conId)!.ask! > 0.2)!;
      sim.faults.rejectOrders('Insufficient margin for the test');
      try {
        const res = await call('POST', '/orders', {
          body: {
            orderRef: 'reject-test-1',
            legs: [{ conId: leg.conId, action: 'BUY', ratio: 1 }],
            action: 'BUY',
            quantity: 1,
            // at the ask: inside the guard's band, so IB (the simulator) is the one refusing
            limitPrice: sim.engine.quote(leg.conId)!.ask!,
          },
        });
        expect(res.status).toBe(422);
        expect(res.json.error).toMatchObject({ code: 201, retryable: false });
        expect(res.json.error.message).toContain('Insufficient margin for the test');
      } finally {
        sim.faults.rejectOrders(undefined);
      }
    });
  });

  describe('orders', () => {
    /** A bull put on SPY: sell the put nearest 0.25 delta, buy the one 5 points lower, same expiry. */
    function bullPut() {
      const puts = optionContracts(sim, 'SPY').filter((o) => o.right === 'P');
      const expiry = [...new Set(puts.map((p) => p.lastTradeDate))].sort()[2]!;
      const ofExpiry = puts.filter((p) => p.lastTradeDate === expiry);
      const short = ofExpiry
        .map((p) => ({ p, d: Math.abs(Math.abs(sim.engine.quote(p.conId)!.greeks!.delta) - 0.25) }))
        .sort((a, b) => a.d - b.d)[0]!.p;
      const long = ofExpiry.find((p) => p.strike === short.strike - 5)!;
      const qs = sim.engine.quote(short.conId)!;
      const ql = sim.engine.quote(long.conId)!;
      // BUY of the combo with legs SELL short / BUY long: price = long − short (negative = credit).
      // Natural for this BUY = ask(long) − bid(short); a limit at or above it fills at once.
      const natural = ql.ask! - qs.bid!;
      return {
        legs: [
          { conId: short.conId, action: 'SELL', ratio: 1 },
          { conId: long.conId, action: 'BUY', ratio: 1 },
        ],
        short,
        long,
        natural,
        width: short.strike - long.strike,
      };
    }

    it('what-if returns the engine’s margin figures for the combo', async () => {
      const bp = bullPut();
      const res = await call('POST', '/orders/what-if', {
        body: { legs: bp.legs, action: 'BUY', quantity: 2, limitPrice: bp.natural },
      });
      expect(res.status).toBe(200);
      expect(res.json.initMarginChange).toBeGreaterThan(0);
      // a defined-risk spread needs at most its width × 100 per contract of margin
      expect(res.json.initMarginChange).toBeLessThanOrEqual(bp.width * 100 * 2 + 1e-6);
      // the engine asked directly (no wire, no bridge) gives the same figures
      const account = sim.engine.accounts()[0]!;
      const direct = sim.engine.placeOrder({
        orderId: 999_999,
        clientId: 99,
        account,
        contract: {
          secType: 'BAG',
          symbol: 'SPY',
          legs: bp.legs.map((l) => ({ conId: l.conId, ratio: 1, action: l.action as 'BUY' | 'SELL' })),
        },
        action: 'BUY',
        quantity: 2,
        orderType: 'LMT',
        limitPrice: bp.natural,
        tif: 'DAY',
        orderRef: '',
        transmit: true,
        whatIf: true,
      });
      expect('initMarginChange' in direct).toBe(true);
      if ('initMarginChange' in direct) {
        expect(res.json.initMarginChange).toBeCloseTo(direct.initMarginChange, 2);
        expect(res.json.maintMarginChange).toBeCloseTo(direct.maintMarginChange, 2);
      }
      expect(sim.engine.openOrders().length).toBe(0); // nothing was placed
    });

    it('places a combo that fills, publishes OrderFilled and PositionChanged, refuses a duplicate orderRef', async () => {
      const bp = bullPut();
      const orderRef = '2026-06-01:SPY-bull-put:open';
      const body = {
        orderRef,
        legs: bp.legs,
        action: 'BUY',
        quantity: 2,
        limitPrice: Math.round((bp.natural + 0.05) * 100) / 100,
        tif: 'DAY',
      };
      const placed = await call('POST', '/orders', { body, priority: 26 });
      expect(placed.status).toBe(200);
      expect(placed.json).toMatchObject({ orderRef, duplicate: false, action: 'BUY', quantity: 2 });

      // the wire saw a BAG on SMART with both legs by conId, transmit explicitly set
      const place = tap.messages.filter((m) => m.id === 3).at(-1)!;
      expect(place.fields).toContain('BAG');
      expect(place.fields).toContain('SMART');
      expect(place.fields).toContain(String(bp.short.conId));
      expect(place.fields).toContain(String(bp.long.conId));
      expect(place.fields).toContain('LMT');
      expect(place.fields).not.toContain('MKT');

      const filled = await until('OrderFilled event', () =>
        events.find(
          (e) => e.type === 'OrderFilled' && e.detail.orderRef === orderRef && e.detail.remaining === 0,
        ),
      );
      expect(filled.detail).toMatchObject({ orderId: placed.json.orderId, filled: 2, status: 'Filled' });
      const changed = await until('PositionChanged for both legs', () => {
        const ids = events
          .filter((e) => e.type === 'PositionChanged')
          .map((e) => (e.detail as { contract: { conId: number } }).contract.conId);
        return ids.includes(bp.short.conId) && ids.includes(bp.long.conId) ? ids : undefined;
      });
      expect(changed.length).toBeGreaterThanOrEqual(2);
      const shortEvent = events.find(
        (e) => e.type === 'PositionChanged' && e.detail.contract.conId === bp.short.conId,
      )!;
      expect(shortEvent.detail).toMatchObject({ previousQuantity: 0, quantity: -2 });

      const positions = await call('GET', '/positions');
      const byConId = new Map(
        positions.json.positions.map((p: { contract: { conId: number }; quantity: number }) => [
          p.contract.conId,
          p.quantity,
        ]),
      );
      expect(byConId.get(bp.short.conId)).toBe(-2);
      expect(byConId.get(bp.long.conId)).toBe(2);

      const byRef = await call('GET', `/orders?orderRef=${encodeURIComponent(orderRef)}`);
      expect(byRef.status).toBe(200);
      const [order] = byRef.json.orders;
      expect(order).toMatchObject({
        orderId: placed.json.orderId,
        status: 'Filled',
        filled: 2,
        remaining: 0,
      });
      const engineExecutions = sim.engine.executions().filter((x) => x.execution.orderRef === orderRef);
      expect(order.fills.length).toBe(engineExecutions.length);

      const executions = await call('GET', `/executions?since=${Date.UTC(2000, 0, 1)}`);
      const mine = executions.json.executions.filter((e: { orderRef?: string }) => e.orderRef === orderRef);
      expect(mine.length).toBe(engineExecutions.length);
      for (const e of mine) {
        const expected = engineExecutions.find((x) => x.execution.execId === e.execId)!;
        expect(e.price).toBeCloseTo(expected.execution.price, 4);
        if (e.contract.secType !== 'BAG') expect(e.commission).toBeCloseTo(expected.commission.commission, 4);
      }

      const ordersBefore = tap.messages.filter((m) => m.id === 3).length;
      const engineOrdersBefore = sim.engine.executions().length;
      const again = await call('POST', '/orders', { body });
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ duplicate: true, orderId: placed.json.orderId });
      expect(tap.messages.filter((m) => m.id === 3).length).toBe(ordersBefore); // nothing sent
      expect(sim.engine.executions().length).toBe(engineOrdersBefore);
    }, 30_000);

    it('one leg in the combo convention: BUY of [SELL put] at −p sells the put at p', async () => {
      const put = optionContracts(sim, 'IWM').find((o) => {
        const q = sim.engine.quote(o.conId)!;
        return o.right === 'P' && q.bid! > 0.5;
      })!;
      const bid = sim.engine.quote(put.conId)!.bid!;
      const price = Math.round((bid - 0.05) * 100) / 100; // at or below the bid: fills at once
      const orderRef = '2026-06-01:IWM-short-put:open';
      const res = await call('POST', '/orders', {
        body: {
          orderRef,
          legs: [{ conId: put.conId, action: 'SELL', ratio: 1 }],
          action: 'BUY',
          quantity: 1,
          limitPrice: -price,
        },
      });
      expect(res.status).toBe(200);
      const wire = tap.messages.filter((m) => m.id === 3).at(-1)!;
      expect(wire.fields).not.toContain('BAG');
      expect(wire.fields).toContain('SELL');
      expect(wire.fields).toContain(String(price));
      const fill = sim.engine.executions().find((x) => x.execution.orderRef === orderRef);
      expect(fill?.execution.side).toBe('SLD');
      const held = sim.engine.positions().find((p) => p.contract.conId === put.conId);
      expect(held?.position).toBe(-1);
    });

    it('never answers Filled without the fill: ORDER_STATUS arriving after the Filled OPEN_ORDER', async () => {
      const call_ = optionContracts(sim, 'IWM').find((o) => {
        const q = sim.engine.quote(o.conId)!;
        return o.right === 'C' && q.bid! > 0.5;
      })!;
      const price = Math.round((sim.engine.quote(call_.conId)!.bid! - 0.05) * 100) / 100; // fills at once
      const orderRef = '2026-06-01:IWM-short-call:open';
      // IB's order on a fill: OPEN_ORDER (status Filled) first, the quantities later in ORDER_STATUS.
      sim.faults.orderStatusLag(150);
      try {
        const res = await call('POST', '/orders', {
          body: {
            orderRef,
            legs: [{ conId: call_.conId, action: 'SELL', ratio: 1 }],
            action: 'BUY',
            quantity: 2,
            limitPrice: -price,
          },
        });
        expect(res.status).toBe(200);
        // Every view, from the answer on through the lag until the fill shows: Filled only with the fill.
        const views: { status: string; filled: number; remaining: number }[] = [res.json];
        const path = `/orders?orderRef=${encodeURIComponent(orderRef)}`;
        for (let i = 0; i < 40 && views.at(-1)?.filled !== 2; i++) {
          views.push((await call('GET', path)).json.orders[0]);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(views.at(-1)).toMatchObject({ status: 'Filled', filled: 2, remaining: 0 });
        for (const view of views) {
          expect(view.filled + view.remaining).toBe(2);
          if (view.status === 'Filled') expect(view.filled).toBe(2);
        }
        // The lag was seen: some view still waited for ORDER_STATUS while IB had already filled it.
        expect(views.length).toBeGreaterThan(2);
      } finally {
        sim.faults.orderStatusLag(0);
      }
    });

    it('a working order: listed open, repriced, cancelled once IB confirms', async () => {
      const bp = bullPut();
      // demand more credit than mid (inside the guard's band): at a standing market it never fills
      const orderRef = '2026-06-01:SPY-bull-put:never';
      const shortQuote = sim.engine.quote(bp.short.conId)!;
      const longQuote = sim.engine.quote(bp.long.conId)!;
      const midCredit = (shortQuote.bid! + shortQuote.ask!) / 2 - (longQuote.bid! + longQuote.ask!) / 2;
      const limit = -Math.round((midCredit + 0.3) * 100) / 100;
      const placed = await call('POST', '/orders', {
        body: { orderRef, legs: bp.legs, action: 'BUY', quantity: 1, limitPrice: limit },
      });
      expect(placed.status).toBe(200);
      expect(['PreSubmitted', 'Submitted']).toContain(placed.json.status);
      const id = placed.json.orderId as number;

      const open = await call('GET', '/orders/open');
      expect(open.json.orders.map((o: { orderId: number }) => o.orderId)).toContain(id);

      const newLimit = Math.round((limit + 0.05) * 100) / 100;
      const modified = await call('PUT', `/orders/${id}`, { body: { limitPrice: newLimit } });
      expect(modified.status).toBe(200);
      expect(modified.json.limitPrice).toBe(newLimit);
      const engineOrder = sim.engine.openOrders().find((o) => o.request.orderId === id)!;
      expect(engineOrder.request.limitPrice).toBeCloseTo(newLimit, 6);

      const cancelled = await call('DELETE', `/orders/${id}`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.json.status).toBe('Cancelled');
      expect(sim.engine.openOrders().some((o) => o.request.orderId === id)).toBe(false);

      // a cancelled order without fills does not block a new order with the same intent
      const open2 = await call('GET', '/orders/open');
      expect(open2.json.orders.map((o: { orderId: number }) => o.orderId)).not.toContain(id);
    }, 20_000);
  });

  describe('pacing, line budget and priority', () => {
    it('500 quotes at once: under 50 msg/s and under 100 lines on the wire; urgent requests jump the queue', async () => {
      const contracts = [...optionContracts(sim, 'SPY'), ...optionContracts(sim, 'QQQ')].slice(0, 500);
      expect(contracts).toHaveLength(500);
      const startIndex = tap.messages.length;
      const big = call('POST', '/quotes', {
        body: { contracts: contracts.map((c) => ({ secType: 'OPT', conId: c.conId })) },
        priority: 90,
      });

      // once the queue is busy, an analysis-priority request arrives
      await until('a busy queue', () => bridge.connection.queue.length >= 30);
      const queuedAhead = bridge.connection.queue.length;
      const requestedAt = tap.messages.length;
      const history = await call('GET', '/history?symbol=IWM&what=TRADES&days=5', { priority: 10 });
      expect(history.status).toBe(200);
      const histIndex = tap.messages.findIndex((m, i) => i >= requestedAt && m.id === 20);
      const mktDataBefore = tap.messages.slice(requestedAt, histIndex).filter((m) => m.id === 1).length;
      // FIFO would have sent every queued market-data request first
      expect(mktDataBefore).toBeLessThan(queuedAhead);

      const res = await big;
      expect(res.status).toBe(200);
      expect(res.json.quotes).toHaveLength(500);
      expect(res.json.quotes.filter((q: { stale: boolean }) => !q.stale).length).toBeGreaterThan(450);
      expect(tap.messages.slice(startIndex).filter((m) => m.id === 1).length).toBeGreaterThanOrEqual(500);

      expect(tap.maxPerWindow(1000)).toBeLessThan(50);
      expect(tap.maxOpenLines()).toBeLessThan(100);
      expect(bridge.service.lines.peak).toBeLessThanOrEqual(90);
      expect(bridge.connection.state).toBe('ready'); // never disconnected for pacing (error 100)
    }, 60_000);
  });

  describe('connection state machine', () => {
    it('reports 1100 as degraded and 1102 as ok again', async () => {
      sim.faults.connectivityLost();
      await until(
        'degraded',
        async () => (await call('GET', '/health', { secret: null })).json.status === 'degraded',
      );
      const h = (await call('GET', '/health', { secret: null })).json as HealthResponse;
      expect(h.reason).toContain('1100');
      const refused = await call('GET', '/positions');
      expect(refused.status).toBe(503);
      expect(refused.json.error.retryable).toBe(true);
      sim.faults.connectivityRestored(false);
      await until('ok', async () => (await call('GET', '/health', { secret: null })).json.status === 'ok');
    });

    it('reconnects with backoff after the gateway drops the connection, then serves again', async () => {
      const states: string[] = [];
      const onState = (s: string): void => {
        states.push(s);
      };
      bridge.connection.on('state', onState);
      sim.faults.disconnect();
      await until('a lost connection', () => states.includes('disconnected'));
      const during = await call('GET', '/account');
      expect([503, 200]).toContain(during.status);
      await bridge.ready(10_000);
      bridge.connection.off('state', onState);
      expect(states).toEqual(expect.arrayContaining(['disconnected', 'connecting', 'ready']));
      const after = await call('GET', '/account');
      expect(after.status).toBe(200);
    }, 20_000);

    it('rides out a gateway restart: down while connections are refused, ready again after it', async () => {
      sim.faults.restart(120_000); // drops every client, refuses new ones for 2 simulated minutes
      await until(
        'down',
        async () => (await call('GET', '/health', { secret: null })).json.status === 'down',
      );
      await new Promise((r) => setTimeout(r, 1500)); // a few refused attempts with backoff
      expect(bridge.connection.state).not.toBe('ready');
      expect(bridge.connection.reconnectAttempts).toBeGreaterThan(1);
      sim.advance(121_000);
      await bridge.ready(10_000);
      expect((await call('GET', '/positions')).status).toBe(200);
    }, 20_000);

    it('a login waiting for its second factor: /health 200 (the bridge works), IB down; ready once approved', async () => {
      sim.faults.loginPending();
      const waiting = await until('IB down while the login waits', async () => {
        const res = await call('GET', '/health', { secret: null });
        return res.json.status === 'down' ? res : undefined;
      });
      // the container health check must pass: replacing the task would only start a new login and push
      expect(waiting.status).toBe(200);
      expect(waiting.json.ibConnected).toBe(false);
      expect(waiting.json.bridgeAlive).toBe(true);
      await new Promise((r) => setTimeout(r, 1500)); // refused attempts with backoff: still healthy
      expect((await call('GET', '/health', { secret: null })).status).toBe(200);
      expect(await containerHealthCheck(bridge.url)).toBe(0);
      expect((await call('GET', '/positions')).status).toBe(503);
      sim.faults.loginApproved();
      await bridge.ready(10_000);
      expect((await call('GET', '/positions')).status).toBe(200);
    }, 20_000);

    it('a wedged bridge (its IB connection machine stopped, nothing will reconnect) answers 503', async () => {
      const wedged = await startBridge({
        ib: { host: '127.0.0.1', port: sim.port, clientId: 7 },
        http: { host: '127.0.0.1', port: 0 },
        secret: SECRET,
        ...GUARD,
        backoff: { initialMs: 100, maxMs: 1000 },
      });
      try {
        await wedged.ready(10_000);
        expect((await fetch(`${wedged.url}/health`)).status).toBe(200);
        await wedged.connection.stop();
        const res = await fetch(`${wedged.url}/health`);
        const body = (await res.json()) as HealthResponse;
        expect(res.status).toBe(503);
        expect(body.bridgeAlive).toBe(false);
        expect(await containerHealthCheck(wedged.url)).toBe(1); // ECS replaces this task
        expect(body.reason).toContain('stopped');
      } finally {
        await wedged.close();
      }
    }, 20_000);

    it('a second bridge with the same client id gets 326, backs off and says so; the first stays ok', async () => {
      const second = await startBridge({
        ib: { host: '127.0.0.1', port: sim.port, clientId: 1 },
        http: { host: '127.0.0.1', port: 0 },
        secret: SECRET,
        ...GUARD,
        backoff: { initialMs: 100, maxMs: 5000 },
      });
      try {
        const h = await until('326 in health', async () => {
          const res = await fetch(`${second.url}/health`);
          const body = (await res.json()) as HealthResponse;
          return body.reason?.includes('326') ? { status: res.status, body } : undefined;
        });
        // IB refuses this client, the bridge itself works: not a reason to replace the task
        expect(h.status).toBe(200);
        expect(h.body.bridgeAlive).toBe(true);
        expect(h.body.status).toBe('down');
        expect(h.body.ibConnected).toBe(false);
        const first = await call('GET', '/health', { secret: null });
        expect(first.json.status).toBe('ok');
      } finally {
        await second.close();
      }
    }, 20_000);
  });
});
