// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { readdirSync } from 'node:fs';

// Every job's folder (functions/jobs/<job>/) besides the shared framework.
const jobs = readdirSync(new URL('./functions/jobs/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
  .map((entry) => entry.name);

/**
 * A job imports no other job's files (its folder nor its handler): pure rules they share live in
 * functions/core, I/O they share in functions/jobs/shared. One block per job, so its own files stay open.
 */
const jobBoundaries = jobs.map((job) => {
  const others = jobs.filter((other) => other !== job).join('|');
  return {
    files: [`functions/jobs/${job}/**/*.ts`, `functions/jobs/${job}.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // From the job's folder (../other), its handler (./other) or via the jobs folder itself.
              regex: `^(?:\\.\\./|\\./)(?:\\.\\./)*(?:jobs/)?(?:${others})(?:/|$)`,
              message:
                'a job imports no other job: share pure rules via functions/core, I/O via functions/jobs/shared.',
            },
          ],
        },
      ],
    },
  };
});

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
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@stoqey/*', 'node:*', 'fs', 'net', 'http', 'https', 'child_process'],
              message: 'functions/core must stay pure (no I/O).',
            },
            {
              group: ['../adapters/*', '../jobs/*', '../../lib/*', '../../gateway-container/*'],
              message: 'core imports nothing of the outer layers.',
            },
          ],
        },
      ],
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
  ...jobBoundaries,
);
