// position-sync closes out intents of earlier trade dates still marked working, against what IB says:
// never placed; no longer working at IB (a DAY order ends at the close), with IB's filled quantity and a
// WARNING for a fill no run recorded; left alone while IB still works it (GTC). DynamoDB Local, the
// simulator and the bridge; SNS mocked.
import { expect, it } from 'vitest';
import type { OrderIntent } from '#core/intents';
import { handler as sync } from '#jobs/position-sync';
import type { SimContract, SimOrderState } from '#simulator/engine-api';
import '../support/dynamodb';
import { lambdaContext, startJobStack } from './support';

const stack = await startJobStack({ seed: 13 });
const { db, sim, clock } = stack;
const engine = sim.engine;
const account = engine.accounts()[0]!;
const EARLIER = '2026-05-29'; // the Friday before the stack's Monday, 2026-06-01

const iwm = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
const params = engine.optionParams('IWM')[0]!;
const spot = engine.quote(iwm.conId)!.last!;
const nearestStrike = (x: number) =>
  params.strikes.reduce((best, k) => (Math.abs(k - x) < Math.abs(best - x) ? k : best));
const iso = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}`;
const expiry = params.expirations.find((e) => iso(e) >= '2026-07-01')!;
const put = (strike: number): SimContract =>
  engine.findContracts({ symbol: 'IWM', secType: 'OPT', lastTradeDate: expiry, strike, right: 'P' })[0]!;
const shortPut = put(nearestStrike(spot * 0.9));
const longPut = put(nearestStrike(spot * 0.85));
const contractOf = (c: SimContract) => ({
  symbol: 'IWM',
  expiry: iso(expiry),
  strike: c.strike!,
  right: 'P' as const,
  conId: c.conId,
  multiplier: 100,
});

const intent = (key: string, tradeDate: string, quantity = 1): OrderIntent => ({
  intentKey: key,
  tradeDate,
  purpose: 'OPEN',
  strategy: 'BULL_PUT',
  symbol: 'IWM',
  candidateId: key,
  positionId: key,
  legs: [
    { contract: contractOf(shortPut), action: 'SELL', ratio: 1 },
    { contract: contractOf(longPut), action: 'BUY', ratio: 1 },
  ],
  action: 'SELL',
  quantity,
  limitPrice: 0.5,
  dryRun: false,
  reason: 'test',
  createdBy: 'execute-strategies',
});

let nextOrderId = 950_000;
/**
 * The bull put at IB under the intent's orderRef. IB's combo semantics (BUY legs +, SELL legs −): a BUY
 * at −100 never fills; at +100 it is marketable and fills 5 contracts at once (the simulator's chunk).
 */
function placeAtIb(key: string, options: { tif: 'DAY' | 'GTC'; quantity?: number; marketable?: boolean }) {
  const state = engine.placeOrder({
    orderId: nextOrderId++,
    clientId: 1,
    account,
    contract: {
      secType: 'BAG',
      symbol: 'IWM',
      legs: [
        { conId: shortPut.conId, ratio: 1, action: 'SELL' },
        { conId: longPut.conId, ratio: 1, action: 'BUY' },
      ],
    },
    action: 'BUY',
    quantity: options.quantity ?? 1,
    orderType: 'LMT',
    limitPrice: options.marketable ? 100 : -100,
    tif: options.tif,
    orderRef: key,
    transmit: true,
    whatIf: false,
  }) as SimOrderState;
  return state;
}

async function submittedEarlier(key: string, quantity: number, atIb: Parameters<typeof placeAtIb>[1]) {
  const now = clock.now();
  await db.stores.intents.create(intent(key, EARLIER, quantity), now);
  const state = placeAtIb(key, { ...atIb, quantity });
  await db.stores.intents.transition(key, {
    from: 'INTENT',
    to: 'SUBMITTED',
    now,
    orderId: state.request.orderId,
  });
  return state;
}

it('closes them out against IB; one IB still works is left, and today’s are left to today’s runs', async () => {
  await db.stores.intents.create(intent('oi-earlier-never-placed', EARLIER), clock.now());
  // What IB does to a DAY order at the close: cancelled.
  const day = await submittedEarlier('oi-earlier-day-order', 1, { tif: 'DAY' });
  engine.cancelOrder(day.request.orderId);
  // Part filled (5 of 10) and then ended at IB, and no run recorded the fill.
  const partly = await submittedEarlier('oi-earlier-part-filled', 10, { tif: 'DAY', marketable: true });
  expect(partly.filled).toBe(5);
  engine.cancelOrder(partly.request.orderId);
  await submittedEarlier('oi-earlier-gtc-order', 1, { tif: 'GTC' });
  await db.stores.intents.create(intent('oi-today-not-placed', '2026-06-01'), clock.now());
  const published = stack.published().length;

  const result = await sync(
    { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
    lambdaContext('position-sync'),
  );
  expect(result.counts).toMatchObject({ earlierIntentsClosed: 3 });
  const get = (key: string) => db.stores.intents.get(key);
  expect(await get('oi-earlier-never-placed')).toMatchObject({
    status: 'CANCELLED',
    statusReason: `never placed on ${EARLIER}; that day is over`,
  });
  expect(await get('oi-earlier-day-order')).toMatchObject({
    status: 'CANCELLED',
    filledQuantity: 0,
    statusReason: `no longer working at IB after ${EARLIER} (a DAY order ends at the close): 0 of 1 filled`,
  });
  expect(await get('oi-earlier-part-filled')).toMatchObject({
    status: 'CANCELLED',
    filledQuantity: 5,
    statusReason: `no longer working at IB after ${EARLIER} (a DAY order ends at the close): 5 of 10 filled`,
  });
  // The 5 contracts at IB became the position the run would have opened, not an EXTERNAL one.
  expect(await db.stores.positions.get('oi-earlier-part-filled')).toMatchObject({
    status: 'OPEN',
    source: 'SYSTEM',
    quantity: 5,
    openIntentKey: 'oi-earlier-part-filled',
  });
  expect((await db.stores.positions.listOpen()).filter((p) => p.source !== 'SYSTEM')).toEqual([]);
  expect(stack.published().slice(published)).toContainEqual(
    expect.objectContaining({
      Subject: '[WARNING] Fill not recorded: IWM BULL_PUT',
      Message: expect.stringMatching(
        new RegExp(
          `^oi-earlier-part-filled \\(OPEN, ${EARLIER}\\) filled 5 of 10 at IB but no run recorded it; position-sync opened the position from IB's fill \\(5 at \\d+\\.\\d{2}\\)\\.$`,
        ),
      ),
    }),
  );
  // IB still works it: left for the run that manages it. Today's intent is today's runs' business.
  expect(await get('oi-earlier-gtc-order')).toMatchObject({ status: 'SUBMITTED' });
  expect(await get('oi-today-not-placed')).toMatchObject({ status: 'INTENT' });
  expect((await db.stores.intents.listWorking()).map((i) => i.intentKey).sort()).toEqual([
    'oi-earlier-gtc-order',
    'oi-today-not-placed',
  ]);
}, 60_000);

