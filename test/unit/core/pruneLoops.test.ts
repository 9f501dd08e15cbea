import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { detectLoops } from '../../../src/core/insights/loops';
import { loopsPrune, stepsOfTexts } from '../../../src/core/prune/loops';
import { joinKept } from '../../../src/core/prune/plan';
import { mulberry32 } from '../../../src/core/random';
import { segment } from '../../../src/core/steps';
import { sharedData } from '../helpers';

const VOCAB = Array.from({ length: 300 }, (_, i) => `v${i.toString(36)}`);
function paragraph(random: () => number): string {
  return Array.from({ length: 6 + Math.floor(random() * 12) }, () => VOCAB[Math.floor(random() * VOCAB.length)]).join(' ');
}
const words = (t: string): string => t.split(/\s+/).filter(Boolean).join(' ');

describe('loops pruning', () => {
  const random = mulberry32(42);
  const before = Array.from({ length: 40 }, () => paragraph(random));
  const cycle = Array.from({ length: 3 }, () => paragraph(random));
  const after = Array.from({ length: 4 }, () => paragraph(random));
  const steps = [...before, ...Array.from({ length: 15 }, () => cycle).flat(), ...after];

  test('drops the repeats, keeps the first occurrence and what follows; a reason per cut', () => {
    const plan = loopsPrune({ steps });
    assert.equal(plan.method, 'loops');
    assert.equal(plan.stepCount, 89);
    assert.deepEqual(plan.dropped.map((d) => d.index), Array.from({ length: 42 }, (_, i) => 43 + i));
    assert.deepEqual(plan.kept, [...Array.from({ length: 43 }, (_, i) => i), 85, 86, 87, 88]);
    const first = plan.dropped[0]!.reason;
    assert.equal(first.rule, 'repeat 2 of 15 of the 3-step cycle that starts at step 41');
    assert.equal(first.scoreName, 'repetition');
    assert.equal(first.score, 1);
    // Rank is the order a budget removes them: the last repeat first, so a loop shortens from its end.
    assert.equal(first.rank, 42);
    assert.equal(plan.dropped[41]!.reason.rank, 1);
    assert.equal(plan.dropped[41]!.reason.rule, 'repeat 15 of 15 of the 3-step cycle that starts at step 41');
    assert.equal(plan.dropped[20]!.reason.rule, 'repeat 8 of 15 of the 3-step cycle that starts at step 41');
    assert.match(plan.notes?.[0] ?? '', /^steps 41-85: a 3-step cycle repeated 15 times .*: 42 step\(s\) of repeats dropped, ~[\d,]+ tokens$/);
    assert.equal(joinKept(steps, plan.kept), [...before, ...cycle, ...after].join('\n\n'));
  });

  test('pinned repeats stay, the others still go; a report computed on the real reasoning gives the same plan', () => {
    const plan = loopsPrune({ steps, pinned: [50, 60, 200] });
    assert.deepEqual(plan.pinned, [50, 60]);
    assert.ok(plan.kept.includes(50) && plan.kept.includes(60));
    assert.equal(plan.dropped.length, 40);
    assert.match(plan.notes?.[0] ?? '', /40 step\(s\) of repeats dropped, 2 pinned kept/);
    // The reasoning as a file has it (other whitespace between steps): same loops, same cuts (token
    // estimates of the notes count the whitespace).
    const reasoning = steps.join('\n\n\n');
    const report = detectLoops(reasoning, { steps: segment(reasoning) });
    assert.deepEqual(loopsPrune({ steps, report }).dropped, loopsPrune({ steps }).dropped);
    assert.throws(() => loopsPrune({ steps: steps.slice(1), report }), RangeError);
  });

  test('no loop: nothing dropped; empty trace: an empty plan', () => {
    const plain = Array.from({ length: 10 }, () => paragraph(random));
    assert.deepEqual(loopsPrune({ steps: plain }).dropped, []);
    assert.deepEqual(loopsPrune({ steps: [] }).kept, []);
  });

  test('a word loop inside a step: only whole steps inside the repeats go', () => {
    const sentence = 'so the answer is still the same as before and nothing changes here';
    const texts = ['setup of the problem with some words', `${sentence} ${sentence}`, sentence, sentence, sentence, sentence, 'then the final answer is 12'];
    const plan = loopsPrune({ steps: texts });
    // One loop of the 13-word sentence; step 1 holds the first occurrence (and one repeat), steps 2-5 are repeats.
    assert.deepEqual(plan.dropped.map((d) => d.index), [2, 3, 4, 5]);
    assert.match(plan.dropped[0]!.reason.rule, /^repeat 3 of 6 of the (1-step cycle|13-word span) that starts (at|in) step 2$/);
  });

  test('property: never empties the reasoning, never drops a pin, keeps every cycle, drops only repeats', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(fc.record({ prefix: fc.integer({ min: 0, max: 3 }), period: fc.integer({ min: 1, max: 4 }), reps: fc.integer({ min: 1, max: 12 }) }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat({ max: 120 }), { maxLength: 8 }),
        (seed, parts, pins) => {
          const r = mulberry32(seed);
          const texts: string[] = [];
          for (const p of parts) {
            for (let i = 0; i < p.prefix; i++) texts.push(paragraph(r));
            const c = Array.from({ length: p.period }, () => paragraph(r));
            for (let k = 0; k < p.reps; k++) texts.push(...c);
          }
          const plan = loopsPrune({ steps: texts, pinned: pins });
          if (texts.length > 0) assert.ok(plan.kept.length > 0);
          for (const pin of pins) if (pin < texts.length) assert.ok(plan.kept.includes(pin), `pin ${pin}`);
          assert.equal(plan.kept.length + plan.dropped.length, texts.length);
          const report = detectLoops(stepsOfTexts(texts).reasoning, { steps: stepsOfTexts(texts).steps });
          const kept = words(joinKept(texts, plan.kept));
          const { reasoning } = stepsOfTexts(texts);
          for (const loop of report.loops) {
            assert.ok(kept.includes(words(reasoning.slice(loop.start, loop.cycleEnd))), `${loop.description}: first occurrence kept`);
          }
          const offsets = stepsOfTexts(texts).steps;
          for (const d of plan.dropped) {
            const s = offsets[d.index]!;
            assert.ok(report.loops.some((l) => s.start >= l.cycleEnd && s.end <= l.end), `step ${d.index} is not in any loop's repeats`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('real: the 32,768-token looping record loses its repeats, keeps its opening and its last steps', () => {
    const records = readFileSync(sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_pilot_math500_qwen7b.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { full_response: string; total_generated_tokens: number });
    const limit = Math.max(...records.map((r) => r.total_generated_tokens));
    const text = records.find((r) => r.total_generated_tokens === limit)!.full_response;
    const texts = segment(text).map((s) => s.text);
    const plan = loopsPrune({ steps: texts });
    assert.ok(plan.dropped.length > texts.length / 4, `${plan.dropped.length} of ${texts.length} steps dropped`);
    assert.ok(plan.kept.includes(0));
    assert.ok(plan.kept.includes(texts.length - 1), 'the last (cut-off) step is not a full repeat');
    const kept = joinKept(texts, plan.kept);
    assert.ok(kept.length < text.length * 0.8);
    // Nothing but loop repeats goes: after pruning, no loop of the same size is left.
    assert.ok(detectLoops(kept, { steps: segment(kept) }).wastedTokens < detectLoops(text, { steps: segment(text) }).wastedTokens / 4);
  });
});
