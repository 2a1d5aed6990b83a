// Strategy positions. Every write is conditional (on the id being free, on the version read, or on the
// status), and a fill is applied to a position and its order intent in one transaction: either the
// position opens (or closes) and the intent is marked applied, or nothing changes (fill-transaction.ts).
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { nyDate } from '#core/calendar';
import type { OrderIntentRecord } from '#core/intents';
import type { RealisedEntry, RealisedKind, StrategyPosition } from '#core/types';
import { IntentConflictError, PositionConflictError, VersionConflictError } from '../ports';
import type { PositionRecord, PositionStatus, PositionStore } from '../ports';
import { checkFill, FILLABLE, fillTransaction, refuseOpeningIntent } from './fill-transaction';
import { getIntent } from './order-intent-store';
import { fromStored, isConditionFailure, queryAll, toStored } from './support';
import type { StoreOptions } from './support';
import { INDEX } from './tables';
import type { TableNames } from './tables';

/** The StrategyPosition fields position-sync may replace. */
const POSITION_FIELDS = [
  'strategy',
  'symbol',
  'expiry',
  'legs',
  'quantity',
  'entryCredit',
  'width',
  'openedAt',
  'commissionsUsd',
] as const satisfies readonly (keyof StrategyPosition)[];

/** What an assignment leaves on a position (absent when there is none): written or removed by `update`. */
const HOLDING_FIELDS = [
  'orphanLegs',
  'stock',
  'assignments',
] as const satisfies readonly (keyof StrategyPosition)[];

/**
 * The update-expression part that records realised P&L: appends one ledger entry and adds its amount
 * to the running total, so both change in the write that realised it (never one without the other).
 */
function realisedChange(realised: { usd: number; kind: RealisedKind; ref?: string }, now: number) {
  if (!Number.isFinite(realised.usd)) {
    throw new RangeError(`realised P&L must be a finite dollar amount, got ${realised.usd}`);
  }
  const entry: RealisedEntry = {
    at: now,
    tradeDate: nyDate(now),
    usd: realised.usd,
    kind: realised.kind,
    ...(realised.ref === undefined ? {} : { ref: realised.ref }),
  };
  return {
    expression:
      'realisedPnlUsd = if_not_exists(realisedPnlUsd, :zero) + :pnl, ' +
      'realised = list_append(if_not_exists(realised, :noEntries), :entry)',
    values: { ':zero': 0, ':pnl': realised.usd, ':noEntries': [], ':entry': [toStored(entry)] },
  };
}

const positionFromItem = (item: Record<string, unknown>) => fromStored(item) as PositionRecord;

function strategyFields(position: StrategyPosition): StrategyPosition {
  // openedAt is an index key, which DynamoDB cannot store as the string a NaN would become.
  if (!Number.isFinite(position.openedAt)) {
    throw new RangeError(`position ${position.id}: openedAt must be epoch ms, got ${position.openedAt}`);
  }
  const holdings = HOLDING_FIELDS.filter((field) => position[field] !== undefined);
  return {
    id: position.id,
    ...(Object.fromEntries(
      [...POSITION_FIELDS, ...holdings].map((field) => [field, position[field]]),
    ) as unknown as Omit<StrategyPosition, 'id'>),
  };
}

