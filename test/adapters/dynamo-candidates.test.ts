// Candidates against DynamoDB Local: batches beyond 25, retried unprocessed items, TTL, paging and the
// by-score index.
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchWriteCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoCandidateStore } from '#adapters/dynamo/candidate-store';
import { sampleCandidate, useTables } from '../support/dynamodb';

const db = await useTables();
const SCORED_AT = Date.UTC(2026, 1, 2, 14, 45);
const DAY_S = 86_400;

// Scores spread so the ranking is unambiguous; every fourth candidate failed a hard filter.
const dayOf = (tradeDate: string, count: number) =>
  Array.from({ length: count }, (_, i) =>
    sampleCandidate(
      `SPY:BULL_PUT:2026-03-20:P${400 + i}/${395 + i}`,
      Math.round(((i * 37) % 100) * 10) / 10,
      {
        rejections: i % 4 === 0 ? [`leg spread 62% of mid > 50% (${tradeDate})`] : [],
        ...(i % 5 === 0 ? { notes: ['no IV rank: 0 points'] } : {}),
      },
    ),
  );

describe('candidate store', () => {
  it('stores 60 candidates (3 batches) with breakdown, reasons and a 30-day TTL, and reads them back over pages', async () => {
    const tradeDate = '2026-02-02';
    const candidates = dayOf(tradeDate, 60);
    const paged = db.storesWith({ pageSize: 7 }).candidates;
    expect(await paged.putMany(tradeDate, candidates, { scoredAt: SCORED_AT, minScore: 70 })).toEqual({
      written: 60,
    });

    const stored = await paged.listByTradeDate(tradeDate);
    expect(stored).toHaveLength(60);
    const byId = new Map(stored.map((c) => [c.id, c]));
    for (const candidate of candidates) {
      const record = byId.get(candidate.id);
      expect(record).toMatchObject({ ...candidate, tradeDate, scoredAt: SCORED_AT });
      expect(record?.eligible).toBe(candidate.rejections.length === 0 && candidate.score >= 70);
    }

    const raw = await db.docClient.send(
      new GetCommand({ TableName: db.names.candidates, Key: { tradeDate, id: candidates[0]?.id } }),
    );
    expect(raw.Item?.expiresAt).toBe(Math.floor(SCORED_AT / 1000) + 30 * DAY_S);
  });

  it('lists the top candidates by score, and only the eligible ones when asked', async () => {
    const tradeDate = '2026-02-03';
    const candidates = dayOf(tradeDate, 40);
    const paged = db.storesWith({ pageSize: 3 }).candidates;
    await paged.putMany(tradeDate, candidates, { scoredAt: SCORED_AT, minScore: 70 });

    const byScore = [...candidates].sort((a, b) => b.score - a.score);
    const top = await paged.listTop(tradeDate, { limit: 5 });
    expect(top.map((c) => c.score)).toEqual(byScore.slice(0, 5).map((c) => c.score));

    const eligible = await paged.listTop(tradeDate, { limit: 100, eligibleOnly: true });
    const expected = byScore.filter((c) => c.rejections.length === 0 && c.score >= 70);
    expect(eligible.map((c) => c.id).sort()).toEqual(expected.map((c) => c.id).sort());
    expect(eligible.map((c) => c.score)).toEqual(expected.map((c) => c.score));
  });

  it('collapses duplicate ids in one call (last wins) instead of failing the batch', async () => {
    const tradeDate = '2026-02-04';
    const first = sampleCandidate('SPY:BULL_PUT:2026-03-20:P480/475', 60);
    const second = sampleCandidate('SPY:BULL_PUT:2026-03-20:P480/475', 75);
    expect(
      await db.stores.candidates.putMany(tradeDate, [first, second], { scoredAt: SCORED_AT, minScore: 70 }),
    ).toEqual({
      written: 1,
    });
    expect((await db.stores.candidates.get(tradeDate, first.id))?.score).toBe(75);
  });

  it('keeps the market context it was scored with, and appends each re-evaluation to the item only', async () => {
    const tradeDate = '2026-02-07';
    const candidate = sampleCandidate('SPY:BULL_PUT:2026-03-20:P470/465', 80);
    const market = { symbol: 'SPY', ivRank: 42.5, atmIv: 0.21, hv20: 0.17, trendPercentile: 63 };
    await db.stores.candidates.putMany(tradeDate, [candidate], { scoredAt: SCORED_AT, minScore: 70, market });
    expect((await db.stores.candidates.get(tradeDate, candidate.id))?.market).toEqual(market);

    const refused = {
      at: SCORED_AT + 15 * 60_000,
      dryRun: true,
      minScore: 70,
      scoreBefore: 80,
      scoreAfter: 41,
      creditBefore: 1.6,
      creditAfter: 0.42,
      eligible: false,
      reason: 'score 80 → 41 at 10:00, below 70: short delta 0.62 outside 0.16–0.30 (15 → 0 pts)',
    };
    const placed = {
      ...refused,
      at: refused.at + 60_000,
      dryRun: false,
      scoreAfter: 78,
      eligible: true,
      intentKey: 'oi-1',
    };
    await db.stores.candidates.recordReevaluation(tradeDate, candidate.id, refused);
    await db.stores.candidates.recordReevaluation(tradeDate, candidate.id, placed);
    const item = await db.stores.candidates.get(tradeDate, candidate.id);
    expect(item?.reevaluations).toEqual([refused, placed]);
    expect(item).toMatchObject({ ...candidate, market });

    // Never an item for an id the analysis did not store.
    await expect(
      db.stores.candidates.recordReevaluation(tradeDate, 'SPY:BULL_PUT:2026-03-20:P1/0', refused),
    ).rejects.toThrow(/conditional/i);
    expect(await db.stores.candidates.listByTradeDate(tradeDate)).toHaveLength(1);
  });

  it('refuses a non-finite score before writing anything', async () => {
    const tradeDate = '2026-02-05';
    const batch = [sampleCandidate('a', 80), sampleCandidate('b', Number.NaN)];
    await expect(
      db.stores.candidates.putMany(tradeDate, batch, { scoredAt: SCORED_AT, minScore: 70 }),
    ).rejects.toThrow(/score/);
    expect(await db.stores.candidates.listByTradeDate(tradeDate)).toEqual([]);
  });

  /**
   * A client that behaves like DynamoDB under throttling: for the first `throttled` batch calls it writes
   * only the first half of the items and returns the rest as UnprocessedItems. The writes are real.
   */
  function throttlingClient(throttled: number): { doc: DynamoDBDocumentClient; calls: () => number } {
    const real = db.docClient;
    let calls = 0;
    const doc = Object.create(real) as DynamoDBDocumentClient;
    doc.send = (async (command: unknown) => {
      if (!(command instanceof BatchWriteCommand)) return real.send(command as never);
      calls++;
      const [[table, requests]] = Object.entries(command.input.RequestItems ?? {}) as [[string, unknown[]]];
      if (calls > throttled || requests.length < 2) return real.send(command);
      const half = Math.floor(requests.length / 2);
      await real.send(new BatchWriteCommand({ RequestItems: { [table]: requests.slice(0, half) as never } }));
      return { UnprocessedItems: { [table]: requests.slice(half) } } as BatchWriteCommandOutput;
    }) as typeof real.send;
    return { doc, calls: () => calls };
  }

  it('retries unprocessed items until every candidate is written', async () => {
    const tradeDate = '2026-02-06';
    const { doc, calls } = throttlingClient(4);
    const store = dynamoCandidateStore(doc, db.names.candidates, { batchBaseDelayMs: 1 });
    const candidates = dayOf(tradeDate, 30);
    await store.putMany(tradeDate, candidates, { scoredAt: SCORED_AT, minScore: 70 });
    expect(calls()).toBeGreaterThan(2);
    expect((await db.stores.candidates.listByTradeDate(tradeDate)).map((c) => c.id).sort()).toEqual(
      candidates.map((c) => c.id).sort(),
    );
  });

  it('fails loudly when items stay unprocessed after the last attempt', async () => {
    const { doc } = throttlingClient(Number.POSITIVE_INFINITY);
    const store = dynamoCandidateStore(doc, db.names.candidates, {
      batchBaseDelayMs: 1,
      batchMaxAttempts: 3,
    });
    await expect(
      store.putMany('2026-02-07', dayOf('2026-02-07', 10), { scoredAt: SCORED_AT, minScore: 70 }),
    ).rejects.toThrow(/unprocessed after 3 attempts/);
  });
});
