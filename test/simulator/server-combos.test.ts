// A bull put, a bear call and an iron condor placed as BAG combos through the real @stoqey/ib client
// against the full simulator (real engine), opened and closed, with positions, executions,
// commissions and P&L checked to the cent against a hand calculation from the quotes and fills
// the client itself received.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventName, OrderAction, type Contract, type ContractDetails, type Order } from '@stoqey/ib';
import { startSimulator, type Simulator } from '#simulator/index';
import { closeAll, connectClient, record, waitFor, type TestClient } from './server-harness';

interface Leg {
  conId: number;
  action: 'BUY' | 'SELL';
  strike: number;
  right: 'C' | 'P';
}

interface Fill {
  conId: number;
  secType: string;
  side: string;
  shares: number;
  price: number;
  execId: string;
}

const QTY = 2;
const round2 = (x: number): number => Math.round(x * 100) / 100;

let sim: Simulator;
let client: TestClient;
let nextOrderId = 0;
let nextReqId = 1000;
let execs: [
  number,
  Contract,
  { orderId: number; execId: string; side: string; shares: number; price: number },
][];
let commissions: [{ execId: string; commission: number; realizedPNL?: number }][];
let statuses: [number, string, number, number, number][];

beforeAll(async () => {
  // Monday 2 Nov 2026, 10:00 New York (15:00 UTC): the market is open.
  sim = await startSimulator({ seed: 11, speed: 0, start: Date.UTC(2026, 10, 2, 15, 0), snapshotDelayMs: 5 });
  client = await connectClient(sim.port, 1);
  nextOrderId = client.nextValidId;
  execs = record(client.ib, EventName.execDetails);
  commissions = record(client.ib, EventName.commissionReport);
  statuses = record(client.ib, EventName.orderStatus);
});

afterAll(async () => {
  expect(client.protocolErrors).toEqual([]);
  await closeAll();
});

async function contractDetails(contract: Contract): Promise<ContractDetails[]> {
  const reqId = nextReqId++;
  const found = record<[number, ContractDetails]>(client.ib, EventName.contractDetails);
  const ends = record<[number]>(client.ib, EventName.contractDetailsEnd);
  client.ib.reqContractDetails(reqId, contract);
  await waitFor(() => ends.some((e) => e[0] === reqId), 5000, 'contract details');
  return found.filter((f) => f[0] === reqId).map((f) => f[1]);
}

/** Bid and ask as the client receives them from a snapshot. */
async function snapshot(conId: number): Promise<{ bid: number; ask: number; last?: number }> {
  const reqId = nextReqId++;
  const prices = record<[number, number, number]>(client.ib, EventName.tickPrice);
  const ends = record<[number]>(client.ib, EventName.tickSnapshotEnd);
  client.ib.reqMktData(reqId, { conId, exchange: 'SMART' }, '', true, false);
  await waitFor(() => ends.some((e) => e[0] === reqId), 3000, 'snapshot end');
  const of = (type: number): number | undefined =>
    prices.filter((p) => p[0] === reqId && p[1] === type).at(-1)?.[2];
  return { bid: of(1) as number, ask: of(2) as number, last: of(4) };
}

async function positions(): Promise<Map<number, number>> {
  const seen = record<[string, Contract, number]>(client.ib, EventName.position);
  const ends = record(client.ib, EventName.positionEnd);
  client.ib.reqPositions();
  await waitFor(() => ends.length === 1, 3000, 'positions');
  client.ib.cancelPositions();
  return new Map(seen.map(([, c, p]) => [c.conId as number, p]));
}

async function ledger(): Promise<Record<string, number>> {
  const reqId = nextReqId++;
  const rows = record<[number, string, string, string]>(client.ib, EventName.accountSummary);
  const ends = record<[number]>(client.ib, EventName.accountSummaryEnd);
  client.ib.reqAccountSummary(reqId, 'All', 'NetLiquidation,TotalCashValue,$LEDGER');
  await waitFor(() => ends.some((e) => e[0] === reqId), 3000, 'account summary');
  return Object.fromEntries(rows.filter((r) => r[0] === reqId).map((r) => [r[2], Number(r[3])]));
}

function bag(legs: Leg[]): Contract {
  return {
    symbol: 'SPY',
    secType: 'BAG' as Contract['secType'],
    exchange: 'SMART',
    currency: 'USD',
    comboLegs: legs.map((l) => ({
      conId: l.conId,
      ratio: 1,
      action: l.action === 'BUY' ? OrderAction.BUY : OrderAction.SELL,
      exchange: 'SMART',
    })),
  };
}

