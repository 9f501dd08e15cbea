/**
 * The CLI with a local model, as a user runs it (the model in its own process): a trace longer than the
 * model's context is scored in windows and says so (stderr, the row, the steps); Ctrl-C stops a long
 * scoring within a second with exit 130 and leaves no model process behind; bad --watchdog values are
 * refused.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { runCli } from './helpers';
import { modelUnavailable, sampleText, workerScript } from './model/fixtures';

const skip = modelUnavailable();
const dir = mkdtempSync(join(tmpdir(), 'rl-cli-model-'));

/** A `<think>` trace of about `repeats` × 1,300 tokens of real R1 reasoning. */
function trace(name: string, repeats: number): string {
  const path = join(dir, name);
  writeFileSync(path, `Solve the problem.<think>\n${sampleText(3000).repeat(repeats)}\n</think>\nThe answer is 84.\n`);
  return path;
}

/** Child processes of this process (Linux). */
function childPids(): number[] {
  try {
    return readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number): boolean => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('cli score with a local model (model process)', { skip: skip ?? (process.platform === 'linux' ? undefined : 'reads /proc'), timeout: 300_000 }, () => {
  before(async () => {
    process.env.RL_MODEL_WORKER = await workerScript();
  });

  test('a trace longer than the model\'s context: scored in windows, said on stderr, in the row and on the steps it touches', async () => {
    const r = await runCli('score', trace('long.md', 3), '--json');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning: long\.md .*longer than the model's context \(2,048 tokens\): scored in overlapping windows; [\d,]+ of [\d,]+ reasoning tokens \(from character [\d,]+ on\) were scored with 1,024 to 2,047 tokens of left context/);
    const row = JSON.parse(r.out) as { window: { size: number; overlap: number; fromToken: number; fromChar: number }; steps: { windowed?: boolean; tokens: number; text: string }[] };
    assert.deepEqual({ size: row.window.size, overlap: row.window.overlap }, { size: 2048, overlap: 1024 });
    const tokens = row.steps.reduce((n, s) => n + s.tokens, 0);
    assert.ok(row.window.fromToken > 0 && row.window.fromToken < tokens);
    const flagged = row.steps.map((s) => s.windowed === true);
    const first = flagged.indexOf(true);
    assert.ok(first > 0, 'the first steps were scored with their whole context');
    assert.ok(flagged.slice(first).every(Boolean), 'every step after the first windowed one is windowed');
    // A short trace is not windowed.
    const short = await runCli('score', trace('short.md', 1), '--json');
    assert.equal(short.code, 0, short.err);
    assert.doesNotMatch(short.err, /windows/);
    assert.equal((JSON.parse(short.out) as { window?: unknown }).window, undefined);
  });

  test('Ctrl-C stops a long scoring within 1 s: exit 130, and the model process is gone', async () => {
    const before = new Set(childPids());
    let out = '';
    let err = '';
    const running = main(['score', trace('longer.md', 30), '--json'], { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
    // Wait until the model process has started and is well into the trace.
    let worker: number | undefined;
    for (let i = 0; i < 200 && worker === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      worker = childPids().find((p) => !before.has(p));
    }
    assert.ok(worker, 'the model runs in its own process');
    await new Promise((r) => setTimeout(r, 2000));
    const sent = performance.now();
    process.emit('SIGINT', 'SIGINT');
    const code = await running;
    const took = performance.now() - sent;
    assert.equal(code, 130, err);
    assert.equal(out, '', 'nothing was printed: the scoring did not finish');
    assert.match(err, /interrupted \(SIGINT\)/);
    assert.ok(took < 1000, `stopped ${Math.round(took)} ms after Ctrl-C`);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!alive(worker), 'the model process ended');
  });

  test('--watchdog takes seconds ≥ 0', async () => {
    const r = await runCli('score', trace('w.md', 1), '--watchdog', 'soon');
    assert.equal(r.code, 2);
    assert.match(r.err, /--watchdog takes a number of seconds ≥ 0/);
  });
});
