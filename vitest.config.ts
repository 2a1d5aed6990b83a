import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local for the whole run; test files inject('dynamoEndpoint').
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Vitest's default (cores − 1) is one worker on a 2-core machine; the slow files mostly wait on
    // loopback I/O (DynamoDB Local, the simulator), so two overlap well: 5.8 min instead of 9.4 here.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
