// Scored candidates per trade date, each with its breakdown and rejection reasons, so "why was nothing
// traded today?" has an answer in the table for 30 days: the best ones as full items (id = candidate
// id, in the byScore index), and every one of them in the day's archive (a few gzip'd chunk items per
// underlying, id `~archive#SPY#0000`, no `score` so they stay out of byScore; see candidate-archive.ts).
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isEligible } from '#core/scoring';
import type { ArchivedCandidate, CandidateRecord, CandidateStore } from '../ports';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_ID_PREFIX,
  archiveChunkId,
  archivePrefixOf,
  candidateArchiveEncoder,
  decodeChunk,
} from './candidate-archive';
import { batchPutAll, expiresAt, fromStored, queryAll, queryLimited, toStored } from './support';
import type { StoreOptions } from './support';
import { INDEX } from './tables';

export const CANDIDATE_TTL_DAYS = 30;

function candidateFromItem(item: Record<string, unknown>): CandidateRecord {
  const { expiresAt: _expires, ...rest } = item;
  return fromStored(rest) as CandidateRecord;
}

const isArchiveId = (id: string) => id.startsWith(ARCHIVE_ID_PREFIX);

/** An archive chunk item as read back (attributes written by putArchive). */
interface ArchiveItem {
  id: string;
  symbol: string;
  chunk: number;
  chunkCount: number;
  rows: number;
  scoredAt: number;
  data: Uint8Array;
}

/**
 * The chunks of one underlying's latest run, in order; throws when some are missing. An earlier run's
 * leftovers (same ids are overwritten, extra ones deleted after the write) are ignored by `scoredAt`.
 */
function latestRun(tradeDate: string, items: readonly ArchiveItem[]): ArchiveItem[] {
  const scoredAt = Math.max(...items.map((i) => i.scoredAt));
  const run = items.filter((i) => i.scoredAt === scoredAt).sort((a, b) => a.chunk - b.chunk);
  const expected = run[0]?.chunkCount ?? 0;
  if (run.length !== expected || run.some((item, k) => item.chunk !== k)) {
    throw new Error(
      `candidate archive of ${items[0]?.symbol} on ${tradeDate} is incomplete: ${run.length} of ${expected} ` +
        'chunks (a write in progress or failed; run strategy-analysis again)',
    );
  }
  return run;
}

