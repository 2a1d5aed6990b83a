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
import type { BrokerExecution, BrokerPosition } from '../../adapters/bridge-client';
import { IntentConflictError, PositionConflictError, VersionConflictError } from '../../adapters/ports';
import type { PositionRecord } from '../../adapters/ports';
import { describeLegs, describePosition, describeSpread, usd } from '../../core/alerts';
import { nyTimeToEpoch, sessionFor } from '../../core/calendar';
import { describeAssignment, describeHoldings, heldInstruments } from '../../core/holdings';
import { reconcileWithBroker, sharesDeliveredAtExpiry } from '../../core/reconciliation';
import type { StrategyPosition } from '../../core/types';
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
import { applyHoldingIntentFill } from '../shared/holdings';

export type SyncInput = Record<string, never>;

async function applyFills(
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
    /** Legs opened outside the system that form no strategy of ours: alerted, not recorded. */
    unrecognised: 0,
  };
  const reasons: string[] = [];

  // 1. Our own fills, grouped by orderRef (= intent key).
  const byRef = new Map<string, BrokerExecution[]>();
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

  // 2. IB against our open positions, leg by leg: the stored position follows the broker.
  const listed = await stores.positions.listOpen();
  const actual = new Map<number, BrokerPosition>();
  const atIb = new Map<number, number>();
  const stock = new Map<string, { shares: number; conId: number }>();
  for (const v of ibPositions) {
    if (v.quantity === 0) continue;
    atIb.set(v.contract.conId, v.quantity);
    if (v.contract.kind === 'OPTION') actual.set(v.contract.conId, v);
    if (v.contract.kind === 'STOCK') {
      const held = stock.get(v.contract.symbol)?.shares ?? 0;
      stock.set(v.contract.symbol, { shares: held + v.quantity, conId: v.contract.conId });
    }
  }
  // Shares per symbol no position's holding explains yet: deliveries of gone legs must account for them.
  const newShares = new Map<string, number>();
  for (const [symbol, s] of stock) newShares.set(symbol, s.shares);
  for (const p of listed)
    if (p.stock) newShares.set(p.symbol, (newShares.get(p.symbol) ?? 0) - p.stock.shares);
  const now = ctx.clock.now();
  const open: StrategyPosition[] = [];
  const expiryShares = await sharesPerExpiredPosition(ctx, listed, atIb, newShares, now);

  for (const p of listed) {
    const result = await followBroker(ctx, p, {
      atIb,
      newShares: expiryShares.get(p.id) ?? newShares.get(p.symbol) ?? 0,
      stockConId: stock.get(p.symbol)?.conId ?? p.stock?.conId ?? 0,
      now,
    });
    if (!result) {
      open.push(p);
      continue;
    }
    newShares.set(p.symbol, (newShares.get(p.symbol) ?? 0) - result.deliveredShares);
    reasons.push(`${p.id}: ${result.reason}`);
    if (result.counted === 'assigned') counts.assigned += 1;
    if (result.counted === 'expired') counts.expired += 1;
    if (result.counted === 'closedOutside') counts.closedOutside += 1;
    if (result.position.status === 'OPEN') open.push(result.position);
  }

  // IB's shares that no position owns (nor an assignment explains): a mismatch, alerted.
  for (const [symbol, shares] of newShares) {
    if (shares === 0) continue;
    counts.mismatches += 1;
    const text = `IB holds ${stock.get(symbol)?.shares ?? 0} ${symbol} shares, positions own ${(stock.get(symbol)?.shares ?? 0) - shares}`;
    reasons.push(`mismatch: ${text}`);
    await ctx.alert({
      subject: `stock-${symbol}`,
      rule: 'position-mismatch',
      severity: 'CRITICAL',
      title: `Position mismatch: ${symbol} shares`,
      message: `${text}. Run verify-positions; close or assign them by hand.`,
    });
  }
  const expected = new Map<number, number>();
  for (const p of open)
    for (const [conId, quantity] of heldInstruments(p))
      expected.set(conId, (expected.get(conId) ?? 0) + quantity);

  // Legs at IB that none of our positions explains.
  const unexplained = new Map<string, HeldLeg[]>();
  for (const [conId, view] of actual) {
    const want = expected.get(conId) ?? 0;
    if (want === view.quantity) continue;
    const contract = heldOptionContract(view);
    if (want !== 0 || !contract) {
      counts.mismatches += 1;
      const text = `conId ${conId} ${view.contract.name ?? view.contract.symbol}: IB holds ${view.quantity}, we hold ${want}`;
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
    if (!position) {
      // No strategy module recognises these legs: named as legs, never as some strategy, and left to
      // a person (no rule of ours could manage them).
      counts.unrecognised += 1;
      const held = describeLegs(
        first.symbol,
        first.expiry,
        legs.map((l) => ({ right: l.contract.right, strike: l.contract.strike, quantity: l.quantity })),
      );
      reasons.push(`opened outside the system: ${held}: no strategy of ours, not recorded`);
      await ctx.alert({
        subject: `ext-${first.symbol}-${first.expiry}`,
        rule: 'opened-outside',
        severity: 'CRITICAL',
        title: `Opened outside the system: ${first.symbol} (unrecognised legs)`,
        message: `${held} are held at IB but no order of ours opened them, and they form no strategy of ours: not recorded; manage them by hand.`,
      });
      continue;
    }
    const label = describeSpread(
      first.symbol,
      position.strategy,
      first.expiry,
      legs.map((l) => ({ right: l.contract.right, strike: l.contract.strike, short: l.quantity < 0 })),
    );
    const created = await stores.positions.create(position, { source: 'EXTERNAL', now });
    if (created.created) counts.external += 1;
    reasons.push(`opened outside the system: ${label} (recorded as ${position.id})`);
    await ctx.alert({
      subject: position.id,
      rule: 'opened-outside',
      severity: 'CRITICAL',
      title: `Opened outside the system: ${first.symbol}`,
      message: `${label} is held at IB but no order of ours opened it; recorded as ${position.id}.`,
    });
  }

  const did = `synced ${listed.length} open position(s) with ${ibPositions.length} IB position(s): ${counts.opened} opened and ${counts.closedFromFill} closed from fills, ${counts.assigned} assigned, ${counts.closedOutside} closed outside, ${counts.external} opened outside`;
  return {
    did,
    counts,
    reasons,
    ok:
      counts.mismatches === 0 &&
      counts.closedOutside === 0 &&
      counts.assigned === 0 &&
      counts.unrecognised === 0,
  };
}

