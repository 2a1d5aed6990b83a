// Order intents against DynamoDB Local: born once under concurrency, moved only by conditional
// transitions, found by trade date / position / working status across pages.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntentConflictError, IntentNotFoundError, InvalidTransitionError } from '#adapters/ports';
import { INTENT_TRANSITIONS } from '#core/intents';
import type { OrderIntentStatus } from '#core/intents';
import { sampleIntent, useTables } from '../support/dynamodb';

const db = await useTables();
const intents = db.stores.intents;
const NOW = Date.UTC(2026, 1, 2, 15, 0);
const uniqueKey = (label: string) => `2026-02-02:OPEN:${label}-${randomUUID().slice(0, 8)}`;

describe('order intent creation', () => {
  it('creates once; a second create of the key returns the first intent untouched', async () => {
    const key = uniqueKey('once');
    const first = await intents.create(sampleIntent(key, { quantity: 2 }), NOW);
    expect(first.created).toBe(true);

    const second = await intents.create(sampleIntent(key, { quantity: 5, reason: 'retry' }), NOW + 1000);
    expect(second.created).toBe(false);
    if (second.created) return;
    expect(second.existing.quantity).toBe(2);
    expect(second.existing.createdAt).toBe(NOW);
    expect(second.existing.status).toBe('INTENT');
    expect(await intents.get(key)).toEqual(second.existing);
  });

  it('20 concurrent creates of one key: exactly one is created and all others see that one', async () => {
    const key = uniqueKey('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => intents.create(sampleIntent(key, { quantity: i + 1 }), NOW + i)),
    );
    const winners = results.filter((result) => result.created);
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    if (!winner?.created) throw new Error('no winner');
    for (const result of results) {
      if (!result.created) expect(result.existing.quantity).toBe(winner.intent.quantity);
    }
    expect((await intents.get(key))?.quantity).toBe(winner.intent.quantity);
    expect(
      await intents.listByTradeDate('2026-02-02').then((all) => all.filter((i) => i.intentKey === key)),
    ).toHaveLength(1);
  });

  it('refuses an intent without a positive integer quantity before writing', async () => {
    const key = uniqueKey('bad');
    await expect(intents.create(sampleIntent(key, { quantity: 0 }), NOW)).rejects.toThrow(RangeError);
    expect(await intents.get(key)).toBeUndefined();
  });
});

describe('order intent status transitions', () => {
  it('walks INTENT → SUBMITTED → PARTIAL → FILLED, keeping the order id and a history', async () => {
    const key = uniqueKey('walk');
    await intents.create(sampleIntent(key), NOW);
    await intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 41, now: NOW + 1 });
    await intents.transition(key, { from: 'SUBMITTED', to: 'PARTIAL', filledQuantity: 1, now: NOW + 2 });
    const filled = await intents.transition(key, {
      from: 'PARTIAL',
      to: 'FILLED',
      filledQuantity: 2,
      avgFillPrice: 1.27,
      now: NOW + 3,
    });
    expect(filled).toMatchObject({
      status: 'FILLED',
      orderId: 41,
      filledQuantity: 2,
      avgFillPrice: 1.27,
      updatedAt: NOW + 3,
    });
    expect(filled.history.map((entry) => entry.status)).toEqual(['INTENT', 'SUBMITTED', 'PARTIAL', 'FILLED']);
    expect(await intents.get(key)).toEqual(filled);
  });

  it('refuses a move the state machine does not allow, before writing', async () => {
    const key = uniqueKey('invalid');
    await intents.create(sampleIntent(key), NOW);
    await expect(
      intents.transition(key, { from: 'INTENT', to: 'FILLED', now: NOW + 1 }),
    ).rejects.toBeInstanceOf(InvalidTransitionError);
    await expect(intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', now: NOW + 1 })).rejects.toThrow(
      /orderId/,
    );
    expect((await intents.get(key))?.status).toBe('INTENT');
  });

  it('fails with the actual status when the intent is not in the expected one', async () => {
    const key = uniqueKey('stale');
    await intents.create(sampleIntent(key), NOW);
    await intents.transition(key, { from: 'INTENT', to: 'DRY_RUN', now: NOW + 1, reason: 'dry run' });
    const error = await intents
      .transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 9, now: NOW + 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntentConflictError);
    expect((error as IntentConflictError).actual).toBe('DRY_RUN');
    expect((await intents.get(key))?.orderId).toBeUndefined();
  });

  it('reports a missing intent as not found', async () => {
    await expect(
      intents.transition(uniqueKey('missing'), { from: 'INTENT', to: 'CANCELLED', now: NOW }),
    ).rejects.toBeInstanceOf(IntentNotFoundError);
  });

  it('of 10 concurrent submits exactly one wins; its order id is the one stored', async () => {
    const key = uniqueKey('submit-race');
    await intents.create(sampleIntent(key), NOW);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 100 + i, now: NOW + i }),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const lost of outcomes.filter((o) => o.status === 'rejected')) {
      expect(lost.reason).toBeInstanceOf(IntentConflictError);
      expect((lost.reason as IntentConflictError).actual).toBe('SUBMITTED');
    }
    const stored = await intents.get(key);
    expect(stored?.orderId).toBe((won[0] as PromiseFulfilledResult<{ orderId?: number }>).value.orderId);
    expect(stored?.history.filter((entry) => entry.status === 'SUBMITTED')).toHaveLength(1);
  });

  it('a fill and a cancel racing from SUBMITTED: exactly one lands', async () => {
    const key = uniqueKey('fill-cancel');
    await intents.create(sampleIntent(key), NOW);
    await intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 7, now: NOW });
    const outcomes = await Promise.allSettled([
      intents.transition(key, { from: 'SUBMITTED', to: 'FILLED', filledQuantity: 2, now: NOW + 1 }),
      intents.transition(key, { from: 'SUBMITTED', to: 'CANCELLED', now: NOW + 1 }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const stored = await intents.get(key);
    expect(['FILLED', 'CANCELLED']).toContain(stored?.status);
    expect(stored?.history.map((entry) => entry.status)).toEqual(['INTENT', 'SUBMITTED', stored?.status]);
  });

  it('counts reprices of a working order and refuses them otherwise', async () => {
    const key = uniqueKey('reprice');
    await intents.create(sampleIntent(key), NOW);
    await expect(intents.recordReprice(key, { limitPrice: 1.2, now: NOW })).rejects.toBeInstanceOf(
      IntentConflictError,
    );
    await intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 8, now: NOW });
    await intents.recordReprice(key, { limitPrice: 1.2, now: NOW + 45_000 });
    const twice = await intents.recordReprice(key, { limitPrice: 1.15, now: NOW + 90_000 });
    expect(twice).toMatchObject({ limitPrice: 1.15, repriceCount: 2, status: 'SUBMITTED' });
  });
});

