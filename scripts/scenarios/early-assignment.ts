// The early-assignment scenario: an IWM bull put opened the day before is assigned overnight; the run
// must record the assignment and close the shares and the hedge.
import { addDays, nyTimeToEpoch, previousTradingDay } from '#core/calendar';
import { parseConfig } from '#core/config';
import { intentKey } from '#core/orders';
import { scheduledEvent } from '../local/stack';
import { brokerCashOf, expiryStackOf, openSpreadThroughBridge } from './expiring-spreads';
import type { Scenario, ScenarioContext } from './scenario';

/** The assigned position of the early-assignment scenario, set up the day before. */
const EARLY_ASSIGNMENT_SUBJECT = 'scenario-early-assignment';

/**
 * The day before: an IWM bull put whose short is 2% in the money, opened through an intent and its
 * fill (position-sync applies it, as after a run that crashed), then OCC assigns the short after the
 * close (the earlyAssignment fault). Returns the opening intent key.
 */
async function openAndAssignTheDayBefore(ctx: ScenarioContext): Promise<string> {
  const { stack } = ctx;
  const calendar = parseConfig({}).calendar;
  const dayBefore = previousTradingDay(ctx.date, calendar);
  const params = stack.simulator.engine.optionParams('IWM')[0]!;
  const expiry = params.expirations.find((e) => e >= addDays(dayBefore, 30).replaceAll('-', ''))!;
  // Priced at the spread's natural credit (short bid − long ask): marketable, so it fills at once, and
  // inside the bridge's price band (a token credit far below natural would be refused there).
  const { key, shortPut } = await openSpreadThroughBridge(expiryStackOf(stack), {
    strategy: 'BULL_PUT',
    symbol: 'IWM',
    expiry,
    tradeDate: dayBefore,
    subjectId: EARLY_ASSIGNMENT_SUBJECT,
    // −2% out of the money: the short put 2% in the money.
    shortOtmPct: -2,
    width: 5,
    reason: 'scenario early-assignment: an IWM bull put opened the day before, its short 2% in the money',
  });
  const shortStrike = shortPut.strike;
  stack.clock.advanceTo(stack.clock.now() + 60_000);
  await stack.invoke('position-sync', scheduledEvent(stack.clock.now()));
  // OCC assigns after the close; IB shows it the next morning.
  stack.clock.advanceTo(nyTimeToEpoch(dayBefore, '17:00'));
  ctx.log(`${dayBefore} 17:00  scenario: OCC assigns the short IWM P${shortStrike} early`);
  stack.simulator.faults.earlyAssignment('IWM');
  return key;
}

export const earlyAssignment: Scenario = {
  name: 'early-assignment',
  description:
    'an IWM bull put opened the day before is assigned early overnight; position-sync records it, the first monitor cycle closes the shares and the hedge',
  start: (date) => nyTimeToEpoch(previousTradingDay(date, parseConfig({}).calendar), '15:00'),
  setup: async (ctx) => {
    await openAndAssignTheDayBefore(ctx);
  },
  check: async (summary, ctx) => {
    const calendar = parseConfig({}).calendar;
    const key = intentKey({
      tradeDate: previousTradingDay(ctx.date, calendar),
      subjectId: EARLY_ASSIGNMENT_SUBJECT,
      purpose: 'OPEN',
    });
    const position = await ctx.stack.stores.positions.get(key);
    const assigned = position?.assignments?.[0];
    const intents = await ctx.stack.stores.intents.listByPosition(key);
    const refs = new Set([key, ...intents.map((i) => i.intentKey)]);
    const conIds = new Set(
      [
        ...(assigned ? [assigned.contract.conId] : []),
        ...(position?.orphanLegs ?? []).map((l) => l.contract.conId),
      ].filter((c): c is number => c !== undefined),
    );
    const gone = assigned?.contract.conId;
    const badOrders = ctx.stack.simulator
      .orders()
      .filter((o) => o.request.orderRef !== key)
      .filter((o) =>
        (o.request.contract.legs ?? [{ conId: o.request.contract.conId }]).some((l) => l.conId === gone),
      );
    const critical = (title: string) =>
      summary.alerts.some((a) => a.severity === 'CRITICAL' && a.title.startsWith(title));
    const cash = position
      ? brokerCashOf(
          ctx.stack.simulator,
          refs,
          new Set([...conIds, ...position.legs.map((l) => l.contract.conId!)]),
        )
      : 0;
    return [
      {
        description: 'position-sync recorded the assignment (contracts, strike, shares, cash)',
        ...(assigned && assigned.contracts === 1 && assigned.shares === 100
          ? {
              status: 'met' as const,
              detail: `${assigned.contracts} × P${assigned.strike}: +${assigned.shares} shares, cash ${assigned.cashUsd}`,
            }
          : { status: 'not met' as const, detail: 'no assignment on the position' }),
      },
      {
        description: 'no order with a leg IB no longer holds',
        ...(badOrders.length === 0
          ? { status: 'met' as const }
          : { status: 'not met' as const, detail: badOrders.map((o) => o.request.orderRef).join(', ') }),
      },
      {
        description: 'the shares and the hedge were closed with limit orders; the position is closed',
        ...(position?.status === 'CLOSED' &&
        intents.some((i) => i.holding?.kind === 'STOCK' && i.status === 'FILLED')
          ? { status: 'met' as const, detail: position.closeReason ?? '' }
          : { status: 'not met' as const, detail: `position ${position?.status ?? 'missing'}` }),
      },
      {
        description: "realised P&L equals the broker's cash ledger for the position, to the cent",
        ...(position?.realisedPnlUsd === cash
          ? { status: 'met' as const, detail: `$${cash.toFixed(2)}` }
          : {
              status: 'not met' as const,
              detail: `realised ${position?.realisedPnlUsd}, broker cash ${cash}`,
            }),
      },
      {
        description: 'CRITICAL alerts: the assignment, and the holdings being closed',
        ...(critical('ASSIGNED') && critical('Closing assigned holdings')
          ? { status: 'met' as const }
          : { status: 'not met' as const, detail: summary.alerts.map((a) => a.title).join('; ') }),
      },
    ];
  },
};