/** What following the broker did to one position, for the run's counts and reasons. */
interface Followed {
  position: PositionRecord;
  reason: string;
  counted: 'assigned' | 'expired' | 'closedOutside' | 'none';
  /** Shares the position's assignments and exercises delivered (signed). */
  deliveredShares: number;
}

/**
 * Several positions on one symbol past their expiry with legs IB no longer holds: each one's part of the
 * symbol's new shares by OCC's expiration rule at the underlying's price (core sharesDeliveredAtExpiry),
 * when those parts add up to exactly the new shares. Otherwise (no price, or the price does not explain
 * every share: an early assignment, a leg closed outside) none, and the positions take the shares in
 * turn as before. Without this the first position met takes every share it can explain, whatever the
 * price says (a max-loss spread "assigned, wing expired"), and the next one's assignment goes missing.
 */
async function sharesPerExpiredPosition(
  ctx: RunContext,
  listed: readonly StrategyPosition[],
  atIb: ReadonlyMap<number, number>,
  newShares: ReadonlyMap<string, number>,
  now: number,
): Promise<Map<string, number>> {
  const bySymbol = new Map<string, StrategyPosition[]>();
  for (const p of listed) {
    const held = [...p.legs, ...(p.orphanLegs ?? [])];
    const gone = held.some((l) => {
      const ib = atIb.get(l.contract.conId ?? -1) ?? 0;
      return Math.sign(ib) !== Math.sign(l.quantity) || Math.abs(ib) < Math.abs(l.quantity);
    });
    if (!gone || !pastExpiry(ctx, p.expiry, now)) continue;
    bySymbol.set(p.symbol, [...(bySymbol.get(p.symbol) ?? []), p]);
  }
  const parts = new Map<string, number>();
  for (const [symbol, positions] of bySymbol) {
    if (positions.length < 2) continue;
    const price = await underlyingPrice(ctx, symbol);
    if (price === undefined) continue;
    const shares = positions.map((p) => sharesDeliveredAtExpiry(p, atIb, price));
    if (shares.reduce((a, b) => a + b, 0) !== (newShares.get(symbol) ?? 0)) continue;
    positions.forEach((p, i) => parts.set(p.id, shares[i]!));
  }
  return parts;
}

/** True once the options of `expiry` stopped trading (after the options close on expiration day). */
function pastExpiry(ctx: RunContext, expiry: string, now: number): boolean {
  if (expiry < ctx.tradeDate) return true;
  if (expiry > ctx.tradeDate) return false;
  const session = sessionFor(expiry, ctx.config.calendar);
  return session === undefined || now >= session.optionsClose;
}

/**
 * Brings one open position in line with IB (core `reconcileWithBroker`): a leg IB no longer holds leaves
 * it as expired, assigned or exercised with its cash, the shares and orphaned legs stay as holdings the
 * monitor closes, and the realised P&L joins the ledger; a leg gone with no explanation was closed outside
 * the system. Undefined when IB holds every leg.
 */
