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
import type { BrokerOrder } from '../../adapters/bridge-client';
import { BridgeError } from '../../adapters/bridge-client';
import type { BridgeClient } from '../../adapters/bridge-client';
import type { Clock } from '../../adapters/clock';
import { IntentConflictError } from '../../adapters/ports';
import type { OrderIntentStore } from '../../adapters/ports';
import type { Config } from '../../core/config';
import type { OrderIntent, OrderIntentRecord, OrderIntentStatus } from '../../core/intents';
import { fillOf, ticketLegsOf } from '../../core/lifecycle';
import type { FillSummary } from '../../core/lifecycle';
import { DEFAULT_TICK, orderLifetimeMs, spreadPrices, workingOrderStep } from '../../core/orders';
import type { ComboLeg, ComboPurpose, SpreadLeg } from '../../core/orders';
import type { JobLog } from './define-job';
import { checkOptionQuote, optionQuoteRequest } from './quotes';

/** Re-reads of an order reported Filled before its fill quantity, and the wait between them. */
const MAX_SETTLE_READS = 5;
const SETTLE_WAIT_MS = 200;

/** Bridge failures a working order rides out (waits of 1, 2, … s: 15 s in all) before the run gives up. */
const BRIDGE_RETRIES = 5;
const BRIDGE_RETRY_WAIT_MS = 1000;

/**
 * Waits before retry `attempt` of a working order's bridge call, or gives up past BRIDGE_RETRIES with an
 * error that says the order may still be working (the job's CRITICAL alert carries it to a human).
 */
async function bridgeRetryWait(
  deps: OrderDeps,
  record: OrderIntentRecord,
  attempt: number,
  error: BridgeError,
): Promise<void> {
  if (attempt > BRIDGE_RETRIES) {
    throw new Error(
      `order ${record.orderId} (${record.intentKey}) may still be working at IB: the bridge failed ${attempt} times (${error.message}); the intent stays ${record.status} and the next run resumes it`,
      { cause: error },
    );
  }
  deps.log.warn('bridge unavailable while working an order: retrying', {
    intentKey: record.intentKey,
    attempt,
    error: error.message,
  });
  // Real time, not the market clock: this waits for the bridge to reconnect.
  await new Promise<void>((resolve) => setTimeout(resolve, BRIDGE_RETRY_WAIT_MS * attempt));
}

/** Time kept back for a cancel and its confirmation, fresh quotes and the writes that record them. */
export const ORDER_TIME_RESERVE_MS = 30_000;

/** IB statuses after which an order is no longer working. */
export const DONE_AT_IB: ReadonlySet<string> = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

export interface OrderTicket {
  intent: OrderIntent;
  purpose: ComboPurpose;
  /** The BAG legs as IB receives them. */
  comboLegs: ComboLeg[];
  /** The strategy's legs as held (or to be held), for natural prices from fresh quotes. */
  spreadLegs: SpreadLeg[];
  tick: number;
}

/** The order ticket of an intent (fresh or resumed, opening or closing): the core's combo legs. */
export function ticketOf(intent: OrderIntent, tick = DEFAULT_TICK): OrderTicket {
  return { intent, ...ticketLegsOf(intent), tick };
}

export interface OrderDeps {
  bridge: BridgeClient;
  intents: OrderIntentStore;
  clock: Clock;
  config: Config;
  log: JobLog;
  /** Time left in this invocation (Lambda's getRemainingTimeInMillis); absent: unbounded. */
  remainingMs?: () => number;
}

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/**
 * Whether a new order can be worked to its end in the time left: its longest life plus the reserve.
 * `reason` says why not, with both figures.
 */
export function timeForAnOrder(
  deps: Pick<OrderDeps, 'config' | 'remainingMs'>,
): { ok: true } | { ok: false; reason: string } {
  if (!deps.remainingMs) return { ok: true };
  const left = deps.remainingMs();
  const needed = orderLifetimeMs(deps.config.orders) + ORDER_TIME_RESERVE_MS;
  return left >= needed
    ? { ok: true }
    : {
        ok: false,
        reason: `${seconds(left)} left in this invocation; an order may need ${seconds(needed)} (${deps.config.orders.maxReprices} reprice(s) ${deps.config.orders.repriceSeconds} s apart, then the cancel)`,
      };
}

export interface OrderOutcome {
  intentKey: string;
  /** Final status of the intent in this run. INTENT means the order could not be placed yet (retry). */
  status: OrderIntentStatus;
  /** True when the intent already existed and this run resumed it. */
  resumed: boolean;
  orderId?: number;
  /** Contracts filled in total. */
  filledQuantity: number;
  fill?: FillSummary;
  /** Contracts left unfilled after a cancel (re-submitted by the next run). */
  unfilled: number;
  reason: string;
  record: OrderIntentRecord;
}

