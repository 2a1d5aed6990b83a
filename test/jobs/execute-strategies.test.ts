// execute-strategies beyond the happy path of trading-jobs.test.ts:
// - a dry run never approves more than a real run could place: each order it records counts, as if
//   filled in full, against the caps, the shared-leg check and the margin of the candidates after it;
// - never an order the invocation cannot see to its end: none started without time for its whole life,
//   a working one cancelled (not abandoned) when the time left runs down;
// - orders are worked at the same time, so several fit one invocation.
// DynamoDB Local, the simulator and the bridge; SNS mocked.
import { describe, expect, it } from 'vitest';
import { BridgeError } from '#adapters/bridge-client';
import { usd } from '#core/alerts';
import { handler as execute } from '#jobs/execute-strategies';
import { handler as analysis } from '#jobs/strategy-analysis';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, startJobStack, TEST_CONFIG, withBridgeOverride, withoutIdempotency } from './support';

const stack = await startJobStack();
const { db, clock, sim } = stack;
const TRADE_DATE = '2026-06-01';

/** Two runs the same day: without the Powertools record, so the second is not answered from the first. */
const dryRun = (maxOrders: number) =>
  withoutIdempotency(stack, () => execute({ dryRun: true, maxOrders }, lambdaContext('execute-strategies')));

const recorded = async () =>
  (await db.stores.intents.listByTradeDate(TRADE_DATE)).filter((i) => i.status === 'DRY_RUN');

/** The refusals of a run, by candidate: "step N: reason" texts. */
const refusals = (reasons: readonly string[] | undefined) =>
  (reasons ?? []).filter((r) => /: step \d+: /.test(r)).map((r) => r.slice(r.indexOf(': ') + 2));

