/** Shared fixtures for the model backend tests: a tiny random model folder and a bundled worker script. */
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../helpers';

process.env.ORT_DISABLE_TELEMETRY = '1';

let workerPromise: Promise<string> | undefined;

/** Bundles src/model/onnx/worker.ts (onnxruntime-node external) once per test process; returns its path. */
export function workerScript(): Promise<string> {
  workerPromise ??= bundle('src/model/onnx/worker.ts', 'onnxWorker');
  return workerPromise;
}

let tokenizerWorkerPromise: Promise<string> | undefined;

/** Bundles src/model/tokenizerWorker.ts once per test process; returns its path. */
export function tokenizerWorkerScript(): Promise<string> {
  tokenizerWorkerPromise ??= bundle('src/model/tokenizerWorker.ts', 'tokenizerWorker');
  return tokenizerWorkerPromise;
}

let cliWorkerPromise: Promise<string> | undefined;

/** Bundles src/cli/worker.ts (the CLI's worker threads) once per test process; returns its path. */
export function cliWorkerScript(): Promise<string> {
  cliWorkerPromise ??= bundle('src/cli/worker.ts', 'cliWorker');
  return cliWorkerPromise;
}

async function bundle(entry: string, name: string): Promise<string> {
  // Inside the repository so that `require('onnxruntime-node')` resolves from its node_modules.
  const outfile = repoPath('out', 'test-worker', `${name}-${process.pid}.js`);
  // Loaded at run time from the repository (not bundled into the test file).
  const { build } = createRequire(repoPath('package.json'))('esbuild') as typeof import('esbuild');
  await build({
    entryPoints: [repoPath(entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['onnxruntime-node', 'node-llama-cpp'],
    logLevel: 'warning',
  });
  return outfile;
}

/** Why the model tests cannot run here, or undefined when they can. */
export function modelUnavailable(): string | undefined {
  if (existsSync(repoPath('media/models/reasoning-lens-tiny/onnx'))) return undefined;
  if (!existsSync(repoPath('model/make_random.py'))) return 'no model: media/models/reasoning-lens-tiny and model/make_random.py are both missing';
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { encoding: 'utf8' });
  if (probe.status !== 0) return `no model: /usr/bin/python3 cannot import torch/onnx, needed by model/make_random.py (${(probe.stderr || '').trim().split('\n').pop()})`;
  return undefined;
}

let tinyDir: string | undefined;

/**
 * The model the backend tests run on: the committed embedded model (so no Python or torch is needed on
 * a fresh machine), or, where it is missing, a tiny random-weight Llama folder made by
 * `model/make_random.py --tiny` (cached in the temp folder by a hash of the generator's sources).
 */
export function tinyModelDir(): string {
  if (tinyDir) return tinyDir;
  const script = repoPath('model/make_random.py');
  const embedded = repoPath('media/models/reasoning-lens-tiny');
  if (existsSync(join(embedded, 'onnx', 'model.onnx')) || !existsSync(script)) {
    tinyDir = embedded;
    return tinyDir;
  }
  const hash = createHash('sha256');
  for (const f of ['make_random.py', 'llama.py', 'export_onnx.py']) {
    const p = repoPath('model', f);
    if (existsSync(p)) hash.update(readFileSync(p));
  }
  const dir = join(tmpdir(), 'rl-test-models', `tiny-random-${hash.digest('hex').slice(0, 12)}`);
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    mkdirSync(join(tmpdir(), 'rl-test-models'), { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    const r = spawnSync('/usr/bin/python3', [script, '--tiny', '--out', tmp], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`model/make_random.py --tiny failed: ${r.stderr || r.stdout}`);
    // Rename into place (another test process may have won the race: keep theirs).
    spawnSync('mv', ['-T', tmp, dir]);
    spawnSync('rm', ['-rf', tmp]);
  }
  tinyDir = dir;
  return dir;
}

/** Real reasoning text for scoring tests. */
export function sampleText(chars = 3000): string {
  const p = repoPath('..', 'shared', 'data', 'codeforces-r1', 'prompt-response', '268', 'response.md');
  const text = existsSync(p) ? readFileSync(p, 'utf8') : 'Let me think. 12 × 7 = 84, so the answer is 84.\n\nWait, check: 84 / 7 = 12. Yes. ✓ é ü 日本語';
  return text.slice(0, chars);
}