/** Writes the intent (or finds it) and works the order to an end within this invocation. */
export async function runOrder(deps: OrderDeps, ticket: OrderTicket): Promise<OrderOutcome> {
  const created = await deps.intents.create(ticket.intent, deps.clock.now());
  const record = created.created ? created.intent : created.existing;
  if (!created.created) {
    deps.log.info('intent exists: resuming', { intentKey: record.intentKey, status: record.status });
  }
  return workIntent(deps, ticket, record, !created.created);
}

function outcome(
  record: OrderIntentRecord,
  resumed: boolean,
  reason: string,
  extra: Partial<OrderOutcome> = {},
): OrderOutcome {
  const filled = record.filledQuantity;
  return {
    intentKey: record.intentKey,
    status: record.status,
    resumed,
    ...(record.orderId === undefined ? {} : { orderId: record.orderId }),
    filledQuantity: filled,
    unfilled: record.status === 'CANCELLED' ? Math.max(0, record.quantity - filled) : 0,
    reason,
    record,
    ...extra,
  };
}

/** Moves the intent, or returns what another writer moved it to (it lost a race; nothing was written). */
async function transition(
  deps: OrderDeps,
  record: OrderIntentRecord,
  from: OrderIntentStatus | OrderIntentStatus[],
  to: OrderIntentStatus,
  change: { orderId?: number; filledQuantity?: number; avgFillPrice?: number; reason?: string } = {},
): Promise<OrderIntentRecord> {
  try {
    return await deps.intents.transition(record.intentKey, { from, to, now: deps.clock.now(), ...change });
  } catch (error) {
    if (!(error instanceof IntentConflictError)) throw error;
    const current = await deps.intents.get(record.intentKey);
    if (!current) throw error;
    deps.log.info('intent moved by another writer', { intentKey: record.intentKey, status: current.status });
    return current;
  }
}

/** The order at IB for this orderRef: the live one, else one with fills, else the latest. */
async function findOrder(deps: OrderDeps, key: string, orderId?: number): Promise<BrokerOrder | undefined> {
  const orders = await deps.bridge.ordersByRef(key);
  return (
    orders.find((o) => o.orderId === orderId) ??
    orders.find((o) => !DONE_AT_IB.has(o.status)) ??
    orders.find((o) => o.filled > 0) ??
    orders.at(-1)
  );
}

/** Natural price of the combo now, from fresh quotes of its legs; undefined when any is unusable. */
async function naturalNow(deps: OrderDeps, ticket: OrderTicket): Promise<number | undefined> {
  const legs = ticket.intent.legs;
  // Shares of an assigned holding have no option leg to quote here: their marketable limit stays.
  if (legs.length !== ticket.spreadLegs.length) return undefined;
  const quotes = await deps.bridge.quotes(legs.map((l) => optionQuoteRequest(l.contract)));
  const now = deps.clock.now();
  const priced = [];
  for (const [i, spreadLeg] of ticket.spreadLegs.entries()) {
    const quote = quotes[i];
    if (!quote) return undefined;
    const checked = checkOptionQuote(quote, now, deps.config.filters.maxQuoteAgeSeconds, legs[i]?.contract);
    if (!checked.ok) return undefined;
    priced.push({ ...spreadLeg, quote: checked.quote });
  }
  return spreadPrices(priced, ticket.purpose).natural;
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
      return outcome(
        record,
        resumed,
        `not placed yet: ${error instanceof Error ? error.message : String(error)}`,
      );
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

async function manage(
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

/**
 * The attempt number of the next order for a subject on a trade date: one more than the cancelled
 * attempts before it, so the unfilled remainder goes out under a new orderRef (see core `intentKey`).
 */
export function nextAttempt(previous: readonly OrderIntentRecord[]): number {
  return previous.filter((r) => r.status === 'CANCELLED').length;
}

/** The order workflow's ports, from a job's run context. */
export function orderDeps(ctx: {
  bridge: BridgeClient;
  stores: { intents: OrderIntentStore };
  clock: Clock;
  config: Config;
  log: JobLog;
  remainingMs?: () => number;
}): OrderDeps {
  return {
    bridge: ctx.bridge,
    intents: ctx.stores.intents,
    clock: ctx.clock,
    config: ctx.config,
    log: ctx.log,
    ...(ctx.remainingMs ? { remainingMs: ctx.remainingMs } : {}),
  };
}
