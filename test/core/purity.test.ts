// The core must stay pure so it can be tested exhaustively and reused by the simulator and the jobs.
// ESLint enforces this while editing; this test makes it part of `npm test` on its own.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const coreDir = join(import.meta.dirname, '../../functions/core');

function coreSources(dir = coreDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? coreSources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

const forbidden: [RegExp, string][] = [
  [/from\s+['"]@aws-sdk\//, 'the AWS SDK'],
  [/from\s+['"]@stoqey\//, '@stoqey/ib'],
  [/from\s+['"](node:)?(net|http|https|fs|fs\/promises|child_process|dgram|tls)['"]/, 'a node I/O module'],
  [/\bDate\.now\s*\(/, 'a clock read (Date.now)'],
  [/new\s+Date\s*\(\s*\)/, 'a clock read (new Date())'],
  [/\bMath\.random\s*\(/, 'Math.random'],
  [/from\s+['"]\.\.\/(adapters|jobs)\//, 'an outer layer'],
];

describe('functions/core purity', () => {
  const files = coreSources();

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [f.slice(coreDir.length + 1), f]))(
    '%s has no I/O, SDK or clock read',
    (_name, file) => {
      const source = readFileSync(file, 'utf8');
      const found = forbidden.filter(([pattern]) => pattern.test(source)).map(([, what]) => what);
      expect(found).toEqual([]);
    },
  );
});
