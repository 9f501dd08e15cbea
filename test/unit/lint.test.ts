import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PRUNE_METHODS } from '../../src/core/prune/methods';
import { repoPath } from './helpers';

/** Runs scripts/lint.mjs on a scratch tree holding the real registry and vocabulary plus `files`. */
function lintTree(files: Record<string, string>): { status: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'rl-lint-'));
  try {
    for (const rel of ['src/core/prune/methods.ts', 'src/core/types.ts', 'src/shared/vocabulary.ts']) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      copyFileSync(repoPath(rel), join(root, rel));
    }
    writeFileSync(join(root, 'package.json'), JSON.stringify({ contributes: {} }));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    }
    const r = spawnSync(process.execPath, [repoPath('scripts/lint.mjs'), '--root', root], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('lint: a method id used as one outside the registry fails: compared, cased, passed or listed', () => {
  const [asap, iterative, anchor] = PRUNE_METHODS.map((m) => m.id);
  const { status, output } = lintTree({
    'src/commands/x.ts': [
      "import type { PruneMethodId } from '../core/prune/methods';",
      `export function f(method: PruneMethodId, maybe?: PruneMethodId): PruneMethodId[] {`,
      `  if (method === '${asap}') return [];`,
      `  switch (maybe) { case '${anchor}': return []; default: break; }`,
      `  return ['${iterative}'];`,
      '}',
    ].join('\n'),
  });
  assert.equal(status, 1);
  assert.match(output, new RegExp(`src/commands/x\\.ts:3: the pruning-method id '${asap}'`));
  assert.match(output, new RegExp(`src/commands/x\\.ts:4: the pruning-method id '${anchor}'`));
  assert.match(output, new RegExp(`src/commands/x\\.ts:5: the pruning-method id '${iterative}'`));
});

test('lint: the same word as another thing (a metric, a statistic, prose) and the registry itself pass', () => {
  const { status, output } = lintTree({
    'src/core/prune/z.ts': [
      "import type { StepMetric } from '../../shared/vocabulary';",
      `/** Runs \`${PRUNE_METHODS[0]!.id}\` (see the registry). */`,
      "export const metric: StepMetric = 'confidence';",
      "export const reason = { scoreName: 'confidence', rank: 1 };",
      "export const statistic: string = 'loops';",
      "export const stats = ['steps', 'loops'] as const;",
    ].join('\n'),
  });
  assert.equal(status, 0, output);
});
