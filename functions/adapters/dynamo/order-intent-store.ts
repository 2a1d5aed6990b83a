// Order intents: the orders table. An intent is born once (conditional put on its key, which is also
// the IB orderRef) and then moves only along INTENT_TRANSITIONS, each move conditional on the status
// the caller read, so two invocations racing on one order cannot both act on it.
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { INTENT_TRANSITIONS, WORKING_STATUSES } from '#core/intents';
import type { IntentHistoryEntry, OrderIntent, OrderIntentRecord, OrderIntentStatus } from '#core/intents';
import { IntentConflictError, IntentNotFoundError, InvalidTransitionError } from '../ports';
import type { OrderIntentStore } from '../ports';
import { INDEX } from './tables';
import { fromStored, isConditionFailure, queryAll, toStored } from './support';
import type { StoreOptions } from './support';

const isWorking = (status: OrderIntentStatus) => WORKING_STATUSES.includes(status);

/** The item of a record: `workingStatus` exists only while the order may be live (sparse index). */
export function intentItem(record: OrderIntentRecord): Record<string, unknown> {
  return {
    ...(toStored(record) as Record<string, unknown>),
    ...(isWorking(record.status) ? { workingStatus: record.status } : {}),
  };
}

export function intentFromItem(item: Record<string, unknown>): OrderIntentRecord {
  const { workingStatus: _working, ...rest } = item;
  return fromStored(rest) as OrderIntentRecord;
}

export async function getIntent(
  doc: DynamoDBDocumentClient,
  tableName: string,
  intentKey: string,
): Promise<OrderIntentRecord | undefined> {
  const result = await doc.send(
    new GetCommand({ TableName: tableName, Key: { intentKey }, ConsistentRead: true }),
  );
  return result.Item ? intentFromItem(result.Item) : undefined;
}

function checkIntent(intent: OrderIntent): void {
  if (!Number.isInteger(intent.quantity) || intent.quantity <= 0) {
    throw new RangeError(`order intent ${intent.intentKey}: quantity must be a positive integer`);
  }
  if (!Number.isFinite(intent.limitPrice)) {
    throw new RangeError(`order intent ${intent.intentKey}: limitPrice must be a finite number`);
  }
  // Only the shares of an assigned holding trade without an option leg (their conId is in `holding`).
  if (intent.legs.length === 0 && intent.holding?.kind !== 'STOCK')
    throw new RangeError(`order intent ${intent.intentKey}: no legs`);
}

/** The SET / REMOVE clauses of a status change, shared by transition() and the fill transactions. */
export function statusChange(
  to: OrderIntentStatus,
  entry: IntentHistoryEntry,
  extra: Record<string, unknown>,
): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const names: Record<string, string> = {
    '#status': 'status',
    '#history': 'history',
    '#updatedAt': 'updatedAt',
  };
  const values: Record<string, unknown> = {
    ':to': to,
    ':entry': [toStored(entry)],
    ':updatedAt': entry.at,
  };
  const sets = ['#status = :to', '#history = list_append(#history, :entry)', '#updatedAt = :updatedAt'];
  for (const [field, value] of Object.entries(extra)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = toStored(value);
    sets.push(`#${field} = :${field}`);
  }
  names['#workingStatus'] = 'workingStatus';
  let expression: string;
  if (isWorking(to)) {
    values[':working'] = to;
    expression = `SET ${[...sets, '#workingStatus = :working'].join(', ')}`;
  } else {
    expression = `SET ${sets.join(', ')} REMOVE #workingStatus`;
  }
  return { expression, names, values };
}

