// The four trading jobs against DynamoDB Local, the real simulator and the real bridge over HTTP; SNS is
// the only mock. The tests run in order on one stack: analysis → dry run → a crash and its retry →
// re-runs (sequential, concurrent) → a fill event → monitor → a corrupt config → secrets in logs.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createBridgeClient } from '#adapters/bridge-client';
import type { BridgeClient } from '#adapters/bridge-client';
import { publishInput } from '#adapters/sns-alerter';
import { makeAlert } from '#core/alerts';
import { breakdownSum } from '#core/scoring';
import { intentKey } from '#core/orders';
import { handler as execute } from '#jobs/execute-strategies';
import { ticketOf } from '#jobs/shared/order-workflow';
import { handler as monitor } from '#jobs/monitor';
import { handler as sync } from '#jobs/position-sync';
import { createJobContext, setJobContext } from '#jobs/shared/context';
import { redactForLog } from '#jobs/shared/input';
import { handler as analysis } from '#jobs/strategy-analysis';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, ORDER_SECRET, SECRET, startJobStack, TOPIC, withoutIdempotency } from './support';

const stack = await startJobStack();
const { db, sim, clock } = stack;
const TRADE_DATE = '2026-06-01';

/** Orders the simulator saw with this orderRef: the ground truth for "exactly one order". */
const ordersAtIb = (ref: string) => sim.orders().filter((o) => o.request.orderRef === ref);

const parseJobEventForLog = (payload: unknown) => JSON.stringify(redactForLog(payload));

describe('strategy-analysis', () => {
  it('stores every scored candidate with its breakdown and sends one INFO summary', async () => {
    const result = await analysis(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      lambdaContext('strategy-analysis'),
    );
    expect(result).toMatchObject({ job: 'strategy-analysis', ok: true, tradeDate: TRADE_DATE });
    const stored = await db.stores.candidates.listByTradeDate(TRADE_DATE);
    expect(stored.length).toBeGreaterThan(0);
    expect(result.counts?.stored).toBe(stored.length);
    // Every candidate is either stored or counted as not stored (bounded storage, see STORAGE_LIMITS).
    expect(result.counts!.stored! + result.counts!.notStored!).toBe(result.counts?.candidates);
    for (const c of stored) {
      // The score is the sum of its breakdown (one decimal), and the record says why it is not eligible.
      expect(c.score).toBeCloseTo(Math.round(breakdownSum(c.breakdown) * 10) / 10, 6);
      expect(c.eligible).toBe(c.rejections.length === 0 && c.score >= 20);
    }
    const eligible = stored.filter((c) => c.eligible).length;
    expect(eligible).toBeGreaterThan(0);
    const published = stack.published();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      TopicArn: TOPIC,
      Subject: `[INFO] Analysis ${TRADE_DATE}: ${eligible} of ${stored.length} qualify`,
      MessageAttributes: { severity: { DataType: 'String', StringValue: 'INFO' } },
    });
    expect(String(published[0]!.Message)).toContain(`${stored.length} candidates scored on IWM`);
  }, 60_000);
});

describe('execute-strategies', () => {
  it('a dry run records DRY_RUN intents, alerts what it would send and transmits nothing', async () => {
    const before = stack.published().length;
    const result = await execute({ dryRun: true, maxOrders: 1 }, lambdaContext('execute-strategies'));
    expect(result.ok).toBe(true);
    expect(result.counts?.dryRun).toBe(1);
    const intents = await db.stores.intents.listByTradeDate(TRADE_DATE);
    expect(intents.map((i) => i.status)).toEqual(['DRY_RUN']);
    expect(sim.orders()).toHaveLength(0);
    const alert = stack.published().slice(before);
    expect(alert).toHaveLength(1);
    expect(String(alert[0]!.Subject)).toMatch(/^\[INFO\] Dry run: IWM (BULL_PUT|BEAR_CALL)$/);
    expect(String(alert[0]!.Message)).toContain('Dry run, nothing sent: would SELL');
  }, 60_000);

  it('after a crash between "intent written" and "order placed", the retry places exactly one order', async () => {
    // The crash: the bridge call that would place the order never happens (the process dies first).
    const real = stack.context;
    setJobContext(
      createJobContext({
        stores: db.stores,
        clock,
        alerter: real.alerter,
        idempotency: real.idempotency ?? null,
        bridge: (priority) => {
          const client = real.bridge(priority);
          return {
            ...client,
            placeOrder: () => Promise.reject(new Error('Runtime exited: the Lambda crashed')),
          } as BridgeClient;
        },
      }),
    );
    await expect(execute({ maxOrders: 1 }, lambdaContext('execute-strategies'))).rejects.toThrow('crashed');
    setJobContext(real);
    const written = (await db.stores.intents.listByTradeDate(TRADE_DATE)).filter((i) => !i.dryRun);
    expect(written.map((i) => i.status)).toEqual(['INTENT']);
    expect(sim.orders()).toHaveLength(0);

    const retry = await execute({ maxOrders: 1 }, lambdaContext('execute-strategies'));
    expect(retry.counts?.resumed).toBe(1);
    const key = written[0]!.intentKey;
    expect(ordersAtIb(key)).toHaveLength(1);
    const after = await db.stores.intents.get(key);
    expect(['FILLED', 'CANCELLED']).toContain(after?.status);
    if (after?.status === 'FILLED') {
      const position = await db.stores.positions.get(key);
      expect(position).toMatchObject({ status: 'OPEN', quantity: after.filledQuantity, openIntentKey: key });
    }
  }, 90_000);

  it('run again sequentially and concurrently: still exactly one order per intent', async () => {
    const again = await execute({ maxOrders: 1 }, lambdaContext('execute-strategies'));
    expect(again.did).toMatch(/^already ran for 2026-06-01/);

    // Without the Powertools layer, two concurrent runs race on the intents alone.
    await withoutIdempotency(stack, () =>
      Promise.all([
        execute({ maxOrders: 2 }, lambdaContext('execute-strategies')),
        execute({ maxOrders: 2 }, lambdaContext('execute-strategies')),
      ]),
    );
    const live = (await db.stores.intents.listByTradeDate(TRADE_DATE)).filter((i) => !i.dryRun);
    expect(live.length).toBeGreaterThanOrEqual(2);
    for (const intent of live) expect(ordersAtIb(intent.intentKey).length).toBeLessThanOrEqual(1);
    for (const intent of live.filter((i) => i.orderId !== undefined))
      expect(ordersAtIb(intent.intentKey)).toHaveLength(1);
  }, 120_000);
});

