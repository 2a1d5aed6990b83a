// position-sync against what really happens at IB, driven through the simulator's engine (a trader's
// manual TWS orders, an option expiring in the money): positions opened outside the system, closed
// outside the system, and an assignment. DynamoDB Local, the real bridge; SNS the only mock.
import { describe, expect, it } from 'vitest';
import { handler as sync } from '#jobs/position-sync';
import type { SimContract } from '#simulator/engine-api';
import '../support/dynamodb';
import { lambdaContext, startJobStack, TOPIC } from './support';
import { listedOptions, placeSpreadAtBroker } from './broker-spread';

const stack = await startJobStack({ seed: 11 });
const { db, sim } = stack;
const engine = sim.engine;
const account = engine.accounts()[0]!;
const iwm = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
const { params, nearestStrike, option, iso } = listedOptions(engine, 'IWM');
const spot = () => engine.quote(iwm.conId)!.last!;

let manualId = 900_000;
/** A bull put (sell `short`, buy `long`) or its closing order, as a trader would send it from TWS. */
function tradeSpread(short: SimContract, long: SimContract, purpose: 'open' | 'close', quantity = 1) {
  const state = placeSpreadAtBroker(engine, {
    orderId: manualId++,
    account,
    symbol: 'IWM',
    short,
    long,
    purpose,
    quantity,
    orderRef: `tws-manual-${manualId}`,
  });
  if (state.status !== 'Filled') sim.advance(1000);
  expect(engine.openOrders().filter((o) => o.request.orderId === state.request.orderId)).toHaveLength(0);
}

