// execute-strategies judges a candidate on the quotes its order will be priced from, not on the
// analysis' approval: before any order (dry run too) the candidate is rebuilt from fresh quotes and goes
// through the same hard filters and score; it is placed only if still eligible at the run's minScore, and
// the decision (both scores, and why when refused) is stored on the candidate item.
// DynamoDB Local, the simulator and the bridge; SNS mocked.
import { describe, expect, it } from 'vitest';
import { rankCandidates, selectForExecution } from '#core/scoring';
import type { CandidateRecord } from '#adapters/ports';
import { handler as execute } from '#jobs/execute-strategies';
import { handler as analysis } from '#jobs/strategy-analysis';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, startJobStack, TEST_CONFIG, withoutIdempotency } from './support';

const stack = await startJobStack();
const { db, clock, sim } = stack;
const TRADE_DATE = '2026-06-01';

const dryRun = (maxOrders: number, minScore: number) =>
  withoutIdempotency(stack, () =>
    execute({ dryRun: true, maxOrders, minScore }, lambdaContext('execute-strategies')),
  );
const recorded = async () =>
  (await db.stores.intents.listByTradeDate(TRADE_DATE)).filter((i) => i.status === 'DRY_RUN');

describe('execute-strategies re-evaluates every candidate on the quotes it would trade at', () => {
  let ranked: CandidateRecord[] = [];

  it('records an order for a candidate still eligible on fresh quotes, with both scores', async () => {
    // Bull puts only: the price shock below moves every one of them the same way.
    await db.stores.config.saveSection(
      'universe',
      { ...TEST_CONFIG.universe, strategies: ['BULL_PUT'] },
      { now: clock.now() },
    );
    const analysed = await analysis(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      lambdaContext('strategy-analysis'),
    );
    expect(analysed.ok).toBe(true);
    const stored = await db.stores.candidates.listByTradeDate(TRADE_DATE);
    ranked = selectForExecution(rankCandidates(stored), TEST_CONFIG.scoring.minScore) as CandidateRecord[];
    expect(ranked.length).toBeGreaterThanOrEqual(2);
    const best = ranked[0]!;

    const result = await dryRun(1, TEST_CONFIG.scoring.minScore);
    const [intent, ...others] = await recorded();
    expect(others).toEqual([]);
    expect(intent!.candidateId).toBe(best.id);
    expect(intent!.reason).toMatch(
      new RegExp(
        `^score ${best.score} → \\d+(\\.\\d)? at \\d\\d:\\d\\d, at least ${TEST_CONFIG.scoring.minScore}; `,
      ),
    );
    expect(result.counts).toMatchObject({ selected: 1, dryRun: 1, refused: 0 });

    const item = await db.stores.candidates.get(TRADE_DATE, best.id);
    expect(item!.reevaluations).toHaveLength(1);
    expect(item!.reevaluations![0]).toMatchObject({
      dryRun: true,
      minScore: TEST_CONFIG.scoring.minScore,
      scoreBefore: best.score,
      eligible: true,
      intentKey: intent!.intentKey,
    });
    expect(item!.reevaluations![0]!.scoreAfter).toBeGreaterThanOrEqual(TEST_CONFIG.scoring.minScore);
    expect(sim.orders()).toHaveLength(0);
  }, 120_000);

  it('records no order for a candidate whose market moved, and stores both scores and why', async () => {
    const next = ranked[1]!;
    // Its short delta earned most of the delta factor at the analysis. A 7% rally leaves the short put far
    // out of the money: its delta falls out of the window and the credit collapses.
    expect(next.breakdown.shortDelta).toBeGreaterThanOrEqual(10);
    sim.faults.priceShock('IWM', 7);
    // Approved at 09:45 by a margin smaller than the delta factor it is about to lose.
    const minScore = next.score - 5;
    const before = (await recorded()).length;

    const result = await dryRun(2, minScore);
    expect((await recorded()).length).toBe(before);
    expect(result.counts).toMatchObject({ dryRun: 0 });
    const line = result.reasons!.find((r) => r.startsWith(`${next.id}: `));
    expect(line).toMatch(new RegExp(`^${escape(next.id)}: score ${next.score} → [\\d.]+ at \\d\\d:\\d\\d`));
    expect(line).toMatch(/short delta 0\.\d\d outside 0\.16–0\.30/);

    const item = await db.stores.candidates.get(TRADE_DATE, next.id);
    const [decision] = item!.reevaluations!;
    expect(decision).toMatchObject({ dryRun: true, minScore, scoreBefore: next.score, eligible: false });
    expect(decision!.scoreAfter).toBeLessThan(minScore);
    expect(decision!.reason).toBe(line!.slice(next.id.length + 2));
    expect(decision!.intentKey).toBeUndefined();
    expect(sim.orders()).toHaveLength(0);
  }, 120_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
