// The decision engine for open positions: the rules of the trading rules ("Decision engine"), in
// priority order; the first that matches wins. Rule numbers are stable identifiers (stored decisions and
// alerts name them): rule 11, the iron condor roll, is retired and its number not reused, and rule 6 is
// checked before rule 5 (see there). Every decision carries the rule, a sentence with the
// numbers and every number the rule looked at, so an operator can later ask why.
import { pnlAlertSeverity } from './alerts';
import { calendarDaysBetween, nyClockTime, nyDate } from './calendar';
import { mid, yearsToExpiry } from './chain';
import type { Config } from './config';
import { legKey } from './chain';
import { modelLegPrice, modelQuote, protectiveCloseLimit, withModelQuotes } from './model-price';
import type { IvSource } from './model-price';
import { legQuoteProblem, unrealisedPnl } from './pnl';
import type { QuoteMap, UnrealisedPnl } from './pnl';
import { bsGreeks } from './pricing';
import { STRATEGIES } from './strategies/registry';
import type {
  AlertSeverity,
  IsoDate,
  MarketClock,
  OptionContract,
  OptionQuote,
  PositionLeg,
  Right,
  StrategyPosition,
} from './types';

export type DecisionAction = 'HOLD' | 'CLOSE' | 'MANAGE';

export interface RuleInfo {
  number: number;
  name: string;
  action: DecisionAction;
  /** Urgent exits may be priced at natural at once (rules 3–6). */
  urgent: boolean;
  /** Default threshold and where it comes from, as in the trading rules. */
  default: string;
}

/**
 * The rules by number (0 is the fall-through HOLD), for docs and the UI. Evaluated in this order except
 * that rule 6 goes before rule 5. Rule 11 (iron condor roll) is retired: it decided but never acted.
 */
export const RULES: readonly RuleInfo[] = [
  { number: 0, name: 'no rule matched', action: 'HOLD', urgent: false, default: '–' },
  {
    number: 1,
    name: 'data guard',
    action: 'HOLD',
    urgent: false,
    default:
      'bridge down, quotes invalid or stale (60 s), market closed; alert after 15 min; a position in danger is closed on a model price for the missing leg, CRITICAL after 10 min',
  },
  { number: 2, name: 'working order', action: 'MANAGE', urgent: false, default: 'never a second order' },
  {
    number: 3,
    name: 'expiration day risk',
    action: 'CLOSE',
    urgent: true,
    default: 'short leg ITM or within 1% of spot; close by 15:45 ET, 12:45 early (Option Alpha)',
  },
  {
    number: 4,
    name: 'stop loss',
    action: 'CLOSE',
    urgent: true,
    default: 'loss ≥ 2.0 × entry credit (tastytrade)',
  },
  {
    number: 5,
    name: 'short strike breached',
    action: 'CLOSE',
    urgent: true,
    default: 'spot beyond a short strike, or short |delta| ≥ 0.50 (iron butterfly: beyond a breakeven)',
  },
  {
    number: 6,
    name: 'assignment risk',
    action: 'CLOSE',
    urgent: true,
    default: 'ITM short call extrinsic < dividend before ex-date; ITM short extrinsic < $0.05; before rule 5',
  },
  { number: 7, name: 'event blackout', action: 'CLOSE', urgent: false, default: 'earnings within 7 days' },
  {
    number: 8,
    name: 'profit target',
    action: 'CLOSE',
    urgent: false,
    default: '50% of max profit (tastytrade)',
  },
  { number: 9, name: 'DTE exit', action: 'CLOSE', urgent: false, default: 'DTE ≤ 21 (tastytrade)' },
  {
    number: 10,
    name: 'time in trade',
    action: 'CLOSE',
    urgent: false,
    default: '30 days in trade and profit > 0',
  },
  {
    number: 12,
    name: 'P&L alert',
    action: 'HOLD',
    urgent: false,
    default: 'loss > $500 critical, loss > $200 warning, profit > $500 info',
  },
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

const MINUTE_MS = 60_000;

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
    return make(1, reason, { evaluationError: message }, { severity: 'WARNING', reason });
  }
}

