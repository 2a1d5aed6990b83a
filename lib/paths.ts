// Absolute paths the CDK app needs (entry files, lock file, Dockerfiles), independent of the directory
// `cdk synth` or vitest was started from.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
