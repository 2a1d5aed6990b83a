// Partial closes: a closing order's partial fill shrinks the position (and marks the fill applied) in
// one store transaction; fills a crashed run left unapplied are applied before the position is judged.
import type { PositionRecord } from '#adapters/ports';
import { IntentConflictError, PositionConflictError } from '#adapters/ports';
import { closeRealisedUsd } from '#core/lifecycle';
import type { FillSummary } from '#core/lifecycle';
import type { RunContext } from '../shared/define-job';
import { errorMessage } from '../shared/errors';

/**
 * Shrinks the position by a closing order's partial fill and marks that fill applied, in one store
 * transaction. Undefined when someone else applied it or changed the position first.
 */
export async function applyPartialClose(
  ctx: RunContext,
  position: PositionRecord,
  intentKey: string,
  fill: FillSummary,
): Promise<PositionRecord | undefined> {
  try {
    const reduced = await ctx.stores.positions.reduceFromFill({
      intentKey,
      positionId: position.id,
      expectedVersion: position.version,
      fill,
      realisedPnlUsd: closeRealisedUsd(position, fill),
      now: ctx.clock.now(),
    });
    return reduced.position;
  } catch (error) {
    if (error instanceof IntentConflictError || error instanceof PositionConflictError) return undefined;
    throw error;
  }
}

/**
 * A run that crashed after a closing order was cancelled with a partial fill, but before that fill was
 * applied, would otherwise leave the position at its old size and the next exit would close too much.
 * Applies every such fill before the position is judged; undefined (skip this cycle) on a conflict.
 */
export async function reconcilePartialCloses(
  ctx: RunContext,
  position: PositionRecord,
  reasons: string[],
): Promise<PositionRecord | undefined> {
  const unapplied = (await ctx.stores.intents.listByPosition(position.id)).filter(
    (r) =>
      r.purpose === 'CLOSE' && r.status === 'CANCELLED' && r.filledQuantity > 0 && r.appliedAt === undefined,
  );
  let current = position;
  for (const intent of unapplied) {
    const fill: FillSummary = {
      filledQuantity: intent.filledQuantity,
      avgFillPrice: intent.avgFillPrice ?? intent.limitPrice,
    };
    // The intent does not carry commissions; IB's executions for its orderRef do.
    try {
      const orders = await ctx.bridge.ordersByRef(intent.intentKey);
      fill.commissionsUsd = orders.flatMap((o) => o.fills).reduce((sum, f) => sum + (f.commission ?? 0), 0);
    } catch (error) {
      reasons.push(`${position.id}: commissions of ${intent.intentKey} unknown (${errorMessage(error)})`);
    }
    const reduced =
      fill.filledQuantity < current.quantity
        ? await applyPartialClose(ctx, current, intent.intentKey, fill)
        : undefined;
    if (!reduced) {
      reasons.push(
        `${position.id}: partial close ${intent.intentKey} could not be applied; skipped this cycle`,
      );
      return undefined;
    }
    reasons.push(
      `${position.id}: applied the earlier partial close ${intent.intentKey} (${fill.filledQuantity} spreads)`,
    );
    current = reduced;
  }
  return current;
}
