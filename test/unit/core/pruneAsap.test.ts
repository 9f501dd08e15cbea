import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { asapPrune } from '../../../src/core/prune/asap';
import { stepSumCounter } from '../../../src/core/prune/run';
import { asapIterativePrune } from '../../../src/core/prune/asapIterative';
import { rateDifficulty, resolveBudget } from '../../../src/core/prune/budget';

/** Whitespace word count: makes budgets computable by hand. */
export const words = (t: string): number => t.split(/\s+/).filter(Boolean).length;
const STEPS = ['a b c d', 'e f', 'g h i', 'j']; // 4 + 2 + 3 + 1 = 10 words
const SCORES = [0.5, 0.1, 0.1, 2.0];

test('asap: budget already met keeps everything', () => {
  const plan = asapPrune({ steps: STEPS, firstTokenSurprisal: SCORES, countTokens: words, budget: { kind: 'tokens', tokens: 10 } });
  assert.deepEqual(plan.kept, [0, 1, 2, 3]);
  assert.deepEqual(plan.dropped, []);
  assert.deepEqual(plan.budget, { target: 10, before: 10, after: 10, met: true, description: 'at most 10 tokens' });
});

test('asap: ratio 0.8 (default) → target 8: the tie at 0.1 removes the earlier step first', () => {
  const plan = asapPrune({ steps: STEPS, firstTokenSurprisal: SCORES, countTokens: words });
  assert.deepEqual(plan.kept, [0, 2, 3]);
  assert.equal(plan.dropped[0]!.index, 1);
  assert.equal(plan.dropped[0]!.reason.rank, 1);
  assert.equal(plan.dropped[0]!.reason.budgetLine, '10 → 8 tokens (target ≤ 8)');
  assert.equal(plan.budget!.after, 8);
});

test('asap: ratio 0.5 → target 5 removes steps 1 then 2', () => {
  const plan = asapPrune({ steps: STEPS, firstTokenSurprisal: SCORES, countTokens: words, budget: 0.5 });
  assert.deepEqual(plan.kept, [0, 3]);
  assert.deepEqual(plan.dropped.map((d) => [d.index, d.reason.rank, d.reason.score]), [[1, 1, 0.1], [2, 2, 0.1]]);
});

test('asap: absolute budget of 3 tokens', () => {
  const plan = asapPrune({ steps: STEPS, firstTokenSurprisal: SCORES, countTokens: words, budget: { kind: 'tokens', tokens: 3 } });
  assert.deepEqual(plan.kept, [3]);
  assert.equal(plan.budget!.after, 1);
});

test('asap: pins are never removed; the next candidates go instead', () => {
  const plan = asapPrune({ steps: STEPS, firstTokenSurprisal: SCORES, countTokens: words, budget: 0.5, pinned: [1] });
  assert.deepEqual(plan.kept, [1, 3]); // removes 2 (10→7), then 0 (7→3)
  assert.deepEqual(plan.pinned, [1]);
});

test('asap: when only pins remain the budget is reported unmet', () => {
  const plan = asapPrune({ steps: STEPS, firstTokenSurprisal: SCORES, countTokens: words, budget: { kind: 'tokens', tokens: 0 }, pinned: [0, 1, 2] });
  assert.deepEqual(plan.kept, [0, 1, 2]);
  assert.equal(plan.budget!.met, false);
  assert.equal(plan.budget!.after, 9);
});

test('asap: the count is of the joined text, so a separator that counts as a token matters', () => {
  const chars = (t: string): number => t.length;
  // "ab\n\ncd\n\nef" = 10 chars; ratio 0.7 → 7; removing step 0 ("ab") → "cd\n\nef" = 6.
  const plan = asapPrune({ steps: ['ab', 'cd', 'ef'], firstTokenSurprisal: [1, 2, 3], countTokens: chars, budget: 0.7 });
  assert.deepEqual(plan.kept, [1, 2]);
});

test('asap: unscored steps are removed last', () => {
  const plan = asapPrune({ steps: STEPS, firstTokenSurprisal: [undefined, 3, 1, 2], countTokens: words, budget: { kind: 'tokens', tokens: 4 } });
  assert.deepEqual(plan.dropped.map((d) => d.index), [1, 2, 3]); // removal order 2, 3, 1 → 7, 6, 4
  assert.deepEqual(plan.dropped.map((d) => d.reason.rank), [3, 1, 2]);
});

