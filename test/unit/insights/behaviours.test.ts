import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BehaviourMiner, normalisedWords, signature } from '../../../src/core/insights/behaviours';
import { behaviourHandbook, escapeMarkdown } from '../../../src/core/insights/handbook';
import { scanTraces } from '../../../src/core/insights/scan';
import { mulberry32 } from '../../../src/core/random';
import { segment } from '../../../src/core/steps';
import type { Trace } from '../../../src/core/trace';
import { sharedData } from '../helpers';

// Letters only: the normaliser reads digits as numbers.
const VOCAB = Array.from({ length: 2000 }, (_, i) => `q${i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)))}`);
function noise(random: () => number): string {
  return Array.from({ length: 10 + Math.floor(random() * 20) }, () => VOCAB[Math.floor(random() * VOCAB.length)]).join(' ') + '.';
}
const ref = (i: number) => ({ file: 0, record: i, trace: 0, line: i + 1, id: `L${i + 1}` });

function hashes(text: string, max = 24): number[] {
  const out = new Uint32Array(max);
  return [...out.subarray(0, normalisedWords(text, max, out))];
}

function similarity(a: string, b: string): number {
  const sa = new Uint32Array(24);
  const sb = new Uint32Array(24);
  const wa = new Uint32Array(24);
  const wb = new Uint32Array(24);
  signature(wa, normalisedWords(a, 24, wa), sa);
  signature(wb, normalisedWords(b, 24, wb), sb);
  return sa.filter((v, i) => v === sb[i]).length / 24;
}

describe('behaviour signatures', () => {
  test('normalisation: case, apostrophes, numbers and punctuation', () => {
    assert.deepEqual(hashes("Let's check 3.14 and 1,000 apples!"), hashes('lets CHECK 7 and 2 apples'));
    assert.equal(hashes("Let's check 3.14 and 1,000 apples!").length, 6);
    assert.deepEqual(hashes('\\frac{a}{b} = 2'), hashes('frac a b 9'));
    assert.equal(hashes('one two three four five', 3).length, 3);
    assert.deepEqual(hashes('  '), []);
  });

  test('MinHash agreement tracks word-pair Jaccard similarity', () => {
    const base = 'wait let me double check the sample input to make sure the output matches what we expect here';
    assert.equal(similarity(base, base.toUpperCase()), 1);
    assert.ok(similarity(base, base.replace('sample', 'second')) >= 0.6, 'one word changed');
    assert.ok(similarity(base, 'alternatively we could model the grid as a graph and run a breadth first search') <= 0.2, 'unrelated');
  });
});

