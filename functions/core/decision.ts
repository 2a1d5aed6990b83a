// The decision engine for open positions: the 12 rules of the trading rules ("Decision engine"), in
// priority order; the first that matches wins. Every decision carries the rule, a sentence with the
// numbers and every number the rule looked at, so an operator can later ask why.
import { pnlAlertSeverity } from './alerts';
import { calendarDaysBetween, nyDate, nyParts } from './calendar';
import { mid, yearsToExpiry } from './chain';
import type { Config } from './config';
import { legKey } from './chain';
import { legQuoteProblem, unrealisedPnl } from './pnl';
import type { QuoteMap, UnrealisedPnl } from './pnl';
import { bsGreeks } from './pricing';
import type {
  AlertSeverity,
  IsoDate,
  MarketClock,
  OptionQuote,
  PositionLeg,
  Right,
  StrategyPosition,
} from './types';

export type DecisionAction = 'HOLD' | 'CLOSE' | 'MANAGE' | 'ROLL';

export interface RuleInfo {
  number: number;
  name: string;
  action: DecisionAction;
  /** Urgent exits may be priced at natural at once (rules 3–5). */
  urgent: boolean;
  /** Default threshold and where it comes from, as in the trading rules. */
  default: string;
}

/** The rules in priority order (0 is the fall-through HOLD), for docs and the UI. */
export const RULES: readonly RuleInfo[] = [
  { number: 0, name: 'no rule matched', action: 'HOLD', urgent: false, default: '–' },
  {
    number: 1,
    name: 'data guard',
    action: 'HOLD',
    urgent: false,
    default: 'bridge down, quotes invalid or stale (60 s), market closed; alert after 15 min',
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
    default: 'spot beyond a short strike, or short |delta| ≥ 0.50',
  },
  {
    number: 6,
    name: 'assignment risk',
    action: 'CLOSE',
    urgent: false,
    default: 'ITM short call extrinsic < dividend before ex-date; ITM short extrinsic < $0.05',
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
    number: 11,
    name: 'iron condor roll',
    action: 'ROLL',
    urgent: false,
    default: 'tested short |delta| ≥ 0.35, ≥ 25% more credit; off by default',
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
  /** What the order is for, e.g. 'close' or 'roll'. */
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
  nextDividend?: { exDate: IsoDate; amount: number };
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

export interface Decision {
  action: DecisionAction;
  /** 1–12, or 0 when no rule matched. */
  rule: number;
  ruleName: string;
  urgent: boolean;
  reason: string;
  inputs: DecisionInputs;
  alert?: { severity: AlertSeverity; reason: string };
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
  const info = RULES[rule]!;
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
  /** A short leg with spot beyond its strike (below a put, above a call). */
  breached: boolean;
}

function legName(leg: PositionLeg): string {
  return `${leg.quantity < 0 ? 'short' : 'long'}${leg.contract.right}${leg.contract.strike}`;
}

function evaluate(input: DecisionInput): Decision {
  const { position, clock, config } = input;
  const { exits } = config;

  // Rule 1: data guard. Everything below needs a live bridge, an open market and usable prices.
  const guard = dataGuard(input);
  if (guard) return guard;

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
  const legs = position.legs.map((leg) =>
    viewLeg(leg, input.quotes.get(legKey(leg.contract))!, spot, years, rate),
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
      const deadlineText = Number.isFinite(deadline) ? `${hhmm(deadline)} ET` : 'the close';
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

  // Rule 6's facts are needed by rule 5 too: an ITM short is always beyond its strike, so rule 5 wins
  // whenever rule 6 would match, and its reason then names the assignment risk as well.
  const assignment = assignmentRisks(shorts, {
    tradeDate: clock.tradeDate,
    expiry: position.expiry,
    nextDividend: input.nextDividend,
    minExtrinsic: exits.minExtrinsic,
  });
  const assignmentInputs: DecisionInputs = { minExtrinsic: exits.minExtrinsic };
  if (input.nextDividend) {
    assignmentInputs.dividendAmount = input.nextDividend.amount;
    assignmentInputs.dividendExDate = input.nextDividend.exDate;
  }

  // Rule 5: a short strike breached, or a short leg's |delta| at the breach level.
  const breached = shorts.filter(
    (l) => l.breached || (l.delta !== undefined && Math.abs(l.delta) >= exits.breachDelta),
  );
  if (breached.length > 0) {
    const which = breached
      .map((l) =>
        l.breached
          ? `spot ${fmt(spot)} beyond ${l.name}`
          : `${l.name} |delta| ${fmt(Math.abs(l.delta!))} ≥ ${exits.breachDelta}`,
      )
      .join(', ');
    const also = assignment.length > 0 ? `; also assignment risk: ${assignment.join(', ')}` : '';
    return make(
      5,
      `short strike breached: ${which}${also}`,
      withBase({ breachDelta: exits.breachDelta, ...assignmentInputs }),
    );
  }

  // Rule 6: assignment risk (see assignmentRisks).
  if (assignment.length > 0) {
    return make(6, `assignment risk: ${assignment.join(', ')}`, withBase(assignmentInputs));
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

  // Rule 11: iron condor with one side tested; roll the untested side closer for more credit.
  if (exits.rollEnabled && position.strategy === 'IRON_CONDOR') {
    const sides = shorts.filter((l) => l.delta !== undefined);
    if (sides.length > 0) {
      const tested = sides.reduce((a, b) => (Math.abs(b.delta!) > Math.abs(a.delta!) ? b : a));
      const testedDelta = Math.abs(tested.delta!);
      if (testedDelta >= exits.rollTestedDelta) {
        const testedSide = tested.leg.contract.right === 'P' ? 'put' : 'call';
        const untestedSide = testedSide === 'put' ? 'call' : 'put';
        return make(
          11,
          `iron condor ${testedSide} side tested: ${tested.name} |delta| ${fmt(testedDelta)} ≥ ` +
            `${exits.rollTestedDelta}; roll the ${untestedSide} side toward the money for ≥ ` +
            `${exits.rollMinExtraCreditPct}% more credit`,
          withBase({
            testedSide,
            testedDelta,
            rollTestedDelta: exits.rollTestedDelta,
            rollMinExtraCreditPct: exits.rollMinExtraCreditPct,
          }),
        );
      }
    }
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
 * (< minExtrinsic) can be exercised at any time.
 */
export function assignmentRisks(
  shorts: readonly ShortLegState[],
  ctx: {
    tradeDate: IsoDate;
    expiry: IsoDate;
    nextDividend?: { exDate: IsoDate; amount: number } | undefined;
    minExtrinsic: number;
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
    } else if (leg.extrinsic < ctx.minExtrinsic) {
      risks.push(`${leg.name} ITM with extrinsic ${fmt(leg.extrinsic)} < ${fmt(ctx.minExtrinsic)}`);
    }
  }
  return risks;
}

function dataGuard(input: DecisionInput): Decision | undefined {
  const { position, clock, config } = input;
  const maxAgeSeconds = config.filters.maxQuoteAgeSeconds;
  const freshness = { now: clock.now, maxAgeSeconds };
  // Only data problems alert; a closed market is the normal state outside the session.
  const problems: string[] = [];
  let dataProblem = false;
  const inputs: DecisionInputs = {
    bridgeUp: input.bridgeUp,
    marketOpen: clock.isOpen,
    now: clock.now,
    maxQuoteAgeSeconds: maxAgeSeconds,
  };
  const note = (text: string, isData = true) => {
    problems.push(text);
    if (isData) dataProblem = true;
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
  let badLegs = 0;
  for (const leg of position.legs) {
    const name = legName(leg);
    const quote = input.quotes.get(legKey(leg.contract));
    if (quote) inputs[`${name}.ageSeconds`] = (clock.now - quote.timestamp) / 1000;
    const problem = legQuoteProblem(quote, freshness);
    if (problem) {
      badLegs += 1;
      note(`${name} ${problem}`);
    }
  }
  inputs.badLegQuotes = badLegs;
  if (problems.length === 0) return undefined;

  const alertAfter = config.exits.dataGuardAlertMinutes;
  inputs.dataGuardAlertMinutes = alertAfter;
  let held = '';
  let alert: Decision['alert'];
  if (input.dataGuardSince !== undefined) {
    const heldMinutes = (clock.now - input.dataGuardSince) / MINUTE_MS;
    inputs.dataGuardSince = input.dataGuardSince;
    inputs.heldMinutes = heldMinutes;
    if (Number.isFinite(heldMinutes)) held = ` for ${fmt(heldMinutes, 0)} min`;
    if (dataProblem && heldMinutes > alertAfter) {
      alert = {
        severity: 'WARNING',
        reason: `data guard holding ${position.symbol} position ${position.id}${held} (alert after ${alertAfter} min): ${problems.join('; ')}`,
      };
    }
  }
  return make(1, `data guard: ${problems.join('; ')}; holding${held}`, inputs, alert);
}

function viewLeg(leg: PositionLeg, quote: OptionQuote, spot: number, years: number, rate: number): LegView {
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
    breached: short && beyond,
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

function hhmm(at: number): string {
  const { hour, minute } = nyParts(at);
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}
