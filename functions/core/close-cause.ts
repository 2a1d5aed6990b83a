// What closed a position, in the words the report counts closes by ("profit target", "DTE exit",
// "expiry", "assignment", ...): so a run shows which exit rules actually fired. One mapping, here: the
// local day runner and the report from the deployed stack both name closes with it.
import { RULES } from './decision';
import type { OrderPurpose } from './orders';
import type { RealisedKind } from './types';

export interface CloseFacts {
  /** The order of ours that closed it (the position's closing intent), when there was one. */
  closingOrder?: { purpose: OrderPurpose; rule?: number | undefined };
  /** How its last P&L was realised (the last entry of its realised ledger), when anything was. */
  lastRealisedKind?: RealisedKind | undefined;
}

/** Closes no order of ours made, named by how the realised ledger recorded them. */
const WITHOUT_AN_ORDER: Readonly<Partial<Record<RealisedKind, string>>> = {
  EXPIRY: 'expiry',
  ASSIGNMENT: 'assignment',
  EXERCISE: 'exercise',
  EXTERNAL: 'closed outside the system',
};

/**
 * The name of what closed a position: the decision rule of its closing order (rule 8 → "profit
 * target"), else the ledger's kind of its last realisation. A close found at IB with no P&L recorded
 * (verify-positions' repair, a close outside the system of unknown price) is "closed outside the system".
 */
export function closeCause(facts: CloseFacts): string {
  const { closingOrder, lastRealisedKind } = facts;
  // Expiry, assignment, exercise and outside closes are what ended it even when an order of ours
  // realised some P&L earlier (a partial close before expiry).
  const outside = lastRealisedKind && WITHOUT_AN_ORDER[lastRealisedKind];
  if (outside) return outside;
  if (closingOrder?.purpose === 'CLOSE_HOLDING') return 'holdings closed';
  if (closingOrder?.rule !== undefined) {
    return RULES.find((r) => r.number === closingOrder.rule)?.name ?? `rule ${closingOrder.rule}`;
  }
  if (closingOrder) return 'close order without a rule';
  return lastRealisedKind ? 'close order without a rule' : 'closed outside the system';
}
