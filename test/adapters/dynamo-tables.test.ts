// The one table definition: what DynamoDB Local builds from it matches it, the names resolve from a
// prefix or the Lambda environment, Powertools idempotency works on its table, and the local
// DynamoDB launcher fails clearly and leaves no java behind.
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { TABLE_IDS, TABLES, createTableInputs, tableNames } from '#adapters/dynamo/tables';
import { checkJava, startDynamoLocal } from '#scripts/local/dynamodb';
import { useTables } from '../support/dynamodb';

// TTL on, as in AWS: this file checks the tables are built exactly as defined.
const db = await useTables({ timeToLive: true });

describe('table definitions', () => {
  it('DynamoDB Local holds every table with the keys, indexes and TTL of the definition', async () => {
    for (const id of TABLE_IDS) {
      const table = TABLES[id];
      const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.names[id] }));
      const keyOf = (schema: { AttributeName?: string; KeyType?: string }[] | undefined, type: string) =>
        schema?.find((k) => k.KeyType === type)?.AttributeName;
      expect(keyOf(Table?.KeySchema, 'HASH')).toBe(table.partitionKey.name);
      expect(keyOf(Table?.KeySchema, 'RANGE')).toBe(table.sortKey?.name);
      const types = new Map(Table?.AttributeDefinitions?.map((a) => [a.AttributeName, a.AttributeType]));
      expect(types.get(table.partitionKey.name)).toBe(table.partitionKey.type);

      const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
        name: index.IndexName,
        hash: keyOf(index.KeySchema, 'HASH'),
        range: keyOf(index.KeySchema, 'RANGE'),
      }));
      expect(indexes.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual(
        table.globalIndexes
          .map((index) => ({ name: index.name, hash: index.partitionKey.name, range: index.sortKey?.name }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      );

      const ttl = await db.client.send(new DescribeTimeToLiveCommand({ TableName: db.names[id] }));
      expect(ttl.TimeToLiveDescription?.AttributeName).toBe(table.timeToLiveAttribute);
    }
  });

  it('gives every table a distinct name and environment variable', () => {
    const names = Object.values(tableNames('x'));
    expect(new Set(names).size).toBe(TABLE_IDS.length);
    expect(new Set(TABLE_IDS.map((id) => TABLES[id].envVar)).size).toBe(TABLE_IDS.length);
    expect(createTableInputs('x').map((input) => input.TableName)).toEqual(names);
  });

  it('resolves names from the Lambda environment and names every missing variable', () => {
    const env = Object.fromEntries(TABLE_IDS.map((id) => [TABLES[id].envVar, `Stack-${id}-ABC123`]));
    expect(tableNames(env).orders).toBe('Stack-orders-ABC123');
    const { TABLE_ORDERS: _orders, TABLE_CONFIG: _config, ...partial } = env;
    expect(() => tableNames(partial)).toThrow(/TABLE_ORDERS, TABLE_CONFIG|TABLE_CONFIG, TABLE_ORDERS/);
    expect(() => tableNames('bad prefix!')).toThrow(RangeError);
  });

  it('the idempotency table works with Powertools: a repeated payload runs the function once', async () => {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: db.names.idempotency,
      awsSdkV3Client: db.client,
    });
    let runs = 0;
    const execute = makeIdempotent(
      async (payload: { job: string; tradeDate: string }) => {
        runs++;
        return { placed: runs, job: payload.job };
      },
      { persistenceStore, config: new IdempotencyConfig({}) },
    );
    const first = await execute({ job: 'execute-strategies', tradeDate: '2026-02-02' });
    const second = await execute({ job: 'execute-strategies', tradeDate: '2026-02-02' });
    expect(runs).toBe(1);
    expect(second).toEqual(first);
    await execute({ job: 'execute-strategies', tradeDate: '2026-02-03' });
    expect(runs).toBe(2);
  });
});

describe('local DynamoDB launcher', () => {
  it('says Java >= 17 is needed when java is not on PATH', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => checkJava()).toThrow(/Java >= 17 is needed for DynamoDB Local/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('starts on a free port, answers, and leaves no java process after stop', async () => {
    const local = await startDynamoLocal({ port: 0 });
    expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(local.endpoint).not.toBe(inject('dynamoEndpoint'));
    const alive = () => {
      try {
        process.kill(local.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    await local.stop();
    expect(alive()).toBe(false);
    await local.stop(); // a second stop is harmless
  });
});
