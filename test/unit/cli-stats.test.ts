import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraces } from '../../src/core/trace';
import { runCli, sharedData } from './helpers';

const run = runCli;

describe('cli stats', () => {
  test('text: figures of a labelled dataset, with bars', async () => {
    const path = sharedData('gsm8k', 'example_model_solutions.jsonl');
    const traces = (await readTraces(path)).traces;
    const r = await run('stats', path);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^stats: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
    assert.match(r.out, new RegExp(`traces {12}${traces.length.toLocaleString('en-US')} in 1,319 records`));
    assert.match(r.out, /reasoning tokens {2}[\d,]+ in all \(estimated, ~4 characters a token\); median /);
    assert.match(r.out, /█/);
    const correct = traces.filter((t) => t.reference?.correct === true).length;
    const labelled = traces.filter((t) => t.reference?.correct !== undefined).length;
    assert.match(r.out, new RegExp(`correct {11}${correct.toLocaleString('en-US')} of ${labelled.toLocaleString('en-US')} labelled`));
    assert.match(r.out, /^loops {13}/m);
    assert.doesNotMatch(r.out, /behaviours/);
  });

  test('--json: one object per line; --behaviours N adds behaviours; --handbook writes markdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-stats-'));
    try {
      const handbook = join(dir, 'handbook.md');
      const r = await run('stats', sharedData('thought-anchors'), '--json', '--behaviours', '3', '--handbook', handbook);
      assert.equal(r.code, 0, r.err);
      const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric?: string; traces?: number; rank?: number; examples?: { path: string }[] });
      assert.equal(lines[0]!.type, 'summary');
      assert.equal(lines[0]!.traces, (await readTraces(sharedData('thought-anchors'))).traces.length);
      assert.deepEqual(lines.filter((l) => l.type === 'histogram').map((l) => l.metric), ['reasoningTokens', 'steps', 'truncated', 'loops', 'answerFound', 'correct']);
      const behaviours = lines.filter((l) => l.type === 'behaviour');
      assert.deepEqual(behaviours.map((b) => b.rank), [1, 2, 3]);
      for (const b of behaviours) for (const e of b.examples ?? []) assert.ok(existsSync(e.path), e.path);
      assert.match(readFileSync(handbook, 'utf8'), /^# Behaviour handbook: /);
      assert.match(r.err, /handbook written to/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('lists the most looping traces', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-stats-'));
    try {
      const path = join(dir, 'loops.jsonl');
      const cycle = 'Alternatively, group (2 * (3 * 4)) * 5 + 1: same.\n\nSo, 121.\n\n';
      const rows = [
        { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: `<think>\nLet me try.\n\n${cycle.repeat(12)}Alternatively, group` }] },
        { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: '<think>\nA plain trace with one idea.\n</think>\n\\boxed{3}' }] },
      ];
      writeFileSync(path, rows.map((x) => JSON.stringify(x)).join('\n'));
      const r = await run('stats', path, '--loops', '5');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /loops {13}1 trace \(50\.0%\) with 1 loop;/);
      assert.match(r.out, /truncated {9}1 \(50\.0%\)/);
      assert.match(r.out, /most looping traces\n {2}L1 .*loops\.jsonl:1 {2}[\d,]+ of [\d,]+ tokens in repeats\n {4}steps 2-25: a 2-step cycle repeated 12 times/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('usage errors and missing input', async () => {
    const missing = await run('stats');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /missing <file\|folder>/);
    const bad = await run('stats', sharedData('gsm8k'), '--behaviours', 'many');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--behaviours takes a whole number/);
    const none = await run('stats', join(tmpdir(), 'no-such-file.jsonl'));
    assert.equal(none.code, 1);
    assert.match(none.err, /cannot read .*no-such-file\.jsonl/);
    const help = await run('stats', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /usage: reasoning-lens stats/);
    assert.match((await run('--help')).out, /stats +dataset figures/);
  });
});
