// The expiry-week scenario: positions held through an expiration Friday with one short strike in the
// money at the close, then what the bot does about it the next Monday. Its setup and checks are the
// code test/jobs/expiry-friday.test.ts proves (./expiring-spreads.ts).
import { nextTradingDay, nyTimeToEpoch, previousTradingDay } from '#core/calendar';
import { parseConfig } from '#core/config';
import { intentKey } from '#core/orders';
import type { Stores } from '#adapters/ports';
import type { IsoDate } from '#core/types';
import { scheduledEvent } from '../local/stack';
import type { Expectation } from '../report/summary';
import type { Scenario, ScenarioContext } from './scenario';
import { expiryOutcome, expiryStackOf, moveUnderlyingTo, openSpreadThroughBridge } from './expiring-spreads';
import type { ExpiryOutcome } from './expiring-spreads';

/** The Monday the scenario starts on by default: the week of the July 2026 monthly expiry (Fri 07-17). */
export const EXPIRY_WEEK_DATE: IsoDate = '2026-07-13';

/** The held positions: an IWM bull put and a QQQ iron condor, each with its short put driven ITM. */
const SPREADS = [
  { subjectId: 'scenario-expiry-bull-put', symbol: 'IWM', strategy: 'BULL_PUT' },
  { subjectId: 'scenario-expiry-condor', symbol: 'QQQ', strategy: 'IRON_CONDOR' },
] as const;
const WIDTH = 5;
/** Run days (0-based): the expiration Friday and the Monday after, for a Monday `--date`. */
const FRIDAY = 4;
const MONDAY = 5;

const calendar = () => parseConfig({}).calendar;

/**
 * Holds every position to its expiry: the monitor off. The exits config cannot do it: on expiration day
 * rule 3 closes a short in the money or near spot, rule 5 a breach, rule 8 a spread whose close costs
 * 0.00 (100% kept, which profitTargetPct 100 still reaches), whatever the config says.
 */
export const HOLD_TO_EXPIRY_CONFIG = { jobs: { monitor: false } };

export async function holdToExpiry(stores: Stores, now: number): Promise<void> {
  await stores.config.saveSection('jobs', HOLD_TO_EXPIRY_CONFIG.jobs, { now });
}

/** Monday before the first cycle: the monitor on again, to close what the expiry left. */
export async function monitorBackOn(stores: Stores, now: number): Promise<void> {
  await stores.config.saveSection('jobs', { monitor: true }, { now });
}

/** The run's expiration day: its fifth trading day (the Friday of a Monday start's week). */
function expiryDayOf(date: IsoDate): IsoDate {
  let day = date;
  for (let i = 0; i < FRIDAY; i++) day = nextTradingDay(day, calendar());
  return day;
}

/** The opening intents' keys (= the positions' ids): opened the trading day before the run. */
function keysOf(date: IsoDate): string[] {
  const dayBefore = previousTradingDay(date, calendar());
  return SPREADS.map((s) => intentKey({ tradeDate: dayBefore, subjectId: s.subjectId, purpose: 'OPEN' }));
}

/** The trading day before the run, 15:00: opens the spreads, expiring on the run's fifth day. */
async function openTheDayBefore(ctx: ScenarioContext): Promise<void> {
  const { stack } = ctx;
  const expiry = expiryDayOf(ctx.date).replaceAll('-', '');
  const listed = stack.simulator.engine.optionParams('IWM')[0]!.expirations;
  if (!listed.includes(expiry)) {
    throw new Error(
      `expiry-week needs a --date whose fifth trading day is an options expiry (a Monday of a week without a holiday, e.g. ${EXPIRY_WEEK_DATE}); ${expiryDayOf(ctx.date)} is not one`,
    );
  }
  const tradeDate = previousTradingDay(ctx.date, calendar());
  for (const s of SPREADS) {
    const opened = await openSpreadThroughBridge(expiryStackOf(stack), {
      ...s,
      expiry,
      tradeDate,
      shortOtmPct: 3,
      width: WIDTH,
    });
    ctx.log(
      `${tradeDate} 15:00  scenario: ${s.symbol} ${s.strategy} short P${opened.shortPut.strike}${opened.shortCall ? `/C${opened.shortCall.strike}` : ''} opened, expiring ${expiryDayOf(ctx.date)}`,
    );
  }
  stack.clock.advanceTo(stack.clock.now() + 60_000);
  await stack.invoke('position-sync', scheduledEvent(stack.clock.now()));
}

/** Friday 15:56 (after the 15:55 cycle): each underlying to halfway between its short put and its wing. */
async function shortPutsInTheMoney(ctx: ScenarioContext): Promise<void> {
  for (const key of keysOf(ctx.date)) {
    const position = await ctx.stack.stores.positions.get(key);
    const shortPut = position?.legs.find((l) => l.quantity < 0 && l.contract.right === 'P');
    if (!position || !shortPut) {
      ctx.log(`        ${key}: not open any more; nothing to move`);
      continue;
    }
    const target = shortPut.contract.strike - WIDTH / 2;
    const pct = moveUnderlyingTo(expiryStackOf(ctx.stack), position.symbol, target);
    ctx.log(
      `        ${position.symbol} ${pct.toFixed(2)}% to ${target}: P${shortPut.contract.strike} in the money`,
    );
  }
}

