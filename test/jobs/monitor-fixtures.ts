// Positions for the monitor's exit tests: a bull put opened at the simulator's broker (so an exit closes
// something real) and recorded as ours in DynamoDB, plus readers of what IB and the store hold after.
import type { StrategyPosition } from '#core/types';
import type { SimContract } from '#simulator/engine-api';
import type { JobStack } from './support';
import { placeSpreadAtBroker } from './broker-spread';

const iso = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}`;

export function monitorFixtures(stack: JobStack) {
  const { db, sim, clock } = stack;
  const engine = sim.engine;
  const account = engine.accounts()[0]!;
  const iwm = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
  const params = engine.optionParams('IWM')[0]!;
  const spot = () => engine.quote(iwm.conId)!.last!;
  // ~40 DTE: no expiration-day, DTE or days-in-trade rule can fire; only the rule each test sets up.
  const expiry = params.expirations.find((e) => iso(e) >= '2026-07-08')!;
  const listed = (strike: number, right: 'P' | 'C') =>
    engine.findContracts({ symbol: 'IWM', secType: 'OPT', lastTradeDate: expiry, strike, right }).length > 0;
  /** The listed put strike of the test expiry nearest to `x` that has a listed wing 5 points below. */
  const nearestStrike = (x: number) =>
    [...params.strikes]
      .sort((a, b) => Math.abs(a - x) - Math.abs(b - x))
      .find((k) => listed(k, 'P') && listed(k - 5, 'P'))!;
  const option = (strike: number, right: 'P' | 'C'): SimContract => {
    const [c] = engine.findContracts({ symbol: 'IWM', secType: 'OPT', lastTradeDate: expiry, strike, right });
    if (!c) throw new Error(`no IWM ${expiry} ${strike}${right}`);
    return c;
  };
  const mid = (c: SimContract) => {
    const q = engine.quote(c.conId)!;
    return (q.bid! + q.ask!) / 2;
  };

  let manualId = 800_000;
  /** Opens a bull put at IB (so the exit closes something real) and records it as ours in DynamoDB. */
  async function openBullPut(id: string, shortStrike: number, quantity: number, entryCredit: number) {
    const short = option(shortStrike, 'P');
    const long = option(shortStrike - 5, 'P');
    const state = placeSpreadAtBroker(engine, {
      orderId: manualId++,
      account,
      symbol: 'IWM',
      short,
      long,
      purpose: 'open',
      quantity,
      orderRef: `setup-${id}`,
    });
    for (let i = 0; i < 3 && state.status !== 'Filled'; i++) sim.advance(61_000);
    const contract = (c: SimContract) => ({
      symbol: 'IWM',
      expiry: iso(expiry),
      strike: c.strike,
      right: c.right as 'P',
      multiplier: 100,
      conId: c.conId,
    });
    const position: StrategyPosition = {
      id,
      strategy: 'BULL_PUT',
      symbol: 'IWM',
      expiry: iso(expiry),
      legs: [
        { contract: contract(short), quantity: -quantity },
        { contract: contract(long), quantity },
      ],
      quantity,
      entryCredit,
      width: 5,
      openedAt: clock.now() - 86_400_000,
      commissionsUsd: 2,
    };
    await db.stores.positions.create(position, { source: 'SYSTEM', now: clock.now() });
    return { short, long };
  }

  const closeIntents = async (positionId: string) =>
    (await db.stores.intents.listByPosition(positionId)).filter((r) => r.purpose === 'CLOSE');
  const ordersFor = (ref: string) => sim.orders().filter((o) => o.request.orderRef === ref);
  /** Commissions IB charged on an orderRef's executions (the simulator's commission reports). */
  const commissionsOf = (ref: string) =>
    sim
      .executions()
      .filter((e) => e.execution.orderRef === ref)
      .reduce((s, e) => s + (e.commission.commission ?? 0), 0);

  return {
    engine,
    account,
    spot,
    nearestStrike,
    option,
    mid,
    openBullPut,
    closeIntents,
    ordersFor,
    commissionsOf,
  };
}