export function dynamoCandidateStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: StoreOptions & { ttlDays?: number } = {},
): CandidateStore {
  const ttlDays = options.ttlDays ?? CANDIDATE_TTL_DAYS;
  /** The archive items under `prefix` of a trade date, page by page (a page is at most 1 MB: ~3 chunks). */
  async function* archivePages(tradeDate: string, prefix: string, projection?: string) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'tradeDate = :d AND begins_with(#id, :p)',
          ExpressionAttributeNames: {
            '#id': 'id',
            ...(projection ? { '#s': 'scoredAt', '#c': 'chunk' } : {}),
          },
          ExpressionAttributeValues: { ':d': tradeDate, ':p': prefix },
          ...(projection ? { ProjectionExpression: projection } : {}),
          ...(options.pageSize ? { Limit: options.pageSize } : {}),
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      yield (page.Items ?? []) as unknown as ArchiveItem[];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  return {
    async putMany(tradeDate, candidates, { scoredAt, minScore, market }) {
      const items = candidates.map((candidate) => {
        // listByTradeDate reads the ids below the archive's prefix: one at or above it would vanish.
        if (candidate.id >= ARCHIVE_ID_PREFIX) {
          throw new RangeError(
            `candidate id ${JSON.stringify(candidate.id)} must sort before ${ARCHIVE_ID_PREFIX}`,
          );
        }
        // The score is an index key: DynamoDB would reject the whole batch for one NaN.
        if (!Number.isFinite(candidate.score)) {
          throw new RangeError(
            `candidate ${candidate.id}: score must be a finite number, got ${candidate.score}`,
          );
        }
        const record: CandidateRecord = {
          ...candidate,
          tradeDate,
          scoredAt,
          eligible: isEligible(candidate, minScore),
          ...(market ? { market } : {}),
        };
        return { ...(toStored(record) as Record<string, unknown>), expiresAt: expiresAt(scoredAt, ttlDays) };
      });
      const written = await batchPutAll(doc, tableName, items, (item) => String(item.id), options);
      return { written };
    },

    async recordReevaluation(tradeDate, candidateId, entry) {
      if (isArchiveId(candidateId))
        throw new RangeError(`${candidateId} is an archive item, not a candidate`);
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { tradeDate, id: candidateId },
          UpdateExpression: 'SET reevaluations = list_append(if_not_exists(reevaluations, :none), :entry)',
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: { ':none': [], ':entry': [toStored(entry)] },
        }),
      );
    },

    async get(tradeDate, candidateId) {
      if (isArchiveId(candidateId)) return undefined;
      const result = await doc.send(
        new GetCommand({ TableName: tableName, Key: { tradeDate, id: candidateId }, ConsistentRead: true }),
      );
      return result.Item ? candidateFromItem(result.Item) : undefined;
    },

    async listByTradeDate(tradeDate) {
      const items = await queryAll(
        doc,
        {
          TableName: tableName,
          // Candidate ids sort before the archive's (see ARCHIVE_ID_PREFIX): the key condition skips it.
          KeyConditionExpression: 'tradeDate = :d AND #id < :archive',
          ExpressionAttributeNames: { '#id': 'id' },
          ExpressionAttributeValues: { ':d': tradeDate, ':archive': ARCHIVE_ID_PREFIX },
        },
        options.pageSize,
      );
      return items.map(candidateFromItem);
    },

    async listTop(tradeDate, { limit, eligibleOnly }) {
      if (limit <= 0) return [];
      const items = await queryLimited(
        doc,
        {
          TableName: tableName,
          IndexName: INDEX.candidatesByScore,
          KeyConditionExpression: 'tradeDate = :d',
          ScanIndexForward: false,
          ...(eligibleOnly
            ? {
                FilterExpression: 'eligible = :yes',
                ExpressionAttributeValues: { ':d': tradeDate, ':yes': true },
              }
            : { ExpressionAttributeValues: { ':d': tradeDate } }),
        },
        limit,
        options.pageSize,
      );
      // Archive items have no `score`, so the sparse byScore index never holds them.
      return items.map(candidateFromItem);
    },

    archiveEncoder: ({ minScore }) => candidateArchiveEncoder({ minScore }),

    async putArchive(tradeDate, symbol, chunks, { scoredAt }) {
      const prefix = archivePrefixOf(symbol);
      if (chunks.length === 0) throw new RangeError(`archive of ${symbol}: no chunks (an encoder gives one)`);
      const ttl = expiresAt(scoredAt, ttlDays);
      const items = chunks.map((c, chunk) => ({
        tradeDate,
        id: archiveChunkId(symbol, chunk),
        symbol,
        chunk,
        chunkCount: chunks.length,
        rows: c.rows,
        format: ARCHIVE_FORMAT,
        scoredAt,
        data: c.data,
        expiresAt: ttl,
      }));
      await batchPutAll(doc, tableName, items, (item) => String(item.id), options);
      // An earlier run of the day with more chunks leaves extra ones behind: remove them (readers skip
      // them anyway by scoredAt).
      for await (const page of archivePages(tradeDate, prefix, '#id, #s, #c')) {
        for (const item of page) {
          if (item.scoredAt === scoredAt && item.chunk < chunks.length) continue;
          await doc.send(new DeleteCommand({ TableName: tableName, Key: { tradeDate, id: item.id } }));
        }
      }
      return {
        chunks: chunks.length,
        rows: chunks.reduce((s, c) => s + c.rows, 0),
        bytes: chunks.reduce((s, c) => s + c.data.byteLength, 0),
      };
    },

    async *readArchive(tradeDate, symbol) {
      // Items arrive sorted by id, so one underlying's chunks are contiguous: buffer its gzip'd chunks
      // (a few MB at most), check the run is complete, then decode one chunk at a time.
      let group: ArchiveItem[] = [];
      async function* emit(): AsyncGenerator<ArchivedCandidate> {
        if (group.length === 0) return;
        const run = latestRun(tradeDate, group);
        group = [];
        for (const item of run) {
          for (const row of decodeChunk(item.data)) {
            yield { ...row, tradeDate, symbol: item.symbol, scoredAt: item.scoredAt };
          }
        }
      }
      const prefix = symbol === undefined ? ARCHIVE_ID_PREFIX : archivePrefixOf(symbol);
      for await (const page of archivePages(tradeDate, prefix)) {
        for (const item of page) {
          if (group.length > 0 && group[0]!.symbol !== item.symbol) yield* emit();
          group.push(item);
        }
      }
      yield* emit();
    },
  };
}
