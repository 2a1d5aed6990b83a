// verify-positions against DynamoDB Local, the simulator and the bridge (SNS mocked). IB's side is made
// by filling single-leg market orders in the simulator; DynamoDB's side is written directly. Every kind
// of difference appears once; a report changes nothing, a repair changes exactly what it says.
import { describe, expect, it } from 'vitest';
import type { OptionContract, StrategyPosition } from '#core/types';
import { handler } from '#jobs/verify-positions';
import { comparePositions, legId } from '#jobs/verify-positions/run';
import { samplePosition } from '../support/dynamodb';
import { lambdaContext, startJobStack, TOPIC } from './support';

const stack = await startJobStack();
const { db, sim, clock } = stack;
const ctx = lambdaContext('verify-positions');
const ACCOUNT = sim.engine.accounts()[0]!;

// An IWM put expiry about a month out and its strikes near spot.
const puts = sim.engine.findContracts({ symbol: 'IWM', secType: 'OPT', right: 'P' });
const expiryCompact = [...new Set(puts.map((c) => c.lastTradeDate))].sort().find((d) => d >= '20260625')!;
const EXPIRY = `${expiryCompact.slice(0, 4)}-${expiryCompact.slice(4, 6)}-${expiryCompact.slice(6, 8)}`;
const spot = sim.engine.quote(sim.engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!.conId)!.last!;
const contractAt = (strike: number, right: 'P' | 'C'): OptionContract => {
  const c = sim.engine
    .findContracts({ symbol: 'IWM', secType: 'OPT', right, lastTradeDate: expiryCompact })
    .reduce((a, b) => (Math.abs(b.strike - strike) < Math.abs(a.strike - strike) ? b : a));
  return { symbol: 'IWM', expiry: EXPIRY, strike: c.strike, right, conId: c.conId, multiplier: 100 };
};
let nextOrderId = 900_000;
/** Fills a market order for one option at IB (quantity signed: negative sells). */
function holdAtIb(contract: OptionContract, quantity: number) {
  sim.engine.placeOrder({
    orderId: nextOrderId++,
    clientId: 99,
    account: ACCOUNT,
    contract: { secType: 'OPT', conId: contract.conId!, symbol: 'IWM' },
    action: quantity < 0 ? 'SELL' : 'BUY',
    quantity: Math.abs(quantity),
    orderType: 'MKT',
    tif: 'DAY',
    orderRef: `test-${nextOrderId}`,
    transmit: true,
    whatIf: false,
  });
}
const spread = (id: string, short: OptionContract, long: OptionContract, q: number): StrategyPosition =>
  samplePosition(id, {
    symbol: 'IWM',
    expiry: EXPIRY,
    legs: [
      { contract: short, quantity: -q },
      { contract: long, quantity: q },
    ],
    quantity: q,
    width: short.strike - long.strike,
  });

// A: held on both sides alike. B: ours only (gone at IB). C: IB holds 1, we think 2.
// D: a bull put IB holds that we never recorded. E: a lone long call at IB (not one of our strategies),
// same expiry as D, so the repair must split the unknown legs into puts and calls to record D.
// Put strikes below spot, nearest first (every point is listed near the money): distinct legs by index.
const below = [...new Set(puts.filter((c) => c.lastTradeDate === expiryCompact).map((c) => c.strike))]
  .filter((strike) => strike < spot)
  .sort((a, b) => b - a);
const put = (i: number) => contractAt(below[i]!, 'P');
const A = spread('pos-A', put(2), put(4), 1);
const B = spread('pos-B', put(6), put(8), 1);
const C = spread('pos-C', put(10), put(12), 2);
const D = [put(0), put(1)] as const;
const E = contractAt(spot * 1.05, 'C');
const k = (pct: number) => Math.round(spot * pct);

