import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asapPrune } from '../../../src/core/prune/asap';
import { entropyPrune } from '../../../src/core/prune/entropy';
import { historyOf, historyPush, historyRedo, historyUndo, applyControls, type StepControls } from '../../../src/core/prune/plan';
import { diffSteps } from '../../../src/core/diff';

const words = (t: string): number => t.split(/\s+/).filter(Boolean).length;
const stepText = fc.array(fc.constantFrom('x', 'yy', 'z1', '7'), { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));
const traceArb = fc
  .array(fc.tuple(stepText, fc.double({ min: 0, max: 5, noNaN: true }), fc.boolean()), { minLength: 1, maxLength: 12 })
  .chain((rows) => fc.record({ rows: fc.constant(rows), ratio: fc.double({ min: 0, max: 1, noNaN: true }), pinSome: fc.boolean() }));

/** ASAP stage 2 transcribed literally (Python's stable sort on score; remove; recount) as the oracle. */
function asapReference(steps: string[], scores: number[], budget: number, pinned: Set<number>): number[] {
  const count = (kept: number[]): number => words(kept.map((i) => steps[i]).join('\n\n'));
  let kept = steps.map((_, i) => i);
  if (count(kept) <= budget) return kept;
  const order = kept.filter((i) => !pinned.has(i)).sort((a, b) => scores[a]! - scores[b]! || a - b);
  for (const i of order) {
    // Ours: never the last step (ASAP's loop would empty the trace when the budget is below every step).
    if (kept.length <= 1) break;
    kept = kept.filter((k) => k !== i);
    if (count(kept) <= budget) break;
  }
  return kept;
}

test('property: ASAP keeps original order, never drops pins, keeps a step, meets the budget unless only pins or one step remain, equals the oracle', () => {
  fc.assert(
    fc.property(traceArb, ({ rows, ratio, pinSome }) => {
      const steps = rows.map((r) => r[0]);
      const scores = rows.map((r) => r[1]);
      const pinned = pinSome ? rows.flatMap((r, i) => (r[2] ? [i] : [])) : [];
      const plan = asapPrune({ steps, firstTokenSurprisal: scores, countTokens: words, budget: ratio, pinned });
      assert.deepEqual(plan.kept, [...plan.kept].sort((a, b) => a - b));
      for (const p of pinned) assert.ok(plan.kept.includes(p));
      assert.equal(plan.kept.length + plan.dropped.length, steps.length);
      const after = words(plan.kept.map((i) => steps[i]).join('\n\n'));
      assert.equal(after, plan.budget!.after);
      assert.ok(plan.kept.length >= 1, 'a plan never empties the reasoning');
      if (after > plan.budget!.target) assert.ok(plan.kept.length === 1 || plan.kept.length === pinned.length, 'only pins or the last step are left above the budget');
      if (after > plan.budget!.target && plan.kept.length > 1) assert.deepEqual(plan.kept, pinned);
      assert.deepEqual(plan.kept, asapReference(steps, scores, plan.budget!.target, new Set(pinned)));
    }),
    { numRuns: 300 },
  );
});

test('property: entropy pruning drops floor(ratio × eligible) unpinned steps, kept in order', () => {
  fc.assert(
    fc.property(traceArb, ({ rows, ratio, pinSome }) => {
      const pinned = pinSome ? rows.flatMap((r, i) => (r[2] ? [i] : [])) : [];
      const plan = entropyPrune({ stepEntropy: rows.map((r) => r[1]), maskRatio: ratio, pinned });
      assert.equal(plan.dropped.length, Math.floor(ratio * (rows.length - pinned.length)));
      for (const p of pinned) assert.ok(plan.kept.includes(p));
      assert.deepEqual(plan.kept, [...plan.kept].sort((a, b) => a - b));
    }),
    { numRuns: 200 },
  );
});

test('property: manual controls — pins always kept, keep overrides kept, drop overrides of unpinned dropped', () => {
  fc.assert(
    fc.property(traceArb, fc.array(fc.tuple(fc.nat(11), fc.constantFrom<'keep' | 'drop'>('keep', 'drop'))), ({ rows, ratio }, ov) => {
      const steps = rows.map((r) => r[0]);
      const pins = rows.flatMap((r, i) => (r[2] ? [i] : []));
      const plan = asapPrune({ steps, firstTokenSurprisal: rows.map((r) => r[1]), countTokens: words, budget: ratio });
      const controls: StepControls = { pinned: pins, overrides: Object.fromEntries(ov.filter(([i]) => i < steps.length)) };
      const out = applyControls(plan, controls);
      for (let i = 0; i < steps.length; i++) {
        if (pins.includes(i) || controls.overrides[i] === 'keep') assert.ok(out.kept.includes(i));
        else if (controls.overrides[i] === 'drop') assert.ok(!out.kept.includes(i));
        else assert.equal(out.kept.includes(i), plan.kept.includes(i));
      }
    }),
    { numRuns: 200 },
  );
});

test('property: undo/redo round-trip restores every state', () => {
  fc.assert(
    fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 30 }), (values) => {
      let h = historyOf(values[0]!);
      for (const v of values.slice(1)) h = historyPush(h, v);
      const undone: number[] = [h.present];
      for (let i = 1; i < values.length; i++) undone.push((h = historyUndo(h)).present);
      assert.deepEqual(undone, [...values].reverse());
      for (let i = 1; i < values.length; i++) h = historyRedo(h);
      assert.equal(h.present, values[values.length - 1]);
      assert.deepEqual(h.past, values.slice(0, -1));
    }),
  );
});

test('property: diff of a trace against any subsequence of it marks exactly the removed steps dropped', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 15 }), fc.array(fc.boolean(), { minLength: 15, maxLength: 15 }), (steps, keep) => {
      const pruned = steps.filter((_, i) => keep[i]);
      const rows = diffSteps(steps, pruned);
      assert.deepEqual(rows.map((r) => r.original), steps.map((_, i) => i));
      assert.deepEqual(rows.map((r) => r.kind), steps.map((_, i) => (keep[i] ? 'kept' : 'dropped')));
    }),
  );
});
