// load-historical-data against DynamoDB Local, the simulator and the bridge (SNS mocked): the stored
// market context must equal the statistics recomputed here, independently, from the same history.
import { describe, expect, it } from 'vitest';
import { createBridgeClient } from '#adapters/bridge-client';
import { handler } from '#jobs/load-historical-data';
import { contextFromHistory, readMarketContext } from '#jobs/load-historical-data/run';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, SECRET, startJobStack } from './support';

const stack = await startJobStack();
const { db, clock } = stack;
const TRADE_DATE = '2026-06-01';
const ctx = lambdaContext('load-historical-data');

/** Sample standard deviation of log returns × √252, written out independently of the core. */
function hv(closes: number[], window: number): number {
  const r: number[] = [];
  for (let i = closes.length - window; i < closes.length; i++) r.push(Math.log(closes[i]! / closes[i - 1]!));
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  return Math.sqrt((r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1)) * 252);
}

describe('load-historical-data', () => {
  it('stores HV20, IV rank and trend per underlying that match the history they came from', async () => {
    const result = await handler(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      ctx,
    );
    expect(result).toMatchObject({ job: 'load-historical-data', ok: true, tradeDate: TRADE_DATE });
    expect(result.counts).toMatchObject({ underlyings: 1, stored: 1, failed: 0, incomplete: 0 });

    const bridge = createBridgeClient({
      baseUrl: stack.bridge.url,
      secret: SECRET,
      priority: 10,
      now: clock.now,
    });
    const trades = await bridge.history({ symbol: 'IWM', what: 'TRADES', days: 400 });
    const ivs = await bridge.history({ symbol: 'IWM', what: 'OPTION_IMPLIED_VOLATILITY', days: 400 });
    const closes = trades.bars.map((b) => b.close);
    const ivCloses = ivs.bars.map((b) => b.close);
    expect(closes.length).toBeGreaterThan(252);

    const stored = await readMarketContext(db.stores.snapshots, 'IWM', TRADE_DATE);
    expect(stored).toBeDefined();
    expect(stored!.hv20).toBeCloseTo(hv(closes, 20), 5);
    // IV rank by its definition: where today's IV sits between the year's low and high.
    const current = ivCloses.at(-1)!;
    const window = ivCloses.slice(0, -1).slice(-252);
    const lo = Math.min(...window, current);
    const hi = Math.max(...window, current);
    expect(stored!.atmIv).toBeCloseTo(current, 5);
    expect(stored!.ivRank).toBeCloseTo(((current - lo) / (hi - lo)) * 100, 1);
    expect(stored!.ivRank).toBeGreaterThanOrEqual(0);
    expect(stored!.ivRank).toBeLessThanOrEqual(100);
    // Trend: the share of 20-day returns of the year below the latest one (mid-rank for ties).
    const rets: number[] = [];
    const recent = closes.slice(-253);
    for (let i = 20; i < recent.length; i++) rets.push(recent[i]! / recent[i - 20]! - 1);
    const latest = rets.at(-1)!;
    const below = rets.filter((x) => x < latest).length + rets.filter((x) => x === latest).length / 2;
    expect(stored!.trendPercentile).toBeCloseTo((below / rets.length) * 100, 1);

    const raw = await db.stores.snapshots.listMarketDataByDay('MARKET_CONTEXT', TRADE_DATE);
    expect(raw).toHaveLength(1);
    expect(raw[0]!.data).toMatchObject({ bars: closes.length, lastBarDate: trades.bars.at(-1)!.date });
    expect(stack.published()).toHaveLength(0);
  }, 60_000);

  it('contextFromHistory leaves out what too short a history cannot give', () => {
    // 10 closes: no 20-day HV or trend. Today's IV 0.3 above a year of 0.2 and 0.25 ranks at the top (100).
    const context = contextFromHistory('SPY', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0.2, 0.25, 0.3]);
    expect(context).toEqual({ symbol: 'SPY', atmIv: 0.3, ivRank: 100 });
  });

  it('refuses bad payloads naming the field, and stores nothing', async () => {
    const before = (await db.stores.snapshots.listMarketDataByDay('MARKET_CONTEXT', TRADE_DATE)).length;
    const tooShort = await handler({ days: 5 }, ctx);
    expect(tooShort).toMatchObject({ ok: false, error: 'days: expected a whole number ≥ 30' });
    const lower = await handler({ symbols: ['iwm'] }, ctx);
    expect(lower.ok).toBe(false);
    expect(lower.error).toMatch(/^symbols\.0: expected an upper-case ticker/);
    const unknown = await handler({ day: 30 }, ctx);
    expect(unknown.error).toBe('day: unknown field');
    expect((await db.stores.snapshots.listMarketDataByDay('MARKET_CONTEXT', TRADE_DATE)).length).toBe(before);
  });

  it('says why it skipped when disabled', async () => {
    await db.stores.config.saveSection('jobs', { 'load-historical-data': false }, { now: clock.now() });
    try {
      const result = await handler({}, ctx);
      expect(result).toMatchObject({
        ok: true,
        skipped: 'disabled in config (jobs.load-historical-data = false)',
      });
      expect(result.did).toBeUndefined();
    } finally {
      await db.stores.config.saveSection('jobs', {}, { now: clock.now() });
    }
  });
});
