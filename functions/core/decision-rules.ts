// Rules 2–12 of the decision engine, in priority order (rule 6 before rule 5), on usable quotes: the
// data guard (rule 1, data-guard.ts) passed, or it priced the unusable legs from the model.
import { pnlAlertSeverity } from './alerts';
import { calendarDaysBetween, nyClockTime, nyDate } from './calendar';
import { legKey, yearsToExpiry } from './chain';
import { MINUTE_MS, fmt, ruleDecision, usd } from './decision-table';
import type { Decision, DecisionInput, DecisionInputs } from './decision-table';
import {
  assignmentRisks,
  breachText,
  breachesAtBreakevens,
  daysUntil,
  nextExDividend,
  viewLeg,
} from './decision-legs';
import type { LegView } from './decision-legs';
import { unrealisedPnl } from './pnl';
import type { UnrealisedPnl } from './pnl';

/** Rules 2–12 on usable quotes (the guard passed, or the unusable legs carry model quotes). */
export function judge(input: DecisionInput): Decision {
  const { position, clock, config } = input;
  const { exits } = config;

  // Rule 2: an order is already working; manage it and never send a second one.
  const order = input.workingOrder;
  if (order) {
    const ageSeconds = (clock.now - order.placedAt) / 1000;
    return ruleDecision(
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
      return ruleDecision(
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
    return ruleDecision(
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
    return ruleDecision(6, `assignment risk: ${assignment.join(', ')}${also}`, withBase(inputs));
  }

  // Rule 5: a short strike breached, or a short leg's |delta| at the breach level.
  if (breached.length > 0) {
    return ruleDecision(
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
    return ruleDecision(
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
    return ruleDecision(
      8,
      `profit target: close cost ${fmt(pnl.closeCostMid)} keeps ${fmt(pnl.pctOfMaxProfit, 1)}% of the credit ` +
        `${fmt(position.entryCredit)} (target ${exits.profitTargetPct}%); unrealised ${usd(pnl.midUsd)}`,
      withBase({ profitTargetPct: exits.profitTargetPct }),
    );
  }

  // Rule 9: too close to expiry; gamma risk outweighs the remaining premium.
  if (dte <= exits.exitDte) {
    return ruleDecision(
      9,
      `DTE exit: ${dte} day(s) to expiry ${position.expiry} (exit at ${exits.exitDte}); unrealised ${usd(pnl.midUsd)}`,
      withBase({ exitDte: exits.exitDte }),
    );
  }

  // Rule 10: a winner held long enough; free the capital.
  if (daysInTrade >= exits.maxDaysInTrade && pnl.midUsd > 0) {
    return ruleDecision(
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
    return ruleDecision(12, reason, withBase({ ...alertInputs, alertSeverity: severity }), {
      severity,
      reason,
    });
  }

  return ruleDecision(
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
