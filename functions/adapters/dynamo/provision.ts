// Creates the tables of tables.ts in a DynamoDB endpoint that has none (DynamoDB Local for tests,
// `npm start` and `npm run invoke`). In AWS the CDK stack owns the tables; nothing calls this there.
import {
  CreateTableCommand,
  DeleteTableCommand,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInputs, TABLE_IDS, timeToLiveInputs } from './tables';
import type { TableNames } from './tables';

async function existingTables(client: DynamoDBClient): Promise<Set<string>> {
  const names = new Set<string>();
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const name of page.TableNames ?? []) names.add(name);
    start = page.LastEvaluatedTableName;
  } while (start);
  return names;
}

/**
 * Creates every missing table (with its indexes, and TTL unless `timeToLive: false`); returns the names
 * it created. DynamoDB Local really deletes expired items, so a run on a simulated clock in the past
 * (tests, an accelerated replay of an old day) must turn TTL off or watch its records vanish.
 */
export async function ensureTables(
  client: DynamoDBClient,
  names: TableNames,
  options: { timeToLive?: boolean } = {},
): Promise<string[]> {
  const existing = await existingTables(client);
  const missing = createTableInputs(names).filter((input) => !existing.has(input.TableName ?? ''));
  await Promise.all(missing.map((input) => client.send(new CreateTableCommand(input))));
  await Promise.all(
    missing.map((input) =>
      waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: input.TableName }),
    ),
  );
  const created = new Set(missing.map((input) => input.TableName));
  if (options.timeToLive === false) return [...created].filter((name): name is string => name !== undefined);
  await Promise.all(
    timeToLiveInputs(names)
      .filter((input) => created.has(input.TableName))
      .map((input) => client.send(new UpdateTimeToLiveCommand(input))),
  );
  return [...created].filter((name): name is string => name !== undefined);
}

/** Deletes the tables (a test file's own prefix when it is done); missing ones are ignored. */
export async function deleteTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const existing = await existingTables(client);
  await Promise.all(
    TABLE_IDS.map((id) => names[id])
      .filter((name) => existing.has(name))
      .map((name) => client.send(new DeleteTableCommand({ TableName: name }))),
  );
}
