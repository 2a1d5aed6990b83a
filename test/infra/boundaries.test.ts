// The import boundaries of eslint.config.js bite: each is shown failing on a forbidden import and passing
// on the allowed ones, through ESLint's own API with the repository's config (the files need not exist:
// lintText names a path, and the rules read the import strings), and the tree as it is keeps them.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

/** The boundary messages ESLint reports for `code` as if it were the file at `filePath`. */
async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const use = (name: string) => `\nexport const used = ${name};\n`;

describe('functions/core imports nothing of ours outside functions/core', () => {
  it('refuses the adapters, a job, the bridge and lib, from the core root and from core/strategies', async () => {
    for (const [file, from] of [
      ['functions/core/entry.ts', '../adapters/ports'],
      ['functions/core/entry.ts', '../jobs/monitor/run'],
      ['functions/core/entry.ts', '../../gateway-container/bridge/contract'],
      ['functions/core/entry.ts', '../../lib/paths'],
      ['functions/core/strategies/bull-put.ts', '../../adapters/ports'],
      ['functions/core/entry.ts', '#adapters/ports'],
    ] as const) {
      const errors = await importErrors(file, `import { x } from '${from}';${use('x')}`);
      expect(errors, `${file} importing ${from}`).toEqual([expect.stringMatching(/outside functions\/core/)]);
    }
  });

  it('refuses I/O modules', async () => {
    const errors = await importErrors(
      'functions/core/entry.ts',
      `import { readFileSync } from 'node:fs';${use('readFileSync')}`,
    );
    expect(errors).toEqual([expect.stringMatching(/must stay pure/)]);
  });

  it('allows the core itself and zod', async () => {
    const code = `import { z } from 'zod';\nimport { a } from './types';\nimport { b } from '#core/types';${use('[z, a, b]')}`;
    expect(await importErrors('functions/core/entry.ts', code)).toEqual([]);
    expect(
      await importErrors(
        'functions/core/strategies/bull-put.ts',
        `import { a } from '../types';\nimport { b } from './shared';${use('[a, b]')}`,
      ),
    ).toEqual([]);
  });
});

describe('a job imports only its own folder, jobs/shared, adapters and core', () => {
  it.each([
    ['functions/jobs/monitor/run.ts', '../execute-strategies/run'],
    ['functions/jobs/position-sync/run.ts', '../execute-strategies/run'],
    ['functions/jobs/verify-positions/run.ts', '../position-sync/run'],
    ['functions/jobs/validate-data-quality/run.ts', '../collect-futures-data/run'],
    ['functions/jobs/monitor/run.ts', '../../jobs/execute-strategies/run'],
    ['functions/jobs/monitor/run.ts', '../position-sync'],
    ['functions/jobs/daily-statistics.ts', './validate-data-quality/input'],
    ['functions/jobs/collect-option-data.ts', './load-historical-data/input'],
  ])('%s importing another job (%s) fails lint', async (file, from) => {
    expect(await importErrors(file, `import { x } from '${from}';${use('x')}`)).toEqual([
      expect.stringMatching(/a job imports no other job/),
    ]);
  });

  it('refuses another job by alias', async () => {
    const errors = await importErrors(
      'functions/jobs/monitor/run.ts',
      `import { x } from '#jobs/position-sync/run';${use('x')}`,
    );
    expect(errors).toEqual([expect.stringMatching(/only their own folder/)]);
  });

  it('the shared framework imports no job', async () => {
    const errors = await importErrors(
      'functions/jobs/shared/quotes.ts',
      `import { x } from '../monitor/run';${use('x')}`,
    );
    expect(errors).toEqual([expect.stringMatching(/imports no job/)]);
  });

  it('refuses the bridge contract (anything under gateway-container), from a job, its handler and shared', async () => {
    for (const [file, from] of [
      ['functions/jobs/position-sync/run.ts', '../../../gateway-container/bridge/contract'],
      ['functions/jobs/position-sync.ts', '../../gateway-container/bridge/contract'],
      ['functions/jobs/shared/quotes.ts', '../../../gateway-container/simulator/engine'],
    ] as const) {
      const errors = await importErrors(file, `import type { X } from '${from}';\nexport type Y = X;\n`);
      expect(errors, `${file} importing ${from}`).toEqual([
        expect.stringMatching(/never import gateway-container/),
      ]);
    }
  });

  it('refuses lib and scripts', async () => {
    const errors = await importErrors(
      'functions/jobs/monitor/run.ts',
      `import { x } from '../../../lib/paths';${use('x')}`,
    );
    expect(errors).toEqual([expect.stringMatching(/only their own folder/)]);
  });

  it('allows its own folder, jobs/shared, the adapters and the core (relative and by alias)', async () => {
    const code = [
      `import { a } from './holdings';`,
      `import { b } from '../shared/quotes';`,
      `import type { C } from '../../adapters/bridge-client';`,
      `import { d } from '../../core/alerts';`,
      `import { e } from '#jobs/monitor/holdings';`,
      `import { f } from '#core/alerts';`,
      `export type G = C;${use('[a, b, d, e, f]')}`,
    ].join('\n');
    expect(await importErrors('functions/jobs/monitor/run.ts', code)).toEqual([]);
    const handler = `import { a } from './shared/define-job';\nimport { b } from './monitor/run';${use('[a, b]')}`;
    expect(await importErrors('functions/jobs/monitor.ts', handler)).toEqual([]);
  });

  it.each([
    ['functions/jobs/monitor/run.ts', '../shared/order-workflow'],
    ['functions/jobs/monitor/run.ts', '../../core/lifecycle'],
    ['functions/jobs/monitor/run.ts', '../../adapters/ports'],
    ['functions/jobs/monitor.ts', './monitor/run'],
    ['functions/jobs/monitor.ts', './shared/input'],
    ['functions/jobs/load-historical-data.ts', './load-historical-data/run'],
  ])('%s importing %s passes', async (file, from) => {
    expect(await importErrors(file, `import { x } from '${from}';${use('x')}`)).toEqual([]);
  });
});

describe('the tree as it is', () => {
  it('keeps every boundary: no restricted import in functions/', async () => {
    const results = await eslint.lintFiles(['functions/**/*.ts']);
    expect(results.length).toBeGreaterThan(50);
    const found = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports')
        .map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(found).toEqual([]);
    // Lints the whole functions/ tree: 10 s alone, several times that while the other files run.
  }, 120_000);
});
