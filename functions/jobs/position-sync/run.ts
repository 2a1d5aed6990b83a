// position-sync: IB's positions and today's executions → DynamoDB strategy positions.
//
//   1. executions are grouped by orderRef, which is our intent key: fills of our own orders that no run
//      applied yet (a run crashed, or the fill came after it ended) open or close their position;
//      intents of earlier days still marked working (a run gave up, or never placed them) are closed
//      out against what IB says, so nothing mistakes them for live orders;
//   2. IB's option positions are compared with the open positions we hold, leg by leg (conId):
//      - a position whose legs are all gone: expired, ASSIGNED (a stock position appeared on its symbol
//        where a short option disappeared: CRITICAL alert at once), or closed outside the system;
//      - option legs nobody here opened: opened outside the system (recorded as EXTERNAL when the legs
//        form a spread, alerted either way);
//      - quantities that differ: a mismatch, alerted; verify-positions repairs on request.
// It runs at the edges of the day and on the bridge's OrderFilled / PositionChanged events.
import type { ExecutionView, PositionView } from '../../../gateway-container/bridge/contract';
import { IntentConflictError, PositionConflictError } from '../../adapters/ports';
import { describePosition, describeSpread } from '../../core/alerts';
import { nyTimeToEpoch } from '../../core/calendar';
import type { OrderIntentRecord } from '../../core/intents';
import {
  closeRealisedUsd,
  externalPosition,
  fillOf,
  heldOptionContract,
  positionFromFill,
  summariseFills,
} from '../../core/lifecycle';
import type { HeldLeg } from '../../core/lifecycle';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { DONE_AT_IB } from '../shared/order-workflow';
import { applyOpenFill } from '../shared/positions';

export type SyncInput = Record<string, never>;