it('an order filled in full on an earlier day that no run recorded: FILLED, and its position opened', async () => {
  const key = 'oi-filled-unrecorded';
  await db.stores.intents.create(intent(key, '2026-06-01', 2), clock.now());
  const state = placeAtIb(key, { tif: 'DAY', quantity: 2, marketable: true });
  expect(state.status).toBe('Filled');
  await db.stores.intents.transition(key, {
    from: 'INTENT',
    to: 'SUBMITTED',
    now: clock.now(),
    orderId: state.request.orderId,
  });
  // The run that placed it died; the next day's sync is the first to look, and IB's executions of
  // the day before are no longer in its report.
  await clock.sleep(24 * 3_600_000);
  const published = stack.published().length;
  await sync(
    { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
    lambdaContext('position-sync'),
  );
  expect(await db.stores.intents.get(key)).toMatchObject({
    status: 'FILLED',
    filledQuantity: 2,
    statusReason: 'filled at IB after 2026-06-01 with no run to record it: 2 of 2',
  });
  expect(await db.stores.positions.get(key)).toMatchObject({
    status: 'OPEN',
    source: 'SYSTEM',
    quantity: 2,
    openIntentKey: key,
  });
  expect(stack.published().slice(published)).toContainEqual(
    expect.objectContaining({
      Subject: '[WARNING] Fill not recorded: IWM BULL_PUT',
      Message: expect.stringMatching(
        /^oi-filled-unrecorded \(OPEN, 2026-06-01\) filled 2 of 2 at IB but no run recorded it; position-sync opened the position from IB's fill \(2 at \d+\.\d{2}\)\.$/,
      ),
    }),
  );
}, 60_000);
