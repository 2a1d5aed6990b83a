// The order workflow's parts every job sees: the ticket of an intent, the ports, the outcome of an
// order, and the time an order needs (an order goes out only with time left to see it to its end).
import type { BridgeClient } from '#adapters/bridge-client';
import type { Clock } from '#adapters/clock';
import type { OrderIntentStore } from '#adapters/ports';
import type { Config } from '#core/config';
import type { OrderIntent, OrderIntentRecord, OrderIntentStatus } from '#core/intents';
import { ticketLegsOf } from '#core/lifecycle';
import type { FillSummary } from '#core/lifecycle';
import { DEFAULT_TICK, orderLifetimeMs } from '#core/orders';
import type { ComboLeg, ComboPurpose, SpreadLeg } from '#core/orders';
import type { JobLog } from './define-job';

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

export const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

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

export function outcome(
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