describe('order intent queries', () => {
  it('lists by trade date, by position and working ones, across many small pages', async () => {
    const tradeDate = '2031-05-05';
    const positionId = `pos-${randomUUID().slice(0, 8)}`;
    const paged = db.storesWith({ pageSize: 2 }).intents;
    const keys = Array.from({ length: 7 }, (_, i) => `${tradeDate}:CLOSE:${positionId}#${i + 1}`);
    for (const [i, key] of keys.entries()) {
      await paged.create(sampleIntent(key, { tradeDate, purpose: 'CLOSE', positionId }), NOW + i);
    }
    await paged.create(sampleIntent(uniqueKey('other-day'), { tradeDate: '2031-05-06' }), NOW);
    await paged.transition(keys[0] as string, { from: 'INTENT', to: 'SUBMITTED', orderId: 1, now: NOW + 10 });
    await paged.transition(keys[1] as string, { from: 'INTENT', to: 'CANCELLED', now: NOW + 10 });

    const byDate = await paged.listByTradeDate(tradeDate);
    expect(byDate.map((intent) => intent.intentKey)).toEqual(keys);
    expect((await paged.listByPosition(positionId)).map((intent) => intent.intentKey)).toEqual(keys);

    const working = (await paged.listWorking()).filter((intent) => intent.positionId === positionId);
    // The cancelled one is no longer working; the submitted one still is.
    expect(working.map((intent) => intent.intentKey).sort()).toEqual(keys.filter((_, i) => i !== 1).sort());
    expect(working.find((intent) => intent.intentKey === keys[0])?.status).toBe('SUBMITTED');
  });
});

