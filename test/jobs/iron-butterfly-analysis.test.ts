// The iron butterfly through the real analysis: with IRON_BUTTERFLY the only strategy enabled,
// strategy-analysis plans its quotes from the module's sides (both rights at the money), asks the
// simulator over the real bridge, and archives butterflies only, each shorting the listed strike
// nearest spot, scored and filtered like any candidate. DynamoDB Local, the simulator and the bridge.
import { describe, expect, it } from 'vitest';
import { handler as analysis } from '#jobs/strategy-analysis';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, startJobStack, TEST_CONFIG } from './support';

const stack = await startJobStack();
const { db, clock } = stack;
const TRADE_DATE = '2026-06-01';

await db.stores.config.saveSection(
  'universe',
  { ...TEST_CONFIG.universe, strategies: ['IRON_BUTTERFLY'], widths: [1, 2, 5] },
  { now: clock.now() },
);

describe('strategy-analysis with the iron butterfly enabled', () => {
  it('archives iron butterflies only: one short strike per expiry, nearest spot, wings at each width', async () => {
    const result = await analysis({ symbols: ['SPY'] }, lambdaContext('strategy-analysis'));
    expect(result).toMatchObject({ job: 'strategy-analysis', ok: true, tradeDate: TRADE_DATE });
    const rows = [];
    for await (const row of db.stores.candidates.readArchive(TRADE_DATE, 'SPY')) rows.push(row);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.strategy === 'IRON_BUTTERFLY')).toBe(true);
    const byExpiry = new Map<string, typeof rows>();
    for (const r of rows) byExpiry.set(r.expiry, [...(byExpiry.get(r.expiry) ?? []), r]);
    for (const [expiry, flies] of byExpiry) {
      // `SPY:IRON_BUTTERFLY:<expiry>:P<K>/<K−w>:C<K>/<K+w>`: one K per expiry, both rights.
      const parsed = flies.map((f) => {
        const m = /^SPY:IRON_BUTTERFLY:(.+):P([\d.]+)\/([\d.]+):C([\d.]+)\/([\d.]+)$/.exec(f.id);
        expect(m, f.id).not.toBeNull();
        return {
          expiry: m![1],
          k: Number(m![2]),
          longPut: Number(m![3]),
          kCall: Number(m![4]),
          longCall: Number(m![5]),
          f,
        };
      });
      expect(new Set(parsed.map((p) => p.k)).size).toBe(1);
      for (const p of parsed) {
        expect(p.expiry).toBe(expiry);
        expect(p.kCall).toBe(p.k);
        expect(p.k - p.longPut).toBe(p.f.width);
        expect(p.longCall - p.k).toBe(p.f.width);
        expect(Math.abs(p.k - p.f.underlyingPrice)).toBeLessThanOrEqual(2.5);
        expect(p.f.breakevens[0]).toBeCloseTo(p.k - p.f.creditMid, 9);
        expect(p.f.breakevens[1]).toBeCloseTo(p.k + p.f.creditMid, 9);
        expect(p.f.maxLossUsd).toBeCloseTo((p.f.width - p.f.creditMid) * 100, 6);
        // The ATM shorts score no short-delta points (the choice the module documents).
        expect(p.f.breakdown.shortDelta).toBe(0);
      }
    }
    expect(new Set(rows.map((r) => r.width))).toEqual(new Set([1, 2, 5]));
  }, 120_000);
});
