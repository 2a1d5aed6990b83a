// Spreads held through their expiration, for the expiry-week scenario and its integration test
// (test/jobs/expiry-friday.test.ts proves this code against DynamoDB Local, the simulator and the
// bridge; the scenario runs the same code inside `npm start`):
//   - openSpreadThroughBridge: an opening intent and its order through the real bridge, as
//     execute-strategies would send it (position-sync then applies the fill and opens the position);
//   - moveUnderlyingTo: the simulator's priceShock fault, aimed at a price (a strike, a mid-spread);
//   - brokerCashOf: the cash the broker booked for a position (its orders and its legs' deliveries);
//   - expiryOutcome: what became of one position at expiry, the facts the checks judge.
import type { BridgeClient } from '#adapters/bridge-client';
import type { PositionRecord, Stores } from '#adapters/ports';
import type { OrderIntentRecord } from '#core/intents';
import { intentKey } from '#core/orders';
import type { IsoDate, RealisedKind } from '#core/types';
import type { SettlementRecord } from '#simulator/engine/index';
import type { SimContract, SimOrderState } from '#simulator/engine-api';
import type { Simulator } from '#simulator/index';
import type { LocalStack } from '../local/stack';

/** The parts of a running stack (the local stack or the jobs' test stack) this module uses. */
export interface ExpiryStack {
  simulator: Pick<Simulator, 'engine' | 'executions' | 'orders' | 'faults'>;
  stores: Stores;
  bridge(priority: number): BridgeClient;
  now(): number;
}

/** The local stack as an ExpiryStack (the jobs' test stack builds its own). */
export function expiryStackOf(stack: LocalStack): ExpiryStack {
  return {
    simulator: stack.simulator,
    stores: stack.stores,
    bridge: (priority) => stack.context.bridge(priority),
    now: () => stack.clock.now(),
  };
}

/** execute-strategies' bridge priority: the opening order goes out as the job's would. */
const EXECUTE_PRIORITY = 26;

export interface SpreadToOpen {
  strategy: 'BULL_PUT' | 'IRON_CONDOR';
  symbol: string;
  /** YYYYMMDD, a listed expiry. */
  expiry: string;
  tradeDate: IsoDate;
  /** Names the opening intent (core intentKey's subject); the position takes the intent's key. */
  subjectId: string;
  /** How far out of the money the short strikes sit, % of spot (puts below, calls above). */
  shortOtmPct: number;
  width: number;
  /** The intent's reason; default: held to its expiry (expiry-week). */
  reason?: string;
}

export interface OpenedSpread {
  /** The opening intent's key: the IB orderRef and the position's id. */
  key: string;
  shortPut: SimContract;
  longPut: SimContract;
  shortCall?: SimContract;
  longCall?: SimContract;
  limitPrice: number;
}

