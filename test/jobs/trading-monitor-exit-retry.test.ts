// A rejected exit against DynamoDB Local, the simulator and the bridge (SNS the only mock): the next
// monitor cycle tries it again under a new attempt key and the position closes; every attempt rejected →
// after the last (exits.maxCloseAttemptsPerDay, default 3) nothing more is placed that day, ONE CRITICAL
// alert names the position, the rule and IB's reason, and the decision says so; the next trading day
// starts a fresh count. A close still working on the next cycle is managed, never doubled.
import { describe, expect, it } from 'vitest';
import type { PositionRecord } from '#adapters/ports';
import { describePosition } from '#core/alerts';
import { intentKey } from '#core/orders';
import { handler as monitor } from '#jobs/monitor';
import '../support/dynamodb';
import { monitorFixtures } from './monitor-fixtures';
import { lambdaContext, startJobStack, withBridgeOverride } from './support';

const stack = await startJobStack({ seed: 5 });
const { db, sim, clock } = stack;
const { spot, nearestStrike, mid, openBullPut, commissionsOf } = monitorFixtures(stack);
const TRADE_DATE = '2026-06-01';
const IB_REASON = 'Order rejected - reason: closing orders are not accepted for this account';

const keyOf = (positionId: string, attempt: number, tradeDate = TRADE_DATE) =>
  intentKey({ tradeDate, subjectId: positionId, purpose: 'CLOSE', attempt });
/** The broker's orders now, to tell later ones apart. */
const orderIds = () => new Set(sim.orders().map((o) => o.request.orderId));
/** The broker's orders placed since `known` (the system's, not the test's set-up), in order. */
const ordersAfter = (known: Set<number>) =>
  sim.orders().filter((o) => !known.has(o.request.orderId) && !o.request.orderRef.startsWith('setup-'));
const alertsAfter = (from: number) => stack.published().slice(from);
const critical = (from: number) =>
  alertsAfter(from).filter((p) => String(p.Subject).startsWith('[CRITICAL]'));

/** One monitor cycle with the simulator rejecting every order for `reason`. */
async function cycleRejecting(reason: string) {
  sim.faults.rejectOrders(reason);
  try {
    return await monitor({}, lambdaContext('monitor'));
  } finally {
    sim.faults.rejectOrders(undefined);
  }
}

/**
 * A stop loss (rule 4, urgent: priced at natural, so an accepted order fills at once): an entry credit
 * of 0.05 against a close that costs more than 0.15.
 */
async function stopLossPosition(id: string) {
  const legs = await openBullPut(id, nearestStrike(spot() * 0.97), 1, 0.05);
  expect(mid(legs.short) - mid(legs.long)).toBeGreaterThan(0.15);
  return legs;
}

