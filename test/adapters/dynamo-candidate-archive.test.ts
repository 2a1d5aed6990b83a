// The candidates' archive against DynamoDB Local: every scored candidate goes in (encode → chunk → put),
// comes back out (read → decode) with exactly the fields it was scored with, in chunks that fit a
// DynamoDB item, and never shows up where the full candidate items are read (get, listByTradeDate,
// listTop).
import { DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_CHUNK_MAX_BYTES,
  archiveChunkId,
  candidateArchiveEncoder,
  decodeChunk,
} from '#adapters/dynamo/candidate-archive';
import type { ArchivedCandidate, CandidateStore } from '#adapters/ports';
import { parseConfig } from '#core/config';
import { evaluateCandidates } from '#core/scoring';
import { buildCandidates } from '#core/strategies/index';
import type { MarketContext, ScoredCandidate } from '#core/types';
import { NOW, syntheticChain, TRADE_DATE } from '../core/fixtures/chain';
import { sampleCandidate, useTables } from '../support/dynamodb';

const db = await useTables();
const MIN_SCORE = 60;
const DAY_S = 86_400;

// A few thousand real candidates from the core's builders: condors and verticals, some rejected (wide
// quotes, small credits), all with notes (no IV rank, so that factor scores 0 with a note).
const config = parseConfig({
  universe: { underlyings: ['SPY'], strategies: ['IRON_CONDOR', 'BULL_PUT', 'BEAR_CALL'], widths: [1, 5] },
  scoring: { minScore: MIN_SCORE },
});
const market: MarketContext = { symbol: 'SPY', atmIv: 0.2, hv20: 0.16, trendPercentile: 55, vix: 17 };
const chain = syntheticChain({ strikeStep: 1, strikesEachSide: 40, dtes: [30, 45, 60], spreadPct: 30 });
const scored: ScoredCandidate[] = evaluateCandidates(
  buildCandidates(chain, config, { tradeDate: TRADE_DATE, now: NOW }),
  { now: NOW, heldConIds: new Set<number>(), openPositions: 0, openPerUnderlying: {} },
  market,
  config,
);

/** What the archive must give back for a scored candidate: its own fields, picked one by one. */
function expectedRow(
  c: ScoredCandidate,
  symbol: string,
  tradeDate: string,
  scoredAt: number,
): ArchivedCandidate {
  return {
    tradeDate,
    symbol,
    scoredAt,
    id: c.id,
    strategy: c.strategy,
    expiry: c.expiry,
    dte: c.dte,
    width: c.width,
    creditMid: c.creditMid,
    creditNatural: c.creditNatural,
    maxLossUsd: c.maxLossUsd,
    pop: c.pop,
    expectedValueUsd: c.expectedValueUsd,
    breakevens: c.breakevens,
    underlyingPrice: c.underlyingPrice,
    score: c.score,
    breakdown: c.breakdown,
    eligible: c.rejections.length === 0 && c.score >= MIN_SCORE,
    rejections: c.rejections,
    notes: c.notes ?? [],
  };
}

async function readAll(store: CandidateStore, tradeDate: string, symbol?: string) {
  const rows: ArchivedCandidate[] = [];
  for await (const row of store.readArchive(tradeDate, symbol)) rows.push(row);
  return rows;
}

/** Archive item keys of a day, straight from the table. */
async function archiveKeys(tradeDate: string): Promise<string[]> {
  const out = await db.docClient.send(
    new QueryCommand({
      TableName: db.names.candidates,
      KeyConditionExpression: 'tradeDate = :d AND begins_with(#id, :p)',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: { ':d': tradeDate, ':p': '~archive#' },
    }),
  );
  return (out.Items ?? []).map((item) => String(item.id));
}

/** Encodes in scoring-sized slices, as the job does. */
function encode(
  candidates: readonly ScoredCandidate[],
  sizes: { targetBytes?: number; maxBytes?: number } = {},
) {
  const encoder = candidateArchiveEncoder({ minScore: MIN_SCORE, ...sizes });
  for (let i = 0; i < candidates.length; i += 700) encoder.add(candidates.slice(i, i + 700));
  expect(encoder.rows).toBe(candidates.length);
  return encoder.finish();
}