describe('position-sync', () => {
  it('a fill event leads to a synced position without waiting for a schedule', async () => {
    // An intent whose order went out and filled, but whose run died before recording the fill.
    const candidates = (await db.stores.candidates.listByTradeDate(TRADE_DATE)).filter((c) => c.eligible);
    const used = new Set((await db.stores.intents.listByTradeDate(TRADE_DATE)).map((i) => i.candidateId));
    const candidate = candidates.find((c) => !used.has(c.id))!;
    expect(candidate).toBeDefined();
    const key = intentKey({ tradeDate: TRADE_DATE, subjectId: candidate.id, purpose: 'OPEN' });
    const quotes = await stack.context
      .bridge(26)
      .quotes(candidate.legs.map((l) => ({ secType: 'OPT' as const, conId: l.contract.conId! })));
    // Natural credit: sell the short leg at its bid, buy the wing at its ask: a limit there fills at once.
    const natural = candidate.legs.reduce(
      (s, l, i) => s + (l.action === 'SELL' ? quotes[i]!.bid! : -quotes[i]!.ask!),
      0,
    );
    const intent = {
      intentKey: key,
      tradeDate: TRADE_DATE,
      purpose: 'OPEN' as const,
      strategy: candidate.strategy,
      symbol: candidate.symbol,
      candidateId: candidate.id,
      positionId: key,
      legs: candidate.legs.map((l) => ({ contract: l.contract, action: l.action, ratio: l.ratio })),
      action: 'SELL' as const,
      quantity: 1,
      limitPrice: Math.floor(natural * 100) / 100,
      dryRun: false,
      reason: 'test',
      createdBy: 'execute-strategies',
    };
    await db.stores.intents.create(intent, clock.now());
    const ticket = ticketOf(intent);
    const client = createBridgeClient({
      baseUrl: stack.bridge.url,
      secret: SECRET,
      orderSecret: ORDER_SECRET,
      priority: 26,
      now: clock.now,
    });
    const placed = await client.placeOrder({
      orderRef: key,
      legs: ticket.comboLegs,
      action: 'SELL',
      quantity: 1,
      orderType: 'LMT',
      limitPrice: intent.limitPrice,
      tif: 'DAY',
    });
    await db.stores.intents.transition(key, {
      from: 'INTENT',
      to: 'SUBMITTED',
      now: clock.now(),
      orderId: placed.orderId,
    });
    const deadline = Date.now() + 10_000;
    let event = stack.events.find(
      (e) => e.type === 'OrderFilled' && e.detail.orderRef === key && e.detail.remaining === 0,
    );
    while (!event && Date.now() < deadline) {
      await clock.sleep(1000);
      event = stack.events.find(
        (e) => e.type === 'OrderFilled' && e.detail.orderRef === key && e.detail.remaining === 0,
      );
    }
    expect(event).toBeDefined();
    expect(await db.stores.positions.get(key)).toBeUndefined();

    const result = await sync(
      { version: '0', 'detail-type': 'OrderFilled', source: 'ib-bridge', detail: event!.detail },
      lambdaContext('position-sync'),
    );
    expect(result.ok).toBe(true);
    const position = await db.stores.positions.get(key);
    expect(position).toMatchObject({
      status: 'OPEN',
      source: 'SYSTEM',
      quantity: 1,
      strategy: candidate.strategy,
    });
    expect(position!.entryCredit).toBeGreaterThan(0);
    expect((await db.stores.intents.get(key))?.status).toBe('FILLED');
    // Each recorded leg is what IB executed for that orderRef: bought legs positive, sold legs negative.
    const executed = new Map<number, number>();
    for (const { execution } of sim.executions()) {
      if (execution.orderRef !== key || execution.contract.secType === 'BAG') continue;
      const signed = (execution.side === 'BOT' ? 1 : -1) * execution.shares;
      executed.set(execution.contract.conId, (executed.get(execution.contract.conId) ?? 0) + signed);
    }
    expect(Object.fromEntries(position!.legs.map((l) => [l.contract.conId, l.quantity]))).toEqual(
      Object.fromEntries(executed),
    );
    expect(position!.legs.find((l) => l.quantity < 0)).toBeDefined();
  }, 60_000);
});