describe('monitor: a rejected exit is tried again, bounded per day', () => {
  it('stop loss rejected once: the next cycle places attempt 2 under a new orderRef and the position closes', async () => {
    await stopLossPosition('pos-retry');
    const mark = orderIds();
    const published = stack.published().length;

    const first = await cycleRejecting(IB_REASON);
    expect(first.counts).toMatchObject({ close: 1 });
    const key0 = keyOf('pos-retry', 0);
    const rejected = await db.stores.intents.get(key0);
    expect(rejected).toMatchObject({ status: 'REJECTED', rule: 4 });
    expect(rejected!.statusReason).toContain(IB_REASON);
    expect(ordersAfter(mark).map((o) => o.request.orderRef)).toEqual([key0]);
    const second = await monitor({}, lambdaContext('monitor'));
    expect(second.counts).toMatchObject({ close: 1, exitsPlaced: 1, closed: 1 });
    const key1 = keyOf('pos-retry', 1);
    const orders = ordersAfter(mark);
    expect(orders.map((o) => o.request.orderRef)).toEqual([key0, key1]);
    expect(orders[1]).toMatchObject({ status: 'Filled', filled: 1 });
    expect(await db.stores.intents.get(key1)).toMatchObject({ status: 'FILLED', rule: 4 });
    const position = (await db.stores.positions.get('pos-retry')) as PositionRecord;
    expect(position).toMatchObject({ status: 'CLOSED', closeIntentKey: key1 });
    // (entry credit − debit) · 100 − commissions (the entry's 2 and IB's on the close).
    const debit = Math.abs(orders[1]!.avgFillPrice);
    expect(position.realisedPnlUsd).toBeCloseTo((0.05 - debit) * 100 - 2 - commissionsOf(key1), 2);
    // The rejection was not the last attempt: a WARNING that says it is tried again, no CRITICAL.
    expect(critical(published)).toHaveLength(0);
    const warning = alertsAfter(published).find((p) => p.Subject === '[WARNING] Exit rejected: IWM');
    expect(String(warning?.Message)).toContain(
      `exit attempt 1 of 3 today rejected: ${rejected!.statusReason}; tried again on the next cycle.`,
    );
  }, 120_000);

  it('a close still working on the next cycle is managed (rule 2), never a second order', async () => {
    // Profit target (rule 8, priced at mid: it may wait for a fill): the short put ~8% out of the money.
    const { short, long } = await openBullPut('pos-working', nearestStrike(spot() * 0.92), 1, 0);
    const entryCredit = Math.round((mid(short) - mid(long)) * 2.5 * 100) / 100;
    const held = (await db.stores.positions.get('pos-working'))!;
    await db.stores.positions.update(
      { ...held, entryCredit },
      { expectedVersion: held.version, now: clock.now() },
    );
    const mark = orderIds();
    await cycleRejecting(IB_REASON);
    const key0 = keyOf('pos-working', 0);
    expect(await db.stores.intents.get(key0)).toMatchObject({ status: 'REJECTED', rule: 8 });

    // Attempt 2 goes out, then the Lambda dies (the next bridge read never returns): it stays working.
    await withBridgeOverride(
      stack,
      () => ({ ordersByRef: () => Promise.reject(new Error('Runtime exited: the Lambda crashed')) }),
      () => expect(monitor({}, lambdaContext('monitor'))).rejects.toThrow('crashed'),
    );
    const key1 = keyOf('pos-working', 1);
    expect(await db.stores.intents.get(key1)).toMatchObject({ status: 'SUBMITTED', rule: 8 });
    expect(ordersAfter(mark).map((o) => o.request.orderRef)).toEqual([key0, key1]);

    // The next cycle manages attempt 2; it does not count it as done and place attempt 3.
    const third = await monitor({}, lambdaContext('monitor'));
    expect(third.counts).toMatchObject({ manage: 1, close: 0, exitsPlaced: 0 });
    expect(await db.stores.snapshots.latestDecision('pos-working')).toMatchObject({
      action: 'MANAGE',
      rule: 2,
      intentKey: key1,
    });
    expect(ordersAfter(mark).map((o) => o.request.orderRef)).toEqual([key0, key1]);
    expect(await db.stores.intents.get(keyOf('pos-working', 2))).toBeUndefined();
    expect(await db.stores.positions.get('pos-working')).toMatchObject({
      status: 'CLOSED',
      closeIntentKey: key1,
    });
  }, 120_000);

  it('every attempt rejected: three orders, then none, ONE CRITICAL alert; the next trading day starts afresh', async () => {
    await stopLossPosition('pos-stuck');
    const mark = orderIds();
    const published = stack.published().length;

    const criticalAfter: number[] = [];
    for (const attempt of [0, 1, 2]) {
      await cycleRejecting(IB_REASON);
      expect(ordersAfter(mark).map((o) => o.request.orderRef)).toEqual(
        [0, 1, 2].slice(0, attempt + 1).map((a) => keyOf('pos-stuck', a)),
      );
      expect(await db.stores.intents.get(keyOf('pos-stuck', attempt))).toMatchObject({
        status: 'REJECTED',
        rule: 4,
      });
      criticalAfter.push(critical(published).length);
    }
    // The CRITICAL goes out as soon as the last attempt is rejected, not before.
    expect(criticalAfter).toEqual([0, 0, 1]);
    const last = (await db.stores.intents.get(keyOf('pos-stuck', 2)))!;
    const position = (await db.stores.positions.get('pos-stuck'))!;
    expect(critical(published)).toEqual([
      expect.objectContaining({
        Subject: '[CRITICAL] Exits exhausted: IWM',
        Message: `${describePosition(position)}: rule 4 stop loss wants it closed, but exit attempts exhausted (3 of 3 today): ${last.statusReason}. No further exit order today: close it by hand.`,
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
      }),
    ]);

    // Cycle 4 (the fault cleared, so an order would go through): nothing placed; the decision says why;
    // the CRITICAL is not sent again inside its cooldown.
    const fourth = await monitor({}, lambdaContext('monitor'));
    expect(fourth.reasons).toContain(
      `pos-stuck: rule 4 wants to close, exit attempts exhausted (3 of 3 today): ${last.statusReason}`,
    );
    expect(ordersAfter(mark)).toHaveLength(3);
    expect(await db.stores.intents.get(keyOf('pos-stuck', 3))).toBeUndefined();
    const decision = await db.stores.snapshots.latestDecision('pos-stuck');
    expect(decision).toMatchObject({ action: 'CLOSE', rule: 4 });
    expect(decision!.reason).toContain(`exit attempts exhausted (3 of 3 today): ${last.statusReason}`);
    expect(decision!.intentKey).toBeUndefined();
    expect(critical(published)).toHaveLength(1);
    expect((await db.stores.positions.get('pos-stuck'))?.status).toBe('OPEN');

    // The next trading day: a fresh count, the first attempt of that day closes it.
    await clock.sleep(24 * 3_600_000);
    await monitor({}, lambdaContext('monitor'));
    const fresh = keyOf('pos-stuck', 0, '2026-06-02');
    expect(ordersAfter(mark).map((o) => o.request.orderRef)).toEqual([
      ...[0, 1, 2].map((a) => keyOf('pos-stuck', a)),
      fresh,
    ]);
    expect(await db.stores.positions.get('pos-stuck')).toMatchObject({
      status: 'CLOSED',
      closeIntentKey: fresh,
    });
  }, 180_000);
});
