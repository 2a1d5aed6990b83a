// Rule 1, the data guard: no decision on a dead bridge, a closed market or unusable prices — except that a
// position in danger is closed on a model price for the legs whose quotes cannot be used.
import { legKey } from './chain';
import { MINUTE_MS, fmt, ruleDecision } from './decision-table';
import type { Decision, DecisionInput, DecisionInputs, ModelledLeg } from './decision-table';
import { beyondBreach, breachText, breachesAtBreakevens, legName } from './decision-legs';
import { judge } from './decision-rules';
import { modelLegPrice, modelQuote, protectiveCloseLimit, withModelQuotes } from './model-price';
import { legQuoteProblem } from './pnl';
import type { OptionContract, OptionQuote, PositionLeg } from './types';

/** What the data guard found wrong (rule 1). */
export interface GuardState {
  problems: string[];
  /** Some problem is about data (not only a closed market): those alert. */
  dataProblem: boolean;
  inputs: DecisionInputs;
  /** Legs whose quote cannot be used, with the reason. */
  badLegs: { leg: PositionLeg; name: string; problem: string }[];
  /** Bridge up, market open, a usable underlying price: only leg quotes are wrong (a model may help). */
  legsOnly: boolean;
}

export function dataGuard(input: DecisionInput): GuardState | undefined {
  const { position, clock, config } = input;
  const maxAgeSeconds = config.filters.maxQuoteAgeSeconds;
  const freshness = { now: clock.now, maxAgeSeconds };
  // Only data problems alert; a closed market is the normal state outside the session.
  const problems: string[] = [];
  let dataProblem = false;
  let legsOnly = true;
  const inputs: DecisionInputs = {
    bridgeUp: input.bridgeUp,
    marketOpen: clock.isOpen,
    now: clock.now,
    maxQuoteAgeSeconds: maxAgeSeconds,
  };
  const note = (text: string, isData = true, legProblem = false) => {
    problems.push(text);
    if (isData) dataProblem = true;
    if (!legProblem) legsOnly = false;
  };

  if (!input.bridgeUp) note('bridge down');
  if (!clock.isOpen) note('market closed', false);
  if (!Number.isFinite(clock.now)) note(`clock ${clock.now} is not a time`);

  const underlying = input.underlying;
  if (!underlying) {
    note(`no price for ${position.symbol}`);
  } else {
    const ageSeconds = (clock.now - underlying.timestamp) / 1000;
    inputs.spot = underlying.price;
    inputs.underlyingAgeSeconds = ageSeconds;
    if (!Number.isFinite(underlying.price) || underlying.price <= 0) {
      note(`${position.symbol} price ${underlying.price} is not usable`);
    } else if (!Number.isFinite(ageSeconds) || ageSeconds > maxAgeSeconds) {
      note(`${position.symbol} price stale: ${fmt(ageSeconds, 0)} s old (limit ${maxAgeSeconds} s)`);
    }
  }

  if (position.legs.length === 0) note('position has no legs');
  const badLegs: GuardState['badLegs'] = [];
  for (const leg of position.legs) {
    const name = legName(leg);
    const quote = input.quotes.get(legKey(leg.contract));
    if (quote) inputs[`${name}.ageSeconds`] = (clock.now - quote.timestamp) / 1000;
    const problem = legQuoteProblem(quote, freshness);
    if (problem) {
      badLegs.push({ leg, name, problem });
      note(`${name} ${problem}`, true, true);
    }
  }
  inputs.badLegQuotes = badLegs.length;
  if (problems.length === 0) return undefined;
  if (input.dataGuardSince !== undefined) {
    inputs.dataGuardSince = input.dataGuardSince;
    inputs.heldMinutes = (clock.now - input.dataGuardSince) / MINUTE_MS;
  }
  return { problems, dataProblem, inputs, badLegs, legsOnly };
}

function heldText(guard: GuardState): string {
  const held = guard.inputs.heldMinutes;
  return typeof held === 'number' && Number.isFinite(held) ? ` for ${fmt(held, 0)} min` : '';
}

/**
 * The guard's alert. A position in danger (`danger` says why) alerts at once: WARNING, and CRITICAL once
 * the guard has held it `dataGuardCriticalMinutes`; otherwise a data problem warns after
 * `dataGuardAlertMinutes`, as a plain hold always did.
 */
function guardAlert(
  input: DecisionInput,
  guard: GuardState,
  danger: string | undefined,
  what: string,
): Decision['alert'] {
  const { exits } = input.config;
  const { position } = input;
  const heldMinutes = typeof guard.inputs.heldMinutes === 'number' ? guard.inputs.heldMinutes : 0;
  const held = heldText(guard);
  if (danger !== undefined) {
    guard.inputs.dataGuardCriticalMinutes = exits.dataGuardCriticalMinutes;
    const critical = heldMinutes >= exits.dataGuardCriticalMinutes;
    return {
      severity: critical ? 'CRITICAL' : 'WARNING',
      reason:
        `data guard: ${position.symbol} position ${position.id} in danger (${danger}) with an unusable ` +
        `leg quote${held}: ${what}` +
        (critical ? ` (CRITICAL after ${exits.dataGuardCriticalMinutes} min)` : ''),
    };
  }
  guard.inputs.dataGuardAlertMinutes = exits.dataGuardAlertMinutes;
  if (guard.dataProblem && heldMinutes > exits.dataGuardAlertMinutes) {
    return {
      severity: 'WARNING',
      reason: `data guard holding ${position.symbol} position ${position.id}${held} (alert after ${exits.dataGuardAlertMinutes} min): ${guard.problems.join('; ')}`,
    };
  }
  return undefined;
}

