// Strategy positions. Every write is conditional (on the id being free, on the version read, or on the
// status), and a fill is applied to a position and its order intent in one transaction: either the
// position opens (or closes) and the intent is marked applied, or nothing changes.
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { nyDate } from '../../core/calendar';
import type { OrderIntentRecord, OrderIntentStatus } from '../../core/intents';
import type { FillSummary } from '../../core/lifecycle';
import type { RealisedEntry, RealisedKind, StrategyPosition } from '../../core/types';
import {
  IntentConflictError,
  IntentNotFoundError,
  PositionConflictError,
  VersionConflictError,
} from '../ports';
import type { PositionRecord, PositionStatus, PositionStore } from '../ports';
import { getIntent, statusChange } from './order-intent-store';
import {
  cancellationCodes,
  fromStored,
  isConditionFailure,
  queryAll,
  toStored,
  withTransactionRetry,
} from './support';
import type { StoreOptions } from './support';
import { INDEX } from './tables';
import type { TableNames } from './tables';

/** Intent statuses a fill can be applied from (the status update may lag the fill event). */
const FILLABLE: readonly OrderIntentStatus[] = ['SUBMITTED', 'PARTIAL', 'FILLED'];

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

/** A closing fill (close or reduce) must come from a closing intent. */
function refuseOpeningIntent(intent: OrderIntentRecord, verb: 'close' | 'reduce'): void {
  if (intent.purpose === 'OPEN') {
    throw new IntentConflictError(
      intent.intentKey,
      FILLABLE,
      intent.status,
      `an OPEN intent cannot ${verb} a position`,
    );
  }
}

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

function checkFill(fill: FillSummary): void {
  if (!(fill.filledQuantity > 0) || !Number.isFinite(fill.avgFillPrice)) {
    throw new RangeError('a fill needs a positive filledQuantity and a finite avgFillPrice');
  }
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

  /**
   * Reads the intent and checks a fill may be applied to it; returns its current status (the
   * transaction is conditional on exactly that status) and the status after this fill.
   */
  const fillableIntent = async (intentKey: string, fill: FillSummary) => {
    const intent = await getIntent(doc, names.orders, intentKey);
    if (!intent) throw new IntentNotFoundError(intentKey);
    if (intent.appliedAt !== undefined) {
      throw new IntentConflictError(intentKey, FILLABLE, intent.status, 'its fill was already applied');
    }
    // An order cancelled after a partial fill left contracts at IB: they must become (or leave) a
    // position, so that fill is applied while the intent stays CANCELLED.
    const cancelledPart =
      intent.status === 'CANCELLED' && fill.filledQuantity > 0 && fill.filledQuantity < intent.quantity;
    if (!FILLABLE.includes(intent.status) && !cancelledPart) {
      throw new IntentConflictError(intentKey, FILLABLE, intent.status);
    }
    const next: OrderIntentStatus = cancelledPart
      ? 'CANCELLED'
      : fill.filledQuantity >= intent.quantity
        ? 'FILLED'
        : 'PARTIAL';
    if (intent.status === 'FILLED' && next === 'PARTIAL') {
      throw new IntentConflictError(
        intentKey,
        ['SUBMITTED', 'PARTIAL'],
        intent.status,
        'a partial fill of a filled order',
      );
    }
    return { intent, next };
  };

  const intentUpdate = (
    intent: OrderIntentRecord,
    next: OrderIntentStatus,
    fill: FillSummary,
    positionId: string,
    now: number,
  ) => {
    const update = statusChange(
      next,
      {
        status: next,
        at: now,
        reason: `fill applied to position ${positionId}`,
        filledQuantity: fill.filledQuantity,
      },
      {
        filledQuantity: fill.filledQuantity,
        avgFillPrice: fill.avgFillPrice,
        appliedAt: now,
        appliedPositionId: positionId,
      },
    );
    return {
      Update: {
        TableName: names.orders,
        Key: { intentKey: intent.intentKey },
        UpdateExpression: update.expression,
        ConditionExpression: '#status = :current AND attribute_not_exists(appliedAt)',
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: { ...update.values, ':current': intent.status },
      },
    };
  };

  /**
   * Runs a fill transaction whose second item is the intent update. When only the intent's condition
   * failed, its status moved between our read and the write (say SUBMITTED → FILLED by the status
   * poller): re-read and try again; a second applier finds `appliedAt` set and gets a clear conflict.
   */
  const applyFill = async <T>(
    intentKey: string,
    fill: FillSummary,
    build: (
      intent: OrderIntentRecord,
      next: OrderIntentStatus,
    ) => { items: object[]; result: () => Promise<T> },
    positionProblem: (code: string) => Error,
  ): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const { intent, next } = await fillableIntent(intentKey, fill);
      const { items, result } = build(intent, next);
      try {
        await withTransactionRetry(() =>
          doc.send(new TransactWriteCommand({ TransactItems: items as never })),
        );
        return await result();
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw error;
        if (codes[0] === 'ConditionalCheckFailed') throw positionProblem(codes[0]);
        if (codes[1] !== 'ConditionalCheckFailed') throw error;
        if (attempt < 3) continue;
        // Still moving under us after three reads: report what it is now rather than a raw SDK error.
        const current = await getIntent(doc, names.orders, intentKey);
        throw new IntentConflictError(
          intentKey,
          FILLABLE,
          current?.status,
          'it kept changing while the fill was applied',
        );
      }
    }
  };

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
