// The five counts of scripts/report/reconcile.ts on DynamoDB Local, the simulator and the bridge: 0 on a
// consistent state (a bull put opened through an intent, the bridge and position-sync), and exactly the
// broken count moves when one thing is broken on purpose, with a detail naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, nyDate, nyTimeToEpoch } from '#core/calendar';
import { intentKey } from '#core/orders';
import type { LocalStack } from '#scripts/local/stack';
import { scheduledEvent, startLocalStack } from '#scripts/local/stack';
import { brokerBook, reconcile } from '#scripts/report/reconcile';
import type { BrokerBook } from '#scripts/report/reconcile';
import { quietJobLogs } from '#scripts/start';
import { dynamoEndpoint } from '../support/dynamodb';

quietJobLogs(false);

const DATE = '2026-06-01';

describe('reconcile: the five counts after a day', () => {
  let stack: LocalStack;
  let baseline: BrokerBook;
  let key: string;
  let shortConId: number;
  let longConId: number;
  let otherConId: number;
  let account: string;
  const counts = async () =>
    (await reconcile({ stores: stack.stores, simulator: stack.simulator, from: DATE, date: DATE, baseline }))
      .checks;
  // An order straight at the broker, far from the market so it never fills (a trader's TWS order).
  let nextOrderId = 90_000;
  const strayOrder = (orderRef: string) =>
    stack.simulator.engine.placeOrder({
      orderId: nextOrderId++,
      clientId: 0,
      account,
      contract: {
        secType: 'BAG',
        symbol: 'SPY',
        legs: [
          { conId: shortConId, ratio: 1, action: 'SELL' },
          { conId: longConId, ratio: 1, action: 'BUY' },
        ],
      },
      action: 'SELL',
      quantity: 1,
      orderType: 'LMT',
      limitPrice: 4.99,
      tif: 'GTC',
      orderRef,
      transmit: true,
      whatIf: false,
    });
  /** Edits the broker's saved state (a leg IB changed on its own) and loads it back. */
  const editBroker = (
    edit: (acct: { cash: number; positions: Record<string, Record<string, unknown>> }) => void,
  ) => {
    const state = stack.simulator.saveState() as {
      broker: {
        accounts: Record<string, { cash: number; positions: Record<string, Record<string, unknown>> }>;
      };
    };
    const before = structuredClone(state);
    edit(state.broker.accounts[account]!);
    stack.simulator.engine.loadState(state);
    return () => stack.simulator.engine.loadState(before);
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      seed: 3,
      start: nyTimeToEpoch(DATE, '10:00'),
      dynamoEndpoint: dynamoEndpoint(),
      tablePrefix: `reconcile-${Date.now().toString(36)}`,
      write: null,
    });
    baseline = brokerBook(stack.simulator);
    const engine = stack.simulator.engine;
    account = engine.accounts()[0]!;
    // A SPY bull put about 5% out of the money, ~30 days out, opened as execute-strategies would.
    const spot = engine.quote(engine.findContracts({ symbol: 'SPY', secType: 'STK' })[0]!.conId)!.last!;
    const params = engine.optionParams('SPY')[0]!;
    const expiry = params.expirations.find((e) => e >= addDays(DATE, 30).replaceAll('-', ''))!;
    const put = (strike: number) =>
      engine.findContracts({ symbol: 'SPY', secType: 'OPT', lastTradeDate: expiry, strike, right: 'P' })[0];
    const shortStrike = [...params.strikes]
      .sort((a, b) => Math.abs(a - spot * 0.95) - Math.abs(b - spot * 0.95))
      .find((k) => put(k) && put(k - 5) && put(k - 10))!;
    shortConId = put(shortStrike)!.conId;
    longConId = put(shortStrike - 5)!.conId;
    otherConId = put(shortStrike - 10)!.conId;
    const contract = (strike: number) => ({
      symbol: 'SPY',
      expiry: `${expiry.slice(0, 4)}-${expiry.slice(4, 6)}-${expiry.slice(6)}`,
      strike,
      right: 'P' as const,
      conId: put(strike)!.conId,
      multiplier: 100,
    });
    key = intentKey({ tradeDate: DATE, subjectId: 'reconcile-test', purpose: 'OPEN' });
    const natural = engine.quote(shortConId)!.bid! - engine.quote(longConId)!.ask!;
    const limitPrice = Math.floor(natural * 100) / 100;
    const legs = [
      { contract: contract(shortStrike), action: 'SELL' as const, ratio: 1 },
      { contract: contract(shortStrike - 5), action: 'BUY' as const, ratio: 1 },
    ];
    await stack.stores.intents.create(
      {
        intentKey: key,
        tradeDate: DATE,
        purpose: 'OPEN',
        strategy: 'BULL_PUT',
        symbol: 'SPY',
        positionId: key,
        legs,
        action: 'SELL',
        quantity: 2,
        limitPrice,
        dryRun: false,
        reason: 'reconcile test: a bull put at its natural credit',
        createdBy: 'test',
      },
      stack.clock.now(),
    );
    await stack.context.bridge(26).placeOrder({
      orderRef: key,
      legs: legs.map((l) => ({
        conId: l.contract.conId,
        action: l.action === 'SELL' ? 'BUY' : 'SELL',
        ratio: 1,
      })),
      action: 'SELL',
      quantity: 2,
      orderType: 'LMT',
      limitPrice,
      tif: 'DAY',
    });
    stack.clock.advanceTo(stack.clock.now() + 60_000);
    await stack.invoke('position-sync', scheduledEvent(stack.clock.now()));
    expect(nyDate(stack.clock.now())).toBe(DATE);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('is 0 on every count when DynamoDB and the broker agree', async () => {
    expect((await stack.stores.positions.get(key))?.status).toBe('OPEN');
    expect(stack.simulator.positions(account).filter((p) => p.position !== 0)).toHaveLength(2);
    expect(await counts()).toEqual({
      duplicateOrders: 0,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
      details: [],
    });
  });

  it('unreconciledPositions: a leg quantity changed at the broker', async () => {
    const undo = editBroker((acct) => {
      acct.positions[String(longConId)]!.position = 3;
    });
    const c = await counts();
    undo();
    expect(c).toMatchObject({ unreconciledPositions: 1, duplicateOrders: 0, lostRecords: 0, orphanLegs: 0 });
    expect(c.details).toEqual([
      expect.stringMatching(new RegExp(`conId ${longConId}\\) is 2 in ${key}, 3 at the broker`)),
    ]);
    expect((await counts()).unreconciledPositions).toBe(0);
  });

  it('orphanLegs: a broker leg no position owns', async () => {
    const undo = editBroker((acct) => {
      const template = acct.positions[String(longConId)]!;
      const other = stack.simulator.engine.contractById(otherConId)!;
      acct.positions[String(otherConId)] = {
        ...template,
        contract: {
          ...(template.contract as object),
          conId: otherConId,
          strike: other.strike,
          localSymbol: other.localSymbol,
        },
        position: 1,
        costBasis: 50,
        realizedPnl: 0,
      };
      acct.cash -= 50; // bought for $50: cash and open cost move together, nothing realised
    });
    const c = await counts();
    undo();
    expect(c).toMatchObject({ orphanLegs: 1, unreconciledPositions: 0, lostRecords: 0, pnlMismatchUsd: 0 });
    expect(c.details).toEqual([
      expect.stringMatching(
        new RegExp(`the broker holds 1 × .*conId ${otherConId}\\), no open position owns it`),
      ),
    ]);
  });

  it('pnlMismatchUsd: a realised ledger entry off by $0.01', async () => {
    const position = (await stack.stores.positions.get(key))!;
    const now = stack.clock.now();
    await stack.stores.positions.update(position, {
      expectedVersion: position.version,
      now,
      realised: { usd: 0.01, kind: 'EXTERNAL' },
    });
    const c = await counts();
    expect(c).toMatchObject({
      pnlMismatchUsd: 0.01,
      duplicateOrders: 0,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
    });
    expect(c.details).toEqual([
      "P&L mismatch: the system realised $0.01 since 2026-06-01, the broker's cash ledger $0.00",
    ]);
    const again = (await stack.stores.positions.get(key))!;
    await stack.stores.positions.update(again, {
      expectedVersion: again.version,
      now,
      realised: { usd: -0.01, kind: 'EXTERNAL' },
    });
    expect((await counts()).pnlMismatchUsd).toBe(0);
  });

  it('duplicateOrders: a second broker order for one orderRef', async () => {
    strayOrder(key);
    const c = await counts();
    expect(c).toMatchObject({
      duplicateOrders: 1,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
    });
    expect(c.details).toEqual([expect.stringMatching(new RegExp(`orderRef ${key} is on 2 broker orders`))]);
  });

  it('lostRecords: a broker order with no intent record', async () => {
    strayOrder('placed-in-tws');
    const c = await counts();
    expect(c).toMatchObject({
      lostRecords: 1,
      duplicateOrders: 1,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
    });
    expect(c.details).toContainEqual(
      expect.stringMatching(/broker order #\d+ \(orderRef placed-in-tws, filled 0\) has no intent/),
    );
  });
});
