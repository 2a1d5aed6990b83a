// The one definition of every DynamoDB table, as plain data. The CDK stack (lib/) builds its constructs
// from it, the adapters resolve table names from it, and the tests and the local stack create the same
// tables in DynamoDB Local from it, so keys and indexes cannot drift between them. No aws-cdk-lib and
// no runtime SDK import here: Lambda bundles include this file.
import type { CreateTableCommandInput, UpdateTimeToLiveCommandInput } from '@aws-sdk/client-dynamodb';

export type TableId =
  'positions' | 'orders' | 'candidates' | 'config' | 'snapshots' | 'alertState' | 'idempotency';

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N';
}

export interface GlobalIndex {
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** Every index projects ALL: the jobs read whole records from them. */
  projection: 'ALL';
}

export interface TableDefinition {
  id: TableId;
  /** Suffix of the physical name for a prefix (`<prefix>-<physicalSuffix>`), e.g. in DynamoDB Local. */
  physicalSuffix: string;
  /** Lambda environment variable holding the physical table name. */
  envVar: string;
  /** What it holds and its access patterns (the README's storage table is written from these). */
  description: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  globalIndexes: readonly GlobalIndex[];
  /** Attribute holding the expiry in epoch seconds, when items expire. */
  timeToLiveAttribute?: string;
  /**
   * Holds state that cannot be rebuilt from IB or recomputed (what the system decided and sent):
   * the stack retains it on delete and turns on point-in-time recovery.
   */
  critical: boolean;
}

/** Index names the adapters query; exported so the stack and the adapters agree. */
export const INDEX = {
  positionsByStatus: 'byStatus',
  ordersByTradeDate: 'byTradeDate',
  ordersByPosition: 'byPosition',
  ordersWorking: 'byWorkingStatus',
  candidatesByScore: 'byScore',
  snapshotsByDay: 'byKindDay',
} as const;

const S = (name: string): KeyAttribute => ({ name, type: 'S' });
const N = (name: string): KeyAttribute => ({ name, type: 'N' });

export const TABLES: Readonly<Record<TableId, TableDefinition>> = {
  positions: {
    id: 'positions',
    physicalSuffix: 'positions',
    envVar: 'TABLE_POSITIONS',
    description:
      'Strategy positions, one item per position (`id`). Get by id; open (or closed) positions by `status` ' +
      'via byStatus, oldest opening first. Writes are conditional on `version` or `status`; opening and ' +
      'closing from a fill are one transaction with the order intent.',
    partitionKey: S('id'),
    globalIndexes: [
      { name: INDEX.positionsByStatus, partitionKey: S('status'), sortKey: N('openedAt'), projection: 'ALL' },
    ],
    critical: true,
  },
  orders: {
    id: 'orders',
    physicalSuffix: 'orders',
    envVar: 'TABLE_ORDERS',
    description:
      'Order intents keyed by the deterministic intent key (`intentKey`), which is also the IB orderRef. ' +
      'Created with a conditional put (never twice); status changes conditional on the current status, ' +
      'with a history list. Intents of a trade date via byTradeDate; of a position via byPosition; ' +
      'possibly live ones (INTENT, SUBMITTED, PARTIAL) via the sparse byWorkingStatus index.',
    partitionKey: S('intentKey'),
    globalIndexes: [
      {
        name: INDEX.ordersByTradeDate,
        partitionKey: S('tradeDate'),
        sortKey: N('createdAt'),
        projection: 'ALL',
      },
      {
        name: INDEX.ordersByPosition,
        partitionKey: S('positionId'),
        sortKey: N('createdAt'),
        projection: 'ALL',
      },
      {
        name: INDEX.ordersWorking,
        partitionKey: S('workingStatus'),
        sortKey: N('createdAt'),
        projection: 'ALL',
      },
    ],
    critical: true,
  },
  candidates: {
    id: 'candidates',
    physicalSuffix: 'candidates',
    envVar: 'TABLE_CANDIDATES',
    description:
      'Every candidate strategy-analysis scored, per trade date (`tradeDate`, `id`), with its score ' +
      'breakdown and rejection reasons: the best per underlying as full items (all of a day by key, ' +
      'highest score first via byScore), and every candidate in gzip archive chunks (`~archive#SYMBOL#n`, ' +
      'no score, so outside byScore). Expire after 30 days.',
    partitionKey: S('tradeDate'),
    sortKey: S('id'),
    globalIndexes: [
      { name: INDEX.candidatesByScore, partitionKey: S('tradeDate'), sortKey: N('score'), projection: 'ALL' },
    ],
    timeToLiveAttribute: 'expiresAt',
    critical: false,
  },
  config: {
    id: 'config',
    physicalSuffix: 'config',
    envVar: 'TABLE_CONFIG',
    description:
      'The config, one item per section (`section`: trading, universe, filters, ...), value as JSON. ' +
      'Read whole and validated by the core schema on every read; a missing section takes defaults.',
    partitionKey: S('section'),
    globalIndexes: [],
    critical: true,
  },
  snapshots: {
    id: 'snapshots',
    physicalSuffix: 'snapshots',
    envVar: 'TABLE_SNAPSHOTS',
    description:
      'Time series (`series`, `at`): P&L per position (PNL#<position>), decisions with rule and inputs ' +
      '(DECISION#<position>), collected option metrics and futures quotes (<kind>#<symbol>). A series ' +
      'by time range; everything of a kind on a trade date via byKindDay. Expire after 90 days.',
    partitionKey: S('series'),
    sortKey: N('at'),
    globalIndexes: [
      { name: INDEX.snapshotsByDay, partitionKey: S('kindDay'), sortKey: N('at'), projection: 'ALL' },
    ],
    timeToLiveAttribute: 'expiresAt',
    critical: false,
  },
  alertState: {
    id: 'alertState',
    physicalSuffix: 'alert-state',
    envVar: 'TABLE_ALERT_STATE',
    description:
      'Last send per alert key (`alertKey`: position + rule) for cooldown and severity escalation, ' +
      'claimed with a conditional update; also "holding since" times of persisting conditions. ' +
      'Expire 7 days after the last write.',
    partitionKey: S('alertKey'),
    globalIndexes: [],
    timeToLiveAttribute: 'expiresAt',
    critical: false,
  },
  idempotency: {
    id: 'idempotency',
    physicalSuffix: 'idempotency',
    envVar: 'TABLE_IDEMPOTENCY',
    description:
      'Powertools idempotency records (partition key `id`, TTL `expiration`) keyed on job + trade date, ' +
      'so a retried invocation returns the first result instead of running again.',
    partitionKey: S('id'),
    globalIndexes: [],
    timeToLiveAttribute: 'expiration',
    critical: false,
  },
};

