// Positions against DynamoDB Local: conditional creates, optimistic updates, and fills applied to a
// position and its intent in one transaction (all or nothing).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntentConflictError, PositionConflictError, VersionConflictError } from '#adapters/ports';
import { samplePosition, sampleIntent, useTables } from '../support/dynamodb';

const db = await useTables();
const { positions, intents } = db.stores;
const NOW = Date.UTC(2026, 1, 2, 15, 0);
const id = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** An opening intent already at IB (SUBMITTED), as execute-strategies leaves it. */
async function submittedIntent(label: string, quantity = 2, purpose: 'OPEN' | 'CLOSE' = 'OPEN') {
  const key = `2026-02-02:${purpose}:${id(label)}`;
  await intents.create(sampleIntent(key, { quantity, purpose }), NOW);
  await intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 77, now: NOW + 1 });
  return key;
}

describe('positions: create and optimistic update', () => {
  it('creates once; a second create returns the existing position', async () => {
    const positionId = id('ext');
    const first = await positions.create(samplePosition(positionId), { source: 'EXTERNAL', now: NOW });
    expect(first.created).toBe(true);
    const again = await positions.create(samplePosition(positionId, { quantity: 9 }), {
      source: 'EXTERNAL',
      now: NOW,
    });
    expect(again.created).toBe(false);
    if (again.created) return;
    expect(again.existing).toMatchObject({ quantity: 2, version: 1, status: 'OPEN', source: 'EXTERNAL' });
  });

  it('updates on the version read; a stale version fails and changes nothing', async () => {
    const positionId = id('upd');
    await positions.create(samplePosition(positionId), { source: 'SYSTEM', now: NOW });
    const updated = await positions.update(samplePosition(positionId, { quantity: 1 }), {
      expectedVersion: 1,
      now: NOW + 1,
    });
    expect(updated).toMatchObject({ quantity: 1, version: 2, status: 'OPEN' });

    const error = await positions
      .update(samplePosition(positionId, { quantity: 5 }), { expectedVersion: 1, now: NOW + 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).actualVersion).toBe(2);
    expect((await positions.get(positionId))?.quantity).toBe(1);
  });

  it('of 6 concurrent updates from one version exactly one lands', async () => {
    const positionId = id('race');
    await positions.create(samplePosition(positionId), { source: 'SYSTEM', now: NOW });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        positions.update(samplePosition(positionId, { commissionsUsd: 10 + i }), {
          expectedVersion: 1,
          now: NOW + i,
        }),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const stored = await positions.get(positionId);
    expect(stored?.version).toBe(2);
    expect(stored?.commissionsUsd).toBe(
      (won[0] as PromiseFulfilledResult<{ commissionsUsd: number }>).value.commissionsUsd,
    );
  });
});

