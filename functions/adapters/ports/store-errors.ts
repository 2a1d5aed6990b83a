// The stores' errors, typed so a job can tell "someone else got there first" from a broken store.
import type { OrderIntentStatus } from '#core/intents';

/** A conditional write lost a race or found the record in an unexpected state. Nothing was written. */
export class StoreConflictError extends Error {
  override name = 'StoreConflictError';
}

export class IntentConflictError extends StoreConflictError {
  override name = 'IntentConflictError';
  constructor(
    readonly key: string,
    readonly expected: readonly OrderIntentStatus[],
    /** The status found, or undefined when the intent does not exist. */
    readonly actual: OrderIntentStatus | undefined,
    detail?: string,
  ) {
    super(
      `order intent ${key}: expected status ${expected.join(' or ')}, found ${actual ?? 'no intent'}` +
        (detail ? ` (${detail})` : ''),
    );
  }
}

export class IntentNotFoundError extends Error {
  override name = 'IntentNotFoundError';
  constructor(readonly key: string) {
    super(`order intent ${key} does not exist`);
  }
}

export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
  constructor(
    readonly from: OrderIntentStatus,
    readonly to: OrderIntentStatus,
  ) {
    super(`order intent status cannot move from ${from} to ${to}`);
  }
}

export class PositionConflictError extends StoreConflictError {
  override name = 'PositionConflictError';
  constructor(
    readonly positionId: string,
    message: string,
  ) {
    super(`position ${positionId}: ${message}`);
  }
}

export class VersionConflictError extends StoreConflictError {
  override name = 'VersionConflictError';
  constructor(
    readonly positionId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      `position ${positionId}: expected version ${expectedVersion}, found ${actualVersion ?? 'no position'}`,
    );
  }
}