async function followBroker(
  ctx: RunContext,
  position: PositionRecord,
  ib: { atIb: ReadonlyMap<number, number>; newShares: number; stockConId: number; now: number },
): Promise<Followed | undefined> {
  const view = {
    options: ib.atIb,
    newShares: ib.newShares,
    stockConId: ib.stockConId,
    pastExpiry: pastExpiry(ctx, position.expiry, ib.now),
    now: ib.now,
  };
  const first = reconcileWithBroker(position, view);
  if (first.gone.length === 0) return undefined;
  // The underlying's price tells an in-the-money leg (delivered) from one that expired or was closed.
  const price = await underlyingPrice(ctx, position.symbol);
  const result =
    price === undefined ? first : reconcileWithBroker(position, { ...view, underlyingPrice: price });
  const { now } = ib;
  try {
    if (result.unexplained.length > 0) {
      const gone = result.unexplained.map(
        (g) => `${g.contracts} × ${g.leg.contract.right}${g.leg.contract.strike}`,
      );
      const reason = result.finished
        ? 'closed outside the system'
        : `${gone.join(', ')} closed outside the system; the rest follows IB`;
      const stored = result.finished
        ? await ctx.stores.positions.markClosed(position.id, { reason, now })
        : await ctx.stores.positions.update(result.position, { expectedVersion: position.version, now });
      await ctx.alert({
        subject: position.id,
        rule: 'position-mismatch',
        severity: 'CRITICAL',
        positionId: position.id,
        title: `Position gone at IB: ${position.symbol}`,
        message: `${describePosition(position)}: ${gone.join(', ')} no longer held at IB and no order of ours closed it${result.finished ? '' : '; the position now holds only what IB holds'}.`,
      });
      return { position: stored, reason, counted: 'closedOutside', deliveredShares: 0 };
    }
    const ref = `${result.kind.toLowerCase()}-${ctx.tradeDate}`;
    const assigned = result.assignments.map(describeAssignment);
    const holdings = describeHoldings(result.position);
    const reason =
      result.kind === 'EXPIRY'
        ? `expired: ${result.gone.map((g) => `${g.contracts} × ${g.leg.contract.right}${g.leg.contract.strike}`).join(', ')} worthless, realised ${usd(result.realisedUsd)}`
        : `${assigned.join('; ')}; realised ${usd(result.realisedUsd)}${holdings ? `; holds ${holdings}` : ''}`;
    let stored: PositionRecord;
    if (result.finished) {
      if (result.assignments.length > 0) {
        await ctx.stores.positions.update(result.position, { expectedVersion: position.version, now });
      }
      stored = await ctx.stores.positions.markClosed(position.id, {
        reason,
        realisedPnlUsd: result.realisedUsd,
        kind: result.kind,
        ref,
        now,
      });
    } else {
      stored = await ctx.stores.positions.update(result.position, {
        expectedVersion: position.version,
        now,
        realised: { usd: result.realisedUsd, kind: result.kind, ref },
      });
    }
    if (result.assignments.length > 0) {
      const early = !view.pastExpiry;
      const next =
        holdings === ''
          ? 'nothing left to close'
          : ctx.config.exits.assignedHoldings === 'close'
            ? "the monitor closes them at the next session's first cycle with limit orders"
            : "exits.assignedHoldings is 'alert': close them by hand";
      await ctx.alert({
        subject: position.id,
        rule: 'assignment',
        severity: 'CRITICAL',
        positionId: position.id,
        title: `ASSIGNED${early ? ' early' : ''}: ${position.symbol}`,
        message: `${describePosition(position)}: ${assigned.join('; ')}. Realised ${usd(result.realisedUsd)}${holdings ? `; now holds ${holdings}` : ''}; ${next}.`,
        numbers: {
          shares: result.assignments.reduce((sum, a) => sum + a.shares, 0),
          cashUsd: result.assignments.reduce((sum, a) => sum + a.cashUsd, 0),
          realisedUsd: result.realisedUsd,
        },
      });
    }
    return {
      position: stored,
      reason,
      counted: result.kind === 'EXPIRY' ? 'expired' : 'assigned',
      deliveredShares: result.assignments.reduce((sum, a) => sum + a.shares, 0),
    };
  } catch (error) {
    // Another run changed or closed it first; the next sync sees the result.
    if (error instanceof PositionConflictError || error instanceof VersionConflictError) return undefined;
    throw error;
  }
}

/** The underlying's last price (or mid), or undefined when the bridge has none. */
async function underlyingPrice(ctx: RunContext, symbol: string): Promise<number | undefined> {
  try {
    const [quote] = await ctx.bridge.quotes([{ secType: 'STK', symbol }]);
    if (!quote || quote.error) return undefined;
    if (quote.last !== undefined && quote.last > 0) return quote.last;
    return quote.bid !== undefined && quote.ask !== undefined ? (quote.bid + quote.ask) / 2 : undefined;
  } catch {
    return undefined;
  }
}
