// Property: whatever the interleaving of retries, crashes and concurrent invocations, no intent gets a
// second order at IB and no intent is lost. One stack for every run (DynamoDB Local, the simulator on a
// manual clock that the jobs' waits advance, the real bridge; SNS the only mock); each run works on its
// own subject (a fresh candidate id, or a fresh order-workflow subject), so runs cannot see each other.
//
// A run is a list of invocations in waves (an invocation either starts after the previous wave or
// joins it, concurrently), each with a crash point injected in the bridge client:
//   beforePost   the process dies after the intent was written, before POST /orders;
//   afterPost    POST /orders reached the bridge (the order is at IB) but the answer never came back;
//   afterSubmit  the order went out and was recorded, then the next bridge call dies;
//   none         no crash.
// After the waves every intent must be in a state consistent with the simulator's orders (terminal, or
// resumable: INTENT with at most one order, SUBMITTED/PARTIAL with exactly one); then one clean run (the
// next schedule) must bring every intent to a terminal state, still with at most one order each.
import { AsyncLocalStorage } from 'node:async_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BridgeClient } from '#adapters/bridge-client';
import type { CandidateRecord } from '#adapters/ports';
import type { OrderIntent, OrderIntentRecord } from '#core/intents';
import { intentKey } from '#core/orders';
import { handler as analysis } from '#jobs/strategy-analysis';
import { handler as execute } from '#jobs/execute-strategies';
import { ticketOf } from '#jobs/shared/order-workflow';
import { createJobContext, setJobContext } from '#jobs/shared/context';
import type { JobLog } from '#jobs/shared/define-job';
import { runOrder } from '#jobs/shared/order-workflow';
import { parseConfig } from '#core/config';
import type { SimOrderState } from '#simulator/engine-api';
import '../support/dynamodb';
import { lambdaContext, startJobStack, TEST_CONFIG } from './support';

const stack = await startJobStack({ seed: 13 });
const { db, sim, clock } = stack;
const TRADE_DATE = '2026-06-01';
// Room for every run's position: the caps are not what this test is about.
const RISK = {
  maxContractsPerTrade: 1,
  maxOpenPositions: 100,
  maxPerUnderlying: 100,
  maxPortfolioRiskPct: 90,
};
await db.stores.config.saveSection('risk', RISK, { now: clock.now() });

type Crash = 'none' | 'beforePost' | 'afterPost' | 'afterSubmit';
interface Invocation {
  crash: Crash;
  /** Starts together with the previous invocation instead of after it. */
  concurrent: boolean;
}
const invocationArb = fc.record({
  crash: fc.constantFrom<Crash>('none', 'beforePost', 'afterPost', 'afterSubmit'),
  concurrent: fc.boolean(),
});

class Crashed extends Error {
  override name = 'Crashed';
}

/** The crash point of the invocation the current async call chain belongs to. */
const invocation = new AsyncLocalStorage<{ crash: Crash; placed: boolean }>();

/** The real bridge client, with the current invocation's crash point injected. */
function crashing(client: BridgeClient): BridgeClient {
  const afterSubmit =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const state = invocation.getStore();
      if (state?.crash === 'afterSubmit' && state.placed)
        return Promise.reject(new Crashed('crash after submit'));
      return call(...args);
    };
  return {
    ...client,
    placeOrder: async (order) => {
      const state = invocation.getStore();
      if (state?.crash === 'beforePost') throw new Crashed('crash before POST /orders');
      const placed = await client.placeOrder(order);
      if (state) state.placed = true;
      if (state?.crash === 'afterPost') throw new Crashed('crash after POST /orders');
      return placed;
    },
    ordersByRef: afterSubmit((ref: string) => client.ordersByRef(ref)),
    quotes: afterSubmit((contracts: Parameters<BridgeClient['quotes']>[0]) => client.quotes(contracts)),
    modifyOrder: afterSubmit((id: number, limit: number) => client.modifyOrder(id, limit)),
    cancelOrder: afterSubmit((id: number) => client.cancelOrder(id)),
  };
}

// One context for the whole file; the per-invocation crash point travels in AsyncLocalStorage, so
// concurrent invocations share the handler's container context as real ones would.
const context = createJobContext({
  stores: db.stores,
  clock,
  alerter: stack.context.alerter,
  // Without Powertools' job + trade-date record, concurrent runs race on the intents alone (the harder
  // case; the record itself is covered by trading-jobs.test.ts).
  idempotency: null,
  bridge: (priority) => crashing(stack.context.bridge(priority)),
});
setJobContext(context);

