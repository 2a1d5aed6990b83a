// The decision engine for open positions: the rules of the trading rules ("Decision engine"), in
// priority order; the first that matches wins. Rule numbers are stable identifiers (stored decisions and
// alerts name them): rule 11, the iron condor roll, is retired and its number not reused, and rule 6 is
// checked before rule 5 (see there). Every decision carries the rule, a sentence with the
// numbers and every number the rule looked at, so an operator can later ask why.
//
// This module runs them (decide); the rule table and decision types are in decision-table.ts, rule 1 in
// data-guard.ts, rules 2–12 in decision-rules.ts and the per-leg views and tests in decision-legs.ts.
import { closeOnModel, dataGuard, guardHold } from './data-guard';
import { judge } from './decision-rules';
import { ruleDecision } from './decision-table';
import type { Decision, DecisionInput } from './decision-table';

export { RULES, ruleInfo } from './decision-table';
export type {
  Decision,
  DecisionAction,
  DecisionInput,
  DecisionInputs,
  ModelledLeg,
  RuleInfo,
  WorkingOrder,
} from './decision-table';
export { assignmentRisks, nextExDividend } from './decision-legs';
export type { ShortLegState } from './decision-legs';

/**
 * Runs the rules in priority order for one position at one instant. Never throws: a position that
 * cannot be evaluated at all (say a corrupt expiry in its record) is held under the data guard with a
 * WARNING alert, since a crash here would stop the monitor for every other position too.
 */
export function decide(input: DecisionInput): Decision {
  try {
    return evaluate(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = `data guard: could not evaluate the position (${message}); holding`;
    return ruleDecision(1, reason, { evaluationError: message }, { severity: 'WARNING', reason });
  }
}

function evaluate(input: DecisionInput): Decision {
  // Rule 1: data guard. Everything below needs a live bridge, an open market and usable prices — except
  // that a position in danger is closed on a model price for its unusable legs (closeOnModel).
  const guard = dataGuard(input);
  if (!guard) return judge(input);
  const model = guard.legsOnly ? closeOnModel(input, guard) : undefined;
  if (model && 'decision' in model) return model.decision;
  return guardHold(input, guard, model?.danger);
}
