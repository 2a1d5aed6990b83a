// position-sync's own fills: executions of our orders no run applied open or close their position, and
// intents of earlier days still marked working are closed out against what IB says.
import type { BrokerExecution } from '#adapters/bridge-client';
import { IntentConflictError, PositionConflictError } from '#adapters/ports';
import type { OrderIntentRecord } from '#core/intents';
import { closeRealisedUsd, fillOf, positionFromFill, summariseFills } from '#core/lifecycle';
import type { RunContext } from '../shared/define-job';
import { DONE_AT_IB } from '../shared/order-workflow';
import { applyOpenFill } from '../shared/positions';
import { applyHoldingIntentFill } from '../shared/holdings';

/** Applies a full fill of our own intent that no run applied yet: opens or closes its position once. */
export async function applyFills(
  ctx: RunContext,
  intent: OrderIntentRecord,
  executions: readonly BrokerExecution[],
  reasons: string[],
): Promise<'opened' | 'closed' | 'none'> {
  if (intent.appliedAt !== undefined || intent.dryRun) return 'none';
  if (intent.holding) {
    // Shares or an orphaned leg of an assigned holding: applied once (the ledger entry carries the key).
    const own = executions.filter((e) => e.contract.conId === intent.holding!.conId);
    const quantity = own.reduce((s, e) => s + e.shares, 0);
    const price = quantity > 0 ? own.reduce((s, e) => s + e.shares * e.price, 0) / quantity : 0;
    const commissionsUsd = Math.round(own.reduce((s, e) => s + (e.commission ?? 0), 0) * 100) / 100;
    const applied = await applyHoldingIntentFill(ctx, intent, { quantity, price, commissionsUsd });
    if (applied) reasons.push(`${intent.intentKey}: assigned holding closed from its fill`);
    return applied ? 'closed' : 'none';
  }
  const fill = summariseFills(executions, intent);
  if (fill.filledQuantity < intent.quantity) return 'none'; // partial: the run working the order applies it
  const now = ctx.clock.now();
  let record = intent;
  try {
    if (record.status === 'INTENT') {
      record = await ctx.stores.intents.transition(record.intentKey, {
        from: 'INTENT',
        to: 'SUBMITTED',
        now,
        ...(fill.orderId === undefined ? {} : { orderId: fill.orderId }),
        reason: 'found filled at IB by position-sync',
      });
    }
    if (record.status === 'SUBMITTED' || record.status === 'PARTIAL') {
      record = await ctx.stores.intents.transition(record.intentKey, {
        from: ['SUBMITTED', 'PARTIAL'],
        to: 'FILLED',
        now,
        filledQuantity: fill.filledQuantity,
        avgFillPrice: fill.avgFillPrice,
        reason: 'filled (position-sync)',
      });
    }
    if (record.status !== 'FILLED') return 'none';
    if (record.purpose === 'OPEN') {
      await ctx.stores.positions.openFromFill({
        intentKey: record.intentKey,
        position: positionFromFill(record, fill, now),
        fill,
        now,
      });
      reasons.push(`${record.intentKey}: opened from its fill`);
      return 'opened';
    }
    if (record.purpose === 'CLOSE' && record.positionId) {
      const position = await ctx.stores.positions.get(record.positionId);
      if (!position || position.status !== 'OPEN') return 'none';
      // The whole position closes: the opening commissions are realised with it.
      const realisedPnlUsd = closeRealisedUsd(position, fill, position.quantity, position.commissionsUsd);
      await ctx.stores.positions.closeFromFill({
        intentKey: record.intentKey,
        positionId: position.id,
        fill,
        realisedPnlUsd,
        reason: record.reason,
        now,
      });
      reasons.push(`${record.intentKey}: closed from its fill`);
      return 'closed';
    }
  } catch (error) {
    // Another run applied it first: that is the outcome we wanted.
    if (error instanceof IntentConflictError || error instanceof PositionConflictError) return 'none';
    throw error;
  }
  return 'none';
}

/**
 * An intent of an earlier trade date still marked working: a DAY order ends at that day's close, so
 * unless IB still works it (GTC) it is recorded CANCELLED with the quantity IB says was filled. A part
 * fill of an opening order no run applied opens its position from IB's fill, as the run would have; a
 * closing one is alerted for verify-positions. Returns the reason, or undefined when IB still works it.
 */
export async function closeOutEarlierIntent(
  ctx: RunContext,
  intent: OrderIntentRecord,
): Promise<string | undefined> {
  const now = ctx.clock.now();
  if (intent.status === 'INTENT') {
    const reason = `never placed on ${intent.tradeDate}; that day is over`;
    await ctx.stores.intents.transition(intent.intentKey, { from: 'INTENT', to: 'CANCELLED', now, reason });
    return reason;
  }
  const atIb = await ctx.bridge.ordersByRef(intent.intentKey);
  if (atIb.some((o) => !DONE_AT_IB.has(o.status))) return undefined;
  const filledAtIb = atIb.reduce<(typeof atIb)[number] | undefined>(
    (best, o) => (best === undefined || o.filled > best.filled ? o : best),
    undefined,
  );
  const filled = Math.max(intent.filledQuantity, filledAtIb?.filled ?? 0);
  const fill =
    filledAtIb && filledAtIb.filled === filled && filled > 0
      ? fillOf(filledAtIb, intent.limitPrice)
      : undefined;
  // Filled in full (its executions were on that day, so step 1 never saw them): FILLED, not cancelled.
  const to = filled >= intent.quantity ? 'FILLED' : 'CANCELLED';
  const reason =
    to === 'FILLED'
      ? `filled at IB after ${intent.tradeDate} with no run to record it: ${filled} of ${intent.quantity}`
      : `no longer working at IB after ${intent.tradeDate} (a DAY order ends at the close): ${filled} of ${intent.quantity} filled`;
  await ctx.stores.intents.transition(intent.intentKey, {
    from: ['SUBMITTED', 'PARTIAL'],
    to,
    now,
    filledQuantity: filled,
    ...(fill ? { avgFillPrice: fill.avgFillPrice } : {}),
    reason,
  });
  if (filled === 0 || intent.appliedAt !== undefined) return reason;
  let recorded = 'run verify-positions to see and repair the position';
  if (intent.purpose === 'OPEN' && fill && (await applyOpenFill(ctx, { record: intent, fill }))) {
    recorded = `position-sync opened the position from IB's fill (${fill.filledQuantity} at ${Math.abs(fill.avgFillPrice).toFixed(2)})`;
  }
  await ctx.alert({
    subject: intent.intentKey,
    rule: 'unapplied-fill',
    severity: 'WARNING',
    title: `Fill not recorded: ${intent.symbol} ${intent.strategy}`,
    message: `${intent.intentKey} (${intent.purpose}, ${intent.tradeDate}) filled ${filled} of ${intent.quantity} at IB but no run recorded it; ${recorded}.`,
    numbers: { filled },
  });
  return reason;
}
