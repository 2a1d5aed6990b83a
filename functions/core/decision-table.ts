// The decision engine's vocabulary: the rules by number with their action and urgency, what a decision
// takes in and what it records, and the wording helpers every rule's sentence shares.
import type { Config } from './config';
import type { IvSource } from './model-price';
import type { QuoteMap } from './pnl';
import type { AlertSeverity, IsoDate, MarketClock, OptionQuote, StrategyPosition } from './types';

export type DecisionAction = 'HOLD' | 'CLOSE' | 'MANAGE';

export interface RuleInfo {
  number: number;
  name: string;
  action: DecisionAction;
  /** Urgent exits may be priced at natural at once (rules 3–6). */
  urgent: boolean;
}

/**
 * The rules by number (0 is the fall-through HOLD), for docs and the UI. Evaluated in this order except
 * that rule 6 goes before rule 5. Rule 11 (iron condor roll) is retired: it decided but never acted.
 */
export const RULES: readonly RuleInfo[] = [
  { number: 0, name: 'no rule matched', action: 'HOLD', urgent: false },
  { number: 1, name: 'data guard', action: 'HOLD', urgent: false },
  { number: 2, name: 'working order', action: 'MANAGE', urgent: false },
  { number: 3, name: 'expiration day risk', action: 'CLOSE', urgent: true },
  { number: 4, name: 'stop loss', action: 'CLOSE', urgent: true },
  { number: 5, name: 'short strike breached', action: 'CLOSE', urgent: true },
  { number: 6, name: 'assignment risk', action: 'CLOSE', urgent: true },
  { number: 7, name: 'event blackout', action: 'CLOSE', urgent: false },
  { number: 8, name: 'profit target', action: 'CLOSE', urgent: false },
  { number: 9, name: 'DTE exit', action: 'CLOSE', urgent: false },
  { number: 10, name: 'time in trade', action: 'CLOSE', urgent: false },
  { number: 12, name: 'P&L alert', action: 'HOLD', urgent: false },
];

export interface WorkingOrder {
  orderId: number;
  /** What the order is for, e.g. 'close'. */
  purpose: string;
  /** Current limit price per share. */
  limit: number;
  repriceCount: number;
  /** Epoch ms. */
  placedAt: number;
}

export interface DecisionInput {
  position: StrategyPosition;
  /** Quotes by `legKey` (see pnl.ts); missing, invalid or stale ones trip the data guard. */
  quotes: QuoteMap;
  underlying: { price: number; timestamp: number } | undefined;
  clock: MarketClock;
  bridgeUp: boolean;
  workingOrder?: WorkingOrder;
  /**
   * Quotes of other strikes of the position's expiries (the caller asks for the nearest listed ones
   * when a leg's quote is unusable): with the position's own usable legs, the implied volatilities a
   * missing leg is priced from. Delayed, stale or invalid ones are ignored.
   */
  nearbyQuotes?: readonly OptionQuote[];
  /**
   * Earnings and other blackout dates for this underlying. Market-wide `filters.blackoutDates` are an
   * entry filter; pass them here too if they should also close open positions.
   */
  eventDates?: readonly IsoDate[];
  /** Epoch ms since when the data guard has been holding this position (kept by the caller). */
  dataGuardSince?: number;
  config: Config;
}

export type DecisionInputs = Record<string, number | string | boolean>;

/** A leg priced from the model because its quote was unusable (see model-price.ts). */
export interface ModelledLeg {
  /** `legKey` of the leg. */
  key: string;
  /** `longP575`. */
  name: string;
  /** Why its quote could not be used. */
  problem: string;
  /** Model price per share, the implied volatility it used and where that came from. */
  price: number;
  iv: number;
  sources: IvSource[];
}

export interface Decision {
  action: DecisionAction;
  /** 1–12 (11 retired), or 0 when no rule matched. */
  rule: number;
  ruleName: string;
  urgent: boolean;
  reason: string;
  inputs: DecisionInputs;
  alert?: { severity: AlertSeverity; reason: string };
  /**
   * Set when the data guard found a leg quote unusable on a position in danger: the legs priced from the
   * model and the protective limit per share (natural on the quoted legs + model prices, at most the
   * width) the close must be placed at instead of the usual pricing.
   */
  modelled?: { legs: ModelledLeg[]; limit: number };
}

/** The rule with this number (0–12; 11 is retired and absent). */
export function ruleInfo(rule: number): RuleInfo {
  const info = RULES.find((r) => r.number === rule);
  if (!info) throw new RangeError(`no decision rule ${rule}`);
  return info;
}

export const MINUTE_MS = 60_000;

/** The decision of rule `rule` (its action, name and urgency from RULES) with its reason and numbers. */
export function ruleDecision(
  rule: number,
  reason: string,
  inputs: DecisionInputs,
  alert?: Decision['alert'],
): Decision {
  const info = ruleInfo(rule);
  const decision: Decision = {
    action: info.action,
    rule,
    ruleName: info.name,
    urgent: info.urgent,
    reason,
    inputs,
  };
  if (alert) decision.alert = alert;
  return decision;
}

export function fmt(value: number, digits = 2): string {
  return value.toFixed(digits);
}

export function usd(amount: number): string {
  return `${amount < 0 ? '-' : ''}$${Math.abs(amount).toFixed(2)}`;
}
