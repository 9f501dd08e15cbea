#!/usr/bin/env node
// `npm run bench`: bundle bench/*.bench.ts and run each in its own Node process (so peak-memory
// figures are per benchmark). Each benchmark prints its own table with ratios against a peer
// measured in the same run. Usage: node scripts/runBench.mjs [substring-filter …]
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const entries = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
  .map((f) => join(root, 'bench', f));
const outdir = join(root, 'out/bench');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['onnxruntime-node', 'node-llama-cpp', 'vscode', '@huggingface/transformers'],
  logLevel: 'warning',
  define: { 'process.env.RL_REPO_ROOT': JSON.stringify(root) },
});
let failed = 0;
for (const entry of entries) {
  const name = entry.split('/').pop().replace(/\.ts$/, '.js');
  console.log(`\n## ${name.replace(/\.bench\.js$/, '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(outdir, name)], { stdio: 'inherit', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
  if (r.status !== 0) { failed++; console.log(`benchmark ${name} exited with ${r.status}`); }
}
process.exitCode = failed ? 1 : 0;