describe('monitor', () => {
  it('one snapshot: a decision and a P&L snapshot stored per open position', async () => {
    const open = await db.stores.positions.listOpen();
    expect(open.length).toBeGreaterThan(0);
    const result = await monitor({}, lambdaContext('monitor'));
    expect(result.counts?.positions).toBe(open.length);
    for (const p of open) {
      const decision = await db.stores.snapshots.latestDecision(p.id);
      expect(decision).toBeDefined();
      expect(decision!.ruleName.length).toBeGreaterThan(0);
      expect(decision!.reason.length).toBeGreaterThan(0);
      const pnl = await db.stores.snapshots.listPnl(p.id);
      // P&L at mid is never better than at natural (the worst-case close).
      for (const s of pnl) expect(s.unrealisedNaturalUsd).toBeLessThanOrEqual(s.unrealisedMidUsd + 1e-9);
    }
  }, 90_000);
});

describe('config and secrets', () => {
  it('a corrupt config item stops trading with a CRITICAL alert naming the field', async () => {
    await db.docClient.send(
      new PutCommand({
        TableName: db.names.config,
        Item: { section: 'risk', value: JSON.stringify({ maxOpenPositions: -3 }) },
      }),
    );
    const intentsBefore = (await db.stores.intents.listByTradeDate(TRADE_DATE)).length;
    const ordersBefore = sim.orders().length;
    const before = stack.published().length;
    const result = await execute({ dryRun: false, minScore: 1 }, lambdaContext('execute-strategies'));
    expect(result.ok).toBe(false);
    expect(result.error).toContain('risk.maxOpenPositions');
    const alerts = stack.published().slice(before);
    expect(alerts).toEqual([
      publishInput(
        TOPIC,
        makeAlert({
          subject: 'config',
          rule: 'config-invalid',
          severity: 'CRITICAL',
          title: 'Config invalid: execute-strategies stopped',
          message: `execute-strategies did not run: ${result.error}. Fix the config item(s) named; no trading until then.`,
        }),
      ),
    ]);
    expect((await db.stores.intents.listByTradeDate(TRADE_DATE)).length).toBe(intentsBefore);
    expect(sim.orders().length).toBe(ordersBefore);
    await db.stores.config.saveSection(
      'risk',
      { maxContractsPerTrade: 1, maxOpenPositions: 5, maxPerUnderlying: 5 },
      { now: clock.now() },
    );
  }, 30_000);

  it('BRIDGE_SECRET and BRIDGE_ORDER_SECRET never reach the logs (the jobs’ nor the bridge’s), even when the bridge refuses a request', async () => {
    // A wrong secret: the bridge answers 401; the error is logged and alerted, the secret is not. The
    // payload carries a secret-looking field too, which the input log must redact.
    setJobContext(
      createJobContext({
        stores: db.stores,
        clock,
        alerter: stack.context.alerter,
        idempotency: null,
        bridgeUrl: stack.bridge.url,
        bridgeSecret: `${SECRET}-wrong`,
      }),
    );
    try {
      const refused = await monitor({ dryRun: true }, lambdaContext('monitor'));
      expect(refused.ok).toBe(false);
      expect(JSON.stringify(refused)).toContain('bad signature');
      expect(parseJobEventForLog({ dryRun: true, bridgeSecret: SECRET })).not.toContain(SECRET);
    } finally {
      setJobContext(stack.context);
    }
    const logs = stack.logs();
    // Every job of this file logged (so the capture works) and none of it holds the secret.
    for (const job of ['strategy-analysis', 'execute-strategies', 'monitor', 'position-sync'])
      expect(logs).toContain(`"service":"${job}"`);
    // the bridge ran with its production logging (request log and its own lines), and it was captured
    expect(logs).toContain('"msg":"incoming request"');
    expect(logs).toContain('"msg":"unauthorized request"');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(ORDER_SECRET);
    expect(JSON.stringify(stack.published())).not.toContain(SECRET);
    expect(JSON.stringify(stack.published())).not.toContain(ORDER_SECRET);
  }, 60_000);
});