/** Runs the waves; every invocation's failure is swallowed (a crash is an outcome, not a test error). */
async function runWaves(invocations: Invocation[], start: (crash: Crash) => Promise<unknown>) {
  const waves: Invocation[][] = [];
  for (const inv of invocations) {
    if (inv.concurrent && waves.length > 0) waves.at(-1)!.push(inv);
    else waves.push([inv]);
  }
  for (const wave of waves) {
    await Promise.allSettled(
      wave.map((inv) => invocation.run({ crash: inv.crash, placed: false }, () => start(inv.crash))),
    );
  }
}

const ordersAtIb = (ref: string) => sim.orders().filter((o) => o.request.orderRef === ref);
const DONE_AT_IB = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

/** Every intent consistent with IB; `terminal` also requires every intent to be finished. */
function checkIntents(intents: OrderIntentRecord[], terminal: boolean) {
  for (const intent of intents) {
    const orders = ordersAtIb(intent.intentKey);
    expect(orders.length, `orders for ${intent.intentKey}`).toBeLessThanOrEqual(1);
    const order: SimOrderState | undefined = orders[0];
    const seen = `${JSON.stringify(intent)} at IB ${JSON.stringify(order ? { ...order, request: undefined } : null)}`;
    switch (intent.status) {
      case 'INTENT':
        // Resumable: a crash before POST (no order) or after it (the order is there, unrecorded).
        expect(terminal).toBe(false);
        break;
      case 'SUBMITTED':
      case 'PARTIAL':
        expect(terminal).toBe(false);
        expect(order).toBeDefined();
        expect(intent.orderId).toBe(order!.request.orderId);
        break;
      case 'FILLED':
        expect(order?.status, seen).toBe('Filled');
        expect(intent.filledQuantity, seen).toBe(intent.quantity);
        expect(order!.filled, seen).toBe(intent.quantity);
        break;
      case 'CANCELLED':
        // Never placed (kill switch), or placed and no longer working at IB, with the same fills.
        if (order) {
          expect(DONE_AT_IB.has(order.status)).toBe(true);
          expect(order.status).not.toBe('Filled');
          expect(order.filled).toBe(intent.filledQuantity);
        }
        break;
      case 'REJECTED':
        if (order) expect(DONE_AT_IB.has(order.status)).toBe(true);
        break;
      default:
        throw new Error(`unexpected status ${intent.status} for ${intent.intentKey}`);
    }
  }
}

/** No order at IB under any attempt key of this subject without its intent (a lost intent). */
function checkNoOrphans(subjectId: string, intents: OrderIntentRecord[]) {
  const keys = new Set(intents.map((i) => i.intentKey));
  for (let attempt = 0; attempt < 10; attempt++) {
    const key = intentKey({ tradeDate: TRADE_DATE, subjectId, purpose: 'OPEN', attempt });
    if (ordersAtIb(key).length > 0) expect(keys.has(key), `intent for order ${key}`).toBe(true);
  }
}

let manualId = 700_000;
/** Closes what a run opened, at IB (so margin stays free) and in DynamoDB (so the caps stay free). */
async function cleanUp(intents: OrderIntentRecord[]) {
  const account = sim.engine.accounts()[0]!;
  for (const intent of intents) {
    if (intent.filledQuantity <= 0) continue;
    sim.engine.placeOrder({
      orderId: manualId++,
      clientId: 0,
      account,
      contract: {
        secType: 'BAG',
        symbol: intent.symbol,
        legs: intent.legs.map((l) => ({
          conId: l.contract.conId!,
          ratio: l.ratio,
          action: l.action === 'SELL' ? 'BUY' : 'SELL',
        })),
      },
      action: 'BUY',
      quantity: intent.filledQuantity,
      orderType: 'LMT',
      limitPrice: 100,
      tif: 'DAY',
      orderRef: `cleanup-${intent.intentKey}`,
      transmit: true,
      whatIf: false,
    });
    const position = await db.stores.positions.get(intent.intentKey);
    if (position?.status === 'OPEN')
      await db.stores.positions.markClosed(position.id, {
        reason: 'property test clean-up',
        now: clock.now(),
      });
  }
}

// A real candidate from the day's analysis is the template; every stored one is parked so only each
// run's fresh copy is selected.
await analysis({ symbols: ['IWM'] }, lambdaContext('strategy-analysis'));
const stored = await db.stores.candidates.listByTradeDate(TRADE_DATE);
const template = stored.filter((c) => c.eligible).sort((a, b) => b.score - a.score)[0]!;
const park = (cs: CandidateRecord[]) =>
  db.stores.candidates.putMany(
    TRADE_DATE,
    cs.map((c) => ({ ...c, rejections: ['parked by the property test'] })),
    { scoredAt: clock.now(), minScore: TEST_CONFIG.scoring.minScore },
  );
