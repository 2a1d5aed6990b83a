// scripts/candidates.ts against DynamoDB Local: an operator asks about one candidate (or a day) and
// gets its breakdown and reasons from the archive, whether or not it was stored as a full item.
import { describe, expect, it, vi } from 'vitest';
import { main, parseCandidatesArgs, runCandidates } from '#scripts/candidates';
import type { CandidatesArgs } from '#scripts/candidates';
import { dynamoEndpoint, sampleCandidate, useTables } from '../support/dynamodb';

const db = await useTables();
const DATE = '2026-06-01';
const SCORED_AT = Date.UTC(2026, 5, 1, 13, 45);

const best = sampleCandidate('SPY:BULL_PUT:2026-03-20:P560/555', 81);
const rejected = sampleCandidate('SPY:BULL_PUT:2026-03-20:P590/585', 64.5, {
  rejections: ['credit/width 0.08 is below 0.10', 'short put 590 P leg spread 62% of mid > 50%'],
  notes: ['IV rank: no IV rank for SPY, scored 0'],
});
const low = sampleCandidate('SPY:BULL_PUT:2026-03-20:P540/535', 55);
const store = db.stores.candidates;
const encoder = store.archiveEncoder({ minScore: 70 });
encoder.add([best, rejected, low]);
await store.putArchive(DATE, 'SPY', encoder.finish(), { scoredAt: SCORED_AT });
await store.putMany(DATE, [best], { scoredAt: SCORED_AT, minScore: 70 });

async function run(argv: string[]) {
  const args = parseCandidatesArgs(argv) as CandidatesArgs;
  const lines: string[] = [];
  const status = await runCandidates(args, store, (line) => lines.push(line));
  return { status, text: lines.join('\n') };
}

describe('scripts/candidates.ts', () => {
  it('--id: a rejected candidate that only the archive holds, with its breakdown, reasons and notes', async () => {
    const { status, text } = await run(['--date', DATE, '--id', rejected.id]);
    expect(status).toBe(0);
    expect(text).toContain(`${rejected.id} (BULL_PUT, expiry 2026-03-20, DTE 46, width 5)`);
    expect(text).toContain('score 64.5: IV rank 14, credit/width 12, short delta 15, liquidity 15');
    expect(text).toContain(`rejected: ${rejected.rejections.join('; ')}`);
    expect(text).toContain('note: IV rank: no IV rank for SPY, scored 0');
    expect(text).toContain('archive only');
    // Two decimals: a computed price would otherwise print as 226.29000000000002.
    expect(text).toContain('underlying 502.30');
  });

  it('--id: an eligible candidate also stored as a full item; an unknown id exits 1', async () => {
    const found = await run(['--date', DATE, '--id', best.id]);
    expect(found.text).toContain('eligible: passed every hard filter');
    expect(found.text).toContain('also stored as a full item');
    const missing = await run(['--date', DATE, '--id', 'SPY:BULL_PUT:2026-03-20:P1/0']);
    expect(missing.status).toBe(1);
  });

  it("--id: execution's re-checks on fresh quotes, refused and placed, with both scores", async () => {
    const at = SCORED_AT + 15 * 60_000;
    const refused = 'score 81 → 41 at 10:00, below 70: short delta 0.62 outside 0.16–0.30 (15 → 0 pts)';
    const decision = { at, minScore: 70, scoreBefore: 81, creditBefore: 1.6 };
    await store.recordReevaluation(DATE, best.id, {
      ...decision,
      dryRun: true,
      scoreAfter: 41,
      eligible: false,
      reason: refused,
    });
    await store.recordReevaluation(DATE, best.id, {
      ...decision,
      at: at + 60_000,
      dryRun: false,
      scoreAfter: 79,
      eligible: true,
      reason: 'score 81 → 79 at 10:01, at least 70',
      intentKey: 'oi-20260601-OPEN-1',
    });
    const { text } = await run(['--date', DATE, '--id', best.id]);
    expect(text).toContain(`  execution (dry run): refused: ${refused}`);
    expect(text).toContain('  execution: order oi-20260601-OPEN-1: score 81 → 79 at 10:01, at least 70');
  });

  it('a day: counts, eligible, reasons and the top candidates by score', async () => {
    const { status, text } = await run(['--date', DATE, '--top', '2']);
    expect(status).toBe(0);
    // 3 archived; only `best` passed the filters with a score ≥ 70.
    expect(text).toContain(`SPY ${DATE}: 3 candidates archived, 1 eligible`);
    expect(text).toContain('1× credit/width N is below N');
    expect(text.indexOf(best.id)).toBeLessThan(text.indexOf(rejected.id));
    expect(text).not.toContain(low.id);
    expect((await run(['--date', '2026-06-02'])).status).toBe(1);
  });

  it('a wrong --prefix: one line naming the missing table, exit 2', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const status = await main(['--date', DATE, '--endpoint', dynamoEndpoint(), '--prefix', 'no-such']);
      expect(status).toBe(2);
      expect(error.mock.calls).toEqual([
        ['no table no-such-candidates: check --prefix (DynamoDB Local) or --table and the AWS region'],
      ]);
    } finally {
      error.mockRestore();
    }
  });
});