export function dynamoOrderIntentStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: StoreOptions = {},
): OrderIntentStore {
  const conflict = async (intentKey: string, expected: readonly OrderIntentStatus[], detail?: string) => {
    const current = await getIntent(doc, tableName, intentKey);
    if (!current) return new IntentNotFoundError(intentKey);
    return new IntentConflictError(intentKey, expected, current.status, detail);
  };

  const listBy = async (indexName: string, keyName: string, keyValue: string) =>
    (
      await queryAll(
        doc,
        {
          TableName: tableName,
          IndexName: indexName,
          KeyConditionExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': keyName },
          ExpressionAttributeValues: { ':k': keyValue },
        },
        options.pageSize,
      )
    ).map(intentFromItem);

  return {
    async create(intent, now) {
      checkIntent(intent);
      const record: OrderIntentRecord = {
        ...intent,
        status: 'INTENT',
        createdAt: now,
        updatedAt: now,
        filledQuantity: 0,
        repriceCount: 0,
        history: [{ status: 'INTENT', at: now, reason: intent.reason }],
      };
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: intentItem(record),
            ConditionExpression: 'attribute_not_exists(intentKey)',
          }),
        );
        return { created: true, intent: record };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const existing = await getIntent(doc, tableName, intent.intentKey);
        // Only a delete between the failed put and this read could get here; not silently "created".
        if (!existing)
          throw new Error(`order intent ${intent.intentKey} existed and vanished`, { cause: error });
        return { created: false, existing };
      }
    },

    get: (intentKey) => getIntent(doc, tableName, intentKey),

    async transition(intentKey, change) {
      const from: readonly OrderIntentStatus[] =
        typeof change.from === 'string' ? [change.from] : change.from;
      if (from.length === 0) throw new RangeError('transition needs at least one expected status');
      for (const status of from) {
        if (!INTENT_TRANSITIONS[status].includes(change.to))
          throw new InvalidTransitionError(status, change.to);
      }
      if (change.to === 'SUBMITTED' && change.orderId === undefined) {
        throw new RangeError(`order intent ${intentKey}: SUBMITTED needs the IB orderId`);
      }
      if (change.to === 'PARTIAL' && !(change.filledQuantity !== undefined && change.filledQuantity > 0)) {
        throw new RangeError(`order intent ${intentKey}: PARTIAL needs the filled quantity`);
      }
      const entry: IntentHistoryEntry = {
        status: change.to,
        at: change.now,
        ...(change.reason !== undefined ? { reason: change.reason } : {}),
        ...(change.orderId !== undefined ? { orderId: change.orderId } : {}),
        ...(change.filledQuantity !== undefined ? { filledQuantity: change.filledQuantity } : {}),
      };
      const update = statusChange(change.to, entry, {
        orderId: change.orderId,
        filledQuantity: change.filledQuantity,
        avgFillPrice: change.avgFillPrice,
        statusReason: change.reason,
      });
      const fromValues: Record<string, unknown> = Object.fromEntries(
        from.map((status, i) => [`:from${i}`, status]),
      );
      let condition = `attribute_exists(intentKey) AND #status IN (${Object.keys(fromValues).join(', ')})`;
      if (change.filledQuantity !== undefined) {
        // Fills only grow; a PARTIAL → PARTIAL move must add some, so a repeated fill event is a conflict
        // and two racing updates cannot both land (the later one with a smaller quantity).
        condition +=
          change.to === 'PARTIAL'
            ? ' AND #filledQuantity < :filledQuantity'
            : ' AND #filledQuantity <= :filledQuantity';
      }
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { intentKey },
            UpdateExpression: update.expression,
            ConditionExpression: condition,
            ExpressionAttributeNames: update.names,
            ExpressionAttributeValues: { ...update.values, ...fromValues },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return intentFromItem(result.Attributes ?? {});
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = await getIntent(doc, tableName, intentKey);
        if (!current) throw new IntentNotFoundError(intentKey);
        const detail = from.includes(current.status)
          ? `moving to ${change.to}: filled quantity is already ${current.filledQuantity}, not below ${change.filledQuantity}`
          : `moving to ${change.to}`;
        throw new IntentConflictError(intentKey, from, current.status, detail);
      }
    },

    async recordReprice(intentKey, { limitPrice, now }) {
      if (!Number.isFinite(limitPrice)) throw new RangeError('limitPrice must be a finite number');
      const expected: OrderIntentStatus[] = ['SUBMITTED', 'PARTIAL'];
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { intentKey },
            UpdateExpression: 'SET limitPrice = :price, repriceCount = repriceCount + :one, updatedAt = :now',
            ConditionExpression: 'attribute_exists(intentKey) AND #status IN (:s0, :s1)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':price': limitPrice,
              ':one': 1,
              ':now': now,
              ':s0': 'SUBMITTED',
              ':s1': 'PARTIAL',
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return intentFromItem(result.Attributes ?? {});
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        throw await conflict(intentKey, expected, 'repricing');
      }
    },

    listByTradeDate: (tradeDate) => listBy(INDEX.ordersByTradeDate, 'tradeDate', tradeDate),

    listByPosition: (positionId) => listBy(INDEX.ordersByPosition, 'positionId', positionId),

    async listWorking() {
      const lists = await Promise.all(
        WORKING_STATUSES.map((status) => listBy(INDEX.ordersWorking, 'workingStatus', status)),
      );
      // The index is eventually consistent: an intent moving SUBMITTED → PARTIAL can show up under both.
      const latest = new Map<string, OrderIntentRecord>();
      for (const intent of lists.flat()) {
        const seen = latest.get(intent.intentKey);
        if (!seen || seen.updatedAt < intent.updatedAt) latest.set(intent.intentKey, intent);
      }
      return [...latest.values()].sort((a, b) => a.createdAt - b.createdAt);
    },
  };
}
