// The exit attempt policy (core `nextCloseAttempt`): every branch — none yet, working, rejected and
// never-placed failures counted, unfilled cancels at IB not, part fills moving the key without using an attempt, exhaustion with the
// last reason, the day boundary, dry-run and filled intents, the key's own limit, bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config';
import { nextCloseAttempt } from '#core/close-attempts';
import type { CloseAttemptIntent } from '#core/close-attempts';
import { MAX_INTENT_ATTEMPT } from '#core/intent-key';

const TODAY = '2026-06-01';
let n = 0;
const intent = (
  status: CloseAttemptIntent['status'],
  extra: Partial<CloseAttemptIntent> = {},
): CloseAttemptIntent => ({
  intentKey: `k${n++}`,
  tradeDate: TODAY,
  status,
  filledQuantity: 0,
  ...extra,
});
const rejected = (reason: string) => intent('REJECTED', { statusReason: reason });
/** Worked at IB through its reprices and cancelled with nothing filled: the market did not meet it. */
const unfilled = () =>
  intent('CANCELLED', { orderId: 7, statusReason: 'cancelled after 3 reprice(s): 0 of 2 filled' });
/** Cancelled before it ever reached IB (the bridge could not place it). */
const neverPlaced = () => intent('CANCELLED', { statusReason: 'not placed: bridge unavailable' });
const partFilled = (filled: number) => intent('CANCELLED', { filledQuantity: filled });
const policy = (intents: CloseAttemptIntent[], maxAttempts = 3) =>
  nextCloseAttempt(intents, { tradeDate: TODAY, maxAttempts });

