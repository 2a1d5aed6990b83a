// The monitor's part of assigned holdings (shares and orphaned legs an assignment left, core
// `holdings.ts`): at the next session's first cycle after the assignment, a CRITICAL alert, then one
// single-leg limit order per holding through the same idempotent intent path as every order (purpose
// CLOSE_HOLDING), built from what IB holds at that moment. `exits.assignedHoldings: 'alert'` alerts only.
import type { BrokerQuote } from '#adapters/bridge-client';
import type { PositionRecord } from '#adapters/ports';
import { describePosition, usd } from '#core/alerts';
import { describeHoldings, hasAssignedHoldings, holdingCloseOrders, holdingsDue } from '#core/holdings';
import type { HoldingOrder } from '#core/holdings';
import type { OrderIntent } from '#core/intents';
import { DEFAULT_TICK, intentKey } from '#core/orders';
import type { StrategyPosition } from '#core/types';
import type { RunContext } from '../shared/define-job';
import { applyHoldingIntentFill, heldAtIbNow } from '../shared/holdings';
import { nextAttempt, orderDeps, runOrder, ticketOf } from '../shared/order-workflow';
import type { OrderTicket } from '../shared/order-workflow';
import { optionQuoteRequest } from '../shared/quotes';

/** Bid/ask by conId of the holdings, from a fresh, non-delayed quote; absent when unusable. */
async function holdingQuotes(
  ctx: RunContext,
  position: StrategyPosition,
): Promise<Map<number, { bid: number; ask: number }>> {
  const requests = [
    ...(position.stock ? [{ secType: 'STK' as const, conId: position.stock.conId }] : []),
    ...(position.orphanLegs ?? []).map((l) => optionQuoteRequest(l.contract)),
  ];
  const quotes: BrokerQuote[] = requests.length > 0 ? await ctx.bridge.quotes(requests) : [];
  const now = ctx.clock.now();
  const out = new Map<number, { bid: number; ask: number }>();
  quotes.forEach((q, i) => {
    const conId = requests[i]!.conId ?? q.contract.conId;
    const fresh = now - q.timestamp <= ctx.config.filters.maxQuoteAgeSeconds * 1000;
    if (
      conId !== undefined &&
      !q.error &&
      !q.delayed &&
      fresh &&
      q.bid !== undefined &&
      q.ask !== undefined
    ) {
      out.set(conId, { bid: q.bid, ask: q.ask });
    }
  });
  return out;
}

/** The intent and ticket of one holding order (the bridge's sign convention: a sale receives, so < 0). */
function holdingTicket(
  position: PositionRecord,
  order: HoldingOrder,
  key: string,
  ctx: RunContext,
  dryRun: boolean,
): OrderTicket {
  const orphan = (position.orphanLegs ?? []).find((l) => l.contract.conId === order.conId);
  const intent: OrderIntent = {
    intentKey: key,
    tradeDate: ctx.tradeDate,
    purpose: 'CLOSE_HOLDING',
    strategy: position.strategy,
    symbol: position.symbol,
    positionId: position.id,
    legs: orphan
      ? [{ contract: orphan.contract, action: orphan.quantity < 0 ? 'SELL' : 'BUY', ratio: 1 }]
      : [],
    action: 'BUY',
    quantity: order.quantity,
    limitPrice: order.action === 'SELL' ? -order.limitPrice : order.limitPrice,
    dryRun,
    reason: `assigned holdings: ${order.reason}`,
    createdBy: 'monitor',
    holding: { kind: order.kind, conId: order.conId, action: order.action, quantity: order.quantity },
  };
  if (orphan) return ticketOf(intent);
  const held = order.action === 'SELL' ? 'LONG' : 'SHORT';
  return {
    intent,
    purpose: 'CLOSE',
    comboLegs: [{ conId: order.conId, action: order.action, ratio: 1 }],
    spreadLegs: [{ conId: order.conId, held, ratio: 1 }],
    tick: DEFAULT_TICK,
  };
}

/**
 * Closes (or alerts) the position's assigned holdings when they are due. Returns the promise of the
 * orders' work, so the monitor can work them alongside its other exits.
 */
