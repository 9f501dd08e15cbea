#!/usr/bin/env node
// Unit tier: bundle test/unit/**/*.test.ts with esbuild (no ts-node, no tsc emit) and run them with
// Node's own test runner. Prints the spec report, then `unit: N passed, N failed`.
// Usage: node scripts/runUnit.mjs [substring-filter …]
import { build } from 'esbuild';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { readdirSync, statSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync, mkdirSync } from 'node:fs';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const entries = walk(join(root, 'test/unit'))
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (entries.length === 0) {
  console.error(`no unit test files match ${filters.join(' ') || '(all)'}`);
  process.exit(2);
}

// One out folder per filter set, so that parallel runs with different filters do not clobber each other.
const outdir = join(root, 'out/unit', filters.length ? filters.join('_').replace(/[^\w.-]+/g, '-') : 'all');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: entries,
  outbase: join(root, 'test/unit'),
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['onnxruntime-node', 'node-llama-cpp', 'vscode', '@huggingface/transformers'],
  logLevel: 'warning',
  define: { 'process.env.RL_REPO_ROOT': JSON.stringify(root) },
});
const files = entries.map((f) => join(outdir, relative(join(root, 'test/unit'), f).replace(/\.ts$/, '.js')));

let passed = 0;
let failed = 0;
const failures = [];
const stream = run({ files, concurrency: 2, timeout: 120_000 });
stream.on('test:pass', (e) => { if (e.details?.type !== 'suite') passed++; });
stream.on('test:fail', (e) => {
  if (e.details?.type !== 'suite') { failed++; failures.push(`${e.file ? relative(outdir, e.file) + ': ' : ''}${e.name}`); }
});
await new Promise((resolve, reject) => {
  const out = stream.compose(spec);
  out.on('data', (chunk) => process.stdout.write(chunk));
  out.on('end', resolve);
  out.on('error', reject);
});
mkdirSync(join(root, 'test-results'), { recursive: true });
if (filters.length === 0) {
  writeFileSync(join(root, 'test-results/unit.json'), JSON.stringify({ passed, failed, failures }, null, 2));
}
if (failures.length) console.log(`\nfailed tests:\n  ${failures.join('\n  ')}`);
console.log(`unit: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