describe('nextCloseAttempt', () => {
  it('no close yet today: the first attempt (key without a suffix)', () => {
    expect(policy([])).toEqual({ kind: 'PLACE', attempt: 0, failed: 0, maxAttempts: 3 });
  });

  it.each(['INTENT', 'SUBMITTED', 'PARTIAL'] as const)(
    'a close %s is working: manage it, never a second order, whatever failed before',
    (status) => {
      const working = intent(status, { tradeDate: '2026-05-29' });
      const failures = [rejected('a'), rejected('b'), rejected('c')];
      expect(policy([...failures, working])).toEqual({ kind: 'WORKING', intent: working });
    },
  );

  it('a rejected close is tried again under the next key', () => {
    expect(policy([rejected('Order rejected - reason: margin')])).toEqual({
      kind: 'PLACE',
      attempt: 1,
      failed: 1,
      maxAttempts: 3,
    });
  });

  it('a close cancelled before it reached IB counts as a failed attempt', () => {
    expect(policy([neverPlaced(), rejected('x')])).toEqual({
      kind: 'PLACE',
      attempt: 2,
      failed: 2,
      maxAttempts: 3,
    });
  });

  it('a close that worked at IB and was cancelled unfilled moves the key but uses no attempt', () => {
    expect(policy([unfilled(), unfilled(), unfilled(), rejected('x')])).toEqual({
      kind: 'PLACE',
      attempt: 4,
      failed: 1,
      maxAttempts: 3,
    });
  });

  it('a part-filled cancel moves the remainder to the next key but does not use up an attempt', () => {
    const history = [rejected('a'), partFilled(3), rejected('b'), partFilled(1)];
    expect(policy(history)).toEqual({ kind: 'PLACE', attempt: 4, failed: 2, maxAttempts: 3 });
  });

  it('the last attempt failed: exhausted, with the failed count and the last failure’s reason', () => {
    const last = rejected('Order rejected - reason: trading halted');
    const out = policy([rejected('first'), partFilled(2), unfilled(), neverPlaced(), last]);
    expect(out).toEqual({
      kind: 'EXHAUSTED',
      failed: 3,
      maxAttempts: 3,
      last,
      text: 'exit attempts exhausted (3 of 3 today): Order rejected - reason: trading halted',
    });
  });

  it('exhaustion names the last FAILED attempt, not a later part fill', () => {
    const last = rejected('the reason');
    const out = policy([last, partFilled(1)], 1);
    expect(out).toMatchObject({
      kind: 'EXHAUSTED',
      last,
      text: 'exit attempts exhausted (1 of 1 today): the reason',
    });
  });

  it('a failure without a recorded reason still says what it was', () => {
    expect(policy([intent('CANCELLED')], 1)).toMatchObject({
      kind: 'EXHAUSTED',
      text: 'exit attempts exhausted (1 of 1 today): intent CANCELLED',
    });
  });

  it('the count resets on the next trading day', () => {
    const yesterday = ['a', 'b', 'c'].map((r) =>
      intent('REJECTED', { tradeDate: '2026-05-29', statusReason: r }),
    );
    expect(policy(yesterday)).toEqual({ kind: 'PLACE', attempt: 0, failed: 0, maxAttempts: 3 });
    expect(policy([...yesterday, rejected('today')])).toEqual({
      kind: 'PLACE',
      attempt: 1,
      failed: 1,
      maxAttempts: 3,
    });
  });

  it('filled and dry-run intents neither fail nor move the key', () => {
    expect(policy([intent('DRY_RUN'), intent('FILLED', { filledQuantity: 1 })])).toEqual({
      kind: 'PLACE',
      attempt: 0,
      failed: 0,
      maxAttempts: 3,
    });
  });

  it('more part fills in a day than intent keys allow: exhausted rather than an invalid key', () => {
    const many = Array.from({ length: MAX_INTENT_ATTEMPT + 1 }, () => partFilled(1));
    expect(policy(many.slice(1))).toMatchObject({ kind: 'PLACE', attempt: MAX_INTENT_ATTEMPT });
    expect(policy(many)).toMatchObject({
      kind: 'EXHAUSTED',
      failed: 0,
      last: many.at(-1),
      text: `exit attempts exhausted (${MAX_INTENT_ATTEMPT + 1} orders today, the most one day's intent keys allow): intent CANCELLED`,
    });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxAttempts %s', (max) => {
    expect(() => policy([], max)).toThrow(`maxAttempts must be a whole number ≥ 1, got ${max}`);
  });

  it('never more failed attempts than the bound, never a key the intent key cannot carry', () => {
    const status = fc.constantFrom('REJECTED', 'CANCELLED', 'FILLED', 'DRY_RUN') as fc.Arbitrary<
      CloseAttemptIntent['status']
    >;
    fc.assert(
      fc.property(
        fc.array(fc.record({ status, filled: fc.integer({ min: 0, max: 3 }), placed: fc.boolean() }), {
          maxLength: 120,
        }),
        fc.integer({ min: 1, max: 20 }),
        (rows, max) => {
          const out = policy(
            rows.map((r) =>
              intent(r.status, { filledQuantity: r.filled, ...(r.placed ? { orderId: 1 } : {}) }),
            ),
            max,
          );
          if (out.kind === 'PLACE') {
            expect(out.failed).toBeLessThan(max);
            expect(out.attempt).toBeLessThanOrEqual(MAX_INTENT_ATTEMPT);
          } else expect(out.kind).toBe('EXHAUSTED');
        },
      ),
    );
  });

  it('the config bound: exits.maxCloseAttemptsPerDay, default 3, a whole number 1–20', () => {
    expect(parseConfig({}).exits.maxCloseAttemptsPerDay).toBe(3);
    expect(parseConfig({ exits: { maxCloseAttemptsPerDay: 5 } }).exits.maxCloseAttemptsPerDay).toBe(5);
    expect(() => parseConfig({ exits: { maxCloseAttemptsPerDay: 0 } })).toThrow(
      'exits.maxCloseAttemptsPerDay',
    );
    expect(() => parseConfig({ exits: { maxCloseAttemptsPerDay: 2.5 } })).toThrow(
      'exits.maxCloseAttemptsPerDay',
    );
  });
});