async function applyFills(
  ctx: RunContext,
  intent: OrderIntentRecord,
  executions: readonly ExecutionView[],
  reasons: string[],
): Promise<'opened' | 'closed' | 'none'> {
  if (intent.appliedAt !== undefined || intent.dryRun) return 'none';
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
async function closeOutEarlierIntent(
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

export async function runPositionSync(_input: SyncInput, ctx: RunContext): Promise<RunOutcome> {
  const { bridge, stores, tradeDate } = ctx;
  const since = nyTimeToEpoch(tradeDate, '00:00');
  const [ibPositions, executions] = await Promise.all([bridge.positions(), bridge.executions(since)]);
  const counts = {
    ibPositions: ibPositions.length,
    executions: executions.length,
    opened: 0,
    closedFromFill: 0,
    external: 0,
    closedOutside: 0,
    assigned: 0,
    expired: 0,
    mismatches: 0,
    earlierIntentsClosed: 0,
  };
  const reasons: string[] = [];

  // 1. Our own fills, grouped by orderRef (= intent key).
  const byRef = new Map<string, ExecutionView[]>();
  for (const e of executions) {
    if (!e.orderRef) continue;
    byRef.set(e.orderRef, [...(byRef.get(e.orderRef) ?? []), e]);
  }
  for (const [ref, fills] of byRef) {
    const intent = await stores.intents.get(ref);
    if (!intent) continue;
    const applied = await applyFills(ctx, intent, fills, reasons);
    if (applied === 'opened') counts.opened += 1;
    if (applied === 'closed') counts.closedFromFill += 1;
  }

  // 1b. Earlier days' intents still marked working.
  for (const intent of await stores.intents.listWorking()) {
    if (intent.tradeDate >= tradeDate || intent.dryRun) continue;
    const reason = await closeOutEarlierIntent(ctx, intent);
    if (reason === undefined) continue;
    counts.earlierIntentsClosed += 1;
    reasons.push(`${intent.intentKey}: ${reason}`);
  }

  // 2. IB against our open positions, leg by leg.
  const open = await stores.positions.listOpen();
  const expected = new Map<number, number>();
  for (const p of open)
    for (const l of p.legs)
      if (l.contract.conId !== undefined)
        expected.set(l.contract.conId, (expected.get(l.contract.conId) ?? 0) + l.quantity);
  const actual = new Map<number, PositionView>();
  const stock = new Map<string, number>();
  for (const v of ibPositions) {
    if (v.quantity === 0) continue;
    if (v.contract.secType === 'OPT') actual.set(v.contract.conId, v);
    if (v.contract.secType === 'STK')
      stock.set(v.contract.symbol, (stock.get(v.contract.symbol) ?? 0) + v.quantity);
  }
  const now = ctx.clock.now();

  for (const p of open) {
    const remaining = p.legs.filter((l) => l.contract.conId !== undefined && actual.has(l.contract.conId));
    if (remaining.length > 0) {
      // Early assignment: a short leg gone while the rest is still held, and stock appeared. Alert at
      // once; the position stays open (its long leg still hedges) until the operator acts.
      const shortsGone = p.legs.filter(
        (l) => l.quantity < 0 && l.contract.conId !== undefined && !actual.has(l.contract.conId),
      );
      const shares = stock.get(p.symbol);
      if (shortsGone.length > 0 && shares !== undefined) {
        counts.assigned += 1;
        const gone = shortsGone.map((l) => `${l.contract.right}${l.contract.strike}`).join(', ');
        reasons.push(`${p.id}: short ${gone} assigned early; ${shares} ${p.symbol} shares held`);
        await ctx.alert({
          subject: p.id,
          rule: 'assignment',
          severity: 'CRITICAL',
          positionId: p.id,
          title: `ASSIGNED early: ${p.symbol}`,
          message: `${describePosition(p)}: short ${gone} assigned, ${shares} ${p.symbol} shares now held; the other legs are still open. Close or hedge the stock.`,
          numbers: { shares },
        });
      }
      continue;
    }
    const shortGone = p.legs.some((l) => l.quantity < 0);
    const shares = stock.get(p.symbol);
    let reason: string;
    if (shortGone && shares !== undefined) {
      reason = `assigned: ${shares} ${p.symbol} shares now held where the short option was`;
      counts.assigned += 1;
      await ctx.alert({
        subject: p.id,
        rule: 'assignment',
        severity: 'CRITICAL',
        positionId: p.id,
        title: `ASSIGNED: ${p.symbol}`,
        message: `${describePosition(p)}: ${reason}. Close or hedge the stock.`,
        numbers: { shares },
      });
    } else if (p.expiry < tradeDate) {
      reason = 'expired';
      counts.expired += 1;
    } else {
      reason = 'closed outside the system';
      counts.closedOutside += 1;
      await ctx.alert({
        subject: p.id,
        rule: 'position-mismatch',
        severity: 'CRITICAL',
        positionId: p.id,
        title: `Position gone at IB: ${p.symbol}`,
        message: `${describePosition(p)}: no longer held at IB and no order of ours closed it.`,
      });
    }
    try {
      await stores.positions.markClosed(p.id, { reason, now });
      reasons.push(`${p.id}: ${reason}`);
    } catch (error) {
      if (!(error instanceof PositionConflictError)) throw error;
    }
  }

  // Legs at IB that none of our positions explains.
  const unexplained = new Map<string, HeldLeg[]>();
  for (const [conId, view] of actual) {
    const want = expected.get(conId) ?? 0;
    if (want === view.quantity) continue;
    const contract = heldOptionContract(view);
    if (want !== 0 || !contract) {
      counts.mismatches += 1;
      const text = `conId ${conId} ${view.contract.localSymbol ?? view.contract.symbol}: IB holds ${view.quantity}, we hold ${want}`;
      reasons.push(`mismatch: ${text}`);
      await ctx.alert({
        subject: `conid-${conId}`,
        rule: 'position-mismatch',
        severity: 'CRITICAL',
        title: `Position mismatch: ${view.contract.symbol}`,
        message: `${text}. Run verify-positions; repair with {"repair": true}.`,
      });
      continue;
    }
    const group = `${contract.symbol}|${contract.expiry}`;
    unexplained.set(group, [
      ...(unexplained.get(group) ?? []),
      { contract, quantity: view.quantity, averageCost: view.averageCost },
    ]);
  }
  for (const legs of unexplained.values()) {
    const position = externalPosition(legs, now);
    const first = legs[0]!.contract;
    const label = describeSpread(
      first.symbol,
      position?.strategy ?? 'BULL_PUT',
      first.expiry,
      legs.map((l) => ({ right: l.contract.right, strike: l.contract.strike, short: l.quantity < 0 })),
    );
    if (position) {
      const created = await stores.positions.create(position, { source: 'EXTERNAL', now });
      if (created.created) counts.external += 1;
    }
    reasons.push(
      `opened outside the system: ${label}${position ? ` (recorded as ${position.id})` : ' (not a known strategy; not recorded)'}`,
    );
    await ctx.alert({
      subject: position?.id ?? `ext-${first.symbol}-${first.expiry}`,
      rule: 'opened-outside',
      severity: 'CRITICAL',
      title: `Opened outside the system: ${first.symbol}`,
      message: `${label} is held at IB but no order of ours opened it${position ? `; recorded as ${position.id}` : ''}.`,
    });
  }

  const did = `synced ${open.length} open position(s) with ${ibPositions.length} IB position(s): ${counts.opened} opened and ${counts.closedFromFill} closed from fills, ${counts.assigned} assigned, ${counts.closedOutside} closed outside, ${counts.external} opened outside`;
  return {
    did,
    counts,
    reasons,
    ok: counts.mismatches === 0 && counts.closedOutside === 0 && counts.assigned === 0,
  };
}
