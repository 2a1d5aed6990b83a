// Time series with a TTL: P&L per position, every decision with its rule and inputs, and collected
// market data. Item: { series: '<KIND>#<subject>', at, seriesKind, kindDay: '<KIND>#<tradeDate>', expiresAt,
// ...record }. A write at the same instant for the same series replaces the earlier one, so a retried
// monitor run does not double its records.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IsoDate } from '#core/types';
import type { DecisionRecord, MarketDataSnapshot, PnlSnapshot, SnapshotStore, TimeRange } from '../ports';
import { batchPutAll, expiresAt, fromStored, queryAll, queryLimited, toStored } from './support';
import type { StoreOptions } from './support';
import { INDEX } from './tables';

export const SNAPSHOT_TTL_DAYS = 90;

type Kind = 'PNL' | 'DECISION' | MarketDataSnapshot['kind'];

const series = (kind: Kind, subject: string) => `${kind}#${subject}`;
const kindDay = (kind: Kind, tradeDate: IsoDate) => `${kind}#${tradeDate}`;

function recordFromItem<T>(item: Record<string, unknown>): T {
  const { series: _s, seriesKind: _k, kindDay: _d, expiresAt: _e, ...rest } = item;
  return fromStored(rest) as T;
}

/** Key condition on one partition, optionally bounded in time (both ends inclusive). */
function timeCondition(partitionName: string, partitionValue: string, range: TimeRange = {}) {
  const values: Record<string, unknown> = { ':p': partitionValue };
  let condition = `${partitionName} = :p`;
  if (range.from !== undefined && range.to !== undefined) {
    condition += ' AND #at BETWEEN :from AND :to';
    values[':from'] = range.from;
    values[':to'] = range.to;
  } else if (range.from !== undefined) {
    condition += ' AND #at >= :from';
    values[':from'] = range.from;
  } else if (range.to !== undefined) {
    condition += ' AND #at <= :to';
    values[':to'] = range.to;
  }
  return {
    KeyConditionExpression: condition,
    ExpressionAttributeValues: values,
    ...(condition.includes('#at') ? { ExpressionAttributeNames: { '#at': 'at' } } : {}),
  };
}

export function dynamoSnapshotStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: StoreOptions & { ttlDays?: number } = {},
): SnapshotStore {
  const ttlDays = options.ttlDays ?? SNAPSHOT_TTL_DAYS;

  const item = (kind: Kind, subject: string, record: { at: number; tradeDate: IsoDate }) => {
    // `at` is the sort key; a NaN would become a string DynamoDB refuses for a number key.
    if (!Number.isFinite(record.at))
      throw new RangeError(`${kind} snapshot of ${subject}: at must be epoch ms`);
    return {
      ...(toStored(record) as Record<string, unknown>),
      series: series(kind, subject),
      at: record.at,
      // Not `kind`: market data records have a `kind` field of their own.
      seriesKind: kind,
      kindDay: kindDay(kind, record.tradeDate),
      expiresAt: expiresAt(record.at, ttlDays),
    };
  };

  const put = (value: Record<string, unknown>) =>
    doc.send(new PutCommand({ TableName: tableName, Item: value }));

  const listSeries = async <T>(kind: Kind, subject: string, range?: TimeRange) =>
    (
      await queryAll(
        doc,
        { TableName: tableName, ...timeCondition('series', series(kind, subject), range) },
        options.pageSize,
      )
    ).map((entry) => recordFromItem<T>(entry));

  const listDay = async <T>(kind: Kind, tradeDate: IsoDate) =>
    (
      await queryAll(
        doc,
        {
          TableName: tableName,
          IndexName: INDEX.snapshotsByDay,
          ...timeCondition('kindDay', kindDay(kind, tradeDate)),
        },
        options.pageSize,
      )
    ).map((entry) => recordFromItem<T>(entry));

  return {
    async putPnl(snapshot) {
      await put(item('PNL', snapshot.positionId, snapshot));
    },
    async putDecision(decision) {
      await put(item('DECISION', decision.positionId, decision));
    },
    async putMarketData(snapshots) {
      const items = snapshots.map((snapshot) => item(snapshot.kind, snapshot.symbol, snapshot));
      await batchPutAll(
        doc,
        tableName,
        items,
        (entry) => `${String(entry.series)}|${String(entry.at)}`,
        options,
      );
    },
    listPnl: (positionId, range) => listSeries<PnlSnapshot>('PNL', positionId, range),
    listDecisions: (positionId, range) => listSeries<DecisionRecord>('DECISION', positionId, range),
    async latestDecision(positionId) {
      const [latest] = await queryLimited(
        doc,
        {
          TableName: tableName,
          ...timeCondition('series', series('DECISION', positionId)),
          ScanIndexForward: false,
        },
        1,
        1,
      );
      return latest ? recordFromItem<DecisionRecord>(latest) : undefined;
    },
    listMarketData: (kind, symbol, range) => listSeries<MarketDataSnapshot>(kind, symbol, range),
    listPnlByDay: (tradeDate) => listDay<PnlSnapshot>('PNL', tradeDate),
    listDecisionsByDay: (tradeDate) => listDay<DecisionRecord>('DECISION', tradeDate),
    listMarketDataByDay: (kind, tradeDate) => listDay<MarketDataSnapshot>(kind, tradeDate),
  };
}
