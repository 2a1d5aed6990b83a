// The one path every order takes, opening (execute-strategies) or closing (monitor):
//
//   1. write the intent with a conditional put; its key (core `intentKey`) is the IB orderRef;
//   2. if the intent already existed, RESUME it from its status instead of starting over: INTENT means a
//      run wrote it and stopped before the order went out (a crash), so the order is placed now with the
//      same orderRef; the bridge answers `duplicate: true` if it had gone out after all;
//   3. place a limit combo (never a market order), starting at mid (urgent exits at natural);
//   4. every `repriceSeconds` move toward natural with fresh quotes (PUT /orders/:id); after
//      `maxReprices` cancel, wait for IB's confirmation, and record the unfilled remainder, which the
//      next run re-submits under attempt + 1;
//   5. record partial and full fills on the intent; the caller applies them to positions.
//
// Never an order the invocation cannot see to its end: a new order goes out only with time left for its
// whole life (`orderLifetimeMs` plus a reserve), and a working order is cancelled, not abandoned, when
// the time left runs down to the reserve (a Lambda stopped by its timeout would leave it working unwatched).
//
// A retried or doubled invocation therefore never produces a second order for one intent: the intent
// exists once (conditional put), and the orderRef exists once at IB (the bridge's dedup).
import type { BrokerOrder } from '#adapters/bridge-client';
import { BridgeError } from '#adapters/bridge-client';
import type { OrderIntentRecord } from '#core/intents';
import { bridgeRetryWait, findOrder, transition } from './order-at-ib';
import { outcome, timeForAnOrder } from './order-ticket';
import type { OrderDeps, OrderOutcome, OrderTicket } from './order-ticket';
import { manage } from './working-order';
import { errorMessage } from './errors';

// The workflow's public parts, kept importable from here.
export {
  DONE_AT_IB,
  nextAttempt,
  ORDER_TIME_RESERVE_MS,
  orderDeps,
  ticketOf,
  timeForAnOrder,
} from './order-ticket';
export type { OrderDeps, OrderOutcome, OrderTicket } from './order-ticket';

/** Writes the intent (or finds it) and works the order to an end within this invocation. */
export async function runOrder(deps: OrderDeps, ticket: OrderTicket): Promise<OrderOutcome> {
  const created = await deps.intents.create(ticket.intent, deps.clock.now());
  const record = created.created ? created.intent : created.existing;
  if (!created.created) {
    deps.log.info('intent exists: resuming', { intentKey: record.intentKey, status: record.status });
  }
  return workIntent(deps, ticket, record, !created.created);
}

async function workIntent(
  deps: OrderDeps,
  ticket: OrderTicket,
  initial: OrderIntentRecord,
  resumed: boolean,
): Promise<OrderOutcome> {
  let record = initial;
  const { trading } = deps.config;
  const key = record.intentKey;

  switch (record.status) {
    case 'DRY_RUN':
    case 'REJECTED':
      return outcome(record, resumed, `intent already ${record.status}`);
    case 'FILLED':
    case 'CANCELLED':
      return outcome(record, resumed, `intent already ${record.status}`);
    default:
      break;
  }

  let view: BrokerOrder | null | undefined; // null: IB has no such order
  if (record.status === 'INTENT') {
    if (record.dryRun) {
      record = await transition(deps, record, 'INTENT', 'DRY_RUN', {
        reason: 'dry run: nothing transmitted',
      });
      return outcome(record, resumed, 'dry run: recorded, nothing transmitted');
    }
    // The switches are read again here: a resumed intent from before the kill switch must not go out.
    if (trading.killSwitch || (trading.closeOnly && record.purpose === 'OPEN')) {
      const why = trading.killSwitch ? 'kill switch is on' : 'close-only mode';
      record = await transition(deps, record, 'INTENT', 'CANCELLED', { reason: `${why}: not placed` });
      return outcome(record, resumed, `${why}: not placed`);
    }
    const time = timeForAnOrder(deps);
    if (!time.ok) {
      // Left as INTENT: the next run places it under the same orderRef.
      return outcome(record, resumed, `not placed yet: ${time.reason}`);
    }
    try {
      const placed = await deps.bridge.placeOrder({
        orderRef: key,
        legs: ticket.comboLegs,
        action: record.action,
        quantity: record.quantity,
        orderType: 'LMT',
        limitPrice: record.limitPrice,
        tif: deps.config.orders.timeInForce,
      });
      view = placed;
      deps.log.info(placed.duplicate ? 'order already at IB (same orderRef)' : 'order placed', {
        intentKey: key,
        orderId: placed.orderId,
        status: placed.status,
      });
      record = await transition(deps, record, 'INTENT', 'SUBMITTED', {
        orderId: placed.orderId,
        reason: placed.duplicate ? 'found at IB under the same orderRef' : 'placed',
      });
    } catch (error) {
      if (error instanceof BridgeError && !error.retryable) {
        record = await transition(deps, record, 'INTENT', 'REJECTED', { reason: error.message });
        return outcome(record, resumed, `rejected: ${error.message}`);
      }
      // Not placed or not known: the intent stays INTENT and the next run resumes it (same orderRef).
      return outcome(record, resumed, `not placed yet: ${errorMessage(error)}`);
    }
  }
  if (record.status !== 'SUBMITTED' && record.status !== 'PARTIAL') {
    return outcome(record, resumed, `intent ${record.status}`);
  }
  for (let attempt = 1; view === undefined; attempt++) {
    try {
      view = (await findOrder(deps, key, record.orderId)) ?? null;
    } catch (error) {
      if (!(error instanceof BridgeError) || !error.retryable) throw error;
      await bridgeRetryWait(deps, record, attempt, error);
    }
  }
  if (!view) {
    record = await transition(deps, record, ['SUBMITTED', 'PARTIAL'], 'CANCELLED', {
      reason: 'IB has no order and no execution with this orderRef',
    });
    return outcome(record, resumed, 'order not found at IB');
  }
  return manage(deps, ticket, record, view, resumed);
}
