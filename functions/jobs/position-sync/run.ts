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
import type { BrokerExecution, BrokerPosition } from '#adapters/bridge-client';
import { describeLegs, describeSpread } from '#core/alerts';
import { nyTimeToEpoch } from '#core/calendar';
import { heldInstruments } from '#core/holdings';
import type { StrategyPosition } from '#core/types';
import { externalPosition, heldOptionContract } from '#core/lifecycle';
import type { HeldLeg } from '#core/lifecycle';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { applyFills, closeOutEarlierIntent } from './fills';
import { followBroker, sharesPerExpiredPosition } from './follow-broker';

export type SyncInput = Record<string, never>;
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
