// A position's whole life through an early assignment, an assigned-holdings close and a worthless expiry,
// against DynamoDB Local, the simulator and the real bridge (SNS the only mock):
//   1. an IWM bull put whose short is in the money is assigned early (the simulator's earlyAssignment
//      fault); position-sync removes the assigned leg, records the assignment (contracts, strike, shares,
//      cash) and alerts CRITICAL; the monitor never sends an order with a leg IB no longer holds; the next
//      session's first monitor cycle closes the shares and the hedge with limit orders; afterwards the
//      broker holds nothing the system does not own and realised P&L equals the broker's cash change;
//   2. exits.assignedHoldings 'alert': nothing is sent, a CRITICAL alert names the holdings;
//   3. a worthless expiry found by position-sync: realised = credit − commissions = the cash change.
import { describe, expect, it } from 'vitest';
import type { PositionRecord } from '#adapters/ports';
import { addDays, nextTradingDay, nyDate, nyTimeToEpoch } from '#core/calendar';
import { parseConfig } from '#core/config';
import type { StrategyPosition } from '#core/types';
import type { SimContract } from '#simulator/engine-api';
import '../support/dynamodb';
import { assignmentFixtures } from './assignment-fixtures';
import { startJobStack } from './support';
import { placeSpreadAtBroker } from './broker-spread';

