// Test helper: every table of tables.ts, created in the run's DynamoDB Local under a prefix unique to
// the calling test file, so files running in parallel never see each other's items.
//
//   const db = await useTables();   // in a test file (top level or beforeAll)
//   db.stores.intents.create(...)
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, inject } from 'vitest';
import {
  createDynamoStores,
  deleteTables,
  documentClient,
  ensureTables,
  localDynamoClient,
  tableNames,
} from '#adapters/dynamo/index';
import type { DynamoStoresOptions } from '#adapters/dynamo/index';
import type { TableNames } from '#adapters/dynamo/tables';
import type { Stores } from '#adapters/ports';
import type { OrderIntent } from '#core/intents';
import type { ScoredCandidate, StrategyPosition } from '#core/types';

export interface TestTables {
  client: DynamoDBClient;
  docClient: DynamoDBDocumentClient;
  names: TableNames;
  prefix: string;
  stores: Stores;
  /** Stores over the same tables with other options (say a tiny page size to force paging). */
  storesWith(options: DynamoStoresOptions): Stores;
}

export function dynamoEndpoint(): string {
  const endpoint = inject('dynamoEndpoint');
  if (!endpoint) {
    throw new Error(
      'no DynamoDB Local endpoint: vitest.config.ts must list test/support/global-setup.ts in globalSetup',
    );
  }
  return endpoint;
}

/**
 * Creates the tables under a fresh prefix; they are deleted after the file's tests. Call it at the top
 * level of a test file (`const db = await useTables()`): it registers an afterAll hook.
 */
export async function useTables(
  options: DynamoStoresOptions & {
    /**
     * Enable TTL on the tables (off by default): DynamoDB Local really deletes expired items, and test
     * data lives on fixed dates that are long past, so with TTL on records would vanish mid-test.
     */
    timeToLive?: boolean;
  } = {},
): Promise<TestTables> {
  const { timeToLive = false, ...storeOptions } = options;
  const client = localDynamoClient(dynamoEndpoint());
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const names = tableNames(prefix);
  await ensureTables(client, names, { timeToLive });
  afterAll(async () => {
    // In memory and gone with the process anyway; deleting keeps a long watch-mode session small.
    await deleteTables(client, names).catch(() => undefined);
    client.destroy();
  });
  return {
    client,
    docClient: documentClient(client),
    names,
    prefix,
    stores: createDynamoStores({ client, names, options: storeOptions }),
    storesWith: (other) => createDynamoStores({ client, names, options: other }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Sample records. Realistic values from the trading rules (SPY bull put, 5 wide, 1.25 credit).
// ---------------------------------------------------------------------------------------------------

const putContract = (strike: number) => ({
  symbol: 'SPY',
  expiry: '2026-03-20',
  strike,
  right: 'P' as const,
  multiplier: 100,
});

export function samplePosition(id: string, overrides: Partial<StrategyPosition> = {}): StrategyPosition {
  return {
    id,
    strategy: 'BULL_PUT',
    symbol: 'SPY',
    expiry: '2026-03-20',
    legs: [
      { contract: { ...putContract(480), conId: 1001 }, quantity: -2 },
      { contract: { ...putContract(475), conId: 1002 }, quantity: 2 },
    ],
    quantity: 2,
    entryCredit: 1.25,
    width: 5,
    openedAt: Date.UTC(2026, 1, 2, 15, 5),
    commissionsUsd: 2.6,
    ...overrides,
  };
}

export function sampleIntent(intentKey: string, overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    intentKey,
    tradeDate: '2026-02-02',
    purpose: 'OPEN',
    strategy: 'BULL_PUT',
    symbol: 'SPY',
    candidateId: 'SPY:BULL_PUT:2026-03-20:P480/475',
    legs: [
      { contract: putContract(480), action: 'SELL', ratio: 1 },
      { contract: putContract(475), action: 'BUY', ratio: 1 },
    ],
    action: 'SELL',
    quantity: 2,
    limitPrice: 1.3,
    dryRun: false,
    reason: 'score 82.5 ≥ 70',
    createdBy: 'execute-strategies',
    ...overrides,
  };
}

export function sampleCandidate(
  id: string,
  score: number,
  overrides: Partial<ScoredCandidate> = {},
): ScoredCandidate {
  const quote = (strike: number, bid: number, ask: number) => ({
    contract: putContract(strike),
    bid,
    ask,
    delta: -0.2,
    iv: 0.18,
    openInterest: 1200,
    timestamp: Date.UTC(2026, 1, 2, 14, 45),
  });
  return {
    id,
    strategy: 'BULL_PUT',
    symbol: 'SPY',
    expiry: '2026-03-20',
    dte: 46,
    legs: [
      { contract: putContract(480), action: 'SELL', ratio: 1, quote: quote(480, 2.1, 2.2) },
      { contract: putContract(475), action: 'BUY', ratio: 1, quote: quote(475, 0.9, 0.95) },
    ],
    width: 5,
    creditMid: 1.225,
    creditNatural: 1.15,
    maxProfitUsd: 122.5,
    maxLossUsd: 377.5,
    breakevens: [478.775],
    pop: 0.74,
    expectedValueUsd: 12.4,
    underlyingPrice: 502.3,
    score,
    breakdown: {
      ivRank: 14,
      creditToWidth: 12,
      shortDelta: 15,
      liquidity: 15,
      dteFit: 10,
      ivHv: 6,
      trendFit: 5,
    },
    rejections: [],
    ...overrides,
  };
}
