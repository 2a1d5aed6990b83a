// validate-data-quality against DynamoDB Local (SNS mocked): snapshots written for known days, the job
// must find exactly the slots left out, count the session right on early-close days, and flag staleness.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MarketDataKind, MarketDataSnapshot } from '#adapters/ports';
import { nyTimeToEpoch } from '#core/calendar';
import { handler } from '#jobs/validate-data-quality';
import { describeGaps, expectedSlots, missingSlots, SLOT_MS } from '#jobs/validate-data-quality/run';
import { calendarSchema } from '#core/config';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, startJobStack, TOPIC } from './support';

const stack = await startJobStack();
const { db } = stack;
const ctx = lambdaContext('validate-data-quality');

/** One snapshot 20 s into every 5-minute slot from 09:30 to `close`, minus the slots in `skip` (HH:MM). */
function day(
  kind: MarketDataKind,
  symbol: string,
  date: string,
  close: string,
  skip: string[] = [],
  staleAt: string[] = [],
): MarketDataSnapshot[] {
  const out: MarketDataSnapshot[] = [];
  for (let t = nyTimeToEpoch(date, '09:30'); t < nyTimeToEpoch(date, close); t += SLOT_MS) {
    const hhmm = new Date(t).toLocaleTimeString('en-GB', {
      timeZone: 'America/New_York',
      hour: '2-digit',
      minute: '2-digit',
    });
    if (skip.includes(hhmm)) continue;
    out.push({
      kind,
      symbol,
      at: t + 20_000,
      tradeDate: date,
      data: { quoteAgeSeconds: 2, stale: staleAt.includes(hhmm) },
    });
  }
  return out;
}

async function writeDay(date: string, close: string, iwmSkip: string[] = [], iwmStale: string[] = []) {
  await db.stores.snapshots.putMarketData([
    ...day('OPTION_METRICS', 'IWM', date, close, iwmSkip, iwmStale),
    ...day('FUTURE_QUOTE', 'ES', date, close),
    ...day('FUTURE_QUOTE', 'NQ', date, close),
  ]);
}

describe('validate-data-quality', () => {
  it('a complete regular day: 78 slots (6.5 h × 12) per series, no alert', async () => {
    await writeDay('2025-12-23', '16:00');
    const result = await handler({ tradeDate: '2025-12-23' }, ctx);
    expect(result).toMatchObject({
      ok: true,
      did: 'data complete for 2025-12-23: 3 series, 78 slots each',
      counts: { series: 3, expectedSlots: 78, missingSlots: 0, staleSnapshots: 0 },
    });
    expect(stack.published()).toHaveLength(0);
  }, 30_000);

  it('an early close (2025-12-24, 13:00): 42 slots; the gaps and a stale snapshot in one WARNING', async () => {
    await writeDay('2025-12-24', '13:00', ['10:05', '10:10', '10:15', '12:55'], ['11:00']);
    const result = await handler({ tradeDate: '2025-12-24' }, ctx);
    expect(result).toMatchObject({
      ok: false,
      counts: { series: 3, expectedSlots: 42, seriesWithProblems: 1, missingSlots: 4, staleSnapshots: 1 },
    });
    expect(stack.published()).toEqual([
      {
        TopicArn: TOPIC,
        Subject: '[WARNING] Data quality 2025-12-24: 1 series with gaps, stale or delayed data',
        Message: 'OPTION_METRICS IWM: 4 of 42 slots missing (10:05–10:15 (3), 12:55), 1 stale snapshot(s).',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'WARNING' } },
      },
    ]);
  }, 30_000);

  it('snapshots taken from delayed data are reported apart from stale ones', async () => {
    // ES at 10:00 and 10:05 came from IB's delayed feed (collect-futures-data flags `delayed`).
    const es = day('FUTURE_QUOTE', 'ES', '2025-12-22', '16:00').map((s, i) =>
      i === 6 || i === 7 ? { ...s, data: { ...s.data, delayed: true } } : s,
    );
    await db.stores.snapshots.putMarketData([
      ...day('OPTION_METRICS', 'IWM', '2025-12-22', '16:00'),
      ...es,
      ...day('FUTURE_QUOTE', 'NQ', '2025-12-22', '16:00'),
    ]);
    const before = stack.published().length;
    const result = await handler({ tradeDate: '2025-12-22' }, ctx);
    expect(result).toMatchObject({
      ok: false,
      counts: { series: 3, seriesWithProblems: 1, missingSlots: 0, staleSnapshots: 0, delayedSnapshots: 2 },
    });
    expect(stack.published().slice(before)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: '[WARNING] Data quality 2025-12-22: 1 series with gaps, stale or delayed data',
        Message: 'FUTURE_QUOTE ES: 2 snapshot(s) of delayed data.',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'WARNING' } },
      },
    ]);
  }, 30_000);

  it('a holiday has nothing to check', async () => {
    const result = await handler({ tradeDate: '2025-12-25' }, ctx);
    expect(result).toMatchObject({ ok: true, did: 'nothing to check: 2025-12-25 is not a trading day' });
  });

  it('slot arithmetic: a snapshot anywhere inside a slot covers it', () => {
    const open = nyTimeToEpoch('2025-12-23', '09:30');
    const slots = [0, 1, 2, 3, 4].map((k) => open + k * SLOT_MS);
    // Snapshots at 09:30:00, 09:39:59 (slot 09:35) and 09:44:00 (slot 09:40): 09:45 and 09:50 missing.
    const missing = missingSlots(slots, [open, open + 2 * SLOT_MS - 1000, open + 3 * SLOT_MS - 60_000]);
    expect(missing).toEqual([open + 3 * SLOT_MS, open + 4 * SLOT_MS]);
    expect(describeGaps(missing)).toEqual(['09:45–09:50 (2)']);
  });

  it('property: the slots found missing are exactly the slots left out, wherever in a slot a snapshot falls', () => {
    const slots = expectedSlots('2025-12-23', calendarSchema.parse({}), nyTimeToEpoch('2025-12-23', '16:00'));
    expect(slots).toHaveLength(78);
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 78, maxLength: 78 }),
        fc.array(fc.integer({ min: 0, max: SLOT_MS - 1 }), { minLength: 78, maxLength: 78 }),
        (kept, offsets) => {
          const times = slots.flatMap((t, i) => (kept[i] ? [t + offsets[i]!] : []));
          const left = slots.filter((_, i) => !kept[i]);
          const missing = missingSlots(slots, times);
          expect(missing).toEqual(left);
          // The described ranges count every missing slot once.
          const counted = describeGaps(missing).reduce(
            (n, g) => n + Number(/\((\d+)\)$/.exec(g)?.[1] ?? 1),
            0,
          );
          expect(counted).toBe(left.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses bad payloads naming the field', async () => {
    expect(await handler({ tradeDate: '2025-02-30' }, ctx)).toMatchObject({
      ok: false,
      error: 'tradeDate: expected a real calendar date YYYY-MM-DD',
    });
    expect(await handler({ tradeDate: 20251224 }, ctx)).toMatchObject({
      ok: false,
      error: 'tradeDate: expected a date YYYY-MM-DD',
    });
  });
});
