// Working a placed order to its end: fills recorded as they come, reprices toward natural every
// `repriceSeconds`, and a cancel (confirmed by IB) after `maxReprices` or when the invocation runs short.
import type { BrokerOrder } from '#adapters/bridge-client';
import { BridgeError } from '#adapters/bridge-client';
import type { OrderIntentRecord } from '#core/intents';
import { fillOf } from '#core/lifecycle';
import { workingOrderStep } from '#core/orders';
import { bridgeRetryWait, findOrder, naturalNow, transition } from './order-at-ib';
import { DONE_AT_IB, ORDER_TIME_RESERVE_MS, outcome, seconds } from './order-ticket';
import type { OrderDeps, OrderOutcome, OrderTicket } from './order-ticket';

/** Re-reads of an order reported Filled before its fill quantity, and the wait between them. */
const MAX_SETTLE_READS = 5;
const SETTLE_WAIT_MS = 200;

/** Works a placed order (as IB last showed it) until it fills, IB ends it or it is cancelled. */
export async function manage(
  deps: OrderDeps,
  ticket: OrderTicket,
  start: OrderIntentRecord,
  firstView: BrokerOrder,
  resumed: boolean,
): Promise<OrderOutcome> {
  const { orders } = deps.config;
  let record = start;
  let view = firstView;
  const orderId = view.orderId;
  let limit = record.limitPrice;
  let repriceCount = record.repriceCount;
  let lastPricedAt = record.updatedAt;
  let settleReads = 0;

  // One step of working the order; undefined: go round again.
  const workOnce = async (): Promise<{ done: OrderOutcome } | undefined> => {
    // Fills first: a fill can arrive at any step.
    if (
      view.filled > record.filledQuantity &&
      view.filled < record.quantity &&
      !DONE_AT_IB.has(view.status)
    ) {
      record = await transition(deps, record, ['SUBMITTED', 'PARTIAL'], 'PARTIAL', {
        filledQuantity: view.filled,
        ...(view.averagePrice === undefined ? {} : { avgFillPrice: view.averagePrice }),
        reason: `${view.filled} of ${record.quantity} filled`,
      });
    }
    // IB sends a fill's OPEN_ORDER (Filled) before the ORDER_STATUS with the quantities. The bridge now
    // takes Filled only with the quantities; this re-read stays as a second guard for any bridge or
    // gateway that does not: read the order again a few times before recording a short fill.
    if (view.status === 'Filled' && view.filled < record.quantity && settleReads < MAX_SETTLE_READS) {
      settleReads += 1;
      await deps.clock.sleep(SETTLE_WAIT_MS);
      view = (await findOrder(deps, record.intentKey, orderId)) ?? view;
      return undefined;
    }
    if (view.status === 'Filled' || view.filled >= record.quantity) {
      // Still short after the re-reads: Filled means nothing remains, so the quantity is what IB left.
      const fill = fillOf(
        view.status === 'Filled'
          ? { ...view, filled: Math.max(view.filled, record.quantity - view.remaining) }
          : view,
        limit,
      );
      record = await transition(deps, record, ['SUBMITTED', 'PARTIAL'], 'FILLED', {
        orderId,
        filledQuantity: fill.filledQuantity,
        avgFillPrice: fill.avgFillPrice,
        reason: `filled ${fill.filledQuantity} at ${fill.avgFillPrice}`,
      });
      return {
        done: outcome(record, resumed, `filled ${fill.filledQuantity} at ${fill.avgFillPrice}`, { fill }),
      };
    }
    if (DONE_AT_IB.has(view.status)) {
      const fill = view.filled > 0 ? fillOf(view, limit) : undefined;
      const reason = `IB reports ${view.status}: ${view.filled} of ${record.quantity} filled`;
      record = await transition(deps, record, ['SUBMITTED', 'PARTIAL'], 'CANCELLED', {
        filledQuantity: view.filled,
        ...(fill ? { avgFillPrice: fill.avgFillPrice } : {}),
        reason,
      });
      return { done: outcome(record, resumed, reason, fill ? { fill } : {}) };
    }

    const dueAt = lastPricedAt + orders.repriceSeconds * 1000;
    const now = deps.clock.now();
    // Waiting for the next step must leave the reserve for a cancel; otherwise cancel now.
    const left = deps.remainingMs?.();
    const outOfTime = left !== undefined && left - Math.max(0, dueAt - now) < ORDER_TIME_RESERVE_MS;
    if (!outOfTime && now < dueAt) {
      await deps.clock.sleep(dueAt - now);
      view = (await findOrder(deps, record.intentKey, orderId)) ?? view;
      return undefined;
    }
    const natural = outOfTime ? undefined : await naturalNow(deps, ticket);
    const step = outOfTime
      ? ({ kind: 'CANCEL' } as const)
      : workingOrderStep(
          { limit, repriceCount, lastPricedAt, purpose: ticket.purpose },
          natural ?? limit,
          deps.clock.now(),
          orders,
          ticket.tick,
        );
    if (step.kind === 'WAIT') return undefined;
    if (step.kind === 'REPRICE') {
      if (natural === undefined) {
        // Without usable quotes the price cannot be moved safely; count the step and keep the limit.
        deps.log.warn('no usable quotes to reprice: limit kept', { intentKey: record.intentKey });
      }
      try {
        view = await deps.bridge.modifyOrder(orderId, step.limit);
        limit = step.limit;
        record = await deps.intents.recordReprice(record.intentKey, {
          limitPrice: limit,
          now: deps.clock.now(),
        });
      } catch (error) {
        // 409: it filled or was cancelled meanwhile; read the order again and let the loop see it.
        if (!(error instanceof BridgeError) || error.status !== 409) throw error;
        view = (await findOrder(deps, record.intentKey, orderId)) ?? view;
      }
      repriceCount += 1;
      lastPricedAt = deps.clock.now();
      return undefined;
    }
    // CANCEL: only once IB confirms; a fill that beat the cancel is a fill.
    try {
      view = await deps.bridge.cancelOrder(orderId);
    } catch (error) {
      if (!(error instanceof BridgeError) || error.status !== 409) throw error;
      view = (await findOrder(deps, record.intentKey, orderId)) ?? view;
      return undefined;
    }
    const fill = view.filled > 0 ? fillOf(view, limit) : undefined;
    const unfilled = record.quantity - view.filled;
    const why = outOfTime
      ? `cancelled with ${seconds(left!)} left in this invocation, too little to work it further`
      : `cancelled after ${repriceCount} reprice(s)`;
    const reason = `${why}: ${view.filled} of ${record.quantity} filled, ${unfilled} left for the next run`;
    record = await transition(deps, record, ['SUBMITTED', 'PARTIAL'], 'CANCELLED', {
      filledQuantity: view.filled,
      ...(fill ? { avgFillPrice: fill.avgFillPrice } : {}),
      reason,
    });
    return { done: outcome(record, resumed, reason, fill ? { fill } : {}) };
  };

  // A bridge that cannot answer for a moment (IB reconnecting, 1100/1101, a restart) must not end the
  // run with the order working and nobody watching it: wait and go round again, a few times.
  let bridgeTrouble = 0;
  for (;;) {
    try {
      const result = await workOnce();
      if (result) return result.done;
    } catch (error) {
      if (!(error instanceof BridgeError) || !error.retryable) throw error;
      bridgeTrouble += 1;
      await bridgeRetryWait(deps, record, bridgeTrouble, error);
    }
  }
}