describe('behaviour mining', () => {
  /** 400 traces of 12 noise steps; behaviour A early in every 4th trace, B late in 3 of 5 traces. */
  function dataset(): { traces: { steps: string[] }[]; a: number; b: number } {
    const random = mulberry32(1);
    let a = 0;
    let b = 0;
    const traces = Array.from({ length: 400 }, (_, i) => {
      const steps = Array.from({ length: 12 }, () => noise(random));
      if (i % 4 === 0) {
        steps[1] = `Wait, let me double-check the sample input ${i % 7} to be sure the output is ${i}.`;
        a++;
      }
      if (i % 5 < 3) {
        steps[10] = `So the final answer should be ${i}, and I am confident about the boundary case.`;
        steps[11] = `So the final answer should be ${i + 1}, and I am confident about the boundary case.`;
        b++;
      }
      return { steps };
    });
    return { traces, a, b };
  }

  test('finds the recurring steps with their share, position, count and examples', () => {
    const { traces, a, b } = dataset();
    const miner = new BehaviourMiner();
    traces.forEach((t, i) => miner.addTrace(ref(i), t.steps.map((text) => ({ text }))));
    const report = miner.result(5);
    assert.equal(report.traces, 400);
    assert.equal(report.steps, 4800);
    assert.equal(report.behaviours.length, 2, report.behaviours.map((x) => x.label).join(' | '));
    const first = report.behaviours[0]!;
    const second = report.behaviours[1]!;
    assert.match(first.label, /^So the final answer should be/);
    assert.equal(first.traces, b);
    assert.equal(first.share, b / 400);
    assert.equal(first.occurrences, 2 * b);
    assert.equal(first.position, 'late');
    assert.deepEqual(first.positionShares, [0, 0, 1]);
    assert.match(second.label, /^Wait, let me double-check the sample/);
    assert.equal(second.traces, a);
    assert.equal(second.position, 'early');
    assert.equal(second.tracesError, 0);
    assert.equal(second.examples.length, 3);
    for (const e of second.examples) {
      assert.equal(e.step, 1);
      assert.equal(e.text, traces[e.record]!.steps[1]);
      assert.equal(e.id, `L${e.record + 1}`);
    }
    assert.ok(Math.abs(second.averageTokens - traces[0]!.steps[1]!.length / 4) < 3);
  });

  test('bounded memory: rare clusters are forgotten, frequent ones keep a count within epsilon', () => {
    const { traces, b } = dataset();
    const miner = new BehaviourMiner({ epsilon: 0.02, maxClusters: 2_000 });
    let peak = 0;
    traces.forEach((t, i) => {
      miner.addTrace(ref(i), t.steps.map((text) => ({ text })));
      peak = Math.max(peak, miner.result(1, 1).clusters);
    });
    const report = miner.result(5);
    assert.ok(peak <= 2_000, `peak ${peak} clusters`);
    assert.ok(report.evicted > 3_000, `${report.evicted} evicted`);
    const top = report.behaviours[0]!;
    assert.ok(top.traces <= b && top.traces >= b - 0.02 * 400, `${top.traces} of ${b}`);
    assert.ok(top.traces + top.tracesError >= b);
    // Without the cap and epsilon, every noise step would be kept.
    const unbounded = new BehaviourMiner({ epsilon: 1e-9 });
    traces.forEach((t, i) => unbounded.addTrace(ref(i), t.steps.map((text) => ({ text }))));
    assert.ok(unbounded.result().clusters > 4_000);
  });

  test('short steps are ignored; a single trace has no recurring behaviour', () => {
    const miner = new BehaviourMiner();
    miner.addTrace(ref(0), [{ text: 'Wait.' }, { text: 'Hmm, ok.' }, { text: 'Let me think about this problem carefully now.' }]);
    miner.addTrace(ref(1), [{ text: 'Wait.' }, { text: 'Hmm.' }]);
    const r = miner.result();
    assert.equal(r.clusteredSteps, 1);
    assert.deepEqual(r.behaviours, []);
  });

  test('real traces: every example points at the step it quotes (what a UI opens)', async () => {
    const miner = new BehaviourMiner({ exampleChars: 100_000 });
    const byRef = new Map<string, Trace>();
    const scan = await scanTraces(sharedData('thought-anchors'), (trace, r) => {
      byRef.set(`${r.file}/${r.record}/${r.trace}`, trace);
      miner.addTrace(r, segment(trace.reasoning));
    });
    const report = miner.result(10);
    assert.ok(report.behaviours.length > 0);
    for (const b of report.behaviours) {
      assert.ok(b.traces >= 2 && b.traces <= scan.traces);
      for (const e of b.examples) {
        const trace = byRef.get(`${e.file}/${e.record}/${e.trace}`);
        assert.ok(trace, `example ${e.id} resolves`);
        assert.equal(segment(trace.reasoning)[e.step]?.text.replace(/\s+/g, ' ').trim(), e.text);
      }
    }
  });
});

describe('behaviour handbook', () => {
  test('markdown with a table and sections; trace text is escaped', () => {
    const miner = new BehaviourMiner();
    for (let i = 0; i < 3; i++) miner.addTrace(ref(i), [{ text: `<img src=x onerror=alert(1)> | *so* the sum is ${i} here` }, { text: `unique step number ${'abc'[i]} of trace` }]);
    const md = behaviourHandbook(miner.result(), { title: 'data/set.jsonl', files: ['data/set.jsonl'] });
    assert.match(md, /^# Behaviour handbook: data\/set\.jsonl\n/);
    assert.match(md, /\| 1 \| &lt;img src=x onerror=alert\\\(1\\\)&gt; \\\| \\\*so\\\* the sum is 0 here \| 3 \| 100% \| 1\.0 \| early \|/);
    assert.match(md, /## 1\. /);
    assert.match(md, /> — data\/set\.jsonl:1, trace L1, step 1/);
    assert.ok(!md.includes('<img'));
    assert.equal(escapeMarkdown('a_b*c'), 'a\\_b\\*c');
    assert.match(behaviourHandbook(new BehaviourMiner().result(), { files: [] }), /No step recurs/);
  });
});
