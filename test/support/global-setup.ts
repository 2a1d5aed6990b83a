// vitest globalSetup: ONE DynamoDB Local for the whole run, its endpoint provided to every test file
// (`inject('dynamoEndpoint')`); each file makes its own tables under a unique prefix (test/support/dynamodb.ts).
//
// A run whose selected files never use DynamoDB (say `vitest run test/core`) does not start the JVM:
// it costs seconds and a core on a small machine. A file uses it when it imports test/support/dynamodb.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoLocal } from '#scripts/local/dynamodb';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Empty when no selected test file needed DynamoDB Local. */
    dynamoEndpoint: string;
  }
}

const USES_DYNAMO = /support\/dynamodb['"]/;

/** True unless every test file the CLI filters select is known not to import the DynamoDB helper. */
function runNeedsDynamo(project: TestProject): boolean {
  try {
    const root = project.config.root;
    // The CLI's file filters (`vitest run test/core pnl`): substrings of the file paths, as vitest matches them.
    const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern ?? [];
    const files = readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => join(root, 'test', file));
    const selected =
      filters.length === 0
        ? files
        : files.filter((file) =>
            filters.some((filter) => file.includes(filter) || relative(root, file).includes(filter)),
          );
    return selected.length === 0 || selected.some((file) => USES_DYNAMO.test(readFileSync(file, 'utf8')));
  } catch {
    return true;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!runNeedsDynamo(project)) {
    project.provide('dynamoEndpoint', '');
    return undefined;
  }
  const local = await startDynamoLocal({ port: 0, inMemory: true });
  project.provide('dynamoEndpoint', local.endpoint);
  return () => local.stop();
}