/** Places a combo at `limit`, waits for the fill and returns the client-side executions of its legs. */
async function trade(
  legs: Leg[],
  action: 'BUY' | 'SELL',
  limit: number,
  ref: string,
): Promise<{ legFills: Fill[]; bagFill?: Fill }> {
  const orderId = nextOrderId++;
  const order: Order = {
    action: action as Order['action'],
    orderType: 'LMT' as Order['orderType'],
    totalQuantity: QTY,
    lmtPrice: limit,
    tif: 'DAY' as Order['tif'],
    orderRef: ref,
    transmit: true,
  };
  client.ib.placeOrder(orderId, bag(legs), order);
  const mine = (): typeof execs => execs.filter((e) => e[2].orderId === orderId);
  const legExecs = (): typeof execs => mine().filter((e) => e[1].secType === 'OPT');
  await waitFor(
    () =>
      statuses.some((s) => s[0] === orderId && s[1] === 'Filled') &&
      legExecs().length === legs.length &&
      legExecs().every((e) => commissions.some((c) => c[0].execId === e[2].execId)),
    5000,
    `fill of ${ref}`,
  );
  const toFill = (e: (typeof execs)[number]): Fill => ({
    conId: e[1].conId as number,
    secType: e[1].secType as string,
    side: e[2].side,
    shares: e[2].shares,
    price: e[2].price,
    execId: e[2].execId,
  });
  const bagExec = mine().find((e) => e[1].secType === 'BAG');
  return { legFills: legExecs().map(toFill), bagFill: bagExec && toFill(bagExec) };
}

function commissionOf(execId: string): { commission: number; realizedPNL?: number } {
  return (
    commissions.find((c) => c[0].execId === execId) as [{ commission: number; realizedPNL?: number }]
  )[0];
}

let spot = 0;
let expiry = '';
let strikes: number[] = [];
const conIds = new Map<string, number>();

async function optionLeg(strike: number, right: 'C' | 'P', action: 'BUY' | 'SELL'): Promise<Leg> {
  const key = `${strike}${right}`;
  if (!conIds.has(key)) {
    const [d] = await contractDetails({
      symbol: 'SPY',
      secType: 'OPT' as Contract['secType'],
      lastTradeDateOrContractMonth: expiry,
      strike,
      right: right as Contract['right'],
      exchange: 'SMART',
      currency: 'USD',
    });
    conIds.set(key, d?.contract.conId as number);
  }
  return { conId: conIds.get(key) as number, action, strike, right };
}

/** The listed strike nearest to `target`. */
function nearest(target: number): number {
  return strikes.reduce(
    (best, k) => (Math.abs(k - target) < Math.abs(best - target) ? k : best),
    strikes[0] as number,
  );
}