const run = () =>
  sync(
    { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
    lambdaContext('position-sync'),
  );
const critical = (subject: string) => ({
  TopicArn: TOPIC,
  Subject: `[CRITICAL] ${subject}`,
  MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
});

// A far expiry (not touched by the assignment at the end) and the nearest one (it expires in the test).
const farExpiry = params.expirations.find((e) => iso(e) >= '2026-07-01')!;
const nearExpiry = params.expirations[0]!;

describe('position-sync against trades made outside the system', () => {
  let externalId = '';

  it('a spread opened in TWS (no intent) is recorded as EXTERNAL and alerted', async () => {
    const s = spot();
    const short = option(nearestStrike(s * 0.95), 'P', farExpiry);
    const long = option(nearestStrike(s * 0.95) - 5, 'P', farExpiry);
    tradeSpread(short, long, 'open', 2);
    const before = stack.published().length;
    const result = await run();
    expect(result.counts).toMatchObject({ external: 1, closedOutside: 0, assigned: 0, mismatches: 0 });
    const all = await db.stores.positions.listOpen();
    const external = all.filter((p) => p.source === 'EXTERNAL');
    expect(external).toHaveLength(1);
    externalId = external[0]!.id;
    expect(external[0]).toMatchObject({
      strategy: 'BULL_PUT',
      symbol: 'IWM',
      expiry: iso(farExpiry),
      quantity: 2,
      width: 5,
      status: 'OPEN',
    });
    // The legs are IB's, signed: the short put −2, the long put +2.
    expect(Object.fromEntries(external[0]!.legs.map((l) => [l.contract.conId, l.quantity]))).toEqual({
      [short.conId]: -2,
      [long.conId]: 2,
    });
    // IB's average costs: a credit came in (the short leg is worth more than the long one).
    expect(external[0]!.entryCredit).toBeGreaterThan(0);
    const alerts = stack.published().slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject(critical('Opened outside the system: IWM'));
    expect(String(alerts[0]!.Message)).toContain(externalId);

    // A second sync finds nothing new: the position is ours now, and no second alert.
    const again = await run();
    expect(again.counts).toMatchObject({ external: 0, mismatches: 0 });
    expect(stack.published().length).toBe(before + 1);
  }, 60_000);

  it('the same spread closed in TWS: the open record is closed with the reason, and alerted', async () => {
    const held = (await db.stores.positions.get(externalId))!;
    const [short, long] = [...held.legs]
      .sort((a, b) => a.quantity - b.quantity)
      .map((l) => engine.contractById(l.contract.conId!)!);
    tradeSpread(short!, long!, 'close', 2);
    expect(engine.positions(account).filter((p) => p.position !== 0)).toHaveLength(0);
    const before = stack.published().length;
    const result = await run();
    expect(result.counts).toMatchObject({ closedOutside: 1, external: 0, assigned: 0 });
    expect(result.ok).toBe(false);
    expect(await db.stores.positions.get(externalId)).toMatchObject({
      status: 'CLOSED',
      closeReason: 'closed outside the system',
    });
    const alerts = stack.published().slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject(critical('Position gone at IB: IWM'));
  }, 60_000);

  it('early assignment (short put gone, long put still held, stock appeared): CRITICAL at once, the position follows IB', async () => {
    // IB's state after an early assignment, produced in TWS: a bull put, then its short put bought back
    // alone and 100 shares bought, so the short leg is gone, the long leg held and the stock there.
    // The short 2% in the money (OCC assigns only those); the wing far below, never worth exercising.
    const s = spot();
    const short = option(nearestStrike(s * 1.02), 'P', farExpiry);
    const long = option(nearestStrike(s * 0.9), 'P', farExpiry);
    tradeSpread(short, long, 'open', 1);
    await run();
    const opened = (await db.stores.positions.listOpen()).find((p) =>
      p.legs.some((l) => l.contract.conId === short.conId),
    )!;
    expect(opened).toBeDefined();
    const single = (conId: number, secType: 'OPT' | 'STK', action: 'BUY' | 'SELL', quantity: number) =>
      engine.placeOrder({
        orderId: manualId++,
        clientId: 0,
        account,
        contract: { secType, conId, symbol: 'IWM' },
        action,
        quantity,
        orderType: 'MKT',
        tif: 'DAY',
        orderRef: '',
        transmit: true,
        whatIf: false,
      });
    single(short.conId, 'OPT', 'BUY', 1);
    single(iwm.conId, 'STK', 'BUY', 100);
    // IB fills large orders in chunks (the simulator: 5 a minute): let all 100 shares fill.
    sim.advance(25 * 60_000);
    expect(engine.positions(account).find((p) => p.contract.secType === 'STK')?.position).toBe(100);
    const before = stack.published().length;
    const result = await run();
    expect(result.counts).toMatchObject({ assigned: 1, closedOutside: 0, external: 0 });
    // The assigned short left the position; the long put is its orphaned hedge, the shares its holding.
    expect(await db.stores.positions.get(opened.id)).toMatchObject({
      status: 'OPEN',
      legs: [],
      orphanLegs: [{ quantity: 1 }],
      stock: { shares: 100, averagePrice: short.strike },
    });
    const alerts = stack.published().slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject(critical('ASSIGNED early: IWM'));
    expect(String(alerts[0]!.Message)).toContain(`1 × P${short.strike} assigned: +100 shares`);

    // The operator sells the stock and the long put in TWS: gone at IB, closed here as closed outside.
    single(iwm.conId, 'STK', 'SELL', 100);
    single(long.conId, 'OPT', 'SELL', 1);
    sim.advance(25 * 60_000);
    expect(engine.positions(account).filter((p) => p.position !== 0)).toHaveLength(0);
    const after = await run();
    expect(after.counts).toMatchObject({ assigned: 0, closedOutside: 1 });
    expect(await db.stores.positions.get(opened.id)).toMatchObject({ status: 'CLOSED' });
  }, 60_000);

  it('a short put expiring in the money is assigned: stock appears, CRITICAL alert at once', async () => {
    // Short put 4% in the money, long put 6% out of it: at expiry the short is assigned (+100 shares a
    // contract), the long expires worthless.
    const s = spot();
    const shortStrike = nearestStrike(s * 1.04);
    const longStrike = nearestStrike(s * 0.94);
    const short = option(shortStrike, 'P', nearExpiry);
    const long = option(longStrike, 'P', nearExpiry);
    tradeSpread(short, long, 'open', 1);
    await run();
    const opened = (await db.stores.positions.listOpen()).find((p) => p.expiry === iso(nearExpiry))!;
    expect(opened).toMatchObject({ source: 'EXTERNAL', strategy: 'BULL_PUT', quantity: 1 });

    // Past the expiry's close: the simulator settles the options the way OCC would.
    await stack.clock.sleep(engine.expiryInstant(nearExpiry) + 30 * 60_000 - stack.clock.now());
    const settled = engine.settlements(account).filter((x) => x.conId === short.conId);
    expect(settled.map((x) => x.kind)).toEqual(['assigned']);
    expect(engine.positions(account).find((p) => p.contract.secType === 'STK')?.position).toBe(100);

    const before = stack.published().length;
    const result = await sync(
      {
        version: '0',
        'detail-type': 'PositionChanged',
        source: 'ib-bridge',
        detail: {
          account,
          contract: { conId: iwm.conId, symbol: 'IWM', secType: 'STK' },
          previousQuantity: 0,
          quantity: 100,
          averageCost: shortStrike,
          time: stack.clock.now(),
        },
      },
      lambdaContext('position-sync'),
    );
    expect(result.counts).toMatchObject({ assigned: 1 });
    // The shares are the position's holding now (the monitor closes them); the long put expired worthless.
    expect(await db.stores.positions.get(opened.id)).toMatchObject({
      status: 'OPEN',
      legs: [],
      stock: { shares: 100, averagePrice: shortStrike },
      assignments: [{ kind: 'ASSIGNED', contracts: 1, strike: shortStrike, shares: 100 }],
    });
    const alerts = stack.published().slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject(critical('ASSIGNED: IWM'));
    expect(String(alerts[0]!.Message)).toContain('100 IWM shares');
  }, 60_000);
});
