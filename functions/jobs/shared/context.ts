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
//   BRIDGE_SECRET       HMAC secret (local runs), or
//   BRIDGE_SECRET_ARN   the Secrets Manager secret holding it (deployed): read on the first bridge request
//                       and cached for BRIDGE_SECRET_MAX_AGE_MS, so a rotated secret is picked up by warm
//                       containers too (a failed read is retried). Signs the read routes.
//   BRIDGE_ORDER_SECRET / BRIDGE_ORDER_SECRET_ARN   the same for the order routes (POST/PUT/DELETE
//                       /orders*); set only on execute-strategies and monitor. A job without it fails on
//                       its first order call with an error naming the variables.
//   ALERT_TOPIC_ARN     SNS topic; without it alerts go to the console (local runs)
//   GATEWAY_HOURS       `market` when the gateway runs only around the session (core/gateway-hours.ts)
// Each part is built on first use, so a job that never calls the bridge does not need BRIDGE_URL, and a
// missing variable fails with its name rather than later and less clearly.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { consoleAlerter } from '#adapters/alerter';
import type { Alerter } from '#adapters/alerter';
import { createBridgeClient } from '#adapters/bridge-client';
import type { BridgeClient } from '#adapters/bridge-client';
import { systemClock } from '#adapters/clock';
import type { Clock } from '#adapters/clock';
import { createDynamoStores, tableNames } from '#adapters/dynamo/index';
import type { Stores } from '#adapters/ports';
import { snsAlerter } from '#adapters/sns-alerter';
import { gatewayHoursSchema } from '#core/gateway-hours';
import type { GatewayHours } from '#core/gateway-hours';

export interface JobContext {
  stores: Stores;
  /** A bridge client that sends `priority` in `x-priority`; one client per priority is kept. */
  bridge(priority: number): BridgeClient;
  alerter: Alerter;
  clock: Clock;
  /** Powertools idempotency persistence (the idempotency table); undefined turns idempotency off. */
  idempotency: BasePersistenceLayer | undefined;
  /** When the gateway runs (GATEWAY_HOURS, default always). */
  gatewayHours: GatewayHours;
}

export interface JobContextOverrides {
  stores?: Stores;
  /** A whole bridge factory (tests with a fake bridge)... */
  bridge?: (priority: number) => BridgeClient;
  /** ...or where the real bridge is and its secret. */
  bridgeUrl?: string;
  bridgeSecret?: string;
  /** The order routes' secret (jobs that trade). */
  bridgeOrderSecret?: string;
  /** Per-request timeout of the bridge client, ms. */
  bridgeTimeoutMs?: number;
  alerter?: Alerter;
  clock?: Clock;
  /** `null` turns idempotency off; undefined builds it from the environment when the table is named. */
  idempotency?: BasePersistenceLayer | null;
  dynamoClient?: DynamoDBClient;
  /** The Secrets Manager client that reads `BRIDGE_SECRET_ARN` (tests pass a mocked one). */
  secretsManager?: SecretsManagerClient;
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

/**
 * How long a job container signs with the bridge secret it read before reading it again. After a rotation
 * (README: Rotating the bridge secret) warm containers keep signing with the old secret for at most this
 * long, which the bridge accepts as its previous secret. Five minutes: one GetSecretValue per container
 * per five minutes costs nothing worth counting, and the overlap stays short.
 */
export const BRIDGE_SECRET_MAX_AGE_MS = 5 * 60_000;

export interface SecretCacheOptions {
  /** Epoch ms, for the cache age (the job context's clock). */
  now?: () => number;
  maxAgeMs?: number;
}

/**
 * The bridge secret from Secrets Manager, shared by every bridge client: read on first use, then again
 * once the value is `maxAgeMs` old (concurrent requests share one read). A failed first read is not
 * cached, so the next request tries again; a failed re-read keeps signing with the value it has (a
 * Secrets Manager hiccup must not cut the jobs off from the bridge) and tries again on the next request.
 * The secret is a plain SecretString, or a JSON object with a `secret` (or `BRIDGE_SECRET`) field. Error
 * messages name the ARN, never the value.
 */
export function secretFromSecretsManager(
  client: SecretsManagerClient,
  secretId: string,
  options: SecretCacheOptions = {},
): () => Promise<string> {
  const now = options.now ?? (() => Date.now());
  const maxAgeMs = options.maxAgeMs ?? BRIDGE_SECRET_MAX_AGE_MS;
  let cached: { value: string; readAt: number } | undefined;
  let reading: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    let text: string | undefined;
    try {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      text = answer.SecretString;
    } catch (error) {
      throw new Error(
        `could not read the bridge secret ${secretId} from Secrets Manager: ${error instanceof Error ? error.name : 'error'}`,
        { cause: error },
      );
    }
    if (!text) throw new Error(`the bridge secret ${secretId} has no SecretString`);
    if (text.trimStart().startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(`the bridge secret ${secretId} looks like JSON but does not parse`);
      }
      const record = parsed as Record<string, unknown>;
      const value = record.secret ?? record.BRIDGE_SECRET;
      if (typeof value !== 'string' || value.length === 0) {
        throw new Error(`the bridge secret ${secretId} is JSON without a "secret" field`);
      }
      return value;
    }
    return text;
  };
  return () => {
    if (cached && now() - cached.readAt < maxAgeMs) return Promise.resolve(cached.value);
    if (!reading) {
      // The age counts from the start of the read: the value is at least that fresh.
      const startedAt = now();
      reading = read()
        .then(
          (value) => {
            cached = { value, readAt: startedAt };
            return value;
          },
          (error: unknown) => {
            if (cached) return cached.value;
            throw error;
          },
        )
        .finally(() => {
          reading = undefined;
        });
    }
    return reading;
  };
}

