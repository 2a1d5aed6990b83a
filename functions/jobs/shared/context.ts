// The adapters a job needs, built ONCE per Lambda container (module-level lazy singleton) from the
// environment, and injectable for tests and local runs:
//
//   setJobContext(createJobContext({ stores, clock, alerter, bridgeUrl, bridgeSecret }))   // tests
//   jobContext()   // in a handler: the injected context, else one built from the environment
//
// Environment (set by the CDK stack):
//   TABLE_POSITIONS, TABLE_ORDERS, ... (one per table in functions/adapters/dynamo/tables.ts)
//   DYNAMODB_ENDPOINT   optional, DynamoDB Local for local runs
//   BRIDGE_URL          http://bridge.internal:8080
//   BRIDGE_SECRET       HMAC secret (a Secrets Manager ARN is a later step: see the jobs README)
//   ALERT_TOPIC_ARN     SNS topic; without it alerts go to the console (local runs)
// Each part is built on first use, so a job that never calls the bridge does not need BRIDGE_URL, and a
// missing variable fails with its name rather than later and less clearly.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { consoleAlerter } from '../../adapters/alerter';
import type { Alerter } from '../../adapters/alerter';
import { createBridgeClient } from '../../adapters/bridge-client';
import type { BridgeClient } from '../../adapters/bridge-client';
import { systemClock } from '../../adapters/clock';
import type { Clock } from '../../adapters/clock';
import { createDynamoStores, tableNames } from '../../adapters/dynamo';
import type { Stores } from '../../adapters/ports';
import { snsAlerter } from '../../adapters/sns-alerter';

export interface JobContext {
  stores: Stores;
  /** A bridge client that sends `priority` in `x-priority`; one client per priority is kept. */
  bridge(priority: number): BridgeClient;
  alerter: Alerter;
  clock: Clock;
  /** Powertools idempotency persistence (the idempotency table); undefined turns idempotency off. */
  idempotency: BasePersistenceLayer | undefined;
}

export interface JobContextOverrides {
  stores?: Stores;
  /** A whole bridge factory (tests with a fake bridge)... */
  bridge?: (priority: number) => BridgeClient;
  /** ...or where the real bridge is and its secret. */
  bridgeUrl?: string;
  bridgeSecret?: string;
  /** Per-request timeout of the bridge client, ms. */
  bridgeTimeoutMs?: number;
  alerter?: Alerter;
  clock?: Clock;
  /** `null` turns idempotency off; undefined builds it from the environment when the table is named. */
  idempotency?: BasePersistenceLayer | null;
  dynamoClient?: DynamoDBClient;
  env?: Readonly<Record<string, string | undefined>>;
}

function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}

/** Builds a context; whatever `overrides` does not give comes from the environment on first use. */
export function createJobContext(overrides: JobContextOverrides = {}): JobContext {
  const env = overrides.env ?? process.env;
  const clock = overrides.clock ?? systemClock;
  const dynamo = lazy(
    () =>
      overrides.dynamoClient ??
      new DynamoDBClient(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
  );
  const stores = lazy(
    () => overrides.stores ?? createDynamoStores({ client: dynamo(), names: tableNames(env) }),
  );
  const alerter = lazy(() => {
    if (overrides.alerter) return overrides.alerter;
    const topicArn = env.ALERT_TOPIC_ARN;
    return topicArn
      ? snsAlerter({ client: new SNSClient({}), topicArn, alertState: stores().alerts })
      : consoleAlerter({ store: stores().alerts });
  });
  const clients = new Map<number, BridgeClient>();
  const bridge = (priority: number): BridgeClient => {
    if (overrides.bridge) return overrides.bridge(priority);
    let client = clients.get(priority);
    if (!client) {
      client = createBridgeClient({
        baseUrl: overrides.bridgeUrl ?? required(env, 'BRIDGE_URL'),
        secret: overrides.bridgeSecret ?? required(env, 'BRIDGE_SECRET'),
        priority,
        now: () => clock.now(),
        ...(overrides.bridgeTimeoutMs === undefined ? {} : { timeoutMs: overrides.bridgeTimeoutMs }),
      });
      clients.set(priority, client);
    }
    return client;
  };
  const idempotency = lazy((): BasePersistenceLayer | undefined => {
    if (overrides.idempotency === null) return undefined;
    if (overrides.idempotency) return overrides.idempotency;
    const tableName = env.TABLE_IDEMPOTENCY;
    return tableName ? new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamo() }) : undefined;
  });
  return {
    get stores() {
      return stores();
    },
    bridge,
    get alerter() {
      return alerter();
    },
    clock,
    get idempotency() {
      return idempotency();
    },
  };
}

let current: JobContext | undefined;

/** The container's context: the injected one, else built from the environment once. */
export function jobContext(): JobContext {
  current ??= createJobContext();
  return current;
}

/** Injects a context for every handler of this process (tests, `npm run invoke`); undefined resets. */
export function setJobContext(context: JobContext | undefined): void {
  current = context;
}