describe('candidate archive', () => {
  it('the fixture has thousands of candidates, passing and rejected, with reasons and notes', () => {
    expect(scored.length).toBeGreaterThan(2000);
    expect(scored.some((c) => c.rejections.length === 0 && c.score >= MIN_SCORE)).toBe(true);
    expect(scored.filter((c) => c.rejections.length > 0).length).toBeGreaterThan(100);
    expect(scored.every((c) => (c.notes ?? []).length > 0)).toBe(true);
  });

  it('round trip: encode → chunks → put → read → decode gives every candidate with its scored fields', async () => {
    const tradeDate = '2026-03-02';
    const scoredAt = NOW;
    // Small chunks, so the round trip crosses many of them.
    const chunks = encode(scored, { targetBytes: 12_000, maxBytes: 16_000 });
    expect(chunks.length).toBeGreaterThan(5);
    const paged = db.storesWith({ pageSize: 4 }).candidates;
    expect(await paged.putArchive(tradeDate, 'SPY', chunks, { scoredAt })).toEqual({
      chunks: chunks.length,
      rows: scored.length,
      bytes: chunks.reduce((s, c) => s + c.data.byteLength, 0),
    });

    const rows = await readAll(paged, tradeDate, 'SPY');
    expect(rows).toEqual(scored.map((c) => expectedRow(c, 'SPY', tradeDate, scoredAt)));

    // Every chunk is an item with the TTL of the candidate items and no `score` (off the byScore index).
    const first = await db.docClient.send(
      new GetCommand({ TableName: db.names.candidates, Key: { tradeDate, id: archiveChunkId('SPY', 0) } }),
    );
    expect(first.Item?.expiresAt).toBe(Math.floor(scoredAt / 1000) + 30 * DAY_S);
    expect(first.Item).not.toHaveProperty('score');
    expect(await archiveKeys(tradeDate)).toHaveLength(chunks.length);
  });

  it('keeps NaN and ±Infinity, empty reasons and notes, and an underlying with no candidates', async () => {
    const tradeDate = '2026-03-03';
    const odd = [
      sampleCandidate('QQQ:BULL_PUT:2026-03-20:P480/475', 71, {
        expectedValueUsd: Number.NaN,
        pop: Number.POSITIVE_INFINITY,
        breakevens: [Number.NEGATIVE_INFINITY],
      }),
      sampleCandidate('QQQ:BULL_PUT:2026-03-20:P470/465', 12.5, {
        rejections: ['credit 0.20 is below the minimum 0.30', 'DTE 80 is outside 21–70'],
        notes: ['IV rank: no IV rank for QQQ, scored 0'],
      }),
    ];
    const store = db.stores.candidates;
    await store.putArchive(tradeDate, 'QQQ', encode(odd), { scoredAt: NOW });
    await store.putArchive(tradeDate, 'IWM', encode([]), { scoredAt: NOW });
    expect(await readAll(store, tradeDate, 'QQQ')).toEqual(
      odd.map((c) => expectedRow(c, 'QQQ', tradeDate, NOW)),
    );
    // The empty underlying has its (empty) chunk: analysed, nothing scored.
    expect(await archiveKeys(tradeDate)).toContain(archiveChunkId('IWM', 0));
    expect(await readAll(store, tradeDate, 'IWM')).toEqual([]);
  });

  it('every chunk stays within its byte limit, and chunks concatenate to the input in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 2_000, max: 60_000 }),
        fc.integer({ min: 4_000, max: 40_000 }),
        (count, targetBytes, maxBytes) => {
          const input = scored.slice(0, count);
          const chunks = encode(input, { targetBytes, maxBytes });
          for (const chunk of chunks) {
            expect(chunk.data.byteLength).toBeLessThanOrEqual(maxBytes);
            expect(decodeChunk(chunk.data)).toHaveLength(chunk.rows);
          }
          const ids = chunks.flatMap((chunk) => decodeChunk(chunk.data).map((row) => row.id));
          expect(ids).toEqual(input.map((c) => c.id));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('with the default limits, each chunk is at most 350 KB and DynamoDB accepts it', async () => {
    // Enough rows for several full-size chunks: the fixture repeated under other ids.
    const many = Array.from({ length: 8 }, (_, k) =>
      scored.map((c) => ({ ...c, id: `${c.id}#${k}` })),
    ).flat();
    const chunks = encode(many);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.data.byteLength).toBeLessThanOrEqual(ARCHIVE_CHUNK_MAX_BYTES);
    // The first chunk has a fixed row count and the last takes the remainder; the ones between aim at
    // the 300 KB target from the previous chunk's compression, so they land near it.
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks.slice(1, -1)) expect(chunk.data.byteLength).toBeGreaterThan(250 * 1024);
    const tradeDate = '2026-03-04';
    await db.stores.candidates.putArchive(tradeDate, 'SPY', chunks, { scoredAt: NOW });
    let n = 0;
    for await (const row of db.stores.candidates.readArchive(tradeDate, 'SPY')) {
      expect(row.id).toBe(many[n]?.id);
      n += 1;
    }
    expect(n).toBe(many.length);
  });

  it('archive items never appear in get, listByTradeDate or listTop', async () => {
    const tradeDate = '2026-03-05';
    const items = [
      sampleCandidate('SPY:BULL_PUT:2026-03-20:P480/475', 82),
      sampleCandidate('SPY:BULL_PUT:2026-03-20:P470/465', 40),
    ];
    const paged = db.storesWith({ pageSize: 2 }).candidates;
    await paged.putMany(tradeDate, items, { scoredAt: NOW, minScore: MIN_SCORE });
    await paged.putArchive(tradeDate, 'SPY', encode(scored, { targetBytes: 20_000 }), { scoredAt: NOW });
    expect((await archiveKeys(tradeDate)).length).toBeGreaterThan(2);

    const ids = items.map((c) => c.id).sort();
    expect((await paged.listByTradeDate(tradeDate)).map((c) => c.id).sort()).toEqual(ids);
    expect((await paged.listTop(tradeDate, { limit: 100 })).map((c) => c.id).sort()).toEqual(ids);
    expect(await paged.get(tradeDate, archiveChunkId('SPY', 0))).toBeUndefined();
    // A candidate id sorting among the archive's would be hidden from listByTradeDate: refused.
    await expect(
      paged.putMany(tradeDate, [sampleCandidate('~zzz', 90)], { scoredAt: NOW, minScore: MIN_SCORE }),
    ).rejects.toThrow(/must sort before/);
  });

  it('a later run of the day replaces the archive; a symbol never reads a longer one sharing its prefix', async () => {
    const tradeDate = '2026-03-06';
    const store = db.stores.candidates;
    await store.putArchive(tradeDate, 'SPY', encode(scored, { targetBytes: 10_000 }), { scoredAt: NOW });
    const later = scored.slice(0, 50);
    await store.putArchive(tradeDate, 'SPY', encode(later), { scoredAt: NOW + 60_000 });
    const spyg = [sampleCandidate('SPYG:BULL_PUT:2026-03-20:P80/75', 75)];
    await store.putArchive(tradeDate, 'SPYG', encode(spyg), { scoredAt: NOW });

    expect(await readAll(store, tradeDate, 'SPY')).toEqual(
      later.map((c) => expectedRow(c, 'SPY', tradeDate, NOW + 60_000)),
    );
    // The first run's extra chunks are gone, not just skipped.
    expect((await archiveKeys(tradeDate)).sort()).toEqual([
      archiveChunkId('SPY', 0),
      archiveChunkId('SPYG', 0),
    ]);
    const all = await readAll(store, tradeDate);
    expect(all.map((r) => `${r.symbol} ${r.id}`)).toEqual([
      ...later.map((c) => `SPY ${c.id}`),
      ...spyg.map((c) => `SPYG ${c.id}`),
    ]);
  });

  it('refuses to read an archive with a missing chunk rather than return part of it', async () => {
    const tradeDate = '2026-03-09';
    const store = db.stores.candidates;
    const chunks = encode(scored, { targetBytes: 20_000 });
    expect(chunks.length).toBeGreaterThan(2);
    await store.putArchive(tradeDate, 'SPY', chunks, { scoredAt: NOW });
    await db.docClient.send(
      new DeleteCommand({ TableName: db.names.candidates, Key: { tradeDate, id: archiveChunkId('SPY', 1) } }),
    );
    await expect(readAll(store, tradeDate, 'SPY')).rejects.toThrow(
      new RegExp(`SPY on ${tradeDate} is incomplete: ${chunks.length - 1} of ${chunks.length} chunks`),
    );
  });

  it('refuses a symbol that could collide with another underlying’s chunk ids', async () => {
    await expect(
      db.stores.candidates.putArchive('2026-03-10', 'SPY#1', encode([]), { scoredAt: NOW }),
    ).rejects.toThrow(RangeError);
  });
});
