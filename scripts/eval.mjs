#!/usr/bin/env node
// `npm run eval`: bundle bench/eval.ts (pruning methods vs Thought-Anchors importance) and run it.
// Prints a markdown table on stdout. See the comment at the top of bench/eval.ts for the method.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = join(root, 'out', 'eval', 'eval.js');
await build({
  entryPoints: [join(root, 'bench', 'eval.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['onnxruntime-node', 'node-llama-cpp', 'vscode'],
  logLevel: 'warning',
  define: { 'process.env.RL_REPO_ROOT': JSON.stringify(root) },
});
const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
process.exitCode = r.status ?? 1;
