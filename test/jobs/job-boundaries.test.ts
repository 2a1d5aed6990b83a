// No job imports another job's files: what they share is a pure rule (functions/core) or I/O
// (functions/jobs/shared). ESLint's no-restricted-imports enforces it (eslint.config.js, one block per
// job); this runs that configuration on snippets placed in job files, and on the jobs as they are.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The no-restricted-imports messages ESLint gives `code` as if it were the file at `filePath`. */
async function restricted(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const use = (from: string) => `import { thing } from '${from}';\nexport const used = thing;\n`;

describe('a job imports no other job', () => {
  it.each([
    ['functions/jobs/monitor/run.ts', '../execute-strategies/run'],
    ['functions/jobs/position-sync/run.ts', '../execute-strategies/run'],
    ['functions/jobs/verify-positions/run.ts', '../position-sync/run'],
    ['functions/jobs/validate-data-quality/run.ts', '../collect-futures-data/run'],
    ['functions/jobs/monitor/run.ts', '../../jobs/execute-strategies/run'],
    ['functions/jobs/monitor/run.ts', '../position-sync'],
    ['functions/jobs/daily-statistics.ts', './validate-data-quality/input'],
    ['functions/jobs/collect-option-data.ts', './load-historical-data/input'],
  ])('%s importing %s fails lint', async (file, from) => {
    const messages = await restricted(use(from), file);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('a job imports no other job');
  });

  it.each([
    ['functions/jobs/monitor/run.ts', '../shared/order-workflow'],
    ['functions/jobs/monitor/run.ts', '../../core/lifecycle'],
    ['functions/jobs/monitor/run.ts', '../../adapters/ports'],
    ['functions/jobs/monitor.ts', './monitor/run'],
    ['functions/jobs/monitor.ts', './shared/input'],
    ['functions/jobs/load-historical-data.ts', './load-historical-data/run'],
  ])('%s importing %s passes', async (file, from) => {
    expect(await restricted(use(from), file)).toEqual([]);
  });

  it('holds for every job file as it is', async () => {
    const jobsDir = join(root, 'functions/jobs');
    const jobs = readdirSync(jobsDir, { withFileTypes: true }).filter(
      (e) => e.isDirectory() && e.name !== 'shared',
    );
    expect(jobs.length).toBeGreaterThan(5);
    const results = await eslint.lintFiles(['functions/jobs/**/*.ts']);
    const found = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports')
        .map((m) => `${r.filePath.slice(root.length + 1)}: ${m.message}`),
    );
    expect(found).toEqual([]);
  });
});