await park(stored);
const silent: JobLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('idempotency under retries, crashes and concurrency', () => {
  it('execute-strategies: no duplicate order per intent, no lost intent', async () => {
    expect(template).toBeDefined();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(invocationArb, { minLength: 1, maxLength: 4 }), async (invocations) => {
        const id = `prop-exec-${run++}`;
        const candidate = { ...template, id, score: 99.9, rejections: [] };
        await db.stores.candidates.putMany(TRADE_DATE, [candidate], {
          scoredAt: clock.now(),
          minScore: TEST_CONFIG.scoring.minScore,
        });
        const start = () => execute({ maxOrders: 1 }, lambdaContext('execute-strategies'));
        const mine = async () =>
          (await db.stores.intents.listByTradeDate(TRADE_DATE)).filter((i) => i.candidateId === id);

        await runWaves(invocations, start);
        checkIntents(await mine(), false);
        checkNoOrphans(id, await mine());

        // The next schedule, no crash: everything finishes.
        const recovery = (await invocation.run({ crash: 'none', placed: false }, start)) as Awaited<
          ReturnType<typeof start>
        >;
        const intents = await mine();
        checkIntents(intents, true);
        checkNoOrphans(id, intents);
        // Not lost: the candidate got an intent, or the entry checks refused it with a reason.
        if (intents.length === 0) expect(recovery.counts?.refused).toBeGreaterThan(0);
        for (const intent of intents.filter((i) => i.status === 'FILLED' && i.appliedAt !== undefined))
          expect(await db.stores.positions.get(intent.intentKey)).toMatchObject({
            quantity: intent.quantity,
          });

        await park([{ ...candidate, tradeDate: TRADE_DATE, scoredAt: clock.now(), eligible: false }]);
        await cleanUp(intents);
      }),
      { numRuns: 15 },
    );
  }, 150_000);

  it('the order workflow: no duplicate order per intent, no lost intent', async () => {
    // One reprice before the cancel: the policy's every step (place, reprice, cancel) in fewer calls.
    const config = parseConfig({ ...TEST_CONFIG, risk: RISK, orders: { repriceSeconds: 5, maxReprices: 1 } });
    const deps = { bridge: context.bridge(26), intents: db.stores.intents, clock, config, log: silent };
    const quotes = await stack.context
      .bridge(26)
      .quotes(template.legs.map((l) => ({ secType: 'OPT' as const, conId: l.contract.conId! })));
    // Natural (fills at once) or mid (worked by the reprice policy) opening credit.
    const natural = template.legs.reduce(
      (s, l, i) => s + (l.action === 'SELL' ? quotes[i]!.bid! : -quotes[i]!.ask!),
      0,
    );
    const mid = template.legs.reduce(
      (s, l, i) => s + (l.action === 'SELL' ? 1 : -1) * ((quotes[i]!.bid! + quotes[i]!.ask!) / 2),
      0,
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(invocationArb, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('natural', 'mid'),
        async (invocations, price) => {
          const subjectId = `prop-wf-${run++}`;
          const key = intentKey({ tradeDate: TRADE_DATE, subjectId, purpose: 'OPEN' });
          const intent: OrderIntent = {
            intentKey: key,
            tradeDate: TRADE_DATE,
            purpose: 'OPEN',
            strategy: template.strategy,
            symbol: template.symbol,
            candidateId: subjectId,
            positionId: key,
            legs: template.legs.map((l) => ({ contract: l.contract, action: l.action, ratio: l.ratio })),
            action: 'SELL',
            quantity: 1,
            limitPrice: Math.floor((price === 'natural' ? natural : mid) * 100) / 100,
            dryRun: false,
            reason: 'property test',
            createdBy: 'execute-strategies',
          };
          const start = () => runOrder(deps, ticketOf(intent));
          const mine = async () => {
            const record = await db.stores.intents.get(key);
            return record ? [record] : [];
          };
          await runWaves(invocations, start);
          // Every invocation wrote or found the intent first: it exists whatever crashed.
          const written = await mine();
          expect(written).toHaveLength(1);
          checkIntents(written, false);
          checkNoOrphans(subjectId, written);

          const recovery = await invocation.run({ crash: 'none', placed: false }, start);
          const [final] = await mine();
          expect(recovery.status).toBe(final!.status);
          checkIntents([final!], true);
          checkNoOrphans(subjectId, [final!]);
          await cleanUp([final!]);
        },
      ),
      { numRuns: 85 },
    );
  }, 150_000);
});
