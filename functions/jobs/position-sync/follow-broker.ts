// Following the broker: an open position whose legs IB no longer holds becomes expired, assigned or
// exercised (with the shares each expired position delivered), or closed outside the system.
import { PositionConflictError, VersionConflictError } from '#adapters/ports';
import type { PositionRecord } from '#adapters/ports';
import { describePosition, usd } from '#core/alerts';
import { sessionFor } from '#core/calendar';
import { describeAssignment, describeHoldings } from '#core/holdings';
import { reconcileWithBroker, sharesDeliveredAtExpiry } from '#core/reconciliation';
import type { StrategyPosition } from '#core/types';
import type { RunContext } from '../shared/define-job';

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
export async function sharesPerExpiredPosition(
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
export async function followBroker(
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
