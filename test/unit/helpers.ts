/** Paths shared by unit tests. Real data lives beside the checkout, in ../shared/data (read-only). */
import { join } from 'node:path';
import { main } from '../../src/cli/main';

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

/** Runs the CLI in-process with captured output. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}