describe('execute-strategies', () => {
  it('counts its own orders against the position caps and shared legs', async () => {
    const analysed = await analysis(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      lambdaContext('strategy-analysis'),
    );
    expect(analysed.ok).toBe(true);
    await db.stores.config.saveSection(
      'risk',
      { ...TEST_CONFIG.risk, maxPerUnderlying: 2 },
      { now: clock.now() },
    );

    const result = await dryRun(6);
    const intents = await recorded();
    // IWM is the only underlying: at most 2 orders, however many candidates pass on their own.
    expect(intents.length).toBeGreaterThanOrEqual(1);
    expect(intents.length).toBeLessThanOrEqual(2);
    expect(result.counts?.dryRun).toBe(intents.length);
    const conIds = intents.flatMap((i) => i.legs.map((l) => l.contract.conId));
    expect(new Set(conIds).size).toBe(conIds.length);
    // Every other selected candidate was refused by step 3 (the cap or a leg already taken).
    const refused = refusals(result.reasons);
    expect(refused.length).toBe(result.counts!.selected! - intents.length);
    for (const r of refused)
      expect(r).toMatch(
        /^step 3: (2 open positions on IWM: the limit is 2|leg [PC][\d.]+ \S+ is already held by position oi-)/,
      );
    expect(sim.orders()).toHaveLength(0);
  }, 120_000);

  it("subtracts the margin of its earlier orders from the account's available funds", async () => {
    // Every candidate is a 5-point spread: IB's what-if margin for one contract is 500 each. Set the
    // margin usage so that one fits the available funds A and a second does not fit A − 500.
    const account = await stack.context.bridge(26).account();
    const available = account.availableFunds;
    const marginUsage = 500 / (available - 250);
    await db.stores.config.saveSection(
      'risk',
      { ...TEST_CONFIG.risk, maxPerUnderlying: 5, marginUsage },
      { now: clock.now() },
    );
    const before = (await recorded()).length;

    const result = await dryRun(12);
    expect((await recorded()).length - before).toBe(1);
    const refused = refusals(result.reasons);
    const margin = refused.filter((r) => r.startsWith('step 7: '));
    // The candidates not sharing a leg with the one recorded reached the margin check, and failed it on
    // the funds left after it: A − 500.
    expect(margin.length).toBeGreaterThan(0);
    for (const r of margin) expect(r).toContain(`× available funds ${usd(available - 500)})`);
    for (const r of refused) expect(r).toMatch(/^step (3|7): /);
    expect(sim.orders()).toHaveLength(0);
  }, 120_000);
  /** A real run whose Lambda reports `remaining` ms left (orders.repriceSeconds 5 × 3 reprices here). */
  const realRun = (maxOrders: number, remaining: () => number) =>
    withoutIdempotency(stack, () =>
      execute({ maxOrders }, { ...lambdaContext('execute-strategies'), getRemainingTimeInMillis: remaining }),
    );
  const liveIntents = async () =>
    (await db.stores.intents.listByTradeDate(TRADE_DATE)).filter((i) => !i.dryRun);

  it('starts no order it could not work to its end in the time left, and says so in a WARNING', async () => {
    await db.stores.config.saveSection('risk', TEST_CONFIG.risk, { now: clock.now() });
    const ordersBefore = sim.orders().length;
    const published = stack.published().length;
    // An order may live 4 × 5 s, plus the 30 s reserve: 50 s. 40 s are left.
    const result = await realRun(3, () => 40_000);
    expect(result.counts).toMatchObject({ selected: 3, placed: 0, notStarted: 3 });
    expect(result.did).toBe('0 order(s) placed, 0 filled, 0 refused, 3 not started (time)');
    expect(result.reasons).toContainEqual(
      expect.stringMatching(
        /: not started: 40 s left in this invocation; an order may need 50 s \(3 reprice\(s\) 5 s apart, then the cancel\)$/,
      ),
    );
    expect(sim.orders()).toHaveLength(ordersBefore);
    expect(await liveIntents()).toEqual([]);
    expect(
      stack
        .published()
        .slice(published)
        .map((p) => p.Subject),
    ).toEqual(['[WARNING] 3 candidate(s) not started: invocation time']);
  }, 60_000);

  it('cancels a working order when the time left runs down to the reserve, instead of leaving it', async () => {
    const ordersBefore = sim.orders().length;
    // Time enough to start; once the order is at IB the invocation has 25 s left: under the reserve.
    const result = await realRun(1, () => (sim.orders().length > ordersBefore ? 25_000 : 60_000));
    expect(result.counts).toMatchObject({ placed: 1, filled: 0, unfilled: 1 });
    const [intent] = await liveIntents();
    expect(intent).toMatchObject({ status: 'CANCELLED', filledQuantity: 0, repriceCount: 0 });
    expect(intent!.statusReason).toBe(
      'cancelled with 25 s left in this invocation, too little to work it further: 0 of 1 filled, 1 left for the next run',
    );
    const atIb = sim.orders().filter((o) => o.request.orderRef === intent!.intentKey);
    expect(atIb.map((o) => o.status)).toEqual(['Cancelled']);
  }, 60_000);

  it('works its orders at the same time: the second goes out while the first is still being worked', async () => {
    let placed = 0;
    let secondPlaced!: () => void;
    const gate = new Promise<void>((resolve) => (secondPlaced = resolve));
    let workedAlone = 0;
    // Working an order reads it back by orderRef; those reads wait (up to 3 s) for a second placement.
    // Worked one after the other, the first order's reads would wait in vain.
    const result = await withBridgeOverride(
      stack,
      (client) => ({
        placeOrder: async (order) => {
          const view = await client.placeOrder(order);
          placed += 1;
          if (placed === 2) secondPlaced();
          return view;
        },
        ordersByRef: async (ref) => {
          const opened = await Promise.race([
            gate.then(() => true),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
          ]);
          if (!opened) workedAlone += 1;
          return client.ordersByRef(ref);
        },
      }),
      () => execute({ maxOrders: 10 }, lambdaContext('execute-strategies')),
    );
    expect(placed).toBeGreaterThanOrEqual(2);
    expect(result.counts?.placed).toBe(placed);
    expect(workedAlone).toBe(0);
    // Each order ended at IB and is recorded so: none left working.
    const orderIds = new Set(
      sim
        .orders()
        .filter((o) => o.status === 'Submitted' || o.status === 'PreSubmitted')
        .map((o) => o.permId),
    );
    expect(orderIds.size).toBe(0);
    for (const intent of await liveIntents()) expect(['FILLED', 'CANCELLED']).toContain(intent.status);
  }, 120_000);
  describe('a bridge that cannot answer while an order is worked', () => {
    const notReady = () => new BridgeError(503, 'not-ready', 'IB connection not ready: socket closed', true);
    // Room for more positions than the runs above opened; the best candidates are taken by now.
    const roomy = () =>
      db.stores.config.saveSection(
        'risk',
        { ...TEST_CONFIG.risk, maxOpenPositions: 50, maxPerUnderlying: 50 },
        { now: clock.now() },
      );

    it('gives up after 5 retries with a CRITICAL alert saying the order may still be working at IB', async () => {
      await roomy();
      const published = stack.published().length;
      const run = withBridgeOverride(
        stack,
        () => ({
          ordersByRef: () => Promise.reject(notReady()),
        }),
        () => execute({ maxOrders: 20 }, lambdaContext('execute-strategies')),
      );
      await expect(run).rejects.toThrow(
        /^order \d+ \(oi-[^)]+\) may still be working at IB: the bridge failed 6 times \(IB connection not ready: socket closed\); the intent stays SUBMITTED and the next run resumes it$/,
      );
      const alerts = stack.published().slice(published);
      expect(alerts.map((a) => a.Subject)).toContain('[CRITICAL] execute-strategies failed');
      expect(
        String(alerts.find((a) => a.Subject === '[CRITICAL] execute-strategies failed')!.Message),
      ).toContain('may still be working at IB');
    }, 60_000);

    it('a later run waits through two failures and sees every order to its end, the left ones too', async () => {
      await roomy();
      let failures = 0;
      // The first two reads of the working order fail as they do while the bridge reconnects to IB.
      const result = await withBridgeOverride(
        stack,
        (client) => ({
          ordersByRef: async (ref) => {
            if (failures < 2) {
              failures += 1;
              throw notReady();
            }
            return client.ordersByRef(ref);
          },
        }),
        () => execute({ maxOrders: 20 }, lambdaContext('execute-strategies')),
      );
      expect(failures).toBe(2);
      expect(result.ok).toBe(true);
      // It placed or resumed orders (those the run above left working) and saw every one to its end:
      // nothing is left working at IB or unsettled in DynamoDB.
      expect(result.counts!.placed! + result.counts!.resumed!).toBeGreaterThan(0);
      expect(sim.orders().filter((o) => o.status === 'Submitted' || o.status === 'PreSubmitted')).toEqual([]);
      const unsettled = (await liveIntents()).filter((i) => !['FILLED', 'CANCELLED'].includes(i.status));
      expect(unsettled).toEqual([]);
    }, 60_000);
  });
});