export async function manageAssignedHoldings(
  ctx: RunContext,
  position: PositionRecord,
  dryRun: boolean,
  counts: Record<string, number>,
  reasons: string[],
): Promise<Promise<void> | undefined> {
  if (!hasAssignedHoldings(position)) return undefined;
  const what = describeHoldings(position);
  if (!holdingsDue(position, ctx.market)) {
    reasons.push(`${position.id}: assigned holdings (${what}) wait for the next session's first cycle`);
    return undefined;
  }
  const mode = ctx.config.exits.assignedHoldings;
  if (mode === 'alert' || ctx.config.trading.killSwitch) {
    const why = mode === 'alert' ? "exits.assignedHoldings is 'alert'" : 'the kill switch is on';
    reasons.push(`${position.id}: assigned holdings (${what}) not closed: ${why}`);
    await ctx.alert({
      subject: position.id,
      rule: 'assigned-holdings',
      severity: 'CRITICAL',
      positionId: position.id,
      title: `Assigned holdings: ${position.symbol}`,
      message: `${describePosition(position)}: holds ${what} from an assignment; not closed because ${why}. Close them by hand.`,
    });
    return undefined;
  }
  // Just before the orders: what IB holds now, and fresh quotes.
  const [atIb, quotes] = await Promise.all([heldAtIbNow(ctx), holdingQuotes(ctx, position)]);
  const plan = holdingCloseOrders(position, atIb, (conId) => quotes.get(conId));
  const missing = plan.missing.length > 0 ? ` Not ordered: ${plan.missing.join('; ')}.` : '';
  await ctx.alert({
    subject: position.id,
    rule: 'assigned-holdings',
    severity: 'CRITICAL',
    positionId: position.id,
    title: `Closing assigned holdings: ${position.symbol}`,
    message: `${describePosition(position)}: closing ${what} from an assignment with limit orders: ${plan.orders.map((o) => o.reason).join('; ') || 'none'}.${missing}`,
  });
  if (plan.orders.length === 0) {
    reasons.push(`${position.id}: assigned holdings (${what}) cannot be ordered:${missing}`);
    return undefined;
  }
  const previous = (await ctx.stores.intents.listByPosition(position.id)).filter(
    (r) => r.purpose === 'CLOSE_HOLDING' && r.tradeDate === ctx.tradeDate,
  );
  return Promise.all(
    plan.orders.map(async (order) => {
      const attempt = nextAttempt(previous.filter((r) => r.holding?.conId === order.conId));
      const subjectId = `${position.id}|${order.conId}${dryRun ? '|dry-run' : ''}`;
      const key = intentKey({ tradeDate: ctx.tradeDate, subjectId, purpose: 'CLOSE_HOLDING', attempt });
      const outcome = await runOrder(orderDeps(ctx), holdingTicket(position, order, key, ctx, dryRun));
      if (!outcome.resumed && outcome.record.orderId !== undefined) counts.exitsPlaced! += 1;
      reasons.push(
        `${position.id}: ${order.kind} ${order.action} ${order.quantity}: ${outcome.status} (${outcome.reason})`,
      );
      const fill = outcome.fill;
      if (!fill || fill.filledQuantity <= 0) return;
      const applied = await applyHoldingIntentFill(ctx, outcome.record, {
        quantity: fill.filledQuantity,
        price: Math.abs(fill.avgFillPrice),
        commissionsUsd: fill.commissionsUsd ?? 0,
      });
      if (applied?.position.status === 'CLOSED') {
        counts.closed! += 1;
        const total = applied.position.realisedPnlUsd ?? 0;
        await ctx.alert({
          subject: key,
          rule: 'closed',
          severity: 'INFO',
          positionId: position.id,
          title: `Closed ${position.symbol} ${usd(total)}`,
          message: `${describePosition(position)}: the last assigned holding is closed; realised over the position's life ${usd(total)}.`,
          numbers: { realisedPnlUsd: total },
        });
      }
    }),
  ).then(() => undefined);
}
