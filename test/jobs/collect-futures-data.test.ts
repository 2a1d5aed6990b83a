// collect-futures-data against DynamoDB Local, the simulator and the bridge (SNS mocked).
import { describe, expect, it } from 'vitest';
import { calendarSchema } from '#core/config';
import { handler } from '#jobs/collect-futures-data';
import { frontQuarterlyExpiry, thirdFriday } from '#jobs/collect-futures-data/run';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, startJobStack } from './support';

const stack = await startJobStack();
const { db } = stack;
const TRADE_DATE = '2026-06-01';
const ctx = lambdaContext('collect-futures-data');
const cal = calendarSchema.parse({});

describe('collect-futures-data', () => {
  it('stores an ES and an NQ front-month quote; IB confirms the June 2026 contract expiring 06-18', async () => {
    const result = await handler({}, ctx);
    expect(result).toMatchObject({ ok: true, counts: { futures: 2, stored: 2, failed: 0 } });
    const stored = await db.stores.snapshots.listMarketDataByDay('FUTURE_QUOTE', TRADE_DATE);
    expect(stored.map((s) => s.symbol).sort()).toEqual(['ES', 'NQ']);
    for (const s of stored) {
      // The expiry stored is the one IB reported for the contract it quoted.
      expect(s.data.expiry).toBe('2026-06-18');
      expect(Number(s.data.bid)).toBeLessThanOrEqual(Number(s.data.ask));
      const price = Number(s.data.price);
      expect(price).toBeGreaterThan(0);
      // The price is the last trade, else the mid: either way not outside the market by more than a tick.
      expect(price).toBeGreaterThanOrEqual(Number(s.data.bid) - 0.25);
      expect(price).toBeLessThanOrEqual(Number(s.data.ask) + 0.25);
      expect(s.data.stale).toBe(false);
      expect(s.data.delayed).toBe(false);
    }
    const es = stored.find((s) => s.symbol === 'ES')!;
    const nq = stored.find((s) => s.symbol === 'NQ')!;
    // ES (S&P 500 ×1) trades far below NQ (Nasdaq-100): a sanity check that the roots were not swapped.
    expect(Number(es.data.price)).toBeLessThan(Number(nq.data.price));
  }, 60_000);

  it('flags quotes IB sent from its delayed feed, so data-quality can report them', async () => {
    stack.sim.faults.delayedData(true);
    try {
      expect(await handler({ symbols: ['ES'] }, ctx)).toMatchObject({ ok: true, counts: { stored: 1 } });
    } finally {
      stack.sim.faults.delayedData(false);
    }
    const stored = await db.stores.snapshots.listMarketDataByDay('FUTURE_QUOTE', TRADE_DATE);
    const es = stored.filter((s) => s.symbol === 'ES').sort((a, b) => a.at - b.at);
    expect(es.map((s) => s.data.delayed)).toEqual([false, true]);
  }, 60_000);

  it('finds the front quarterly expiry: third Friday, or the day before when that Friday is a holiday', () => {
    expect(thirdFriday(2026, 9)).toBe('2026-09-18'); // 1 Sep 2026 is a Tuesday: Fridays 4, 11, 18
    expect(frontQuarterlyExpiry('2026-06-01', cal)).toBe('2026-06-18'); // 19 June 2026 is Juneteenth
    expect(frontQuarterlyExpiry('2026-06-19', cal)).toBe('2026-09-18');
    expect(frontQuarterlyExpiry('2026-12-18', cal)).toBe('2026-12-18'); // expiry day: still the front
    expect(frontQuarterlyExpiry('2026-12-21', cal)).toBe('2027-03-19');
  });

  it('refuses bad payloads naming the field', async () => {
    expect(await handler({ symbols: ['ES1'] }, ctx)).toMatchObject({
      ok: false,
      error: 'symbols.0: expected a future root such as ES',
    });
    expect(await handler({ symbols: ['ES'], expiry: '2026-06' }, ctx)).toMatchObject({
      ok: false,
      error: 'expiry: unknown field',
    });
  });
});
