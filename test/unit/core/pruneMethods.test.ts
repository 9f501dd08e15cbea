import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorPrune, anchorSections, matchAnchor } from '../../../src/core/prune/anchor';
import { entropyPrune } from '../../../src/core/prune/entropy';
import { prunedReasoningText } from '../../../src/core/prune/edits';
import { segment } from '../../../src/core/steps';
import { confidencePrune, normaliseAnswer, statedValues, statesAnswer } from '../../../src/core/prune/confidence';
import { perplexityPrune } from '../../../src/core/prune/perplexity';
import { extractIdentifiers, extractNumbers, findDanglingReferences } from '../../../src/core/prune/dangling';
import {
  applyControls, canRedo, canUndo, historyOf, historyPush, historyRedo, historyUndo, keepAllPlan, makePlan,
  protectedSteps, setOverride, togglePin, NO_CONTROLS,
} from '../../../src/core/prune/plan';
import { CHEAP_METHODS, isCheapMethod, METHOD, parseMethodChain, PRUNE_METHODS, pruneMethod } from '../../../src/core/prune/index';
import { budgetShortfall, PruneInputError, runCheapPrune, runPruneMethod } from '../../../src/core/prune/run';
import { isReflectionStep } from '../../../src/core/prune/reflection';

const words = (t: string): number => t.split(/\s+/).filter(Boolean).length;

test('anchor: sections scan forward, accept the first ratio ≥ 0.6, unmatched sections do not move the scan', () => {
  const steps = ['Let x = 3.', 'Hmm, maybe x = 4?', 'Then y = x + 2 = 5.', 'So the answer is 5.'];
  assert.deepEqual(anchorSections('Let x = 3.\n\n\n\n  Then y = 5. \n\nUnrelated text here.\n\nThe answer is 5.'), ['Let x = 3.', 'Then y = 5.', 'Unrelated text here.', 'The answer is 5.']);
  const m = matchAnchor(steps, 'Let x = 3.\n\nThen y = 5.\n\nUnrelated text here.\n\nThe answer is 5.');
  assert.deepEqual(m.map((x) => x.step), [0, 2, null, 3]);
  // difflib: ratio('Then y = x + 2 = 5.', 'Then y = 5.') = 2*11/30
  assert.equal(m[1]!.ratio, (2 * 11) / 30);
  const { plan } = anchorPrune({ steps, anchor: 'Let x = 3.\n\nThen y = 5.\n\nUnrelated text here.\n\nThe answer is 5.', pinned: [1] });
  assert.deepEqual(plan.kept, [0, 1, 2, 3]);
  const { plan: p2 } = anchorPrune({ steps, anchor: 'Let x = 3.\n\nThe answer is 5.' });
  assert.deepEqual(p2.kept, [0, 3]);
  assert.equal(p2.dropped[0]!.reason.method, 'anchor');
  // order matters: a section matching an earlier step than the previous match is not accepted
  assert.deepEqual(matchAnchor(steps, 'So the answer is 5.\n\nLet x = 3.').map((x) => x.step), [3, null]);
});

test('entropy: drop floor(ratio × eligible) lowest-entropy steps; ties earlier first; pins and unscored kept', () => {
  const plan = entropyPrune({ stepEntropy: [3, 1, 1, undefined, 0.5, 9], maskRatio: 0.6, pinned: [4] });
  // eligible: 0 (3), 1 (1), 2 (1), 5 (9) → floor(0.6 × 4) = 2 → steps 1, 2
  assert.deepEqual(plan.kept, [0, 3, 4, 5]);
  assert.deepEqual(plan.dropped.map((d) => [d.index, d.reason.rank]), [[1, 1], [2, 2]]);
  const text = 'a\n\nb\n\nc\n\nd\n\ne\n\nf';
  assert.equal(prunedReasoningText(text, segment(text, 'paragraph'), plan, { placeholder: true }), 'a\n\n[SKIP]\n\n[SKIP]\n\nd\n\ne\n\nf');
  assert.equal(prunedReasoningText(text, segment(text, 'paragraph'), plan), 'a\n\nd\n\ne\n\nf');
  assert.equal(entropyPrune({ stepEntropy: [1, 2], maskRatio: 0 }).dropped.length, 0);
  assert.equal(entropyPrune({ stepEntropy: [1, 2], maskRatio: 1 }).kept.length, 0);
});