describe('combo trading through the wire (real engine)', () => {
  let realizedTotal = 0;
  let cashAtStart = 0;

  it('finds SPY, an expiry 30–60 days out and its strikes', async () => {
    const [stock] = await contractDetails({
      symbol: 'SPY',
      secType: 'STK' as Contract['secType'],
      exchange: 'SMART',
      currency: 'USD',
    });
    const q = await snapshot(stock?.contract.conId as number);
    spot = (q.bid + q.ask) / 2;
    expect(spot).toBeGreaterThan(0);
    const params = record<[number, string, number, string, number, string[], number[]]>(
      client.ib,
      EventName.securityDefinitionOptionParameter,
    );
    const ends = record(client.ib, EventName.securityDefinitionOptionParameterEnd);
    client.ib.reqSecDefOptParams(nextReqId++, 'SPY', '', 'STK', stock?.contract.conId as number);
    await waitFor(() => ends.length === 1);
    const p = params[0] as (typeof params)[number];
    const nowDay = Math.floor(sim.now() / 86_400_000);
    const dte = (e: string): number =>
      Math.floor(Date.UTC(+e.slice(0, 4), +e.slice(4, 6) - 1, +e.slice(6, 8)) / 86_400_000) - nowDay;
    expiry = p[5].find((e) => dte(e) >= 30 && dte(e) <= 60) as string;
    strikes = p[6];
    expect(expiry).toBeDefined();
    cashAtStart = (await ledger()).TotalCashValue as number;
  });

  const strategies: [string, () => Promise<Leg[]>][] = [
    [
      'a bull put',
      async () => [
        await optionLeg(nearest(spot * 0.95), 'P', 'SELL'),
        await optionLeg(nearest(spot * 0.95) - 5, 'P', 'BUY'),
      ],
    ],
    [
      'a bear call',
      async () => [
        await optionLeg(nearest(spot * 1.04), 'C', 'SELL'),
        await optionLeg(nearest(spot * 1.04) + 5, 'C', 'BUY'),
      ],
    ],
    [
      'an iron condor',
      async () => [
        await optionLeg(nearest(spot * 0.93), 'P', 'SELL'),
        await optionLeg(nearest(spot * 0.93) - 5, 'P', 'BUY'),
        await optionLeg(nearest(spot * 1.05), 'C', 'SELL'),
        await optionLeg(nearest(spot * 1.05) + 5, 'C', 'BUY'),
      ],
    ],
  ];

  for (const [name, build] of strategies) {
    it(`opens and closes ${name}: fills at natural, positions, commissions and realised P&L to the cent`, async () => {
      const legs = await build();
      // Open: BUY the combo. IB's combo price is the signed sum of leg prices (BUY legs +, SELL legs −);
      // at natural a bought leg pays its ask and a sold leg gets its bid, so a credit spread is negative.
      const open = await Promise.all(legs.map((l) => snapshot(l.conId)));
      for (const q of open) expect(q.ask).toBeGreaterThan(q.bid);
      const openNatural = round2(
        legs.reduce((sum, l, i) => sum + (l.action === 'BUY' ? open[i]!.ask : -open[i]!.bid), 0),
      );
      expect(openNatural).toBeLessThan(0); // we receive a credit
      const opened = await trade(legs, 'BUY', openNatural, `${name}|open`);
      legs.forEach((l, i) => {
        const f = opened.legFills.find((x) => x.conId === l.conId) as Fill;
        expect(f).toMatchObject({ side: l.action === 'BUY' ? 'BOT' : 'SLD', shares: QTY });
        expect(f.price).toBeCloseTo(l.action === 'BUY' ? open[i]!.ask : open[i]!.bid, 10);
        // 0.65 per contract, at least 1.00 per execution: 2 × 0.65 = 1.30.
        expect(commissionOf(f.execId).commission).toBeCloseTo(1.3, 10);
        expect(commissionOf(f.execId).realizedPNL).toBeUndefined();
      });
      expect(opened.bagFill).toMatchObject({ secType: 'BAG', shares: QTY });
      expect(opened.bagFill?.price).toBeCloseTo(openNatural, 10);

      const held = await positions();
      for (const l of legs) expect(held.get(l.conId)).toBe(l.action === 'BUY' ? QTY : -QTY);

      // Let the market move, then close: SELL the same combo at its natural (bought legs sold at the bid,
      // sold legs bought back at the ask).
      sim.advance(45 * 60_000);
      const close = await Promise.all(legs.map((l) => snapshot(l.conId)));
      const closeNatural = round2(
        legs.reduce((sum, l, i) => sum + (l.action === 'BUY' ? close[i]!.bid : -close[i]!.ask), 0),
      );
      const closed = await trade(legs, 'SELL', closeNatural, `${name}|close`);

      let strategyPnl = 0;
      legs.forEach((l, i) => {
        const f = closed.legFills.find((x) => x.conId === l.conId) as Fill;
        const entry = l.action === 'BUY' ? open[i]!.ask : open[i]!.bid;
        const exit = l.action === 'BUY' ? close[i]!.bid : close[i]!.ask;
        expect(f.side).toBe(l.action === 'BUY' ? 'SLD' : 'BOT');
        expect(f.price).toBeCloseTo(exit, 10);
        // IB's realised P&L on the closing execution: price change × 100 × contracts, less the opening
        // and the closing commission (the opening one sits in the average cost).
        const perShare = l.action === 'BUY' ? exit - entry : entry - exit;
        const expected = round2(perShare * 100 * QTY - 1.3 - 1.3);
        const report = commissionOf(f.execId);
        expect(report.commission).toBeCloseTo(1.3, 10);
        expect(report.realizedPNL).toBeCloseTo(expected, 2);
        strategyPnl += expected;
      });
      // The spread's P&L is the credit kept: (credit received − debit paid) × 100 × qty − 4 commissions per leg pair.
      const credit = -openNatural;
      const debit = -closeNatural;
      expect(strategyPnl).toBeCloseTo((credit - debit) * 100 * QTY - 2 * 1.3 * legs.length, 2);
      realizedTotal += strategyPnl;

      const after = await positions();
      for (const l of legs) expect(after.get(l.conId) ?? 0).toBe(0);
    });
  }

  it('reports the account’s realised P&L and cash as the sum of the three trades', async () => {
    const book = await ledger();
    expect(book.RealizedPnL).toBeCloseTo(realizedTotal, 2);
    // Everything is closed, so cash moved by exactly the realised P&L.
    expect(book.TotalCashValue).toBeCloseTo(cashAtStart + realizedTotal, 2);
    expect(book.NetLiquidation).toBeCloseTo(cashAtStart + realizedTotal, 2);
    // Every leg execution (and the BAG ones) is also listed on request: 3 strategies, 8 legs, 2 fills each.
    const reqId = nextReqId++;
    const listed = record<[number, Contract]>(client.ib, EventName.execDetails);
    const ends = record<[number]>(client.ib, EventName.execDetailsEnd);
    client.ib.reqExecutions(reqId, {} as never);
    await waitFor(() => ends.some((e) => e[0] === reqId));
    const mine = listed.filter((e) => e[0] === reqId);
    expect(mine.filter((e) => e[1].secType === 'OPT')).toHaveLength(2 * 8);
    expect(mine.filter((e) => e[1].secType === 'BAG')).toHaveLength(2 * 3);
    expect(sim.orders().filter((o) => o.status === 'Filled')).toHaveLength(6);
  });
});
