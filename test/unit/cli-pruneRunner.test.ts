import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceSession } from '../../src/core/session';
import { parseTraceText } from '../../src/core/trace';
import { segment } from '../../src/core/steps';
import { previewPrune, runPrune, sessionTokenCounter, PruneInputError } from '../../src/pipeline/pruneRunner';
import { stepSumCounter } from '../../src/core/prune/run';
import type { ScoredText, ScoringBackend } from '../../src/model/backend';
import type { TraceScores } from '../../src/core/types';
import { ScoreCache } from '../../src/pipeline/scoreCache';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TEXT = [
  'Problem: what is 12 * 7?',
  '<think>',
  'Let me compute 12 * 7 step by step here.',
  '',
  'Wait, maybe I should double check the multiplication table first.',
  '',
  '12 * 7 = 84 because 10 * 7 = 70 and 2 * 7 = 14.',
  '',
  'Hmm, let me verify again: 84 / 7 = 12, yes that is right.',
  '',
  'So the answer is 84.',
  '</think>',
  'The answer is \\boxed{84}.',
].join('\n');

function session(): TraceSession {
  const trace = parseTraceText(TEXT, {}, { file: 'mem.md' });
  return new TraceSession(trace, segment(trace.reasoning, 'paragraph'), 'paragraph');
}

function scores(n: number, first: number[], entropy: number[]): TraceScores {
  return { totalTokens: 0, steps: Array.from({ length: n }, (_, i) => ({ index: i, tokens: 10, firstTokenSurprisal: first[i]!, stepEntropy: entropy[i]!, confidence: 1 })) };
}

test('previewPrune: asap drops lowest first-token surprisal until the budget, pins protected, session untouched', () => {
  const s = session();
  assert.equal(s.steps.length, 5);
  s.setScores(scores(5, [5, 0.1, 3, 0.2, 4], [1, 2, 3, 4, 5]), 'test');
  const plan = previewPrune(s, 'asap', { kind: 'ratio', ratio: 0.6 });
  // 5 steps × 10 tokens + 4 separators = 54; target floor(0.6 × 54) = 32 → drop 1, then 3 (54 → 43 → 32).
  assert.equal(plan.budget?.before, 54);
  assert.equal(plan.budget?.target, 32);
  assert.deepEqual(plan.dropped.map((d) => d.index), [1, 3]);
  assert.equal(plan.budget?.after, 32);
  assert.equal(s.plan.kept.length, 5, 'preview must not apply the plan');
  s.togglePin(1);
  const pinned = previewPrune(s, 'asap', { kind: 'ratio', ratio: 0.6 });
  assert.deepEqual(pinned.dropped.map((d) => [d.index, d.reason.rank]), [[2, 2], [3, 1]]);
  assert.ok(pinned.kept.includes(1));
});

test('previewPrune: entropy honours a token budget; confidence needs the final answer; errors name the missing input', () => {
  const s = session();
  assert.throws(() => previewPrune(s, 'asap', { kind: 'ratio', ratio: 0.5 }), (e: unknown) => e instanceof PruneInputError && /score the trace first/.test(e.message));
  s.setScores(scores(5, [1, 1, 1, 1, 1], [9, 0.5, 8, 0.1, 7]), 'test');
  const plan = previewPrune(s, 'entropy', { kind: 'tokens', tokens: 40 });
  assert.deepEqual(plan.dropped.map((d) => [d.index, d.reason.method, d.reason.scoreName]), [[1, 'entropy', 'stepEntropy'], [3, 'entropy', 'stepEntropy']]);
  assert.ok(plan.budget!.after <= 40);
  const conf = previewPrune(s, 'confidence', { kind: 'ratio', ratio: 0.8 });
  assert.equal(conf.method, 'confidence');
  assert.equal(conf.budget?.before, 54);
  assert.throws(() => previewPrune(s, 'perplexity', { kind: 'ratio', ratio: 0.5 }), PruneInputError);
});

test('stepSumCounter: sums the kept steps and separators, falls back for foreign text', () => {
  const count = stepSumCounter(['a b', 'c', 'd e f'], [2, 1, 3], () => -1);
  assert.equal(count('a b\n\nc\n\nd e f'), 2 + 1 + 3 + 2);
  assert.equal(count('a b\n\nd e f'), 2 + 3 + 1);
  assert.equal(count('c'), 1);
  assert.equal(count(''), 0);
  assert.equal(count('zzz'), -1);
  const s = session();
  assert.equal(sessionTokenCounter(s)('x'.repeat(40)), 10, 'unscored sessions estimate ~4 chars per token');
});

