// The monitor's exits: placing and resuming a closing order, the exit attempt policy per day, and what
// follows an exit (closed, part-closed, refused, dry run), each with its alert.
import type { PositionRecord } from '#adapters/ports';
import { IntentConflictError, PositionConflictError } from '#adapters/ports';
import { describePosition, usd } from '#core/alerts';
import { RULES } from '#core/decision';
import type { Decision } from '#core/decision';
import type { OrderIntent, OrderIntentRecord } from '#core/intents';
import { closeRealisedUsd } from '#core/lifecycle';
import { nextCloseAttempt } from '#core/orders';
import type { CloseAttempt } from '#core/orders';
import { closableSpread } from '#core/holdings';
import type { StrategyPosition } from '#core/types';
import type { RunContext } from '../shared/define-job';
import { orderDeps, runOrder, ticketOf } from '../shared/order-workflow';
import type { OrderOutcome } from '../shared/order-workflow';
import { heldAtIbNow } from '../shared/holdings';
import { applyPartialClose } from './partial-closes';
import { errorMessage } from '../shared/errors';

// The legs of the intent hold the strategy's actions (SELL = short), as an opening intent does, so the
// same ticket builder gives the BAG for the close.
export async function closePosition(
  ctx: RunContext,
  position: PositionRecord,
  decision: Decision,
  intent: OrderIntent,
  counts: Record<string, number>,
  reasons: string[],
): Promise<void> {
  const outcome = await runOrder(orderDeps(ctx), ticketOf(intent));
  if (!outcome.resumed && outcome.record.orderId !== undefined) counts.exitsPlaced! += 1;
  await afterExit(ctx, position, outcome, `rule ${decision.rule} ${decision.ruleName}`, counts, reasons);
}

export async function resumeExit(
  ctx: RunContext,
  position: PositionRecord,
  order: OrderIntentRecord,
  counts: Record<string, number>,
  reasons: string[],
): Promise<void> {
  const outcome = await runOrder(orderDeps(ctx), ticketOf(order));
  const rule = RULES.find((r) => r.number === order.rule);
  await afterExit(
    ctx,
    position,
    outcome,
    rule ? `rule ${rule.number} ${rule.name}` : 'exit',
    counts,
    reasons,
  );
}

/** The exit attempt policy (core `nextCloseAttempt`) over the position's closing intents of this mode. */
export async function closeAttempt(
  ctx: RunContext,
  positionId: string,
  dryRun: boolean,
): Promise<CloseAttempt<OrderIntentRecord>> {
  const closes = (await ctx.stores.intents.listByPosition(positionId)).filter(
    (r) => r.purpose === 'CLOSE' && r.dryRun === dryRun,
  );
  return nextCloseAttempt(closes, {
    tradeDate: ctx.tradeDate,
    maxAttempts: ctx.config.exits.maxCloseAttemptsPerDay,
  });
}

/**
 * The CRITICAL once a position's exits are used up for the day. Keyed on the position, so the cooldown
 * keeps the cycles after it from repeating it (at most once per `alerts.cooldownMinutes`).
 */
export async function alertExitsExhausted(
  ctx: RunContext,
  position: PositionRecord,
  why: string,
  exhausted: Extract<CloseAttempt, { kind: 'EXHAUSTED' }>,
): Promise<void> {
  await ctx.alert({
    subject: position.id,
    rule: 'exits-exhausted',
    severity: 'CRITICAL',
    positionId: position.id,
    title: `Exits exhausted: ${position.symbol}`,
    message: `${describePosition(position)}: ${why} wants it closed, but ${exhausted.text}. No further exit order today: close it by hand.`,
    numbers: { failedAttempts: exhausted.failed, maxAttempts: exhausted.maxAttempts },
  });
}

/**
 * A close that ended without closing anything (rejected, or cancelled with nothing filled): the next
 * cycle tries again under a new key unless that was the day's last attempt, which alerts CRITICAL.
 */
async function afterFailedExit(
  ctx: RunContext,
  position: PositionRecord,
  outcome: OrderOutcome,
  why: string,
): Promise<void> {
  const next = await closeAttempt(ctx, position.id, outcome.record.dryRun);
  if (next.kind === 'EXHAUSTED') {
    await alertExitsExhausted(ctx, position, why, next);
    return;
  }
  // Unfilled cancels are the price policy at work (no alert, as before); another close working: no retry.
  if (outcome.status !== 'REJECTED' || next.kind !== 'PLACE') return;
  await ctx.alert({
    subject: outcome.intentKey,
    rule: 'order-rejected',
    severity: 'WARNING',
    positionId: position.id,
    title: `Exit rejected: ${position.symbol}`,
    message: `${describePosition(position)} (${why}): exit attempt ${next.failed} of ${next.maxAttempts} today rejected: ${outcome.record.statusReason ?? outcome.reason}; tried again on the next cycle.`,
  });
}

