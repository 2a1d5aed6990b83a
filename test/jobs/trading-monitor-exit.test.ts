// monitor's exit path against DynamoDB Local, the simulator and the bridge (SNS the only mock): a CLOSE
// rule fires → exactly one closing order through the idempotent intent path; a crash after the order
// went out leaves it working, and the next cycle MANAGES it (rule 2) instead of placing another; the
// fill closes the position with realised P&L; the decision is stored with its rule and inputs. Then a
// partial fill left open after maxReprices → WARNING, and the next run re-submits the remainder under a
// new attempt key.
import { describe, expect, it } from 'vitest';
import type { BridgeClient } from '#adapters/bridge-client';
import type { PositionRecord } from '#adapters/ports';
import { intentKey } from '#core/orders';
import { handler as monitor } from '#jobs/monitor';
import { createJobContext, setJobContext } from '#jobs/shared/context';
import '../support/dynamodb';
import { monitorFixtures } from './monitor-fixtures';
import { lambdaContext, startJobStack, TEST_CONFIG } from './support';

const stack = await startJobStack({ seed: 5 });
const { db, sim, clock } = stack;
const { engine, account, spot, nearestStrike, mid, openBullPut, closeIntents, ordersFor, commissionsOf } =
  monitorFixtures(stack);
const TRADE_DATE = '2026-06-01';