const verdict = (ok: boolean, detail: string) => ({
  status: ok ? ('met' as const) : ('not met' as const),
  detail,
});

function positionChecks(key: string, o: ExpiryOutcome): Expectation[] {
  const p = o.position;
  const name = p ? `${p.symbol} ${p.strategy}` : key;
  const kinds = o.settlements.map((s) => s.kind);
  const assigned = p?.assignments?.filter((a) => a.kind === 'ASSIGNED') ?? [];
  const stockSale = o.closingOrders.find((x) => x.request.contract.secType === 'STK');
  return [
    {
      description: `${name}: the simulator settled it (the short put assigned, every other leg expired)`,
      ...verdict(
        kinds.filter((k) => k === 'assigned').length === 1 &&
          kinds.filter((k) => k === 'expired').length === (p?.strategy === 'IRON_CONDOR' ? 3 : 1),
        o.settlements.map((s) => `${s.localSymbol} ${s.kind} at ${s.settlementPrice}`).join('; ') ||
          'no settlement',
      ),
    },
    {
      description: `${name}: position-sync recorded the assignment and its realised P&L`,
      ...verdict(
        assigned.length === 1 && assigned[0]!.shares === 100 && o.realisedByKind.ASSIGNMENT !== undefined,
        assigned.length
          ? `${assigned[0]!.contracts} × P${assigned[0]!.strike}: +${assigned[0]!.shares} shares; realised ${JSON.stringify(o.realisedByKind)}`
          : 'no assignment recorded',
      ),
    },
    {
      description: `${name}: the shares were sold Monday with a limit order; the position is CLOSED`,
      ...verdict(
        p?.status === 'CLOSED' &&
          stockSale?.status === 'Filled' &&
          o.closingOrders.every((x) => x.request.orderType === 'LMT'),
        `${p?.status ?? 'missing'}; ${o.closingOrders.map((x) => `${x.request.action} ${x.request.quantity} ${x.request.contract.symbol} ${x.request.orderType} ${x.status}`).join(', ') || 'no closing order'}`,
      ),
    },
    {
      description: `${name}: realised P&L equals the broker's cash for it, to the cent`,
      ...verdict(
        p?.realisedPnlUsd === o.brokerCash,
        `realised ${p?.realisedPnlUsd}, broker cash ${o.brokerCash}`,
      ),
    },
    {
      description: `${name}: no order with a leg IB no longer holds`,
      ...verdict(
        o.ordersWithSettledLegs.length === 0,
        o.ordersWithSettledLegs.map((x) => x.request.orderRef).join(', '),
      ),
    },
  ];
}

export const expiryWeek: Scenario = {
  name: 'expiry-week',
  description: `an IWM bull put and a QQQ iron condor opened the Friday before are held to their expiry on the run's Friday (monitor off until Monday); at 15:56 Friday one short put of each goes in the money, OCC assigns it at the close, position-sync records it, Monday's first monitor cycle sells the shares. Run it from a Monday of a week without a holiday: --date ${EXPIRY_WEEK_DATE} (the July 2026 monthly expiry week) --days 6`,
  days: 6,
  date: EXPIRY_WEEK_DATE,
  // Off until Monday (see HOLD_TO_EXPIRY_CONFIG), on again before Monday's first cycle.
  config: HOLD_TO_EXPIRY_CONFIG,
  start: (date) => nyTimeToEpoch(previousTradingDay(date, calendar()), '15:00'),
  setup: openTheDayBefore,
  events: [
    {
      day: FRIDAY,
      time: '15:56',
      label: 'expiration Friday: each held spread’s short put goes in the money, its wing stays out',
      apply: shortPutsInTheMoney,
    },
    {
      day: MONDAY,
      time: '08:30',
      label: 'the monitor is switched on again for the first cycle after expiry',
      apply: ({ stack }) => monitorBackOn(stack.stores, stack.clock.now()),
    },
  ],
  check: async (_summary, ctx, days) => {
    const expectations: Expectation[] = [];
    for (const key of keysOf(ctx.date)) {
      expectations.push(...positionChecks(key, await expiryOutcome(expiryStackOf(ctx.stack), key)));
    }
    const titles = days.flatMap((d) => d.alerts.filter((a) => a.severity === 'CRITICAL').map((a) => a.title));
    const assignedAlerts = titles.filter((t) => t.startsWith('ASSIGNED:'));
    const closingAlerts = titles.filter((t) => t.startsWith('Closing assigned holdings'));
    expectations.push({
      description: 'CRITICAL alerts: each assignment at expiry, and the holdings being closed Monday',
      ...verdict(
        new Set(assignedAlerts).size === SPREADS.length && closingAlerts.length >= SPREADS.length,
        [...new Set([...assignedAlerts, ...closingAlerts])].join('; ') || 'none',
      ),
    });
    return expectations;
  },
};
