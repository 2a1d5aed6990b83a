// The import boundaries of eslint.config.js bite: each is shown failing on a forbidden import and passing
// on the allowed ones, through ESLint's own API with the repository's config (the files need not exist:
// lintText names a path, and the rules read the import strings).
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
  it('refuses another job, from its folder, its handler and by alias', async () => {
    for (const [file, from] of [
      ['functions/jobs/monitor/run.ts', '../position-sync/run'],
      ['functions/jobs/monitor/run.ts', '../../jobs/position-sync/run'],
      ['functions/jobs/monitor.ts', './position-sync/run'],
      ['functions/jobs/monitor/run.ts', '#jobs/position-sync/run'],
    ] as const) {
      const errors = await importErrors(file, `import { x } from '${from}';${use('x')}`);
      expect(errors.length, `${file} importing ${from}: ${errors.join('; ')}`).toBe(1);
      expect(errors[0]).toMatch(/no other job|only their own folder/);
    }
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
});