describe('verify-positions', () => {
  it('reports every difference with one CRITICAL alert and changes nothing without repair', async () => {
    holdAtIb(A.legs[0]!.contract, -1);
    holdAtIb(A.legs[1]!.contract, 1);
    holdAtIb(C.legs[0]!.contract, -1);
    holdAtIb(C.legs[1]!.contract, 1);
    holdAtIb(D[0], -1);
    holdAtIb(D[1], 1);
    holdAtIb(E, 1);
    for (const p of [A, B, C]) await db.stores.positions.create(p, { source: 'SYSTEM', now: clock.now() });

    const result = await handler({}, ctx);
    expect(result).toMatchObject({
      ok: false,
      counts: {
        openPositions: 3,
        ibOptionLegs: 7,
        differences: 7,
        missingAtIb: 2,
        missingInDynamo: 3,
        quantityMismatches: 2,
      },
    });
    const expected = [
      `${legId(B.legs[0]!.contract)}: we hold -1 (pos-B), IB holds none`,
      `${legId(B.legs[1]!.contract)}: we hold 1 (pos-B), IB holds none`,
      `${legId(C.legs[0]!.contract)}: we hold -2 (pos-C), IB holds -1`,
      `${legId(C.legs[1]!.contract)}: we hold 2 (pos-C), IB holds 1`,
      `${legId(D[0])}: IB holds -1, no open position of ours`,
      `${legId(D[1])}: IB holds 1, no open position of ours`,
      `${legId(E)}: IB holds 1, no open position of ours`,
    ];
    expect([...(result.reasons ?? [])].sort()).toEqual([...expected].sort());
    const published = stack.published();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      TopicArn: TOPIC,
      Subject: '[CRITICAL] Position mismatch: 7 difference(s) with IB',
      MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
    });
    expect(String(published[0]!.Message)).toMatch(/; and 2 more\. Repair with \{"repair": true\}\.$/);
    expect((await db.stores.positions.listOpen()).map((p) => p.id).sort()).toEqual([
      'pos-A',
      'pos-B',
      'pos-C',
    ]);
  }, 60_000);

  it('{ "repair": true } closes what IB no longer holds and records the unknown spread as EXTERNAL', async () => {
    const result = await handler({ repair: true }, ctx);
    expect(result.counts).toMatchObject({ differences: 7, closed: 1, createdExternal: 1 });
    const b = await db.stores.positions.get('pos-B');
    expect(b).toMatchObject({ status: 'CLOSED', closeReason: 'gone at IB (verify-positions repair)' });
    const open = await db.stores.positions.listOpen();
    const external = open.filter((p) => p.source === 'EXTERNAL');
    expect(external).toHaveLength(1);
    expect(external[0]).toMatchObject({ strategy: 'BULL_PUT', symbol: 'IWM', expiry: EXPIRY, quantity: 1 });
    expect(external[0]!.legs.map((l) => [l.contract.strike, l.quantity])).toEqual(
      expect.arrayContaining([
        [D[0].strike, -1],
        [D[1].strike, 1],
      ]),
    );
    expect(result.reasons).toContain(`not recorded (not one of our strategies): ${legId(E)} ×1`);
    expect(result.reasons).toContain('2 quantity mismatch(es) left for an operator: not rewritten');
    // C's quantities are a person's call: untouched.
    expect((await db.stores.positions.get('pos-C'))?.quantity).toBe(2);

    // Afterwards only C's quantities and the lone call remain.
    const again = await handler({}, ctx);
    expect(again.counts).toMatchObject({
      differences: 3,
      missingAtIb: 0,
      missingInDynamo: 1,
      quantityMismatches: 2,
    });
  }, 60_000);

  it('compares per leg: two positions sharing a leg add up', () => {
    const short = contractAt(k(0.95), 'P');
    const long = contractAt(k(0.95) - 5, 'P');
    const view = (c: OptionContract, quantity: number) => ({
      account: ACCOUNT,
      contract: {
        conId: c.conId!,
        symbol: 'IWM',
        kind: 'OPTION' as const,
        expiry: EXPIRY,
        strike: c.strike,
        right: c.right,
      },
      quantity,
      averageCost: 100,
    });
    const both = [spread('x', short, long, 1), spread('y', short, long, 2)];
    expect(comparePositions(both, [view(short, -3), view(long, 3)])).toEqual([]);
    expect(comparePositions(both, [view(short, -3), view(long, 2)])).toEqual([
      { kind: 'QUANTITY_MISMATCH', leg: legId(long), ours: 3, ib: 2, positionIds: ['x', 'y'] },
    ]);
  });

  it('refuses bad payloads naming the field, and repairs nothing', async () => {
    expect(await handler({ repair: 'yes' }, ctx)).toMatchObject({
      ok: false,
      error: 'repair: expected true or false',
    });
    expect(await handler({ repair: true, force: true }, ctx)).toMatchObject({
      ok: false,
      error: 'force: unknown field',
    });
    expect((await db.stores.positions.get('pos-C'))?.status).toBe('OPEN');
  });
});
