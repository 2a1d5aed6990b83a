// The exit attempt policy: when the monitor may place another close for a position, and when it stops
// for the day (trading rules, "Orders").
import { MAX_INTENT_ATTEMPT } from './intent-key';
import { WORKING_STATUSES } from './intents';
import type { OrderIntentStatus } from './intents';
import type { IsoDate } from './types';

/** What the exit attempt policy reads of a position's closing intents (the stored record fits). */
export interface CloseAttemptIntent {
  intentKey: string;
  tradeDate: IsoDate;
  status: OrderIntentStatus;
  filledQuantity: number;
  /** IB's order id; undefined when the order never reached IB. */
  orderId?: number;
  /** Why it ended: IB's rejection text, "cancelled after 3 reprice(s): 0 of 1 filled", ... */
  statusReason?: string;
}

export type CloseAttempt<T extends CloseAttemptIntent = CloseAttemptIntent> =
  /** A close is working (or written and not yet placed): manage it, never a second order. */
  | { kind: 'WORKING'; intent: T }
  /** Place the next close under intent-key attempt `attempt`; `failed` of `maxAttempts` used today. */
  | { kind: 'PLACE'; attempt: number; failed: number; maxAttempts: number }
  /** No further close today; `text` says why, with IB's reason for the last failed attempt. */
  | { kind: 'EXHAUSTED'; failed: number; maxAttempts: number; last: T; text: string };

/**
 * The exit attempt policy: what the monitor does when a rule wants a position closed, given every
 * closing intent of the position (oldest first) and the trade date.
 *
 * - Any close still working (INTENT, SUBMITTED, PARTIAL, of any day) → WORKING: it is managed, never
 *   doubled.
 * - Each of today's closes that ended without closing the position (REJECTED or CANCELLED) moves the
 *   next one to a new attempt key, so a rejected close is tried again on the next cycle instead of
 *   finding "intent already REJECTED" forever.
 * - Failed attempts — REJECTED (IB or the bridge refused it), or CANCELLED with nothing filled before
 *   it ever reached IB (no order id) — count toward `maxAttempts` per day; once used up → EXHAUSTED
 *   until the next trading day. An order that worked at IB and was cancelled unfilled after its last
 *   reprice is not a failure: the market did not meet the price, and the next cycle tries again from
 *   fresh quotes (counting it would let three unfilled exits in a fast market block the stop loss for
 *   the rest of the day). A part-filled cancel made progress: its remainder goes out under the next
 *   key without using up an attempt (the position shrinks with each one, which bounds them).
 * - FILLED and DRY_RUN intents neither fail nor move the key (a dry run finds its own record again).
 */
export function nextCloseAttempt<T extends CloseAttemptIntent>(
  intents: readonly T[],
  { tradeDate, maxAttempts }: { tradeDate: IsoDate; maxAttempts: number },
): CloseAttempt<T> {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError(`maxAttempts must be a whole number ≥ 1, got ${maxAttempts}`);
  const working = intents.find((i) => WORKING_STATUSES.includes(i.status));
  if (working) return { kind: 'WORKING', intent: working };
  const ended = intents.filter(
    (i) => i.tradeDate === tradeDate && (i.status === 'REJECTED' || i.status === 'CANCELLED'),
  );
  const failed = ended.filter(
    (i) => i.status === 'REJECTED' || (i.filledQuantity === 0 && i.orderId === undefined),
  );
  const reasonOf = (i: T) => i.statusReason ?? `intent ${i.status}`;
  if (failed.length >= maxAttempts) {
    const last = failed.at(-1)!;
    return {
      kind: 'EXHAUSTED',
      failed: failed.length,
      maxAttempts,
      last,
      text: `exit attempts exhausted (${failed.length} of ${maxAttempts} today): ${reasonOf(last)}`,
    };
  }
  if (ended.length > MAX_INTENT_ATTEMPT) {
    const last = ended.at(-1)!;
    return {
      kind: 'EXHAUSTED',
      failed: failed.length,
      maxAttempts,
      last,
      text: `exit attempts exhausted (${ended.length} orders today, the most one day's intent keys allow): ${reasonOf(last)}`,
    };
  }
  return { kind: 'PLACE', attempt: ended.length, failed: failed.length, maxAttempts };
}