export function dynamoPositionStore(
  doc: DynamoDBDocumentClient,
  names: Pick<TableNames, 'positions' | 'orders'>,
  options: StoreOptions = {},
): PositionStore {
  const table = names.positions;

  const get = async (id: string): Promise<PositionRecord | undefined> => {
    const result = await doc.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true }));
    return result.Item ? positionFromItem(result.Item) : undefined;
  };

  const listByStatus = async (status: PositionStatus) =>
    (
      await queryAll(
        doc,
        {
          TableName: table,
          IndexName: INDEX.positionsByStatus,
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
        },
        options.pageSize,
      )
    ).map(positionFromItem);

  const { intentUpdate, applyFill } = fillTransaction(doc, names.orders);

  return {
    get,
    listByStatus,
    listOpen: () => listByStatus('OPEN'),

    async create(position, { source, now }) {
      const record: PositionRecord = {
        ...strategyFields(position),
        status: 'OPEN',
        source,
        version: 1,
        updatedAt: now,
      };
      try {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: toStored(record) as Record<string, unknown>,
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        );
        return { created: true, position: record };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const existing = await get(position.id);
        if (!existing) throw new Error(`position ${position.id} existed and vanished`, { cause: error });
        return { created: false, existing };
      }
    },

    async update(position, { expectedVersion, now, realised }) {
      const fields = strategyFields(position);
      const ledger = realised ? realisedChange(realised, now) : undefined;
      // Holdings an assignment left are set when present and removed when gone (closed or never there).
      const present = HOLDING_FIELDS.filter((field) => fields[field] !== undefined);
      const absent = HOLDING_FIELDS.filter((field) => fields[field] === undefined);
      const written = [...POSITION_FIELDS, ...present];
      const sets = written.map((field) => `#${field} = :${field}`);
      if (ledger) sets.push(ledger.expression);
      const removes = absent.length > 0 ? ` REMOVE ${absent.map((field) => `#${field}`).join(', ')}` : '';
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { id: position.id },
            UpdateExpression: `SET ${[...sets, '#version = #version + :one', '#updatedAt = :now'].join(', ')}${removes}`,
            ConditionExpression: 'attribute_exists(id) AND #version = :expected',
            ExpressionAttributeNames: {
              ...Object.fromEntries([...written, ...absent].map((field) => [`#${field}`, field])),
              '#version': 'version',
              '#updatedAt': 'updatedAt',
            },
            ExpressionAttributeValues: {
              ...Object.fromEntries(written.map((field) => [`:${field}`, toStored(fields[field])])),
              ':one': 1,
              ':now': now,
              ':expected': expectedVersion,
              ...ledger?.values,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return positionFromItem(result.Attributes ?? {});
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = await get(position.id);
        throw new VersionConflictError(position.id, expectedVersion, current?.version);
      }
    },

    async openFromFill({ intentKey, position, fill, now }) {
      checkFill(fill);
      const record: PositionRecord = {
        ...strategyFields(position),
        status: 'OPEN',
        source: 'SYSTEM',
        version: 1,
        openIntentKey: intentKey,
        updatedAt: now,
      };
      return applyFill(
        intentKey,
        fill,
        (intent, next) => {
          if (intent.purpose !== 'OPEN') {
            throw new IntentConflictError(
              intentKey,
              FILLABLE,
              intent.status,
              `a ${intent.purpose} intent cannot open a position`,
            );
          }
          return {
            items: [
              {
                Put: {
                  TableName: table,
                  Item: toStored(record),
                  ConditionExpression: 'attribute_not_exists(id)',
                },
              },
              intentUpdate(intent, next, fill, position.id, now),
            ],
            result: async () => ({
              position: record,
              intent: (await getIntent(doc, names.orders, intentKey)) as OrderIntentRecord,
            }),
          };
        },
        () => new PositionConflictError(position.id, 'already exists; nothing was written'),
      );
    },

    async closeFromFill({ intentKey, positionId, fill, realisedPnlUsd, reason, now }) {
      checkFill(fill);
      const ledger = realisedChange({ usd: realisedPnlUsd, kind: 'CLOSE', ref: intentKey }, now);
      return applyFill(
        intentKey,
        fill,
        (intent, next) => {
          refuseOpeningIntent(intent, 'close');
          return {
            items: [
              {
                Update: {
                  TableName: table,
                  Key: { id: positionId },
                  UpdateExpression:
                    'SET #status = :closed, closedAt = :now, closeReason = :reason, closeIntentKey = :intent, ' +
                    // Adds to what earlier partial closes (reduceFromFill) realised.
                    `${ledger.expression}, commissionsUsd = commissionsUsd + :commissions, ` +
                    '#version = #version + :one, updatedAt = :now',
                  ConditionExpression: 'attribute_exists(id) AND #status = :open',
                  ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
                  ExpressionAttributeValues: {
                    ':closed': 'CLOSED',
                    ':open': 'OPEN',
                    ':now': now,
                    ':reason': reason,
                    ':intent': intentKey,
                    ':commissions': fill.commissionsUsd ?? 0,
                    ':one': 1,
                    ...ledger.values,
                  },
                },
              },
              intentUpdate(intent, next, fill, positionId, now),
            ],
            result: async () => ({
              position: (await get(positionId)) as PositionRecord,
              intent: (await getIntent(doc, names.orders, intentKey)) as OrderIntentRecord,
            }),
          };
        },
        () => new PositionConflictError(positionId, 'is not an open position; nothing was written'),
      );
    },

    async reduceFromFill({ intentKey, positionId, expectedVersion, fill, realisedPnlUsd, now }) {
      checkFill(fill);
      const current = await get(positionId);
      if (!current || current.status !== 'OPEN' || current.version !== expectedVersion) {
        throw new PositionConflictError(
          positionId,
          `is not open at version ${expectedVersion}; nothing was written`,
        );
      }
      if (fill.filledQuantity >= current.quantity) {
        throw new PositionConflictError(
          positionId,
          'a fill of the whole position closes it: use closeFromFill',
        );
      }
      const ledger = realisedChange({ usd: realisedPnlUsd, kind: 'PARTIAL_CLOSE', ref: intentKey }, now);
      const left = current.quantity - fill.filledQuantity;
      const legs = current.legs.map((leg) => ({
        ...leg,
        quantity: (leg.quantity / current.quantity) * left,
      }));
      return applyFill(
        intentKey,
        fill,
        (intent, next) => {
          refuseOpeningIntent(intent, 'reduce');
          return {
            items: [
              {
                Update: {
                  TableName: table,
                  Key: { id: positionId },
                  UpdateExpression:
                    // The fill's commissions are already netted in its realised P&L.
                    `SET quantity = :left, legs = :legs, ${ledger.expression}, ` +
                    '#version = #version + :one, updatedAt = :now',
                  ConditionExpression: 'attribute_exists(id) AND #status = :open AND #version = :expected',
                  ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
                  ExpressionAttributeValues: {
                    ':left': left,
                    ':legs': toStored(legs),
                    ':one': 1,
                    ...ledger.values,
                    ':now': now,
                    ':open': 'OPEN',
                    ':expected': expectedVersion,
                  },
                },
              },
              intentUpdate(intent, next, fill, positionId, now),
            ],
            result: async () => ({
              position: (await get(positionId)) as PositionRecord,
              intent: (await getIntent(doc, names.orders, intentKey)) as OrderIntentRecord,
            }),
          };
        },
        () =>
          new PositionConflictError(
            positionId,
            `changed since version ${expectedVersion}; nothing was written`,
          ),
      );
    },

    async markClosed(id, { reason, realisedPnlUsd, now, kind = 'EXTERNAL', ref }) {
      // Unknown P&L (a close found at IB with no fill to price it) records no entry rather than a made-up 0.
      const ledger =
        realisedPnlUsd === undefined ? undefined : realisedChange({ usd: realisedPnlUsd, kind, ref }, now);
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { id },
            UpdateExpression:
              'SET #status = :closed, closedAt = :now, closeReason = :reason, #version = #version + :one, updatedAt = :now' +
              (ledger ? `, ${ledger.expression}` : ''),
            ConditionExpression: 'attribute_exists(id) AND #status = :open',
            ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
            ExpressionAttributeValues: {
              ':closed': 'CLOSED',
              ':open': 'OPEN',
              ':now': now,
              ':reason': reason,
              ':one': 1,
              ...ledger?.values,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return positionFromItem(result.Attributes ?? {});
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = await get(id);
        throw new PositionConflictError(id, current ? `is ${current.status}, not OPEN` : 'does not exist');
      }
    },
  };
}
