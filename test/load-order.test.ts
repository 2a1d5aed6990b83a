// Every core module can be the first one a bundle loads. An import cycle between two core modules that
// both run code at load time (a registry built from the strategy modules, say) works in one import
// order and throws "Cannot access … before initialization" in the other, and a Lambda bundle or a
// script decides that order by what it happens to import first.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const CORE = join(import.meta.dirname, '../functions/core');

function coreModules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? coreModules(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('core modules', () => {
  it.each(coreModules(CORE).map((file) => relative(CORE, file)))('%s loads first', async (module) => {
    vi.resetModules();
    await expect(import(join(CORE, module))).resolves.toBeDefined();
  });
});

// Each Lambda bundle starts at its handler: a cycle that throws at load would fail every cold start.
describe('job handlers', () => {
  const JOBS = join(import.meta.dirname, '../functions/jobs');
  const handlers = readdirSync(JOBS).filter((name) => name.endsWith('.ts'));
  it.each(handlers)('%s loads first and exports its handler', async (file) => {
    vi.resetModules();
    const module = (await import(join(JOBS, file))) as { handler?: unknown };
    expect(typeof module.handler).toBe('function');
  });
});
