// What the order workflow asks of its ports while an order works: intent transitions that lose races
// gracefully, the order at IB for an orderRef, the natural price now, and riding out bridge trouble.
import type { BridgeError, BrokerOrder } from '#adapters/bridge-client';
import { IntentConflictError } from '#adapters/ports';
import type { OrderIntentRecord, OrderIntentStatus } from '#core/intents';
import { spreadPrices } from '#core/orders';
import { checkOptionQuote, optionQuoteRequest } from './quotes';
import { DONE_AT_IB } from './order-ticket';
import type { OrderDeps, OrderTicket } from './order-ticket';

/** Bridge failures a working order rides out (waits of 1, 2, … s: 15 s in all) before the run gives up. */
const BRIDGE_RETRIES = 5;
const BRIDGE_RETRY_WAIT_MS = 1000;

/**
 * Waits before retry `attempt` of a working order's bridge call, or gives up past BRIDGE_RETRIES with an
 * error that says the order may still be working (the job's CRITICAL alert carries it to a human).
 */
export async function bridgeRetryWait(
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

/** Moves the intent, or returns what another writer moved it to (it lost a race; nothing was written). */
export async function transition(
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
export async function findOrder(
  deps: OrderDeps,
  key: string,
  orderId?: number,
): Promise<BrokerOrder | undefined> {
  const orders = await deps.bridge.ordersByRef(key);
  return (
    orders.find((o) => o.orderId === orderId) ??
    orders.find((o) => !DONE_AT_IB.has(o.status)) ??
    orders.find((o) => o.filled > 0) ??
    orders.at(-1)
  );
}

/** Natural price of the combo now, from fresh quotes of its legs; undefined when any is unusable. */
export async function naturalNow(deps: OrderDeps, ticket: OrderTicket): Promise<number | undefined> {
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
