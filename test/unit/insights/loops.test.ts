import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { detectLoops, groupDigits, type Loop, type LoopReport } from '../../../src/core/insights/loops';
import { scanSpans } from '../../../src/core/insights/periodic';
import { scanWords } from '../../../src/core/insights/words';
import { mulberry32 } from '../../../src/core/random';
import { segment } from '../../../src/core/steps';
import { readTraces } from '../../../src/core/trace';
import { sharedData } from '../helpers';

const VOCAB = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`);

/** A paragraph of random words (unique with overwhelming probability). */
function paragraph(random: () => number, words = 8 + Math.floor(random() * 10)): string {
  return Array.from({ length: words }, () => VOCAB[Math.floor(random() * VOCAB.length)]).join(' ') + '.';
}

/** `prefix` unique paragraphs, a `period`-paragraph cycle `repetitions` times, `suffix` unique paragraphs. */
function loopTrace(seed: number, prefix: number, period: number, repetitions: number, suffix: number): { text: string; cycle: string[] } {
  const random = mulberry32(seed);
  const before = Array.from({ length: prefix }, () => paragraph(random));
  const cycle = Array.from({ length: period }, () => paragraph(random));
  const after = Array.from({ length: suffix }, () => paragraph(random));
  const looped = Array.from({ length: repetitions }, () => cycle).flat();
  return { text: [...before, ...looped, ...after].join('\n\n'), cycle };
}

const wordCount = (s: string): number => s.split(/\s+/).filter(Boolean).length;

/** Every loop really repeats: the words of `[start, end)` have period `periodWords`. */
function assertPeriodic(text: string, loop: Loop): void {
  const words = text.slice(loop.start, loop.end).split(/\s+/).filter(Boolean);
  assert.ok(words.length >= loop.periodWords * 2, `${loop.description}: shorter than two cycles`);
  for (let j = loop.periodWords; j < words.length; j++) {
    assert.equal(words[j], words[j - loop.periodWords], `${loop.description}: word ${j} breaks the cycle`);
  }
  assert.equal(wordCount(text.slice(loop.start, loop.cycleEnd)), loop.periodWords);
}

describe('periodic runs', () => {
  test('finds a maximal run with its period, seeded by repeated spans', () => {
    // x y [a b c a b c a b c a b] z: period 3, from index 2 to 13.
    const keys = Float64Array.from([9, 8, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 7]);
    const { runs, repeated, mostRepeated } = scanSpans(keys, 2, 3);
    assert.deepEqual(runs, [{ start: 2, end: 13, period: 3 }]);
    assert.deepEqual([...repeated], [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    assert.equal(mostRepeated.count, 4);
  });

  test('a run below the repetition floor is not reported; windows longer than the text find nothing', () => {
    const keys = Float64Array.from([1, 2, 1, 2, 5]);
    assert.deepEqual(scanSpans(keys, 1, 3).runs, []);
    assert.deepEqual(scanSpans(keys, 1, 2).runs, [{ start: 0, end: 4, period: 2 }]);
    assert.deepEqual(scanSpans(keys, 9, 2).runs, []);
  });

  test('property: with enough candidates, every primitive maximal run of one-unit windows is found, and only true runs', () => {
    /** Brute force: for each period, maximal intervals where keys[j] === keys[j + p]. */
    function reference(keys: number[], minRepetitions: number): string[] {
      const out: { start: number; end: number; period: number }[] = [];
      for (let p = 1; p <= keys.length / 2; p++) {
        for (let j = 0; j + p < keys.length; ) {
          if (keys[j] !== keys[j + p]) { j++; continue; }
          let r = j;
          while (r + p < keys.length && keys[r] === keys[r + p]) r++;
          if (r - j + p >= minRepetitions * p) out.push({ start: j, end: r + p, period: p });
          j = r;
        }
      }
      // Primitive: no run of a smaller period dividing this one covers the same interval.
      return out.filter((a) => !out.some((b) => b.period < a.period && a.period % b.period === 0 && b.start <= a.start && b.end >= a.end)).map((x) => `${x.start}-${x.end}/${x.period}`);
    }
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 10 }), fc.integer({ min: 2, max: 6 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 8 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 8 }), (cycle, reps, before, after) => {
        const keys = [...before, ...Array.from({ length: reps }, () => cycle).flat(), ...after];
        const found = scanSpans(Float64Array.from(keys), 1, 2, keys.length).runs;
        for (const r of found) {
          for (let j = r.start; j + r.period < r.end; j++) assert.equal(keys[j], keys[j + r.period]);
          assert.ok(r.start === 0 || keys[r.start - 1] !== keys[r.start - 1 + r.period], 'maximal on the left');
          assert.ok(r.end === keys.length || keys[r.end] !== keys[r.end - r.period], 'maximal on the right');
        }
        const got = new Set(found.map((x) => `${x.start}-${x.end}/${x.period}`));
        for (const want of reference(keys, 2)) assert.ok(got.has(want), `${want} missing in ${[...got].join(' ')} for ${keys.join('')}`);
      }),
      { numRuns: 500 },
    );
  });

  test('words: offsets and keys, whitespace of any kind separates, equal words equal keys', () => {
    const w = scanWords('a  bb\u00a0a\n\ncc\tbb');
    assert.equal(w.count, 5);
    assert.deepEqual([...w.starts], [0, 3, 6, 9, 12]);
    assert.deepEqual([...w.ends], [1, 5, 7, 11, 14]);
    assert.equal(w.keys[0], w.keys[2]);
    assert.equal(w.keys[1], w.keys[4]);
    assert.notEqual(w.keys[0], w.keys[1]);
  });
});

describe('loop detection on synthetic loops', () => {
  test('a 3-step cycle repeated 15 times after 40 steps: start, period, repetitions, waste, labels', () => {
    const { text, cycle } = loopTrace(7, 40, 3, 15, 5);
    const steps = segment(text);
    assert.equal(steps.length, 40 + 45 + 5);
    const report = detectLoops(text, { steps });
    assert.equal(report.loops.length, 1);
    const loop = report.loops[0]!;
    assert.equal(loop.unit, 'step');
    assert.equal(loop.start, steps[40]!.start);
    assert.equal(loop.end, steps[84]!.end);
    assert.equal(loop.cycleEnd, steps[42]!.end);
    assert.equal(loop.repetitions, 15);
    assert.equal(loop.partial, false);
    const cycleWords = cycle.reduce((s, p) => s + wordCount(p), 0);
    assert.equal(loop.periodWords, cycleWords);
    assert.equal(loop.wastedWords, 14 * cycleWords);
    assert.equal(loop.wastedChars, steps[84]!.end - steps[42]!.end);
    assert.deepEqual(loop.steps, { first: 40, last: 84, period: 3, repeats: Array.from({ length: 42 }, (_, i) => 43 + i) });
    assert.match(loop.description, /^steps 41-85: a 3-step cycle repeated 15 times \(/);
    assertPeriodic(text, loop);
    // Labels: inside the loop only; occurrence numbers count cycles.
    assert.equal(report.steps.length, steps.length);
    report.steps.forEach((s, i) => assert.equal(s.label, i >= 40 && i <= 84 ? 'loop' : undefined, `step ${i}`));
    assert.deepEqual(report.steps[40]!.loop, { loop: 0, occurrence: 1, of: 15 });
    assert.deepEqual(report.steps[46]!.loop, { loop: 0, occurrence: 3, of: 15 });
    // Repetition: the repeats are all repeated words; the unique prefix is not.
    for (let i = 43; i <= 84; i++) assert.equal(report.steps[i]!.repetition, 1, `step ${i}`);
    for (let i = 0; i < 40; i++) assert.equal(report.steps[i]!.repetition, 0, `step ${i}`);
    assert.ok(report.repetition > 0.4 && report.repetition < 0.5, `${report.repetition}`);
  });

  test('property: any cycle of 1-5 steps repeated 3-20 times is found with its exact period and count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 3, max: 20 }), fc.integer({ min: 0, max: 6 }), (seed, prefix, period, repetitions, suffix) => {
        const { text, cycle } = loopTrace(seed, prefix, period, repetitions, suffix);
        const cycleWords = cycle.reduce((s, p) => s + wordCount(p), 0);
        const steps = segment(text);
        const report = detectLoops(text, { steps });
        if ((repetitions - 1) * cycleWords < 30) {
          // Below the waste floor: not a loop, but still counted as repetition.
          assert.equal(report.loops.length, 0);
          return;
        }
        assert.equal(report.loops.length, 1, JSON.stringify(report.loops.map((l) => l.description)));
        const loop = report.loops[0]!;
        assert.equal(loop.unit, 'step');
        assert.equal(loop.steps?.first, prefix);
        assert.equal(loop.steps?.period, period);
        assert.equal(loop.repetitions, repetitions);
        assert.equal(loop.wastedWords, (repetitions - 1) * cycleWords);
        assert.deepEqual(loop.steps?.repeats, Array.from({ length: (repetitions - 1) * period }, (_, i) => prefix + period + i));
        assertPeriodic(text, loop);
      }),
      { numRuns: 150 },
    );
  });

  test('a cycle whose every step recurs inside it (A B A B A, repeated) is found as one step cycle', () => {
    const random = mulberry32(9);
    const [a, b] = [paragraph(random, 12), paragraph(random, 12)];
    const text = [paragraph(random), ...Array.from({ length: 6 }, () => [a, b, a, b, a]).flat(), paragraph(random)].join('\n\n');
    const report = detectLoops(text, { steps: segment(text) });
    assert.deepEqual(report.loops.map((l) => [l.unit, l.steps?.first, l.steps?.period, l.repetitions]), [['step', 1, 5, 6]]);
  });

  test('a sentence looping inside one paragraph is a word loop; the last, cut-short repeat counts', () => {
    const random = mulberry32(3);
    const sentence = 'Wait, let me recompute the total of the first row once more.';
    const text = `${paragraph(random)} ${paragraph(random)}\n\n${paragraph(random)} ${Array(9).fill(sentence).join(' ')} Wait, let me`;
    // Paragraph steps: the loop lies inside one step (auto would cut that paragraph into sentences).
    const steps = segment(text, 'paragraph');
    const report = detectLoops(text, { steps });
    assert.equal(report.loops.length, 1);
    const loop = report.loops[0]!;
    assert.equal(loop.unit, 'word');
    assert.equal(loop.periodWords, 12);
    assert.equal(loop.repetitions, 10);
    assert.equal(loop.partial, true);
    assert.equal(loop.wastedWords, 8 * 12 + 3);
    assert.equal(text.slice(loop.start, loop.cycleEnd), sentence);
    assert.equal(loop.end, text.length);
    assert.deepEqual(loop.steps, { first: 1, last: 1, repeats: [] });
    assert.match(loop.description, /^step 2: a 12-word span repeated 10 times, the last one cut short/);
    assertPeriodic(text, loop);
  });

  test('exact token counts from token starts; ~4 characters a token without them', () => {
    const { text } = loopTrace(11, 2, 2, 6, 1);
    const steps = segment(text);
    // One token per character: wasted tokens = wasted characters.
    const perChar = detectLoops(text, { steps, tokenStarts: Array.from({ length: text.length }, (_, i) => i) });
    assert.equal(perChar.tokens, text.length);
    assert.equal(perChar.wastedTokens, perChar.loops[0]!.wastedChars);
    const estimated = detectLoops(text, { steps });
    assert.equal(estimated.wastedTokens, Math.round(estimated.loops[0]!.wastedChars / 4));
  });

  test('thresholds: fewer repetitions than asked, or too little waste, is not a loop', () => {
    const { text } = loopTrace(5, 3, 2, 3, 3);
    const steps = segment(text);
    assert.equal(detectLoops(text, { steps, minRepetitions: 4 }).loops.length, 0);
    assert.equal(detectLoops(text, { steps, minWastedWords: 10_000 }).loops.length, 0);
    assert.equal(detectLoops(text, { steps, minRepetitions: 3, minWastedWords: 1 }).loops.length, 1);
    // Without steps the same loop is found on words, with character offsets only.
    const bare = detectLoops(text, { minWastedWords: 1 });
    assert.equal(bare.loops.length, 1);
    assert.equal(bare.loops[0]!.unit, 'word');
    assert.equal(bare.loops[0]!.steps, undefined);
    assert.match(bare.loops[0]!.description, /^characters [\d,]+-[\d,]+: a \d+-word span repeated 3 times/);
  });

  test('a loop outside every step (file chunks that do not cover the text) has no step range', () => {
    const { text } = loopTrace(13, 1, 2, 8, 0);
    const firstStep = segment(text).slice(0, 1);
    const report = detectLoops(text, { steps: firstStep });
    assert.equal(report.loops.length, 1);
    assert.equal(report.loops[0]!.steps, undefined);
    assert.match(report.loops[0]!.description, /^characters /);
    assert.equal(report.steps[0]!.label, undefined);
  });

  test('empty and tiny texts; digit grouping of descriptions', () => {
    assert.deepEqual([0, 12, 1234, 1234567].map(groupDigits), ['0', '12', '1,234', '1,234,567']);
    assert.deepEqual(detectLoops('').loops, []);
    assert.equal(detectLoops('').repetition, 0);
    assert.deepEqual(detectLoops('one two', { steps: segment('one two') }).steps.map((s) => s.repetition), [0]);
  });
});

describe('loop detection on real traces', () => {
  /** A record of the R1-Distill-Qwen-7B eval dump; its text sits in `full_response` (see the wild README). */
  interface DumpRecord { full_response: string; total_generated_tokens: number }
  const dump = (readFileSync(sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_pilot_math500_qwen7b.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DumpRecord));

  function check(text: string): LoopReport {
    const steps = segment(text);
    const report = detectLoops(text, { steps });
    for (const loop of report.loops) {
      assertPeriodic(text, loop);
      // A step cycle's repeats are copies of the steps one period earlier.
      if (loop.steps?.period) for (const s of loop.steps.repeats) assert.equal(steps[s]!.text, steps[s - loop.steps.period]!.text);
    }
    return report;
  }

  test('the record that hit the 32,768-token limit is one long loop; the finished ones have none', () => {
    const limit = Math.max(...dump.map((r) => r.total_generated_tokens));
    const looping = dump.filter((r) => r.total_generated_tokens === limit);
    assert.ok(looping.length >= 1);
    for (const r of looping) {
      const report = check(r.full_response);
      assert.ok(report.loops.length >= 1);
      const wastedChars = report.loops.reduce((s, l) => s + l.wastedChars, 0);
      assert.ok(wastedChars > 0.2 * r.full_response.length, `repeats cover ${wastedChars} of ${r.full_response.length} characters`);
      assert.ok(report.loops.some((l) => l.repetitions >= 10 && l.unit === 'step'), report.loops.map((l) => l.description).join('; '));
      assert.ok(report.repetition > 0.5, `repetition ${report.repetition}`);
    }
    for (const r of dump.filter((x) => x.total_generated_tokens < limit)) assert.deepEqual(check(r.full_response).loops, []);
  });

  test('normal reasoning is not flagged: DeepSeek-R1 Codeforces and R1-Distill Thought-Anchors traces', async () => {
    let traces = 0;
    for (const folder of ['codeforces-r1', 'thought-anchors']) {
      const { traces: list } = await readTraces(sharedData(folder));
      for (const t of list) {
        const report = check(t.reasoning);
        assert.deepEqual(report.loops.map((l) => l.description), [], `${t.id}`);
        assert.ok(report.repetition < 0.25, `${t.id}: repetition ${report.repetition}`);
        traces++;
      }
    }
    assert.ok(traces >= 30, `${traces} traces read`);
  });

  test('whatever loops the GSM8K model solutions hold are verbatim repeats', async () => {
    const { traces } = await readTraces(sharedData('gsm8k', 'example_model_solutions.jsonl'));
    assert.ok(traces.length > 100);
    for (const t of traces) check(t.reasoning);
  });
});