/** A fake backend: every token is one character; logprob = -(code point mod 7)/3, so first tokens differ. */
function fakeBackend(calls: string[]): ScoringBackend {
  const scored = (text: string): ScoredText => {
    const n = text.length;
    return {
      ids: new Int32Array(n), tokens: [...text], bosPrepended: false,
      starts: Int32Array.from({ length: n }, (_, i) => i), ends: Int32Array.from({ length: n }, (_, i) => i + 1),
      logprob: Float32Array.from({ length: n }, (_, i) => -(text.charCodeAt(i) % 7) / 3 - 0.01),
    };
  };
  return {
    tokenize: async (text) => scored(text),
    score: async (text, options) => {
      calls.push(text);
      if (options?.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      return scored(text);
    },
    generate: async () => { throw new Error('no'); },
    describe: () => ({ id: 'fake', name: 'fake', kind: 'file', fullEntropy: false, canGenerate: false }),
    dispose: async () => undefined,
  };
}

test('runPrune: scores with the backend when needed, slow methods call the model and honour cancellation', async () => {
  const calls: string[] = [];
  const s = session();
  const plan = await runPrune(s, 'asap', { kind: 'ratio', ratio: 0.5 }, { backend: fakeBackend(calls) });
  assert.equal(s.scoreSource, 'fake');
  assert.equal(calls.length, 1);
  assert.ok(plan.budget!.met);
  // Progress of a slow method is in model calls (its time goes there), out of an estimated total.
  type Report = { done: number; total: number; note: string | undefined };
  const progress: Report[] = [];
  const before = calls.length;
  const iterative = await runPrune(s, 'asap-iterative', { kind: 'ratio', ratio: 0.5 }, { backend: fakeBackend(calls), onProgress: (done, total, note) => progress.push({ done, total, note }) });
  assert.ok(iterative.dropped.length >= 1);
  assert.equal(progress.at(-1)!.done, calls.length - before, 'the last report counts every model call');
  assert.equal(progress.at(-1)!.note, `${iterative.dropped.length} step${iterative.dropped.length === 1 ? '' : 's'} removed`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.done >= progress[i - 1]!.done);
  assert.ok(progress.every((p) => p.total > 0 && p.total >= p.done));
  // SPIRIT: the bar moves inside the first round (one call per candidate step), before any removal.
  const spirit: Report[] = [];
  const perplexity = await runPrune(s, 'perplexity', { kind: 'ratio', ratio: 0.7 }, { backend: fakeBackend(calls), onProgress: (done, total, note) => spirit.push({ done, total, note }) });
  assert.equal(perplexity.method, 'perplexity');
  assert.ok(perplexity.dropped.every((d) => d.reason.scoreName === 'perplexityIncrease'));
  const firstRound = spirit.filter((p) => p.note === '0 steps removed').map((p) => p.done);
  assert.ok(new Set(firstRound).size >= s.steps.length, `the first round reported ${firstRound.length} times`);
  assert.ok(spirit[0]!.total >= 1 + s.steps.length, 'the estimate covers at least the first round from the start');
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(runPrune(s, 'perplexity', { kind: 'ratio', ratio: 0.5 }, { backend: fakeBackend(calls), signal: controller.signal }), { name: 'AbortError' });
  await assert.rejects(runPrune(s, 'perplexity', { kind: 'ratio', ratio: 0.5 }), PruneInputError);
});

test('runPrune scores through the score cache: a second session of the same trace makes no model call', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'rl-cache-'));
  try {
    const cache = new ScoreCache(folder);
    const calls: string[] = [];
    const first = session();
    const changes: string[] = [];
    first.onDidChange((c) => changes.push(c));
    await runPrune(first, 'asap', { kind: 'ratio', ratio: 0.5 }, { backend: fakeBackend(calls), cache });
    assert.equal(calls.length, 1);
    assert.deepEqual(changes, ['scores'], 'the session told its listeners');
    assert.ok(first.tokenTable, 'the session keeps the token table behind its scores');
    const second = session();
    await runPrune(second, 'asap', { kind: 'ratio', ratio: 0.5 }, { backend: fakeBackend(calls), cache });
    assert.equal(calls.length, 1, 'answered from the cache');
    assert.deepEqual(second.scores, first.scores);
    assert.equal(second.scoreSource, 'fake');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
