import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../helpers';
import { anchorPrune } from '../../../src/core/prune/anchor';
import { asapPrune } from '../../../src/core/prune/asap';
import { extractNumbers, findDanglingReferences } from '../../../src/core/prune/dangling';
import { confidencePrune, statesAnswer } from '../../../src/core/prune/confidence';
import { diffSteps } from '../../../src/core/diff';

// Thought Anchors (arXiv 2506.19143): chunks_labeled.json is an array of
// { chunk, chunk_idx, function_tags[], counterfactual_importance_accuracy, … }; base_solution.json has
// { prompt, solution, full_cot, answer, is_correct }.
interface Chunk { chunk: string; chunk_idx: number; function_tags: string[]; counterfactual_importance_accuracy?: number }
interface Problem { dir: string; chunks: Chunk[]; prompt: string; answer: string }

const root = sharedData('thought-anchors', 'deepseek-r1-distill-llama-8b');
function loadProblems(): Problem[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((kind) =>
    readdirSync(join(root, kind)).map((p) => {
      const dir = join(root, kind, p);
      const base = JSON.parse(readFileSync(join(dir, 'base_solution.json'), 'utf8')) as { prompt: string; answer: string };
      const chunks = JSON.parse(readFileSync(join(dir, 'chunks_labeled.json'), 'utf8')) as Chunk[];
      return { dir, chunks, prompt: base.prompt, answer: base.answer };
    }),
  );
}
const problems = loadProblems();
const words = (t: string): number => t.split(/\s+/).filter(Boolean).length;
// Chunk texts as steps; an internal blank line would split an anchor section in two, so fold it.
const stepsOf = (p: Problem): string[] => p.chunks.map((c) => c.chunk.replace(/\n\s*\n/g, '\n').trim());

test('real data: the Thought Anchors problems are present', () => {
  assert.ok(problems.length >= 10, `found ${problems.length} problems under ${root}`);
});

test('real data: anchor alignment of a trace against itself keeps every step', () => {
  for (const p of problems) {
    const steps = stepsOf(p);
    const { plan, matches } = anchorPrune({ steps, anchor: steps.join('\n\n') });
    assert.equal(plan.kept.length, steps.length, p.dir);
    assert.ok(matches.every((m, i) => m.step === i && m.ratio === 1));
  }
});

test('real data: ASAP with counterfactual importance as scores meets the budget; diff marks the drops', () => {
  for (const p of problems.slice(0, 8)) {
    const steps = stepsOf(p);
    const scores = p.chunks.map((c) => c.counterfactual_importance_accuracy ?? 0);
    const plan = asapPrune({ steps, firstTokenSurprisal: scores, countTokens: words, budget: 0.5 });
    assert.ok(plan.budget!.met && words(plan.kept.map((i) => steps[i]).join('\n\n')) <= plan.budget!.target);
    const pruned = plan.kept.map((i) => steps[i]!);
    const kinds = diffSteps(steps, pruned).map((r) => r.kind);
    assert.equal(kinds.filter((k) => k === 'dropped').length, plan.dropped.length, p.dir);
    assert.ok(!kinds.includes('inserted'));
  }
});

test('real data: dangling references after dropping computation steps are real numbers, correctly placed', () => {
  let total = 0;
  for (const p of problems) {
    const steps = stepsOf(p);
    const kept = p.chunks.flatMap((c, i) => (c.function_tags.includes('active_computation') ? [] : [i]));
    const keptSet = new Set(kept);
    const promptNumbers = extractNumbers(p.prompt);
    for (const d of findDanglingReferences({ steps, kept, context: p.prompt })) {
      assert.ok(!keptSet.has(d.sourceStep), 'source step was dropped');
      if (d.kind === 'number') {
        total++;
        assert.ok(extractNumbers(steps[d.sourceStep]!).has(d.token), `${d.token} in its source step`);
        assert.ok(!promptNumbers.has(d.token), `${d.token} not in the prompt`);
        for (let j = 0; j < d.sourceStep; j++) assert.ok(!extractNumbers(steps[j]!).has(d.token), `${d.token} first appears in its source`);
        for (const u of d.usedInSteps) {
          assert.ok(u > d.sourceStep && keptSet.has(u) && extractNumbers(steps[u]!).has(d.token));
        }
      }
    }
  }
  assert.ok(total > 0, 'real traces reuse numbers computed in dropped steps');
});

test('real data: the text-only answer rule finds a step stating the final answer', () => {
  let found = 0;
  for (const p of problems) {
    const steps = stepsOf(p);
    const { analysis, plan } = confidencePrune({ steps, finalAnswer: p.answer });
    if (analysis.answerStep !== null) {
      found++;
      assert.ok(statesAnswer(steps[analysis.answerStep]!, p.answer));
      assert.ok(plan.dropped.every((d) => d.index !== analysis.answerStep));
    }
  }
  assert.ok(found >= problems.length / 2, `answer step found in ${found}/${problems.length} traces`);
});