/** Rule 1 HOLD; `danger` when the position needs closing but no model price could be had. */
export function guardHold(input: DecisionInput, guard: GuardState, danger: string | undefined): Decision {
  const what = `${guard.problems.join('; ')}; no model price, so it cannot be closed`;
  const alert = guardAlert(input, guard, danger, what);
  if (danger !== undefined) guard.inputs.inDanger = danger;
  return ruleDecision(
    1,
    `data guard: ${guard.problems.join('; ')}; holding${heldText(guard)}`,
    guard.inputs,
    alert,
  );
}

/**
 * The data guard protects against trading on bad data, not against closing a position in danger. With
 * only leg quotes unusable, each such leg is priced from the model (modelLegPrice) and the rules are run
 * on those prices: when they say the position is in danger — an urgent close, rules 3–6, which covers a
 * short strike the underlying's own quote shows breached — it is closed at the protective limit. In any
 * other case it holds as before. Returns `danger` alone when the spot shows a breach but some leg has no
 * model price.
 */
export function closeOnModel(
  input: DecisionInput,
  guard: GuardState,
): { decision: Decision } | { danger: string | undefined } {
  const { position, clock, config } = input;
  const spot = input.underlying!.price;
  const breachMargin = breachesAtBreakevens(position) ? position.entryCredit : 0;
  const spotBreach = position.legs
    .filter((l) => l.quantity < 0 && beyondBreach(l, spot, breachMargin))
    .map((l) => `spot ${fmt(spot)} beyond ${breachText(l, breachMargin)}`);
  const freshness = { now: clock.now, maxAgeSeconds: config.filters.maxQuoteAgeSeconds };
  const sources = [...input.quotes.values(), ...(input.nearbyQuotes ?? [])];
  const legs: ModelledLeg[] = [];
  const stand: { contract: OptionContract; quote: OptionQuote }[] = [];
  const failures: string[] = [];
  for (const bad of guard.badLegs) {
    const model = modelLegPrice(bad.leg.contract, sources, {
      spot,
      rate: config.universe.riskFreeRate,
      freshness,
    });
    const quote = model.ok ? modelQuote(bad.leg.contract, model, clock.now) : undefined;
    // A model price no quote could carry (an absurd strike in a corrupt record) is no price either.
    const unusable = model.ok ? legQuoteProblem(quote, freshness) : model.reason;
    if (!model.ok || !quote || unusable) {
      failures.push(`${bad.name}: ${unusable ?? 'no model price'}`);
      continue;
    }
    legs.push({
      key: legKey(bad.leg.contract),
      name: bad.name,
      problem: bad.problem,
      price: model.price,
      iv: model.iv,
      sources: model.sources,
    });
    stand.push({ contract: bad.leg.contract, quote });
  }
  const spotDanger = spotBreach.length > 0 ? spotBreach.join(', ') : undefined;
  if (failures.length > 0) {
    guard.inputs.modelFailures = failures.join('; ');
    return { danger: spotDanger };
  }

  const completed = withModelQuotes(input.quotes, stand);
  const { workingOrder, ...rest } = input;
  const verdict = judge({ ...rest, quotes: completed });
  if (!(verdict.action === 'CLOSE' && verdict.urgent)) return { danger: spotDanger };
  const limit = protectiveCloseLimit(position, completed);
  if (!limit) return { danger: spotDanger };

  const inputs: DecisionInputs = { ...guard.inputs, ...verdict.inputs, modelPriced: true };
  for (const leg of legs) {
    // The stand-in quote's bid/ask are the model price; the leg's own (unusable) quote is not recorded.
    delete inputs[`${leg.name}.bid`];
    delete inputs[`${leg.name}.ask`];
    inputs[`${leg.name}.quoteProblem`] = leg.problem;
    inputs[`${leg.name}.modelPrice`] = leg.price;
    inputs[`${leg.name}.modelIv`] = leg.iv;
    inputs[`${leg.name}.ivSources`] = leg.sources
      .map((s) => `${s.right}${s.strike} ${s.iv.toFixed(4)}`)
      .join(', ');
  }
  inputs.protectiveNatural = limit.natural;
  inputs.protectiveLimit = limit.limit;
  const modelText = legs
    .map(
      (l) =>
        `${l.name} ${l.problem}: model price ${fmt(l.price)} (IV ${fmt(l.iv, 4)} from ` +
        `${l.sources.map((s) => `${s.right}${s.strike}`).join(', ')})`,
    )
    .join('; ');
  const action = `closing at a protective limit of ${fmt(limit.limit)} (natural on the quoted legs + model, at most the width ${fmt(position.width)})`;
  const danger = `rule ${verdict.rule} ${verdict.ruleName}`;

  // An order already working for the position is managed, never doubled (rule 2).
  const decision = workingOrder ? judge({ ...input, quotes: completed }) : verdict;
  const alertGuard = { ...guard, inputs };
  const alert = guardAlert(input, alertGuard, danger, `${modelText}; ${action}`);
  return {
    decision: {
      ...decision,
      reason: `${decision.reason} — data guard: ${modelText}; ${action}`,
      inputs: decision === verdict ? inputs : { ...inputs, ...decision.inputs },
      ...(alert ? { alert } : {}),
      modelled: { legs, limit: limit.limit },
    },
  };
}
