// The DynamoDB implementations of the persistence ports. Jobs build them once per container:
//   const stores = createDynamoStores({ client: new DynamoDBClient({}), names: tableNames(process.env) });
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Stores } from '../ports';
import { dynamoAlertStateStore } from './alert-state-store';
import { dynamoCandidateStore } from './candidate-store';
import { dynamoConfigStore } from './config-store';
import { dynamoOrderIntentStore } from './order-intent-store';
import { dynamoPositionStore } from './position-store';
import { dynamoSnapshotStore } from './snapshot-store';
import { documentClient } from './support';
import type { StoreOptions } from './support';
import type { TableNames } from './tables';

export interface DynamoStoresOptions extends StoreOptions {
  /** Days scored candidates are kept (TTL); 30 by default. */
  candidateTtlDays?: number;
  /** Days P&L snapshots, decisions and market data are kept (TTL); 90 by default. */
  snapshotTtlDays?: number;
}

export function createDynamoStores({
  client,
  names,
  options = {},
}: {
  client: DynamoDBClient;
  names: TableNames;
  options?: DynamoStoresOptions;
}): Stores {
  const doc = documentClient(client);
  return {
    config: dynamoConfigStore(doc, names.config),
    positions: dynamoPositionStore(doc, names, options),
    intents: dynamoOrderIntentStore(doc, names.orders, options),
    candidates: dynamoCandidateStore(doc, names.candidates, {
      ...options,
      ttlDays: options.candidateTtlDays,
    }),
    snapshots: dynamoSnapshotStore(doc, names.snapshots, { ...options, ttlDays: options.snapshotTtlDays }),
    alerts: dynamoAlertStateStore(doc, names.alertState),
  };
}

export { documentClient, localDynamoClient } from './support';
export type { StoreOptions } from './support';
export {
  createTableInputs,
  INDEX,
  TABLE_IDS,
  TABLES,
  tableNames,
  tableOutputName,
  timeToLiveInputs,
} from './tables';
export type { TableDefinition, TableId, TableNames } from './tables';
export { ensureTables, deleteTables } from './provision';
