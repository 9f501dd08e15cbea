#!/usr/bin/env node
// `npm test`: type-check and lint, build, then the three tiers, each printing `N passed, N failed`,
// then the total. Usage: node scripts/test.mjs [unit|integration|ui …] (default: all three).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const TIERS = ['unit', 'integration', 'ui'];
const wanted = process.argv.slice(2).filter((a) => TIERS.includes(a));
// --no-check skips type-check and lint (for quick local runs of one tier while other code is mid-edit).
const check = !process.argv.includes('--no-check');
const tiers = wanted.length ? wanted : TIERS;
process.env.ORT_DISABLE_TELEMETRY = '1';

function step(label, cmd, args) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`${label} failed (exit ${r.status ?? r.signal})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  console.log(`${label}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const npmBin = (name) => join(root, 'node_modules', '.bin', name);
if (check) {
  step('type-check', npmBin('tsc'), ['--noEmit', '-p', '.']);
  step('type-check webview', npmBin('tsc'), ['--noEmit', '-p', 'webview']);
  step('lint', process.execPath, ['scripts/lint.mjs']);
}
step('build', process.execPath, ['esbuild.mjs']);
if (tiers.includes('ui')) step('package', process.execPath, ['scripts/package.mjs', 'linux-x64']);

const results = [];
for (const tier of tiers) {
  const started = Date.now();
  let r;
  try {
    if (tier === 'unit') {
      const p = spawnSync(process.execPath, ['scripts/runUnit.mjs'], { cwd: root, stdio: 'inherit' });
      r = JSON.parse(readFileSync(join(root, 'test-results/unit.json'), 'utf8'));
      if (p.status !== 0 && r.failed === 0) r.failed = 1;
    } else if (tier === 'integration') {
      r = await (await import('./integration.mjs')).runIntegration();
    } else {
      r = await (await import('./ui.mjs')).runUi();
    }
  } catch (e) {
    console.error(`${tier} tier could not run: ${e?.stack ?? e}`);
    r = { passed: 0, failed: 1 };
  }
  console.log(`${tier}: ${r.passed} passed, ${r.failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  results.push({ tier, ...r });
}

console.log('\nsummary');
for (const r of results) console.log(`${r.tier}: ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