describe('monitor exit path', () => {
  it('profit target: one closing order, a crash, the next cycle manages it (rule 2), the fill closes it', async () => {
    // Short put ~8% out of the money; its close costs c at mid now. With an entry credit of 2.5·c the
    // position has made 60% of its max profit: rule 8 (profit target 50%) fires, nothing earlier does.
    const shortStrike = nearestStrike(spot() * 0.92);
    const { short, long } = await openBullPut('pos-profit', shortStrike, 1, 0);
    const closeMid = mid(short) - mid(long);
    expect(closeMid).toBeGreaterThan(0.02);
    const entryCredit = Math.round(closeMid * 2.5 * 100) / 100;
    const held = (await db.stores.positions.get('pos-profit'))!;
    await db.stores.positions.update(
      { ...held, entryCredit },
      { expectedVersion: held.version, now: clock.now() },
    );

    // The crash: the Lambda dies right after POST /orders answered (the next bridge read never returns).
    const real = stack.context;
    let placed = 0;
    setJobContext(
      createJobContext({
        stores: db.stores,
        clock,
        alerter: real.alerter,
        idempotency: null,
        bridge: (priority) => {
          const client = real.bridge(priority);
          return {
            ...client,
            placeOrder: async (order) => {
              const out = await client.placeOrder(order);
              placed += 1;
              return out;
            },
            ordersByRef: () => Promise.reject(new Error('Runtime exited: the Lambda crashed')),
            quotes: (contracts) =>
              placed > 0
                ? Promise.reject(new Error('Runtime exited: the Lambda crashed'))
                : client.quotes(contracts),
          } as BridgeClient;
        },
      }),
    );
    try {
      await expect(monitor({}, lambdaContext('monitor'))).rejects.toThrow('crashed');
    } finally {
      setJobContext(real);
    }
    expect(placed).toBe(1);
    const [intent] = await closeIntents('pos-profit');
    const key = intentKey({ tradeDate: TRADE_DATE, subjectId: 'pos-profit', purpose: 'CLOSE' });
    expect(intent).toMatchObject({ intentKey: key, status: 'SUBMITTED', rule: 8, quantity: 1 });
    expect(ordersFor(key)).toHaveLength(1);
    const first = await db.stores.snapshots.latestDecision('pos-profit');
    expect(first).toMatchObject({ action: 'CLOSE', rule: 8, intentKey: key });
    // The numbers the rule saw are stored with it: the entry credit set above, the 50% target, and a
    // profit share consistent with its own close cost: pct = (credit − close cost) / credit · 100.
    const inputs = first!.inputs as Record<string, number>;
    expect(inputs).toMatchObject({ entryCredit, profitTargetPct: 50, quantity: 1 });
    expect(inputs.pctOfMaxProfit).toBeGreaterThanOrEqual(50);
    expect(inputs.pctOfMaxProfit).toBeCloseTo(((entryCredit - inputs.closeCostMid!) / entryCredit) * 100, 6);

    // The next cycle: the order is working, so rule 2 manages it; no second order.
    const before = stack.published().length;
    const second = await monitor({}, lambdaContext('monitor'));
    expect(second.counts).toMatchObject({ manage: 1, exitsPlaced: 0, close: 0 });
    const decision = await db.stores.snapshots.latestDecision('pos-profit');
    expect(decision).toMatchObject({ action: 'MANAGE', rule: 2, intentKey: key });
    expect(ordersFor(key)).toHaveLength(1);
    expect(sim.orders().filter((o) => o.request.orderRef.includes('CLOSE'))).toHaveLength(1);

    // The fill closed it: realised P&L = (entry credit − debit paid) · 100 − commissions (entry's 2 + IB's).
    const after = await db.stores.intents.get(key);
    expect(after?.status).toBe('FILLED');
    const position = (await db.stores.positions.get('pos-profit')) as PositionRecord;
    expect(position).toMatchObject({ status: 'CLOSED', closeIntentKey: key });
    const debit = Math.abs(ordersFor(key)[0]!.avgFillPrice);
    const expected = (entryCredit - debit) * 100 - 2 - commissionsOf(key);
    expect(position.realisedPnlUsd).toBeCloseTo(expected, 2);
    const closedAlert = stack
      .published()
      .slice(before)
      .find((p) => String(p.Subject).startsWith('[INFO] Closed IWM'));
    expect(closedAlert).toBeDefined();

    // A third cycle: nothing open, nothing placed.
    const third = await monitor({}, lambdaContext('monitor'));
    expect(third.counts).toMatchObject({ positions: 0 });
    expect(ordersFor(key)).toHaveLength(1);
  }, 120_000);

  it('a partial fill left open after maxReprices → WARNING, and the remainder goes out under a new attempt key', async () => {
    // Stop loss (rule 4, urgent: priced at natural): an entry credit of 0.05 against a close that costs
    // more than 0.15 is a loss over 2× the credit. 7 contracts: IB fills 5 (one chunk) and, with
    // partial fills set never to complete, leaves 2 working until the policy cancels them.
    const shortStrike = nearestStrike(spot() * 0.97);
    const { short, long } = await openBullPut('pos-stop', shortStrike, 7, 0.05);
    expect(mid(short) - mid(long)).toBeGreaterThan(0.15);
    engine.setPartialFillsNeverComplete(true);
    const before = stack.published().length;
    let first;
    try {
      first = await monitor({}, lambdaContext('monitor'));
    } finally {
      engine.setPartialFillsNeverComplete(false);
    }
    expect(first.counts).toMatchObject({ close: 1, exitsPlaced: 1 });
    const key0 = intentKey({ tradeDate: TRADE_DATE, subjectId: 'pos-stop', purpose: 'CLOSE' });
    expect(await db.stores.intents.get(key0)).toMatchObject({
      status: 'CANCELLED',
      filledQuantity: 5,
      repriceCount: TEST_CONFIG.orders.maxReprices,
      rule: 4,
    });
    expect(ordersFor(key0)).toHaveLength(1);
    expect(ordersFor(key0)[0]).toMatchObject({ filled: 5, status: 'Cancelled' });
    const left = await db.stores.positions.get('pos-stop');
    expect(left).toMatchObject({ status: 'OPEN', quantity: 2 });
    expect(Object.fromEntries(left!.legs.map((l) => [l.contract.conId, l.quantity]))).toEqual({
      [short.conId]: -2,
      [long.conId]: 2,
    });
    const warnings = stack
      .published()
      .slice(before)
      .filter((p) => String(p.Subject).startsWith('[WARNING]'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      Subject: '[WARNING] Exit part-filled: IWM',
      MessageAttributes: { severity: { DataType: 'String', StringValue: 'WARNING' } },
    });
    expect(String(warnings[0]!.Message)).toContain('5 of 7 closed');

    // The next run: a new intent (attempt 1, its own orderRef) for the 2 left, which fills.
    const second = await monitor({}, lambdaContext('monitor'));
    expect(second.counts).toMatchObject({ close: 1, exitsPlaced: 1 });
    const key1 = intentKey({ tradeDate: TRADE_DATE, subjectId: 'pos-stop', purpose: 'CLOSE', attempt: 1 });
    expect(key1).not.toBe(key0);
    expect(await db.stores.intents.get(key1)).toMatchObject({
      status: 'FILLED',
      quantity: 2,
      filledQuantity: 2,
    });
    expect(ordersFor(key1)).toHaveLength(1);
    expect(ordersFor(key0)).toHaveLength(1);
    expect(await db.stores.positions.get('pos-stop')).toMatchObject({
      status: 'CLOSED',
      closeIntentKey: key1,
    });
    // At IB nothing of the spread is left: 7 closed in all, in two orders.
    expect(
      engine
        .positions(account)
        .filter((p) => [short.conId, long.conId].includes(p.contract.conId) && p.position !== 0),
    ).toHaveLength(0);
  }, 120_000);

  it('a crash before a partial close is applied: the next cycle applies it first and closes only the rest', async () => {
    const shortStrike = nearestStrike(spot() * 0.97);
    const { short, long } = await openBullPut('pos-crash', shortStrike, 7, 0.05);
    const atIb = () =>
      engine
        .positions(account)
        .filter((p) => [short.conId, long.conId].includes(p.contract.conId))
        .map((p) => p.position);
    // The Lambda dies right after the exit order was cancelled with 5 of 7 filled, before the position
    // was shrunk: the intent says CANCELLED with 5 filled, the position still says 7.
    const real = stack.context;
    setJobContext(
      createJobContext({
        stores: {
          ...db.stores,
          positions: {
            ...db.stores.positions,
            reduceFromFill: () => Promise.reject(new Error('Runtime exited: the Lambda crashed')),
          },
        },
        clock,
        alerter: real.alerter,
        idempotency: null,
        bridge: (priority) => real.bridge(priority),
      }),
    );
    engine.setPartialFillsNeverComplete(true);
    try {
      await expect(monitor({}, lambdaContext('monitor'))).rejects.toThrow('crashed');
    } finally {
      engine.setPartialFillsNeverComplete(false);
      setJobContext(real);
    }
    const key0 = intentKey({ tradeDate: TRADE_DATE, subjectId: 'pos-crash', purpose: 'CLOSE' });
    expect(await db.stores.intents.get(key0)).toMatchObject({ status: 'CANCELLED', filledQuantity: 5 });
    expect((await db.stores.positions.get('pos-crash'))?.quantity).toBe(7);
    expect(atIb().map(Math.abs)).toEqual([2, 2]);

    // The next cycle applies the earlier 5 before judging the position, then closes the 2 left: never 7.
    const second = await monitor({}, lambdaContext('monitor'));
    expect(second.reasons?.join(' ')).toContain(`applied the earlier partial close ${key0} (5 spreads)`);
    const key1 = intentKey({ tradeDate: TRADE_DATE, subjectId: 'pos-crash', purpose: 'CLOSE', attempt: 1 });
    expect(await db.stores.intents.get(key1)).toMatchObject({ status: 'FILLED', quantity: 2 });
    expect(await db.stores.intents.get(key0)).toMatchObject({
      status: 'CANCELLED',
      appliedPositionId: 'pos-crash',
    });
    const closed = (await db.stores.positions.get('pos-crash')) as PositionRecord;
    expect(closed).toMatchObject({ status: 'CLOSED', closeIntentKey: key1 });
    // Realised over both orders: (0.05 − debit) · 100 · contracts − commissions (entry's 2 and IB's).
    const part = (key: string, contracts: number) =>
      (0.05 - Math.abs(ordersFor(key)[0]!.avgFillPrice)) * 100 * contracts;
    const expected = part(key0, 5) + part(key1, 2) - 2 - commissionsOf(key0) - commissionsOf(key1);
    expect(closed.realisedPnlUsd).toBeCloseTo(expected, 2);
    // Nothing of the spread is left at IB, and nothing was sold past zero.
    expect(atIb().every((q) => q === 0)).toBe(true);
  }, 120_000);
});

