// The DynamoDB tables, built from the one plain-data definition in functions/adapters/dynamo/tables.ts
// that the adapters, DynamoDB Local and the tests use too, so keys and indexes cannot drift.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLE_IDS, TABLES } from '#adapters/dynamo/tables';
import type { KeyAttribute, TableId } from '#adapters/dynamo/tables';

/**
 * The DynamoDB actions each table's adapter calls (functions/adapters/dynamo/*-store.ts; a transaction's
 * items are authorised as their PutItem/UpdateItem), split into reads and writes: a job gets these and no
 * more, so no DeleteItem, BatchWriteItem or Scan where no store uses them (jobs.test.ts reads the adapters'
 * sources to keep this list honest).
 */
export const TABLE_ACTIONS: Readonly<Record<TableId, { read: readonly string[]; write: readonly string[] }>> =
  {
    // get, listOpen/byStatus; create and the fill transactions (Put/Update), update, markClosed.
    positions: {
      read: ['dynamodb:GetItem', 'dynamodb:Query'],
      write: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    },
    // get, by trade date/position/working; conditional create, status transitions, reprices.
    orders: {
      read: ['dynamodb:GetItem', 'dynamodb:Query'],
      write: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    },
    // get, listTop/listByTradeDate; batched puts, and deleting the day's stale archive chunks.
    candidates: {
      read: ['dynamodb:GetItem', 'dynamodb:Query'],
      write: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'],
    },
    // series queries; single and batched puts.
    snapshots: { read: ['dynamodb:Query'], write: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'] },
    // loadConfig scans the few section items; only the operator's scripts write it.
    config: { read: ['dynamodb:Scan'], write: [] },
    // get; conditional claims (UpdateItem) and clear (DeleteItem).
    alertState: { read: ['dynamodb:GetItem'], write: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
    // Powertools' DynamoDBPersistenceLayer: get, conditional put, update on success, delete on failure.
    idempotency: {
      read: ['dynamodb:GetItem'],
      write: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    },
  };

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

export class Storage extends Construct {
  readonly tables: Readonly<Record<TableId, dynamodb.Table>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const tables = {} as Record<TableId, dynamodb.Table>;
    for (const tableId of TABLE_IDS) {
      const definition = TABLES[tableId];
      const table = new dynamodb.Table(this, tableId, {
        // No physical name: CloudFormation names it, so two stacks can live in one account; the jobs get
        // the names through their TABLE_* environment variables.
        partitionKey: attribute(definition.partitionKey),
        ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
        // On for every table: at this volume it costs cents, and a bad job run can be undone on any table.
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        // Positions, order intents and config record what the system decided and sent; they cannot be
        // rebuilt from IB, so deleting the stack keeps them. The rest expire or can be recomputed.
        removalPolicy: definition.critical ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      for (const index of definition.globalIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey),
          ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      tables[tableId] = table;
    }
    this.tables = tables;
  }

  /**
   * The TABLE_* variables `tableNames(process.env)` reads: every table, in every job, because the adapter
   * refuses to start with any of them missing. Access is granted per job, separately.
   */
  environment(): Record<string, string> {
    return Object.fromEntries(
      TABLE_IDS.map((tableId) => [TABLES[tableId].envVar, this.tables[tableId].tableName]),
    );
  }

  /** The table's read actions (TABLE_ACTIONS) on the table and its indexes. */
  grantRead(grantee: IGrantable, tableId: TableId): void {
    this.tables[tableId].grant(grantee, ...TABLE_ACTIONS[tableId].read);
  }

  /** The table's read and write actions (TABLE_ACTIONS). */
  grantReadWrite(grantee: IGrantable, tableId: TableId): void {
    const { read, write } = TABLE_ACTIONS[tableId];
    this.tables[tableId].grant(grantee, ...read, ...write);
  }
}