test('budget: ratio floors like Python int(); absolute; difficulty-aware levels', () => {
  assert.equal(resolveBudget(0.8, 7).target, 5);
  assert.equal(resolveBudget({ kind: 'tokens', tokens: 1024 }, 5000).target, 1024);
  assert.throws(() => resolveBudget(1.5, 10), RangeError);
  const plain = ['Compute 2 + 3.', 'That is 5.'];
  assert.equal(rateDifficulty(500, plain).level, 'simple');
  assert.equal(rateDifficulty(2000, plain).level, 'moderate');
  assert.equal(rateDifficulty(5000, plain).level, 'complex');
  assert.equal(rateDifficulty(500, [...plain, 'Wait, let me check.', 'Hmm.']).level, 'complex'); // 50% reflection
  assert.equal(rateDifficulty(500, [...plain, ...plain, ...plain, ...plain, 'Wait.']).level, 'moderate'); // 1/9 = 11%
  const r = resolveBudget({ kind: 'difficulty' }, 1000, plain);
  assert.equal(r.difficulty!.level, 'simple');
  assert.equal(r.target, 400);
  assert.equal(resolveBudget({ kind: 'difficulty', ratios: { simple: 0.5 } }, 1000, plain).target, 500);
});

test('asap-iterative: re-scores after each removal, reports progress', async () => {
  const calls: number[][] = [];
  // Scores depend on the context: the step after a removed one becomes very predictable.
  const rescore = async (kept: readonly number[]) => {
    calls.push([...kept]);
    return kept.length === 4 ? [0.5, 0.1, 0.3, 2] : new Map([[0, 0.5], [2, 3], [3, 0.2]]);
  };
  const progress: number[] = [];
  const plan = await asapIterativePrune({ steps: STEPS, countTokens: words, rescore, budget: 0.5, onProgress: (p) => progress.push(p.tokens) });
  // Round 1 removes 1 (10→8); round 2 (re-scored) removes 3 (8→7); round 3 removes 0 (7→3 ≤ 5).
  // One-pass ASAP with the first scores would have removed 1 and 2 instead.
  assert.deepEqual(calls, [[0, 1, 2, 3], [0, 2, 3], [0, 2]]);
  assert.deepEqual(plan.kept, [2]);
  assert.deepEqual(progress, [8, 7, 3]);
  assert.deepEqual(plan.dropped.map((d) => [d.index, d.reason.rank]), [[0, 3], [1, 1], [3, 2]]);
});

test('asap-iterative: cancellation rejects with AbortError; initial scores save the first call', async () => {
  const ac = new AbortController();
  let calls = 0;
  const rescore = async () => {
    calls++;
    ac.abort();
    return [1, 1, 1, 1];
  };
  await assert.rejects(
    asapIterativePrune({ steps: STEPS, countTokens: words, rescore, initialScores: [0.5, 0.1, 0.3, 2], budget: 0.5, signal: ac.signal }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.equal(calls, 1); // round 1 used initialScores; round 2 called, aborted
});

describe('asap with an additive counter', () => {
  test('the O(1) update gives the same plan as re-joining and re-counting', () => {
    const texts = Array.from({ length: 60 }, (_, i) => `step ${i} ` + 'word '.repeat(1 + ((i * 7) % 13)));
    const tokens = texts.map((t) => t.trim().split(/\s+/).length);
    const surprisal = texts.map((_, i) => ((i * 37) % 17) / 3);
    const fallback = (t: string) => t.trim().split(/\s+/).length;
    const additive = stepSumCounter(texts, tokens, fallback, '\n\n', 1);
    // The same counting, hidden behind a plain function: asap must re-join and re-count.
    const opaque = (t: string) => additive(t);
    for (const ratio of [0.2, 0.5, 0.8, 0.95]) {
      const fast = asapPrune({ steps: texts, firstTokenSurprisal: surprisal, countTokens: additive, budget: ratio, pinned: [3, 40] });
      const slow = asapPrune({ steps: texts, firstTokenSurprisal: surprisal, countTokens: opaque, budget: ratio, pinned: [3, 40] });
      assert.deepEqual(fast.kept, slow.kept);
      assert.deepEqual(fast.budget, slow.budget);
      assert.deepEqual(fast.dropped.map((d) => d.reason.budgetLine), slow.dropped.map((d) => d.reason.budgetLine));
    }
  });
});