function make(rule: number, reason: string, inputs: DecisionInputs, alert?: Decision['alert']): Decision {
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

/** What the rules know about one leg. */
interface LegView extends ShortLegState {
  leg: PositionLeg;
  /** `shortP580`, `longC625`: names leg numbers in `inputs` and legs in reasons. */
  name: string;
  short: boolean;
  quote: OptionQuote;
  mid: number;
  /** Quote delta, else Black-Scholes from the quote's IV; undefined when neither is available. */
  delta: number | undefined;
  intrinsic: number;
  /** |spot − strike| as % of spot. */
  distancePct: number;
  /** A short leg with spot beyond its strike (below a put, above a call); iron butterfly: its breakeven. */
  breached: boolean;
}

function legName(leg: PositionLeg): string {
  return `${leg.quantity < 0 ? 'short' : 'long'}${leg.contract.right}${leg.contract.strike}`;
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

/** Rules 2–12 on usable quotes (the guard passed, or the unusable legs carry model quotes). */
function judge(input: DecisionInput): Decision {
  const { position, clock, config } = input;
  const { exits } = config;

  // Rule 2: an order is already working; manage it and never send a second one.
  const order = input.workingOrder;
  if (order) {
    const ageSeconds = (clock.now - order.placedAt) / 1000;
    return make(
      2,
      `order ${order.orderId} (${order.purpose}) working at ${fmt(order.limit)} for ${fmt(ageSeconds, 0)} s ` +
        `after ${order.repriceCount} reprice(s): manage it (reprice every ${config.orders.repriceSeconds} s, ` +
        `at most ${config.orders.maxReprices}), never a second order`,
      {
        orderId: order.orderId,
        orderPurpose: order.purpose,
        orderLimit: order.limit,
        repriceCount: order.repriceCount,
        orderPlacedAt: order.placedAt,
        orderAgeSeconds: ageSeconds,
        repriceSeconds: config.orders.repriceSeconds,
        maxReprices: config.orders.maxReprices,
      },
    );
  }

  // The guard checked every quote, so the P&L can be priced.
  const pnlResult = unrealisedPnl(position, input.quotes);
  if (!pnlResult.ok) throw new Error(`no price for ${pnlResult.missing.map((m) => m.key).join(', ')}`);
  const pnl: UnrealisedPnl = pnlResult;
  const spot = input.underlying!.price;
  const dte = calendarDaysBetween(clock.tradeDate, position.expiry);
  const daysInTrade = calendarDaysBetween(nyDate(position.openedAt), clock.tradeDate);
  const years = Math.max(0, yearsToExpiry(clock.now, position.expiry));
  const rate = config.universe.riskFreeRate;
  const atBreakevens = breachesAtBreakevens(position);
  const breachMargin = atBreakevens ? position.entryCredit : 0;
  const legs = position.legs.map((leg) =>
    viewLeg(leg, input.quotes.get(legKey(leg.contract))!, spot, years, rate, breachMargin),
  );
  const shorts = legs.filter((l) => l.short);

  const base: DecisionInputs = {
    spot,
    tradeDate: clock.tradeDate,
    expiry: position.expiry,
    dte,
    daysInTrade,
    quantity: position.quantity,
    entryCredit: position.entryCredit,
    width: position.width,
    commissionsUsd: position.commissionsUsd,
    closeCostMid: pnl.closeCostMid,
    closeCostNatural: pnl.closeCostNatural,
    unrealisedMidUsd: pnl.midUsd,
    unrealisedNaturalUsd: pnl.naturalUsd,
    maxProfitUsd: pnl.maxProfitUsd,
    pctOfMaxProfit: pnl.pctOfMaxProfit,
    lossMultipleOfCredit: pnl.lossMultipleOfCredit,
  };
  for (const l of legs) {
    base[`${l.name}.strike`] = l.leg.contract.strike;
    base[`${l.name}.bid`] = l.quote.bid;
    base[`${l.name}.ask`] = l.quote.ask;
    base[`${l.name}.mid`] = l.mid;
    if (l.delta !== undefined) base[`${l.name}.delta`] = l.delta;
    if (l.short) {
      base[`${l.name}.extrinsic`] = l.extrinsic;
      base[`${l.name}.distancePct`] = l.distancePct;
      base[`${l.name}.itm`] = l.itm;
    }
  }
  const withBase = (extra: DecisionInputs): DecisionInputs => ({ ...base, ...extra });

  // Rule 3: expiration day with a short leg ITM or near spot. Closed as soon as it is seen rather than
  // waiting for the deadline: holding a short strike at the money into the last hour buys a few cents
  // of theta with pin and assignment risk, and a 5-minute monitor gets few chances to close in time.
  // After the deadline it still closes (urgent); the deadline is reported for the operator.
  if (dte === 0) {
    const atRisk = shorts.filter((l) => l.itm || l.distancePct <= exits.expiryNearSpotPct);
    if (atRisk.length > 0) {
      const deadline =
        clock.closeAt !== undefined
          ? clock.closeAt - exits.expiryCloseMinutesBeforeClose * MINUTE_MS
          : Number.NaN;
      const deadlineText = Number.isFinite(deadline) ? `${nyClockTime(deadline)} ET` : 'the close';
      const which = atRisk
        .map((l) => `${l.name} ${l.itm ? 'ITM' : `${fmt(l.distancePct)}% from spot`}`)
        .join(', ');
      return make(
        3,
        `expiration day: ${which} (spot ${fmt(spot)}, limit ${exits.expiryNearSpotPct}%); close now, ` +
          `deadline ${deadlineText}`,
        withBase({
          expiryNearSpotPct: exits.expiryNearSpotPct,
          expiryCloseMinutesBeforeClose: exits.expiryCloseMinutesBeforeClose,
          closeDeadline: deadline,
          minutesToDeadline: (deadline - clock.now) / MINUTE_MS,
          earlyClose: clock.earlyClose,
        }),
      );
    }
  }

  // Rule 4: stop loss, per share: close cost − credit ≥ multiple × credit.
  if (pnl.lossMultipleOfCredit >= exits.stopLossMultiple) {
    return make(
      4,
      `stop loss: close cost ${fmt(pnl.closeCostMid)} − credit ${fmt(position.entryCredit)} = ` +
        `${fmt(pnl.closeCostMid - position.entryCredit)} per share, ${fmt(pnl.lossMultipleOfCredit)}× the credit ` +
        `(stop at ${exits.stopLossMultiple}×); unrealised ${usd(pnl.midUsd)}`,
      withBase({ stopLossMultiple: exits.stopLossMultiple }),
    );
  }

  // Rule 6 before rule 5: early assignment only happens to an ITM short, which is always beyond its
  // strike, so in number order rule 5 would always mask it. Assignment risk is the more specific and more
  // pressing case of a breach (the shares can arrive overnight), so it is named and closed as such, at
  // urgent pricing like rule 5.
  const dividend = nextExDividend(exits.exDividends[position.symbol], clock.tradeDate);
  const assignment = assignmentRisks(shorts, {
    tradeDate: clock.tradeDate,
    expiry: position.expiry,
    nextDividend: dividend,
    assignmentExtrinsicUsd: exits.assignmentExtrinsicUsd,
  });
  const isBreached = (l: LegView) =>
    l.breached || (!atBreakevens && l.delta !== undefined && Math.abs(l.delta) >= exits.breachDelta);
  const describeBreach = (l: LegView) =>
    l.breached
      ? `spot ${fmt(spot)} beyond ${breachText(l.leg, breachMargin)}`
      : `${l.name} |delta| ${fmt(Math.abs(l.delta!))} ≥ ${exits.breachDelta}`;
  const breached = shorts.filter(isBreached);

  // Rule 6: assignment risk (see assignmentRisks).
  if (assignment.length > 0) {
    const inputs: DecisionInputs = { assignmentExtrinsicUsd: exits.assignmentExtrinsicUsd };
    if (dividend) {
      inputs.dividendAmount = dividend.amount;
      inputs.dividendExDate = dividend.exDate;
    }
    const also = breached.length > 0 ? `; also breached: ${breached.map(describeBreach).join(', ')}` : '';
    return make(6, `assignment risk: ${assignment.join(', ')}${also}`, withBase(inputs));
  }

  // Rule 5: a short strike breached, or a short leg's |delta| at the breach level.
  if (breached.length > 0) {
    return make(
      5,
      `short strike breached: ${breached.map(describeBreach).join(', ')}`,
      withBase({ breachDelta: exits.breachDelta }),
    );
  }

  // Rule 7: an event inside the remaining life and within the blackout window.
  const events = (input.eventDates ?? [])
    .map((date) => ({ date, days: daysUntil(clock.tradeDate, date) }))
    .filter(
      (e) =>
        e.days !== undefined &&
        e.days >= 0 &&
        e.days <= exits.earningsBlackoutDays &&
        e.date <= position.expiry,
    );
  if (events.length > 0) {
    const first = events.reduce((a, b) => (b.days! < a.days! ? b : a));
    return make(
      7,
      `event blackout: ${first.date} is ${first.days} day(s) away (within ${exits.earningsBlackoutDays}) ` +
        `and before expiry ${position.expiry}`,
      withBase({
        eventDate: first.date,
        daysToEvent: first.days!,
        earningsBlackoutDays: exits.earningsBlackoutDays,
      }),
    );
  }

  // Rule 8: profit target, as a share of the credit (see UnrealisedPnl.pctOfMaxProfit).
  if (pnl.pctOfMaxProfit >= exits.profitTargetPct) {
    return make(
      8,
      `profit target: close cost ${fmt(pnl.closeCostMid)} keeps ${fmt(pnl.pctOfMaxProfit, 1)}% of the credit ` +
        `${fmt(position.entryCredit)} (target ${exits.profitTargetPct}%); unrealised ${usd(pnl.midUsd)}`,
      withBase({ profitTargetPct: exits.profitTargetPct }),
    );
  }

  // Rule 9: too close to expiry; gamma risk outweighs the remaining premium.
  if (dte <= exits.exitDte) {
    return make(
      9,
      `DTE exit: ${dte} day(s) to expiry ${position.expiry} (exit at ${exits.exitDte}); unrealised ${usd(pnl.midUsd)}`,
      withBase({ exitDte: exits.exitDte }),
    );
  }

  // Rule 10: a winner held long enough; free the capital.
  if (daysInTrade >= exits.maxDaysInTrade && pnl.midUsd > 0) {
    return make(
      10,
      `time in trade: ${daysInTrade} day(s) held (limit ${exits.maxDaysInTrade}) with profit ${usd(pnl.midUsd)}`,
      withBase({ maxDaysInTrade: exits.maxDaysInTrade }),
    );
  }

  // Rule 12: P&L alert thresholds; the position stays open.
  const severity = pnlAlertSeverity(pnl.midUsd, config.alerts);
  const alertInputs: DecisionInputs = {
    lossCriticalUsd: config.alerts.lossCriticalUsd,
    lossWarningUsd: config.alerts.lossWarningUsd,
    profitInfoUsd: config.alerts.profitInfoUsd,
  };
  if (severity) {
    const limit =
      severity === 'CRITICAL'
        ? `loss above ${usd(config.alerts.lossCriticalUsd)}`
        : severity === 'WARNING'
          ? `loss above ${usd(config.alerts.lossWarningUsd)}`
          : `profit above ${usd(config.alerts.profitInfoUsd)}`;
    const reason = `P&L alert: unrealised ${usd(pnl.midUsd)} (${limit}); holding`;
    return make(12, reason, withBase({ ...alertInputs, alertSeverity: severity }), { severity, reason });
  }

  return make(
    0,
    `hold: unrealised ${usd(pnl.midUsd)} (${fmt(pnl.pctOfMaxProfit, 1)}% of the credit), ${dte} DTE, ` +
      `${daysInTrade} day(s) in trade; no rule matched`,
    withBase({
      stopLossMultiple: exits.stopLossMultiple,
      profitTargetPct: exits.profitTargetPct,
      exitDte: exits.exitDte,
      maxDaysInTrade: exits.maxDaysInTrade,
      breachDelta: exits.breachDelta,
      ...alertInputs,
    }),
  );
}

/** What `assignmentRisks` needs of a short leg. */
export interface ShortLegState {
  /** Leg name for the reason, e.g. `shortC620`. */
  name: string;
  right: Right;
  itm: boolean;
  /** Option mid − intrinsic value, per share. */
  extrinsic: number;
}

/**
 * Rule 6: the short legs at risk of early assignment, each as a sentence. Holders of an ITM call
 * exercise before the ex-date when the dividend exceeds the time value they give up (so only while the
 * ex-date is still ahead and falls before expiry); any ITM short with almost no time value left
 * (< assignmentExtrinsicUsd) can be exercised at any time.
 */
export function assignmentRisks(
  shorts: readonly ShortLegState[],
  ctx: {
    tradeDate: IsoDate;
    expiry: IsoDate;
    nextDividend?: { exDate: IsoDate; amount: number } | undefined;
    assignmentExtrinsicUsd: number;
  },
): string[] {
  const dividend = ctx.nextDividend;
  // ISO dates compare in time order as strings.
  const dividendAhead =
    dividend !== undefined && ctx.tradeDate < dividend.exDate && dividend.exDate <= ctx.expiry;
  const risks: string[] = [];
  for (const leg of shorts) {
    if (!leg.itm) continue;
    if (dividendAhead && leg.right === 'C' && leg.extrinsic < dividend.amount) {
      risks.push(
        `${leg.name} ITM with extrinsic ${fmt(leg.extrinsic)} < dividend ${fmt(dividend.amount)} (ex-date ${dividend.exDate})`,
      );
    } else if (leg.extrinsic < ctx.assignmentExtrinsicUsd) {
      risks.push(`${leg.name} ITM with extrinsic ${fmt(leg.extrinsic)} < ${fmt(ctx.assignmentExtrinsicUsd)}`);
    }
  }
  return risks;
}

/**
 * The next ex-dividend of an underlying after `tradeDate` from the config's list (`exits.exDividends`),
 * or undefined. The ex-date itself is too late for an early exercise to collect the dividend.
 */
export function nextExDividend(
  dividends: readonly { exDate: IsoDate; amount: number }[] | undefined,
  tradeDate: IsoDate,
): { exDate: IsoDate; amount: number } | undefined {
  // ISO dates compare in time order as strings.
  return (dividends ?? [])
    .filter((d) => d.exDate > tradeDate)
    .reduce<{ exDate: IsoDate; amount: number } | undefined>(
      (a, d) => (a && a.exDate <= d.exDate ? a : d),
      undefined,
    );
}

/** What the data guard found wrong (rule 1). */
interface GuardState {
  problems: string[];
  /** Some problem is about data (not only a closed market): those alert. */
  dataProblem: boolean;
  inputs: DecisionInputs;
  /** Legs whose quote cannot be used, with the reason. */
  badLegs: { leg: PositionLeg; name: string; problem: string }[];
  /** Bridge up, market open, a usable underlying price: only leg quotes are wrong (a model may help). */
  legsOnly: boolean;
}

function dataGuard(input: DecisionInput): GuardState | undefined {
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
function guardHold(input: DecisionInput, guard: GuardState, danger: string | undefined): Decision {
  const what = `${guard.problems.join('; ')}; no model price, so it cannot be closed`;
  const alert = guardAlert(input, guard, danger, what);
  if (danger !== undefined) guard.inputs.inDanger = danger;
  return make(1, `data guard: ${guard.problems.join('; ')}; holding${heldText(guard)}`, guard.inputs, alert);
}

/**
 * The data guard protects against trading on bad data, not against closing a position in danger. With
 * only leg quotes unusable, each such leg is priced from the model (modelLegPrice) and the rules are run
 * on those prices: when they say the position is in danger — an urgent close, rules 3–6, which covers a
 * short strike the underlying's own quote shows breached — it is closed at the protective limit. In any
 * other case it holds as before. Returns `danger` alone when the spot shows a breach but some leg has no
 * model price.
 */
function closeOnModel(
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

/** Rule 5 per the position's strategy module: at the breakevens (iron butterfly) or the short strikes. */
function breachesAtBreakevens(position: StrategyPosition): boolean {
  return STRATEGIES.find((s) => s.kind === position.strategy)?.breach === 'atBreakevens';
}

/** Spot beyond a short leg's strike by more than `margin` per share (0: beyond the strike itself). */
function beyondBreach(leg: PositionLeg, spot: number, margin: number): boolean {
  const { strike, right } = leg.contract;
  return right === 'P' ? spot < strike - margin : spot > strike + margin;
}

function breachText(leg: PositionLeg, margin: number): string {
  if (margin === 0) return legName(leg);
  const level = leg.contract.right === 'P' ? leg.contract.strike - margin : leg.contract.strike + margin;
  return `the breakeven ${fmt(level)} of ${legName(leg)}`;
}

function viewLeg(
  leg: PositionLeg,
  quote: OptionQuote,
  spot: number,
  years: number,
  rate: number,
  breachMargin: number,
): LegView {
  const { strike, right } = leg.contract;
  const short = leg.quantity < 0;
  const legMid = mid(quote);
  const intrinsic = right === 'P' ? Math.max(0, strike - spot) : Math.max(0, spot - strike);
  const beyond = right === 'P' ? spot < strike : spot > strike;
  return {
    leg,
    name: legName(leg),
    right,
    short,
    quote,
    mid: legMid,
    delta: legDelta(quote, spot, years, rate),
    intrinsic,
    extrinsic: legMid - intrinsic,
    itm: beyond,
    distancePct: (Math.abs(spot - strike) / spot) * 100,
    breached: short && beyondBreach(leg, spot, breachMargin),
  };
}

function legDelta(quote: OptionQuote, spot: number, years: number, rate: number): number | undefined {
  if (quote.delta !== undefined && Number.isFinite(quote.delta)) return quote.delta;
  const vol = quote.iv;
  if (vol === undefined || !Number.isFinite(vol) || vol <= 0) return undefined;
  try {
    const { delta } = bsGreeks({
      right: quote.contract.right,
      spot,
      strike: quote.contract.strike,
      years,
      rate,
      vol,
    });
    return Number.isFinite(delta) ? delta : undefined;
  } catch {
    // Inputs the model rejects (a non-positive strike in a corrupt record) leave delta unknown.
    return undefined;
  }
}

/** Calendar days from `from` to `date`, or undefined for a string that is not a date. */
function daysUntil(from: IsoDate, date: IsoDate): number | undefined {
  try {
    return calendarDaysBetween(from, date);
  } catch {
    return undefined;
  }
}

function fmt(value: number, digits = 2): string {
  return value.toFixed(digits);
}

function usd(amount: number): string {
  return `${amount < 0 ? '-' : ''}$${Math.abs(amount).toFixed(2)}`;
}
