// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { readdirSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------------
// Import boundaries: stated once here (the README's "Layout" section repeats them for readers).
//
//   1. functions/core imports nothing of ours outside functions/core (no adapters, jobs, bridge, lib,
//      scripts), and no I/O module: it is the pure domain, every trading rule once, testable on its own.
//   2. A job (functions/jobs/<job>/** and its handler functions/jobs/<job>.ts) imports only its own
//      folder, functions/jobs/shared, functions/adapters and functions/core: no other job (what jobs
//      share goes to the core when it is a rule, to jobs/shared when it is I/O), so a job can change
//      or be deleted alone. The shared framework imports no job.
//   3. Nothing under functions/jobs imports gateway-container: the bridge's contract speaks IB
//      (secType, localSymbol, ...); the bridge client adapter (functions/adapters/bridge-client.ts)
//      maps it to the domain's types, so jobs see domain types only and a contract change stops there.
//
// Each rule is written for relative imports and for `#` package aliases (`#core/...`, `#jobs/...`),
// so the aliases can replace relative paths without loosening anything: see `leaves` and `aliasOutside`.
// ---------------------------------------------------------------------------------------------------

/** Every job's name (its folder functions/jobs/<job>/), besides the shared framework. */
const jobs = readdirSync(new URL('./functions/jobs/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
  .map((entry) => entry.name);

/** The folder levels a rule is generated for, below the area's root (core/strategies/ is level 1). */
const LEVELS = [0, 1, 2, 3];

/** A relative import from a file `level` folders below an area's root that climbs out of the area. */
const leaves = (level, except = '') => `^(?:\\.\\./){${level + 1}}${except}`;

/** A `#` alias import outside the `allowed` alias roots (`core`, `adapters`, `jobs/shared`, ...). */
const aliasOutside = (allowed) => `^#(?!(?:${allowed.join('|')})(?:/|$))`;

/** The files of an area `level` folders below its root (`functions/core` level 1: core/strategies/x.ts). */
const filesAt = (root, level) => [`${root}/${'*/'.repeat(level)}*.ts`];

/** One `no-restricted-imports` entry: flat config replaces a rule's options per block, so all in one. */
const restrictImports = (...patterns) => ['error', { patterns: patterns.flat() }];

const IO_MODULES = {
  group: ['@aws-sdk/*', '@stoqey/*', 'node:*', 'fs', 'net', 'http', 'https', 'child_process'],
  message: 'functions/core must stay pure (no I/O).',
};

/** Rule 1, per folder level of the core. */
const coreBoundaries = LEVELS.map((level) => ({
  files: filesAt('functions/core', level),
  rules: {
    'no-restricted-imports': restrictImports(IO_MODULES, [
      {
        regex: leaves(level),
        message:
          'functions/core imports nothing of ours outside functions/core (no adapters, jobs, bridge, lib).',
      },
      {
        regex: aliasOutside(['core']),
        message:
          'functions/core imports nothing of ours outside functions/core (no adapters, jobs, bridge, lib).',
      },
    ]),
  },
}));

const GATEWAY = {
  message:
    'jobs never import gateway-container: take the domain types the bridge client adapter exports (functions/adapters/bridge-client.ts).',
};

/**
 * Rules 2 and 3 for the files of one job (`job`) or of the shared framework (`job` undefined), `level`
 * folders below functions/jobs/ (the handler <job>.ts is level 0, <job>/run.ts level 1).
 */
function jobImports(job, level) {
  const others = jobs.filter((other) => other !== job).join('|');
  const own = job === undefined ? [] : [`jobs/${job}`];
  return restrictImports([
    {
      // Another job, from the job's folder (../other), its handler (./other) or via the jobs folder.
      regex: `^(?:\\.\\./|\\./)(?:\\.\\./)*(?:jobs/)?(?:${others})(?:/|$)`,
      message:
        job === undefined
          ? 'the shared job framework imports no job.'
          : 'a job imports no other job: share pure rules via functions/core, I/O via functions/jobs/shared.',
    },
    // Out of functions/ into gateway-container: one level above functions/jobs/ is functions/.
    { regex: `${leaves(level + 1)}gateway-container(?:/|$)`, ...GATEWAY },
    {
      regex: leaves(level + 1, '(?!gateway-container(?:/|$))'),
      message:
        'jobs import only their own folder, functions/jobs/shared, functions/adapters and functions/core.',
    },
    {
      regex: aliasOutside(['core', 'adapters', 'jobs/shared', ...own]),
      message:
        'jobs import only their own folder, functions/jobs/shared, functions/adapters and functions/core.',
    },
  ]);
}

const jobBoundaries = [
  ...jobs.flatMap((job) => [
    { files: [`functions/jobs/${job}.ts`], rules: { 'no-restricted-imports': jobImports(job, 0) } },
    ...LEVELS.slice(0, -1).map((level) => ({
      files: filesAt(`functions/jobs/${job}`, level),
      rules: { 'no-restricted-imports': jobImports(job, level + 1) },
    })),
  ]),
  ...LEVELS.slice(0, -1).map((level) => ({
    files: filesAt('functions/jobs/shared', level),
    rules: { 'no-restricted-imports': jobImports(undefined, level + 1) },
  })),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'out/', 'coverage/', '**/*.d.ts'] },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core is pure: no I/O, no SDKs, no clock reads (time is always a parameter).
    files: ['functions/core/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'No clock reads in the core: take time as a parameter.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'No clock reads in the core: take time as a parameter.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'The core is deterministic.',
        },
      ],
    },
  },
  ...coreBoundaries,
  ...jobBoundaries,
);