const stack = await startJobStack({ seed: 5 });
const { db, sim, clock } = stack;
const engine = sim.engine;
const account = engine.accounts()[0]!;
const iwm = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
const params = engine.optionParams('IWM')[0]!;
const spot = () => engine.quote(iwm.conId)!.last!;
const iso = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}`;
const cash = () => engine.accountSummary(account).totalCashValue;
const listed = (expiry: string, strike: number) =>
  engine.findContracts({ symbol: 'IWM', secType: 'OPT', lastTradeDate: expiry, strike, right: 'P' })[0];
/** The listed put strike of `expiry` nearest to `x` with a listed wing 5 points below. */
const strikeNear = (expiry: string, x: number) =>
  [...params.strikes]
    .sort((a, b) => Math.abs(a - x) - Math.abs(b - x))
    .find((k) => listed(expiry, k) && listed(expiry, k - 5))!;

const calendar = parseConfig({}).calendar;
const today = () => nyDate(clock.now());
/** Advances the simulator and the jobs' clock to `time` New York on the trading day after today's. */
async function nextSessionAt(time: string) {
  await clock.sleep(nyTimeToEpoch(nextTradingDay(today(), calendar), time) - clock.now());
}

let manualId = 700_000;
/**
 * Opens a 1-lot bull put at IB and records it as the system's in DynamoDB with the fill's exact credit
 * and commissions, so the system's realised P&L can be held against the broker's cash to the cent.
 */
async function openBullPut(id: string, expiry: string, shortStrike: number) {
  const short = listed(expiry, shortStrike)!;
  const long = listed(expiry, shortStrike - 5)!;
  const cashBefore = cash();
  const ref = `setup-${id}`;
  const state = placeSpreadAtBroker(engine, {
    orderId: manualId++,
    account,
    symbol: 'IWM',
    short,
    long,
    purpose: 'open',
    quantity: 1,
    orderRef: ref,
  });
  expect(state.status).toBe('Filled');
  const executions = sim.executions().filter((e) => e.execution.orderRef === ref);
  const commissionsUsd = executions.reduce((s, e) => s + e.commission.commission, 0);
  const contract = (c: SimContract) => ({
    symbol: 'IWM',
    expiry: iso(expiry),
    strike: c.strike,
    right: 'P' as const,
    multiplier: 100,
    conId: c.conId,
  });
  const position: StrategyPosition = {
    id,
    strategy: 'BULL_PUT',
    symbol: 'IWM',
    expiry: iso(expiry),
    legs: [
      { contract: contract(short), quantity: -1 },
      { contract: contract(long), quantity: 1 },
    ],
    quantity: 1,
    entryCredit: -state.avgFillPrice,
    width: 5,
    openedAt: clock.now(),
    commissionsUsd,
  };
  expect(position.entryCredit).toBeGreaterThan(0);
  await db.stores.positions.create(position, { source: 'SYSTEM', now: clock.now() });
  return { short, long, cashBefore, opened: position };
}

const { heldAtIb, runSync, runMonitor, subjects } = assignmentFixtures(stack);
/** The orderRefs at the broker now, and the orders that reached it since such a list was taken. */
const orderRefs = () => new Set(sim.orders().map((o) => o.request.orderRef));
const ordersSince = (before: ReadonlySet<string>) =>
  sim.orders().filter((o) => !before.has(o.request.orderRef));

const farExpiry = params.expirations.find((e) => iso(e) >= '2026-07-08')!;

describe('early assignment: the stored position follows the broker', () => {
  it('assigned short removed and recorded, no order with a gone leg, the next session closes shares and hedge; realised = cash', async () => {
    const shortStrike = strikeNear(farExpiry, spot() * 1.02);
    const { short, long, cashBefore, opened } = await openBullPut('pos-assigned', farExpiry, shortStrike);
    expect(shortStrike).toBeGreaterThan(spot()); // the short put is in the money
    expect(shortStrike - 5).toBeLessThan(spot()); // the hedge is not: OCC assigns only the short

    sim.faults.earlyAssignment('IWM');
    expect(heldAtIb().get(short.conId)).toBeUndefined();
    expect(heldAtIb().get(iwm.conId)).toBe(100);

    const alertsBefore = stack.published().length;
    const synced = await runSync();
    expect(synced.counts).toMatchObject({ assigned: 1, closedOutside: 0, external: 0, mismatches: 0 });
    // The same session: the monitor sends nothing (the holdings close at the next session's first cycle),
    // and certainly no combo that buys the assigned short.
    const ordersBefore = orderRefs();
    await runMonitor();
    const withGoneLeg = ordersSince(ordersBefore).filter((o) =>
      (o.request.contract.legs ?? [{ conId: o.request.contract.conId }]).some((l) => l.conId === short.conId),
    );
    expect(withGoneLeg.map((o) => `${o.request.action} ${JSON.stringify(o.request.contract.legs)}`)).toEqual(
      [],
    );
    expect(ordersSince(ordersBefore)).toEqual([]);

    const after = (await db.stores.positions.get('pos-assigned')) as PositionRecord;
    expect(after.status).toBe('OPEN');
    // The assigned leg left the position; the hedge is an orphaned leg; the shares are its stock holding.
    expect(after.legs).toEqual([]);
    expect(after.quantity).toBe(0);
    expect(after.orphanLegs?.map((l) => [l.contract.conId, l.quantity])).toEqual([[long.conId, 1]]);
    expect(after.stock).toEqual({ symbol: 'IWM', conId: iwm.conId, shares: 100, averagePrice: shortStrike });
    expect(after.assignments).toEqual([
      expect.objectContaining({
        kind: 'ASSIGNED',
        contracts: 1,
        strike: shortStrike,
        shares: 100,
        cashUsd: -100 * shortStrike,
      }),
    ]);
    // Realised at the assignment (core assignmentOutcome): the whole credit less the opening commissions.
    const credit = Math.round((opened.entryCredit * 100 - opened.commissionsUsd) * 100) / 100;
    expect(after.realised).toEqual([expect.objectContaining({ kind: 'ASSIGNMENT', usd: credit })]);
    expect(after.realisedPnlUsd).toBe(credit);
    const critical = subjects(alertsBefore).filter((s) => s.startsWith('[CRITICAL] ASSIGNED'));
    expect(critical).toHaveLength(1);
    expect(String(stack.published().at(-1)!.Message)).toContain(`1 × P${shortStrike}`);

    // The next session's first monitor cycle: a CRITICAL alert, then a limit order for the shares and one
    // for the hedge, neither with a leg IB no longer holds.
    await nextSessionAt('09:30');
    const beforeClose = stack.published().length;
    for (let i = 0; i < 3; i++) {
      await runMonitor();
      if ((await db.stores.positions.get('pos-assigned'))!.status === 'CLOSED') break;
    }
    const sent = ordersSince(ordersBefore);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const order of sent) {
      expect(order.request.orderType).toBe('LMT');
      const conIds =
        order.request.contract.secType === 'BAG'
          ? order.request.contract.legs!.map((l) => l.conId)
          : [order.request.contract.conId];
      expect(conIds).not.toContain(short.conId);
    }
    const stockOrder = sent.find((o) => o.request.contract.conId === iwm.conId)!;
    expect(stockOrder.request).toMatchObject({ action: 'SELL', quantity: 100, orderType: 'LMT' });
    const hedgeOrder = sent.find((o) => o.request.contract.conId === long.conId)!;
    expect(hedgeOrder.request).toMatchObject({ action: 'SELL', quantity: 1, orderType: 'LMT' });
    expect(subjects(beforeClose).some((s) => s.startsWith('[CRITICAL] Closing assigned holdings'))).toBe(
      true,
    );

    // The broker holds nothing the system does not own, and the system nothing the broker does not hold.
    expect([...heldAtIb().keys()]).toEqual([]);
    const closed = (await db.stores.positions.get('pos-assigned')) as PositionRecord;
    expect(closed.status).toBe('CLOSED');
    // Realised P&L over the position's life = the broker's cash ledger change, to the cent.
    const ledger = Math.round((cash() - cashBefore) * 100) / 100;
    expect(closed.realisedPnlUsd).toBe(ledger);
    expect(closed.realised!.reduce((s, e) => s + e.usd, 0)).toBeCloseTo(ledger, 6);
  }, 180_000);

  it("exits.assignedHoldings 'alert': the next session sends nothing and alerts CRITICAL", async () => {
    await db.stores.config.saveSection('exits', { assignedHoldings: 'alert' }, { now: clock.now() });
    try {
      await nextSessionAt('10:30');
      const shortStrike = strikeNear(farExpiry, spot() * 1.02);
      const { short } = await openBullPut('pos-alert-only', farExpiry, shortStrike);
      sim.faults.earlyAssignment('IWM', { conId: short.conId });
      await runSync();
      await nextSessionAt('09:30');
      const ordersBefore = orderRefs();
      const alertsBefore = stack.published().length;
      await runMonitor();
      expect(ordersSince(ordersBefore)).toEqual([]);
      expect(subjects(alertsBefore).some((s) => s.startsWith('[CRITICAL] Assigned holdings'))).toBe(true);
      const held = (await db.stores.positions.get('pos-alert-only')) as PositionRecord;
      expect(held.status).toBe('OPEN');
      expect(held.stock?.shares).toBe(100);
    } finally {
      await db.stores.config.saveSection('exits', {}, { now: clock.now() });
    }
  }, 120_000);

  it('a worthless expiry found by position-sync closes the position with realised = credit − commissions', async () => {
    await nextSessionAt('10:30');
    const expiry = params.expirations.find((e) => iso(e) > addDays(today(), 1))!;
    const shortStrike = strikeNear(expiry, spot() * 0.985);
    const { short, long, cashBefore } = await openBullPut('pos-expired', expiry, shortStrike);
    // Past the expiry's close: both puts expire worthless at the simulator.
    await clock.sleep(engine.expiryInstant(expiry) + 60 * 60_000 - clock.now());
    const settled = engine.settlements(account).filter((x) => [short.conId, long.conId].includes(x.conId));
    expect(settled.map((x) => x.kind)).toEqual(['expired', 'expired']);
    const synced = await runSync();
    expect(synced.counts).toMatchObject({ expired: 1, closedOutside: 0 });
    const closed = (await db.stores.positions.get('pos-expired')) as PositionRecord;
    const expected = Math.round((closed.entryCredit * 100 - closed.commissionsUsd) * 100) / 100;
    expect(closed).toMatchObject({ status: 'CLOSED', realisedPnlUsd: expected });
    expect(closed.realised).toEqual([expect.objectContaining({ kind: 'EXPIRY', usd: expected })]);
    expect(expected).toBe(Math.round((cash() - cashBefore) * 100) / 100);
  }, 120_000);
});