/**
 * The jobs' DynamoDB client (the stores and the idempotency layer share it). Always the IPv4 endpoint:
 * in the `egress=ipv6` layout AWS_USE_DUALSTACK_ENDPOINT turns the other clients to IPv6, but DynamoDB stays
 * on the VPC's free gateway endpoint, whose route (DynamoDB's IPv4 prefix list) the dual-stack host would
 * bypass for the public endpoint over IPv6 (lib/network.ts).
 */
export function dynamoDbClient(env: Readonly<Record<string, string | undefined>>): DynamoDBClient {
  return new DynamoDBClient({
    useDualstackEndpoint: false,
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
  });
}

/** Builds a context; whatever `overrides` does not give comes from the environment on first use. */
export function createJobContext(overrides: JobContextOverrides = {}): JobContext {
  const env = overrides.env ?? process.env;
  const clock = overrides.clock ?? systemClock;
  const dynamo = lazy(() => overrides.dynamoClient ?? dynamoDbClient(env));
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
  // BRIDGE_SECRET wins (local runs); else BRIDGE_SECRET_ARN, cached and shared by all clients.
  const bridgeSecret = lazy((): string | (() => Promise<string>) => {
    if (overrides.bridgeSecret !== undefined) return overrides.bridgeSecret;
    if (env.BRIDGE_SECRET) return env.BRIDGE_SECRET;
    const arn = env.BRIDGE_SECRET_ARN;
    if (!arn) throw new Error('missing environment variable BRIDGE_SECRET or BRIDGE_SECRET_ARN');
    return secretFromSecretsManager(overrides.secretsManager ?? new SecretsManagerClient({}), arn, {
      now: () => clock.now(),
    });
  });
  // The order secret the same way; absent on jobs that never trade.
  const bridgeOrderSecret = lazy((): string | (() => Promise<string>) | undefined => {
    if (overrides.bridgeOrderSecret !== undefined) return overrides.bridgeOrderSecret;
    if (env.BRIDGE_ORDER_SECRET) return env.BRIDGE_ORDER_SECRET;
    const arn = env.BRIDGE_ORDER_SECRET_ARN;
    if (!arn) return undefined;
    return secretFromSecretsManager(overrides.secretsManager ?? new SecretsManagerClient({}), arn, {
      now: () => clock.now(),
    });
  });
  const clients = new Map<number, BridgeClient>();
  const bridge = (priority: number): BridgeClient => {
    if (overrides.bridge) return overrides.bridge(priority);
    let client = clients.get(priority);
    if (!client) {
      client = createBridgeClient({
        baseUrl: overrides.bridgeUrl ?? required(env, 'BRIDGE_URL'),
        secret: bridgeSecret(),
        orderSecret: bridgeOrderSecret(),
        missingOrderSecret:
          'missing environment variable BRIDGE_ORDER_SECRET or BRIDGE_ORDER_SECRET_ARN (only execute-strategies and monitor may place, modify or cancel orders)',
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
    get gatewayHours() {
      return gatewayHoursSchema.parse(env.GATEWAY_HOURS ?? 'always');
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
