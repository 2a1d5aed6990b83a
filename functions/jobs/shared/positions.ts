// Applying fills to the positions table, for every job that sees an opening order fill
// (execute-strategies as it works the order, position-sync when a run did not).
import { IntentConflictError, PositionConflictError } from '#adapters/ports';
import { positionFromFill } from '#core/lifecycle';
import type { StrategyPosition } from '#core/types';
import type { RunContext } from './define-job';
import type { OrderOutcome } from './order-workflow';

/** Applies an opening fill to the positions table; a second application (another job won) is fine. */
export async function applyOpenFill(
  ctx: RunContext,
  outcome: Pick<OrderOutcome, 'record' | 'fill'>,
): Promise<StrategyPosition | undefined> {
  const { record, fill } = outcome;
  if (!fill || fill.filledQuantity <= 0 || record.appliedAt !== undefined) return undefined;
  const position = positionFromFill(record, fill, ctx.clock.now());
  try {
    const opened = await ctx.stores.positions.openFromFill({
      intentKey: record.intentKey,
      position,
      fill,
      now: ctx.clock.now(),
    });
    return opened.position;
  } catch (error) {
    if (error instanceof IntentConflictError || error instanceof PositionConflictError) return undefined;
    throw error;
  }
}
