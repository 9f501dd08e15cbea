import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectInsights, scanTraces, type ScanProgress } from '../../../src/core/insights/scan';
import { compact, DatasetStatsBuilder, niceStep } from '../../../src/core/insights/stats';
import type { TraceRef } from '../../../src/core/insights/refs';
import { CancelledError, readTraces, type Trace } from '../../../src/core/trace';
import { sharedData } from '../helpers';

function trace(i: number, fields: Partial<Trace> = {}): Trace {
  return { id: `t${i}`, format: 'think-text', prompt: '', reasoning: 'x'.repeat(40 * i), truncated: false, answer: '', source: { file: 'f' }, metadata: {}, warnings: [], ...fields };
}
const ref = (i: number): TraceRef => ({ file: 0, record: i, trace: 0, id: `t${i}` });

describe('stats builder', () => {
  test('nice steps and compact labels', () => {
    assert.equal(niceStep(100, 10), 10);
    assert.equal(niceStep(23, 10), 2.5);
    assert.equal(niceStep(7, 12, 1), 1);
    assert.equal(niceStep(33_000, 12), 5000);
    assert.deepEqual([0, 950, 1500, 32_000, 1_250_000].map(compact), ['0', '950', '1.5k', '32k', '1.3M']);
  });

  test('numeric bars: edges, counts, filters, and select() lists exactly the traces of a bar', () => {
    const b = new DatasetStatsBuilder();
    // Reasoning of 40·i characters → 10·i estimated tokens; steps = i % 7.
    for (let i = 0; i < 100; i++) b.add(trace(i), ref(i), { steps: i % 7 });
    const s = b.result();
    assert.equal(s.traces, 100);
    assert.equal(s.tokensExact, false);
    const tokens = s.histograms.reasoningTokens!;
    assert.equal(tokens.kind, 'numeric');
    assert.deepEqual(tokens.edges, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    assert.deepEqual(tokens.buckets.map((x) => x.count), Array(10).fill(10));
    assert.equal(tokens.buckets[2]!.label, '200–300');
    assert.equal(tokens.buckets[2]!.filter, undefined);
    assert.deepEqual(tokens.summary, { min: 0, max: 990, mean: 495, median: 490, p90: 890 });
    assert.deepEqual(b.select('reasoningTokens', 2).map((r) => r.record), [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    const steps = s.histograms.steps!;
    assert.deepEqual(steps.buckets.map((x) => [x.label, x.count]), [['0', 15], ['1', 15], ['2', 14], ['3', 14], ['4', 14], ['5', 14], ['6', 14]]);
    assert.equal(steps.buckets[3]!.filter, 'steps>=3 steps<4');
    assert.ok(b.select('steps', 3).every((r) => r.record % 7 === 3));
    assert.equal(s.totals.steps, [...Array(100).keys()].reduce((a, i) => a + (i % 7), 0));
    // Every bar's traces, over all bars, are all traces once.
    for (const h of Object.values(s.histograms)) {
      const all = h.buckets.flatMap((_, k) => b.select(h.metric, k).map((r) => r.record)).sort((x, y) => x - y);
      assert.deepEqual(all, [...Array(100).keys()], h.metric);
    }
  });

  test('a long tail gets an open last bar so the bulk stays readable', () => {
    const b = new DatasetStatsBuilder();
    for (let i = 0; i < 100; i++) b.add(trace(i < 99 ? 1 + (i % 10) : 5000), ref(i), { steps: 1 });
    const h = b.result().histograms.reasoningTokens!;
    const last = h.buckets[h.buckets.length - 1]!;
    assert.match(last.label, /^≥ /);
    assert.equal(last.count, 1);
    assert.ok(h.buckets.length <= 14);
    assert.deepEqual(b.select('reasoningTokens', h.buckets.length - 1).map((r) => r.record), [99]);
  });

  test('categorical bars: truncated, loops, answers, correctness (absent without labels)', () => {
    const b = new DatasetStatsBuilder(false);
    for (let i = 0; i < 10; i++) b.add(trace(i, { truncated: i < 3, ...(i % 2 ? { finalAnswer: '4' } : {}) }), ref(i), { steps: 2 });
    let s = b.result();
    assert.deepEqual(s.histograms.truncated!.buckets.map((x) => [x.label, x.count, x.filter]), [['yes', 3, 'truncated:yes'], ['no', 7, 'truncated:no']]);
    assert.deepEqual(s.histograms.answerFound!.buckets.map((x) => x.count), [5, 5]);
    assert.deepEqual(s.histograms.loops!.buckets.map((x) => x.count), [10, 0, 0]);
    assert.equal(s.histograms.correct, undefined);
    assert.equal(s.histograms.steps!.buckets[0]!.filter, undefined, 'steps of another segmentation than the browser: no filter');
    b.add(trace(10, { reference: { correct: true } }), ref(10), { steps: 1 });
    b.add(trace(11, { reference: { correct: false } }), ref(11), { steps: 1 });
    s = b.result();
    assert.deepEqual(s.histograms.correct!.buckets.map((x) => [x.label, x.count, x.filter]), [['yes', 1, 'correct:yes'], ['no', 1, 'correct:no'], ['unknown', 10, 'correct:unknown']]);
    assert.deepEqual(b.select('correct', 1).map((r) => r.record), [11]);
    assert.deepEqual({ labelled: s.totals.labelled, correct: s.totals.correct }, { labelled: 2, correct: 1 });
  });

  test('exact tokens from the file\'s logprobs of the reasoning', () => {
    const b = new DatasetStatsBuilder();
    const logprobs = [0, 1, 2].map((k) => ({ token: 'a', logprob: -1, region: 'reasoning' as const, start: k, end: k + 1 }));
    b.add(trace(1, { logprobs: [...logprobs, { token: 'b', logprob: -1, region: 'answer', start: 0, end: 1 }] }), ref(0), { steps: 1 });
    const s = b.result();
    assert.equal(s.tokensExact, true);
    assert.equal(s.totals.reasoningTokens, 3);
  });

  test('empty: no traces, empty bars', () => {
    const s = new DatasetStatsBuilder().result();
    assert.equal(s.traces, 0);
    assert.deepEqual(s.histograms.reasoningTokens!.buckets, []);
  });
});

describe('scanning files and folders', () => {
  const messages = (q: string, r: string, a: string): string => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: `<think>\n${r}\n</think>\n\n${a}` }] });

  test('a folder: JSONL streamed by record, JSON arrays by element, prose and non-trace files skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-scan-'));
    try {
      writeFileSync(join(dir, 'a.jsonl'), `${messages('q1', 'r1 one', 'The answer is \\boxed{1}.')}\n\n{not json\n${messages('q2', 'r2 two', 'ok')}\n`);
      writeFileSync(join(dir, 'b.json'), JSON.stringify([JSON.parse(messages('q3', 'r3', 'x')), JSON.parse(messages('q4', 'r4', 'y'))]));
      writeFileSync(join(dir, 'LICENSE.txt'), 'Permission is hereby granted, free of charge.');
      writeFileSync(join(dir, 'mapping.json'), JSON.stringify({ a: 1 }));
      writeFileSync(join(dir, 'image.png'), 'x');
      writeFileSync(join(dir, 'broken.json'), '{"messages": [');
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'c.md'), '<think>\nthinking in markdown\n</think>\nanswer');
      const seen: { ref: TraceRef; reasoning: string }[] = [];
      const progress: ScanProgress[] = [];
      const s = await scanTraces(dir, (t, r) => seen.push({ ref: r, reasoning: t.reasoning.trim() }), { onProgress: (p) => progress.push(p) });
      const file = (name: string): number => s.files.indexOf(join(dir, name));
      assert.deepEqual(seen.map((x) => [x.reasoning, x.ref.file, x.ref.record, x.ref.trace, x.ref.line]), [
        ['r1 one', file('a.jsonl'), 0, 0, 1],
        ['r2 two', file('a.jsonl'), 2, 0, 4],
        ['r3', file('b.json'), 0, 0, 1],
        ['r4', file('b.json'), 1, 0, 1],
        ['thinking in markdown', file('sub/c.md'), 0, 0, 1],
      ]);
      assert.equal(s.traces, 5);
      assert.equal(s.errorCount, 2);
      assert.ok(s.errors.some((e) => /line 3/.test(e.message) && e.source.file === join(dir, 'a.jsonl')));
      assert.ok(s.errors.some((e) => e.source.file === join(dir, 'broken.json')), 'a broken file in a folder is an error, not skipped');
      assert.deepEqual(s.skipped.map((x) => x.split(':')[0]).sort(), [join(dir, 'LICENSE.txt'), join(dir, 'image.png'), join(dir, 'mapping.json')].sort());
      const last = progress[progress.length - 1]!;
      assert.equal(last.bytesDone, last.totalBytes);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.bytesDone >= progress[i - 1]!.bytesDone);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the same traces as readTraces on the shared data (folders, JSONL, several traces a record)', async () => {
    for (const path of [sharedData('codeforces-r1'), sharedData('thought-anchors'), sharedData('gsm8k', 'example_model_solutions.jsonl'), sharedData('wild')]) {
      const expected = (await readTraces(path)).traces.map((t) => `${t.id}\u0000${t.reasoning}`).sort();
      const got: string[] = [];
      await scanTraces(path, (t) => got.push(`${t.id}\u0000${t.reasoning}`));
      assert.deepEqual(got.sort(), expected, path);
    }
  });

  test('cancellation stops a scan between records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-scan-'));
    try {
      const path = join(dir, 'big.jsonl');
      writeFileSync(path, Array.from({ length: 3000 }, (_, i) => messages(`q${i}`, `reasoning ${i}`, 'a')).join('\n'));
      const controller = new AbortController();
      let traces = 0;
      await assert.rejects(
        scanTraces(path, () => {
          if (++traces === 100) controller.abort();
        }, { cancellation: controller.signal, yieldEveryMs: 0 }),
        CancelledError,
      );
      assert.ok(traces < 3000, `${traces} traces read before stopping`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('collectInsights: stats, looping traces and bar selections agree with the traces themselves', async () => {
    const path = sharedData('gsm8k', 'example_model_solutions.jsonl');
    const traces = (await readTraces(path)).traces;
    const r = await collectInsights(path, { behaviours: true, topBehaviours: 5 });
    assert.equal(r.stats.traces, traces.length);
    assert.equal(r.stats.totals.labelled, traces.filter((t) => t.reference?.correct !== undefined).length);
    assert.equal(r.stats.totals.correct, traces.filter((t) => t.reference?.correct === true).length);
    assert.equal(r.stats.totals.answerFound, traces.filter((t) => t.finalAnswer !== undefined).length);
    const byId = new Map(traces.map((t) => [t.id, t]));
    for (const refItem of r.statsBuilder.select('correct', 0)) assert.equal(byId.get(refItem.id)?.reference?.correct, true);
    for (let i = 1; i < r.looping.length; i++) assert.ok(r.looping[i - 1]!.wastedTokens >= r.looping[i]!.wastedTokens);
    assert.equal(r.looping.length, Math.min(20, r.stats.totals.looping));
    assert.ok(r.behaviours && r.behaviours.traces === traces.length);
  });
});
