// Scored candidates per trade date, each with its breakdown and rejection reasons, so "why was nothing
// traded today?" has an answer in the table for 30 days.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CandidateRecord, CandidateStore } from '../ports';
import { batchPutAll, expiresAt, fromStored, queryAll, queryLimited, toStored } from './support';
import type { StoreOptions } from './support';
import { INDEX } from './tables';

export const CANDIDATE_TTL_DAYS = 30;

function candidateFromItem(item: Record<string, unknown>): CandidateRecord {
  const { expiresAt: _expires, ...rest } = item;
  return fromStored(rest) as CandidateRecord;
}

export function dynamoCandidateStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: StoreOptions & { ttlDays?: number } = {},
): CandidateStore {
  const ttlDays = options.ttlDays ?? CANDIDATE_TTL_DAYS;
  return {
    async putMany(tradeDate, candidates, { scoredAt, minScore }) {
      const items = candidates.map((candidate) => {
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
          eligible: candidate.rejections.length === 0 && candidate.score >= minScore,
        };
        return { ...(toStored(record) as Record<string, unknown>), expiresAt: expiresAt(scoredAt, ttlDays) };
      });
      const written = await batchPutAll(doc, tableName, items, (item) => String(item.id), options);
      return { written };
    },

    async get(tradeDate, candidateId) {
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
          KeyConditionExpression: 'tradeDate = :d',
          ExpressionAttributeValues: { ':d': tradeDate },
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
      return items.map(candidateFromItem);
    },
  };
}
