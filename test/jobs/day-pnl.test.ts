// The day's P&L as entry check 4 (execute-strategies), daily-statistics and the report see it, from
// one set of positions written through the real position store (DynamoDB Local) the way the jobs write
// them: a position part-closed on Friday and closed today, one part-closed today and still open, one
// closed today after a mark of the morning, one that expired today and one with a leg assigned today.
// The simulator and the bridge are real (account, candidates); SNS is mocked.
import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { handler as dailyStatistics } from '#jobs/daily-statistics';
import { handler as execute } from '#jobs/execute-strategies';
import { handler as analysis } from '#jobs/strategy-analysis';
import { collectDayRecords } from '#scripts/report/day-records';
import { sampleIntent, samplePosition } from '../support/dynamodb';
import { lambdaContext, startJobStack, TEST_CONFIG, withoutIdempotency } from './support';

const stack = await startJobStack();
const { db, clock, sim } = stack;
const { positions, intents, snapshots } = db.stores;
const TRADE_DATE = '2026-06-01';
const friday = (hhmm: string) => nyTimeToEpoch('2026-05-29', hhmm);
const today = (hhmm: string) => nyTimeToEpoch(TRADE_DATE, hhmm);

/** A closing intent at IB; `cancelledAfter` leaves it cancelled with that many filled (a partial close). */
async function closeIntent(key: string, quantity: number, at: number, cancelledAfter?: number) {
  await intents.create(sampleIntent(key, { tradeDate: '2026-05-29', purpose: 'CLOSE', quantity }), at);
  await intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 1, now: at });
  if (cancelledAfter === undefined) return;
  await intents.transition(key, {
    from: 'SUBMITTED',
    to: 'PARTIAL',
    filledQuantity: cancelledAfter,
    now: at,
  });
  await intents.transition(key, { from: 'PARTIAL', to: 'CANCELLED', now: at });
}

/** A 2-lot bull put opened from its fill on Friday morning. */
async function opened(id: string) {
  const key = `open-${id}`;
  await intents.create(sampleIntent(key, { tradeDate: '2026-05-29' }), friday('10:00'));
  await intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 1, now: friday('10:00') });
  await positions.openFromFill({
    intentKey: key,
    position: samplePosition(id, { openedAt: friday('10:00') }),
    fill: { filledQuantity: 2, avgFillPrice: 1.25, commissionsUsd: 2.6 },
    now: friday('10:00'),
  });
}

async function partClose(id: string, at: number, realisedPnlUsd: number) {
  const key = `reduce-${id}`;
  await closeIntent(key, 2, at, 1);
  const current = await positions.get(id);
  await positions.reduceFromFill({
    intentKey: key,
    positionId: id,
    expectedVersion: current!.version,
    fill: { filledQuantity: 1, avgFillPrice: 0.5 },
    realisedPnlUsd,
    now: at,
  });
}

async function close(id: string, at: number, realisedPnlUsd: number) {
  const key = `close-${id}`;
  const current = await positions.get(id);
  await closeIntent(key, current!.quantity, at);
  await positions.closeFromFill({
    intentKey: key,
    positionId: id,
    fill: { filledQuantity: current!.quantity, avgFillPrice: 0.5 },
    realisedPnlUsd,
    reason: 'test close',
    now: at,
  });
}

const mark = (positionId: string, at: number, unrealisedMidUsd: number) =>
  snapshots.putPnl({
    positionId,
    at,
    tradeDate: TRADE_DATE,
    unrealisedMidUsd,
    unrealisedNaturalUsd: unrealisedMidUsd - 10,
    closeCostMid: 1,
    closeCostNatural: 1,
    pctOfMaxProfit: 0,
  });

describe("the day's P&L", () => {
  it('counts every realisation of the day once, and marks only of what is still open', async () => {
    // A: +100 on Friday's partial close (not today), −300 on today's close; its 09:55 mark predates the
    //    close and must not count.
    await opened('dp-a');
    await partClose('dp-a', friday('15:00'), 100);
    await mark('dp-a', today('09:55'), -280);
    await close('dp-a', today('10:00'), -300);
    // B: still open, −150 realised by today's partial close; the 09:40 mark (before it) is superseded
    //    by the 10:05 one of the position that is left: −50.
    await opened('dp-b');
    await mark('dp-b', today('09:40'), -60);
    await partClose('dp-b', today('09:50'), -150);
    await mark('dp-b', today('10:05'), -50);
    // C: closed today at −100 after a 09:45 mark of −90 (which it no longer has).
    await opened('dp-c');
    await mark('dp-c', today('09:45'), -90);
    await close('dp-c', today('10:10'), -100);
    // D: expired today, keeping +60.
    await opened('dp-d');
    await positions.markClosed('dp-d', {
      reason: 'expired worthless',
      realisedPnlUsd: 60,
      kind: 'EXPIRY',
      now: today('10:15'),
    });
    // E: its short leg assigned today (−200), the long leg still held and marked after it at −15.
    await opened('dp-e');
    const e = (await positions.get('dp-e'))!;
    await positions.update(
      { ...e, legs: e.legs.filter((leg) => leg.quantity > 0) },
      {
        expectedVersion: e.version,
        now: today('10:20'),
        realised: { usd: -200, kind: 'ASSIGNMENT', ref: 'assignment of P480' },
      },
    );
    await mark('dp-e', today('10:25'), -15);
    // Realised today −300 − 150 − 100 + 60 − 200 = −690; unrealised of B and E −50 − 15 = −65;
    // the day −755.

    // Entry check 4 says the loss it saw: with the limit at 0% every candidate is refused with it.
    expect(
      (
        await analysis(
          { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
          lambdaContext('strategy-analysis'),
        )
      ).ok,
    ).toBe(true);
    await db.stores.config.saveSection(
      'risk',
      { ...TEST_CONFIG.risk, maxDailyLossPct: 0 },
      { now: clock.now() },
    );
    const run = await withoutIdempotency(stack, () =>
      execute({ dryRun: true, maxOrders: 3 }, lambdaContext('execute-strategies')),
    );
    const losses = (run.reasons ?? []).flatMap((r) => [...r.matchAll(/step 4: today's loss (\S+) reached/g)]);
    expect(losses.length).toBeGreaterThan(0);
    // Soft: a wrong figure in one consumer still lets the others be checked.
    for (const [, loss] of losses) expect.soft(loss).toBe('$755.00');

    const stats = await dailyStatistics({ tradeDate: TRADE_DATE }, lambdaContext('daily-statistics'));
    expect.soft(stats).toMatchObject({
      ok: true,
      details: { realisedUsd: -690, unrealisedUsd: -65, unrealisedNaturalUsd: -85 },
    });

    const report = await collectDayRecords({
      stores: db.stores,
      simulator: sim,
      tradeDate: TRADE_DATE,
      dayStart: today('00:00'),
    });
    expect.soft(report.pnl).toMatchObject({
      realisedUsd: -690,
      unrealisedMidUsd: -65,
      unrealisedNaturalUsd: -85,
      totalUsd: -755,
    });
  }, 180_000);
});