const isoOf = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}`;

/**
 * Sends the opening order of a bull put (or an iron condor) through the bridge with its intent, priced
 * at the natural credit (shorts' bids − longs' asks) so it fills at once and stays inside the bridge's
 * price band. The position appears when position-sync (or the order's fill event) applies the fill.
 */
export async function openSpreadThroughBridge(
  stack: ExpiryStack,
  spread: SpreadToOpen,
): Promise<OpenedSpread> {
  const engine = stack.simulator.engine;
  const stock = engine.findContracts({ symbol: spread.symbol, secType: 'STK' })[0]!;
  const spot = engine.quote(stock.conId)!.last!;
  const strikes = engine.optionParams(spread.symbol)[0]!.strikes;
  const option = (strike: number, right: 'P' | 'C') =>
    engine.findContracts({
      symbol: spread.symbol,
      secType: 'OPT',
      lastTradeDate: spread.expiry,
      strike,
      right,
    })[0];
  /** The listed strike nearest `x` whose wing (`step` away) is listed too. */
  const shortNear = (x: number, right: 'P' | 'C', step: number) => {
    const strike = [...strikes]
      .sort((a, b) => Math.abs(a - x) - Math.abs(b - x))
      .find((k) => option(k, right) && option(k + step, right));
    if (strike === undefined)
      throw new Error(`no ${spread.symbol} ${spread.expiry} ${right} strike near ${x}`);
    return { short: option(strike, right)!, long: option(strike + step, right)! };
  };
  const puts = shortNear(spot * (1 - spread.shortOtmPct / 100), 'P', -spread.width);
  const calls =
    spread.strategy === 'IRON_CONDOR'
      ? shortNear(spot * (1 + spread.shortOtmPct / 100), 'C', spread.width)
      : undefined;
  const pairs = [puts, ...(calls ? [calls] : [])];
  const natural = pairs.reduce(
    (sum, p) => sum + engine.quote(p.short.conId)!.bid! - engine.quote(p.long.conId)!.ask!,
    0,
  );
  const limitPrice = Math.floor(natural * 100 + 1e-9) / 100;
  if (!(limitPrice > 0))
    throw new Error(`no credit to collect on ${spread.symbol} ${spread.expiry}: ${natural}`);
  const contract = (c: SimContract) => ({
    symbol: spread.symbol,
    expiry: isoOf(spread.expiry),
    strike: c.strike,
    right: c.right as 'P' | 'C',
    conId: c.conId,
    multiplier: 100,
  });
  const legs = pairs.flatMap((p) => [
    { contract: contract(p.short), action: 'SELL' as const, ratio: 1 },
    { contract: contract(p.long), action: 'BUY' as const, ratio: 1 },
  ]);
  const key = intentKey({ tradeDate: spread.tradeDate, subjectId: spread.subjectId, purpose: 'OPEN' });
  await stack.stores.intents.create(
    {
      intentKey: key,
      tradeDate: spread.tradeDate,
      purpose: 'OPEN',
      strategy: spread.strategy,
      symbol: spread.symbol,
      positionId: key,
      legs,
      action: 'SELL',
      quantity: 1,
      limitPrice,
      dryRun: false,
      reason:
        spread.reason ??
        `scenario expiry-week: a ${spread.symbol} ${spread.strategy} held to its ${isoOf(spread.expiry)} expiry`,
      createdBy: 'scenario',
    },
    stack.now(),
  );
  // IB combo semantics: selling the combo reverses each leg's action, so the legs go as bought/sold reversed.
  await stack.bridge(EXECUTE_PRIORITY).placeOrder({
    orderRef: key,
    legs: legs.map((l) => ({
      conId: l.contract.conId,
      action: l.action === 'SELL' ? 'BUY' : 'SELL',
      ratio: 1,
    })),
    action: 'SELL',
    quantity: 1,
    orderType: 'LMT',
    limitPrice,
    tif: 'DAY',
  });
  return {
    key,
    shortPut: puts.short,
    longPut: puts.long,
    ...(calls ? { shortCall: calls.short, longCall: calls.long } : {}),
    limitPrice,
  };
}

/** Moves an underlying to `price` at once (the priceShock fault; its options, VIX and futures follow). */
export function moveUnderlyingTo(stack: ExpiryStack, symbol: string, price: number): number {
  const engine = stack.simulator.engine;
  const stock = engine.findContracts({ symbol, secType: 'STK' })[0]!;
  const spot = engine.quote(stock.conId)!.last!;
  const returnPct = (price / spot - 1) * 100;
  stack.simulator.faults.priceShock(symbol, returnPct, 0);
  return returnPct;
}

/** Cash the broker booked for a position: its orders' executions (`refs`) and its legs' deliveries. */
export function brokerCashOf(
  simulator: Pick<Simulator, 'engine' | 'executions'>,
  refs: ReadonlySet<string>,
  conIds: ReadonlySet<number>,
): number {
  let cash = 0;
  for (const { execution: e, commission } of simulator.executions()) {
    if (!refs.has(e.orderRef)) continue;
    cash -= commission.commission;
    if (e.contract.secType === 'BAG') continue; // the legs carry the cash
    cash += (e.side === 'SLD' ? 1 : -1) * e.shares * e.price * e.contract.multiplier;
  }
  const account = simulator.engine.accounts()[0]!;
  for (const s of simulator.engine.settlements(account)) {
    if (conIds.has(s.conId)) cash -= s.stockQuantity * s.strike;
  }
  return Math.round(cash * 100) / 100;
}

export interface ExpiryOutcome {
  position: PositionRecord | undefined;
  /** The simulator's settlements of the position's option legs (assigned, exercised, expired). */
  settlements: SettlementRecord[];
  /** Realised dollars by kind (ASSIGNMENT, EXPIRY, CLOSE, ...), summed. */
  realisedByKind: Partial<Record<RealisedKind, number>>;
  /** Every intent of the position after the opening one (closes of the spread or its holdings). */
  closingIntents: OrderIntentRecord[];
  /** The orders those intents sent to the broker. */
  closingOrders: SimOrderState[];
  /** Orders after the opening one with a leg that had already settled at the broker (must be none). */
  ordersWithSettledLegs: SimOrderState[];
  /** The broker's cash for the position: credit, commissions, deliveries, the holdings' closes. */
  brokerCash: number;
}

/** What became of the position opened as `key` through expiry, from the store and the broker. */
export async function expiryOutcome(stack: ExpiryStack, key: string): Promise<ExpiryOutcome> {
  const position = await stack.stores.positions.get(key);
  const intents = await stack.stores.intents.listByPosition(key);
  const opening = intents.find((i) => i.intentKey === key);
  const legConIds = new Set((opening?.legs ?? []).map((l) => l.contract.conId!));
  const account = stack.simulator.engine.accounts()[0]!;
  const settlements = stack.simulator.engine.settlements(account).filter((s) => legConIds.has(s.conId));
  const closingIntents = intents.filter((i) => i.intentKey !== key);
  const closingRefs = new Set(closingIntents.map((i) => i.intentKey));
  const closingOrders = stack.simulator.orders().filter((o) => closingRefs.has(o.request.orderRef));
  const settled = new Set(settlements.map((s) => s.conId));
  const conIdsOf = (o: SimOrderState) =>
    (o.request.contract.legs ?? [{ conId: o.request.contract.conId }]).map((l) => l.conId);
  const ordersWithSettledLegs = stack.simulator
    .orders()
    .filter((o) => o.request.orderRef !== key && conIdsOf(o).some((c) => c !== undefined && settled.has(c)));
  const realisedByKind: Partial<Record<RealisedKind, number>> = {};
  for (const entry of position?.realised ?? []) {
    realisedByKind[entry.kind] = Math.round(((realisedByKind[entry.kind] ?? 0) + entry.usd) * 100) / 100;
  }
  return {
    position,
    settlements,
    realisedByKind,
    closingIntents,
    closingOrders,
    ordersWithSettledLegs,
    brokerCash: brokerCashOf(stack.simulator, new Set([key, ...closingRefs]), legConIds),
  };
}
