// strategy-analysis archives every candidate it scored, per underlying, against DynamoDB Local, the
// simulator and the bridge: the archive holds exactly the run's `candidates` rows for each underlying,
// agrees with the full items stored for the best ones, and a second run of the day replaces it.
import { describe, expect, it } from 'vitest';
import type { ArchivedCandidate } from '#adapters/ports';
import { handler as analysis } from '#jobs/strategy-analysis';
import { STORAGE_LIMITS } from '#jobs/strategy-analysis/candidate-storage';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, startJobStack, TEST_CONFIG } from './support';

const stack = await startJobStack();
const { db, clock } = stack;
const TRADE_DATE = '2026-06-01';

// Iron condors on every width: enough candidates on SPY that most of them are archive rows only.
await db.stores.config.saveSection(
  'universe',
  { ...TEST_CONFIG.universe, strategies: ['IRON_CONDOR', 'BULL_PUT', 'BEAR_CALL'], widths: [1, 2, 5] },
  { now: clock.now() },
);

interface PerUnderlying {
  symbol: string;
  candidates: number;
  stored: number;
  archived: number;
}

async function archiveOf(symbol: string): Promise<ArchivedCandidate[]> {
  const rows: ArchivedCandidate[] = [];
  for await (const row of db.stores.candidates.readArchive(TRADE_DATE, symbol)) rows.push(row);
  return rows;
}

async function run(symbols: string[]) {
  const result = await analysis({ symbols, maxQuotes: 120 }, lambdaContext('strategy-analysis'));
  expect(result).toMatchObject({ job: 'strategy-analysis', ok: true, tradeDate: TRADE_DATE });
  return { result, perUnderlying: (result.details?.perUnderlying ?? []) as PerUnderlying[] };
}

describe('strategy-analysis archive', () => {
  it('archives exactly the candidates it scored for each underlying, consistent with the stored items', async () => {
    const { result, perUnderlying } = await run(['SPY', 'IWM']);
    expect(perUnderlying.map((u) => u.symbol)).toEqual(['SPY', 'IWM']);
    const items = await db.stores.candidates.listByTradeDate(TRADE_DATE);
    for (const u of perUnderlying) {
      const rows = await archiveOf(u.symbol);
      expect(rows).toHaveLength(u.candidates);
      expect(u.archived).toBe(u.candidates);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      expect(rows.every((r) => r.id.startsWith(`${u.symbol}:`))).toBe(true);
      // Every full item is in the archive with the same score, breakdown, reasons and eligibility.
      const byId = new Map(rows.map((r) => [r.id, r]));
      const mine = items.filter((c) => c.symbol === u.symbol);
      expect(mine).toHaveLength(u.stored);
      for (const item of mine) {
        expect(byId.get(item.id)).toMatchObject({
          score: item.score,
          breakdown: item.breakdown,
          rejections: item.rejections,
          notes: item.notes ?? [],
          eligible: item.eligible,
          creditMid: item.creditMid,
          scoredAt: item.scoredAt,
        });
      }
    }
    // SPY has more candidates than the item limits keep: the archive is the only record of the rest.
    const spy = perUnderlying[0]!;
    expect(spy.candidates).toBeGreaterThan(STORAGE_LIMITS.passing + STORAGE_LIMITS.rejected);
    expect(spy.stored).toBeLessThan(spy.candidates);

    const total = perUnderlying.reduce((s, u) => s + u.candidates, 0);
    expect(result.counts).toMatchObject({ candidates: total, archived: total });
    expect(result.reasons?.[0]).toMatch(new RegExp(`^archived ${total} of ${total} candidates`));
    const message = String(stack.published().at(-1)?.Message);
    expect(message).toContain(`Archived ${total} of ${total} with breakdown and reasons`);
  }, 120_000);

  it('a second run of the day replaces the archive instead of adding to it', async () => {
    const { perUnderlying } = await run(['SPY']);
    expect(perUnderlying).toHaveLength(1);
    for (const u of perUnderlying) {
      const rows = await archiveOf(u.symbol);
      expect(rows).toHaveLength(u.candidates);
      expect(new Set(rows.map((r) => r.scoredAt)).size).toBe(1);
    }
  }, 120_000);
});
