// Alert cooldown and escalation. Claiming an alert is one conditional update, so when two monitor runs
// overlap exactly one of them sends it. Item: { alertKey, severity, severityRank, lastSentAt, sentCount,
// holdingSince?, expiresAt }.
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertSeverity } from '#core/types';
import type { AlertStateRecord, AlertStateStore } from '../ports';
import { expiresAt, isConditionFailure } from './support';

export const ALERT_STATE_TTL_DAYS = 7;

export const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { INFO: 1, WARNING: 2, CRITICAL: 3 };

const MINUTE_MS = 60_000;

export function dynamoAlertStateStore(doc: DynamoDBDocumentClient, tableName: string): AlertStateStore {
  const get = async (key: string): Promise<AlertStateRecord | undefined> => {
    const result = await doc.send(
      new GetCommand({ TableName: tableName, Key: { alertKey: key }, ConsistentRead: true }),
    );
    const item = result.Item;
    // An item holding only a "holding since" time has never sent anything.
    if (!item || typeof item.lastSentAt !== 'number') return undefined;
    return {
      key,
      severity: item.severity as AlertSeverity,
      lastSentAt: item.lastSentAt,
      sentCount: Number(item.sentCount ?? 0),
    };
  };

  return {
    get,

    async tryClaimAlert(key, severity, now, cooldownMinutes) {
      const rank = SEVERITY_RANK[severity];
      if (rank === undefined) throw new RangeError(`unknown alert severity ${String(severity)}`);
      if (!(cooldownMinutes >= 0)) throw new RangeError('cooldownMinutes must be ≥ 0');
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { alertKey: key },
            UpdateExpression:
              'SET severity = :severity, severityRank = :rank, lastSentAt = :now, ' +
              'sentCount = if_not_exists(sentCount, :zero) + :one, expiresAt = :expires',
            // Sent never, or at least a cooldown ago, or now at a higher severity (escalation).
            ConditionExpression:
              'attribute_not_exists(lastSentAt) OR lastSentAt <= :cutoff OR severityRank < :rank',
            ExpressionAttributeValues: {
              ':severity': severity,
              ':rank': rank,
              ':now': now,
              ':zero': 0,
              ':one': 1,
              ':cutoff': now - cooldownMinutes * MINUTE_MS,
              ':expires': expiresAt(now, ALERT_STATE_TTL_DAYS),
            },
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = await get(key);
        if (!current)
          throw new Error(`alert state ${key} refused a claim and has no record`, { cause: error });
        return { claimed: false, current };
      }
    },

    async clear(key) {
      await doc.send(new DeleteCommand({ TableName: tableName, Key: { alertKey: key } }));
    },

    async holdingSince(key, now) {
      const result = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { alertKey: key },
          UpdateExpression: 'SET holdingSince = if_not_exists(holdingSince, :now), expiresAt = :expires',
          ExpressionAttributeValues: { ':now': now, ':expires': expiresAt(now, ALERT_STATE_TTL_DAYS) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Number(result.Attributes?.holdingSince);
    },
  };
}