describe('property: random intent operations never duplicate or lose an intent', () => {
  const STATUSES = Object.keys(INTENT_TRANSITIONS) as OrderIntentStatus[];
  type Op =
    | { kind: 'create'; key: number; quantity: number }
    | { kind: 'duplicates'; key: number; copies: number }
    | { kind: 'transition'; key: number; to: OrderIntentStatus }
    | { kind: 'race'; key: number; targets: OrderIntentStatus[] };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('create' as const),
      key: fc.nat(3),
      quantity: fc.integer({ min: 1, max: 9 }),
    }),
    fc.record({
      kind: fc.constant('duplicates' as const),
      key: fc.nat(3),
      copies: fc.integer({ min: 2, max: 6 }),
    }),
    fc.record({ kind: fc.constant('transition' as const), key: fc.nat(3), to: fc.constantFrom(...STATUSES) }),
    fc.record({
      kind: fc.constant('race' as const),
      key: fc.nat(3),
      targets: fc.array(fc.constantFrom(...STATUSES), { minLength: 2, maxLength: 4 }),
    }),
  );

  it('matches a model of the state machine after every sequence', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        // Each run has its own trade date, so one set of tables serves every run.
        const tradeDate = `2040-01-${String((run++ % 28) + 1).padStart(2, '0')}`;
        const runId = randomUUID().slice(0, 8);
        const keyOf = (n: number) => `${tradeDate}:OPEN:${runId}-${n}`;
        const model = new Map<string, { status: OrderIntentStatus; quantity: number; filled: number }>();
        let clock = NOW;

        for (const step of ops) {
          const key = keyOf(step.key);
          const known = model.get(key);
          clock += 1000;
          if (step.kind === 'create' || step.kind === 'duplicates') {
            const copies = step.kind === 'create' ? 1 : step.copies;
            const quantity = step.kind === 'create' ? step.quantity : 3;
            const results = await Promise.all(
              Array.from({ length: copies }, () =>
                intents.create(sampleIntent(key, { tradeDate, quantity }), clock),
              ),
            );
            const created = results.filter((r) => r.created).length;
            expect(created).toBe(known ? 0 : 1);
            if (!known) model.set(key, { status: 'INTENT', quantity, filled: 0 });
          } else if (step.kind === 'transition') {
            const filled = (known?.filled ?? 0) + 1;
            const attempt = intents.transition(key, {
              from: known?.status ?? 'INTENT',
              to: step.to,
              now: clock,
              orderId: 5,
              ...(step.to === 'PARTIAL' ? { filledQuantity: filled } : {}),
            });
            if (known && !INTENT_TRANSITIONS[known.status].includes(step.to)) {
              await expect(attempt).rejects.toBeInstanceOf(InvalidTransitionError);
            } else if (!known) {
              await expect(attempt).rejects.toBeInstanceOf(
                INTENT_TRANSITIONS.INTENT.includes(step.to) ? IntentNotFoundError : InvalidTransitionError,
              );
            } else {
              await attempt;
              known.status = step.to;
              if (step.to === 'PARTIAL') known.filled = filled;
            }
          } else {
            // Concurrent runs all believe the intent is in its current status.
            if (!known) continue;
            const allowed = step.targets.filter((to) => INTENT_TRANSITIONS[known.status].includes(to));
            if (allowed.length === 0) continue;
            // Racing partial fills all report the same next quantity (one fill event delivered twice).
            const filled = known.filled + 1;
            const outcomes = await Promise.allSettled(
              allowed.map((to) =>
                intents.transition(key, {
                  from: known.status,
                  to,
                  now: clock,
                  orderId: 6,
                  ...(to === 'PARTIAL' ? { filledQuantity: filled } : {}),
                }),
              ),
            );
            const winners = outcomes.flatMap((o, i) =>
              o.status === 'fulfilled' ? [allowed[i] as OrderIntentStatus] : [],
            );
            for (const o of outcomes)
              if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(IntentConflictError);
            // The winners must form a serial order from the status all racers saw. A status change
            // invalidates every other racer, so one wins, except that PARTIAL → PARTIAL (a fill) keeps
            // the status: a racing move out of PARTIAL that carries no fill quantity can still land
            // after it. The fill itself lands at most once.
            const fills = winners.filter((to) => to === known.status);
            const moves = winners.filter((to) => to !== known.status);
            expect(moves.length).toBeLessThanOrEqual(1);
            expect(fills.length).toBeLessThanOrEqual(known.status === 'PARTIAL' ? 1 : 0);
            expect(winners.length).toBeGreaterThanOrEqual(1);
            if (fills.length > 0 || moves[0] === 'PARTIAL') known.filled = filled;
            if (moves[0] !== undefined) known.status = moves[0];
          }
        }

        // Every modelled intent exists exactly once with the modelled status; nothing else exists.
        const stored = await intents.listByTradeDate(tradeDate);
        const storedKeys = stored.map((intent) => intent.intentKey).filter((key) => key.includes(runId));
        expect(storedKeys.sort()).toEqual([...model.keys()].sort());
        for (const intent of stored.filter((i) => i.intentKey.includes(runId))) {
          const expected = model.get(intent.intentKey);
          expect(intent.status).toBe(expected?.status);
          expect(intent.quantity).toBe(expected?.quantity);
          expect(intent.filledQuantity).toBe(expected?.filled);
          expect(intent.history.at(-1)?.status).toBe(expected?.status);
        }
      }),
      {
        numRuns: 15,
        // A fill racing a cancel out of PARTIAL: both may land, in that order (seed 544534687).
        examples: [
          [
            [
              { kind: 'create', key: 2, quantity: 1 },
              { kind: 'transition', key: 2, to: 'SUBMITTED' },
              { kind: 'transition', key: 2, to: 'PARTIAL' },
              { kind: 'race', key: 2, targets: ['PARTIAL', 'CANCELLED'] },
              { kind: 'race', key: 2, targets: ['PARTIAL', 'FILLED'] },
            ],
          ],
        ],
      },
    );
  });
});
