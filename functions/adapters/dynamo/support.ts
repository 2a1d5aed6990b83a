// Shared plumbing of the DynamoDB repositories: the document client's marshalling, numbers DynamoDB
// cannot hold, paging, batch writes with retry, and recognising a lost conditional write.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Options every repository shares. */
export interface StoreOptions {
  /** Items per Query page; only tests set it (a small page proves paging works). */
  pageSize?: number;
  /** Attempts for a batch whose items DynamoDB left unprocessed (throttling). */
  batchMaxAttempts?: number;
  /** First backoff delay in ms; doubles per attempt, with jitter. */
  batchBaseDelayMs?: number;
}

/**
 * The document client the repositories use. Note that lib-dynamodb stores its marshalling options on
 * the shared client config: give the stores a DynamoDBClient of their own rather than one another
 * DocumentClient (with other options) is built on.
 */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  const doc = DynamoDBDocumentClient.from(client, {
    // Optional fields are left out of items rather than failing the write.
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: false },
  });
  // A single write to an item that a transaction is changing is refused with TransactionConflictException
  // (say a status update racing a fill transaction). It was not applied, the SDK does not retry it, and
  // once the transaction is done the write either succeeds or fails its own condition: so retry it.
  const send = doc.send.bind(doc) as (command: unknown, options?: unknown) => Promise<unknown>;
  doc.send = (async (command: unknown, options?: unknown) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(command, options);
      } catch (error) {
        const conflict = error instanceof Error && error.name === 'TransactionConflictException';
        if (!conflict || attempt >= 6) throw error;
        await sleep(20 * 2 ** (attempt - 1) * (0.5 + Math.random()));
      }
    }
  }) as typeof doc.send;
  return doc;
}

/**
 * A client for DynamoDB Local (tests, `npm start`, `npm run invoke`). Dummy credentials: DynamoDB Local
 * checks only their shape, and real ones must never be needed (or found) for a local run.
 */
export function localDynamoClient(endpoint: string, extra: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    ...extra,
  });
}

// DynamoDB numbers cannot be NaN or ±Infinity, and the SDK refuses integers beyond 2^53. A decision's
// inputs can hold NaN (pctOfMaxProfit without a credit; minutes to close on a holiday), and failing the
// monitor's write over that would lose the record that explains the decision. So such numbers are stored
// as strings; NaN and ±Infinity come back as numbers on read.
const SPECIAL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
]);

export function toStored(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value : String(value);
  }
  if (Array.isArray(value)) return value.map(toStored);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toStored(inner)]));
  }
  return value;
}

export function fromStored(value: unknown): unknown {
  if (typeof value === 'string') return SPECIAL_NUMBERS.get(value) ?? value;
  if (Array.isArray(value)) return value.map(fromStored);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fromStored(inner)]));
  }
  return value;
}

/** Epoch seconds for a TTL attribute, `days` after `at` (epoch ms). */
export function expiresAt(at: number, days: number): number {
  return Math.floor(at / 1000) + Math.round(days * 86_400);
}

/** Every item of a query, following LastEvaluatedKey past DynamoDB's 1 MB page limit. */
export async function queryAll(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
  pageSize?: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        ...input,
        ...(pageSize ? { Limit: pageSize } : {}),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * Items of a query until `limit` of them matched, following pages (a filter can leave a page empty
 * while more matches follow).
 */
export async function queryLimited(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit: number,
  pageSize?: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        ...input,
        Limit: pageSize ?? Math.max(limit, 25),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items.slice(0, limit);
}

export const BATCH_SIZE = 25;

/**
 * Puts every item, 25 per BatchWriteItem (DynamoDB's limit), retrying UnprocessedItems with exponential
 * backoff and jitter. Items with the same key are collapsed (last wins): DynamoDB rejects a batch that
 * names one key twice. Throws when items are still unprocessed after the last attempt, so a caller never
 * believes a partial write was whole.
 */
export async function batchPutAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
  keyOf: (item: Record<string, unknown>) => string,
  options: StoreOptions = {},
): Promise<number> {
  const unique = [...new Map(items.map((item) => [keyOf(item), item])).values()];
  const maxAttempts = options.batchMaxAttempts ?? 8;
  const baseDelayMs = options.batchBaseDelayMs ?? 50;
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_SIZE) chunks.push(unique.slice(i, i + BATCH_SIZE));

  const writeChunk = async (chunk: Record<string, unknown>[]) => {
    let requests = chunk.map((item) => ({ PutRequest: { Item: item } }));
    for (let attempt = 1; ; attempt++) {
      const result = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      const left = result.UnprocessedItems?.[tableName] ?? [];
      if (left.length === 0) return;
      if (attempt >= maxAttempts) {
        throw new Error(
          `${tableName}: ${left.length} item(s) still unprocessed after ${maxAttempts} attempts`,
        );
      }
      requests = left as typeof requests;
      await sleep(baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  };

  // A few batches in flight: thousands of candidates should not take a round trip each in sequence.
  const inFlight = 4;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, chunks.length) }, async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as Record<string, unknown>[];
        await writeChunk(chunk);
      }
    }),
  );
  return unique.length;
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** The per-item reasons of a cancelled transaction, e.g. ['None', 'ConditionalCheckFailed']. */
export function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  if (reasons) return reasons.map((reason) => reason.Code ?? 'None');
  // Some endpoints put the reasons only in the message: "... [None, ConditionalCheckFailed]".
  const match = /\[([^\]]*)\]/.exec(error.message);
  return match?.[1]?.split(',').map((code) => code.trim()) ?? [];
}

/**
 * Runs a transaction, retrying when it collided with another transaction on the same items
 * (TransactionConflict): a collision says nothing about our conditions, so after the other one
 * finishes ours either succeeds or fails its condition properly.
 */
export async function withTransactionRetry<T>(run: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const codes = cancellationCodes(error);
      const conflictOnly =
        codes !== undefined &&
        codes.includes('TransactionConflict') &&
        !codes.includes('ConditionalCheckFailed');
      if (!conflictOnly || attempt >= attempts) throw error;
      await sleep(20 * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}
