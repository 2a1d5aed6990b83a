// Applying a fill to a position and its order intent in one transaction: the intent must be in a
// status a fill can come from and not yet applied, and a race on its status is read again and retried.
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OrderIntentRecord, OrderIntentStatus } from '#core/intents';
import type { FillSummary } from '#core/lifecycle';
import { IntentConflictError, IntentNotFoundError } from '../ports';
import { getIntent, statusChange } from './order-intent-store';
import { cancellationCodes, withTransactionRetry } from './support';

/** Intent statuses a fill can be applied from (the status update may lag the fill event). */
export const FILLABLE: readonly OrderIntentStatus[] = ['SUBMITTED', 'PARTIAL', 'FILLED'];

/** A closing fill (close or reduce) must come from a closing intent. */
export function refuseOpeningIntent(intent: OrderIntentRecord, verb: 'close' | 'reduce'): void {
  if (intent.purpose === 'OPEN') {
    throw new IntentConflictError(
      intent.intentKey,
      FILLABLE,
      intent.status,
      `an OPEN intent cannot ${verb} a position`,
    );
  }
}

export function checkFill(fill: FillSummary): void {
  if (!(fill.filledQuantity > 0) || !Number.isFinite(fill.avgFillPrice)) {
    throw new RangeError('a fill needs a positive filledQuantity and a finite avgFillPrice');
  }
}

/** The fill transaction's parts for positions in one store, over the orders table `ordersTable`. */
export function fillTransaction(doc: DynamoDBDocumentClient, ordersTable: string) {
  /**
   * Reads the intent and checks a fill may be applied to it; returns its current status (the
   * transaction is conditional on exactly that status) and the status after this fill.
   */
  const fillableIntent = async (intentKey: string, fill: FillSummary) => {
    const intent = await getIntent(doc, ordersTable, intentKey);
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
        TableName: ordersTable,
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
        const current = await getIntent(doc, ordersTable, intentKey);
        throw new IntentConflictError(
          intentKey,
          FILLABLE,
          current?.status,
          'it kept changing while the fill was applied',
        );
      }
    }
  };

  return { intentUpdate, applyFill };
}