async function afterExit(
  ctx: RunContext,
  position: PositionRecord,
  outcome: OrderOutcome,
  why: string,
  counts: Record<string, number>,
  reasons: string[],
): Promise<void> {
  reasons.push(`${position.id}: ${outcome.status} (${outcome.reason})`);
  if (outcome.status === 'DRY_RUN') {
    await ctx.alert({
      subject: outcome.intentKey,
      rule: 'dry-run',
      severity: 'INFO',
      positionId: position.id,
      title: `Dry run: close ${position.symbol}`,
      message: `Dry run, nothing sent: would close ${describePosition(position)} at ${outcome.record.limitPrice.toFixed(2)} (${why}).`,
    });
    return;
  }
  if (outcome.status === 'REJECTED' || (outcome.status === 'CANCELLED' && outcome.filledQuantity === 0)) {
    await afterFailedExit(ctx, position, outcome, why);
    return;
  }
  const fill = outcome.fill;
  if (!fill || fill.filledQuantity <= 0 || outcome.record.appliedAt !== undefined) return;
  if (fill.filledQuantity < position.quantity) {
    // Part closed: the rest stays open under the same id and the next run closes it (attempt + 1).
    const left = position.quantity - fill.filledQuantity;
    await applyPartialClose(ctx, position, outcome.intentKey, fill);
    reasons.push(`${position.id}: ${fill.filledQuantity} of ${position.quantity} closed, ${left} left open`);
    // A partial fill left open after the last reprice: the next run re-submits the rest (attempt + 1).
    await ctx.alert({
      subject: position.id,
      rule: 'partial-exit',
      severity: 'WARNING',
      positionId: position.id,
      title: `Exit part-filled: ${position.symbol}`,
      message: `${describePosition(position)}: ${fill.filledQuantity} of ${position.quantity} closed at ${Math.abs(fill.avgFillPrice).toFixed(2)} (${why}); ${left} left open, re-submitted on the next run.`,
      numbers: { filled: fill.filledQuantity, left },
    });
    return;
  }
  const debit = Math.abs(fill.avgFillPrice);
  // The last close of the position also carries the opening commissions.
  const realisedPnlUsd = closeRealisedUsd(position, fill, position.quantity, position.commissionsUsd);
  try {
    await ctx.stores.positions.closeFromFill({
      intentKey: outcome.intentKey,
      positionId: position.id,
      fill,
      realisedPnlUsd,
      reason: why,
      now: ctx.clock.now(),
    });
    counts.closed! += 1;
    await ctx.alert({
      subject: outcome.intentKey,
      rule: 'closed',
      severity: 'INFO',
      positionId: position.id,
      title: `Closed ${position.symbol} ${usd(realisedPnlUsd)}`,
      message: `Closed ${describePosition(position)} at ${debit.toFixed(2)} (${why}): realised ${usd(realisedPnlUsd)}.`,
      numbers: { realisedPnlUsd },
    });
  } catch (error) {
    if (!(error instanceof IntentConflictError || error instanceof PositionConflictError)) throw error;
  }
}

/**
 * The spreads of the position IB holds right now (bridge /positions), for the closing combo; `problem`
 * says what differs (a leg IB holds less of, or /positions unreadable: then nothing is closable).
 */
export async function closableNow(
  ctx: RunContext,
  position: PositionRecord,
): Promise<{ position: StrategyPosition; problem?: string }> {
  let atIb: Map<number, number>;
  try {
    atIb = await heldAtIbNow(ctx);
  } catch (error) {
    const why = errorMessage(error);
    return {
      position: { ...position, quantity: 0, legs: [] },
      problem: `not closed: IB's positions could not be read just before the order (${why})`,
    };
  }
  const closable = closableSpread(position, atIb);
  if (closable.missing.length === 0) return { position };
  return {
    position: closable.position,
    problem: `IB no longer holds every leg: ${closable.missing.join(', ')}; closing ${closable.position.quantity} of ${position.quantity} spread(s)`,
  };
}