test('confidence: answer normalisation and stated values', () => {
  assert.equal(normaliseAnswer('\\boxed{\\dfrac{1}{2}}'), normaliseAnswer('0.5'));
  assert.equal(normaliseAnswer('$-\\frac{5}{12}$'), normaliseAnswer('-5/12'));
  assert.equal(normaliseAnswer('1,000.'), '1000');
  assert.equal(normaliseAnswer('\\text{(B)}'), '(b)');
  assert.notEqual(normaliseAnswer('42'), normaliseAnswer('4.2'));
  assert.deepEqual(statedValues('So 6 * 7 = 42, and the answer is \\boxed{42}.'), ['42', '\\boxed{42}', '42']);
  assert.deepEqual(statedValues('#### 18'), ['18']);
  assert.ok(statesAnswer('Therefore the answer is 3/4.', '0.75'));
  assert.ok(statesAnswer('So p(5) = -5/12.', '-\\frac{5}{12}'));
  assert.ok(!statesAnswer('p(5) = -5/13.', '-\\frac{5}{12}'));
  assert.ok(isReflectionStep('Wait, that is wrong.') && isReflectionStep('**Hmm**, maybe') && isReflectionStep('But wait'));
  assert.ok(isReflectionStep('Let me double-check.') && isReflectionStep('Alternatively, use x.') && !isReflectionStep('So x = 2.'));
});

test('confidence: termination delay after a confident answer, confidence deficit before it', () => {
  const steps = [
    'We need 6 * 7.', // 0
    'First, 6 * 5 = 30.', // 1  confident intermediate result
    'Wait, let me check that.', // 2  reflection, no values → its check is step 3
    '6 * 5 = 30, yes.', // 3  re-derives 30 → confidence deficit (2 and 3)
    'Then 30 + 12 = 42.', // 4  answer stated, confident → A
    'Hmm, let me verify: 7 * 6.', // 5  termination delay
    '7 * 6 = 42 indeed.', // 6  re-states the answer: ends the episode, kept
    'So the answer is 42.', // 7  kept
    'Alternatively, 42 = 40 + 2.', // 8  termination delay
  ];
  const confidence = [1, 5, 2, 4, 6, 3, 5, 6, 3];
  const { plan, analysis } = confidencePrune({ steps, confidence, finalAnswer: '42', threshold: 4 });
  assert.equal(analysis.answerStep, 4);
  assert.deepEqual(analysis.candidates.map((c) => [c.index, c.kind]), [
    [2, 'confidence-deficit'], [3, 'confidence-deficit'], [5, 'termination-delay'], [8, 'termination-delay'],
  ]);
  assert.deepEqual(plan.kept, [0, 1, 4, 6, 7]);
  // threshold exposed: at 7 no step is confident enough, so no answer step and no deficit
  const strict = confidencePrune({ steps, confidence, finalAnswer: '42', threshold: 7 });
  assert.equal(strict.analysis.answerStep, null);
  assert.deepEqual(strict.plan.kept, steps.map((_, i) => i));
  // only one kind; pins
  const onlyDelay = confidencePrune({ steps, confidence, finalAnswer: '42', threshold: 4, drop: { confidenceDeficit: false }, pinned: [8] });
  assert.deepEqual(onlyDelay.plan.kept, [0, 1, 2, 3, 4, 6, 7, 8]);
  // default threshold = median confidence (4)
  assert.equal(confidencePrune({ steps, confidence, finalAnswer: '42' }).analysis.threshold, 4);
});

