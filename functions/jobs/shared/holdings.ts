// What IB holds now, and applying a filled CLOSE_HOLDING order (shares or an orphaned leg an assignment
// left) to its position. The monitor applies its own fills at once; position-sync applies those a run
// did not (it crashed, or the fill came later). The ledger entry carries the intent key as its `ref`, so
// a fill is never applied twice: whoever comes second finds the ref and stops.
import type { BrokerPosition } from '#adapters/bridge-client';
import { VersionConflictError } from '#adapters/ports';
import type { PositionRecord } from '#adapters/ports';
import { applyHoldingFill, holdsNothing } from '#core/holdings';
import type { OrderIntent } from '#core/intents';
import type { RunContext } from './define-job';

/** IB's positions by conId (signed), and the whole view for callers that need more. */
export function heldByConId(views: readonly BrokerPosition[]): Map<number, number> {
  const held = new Map<number, number>();
  for (const v of views) {
    if (v.quantity !== 0) held.set(v.contract.conId, (held.get(v.contract.conId) ?? 0) + v.quantity);
  }
  return held;
}

/** IB's holdings read just before an order: never build an order from what was held earlier. */
export async function heldAtIbNow(ctx: Pick<RunContext, 'bridge'>): Promise<Map<number, number>> {
  return heldByConId(await ctx.bridge.positions());
}

/**
 * Applies a CLOSE_HOLDING order's fill (`quantity` shares or contracts at `price` per share) to its
 * position: the holding shrinks and the realised amount joins the ledger under the intent's key; a
 * position left holding nothing closes. Returns the realised dollars, or undefined when it was applied
 * already or the position is gone.
 */
export async function applyHoldingIntentFill(
  ctx: Pick<RunContext, 'stores' | 'clock'>,
  intent: Pick<OrderIntent, 'intentKey' | 'positionId' | 'holding'>,
  fill: { quantity: number; price: number; commissionsUsd: number },
): Promise<{ realisedUsd: number; position: PositionRecord } | undefined> {
  if (!intent.holding || !intent.positionId || !(fill.quantity > 0)) return undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await ctx.stores.positions.get(intent.positionId);
    if (!current || current.status !== 'OPEN') return undefined;
    if ((current.realised ?? []).some((e) => e.ref === intent.intentKey)) return undefined;
    const applied = applyHoldingFill(current, {
      conId: intent.holding.conId,
      quantity: fill.quantity,
      price: fill.price,
      commissionsUsd: fill.commissionsUsd,
    });
    const done = holdsNothing(applied.position);
    const now = ctx.clock.now();
    try {
      const updated = await ctx.stores.positions.update(applied.position, {
        expectedVersion: current.version,
        now,
        realised: { usd: applied.realisedUsd, kind: done ? 'CLOSE' : 'PARTIAL_CLOSE', ref: intent.intentKey },
      });
      const position = done
        ? await ctx.stores.positions.markClosed(current.id, {
            reason: 'assigned holdings closed: nothing left',
            now,
          })
        : updated;
      return { realisedUsd: applied.realisedUsd, position };
    } catch (error) {
      // Another writer changed the position meanwhile: read it again (it may have applied this fill).
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  return undefined;
}
