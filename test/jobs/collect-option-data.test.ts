// collect-option-data against DynamoDB Local, the simulator and the bridge (SNS mocked).
import { describe, expect, it } from 'vitest';
import { createBridgeClient } from '#adapters/bridge-client';
import { manualClock } from '#adapters/clock';
import { nyTimeToEpoch } from '#core/calendar';
import { handler } from '#jobs/collect-option-data';
import { planMetrics } from '#jobs/collect-option-data/run';
import { createJobContext, setJobContext } from '#jobs/shared/context';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, SECRET, startJobStack } from './support';

const stack = await startJobStack();
const { db, clock } = stack;
const TRADE_DATE = '2026-06-01';
const ctx = lambdaContext('collect-option-data');

describe('collect-option-data', () => {
  it('stores ATM IV, ±5% skew and volume for each underlying, from the quotes IB gives', async () => {
    const result = await handler(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      ctx,
    );
    expect(result).toMatchObject({ ok: true, counts: { underlyings: 1, stored: 1, failed: 0 } });
    const [snap] = await db.stores.snapshots.listMarketDataByDay('OPTION_METRICS', TRADE_DATE);
    expect(snap).toMatchObject({ kind: 'OPTION_METRICS', symbol: 'IWM', tradeDate: TRADE_DATE });
    const { atmStrike, putStrike, callStrike, ...d } = snap!.data as Record<string, number>;
    const strikes = { atmStrike: atmStrike!, putStrike: putStrike!, callStrike: callStrike! };

    // The same contracts quoted again: the stored figures are theirs (the simulator's clock has not moved).
    const bridge = createBridgeClient({
      baseUrl: stack.bridge.url,
      secret: SECRET,
      priority: 30,
      now: clock.now,
    });
    const chain = await bridge.chain('IWM');
    const spot = chain.underlyingPrice!;
    const nearest = (target: number) =>
      chain.strikes.reduce((a, k) => (Math.abs(k - target) < Math.abs(a - target) ? k : a));
    expect(strikes.atmStrike).toBe(nearest(spot));
    expect(strikes.putStrike).toBe(nearest(spot * 0.95));
    expect(strikes.callStrike).toBe(nearest(spot * 1.05));
    const opt = (strike: number, right: 'C' | 'P') => ({
      secType: 'OPT' as const,
      symbol: 'IWM',
      expiry: String(snap!.data.expiry),
      strike,
      right,
    });
    const [c, p, put, call] = await bridge.quotes([
      opt(strikes.atmStrike, 'C'),
      opt(strikes.atmStrike, 'P'),
      opt(strikes.putStrike, 'P'),
      opt(strikes.callStrike, 'C'),
    ]);
    expect(d.atmIv).toBeCloseTo((c!.iv! + p!.iv!) / 2, 4);
    expect(d.skew).toBeCloseTo(put!.iv! - call!.iv!, 4);
    // Equity index skew: downside puts are priced richer than upside calls.
    expect(d.skew).toBeGreaterThan(0);
    expect(d.optionVolume).toBeGreaterThanOrEqual(0);
    expect(d.dte).toBeGreaterThanOrEqual(7);
    expect(snap!.data.delayed).toBe(false);
  }, 60_000);

  it('flags a snapshot built from delayed data (IB warning 10167 and delayed ticks)', async () => {
    stack.sim.faults.delayedData(true);
    try {
      expect(await handler({}, ctx)).toMatchObject({ ok: true, counts: { stored: 1 } });
    } finally {
      stack.sim.faults.delayedData(false);
    }
    const snaps = await db.stores.snapshots.listMarketDataByDay('OPTION_METRICS', TRADE_DATE);
    expect(snaps.sort((a, b) => a.at - b.at).map((s) => s.data.delayed)).toEqual([false, true]);
  }, 60_000);

  it('plans the expiry nearest 30 DTE (never under 7) and the strikes nearest spot and spot ±5%', () => {
    // From 2026-06-01 the expiries are 4, 25, 46 and 81 days out: 4 is too close, 25 is nearest 30.
    const chain = {
      expirations: ['2026-06-05', '2026-06-26', '2026-07-17', '2026-08-21'],
      strikes: Array.from({ length: 21 }, (_, i) => 90 + i),
    };
    // Spot 100.4: ATM 100; 95.38 → 95; 105.42 → 105.
    expect(planMetrics(chain, 100.4, '2026-06-01')).toEqual({
      expiry: '2026-06-26',
      dte: 25,
      atmStrike: 100,
      putStrike: 95,
      callStrike: 105,
    });
    expect(planMetrics({ ...chain, expirations: ['2026-06-05'] }, 100.4, '2026-06-01')).toBeUndefined();
  });

  it('skips on a weekend and after the close, saying why', async () => {
    for (const [at, reason] of [
      [nyTimeToEpoch('2026-06-06', '11:00'), '2026-06-06 is not a trading day (weekend or NYSE holiday)'],
      [nyTimeToEpoch(TRADE_DATE, '16:30'), `market closed for the day (${TRADE_DATE})`],
    ] as const) {
      setJobContext(
        createJobContext({
          stores: db.stores,
          clock: manualClock(at),
          alerter: stack.context.alerter,
          idempotency: null,
        }),
      );
      try {
        expect(await handler({}, ctx)).toMatchObject({ ok: true, skipped: reason });
      } finally {
        setJobContext(stack.context);
      }
    }
  });

  it('refuses bad payloads naming the field', async () => {
    expect(await handler({ symbols: 'IWM' }, ctx)).toMatchObject({
      ok: false,
      error: 'symbols: expected a list of tickers',
    });
    expect(await handler({ symbols: [] }, ctx)).toMatchObject({
      ok: false,
      error: 'symbols: expected at least one ticker',
    });
    expect(await handler({ 'detail-type': 'Scheduled Event', detail: { symbol: 'IWM' } }, ctx)).toMatchObject(
      {
        ok: false,
        error: 'detail.symbol: unknown field',
      },
    );
  });
});