describe('monitor: a breached position whose wing has no quote (data guard, rule 1)', () => {
  it('holds while not in danger, then after a price shock closes at the protective limit with a CRITICAL alert', async () => {
    // A bull put ~3% out of the money, entered at about its value now (no stop, no profit target).
    const shortStrike = nearestStrike(spot() * 0.97);
    const { short, long } = await openBullPut('pos-wing', shortStrike, 1, 0);
    const entryCredit = Math.round((mid(short) - mid(long)) * 100) / 100;
    const held = (await db.stores.positions.get('pos-wing'))!;
    await db.stores.positions.update(
      { ...held, entryCredit },
      { expectedVersion: held.version, now: clock.now() },
    );
    const longName = `longP${long.strike}`;

    // The long wing stops quoting (IB sends no bid/ask): the guard holds, nothing is sent.
    engine.setQuoteFault(long.conId, 'missing');
    try {
      const before = stack.published().length;
      const first = await monitor({}, lambdaContext('monitor'));
      expect(first.counts).toMatchObject({ hold: 1, close: 0, exitsPlaced: 0 });
      const holding = await db.stores.snapshots.latestDecision('pos-wing');
      expect(holding).toMatchObject({ action: 'HOLD', rule: 1 });
      expect(holding!.reason).toContain(longName);
      expect(await closeIntents('pos-wing')).toHaveLength(0);
      expect(stack.published().slice(before)).toHaveLength(0);

      // Ten minutes later IWM gaps down 8% with volatility up: the short put is in the money.
      await clock.sleep(10 * 60_000);
      engine.shockPrice('IWM', -8, 0.4);
      expect(spot()).toBeLessThan(shortStrike);
      const second = await monitor({}, lambdaContext('monitor'));
      expect(second.counts).toMatchObject({ close: 1, exitsPlaced: 1 });
      const decision = await db.stores.snapshots.latestDecision('pos-wing');
      expect(decision).toMatchObject({ action: 'CLOSE', urgent: true });
      const inputs = decision!.inputs as Record<string, number | string | boolean>;
      expect(inputs.modelPriced).toBe(true);
      expect(inputs[`${longName}.modelPrice`]).toBeGreaterThan(0);
      expect(String(inputs[`${longName}.ivSources`])).toMatch(/^P\d/);
      // The order went out at the protective limit: natural on the short leg (bought at its ask) less the
      // model price of the wing, on the cent above, at most the width.
      const limit = inputs.protectiveLimit as number;
      const shortAsk = inputs[`shortP${shortStrike}.ask`] as number;
      const expected = Math.min(
        5,
        Math.ceil((shortAsk - (inputs[`${longName}.modelPrice`] as number)) * 100 - 1e-9) / 100,
      );
      expect(limit).toBe(expected);
      expect(limit).toBeLessThanOrEqual(5);
      const [intent] = await closeIntents('pos-wing');
      expect(intent).toMatchObject({ rule: decision!.rule });
      const orders = ordersFor(intent!.intentKey);
      expect(orders).toHaveLength(1);
      expect(orders[0]!.request).toMatchObject({ orderType: 'LMT', action: 'BUY', limitPrice: limit });
      // The guard has held since the wing went silent 10 minutes ago: CRITICAL, naming the position,
      // the leg and the model price.
      const critical = stack
        .published()
        .filter((p) => String(p.Subject).startsWith('[CRITICAL]'))
        .map((p) => String(p.Message));
      expect(
        critical.some((m) => m.includes('pos-wing') && m.includes(longName) && m.includes('model price')),
      ).toBe(true);
    } finally {
      engine.setQuoteFault(long.conId, undefined);
    }
  }, 120_000);
});