export const TABLE_IDS = Object.keys(TABLES) as TableId[];

/**
 * The stack's CloudFormation output holding a table's physical name (`positions` → PositionsTableName):
 * how `npm run report -- --aws` finds the deployed tables. Output ids are stable: renaming one breaks it.
 */
export function tableOutputName(id: TableId): string {
  return `${id.charAt(0).toUpperCase()}${id.slice(1)}TableName`;
}

/** Physical table names, by table id. */
export type TableNames = Readonly<Record<TableId, string>>;

/**
 * Physical table names from a prefix (`<prefix>-positions`, ...: DynamoDB Local, tests) or from the
 * Lambda environment (TABLE_POSITIONS, ...: the stack sets one variable per table). Throws naming every
 * missing variable, since a job with a missing table name would fail later and less clearly.
 */
export function tableNames(source: string | Readonly<Record<string, string | undefined>>): TableNames {
  if (typeof source === 'string') {
    if (!/^[A-Za-z0-9_.-]{1,200}$/.test(source)) {
      throw new RangeError(`table prefix ${JSON.stringify(source)} may hold only letters, digits, _ . -`);
    }
    return Object.fromEntries(
      TABLE_IDS.map((id) => [id, `${source}-${TABLES[id].physicalSuffix}`]),
    ) as TableNames;
  }
  const missing = TABLE_IDS.map((id) => TABLES[id].envVar).filter((name) => !source[name]);
  if (missing.length > 0) {
    throw new Error(`missing table name environment variable(s): ${missing.join(', ')}`);
  }
  return Object.fromEntries(TABLE_IDS.map((id) => [id, source[TABLES[id].envVar] as string])) as TableNames;
}

function attributeDefinitions(table: TableDefinition): { AttributeName: string; AttributeType: 'S' | 'N' }[] {
  const keys = [
    table.partitionKey,
    table.sortKey,
    ...table.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ].filter((key): key is KeyAttribute => key !== undefined);
  const byName = new Map<string, KeyAttribute>();
  for (const key of keys) {
    const seen = byName.get(key.name);
    if (seen && seen.type !== key.type) {
      throw new Error(`table ${table.id}: attribute ${key.name} is both ${seen.type} and ${key.type}`);
    }
    byName.set(key.name, key);
  }
  return [...byName.values()].map((key) => ({ AttributeName: key.name, AttributeType: key.type }));
}

function keySchema(partitionKey: KeyAttribute, sortKey: KeyAttribute | undefined) {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

/** CreateTable inputs (on-demand billing) for every table: tests and the local stack. */
export function createTableInputs(prefixOrNames: string | TableNames): CreateTableCommandInput[] {
  const names = typeof prefixOrNames === 'string' ? tableNames(prefixOrNames) : prefixOrNames;
  return TABLE_IDS.map((id) => {
    const table = TABLES[id];
    return {
      TableName: names[id],
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributeDefinitions(table),
      KeySchema: keySchema(table.partitionKey, table.sortKey),
      ...(table.globalIndexes.length > 0
        ? {
            GlobalSecondaryIndexes: table.globalIndexes.map((index) => ({
              IndexName: index.name,
              KeySchema: keySchema(index.partitionKey, index.sortKey),
              Projection: { ProjectionType: index.projection },
            })),
          }
        : {}),
    };
  });
}

/** UpdateTimeToLive inputs for the tables whose items expire (CreateTable cannot set TTL). */
export function timeToLiveInputs(prefixOrNames: string | TableNames): UpdateTimeToLiveCommandInput[] {
  const names = typeof prefixOrNames === 'string' ? tableNames(prefixOrNames) : prefixOrNames;
  return TABLE_IDS.flatMap((id) => {
    const attribute = TABLES[id].timeToLiveAttribute;
    return attribute
      ? [{ TableName: names[id], TimeToLiveSpecification: { AttributeName: attribute, Enabled: true } }]
      : [];
  });
}