test('confidence: a low-confidence first statement of the answer is not the answer step', () => {
  const steps = ['Maybe it is 42.', 'Let me compute: 6 * 7 = 42.', 'Wait, check again.'];
  const { analysis } = confidencePrune({ steps, confidence: [1, 5, 2], finalAnswer: '42', threshold: 3 });
  assert.equal(analysis.answerStep, 1);
  assert.deepEqual(analysis.candidates.map((c) => c.index), [2]);
});

test('perplexity (SPIRIT): removes the least perplexity-raising step until the budget or threshold', async () => {
  // PPL = 10 + sum of the "importance" of removed steps.
  const importance = [5, 0.5, 2, 0.1];
  const calls: number[][] = [];
  const perplexityWithout = async (kept: readonly number[]) => {
    calls.push([...kept]);
    return 10 + importance.reduce((s, w, i) => (kept.includes(i) ? s : s + w), 0);
  };
  const steps = ['a b c d', 'e f', 'g h i', 'j'];
  const plan = await perplexityPrune({ steps, perplexityWithout, countTokens: words, budget: 0.7 });
  // target 7: remove 3 (+0.1, 10→9), then 1 (+0.5, 9→7)
  assert.deepEqual(plan.kept, [0, 2]);
  assert.deepEqual(plan.dropped.map((d) => [d.index, d.reason.rank]), [[1, 2], [3, 1]]);
  assert.ok(Math.abs(plan.dropped[0]!.reason.score! - 0.5) < 1e-12);
  assert.equal(calls.length, 1 + 4 + 3);
  const thr = await perplexityPrune({ steps, perplexityWithout, maxIncrease: 1 });
  assert.deepEqual(thr.kept, [0, 2]); // next least is +2 > 1
  assert.match(thr.notes![0]!, /stopped/);
  const pinned = await perplexityPrune({ steps, perplexityWithout, maxIncrease: 1, pinned: [3] });
  assert.deepEqual(pinned.kept, [0, 2, 3]);
  const ac = new AbortController();
  const progress: string[] = [];
  await assert.rejects(
    perplexityPrune({ steps, perplexityWithout, maxIncrease: 1, signal: ac.signal, onProgress: (p) => { progress.push(p.message); ac.abort(); } }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.equal(progress.length, 1);
  await assert.rejects(perplexityPrune({ steps, perplexityWithout }), /budget or a maxIncrease/);
});

test('dangling: numbers and identifiers introduced in dropped steps and used later', () => {
  assert.deepEqual([...extractNumbers('We get 36, 3.6, 3/4, 1,200 and 7.')], ['36', '3.6', '3/4', '1200']);
  assert.deepEqual([...extractIdentifiers('dp[i] = max(dp[i-1], x_1) and maxSum plus a2; the (value)')].sort(), ['a2', 'dp', 'max', 'maxSum', 'x_1']);
  const steps = [
    'The garden is 4 by 9.', // 0 kept
    'Area = 4 * 9 = 36.', // 1 dropped: introduces 36
    'Let dp = [0] * 10 and x_1 = 0.25.', // 2 dropped: dp, x_1, 0.25, 10
    'Half of 36 is 18; dp stays.', // 3 kept: uses 36, dp
    'And 0.25 of it.', // 4 kept: uses 0.25
  ];
  const found = findDanglingReferences({ steps, kept: [0, 3, 4], context: 'A garden of 4 by 9; 10 plants.' });
  assert.deepEqual(found.map((d) => [d.token, d.kind, d.sourceStep, d.usedInSteps]), [
    ['36', 'number', 1, [3]],
    ['dp', 'identifier', 2, [3]], // sorted by source step, then first use
    ['0.25', 'number', 2, [4]],
  ]);
  assert.deepEqual(findDanglingReferences({ steps, kept: [0, 1, 2, 3, 4] }), []);
  // 36 in 360 is not a use
  assert.deepEqual(findDanglingReferences({ steps: ['x = 36.', 'Total 360.'], kept: [1] }), []);
});

test('plan: controls, overrides win until reset, pins beat drop overrides', () => {
  const base = makePlan('asap', 4, new Map([[1, { method: 'asap', scoreName: 's', rank: 1, rule: 'r' }], [2, { method: 'asap', scoreName: 's', rank: 2, rule: 'r' }]]));
  let controls = setOverride(NO_CONTROLS, 1, 'keep');
  controls = setOverride(controls, 0, 'drop');
  controls = togglePin(controls, 3);
  controls = setOverride(controls, 3, 'drop');
  assert.deepEqual(protectedSteps(controls), [1, 3]);
  const applied = applyControls(base, controls);
  assert.deepEqual(applied.kept, [1, 3]);
  assert.deepEqual(applied.dropped.map((d) => [d.index, d.reason.method]), [[0, 'manual'], [2, 'asap']]);
  assert.deepEqual(applyControls(base, setOverride(setOverride(controls, 1, undefined), 0, undefined)).kept, [0, 3]);
  assert.throws(() => makePlan('asap', 2, new Map([[0, { method: 'asap', scoreName: 's', rank: 1, rule: 'r' }]]), [0]), /pinned/);
  assert.deepEqual(keepAllPlan(3).kept, [0, 1, 2]);
});

test('plan: undo/redo history', () => {
  let h = historyOf('a');
  assert.ok(!canUndo(h) && !canRedo(h));
  h = historyPush(historyPush(h, 'b'), 'c');
  h = historyUndo(historyUndo(h));
  assert.equal(h.present, 'a');
  assert.equal(historyUndo(h), h);
  h = historyRedo(h);
  assert.equal(h.present, 'b');
  h = historyPush(h, 'd');
  assert.ok(!canRedo(h));
  assert.deepEqual([...h.past, h.present], ['a', 'b', 'd']);
  let capped = historyOf(0);
  for (let i = 1; i <= 5; i++) capped = historyPush(capped, i, 3);
  assert.deepEqual(capped.past, [2, 3, 4]);
});

test('registry lists every method with label, description and needs', () => {
  assert.deepEqual(PRUNE_METHODS.map((m) => m.id), ['asap', 'asap-iterative', 'anchor', 'entropy', 'confidence', 'perplexity', 'loops', 'manual']);
  for (const m of PRUNE_METHODS) assert.ok(m.label && m.description && m.needs && Array.isArray(m.needs.scoreFields));
  assert.deepEqual(pruneMethod('anchor').needs, { scores: 'none', scoreFields: [], answer: 'anchor', model: false });
});

test('registry: one record per id; slow methods are the model methods and the only cancellable ones; every method dispatches', async () => {
  const ids = Object.values(METHOD);
  assert.deepEqual([...PRUNE_METHODS.map((m) => m.id)].sort(), [...ids].sort(), 'one record per METHOD id');
  for (const m of PRUNE_METHODS) {
    assert.equal(m.slow, m.needs.model, `${m.id}: slow means it calls a model`);
    assert.ok(!m.cancellable || m.slow, `${m.id}: only slow methods honour a signal part-way`);
    assert.equal(isCheapMethod(m.id), CHEAP_METHODS.includes(m.id));
  }
  const steps = ['Let x = 3.', 'Hmm, wait, maybe x = 4?', 'Then y = x + 2 = 5.', 'So the answer is 5.'];
  const scores = steps.map((_, index) => ({ index, tokens: 4, firstTokenSurprisal: index + 1, stepEntropy: index + 1, confidence: 3 }));
  for (const { id } of PRUNE_METHODS) {
    const plan = await runPruneMethod({
      method: id, budget: { kind: 'ratio', ratio: 0.5 }, steps, scores, finalAnswer: '5', anchor: 'Let x = 3.\n\nThe answer is 5.',
      countTokens: words,
      model: { rescore: async (kept) => new Map(kept.map((i) => [i, i + 1])), perplexityWithout: async (kept) => 10 - kept.length },
    });
    assert.equal(plan.method, id, `${id} dispatches to its own implementation`);
    assert.equal(plan.kept.length + plan.dropped.length, steps.length);
  }
});

test('a plan never empties the reasoning: ASAP keeps its best step under a tiny budget; a rule that matches nothing leaves the trace alone', async () => {
  const steps = ['alpha beta gamma', 'delta epsilon', 'zeta eta theta iota'];
  const scores = steps.map((_, index) => ({ index, tokens: 3, firstTokenSurprisal: [2, 1, 3][index]!, stepEntropy: 1 }));
  const tiny = runCheapPrune({ method: 'asap', budget: { kind: 'tokens', tokens: 1 }, steps, scores, countTokens: words });
  assert.deepEqual(tiny.kept, [2], 'the most surprising step stays');
  assert.equal(tiny.budget?.met, false);
  assert.match(budgetShortfall(tiny) ?? '', /one step a trace always keeps/);
  // The anchor matches no step: dropping every step would empty the trace, so the method refuses.
  assert.throws(
    () => runCheapPrune({ method: 'anchor', steps, anchor: 'Something else entirely.\n\nNothing alike.', countTokens: words }),
    (e: unknown) => e instanceof PruneInputError && /would drop every step/.test(e.message),
  );
});

test('rule-based methods: the whole rule without a budget; with one, candidates go most redundant first and never below it', () => {
  const unit = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
  // Step 0 starts a 2-step cycle repeated 5 times (steps 1-10), then step 11 follows the loop.
  const steps = ['We start here.', ...Array.from({ length: 5 }, () => ['Wait, let me recompute the total sum again.', 'The total sum is still forty two.']).flat(), unit(20)];
  const all = runCheapPrune({ method: 'loops', steps, countTokens: words });
  assert.deepEqual(all.kept, [0, 1, 2, 11], 'every repeat goes, the first occurrence stays');
  assert.equal(all.budget?.met, true);
  assert.match(all.budget?.description ?? '', /no budget/);
  const before = all.budget!.before;
  // A budget the rule can reach: it stops there, dropping the last repeats first.
  const capped = runCheapPrune({ method: 'loops', steps, budget: { kind: 'ratio', ratio: 0.8 }, ruleBudget: true, countTokens: words });
  assert.ok(capped.budget!.met && capped.budget!.after <= capped.budget!.target && capped.budget!.after > all.budget!.after, JSON.stringify(capped.budget));
  assert.ok(capped.kept.includes(3) && !capped.kept.includes(10), 'the loop shortens from its end');
  // A budget beyond the rule: what the rule allows, and a reason that says what to do.
  const unmet = runCheapPrune({ method: 'loops', steps, budget: { kind: 'ratio', ratio: 0.2 }, ruleBudget: true, countTokens: words });
  assert.deepEqual(unmet.kept, all.kept);
  assert.equal(unmet.budget?.met, false);
  assert.match(unmet.notes?.join('\n') ?? '', /found only 8 step\(s\) to drop/);
  assert.match(budgetShortfall(unmet) ?? '', /--method loops,asap/);
  // Chained: loops, then ASAP to the budget measured on the whole trace.
  const scores = steps.map((_, index) => ({ index, tokens: words(steps[index]!), firstTokenSurprisal: index % 3, stepEntropy: 1 }));
  const chain = runCheapPrune({ method: 'loops', then: ['asap'], steps, scores, budget: { kind: 'ratio', ratio: 0.3 }, countTokens: words });
  assert.equal(chain.budget?.before, before);
  assert.equal(chain.budget?.target, Math.floor(0.3 * before));
  assert.ok(chain.budget!.met, JSON.stringify(chain.budget));
  for (const i of all.dropped.map((d) => d.index)) assert.equal(chain.dropped.find((d) => d.index === i)?.reason.method, 'loops');
  assert.ok(chain.dropped.some((d) => d.reason.method === 'asap'), 'ASAP dropped more of what loops kept');
  assert.match(chain.budget?.description ?? '', /Loop repeats, then ASAP/);
  assert.deepEqual(parseMethodChain('loops, asap'), { ok: true, method: 'loops', then: ['asap'] });
  for (const bad of ['', 'loops,loops', 'manual', 'loops,nope']) assert.equal(parseMethodChain(bad).ok, false, bad);
});
