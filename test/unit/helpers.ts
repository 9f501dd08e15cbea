/** Paths shared by unit tests. Real data lives beside the checkout, in ../shared/data (read-only). */
import { join } from 'node:path';

/** Repository root (injected by scripts/runUnit.mjs at bundle time). */
export const repoRoot: string = process.env.RL_REPO_ROOT ?? process.cwd();

/** A path under ../shared/data. */
export function sharedData(...parts: string[]): string {
  return join(repoRoot, '..', 'shared', 'data', ...parts);
}

/** A path under the repository. */
export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}
