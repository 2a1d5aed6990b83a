// A dry run must never approve more than a real run could place: each order it records counts, as if
// filled in full, against the caps, the shared-leg check and the margin of the candidates after it.
// DynamoDB Local, the simulator and the bridge; SNS mocked.
import { describe, expect, it } from 'vitest';
import { usd } from '../../functions/core/alerts';
import { handler as execute } from '../../functions/jobs/execute-strategies';
import { handler as analysis } from '../../functions/jobs/strategy-analysis';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, startJobStack, TEST_CONFIG, withoutIdempotency } from './support';

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

describe('execute-strategies dry run', () => {
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
});
