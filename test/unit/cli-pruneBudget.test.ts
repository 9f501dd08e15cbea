import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBudget, isBudget, parseBudget } from '../../src/core/prune/budgetText';
import { explainStep, greedyBudgetPrune } from '../../src/core/prune/run';
import { applyControls, makePlan, keepAllPlan } from '../../src/core/prune/plan';

test('parseBudget: ratio, percentage, tokens, auto; ambiguous and invalid input say what is accepted', () => {
  assert.deepEqual(parseBudget('0.8'), { ok: true, budget: { kind: 'ratio', ratio: 0.8 } });
  assert.deepEqual(parseBudget(' 80% '), { ok: true, budget: { kind: 'ratio', ratio: 0.8 } });
  assert.deepEqual(parseBudget('.5'), { ok: true, budget: { kind: 'ratio', ratio: 0.5 } });
  assert.deepEqual(parseBudget('1024 tokens'), { ok: true, budget: { kind: 'tokens', tokens: 1024 } });
  assert.deepEqual(parseBudget('1,024t'), { ok: true, budget: { kind: 'tokens', tokens: 1024 } });
  assert.deepEqual(parseBudget('AUTO'), { ok: true, budget: { kind: 'difficulty' } });
  for (const bad of ['', '120%', '5', 'lots', '-0.5', '0.8 tokens']) {
    const r = parseBudget(bad);
    assert.equal(r.ok, false, bad);
  }
  assert.match((parseBudget('5') as { message: string }).message, /5% .* 5 tokens/);
  for (const s of ['80%', '1,024 tokens', 'auto', '33.3%']) {
    const r = parseBudget(s);
    assert.ok(r.ok);
    assert.equal(formatBudget(r.budget), s, 'format ∘ parse is the identity on formatted budgets');
  }
  // A zero budget would empty every trace: refused, in every spelling.
  for (const zero of ['0', '0%', '0 tokens', '0.0', '0t']) {
    const r = parseBudget(zero);
    assert.equal(r.ok, false, zero);
    assert.match((r as { message: string }).message, /budget of 0/);
  }
  assert.equal(isBudget({ kind: 'ratio', ratio: 0 }), false);
  assert.equal(isBudget({ kind: 'tokens', tokens: 0 }), false);
  assert.equal(isBudget({ kind: 'ratio', ratio: 2 }), false);
  assert.equal(isBudget({ kind: 'tokens', tokens: 10 }), true);
  assert.equal(isBudget(null), false);
});

test('explainStep: dropped by a method (score and budget line), by hand, pinned, kept', () => {
  const words = (t: string) => t.split(' ').length;
  const steps = ['a b c d', 'e f', 'g h i', 'j'];
  const plan = greedyBudgetPrune({ method: 'asap', scoreName: 'firstTokenSurprisal', scores: [3, 0.5, 2, 1], steps, countTokens: words, budget: { kind: 'tokens', tokens: 7 }, pinned: [], separator: ' ', rule: (r) => `rank ${r}` });
  assert.deepEqual(plan.kept, [0, 2]);
  const d = explainStep(plan, { pinned: [], overrides: {} }, 1);
  assert.equal(d.kept, false);
  assert.match(d.summary, /^Step 2 was dropped by ASAP \(first-token surprisal\): rank 1\.$/);
  assert.deepEqual(d.details.slice(0, 2), ['firstTokenSurprisal = 0.500', 'budget: 10 → 8 tokens (target ≤ 7)']);
  const controls = { pinned: [3], overrides: { 0: 'drop' as const, 2: 'keep' as const } };
  const effective = applyControls(plan, controls);
  assert.match(explainStep(effective, controls, 0).summary, /dropped by hand/);
  assert.match(explainStep(effective, controls, 3).summary, /pinned/);
  assert.match(explainStep(effective, controls, 2).summary, /kept it by hand/);
  assert.match(explainStep(keepAllPlan(4), { pinned: [], overrides: {} }, 1).summary, /no pruning method has run/);
  assert.match(explainStep(makePlan('entropy', 4, new Map()), { pinned: [], overrides: {} }, 1).summary, /Step entropy kept it/);
});