describe('positions: fills applied in one transaction', () => {
  it('opens a position from a fill and marks the intent filled and applied', async () => {
    const key = await submittedIntent('open');
    const positionId = id('pos');
    const { position, intent } = await positions.openFromFill({
      intentKey: key,
      position: samplePosition(positionId),
      fill: { filledQuantity: 2, avgFillPrice: 1.27 },
      now: NOW + 5,
    });
    expect(position).toMatchObject({
      id: positionId,
      status: 'OPEN',
      source: 'SYSTEM',
      openIntentKey: key,
      version: 1,
    });
    expect(intent).toMatchObject({
      status: 'FILLED',
      filledQuantity: 2,
      appliedAt: NOW + 5,
      appliedPositionId: positionId,
    });
    expect(await positions.get(positionId)).toEqual(position);
    expect((await intents.listWorking()).some((i) => i.intentKey === key)).toBe(false);
  });

  it('a partial fill opens the position and leaves the intent PARTIAL and working', async () => {
    const key = await submittedIntent('partial', 3);
    const positionId = id('pos');
    const { intent } = await positions.openFromFill({
      intentKey: key,
      position: samplePosition(positionId, { quantity: 1 }),
      fill: { filledQuantity: 1, avgFillPrice: 1.3 },
      now: NOW + 5,
    });
    expect(intent.status).toBe('PARTIAL');
    expect((await intents.listWorking()).some((i) => i.intentKey === key)).toBe(true);
  });

  it('a fill left by an order cancelled after a partial fill opens the position once; the intent stays CANCELLED', async () => {
    const key = await submittedIntent('cancelled-part', 10);
    await intents.transition(key, { from: 'SUBMITTED', to: 'PARTIAL', filledQuantity: 5, now: NOW + 2 });
    await intents.transition(key, { from: 'PARTIAL', to: 'CANCELLED', now: NOW + 3 });
    const positionId = id('pos');
    const { position, intent } = await positions.openFromFill({
      intentKey: key,
      position: samplePosition(positionId, { quantity: 5 }),
      fill: { filledQuantity: 5, avgFillPrice: 1.3 },
      now: NOW + 5,
    });
    expect(position).toMatchObject({ id: positionId, status: 'OPEN', quantity: 5 });
    expect(intent).toMatchObject({ status: 'CANCELLED', filledQuantity: 5, appliedAt: NOW + 5 });
    await expect(
      positions.openFromFill({
        intentKey: key,
        position: samplePosition(id('again'), { quantity: 5 }),
        fill: { filledQuantity: 5, avgFillPrice: 1.3 },
        now: NOW + 6,
      }),
    ).rejects.toBeInstanceOf(IntentConflictError);
  });

  it('an order cancelled with nothing filled opens nothing', async () => {
    const key = await submittedIntent('cancelled-empty', 4);
    await intents.transition(key, { from: 'SUBMITTED', to: 'CANCELLED', now: NOW + 3 });
    const positionId = id('pos');
    await expect(
      positions.openFromFill({
        intentKey: key,
        position: samplePosition(positionId),
        fill: { filledQuantity: 0, avgFillPrice: 0 },
        now: NOW + 5,
      }),
    ).rejects.toThrow();
    expect(await positions.get(positionId)).toBeUndefined();
  });

  it('reduceFromFill shrinks the position and applies the close intent in one transaction, or writes nothing', async () => {
    const positionId = id('pos');
    await positions.create(samplePosition(positionId), { source: 'SYSTEM', now: NOW });
    const key = await submittedIntent('reduce', 2, 'CLOSE');
    await intents.transition(key, { from: 'SUBMITTED', to: 'PARTIAL', filledQuantity: 1, now: NOW + 2 });
    await intents.transition(key, { from: 'PARTIAL', to: 'CANCELLED', now: NOW + 3 });
    const fill = { filledQuantity: 1, avgFillPrice: 0.5 };
    // A stale version: nothing is written, the intent stays unapplied.
    await expect(
      positions.reduceFromFill({
        intentKey: key,
        positionId,
        expectedVersion: 9,
        fill,
        realisedPnlUsd: 10,
        now: NOW + 4,
      }),
    ).rejects.toBeInstanceOf(PositionConflictError);
    expect((await intents.get(key))?.appliedAt).toBeUndefined();
    const { position, intent } = await positions.reduceFromFill({
      intentKey: key,
      positionId,
      expectedVersion: 1,
      fill,
      realisedPnlUsd: 10,
      now: NOW + 5,
    });
    expect(position).toMatchObject({ status: 'OPEN', quantity: 1, realisedPnlUsd: 10, version: 2 });
    // Legs scale with the quantity (the sample is a 1:1 spread of 2: −2 / +2 becomes −1 / +1).
    expect(position.legs.map((l) => l.quantity)).toEqual([-1, 1]);
    expect(intent).toMatchObject({ status: 'CANCELLED', appliedAt: NOW + 5, appliedPositionId: positionId });
    // Applying the same fill again is refused: a crash-and-retry can never shrink it twice.
    await expect(
      positions.reduceFromFill({
        intentKey: key,
        positionId,
        expectedVersion: 2,
        fill,
        realisedPnlUsd: 10,
        now: NOW + 6,
      }),
    ).rejects.toBeInstanceOf(PositionConflictError);
    expect((await intents.get(key))?.appliedAt).toBe(NOW + 5);
    expect((await positions.get(positionId))?.quantity).toBe(1);
  });

  it('when the position id is taken nothing is written: the intent stays SUBMITTED and unapplied', async () => {
    const key = await submittedIntent('taken');
    const positionId = id('pos');
    await positions.create(samplePosition(positionId, { quantity: 7 }), { source: 'EXTERNAL', now: NOW });
    await expect(
      positions.openFromFill({
        intentKey: key,
        position: samplePosition(positionId),
        fill: { filledQuantity: 2, avgFillPrice: 1.27 },
        now: NOW + 5,
      }),
    ).rejects.toBeInstanceOf(PositionConflictError);
    const intent = await intents.get(key);
    expect(intent?.status).toBe('SUBMITTED');
    expect(intent?.appliedAt).toBeUndefined();
    expect((await positions.get(positionId))?.quantity).toBe(7);
  });

  it('when the intent is not fillable nothing is written: no position appears', async () => {
    const key = `2026-02-02:OPEN:${id('unsent')}`;
    await intents.create(sampleIntent(key), NOW);
    const positionId = id('pos');
    await expect(
      positions.openFromFill({
        intentKey: key,
        position: samplePosition(positionId),
        fill: { filledQuantity: 2, avgFillPrice: 1.27 },
        now: NOW + 5,
      }),
    ).rejects.toBeInstanceOf(IntentConflictError);
    expect(await positions.get(positionId)).toBeUndefined();
    expect((await intents.get(key))?.status).toBe('INTENT');
  });

  it('a doubled fill event opens exactly one position', async () => {
    const key = await submittedIntent('double');
    const ids = Array.from({ length: 5 }, () => id('pos'));
    const outcomes = await Promise.allSettled(
      ids.map((positionId, i) =>
        positions.openFromFill({
          intentKey: key,
          position: samplePosition(positionId),
          fill: { filledQuantity: 2, avgFillPrice: 1.27 },
          now: NOW + i,
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(IntentConflictError);
    const stored = await Promise.all(ids.map((positionId) => positions.get(positionId)));
    expect(stored.filter((p) => p !== undefined)).toHaveLength(1);
    expect((await intents.get(key))?.appliedPositionId).toBe(stored.find((p) => p)?.id);
  });

  it('a fill racing a cancel of the same order: exactly one wins, and a position exists only if the fill did', async () => {
    for (let round = 0; round < 6; round++) {
      const key = await submittedIntent(`fill-vs-cancel-${round}`);
      const positionId = id('pos');
      const [fill, cancel] = await Promise.allSettled([
        positions.openFromFill({
          intentKey: key,
          position: samplePosition(positionId),
          fill: { filledQuantity: 2, avgFillPrice: 1.27 },
          now: NOW + 5,
        }),
        intents.transition(key, { from: 'SUBMITTED', to: 'CANCELLED', now: NOW + 5 }),
      ]);
      expect([fill?.status, cancel?.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      for (const loser of [fill, cancel]) {
        if (loser?.status === 'rejected') expect(loser.reason).toBeInstanceOf(IntentConflictError);
      }
      const intent = await intents.get(key);
      const position = await positions.get(positionId);
      expect(intent?.status).toBe(fill?.status === 'fulfilled' ? 'FILLED' : 'CANCELLED');
      expect(position !== undefined).toBe(fill?.status === 'fulfilled');
    }
  });

  it('closes from a closing fill with realised P&L; a second close changes nothing', async () => {
    const positionId = id('pos');
    await positions.openFromFill({
      intentKey: await submittedIntent('open'),
      position: samplePosition(positionId),
      fill: { filledQuantity: 2, avgFillPrice: 1.25 },
      now: NOW,
    });
    const closeKey = await submittedIntent('close', 2, 'CLOSE');
    // Bought back at 0.60 after selling at 1.25: (1.25 − 0.60) · 100 · 2 − 2.60 − 2.60 = 124.80
    const realised = (1.25 - 0.6) * 100 * 2 - 2.6 - 2.6;
    const { position, intent } = await positions.closeFromFill({
      intentKey: closeKey,
      positionId,
      fill: { filledQuantity: 2, avgFillPrice: 0.6, commissionsUsd: 2.6 },
      realisedPnlUsd: realised,
      reason: 'rule 8 profit target: 52% of max profit ≥ 50%',
      now: NOW + 10,
    });
    expect(position).toMatchObject({
      status: 'CLOSED',
      closedAt: NOW + 10,
      closeIntentKey: closeKey,
      version: 2,
      commissionsUsd: 5.2,
    });
    expect(position.realisedPnlUsd).toBeCloseTo(124.8, 9);
    expect(intent).toMatchObject({ status: 'FILLED', appliedPositionId: positionId });

    const secondKey = await submittedIntent('close-again', 2, 'CLOSE');
    await expect(
      positions.closeFromFill({
        intentKey: secondKey,
        positionId,
        fill: { filledQuantity: 2, avgFillPrice: 0.5 },
        realisedPnlUsd: 0,
        reason: 'duplicate',
        now: NOW + 20,
      }),
    ).rejects.toBeInstanceOf(PositionConflictError);
    const untouched = await intents.get(secondKey);
    expect(untouched?.status).toBe('SUBMITTED');
    expect(untouched?.appliedAt).toBeUndefined();
    expect((await positions.get(positionId))?.closeReason).toMatch(/profit target/);
  });

  it('marks a position closed outside the system once', async () => {
    const positionId = id('pos');
    await positions.create(samplePosition(positionId), { source: 'SYSTEM', now: NOW });
    const closed = await positions.markClosed(positionId, { reason: 'assigned', now: NOW + 1 });
    expect(closed).toMatchObject({ status: 'CLOSED', closeReason: 'assigned', version: 2 });
    await expect(positions.markClosed(positionId, { reason: 'again', now: NOW + 2 })).rejects.toBeInstanceOf(
      PositionConflictError,
    );
  });
});

describe('positions: the realised P&L ledger', () => {
  // 03:30 UTC on 3 Feb is still 2 Feb in New York: an entry belongs to the New York trading day.
  const LATE = Date.UTC(2026, 1, 3, 3, 30);

  async function openedPosition(label: string, quantity = 3) {
    const positionId = id(label);
    await positions.openFromFill({
      intentKey: await submittedIntent(`${label}-open`, quantity),
      position: samplePosition(positionId, {
        quantity,
        legs: samplePosition(positionId).legs.map((leg) => ({
          ...leg,
          quantity: Math.sign(leg.quantity) * quantity,
        })),
      }),
      fill: { filledQuantity: quantity, avgFillPrice: 1.25 },
      now: NOW,
    });
    return positionId;
  }

  async function cancelledAfterPart(label: string, quantity: number, filled: number) {
    const key = await submittedIntent(label, quantity, 'CLOSE');
    await intents.transition(key, { from: 'SUBMITTED', to: 'PARTIAL', filledQuantity: filled, now: NOW + 2 });
    await intents.transition(key, { from: 'PARTIAL', to: 'CANCELLED', now: NOW + 3 });
    return key;
  }

  it('a partial close then a full close append PARTIAL_CLOSE and CLOSE in their own writes; the total is their sum', async () => {
    const positionId = await openedPosition('ledger-close');
    expect((await positions.get(positionId))?.realised).toBeUndefined();
    const reduceKey = await cancelledAfterPart('ledger-reduce', 3, 1);
    await positions.reduceFromFill({
      intentKey: reduceKey,
      positionId,
      expectedVersion: 1,
      fill: { filledQuantity: 1, avgFillPrice: 0.5, commissionsUsd: 1.3 },
      realisedPnlUsd: 73.7,
      now: NOW + 5,
    });
    const closeKey = await submittedIntent('ledger-close-rest', 2, 'CLOSE');
    const { position } = await positions.closeFromFill({
      intentKey: closeKey,
      positionId,
      fill: { filledQuantity: 2, avgFillPrice: 0.4, commissionsUsd: 2.6 },
      realisedPnlUsd: 167.4,
      reason: 'rule 8 profit target',
      now: LATE,
    });
    expect(position.realised).toEqual([
      { at: NOW + 5, tradeDate: '2026-02-02', usd: 73.7, kind: 'PARTIAL_CLOSE', ref: reduceKey },
      { at: LATE, tradeDate: '2026-02-02', usd: 167.4, kind: 'CLOSE', ref: closeKey },
    ]);
    expect(position.realisedPnlUsd).toBeCloseTo(73.7 + 167.4, 9);
    expect(await positions.get(positionId)).toEqual(position);
  });

  it('a refused reduce or close appends nothing', async () => {
    const positionId = await openedPosition('ledger-refused');
    const reduceKey = await cancelledAfterPart('ledger-refused-reduce', 3, 1);
    const stale = {
      intentKey: reduceKey,
      positionId,
      expectedVersion: 7,
      fill: { filledQuantity: 1, avgFillPrice: 0.5 },
      realisedPnlUsd: 75,
      now: NOW + 5,
    };
    await expect(positions.reduceFromFill(stale)).rejects.toBeInstanceOf(PositionConflictError);
    // A close whose intent is not fillable (never sent) fails in the same transaction: no entry either.
    const unsent = `2026-02-02:CLOSE:${id('ledger-unsent')}`;
    await intents.create(sampleIntent(unsent, { quantity: 3, purpose: 'CLOSE' }), NOW);
    await expect(
      positions.closeFromFill({
        intentKey: unsent,
        positionId,
        fill: { filledQuantity: 3, avgFillPrice: 0.4 },
        realisedPnlUsd: 255,
        reason: 'test',
        now: NOW + 6,
      }),
    ).rejects.toBeInstanceOf(IntentConflictError);
    const stored = await positions.get(positionId);
    expect(stored?.realised).toBeUndefined();
    expect(stored?.realisedPnlUsd).toBeUndefined();
  });

  it('markClosed records what the close realised under its kind, after earlier partial closes', async () => {
    const positionId = await openedPosition('ledger-expiry');
    const reduceKey = await cancelledAfterPart('ledger-expiry-reduce', 3, 1);
    await positions.reduceFromFill({
      intentKey: reduceKey,
      positionId,
      expectedVersion: 1,
      fill: { filledQuantity: 1, avgFillPrice: 0.5 },
      realisedPnlUsd: 75,
      now: NOW + 5,
    });
    const closed = await positions.markClosed(positionId, {
      reason: 'expired worthless',
      realisedPnlUsd: 250,
      kind: 'EXPIRY',
      ref: 'expiry 2026-02-20',
      now: NOW + 10,
    });
    expect(closed).toMatchObject({ status: 'CLOSED', realisedPnlUsd: 325 });
    expect(closed.realised?.map((e) => [e.kind, e.usd, e.ref])).toEqual([
      ['PARTIAL_CLOSE', 75, reduceKey],
      ['EXPIRY', 250, 'expiry 2026-02-20'],
    ]);
  });

  it('markClosed defaults to EXTERNAL, and without a P&L records no entry', async () => {
    const external = await openedPosition('ledger-external');
    const known = await positions.markClosed(external, {
      reason: 'closed outside',
      realisedPnlUsd: -40,
      now: NOW + 1,
    });
    expect(known.realised).toEqual([{ at: NOW + 1, tradeDate: '2026-02-02', usd: -40, kind: 'EXTERNAL' }]);
    const unknown = await openedPosition('ledger-unknown');
    const closed = await positions.markClosed(unknown, { reason: 'gone at IB', now: NOW + 1 });
    expect(closed.realised).toBeUndefined();
    expect(closed.realisedPnlUsd).toBeUndefined();
  });

  it('update appends its realised entry with the new legs in one write; a stale version appends nothing', async () => {
    const positionId = await openedPosition('ledger-assign', 2);
    const position = await positions.get(positionId);
    if (!position) throw new Error('position missing');
    const shortLegOnly = { ...position, legs: position.legs.slice(0, 1) };
    const updated = await positions.update(shortLegOnly, {
      expectedVersion: 1,
      now: NOW + 5,
      realised: { usd: -180.5, kind: 'ASSIGNMENT', ref: 'exec-1' },
    });
    expect(updated).toMatchObject({ version: 2, realisedPnlUsd: -180.5, legs: shortLegOnly.legs });
    expect(updated.realised).toEqual([
      { at: NOW + 5, tradeDate: '2026-02-02', usd: -180.5, kind: 'ASSIGNMENT', ref: 'exec-1' },
    ]);
    await expect(
      positions.update(shortLegOnly, {
        expectedVersion: 1,
        now: NOW + 6,
        realised: { usd: -180.5, kind: 'ASSIGNMENT', ref: 'exec-1' },
      }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    // Without `realised` an update leaves the ledger as it was.
    const plain = await positions.update(shortLegOnly, { expectedVersion: 2, now: NOW + 7 });
    expect(plain.realised).toHaveLength(1);
    expect(plain.realisedPnlUsd).toBe(-180.5);
  });

  it('refuses a non-finite amount before writing', async () => {
    const positionId = await openedPosition('ledger-nan');
    await expect(
      positions.markClosed(positionId, { reason: 'x', realisedPnlUsd: Number.NaN, now: NOW + 1 }),
    ).rejects.toBeInstanceOf(RangeError);
    expect((await positions.get(positionId))?.status).toBe('OPEN');
  });
});

describe('positions: queries', () => {
  it('lists open positions oldest first across small pages, without the closed ones', async () => {
    const paged = db.storesWith({ pageSize: 2 }).positions;
    const run = id('list');
    // Opened in a scrambled order; the index sorts them by openedAt.
    for (const n of [5, 1, 4, 2, 3]) {
      await paged.create(samplePosition(`${run}-p${n}`, { openedAt: NOW - 1e9 + n * 60_000 }), {
        source: 'SYSTEM',
        now: NOW,
      });
    }
    await paged.create(samplePosition(`${run}-c1`), { source: 'SYSTEM', now: NOW });
    await paged.markClosed(`${run}-c1`, { reason: 'expired', now: NOW });

    const mine = (list: { id: string }[]) => list.map((p) => p.id).filter((pid) => pid.startsWith(run));
    expect(mine(await paged.listOpen())).toEqual([1, 2, 3, 4, 5].map((n) => `${run}-p${n}`));
    expect(mine(await paged.listByStatus('CLOSED'))).toEqual([`${run}-c1`]);
  });
});
