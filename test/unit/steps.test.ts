import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { segment } from '../../src/core/steps';
import { SEGMENTATION_MODES } from '../../src/shared/vocabulary';
import type { FileChunk } from '../../src/core/trace/types';
import type { Step } from '../../src/core/types';
import { readTraces } from '../../src/core/trace/index';
import { sharedData } from './helpers';

/** Steps are sorted, disjoint, non-empty, in bounds, `text === slice`, and with the gaps rebuild the text. */
function assertCovers(text: string, steps: readonly Step[], gapsWhitespaceOnly: boolean): void {
  let rebuilt = '';
  let prev = 0;
  steps.forEach((s, i) => {
    assert.equal(s.index, i);
    assert.ok(s.start >= prev && s.start < s.end && s.end <= text.length, `step ${i} [${s.start},${s.end}) after ${prev}`);
    assert.equal(s.text, text.slice(s.start, s.end));
    const gap = text.slice(prev, s.start);
    if (gapsWhitespaceOnly) assert.match(gap, /^\s*$/, `gap before step ${i} is whitespace`);
    rebuilt += gap + s.text;
    prev = s.end;
  });
  const tail = text.slice(prev);
  if (gapsWhitespaceOnly) assert.match(tail, /^\s*$/);
  assert.equal(rebuilt + tail, text);
}

const textModes = SEGMENTATION_MODES.filter((m) => m !== 'file');

// Text made of the characters that matter to the splitters.
const reasoningText = fc
  .array(fc.constantFrom('a', 'b', ' ', '\n', '\n\n', '\r\n', '.', '?', '!', 'Wait', 'So', 'Hmm', '## H', '**Label:**', '\t', 'é', '😀', 'Let me check', 'x'.repeat(12)), { maxLength: 80 })
  .map((parts) => parts.join(''));

describe('segment: properties', () => {
  test('every text mode covers random text exactly (gaps are whitespace)', () => {
    fc.assert(
      fc.property(fc.oneof(reasoningText, fc.string({ unit: 'grapheme', maxLength: 200 })), fc.constantFrom(...textModes), (text, mode) => {
        assertCovers(text, segment(text, mode), true);
      }),
      { numRuns: 1500 },
    );
  });

  test('file mode with random chunks stays in order and in bounds', () => {
    fc.assert(
      fc.property(reasoningText, fc.array(fc.tuple(fc.integer({ min: -1, max: 120 }), fc.integer({ min: -1, max: 120 })), { maxLength: 10 }), (text, pairs) => {
        const chunks: FileChunk[] = pairs.map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) }));
        assertCovers(text, segment(text, 'file', chunks), false);
      }),
      { numRuns: 500 },
    );
  });

  test('every real reasoning round-trips in every mode', async () => {
    let checked = 0;
    for (const p of ['gsm8k', 'thought-anchors', 'codeforces-r1']) {
      const { traces } = await readTraces(sharedData(p));
      assert.ok(traces.length > 0);
      for (const t of traces) {
        for (const mode of textModes) assertCovers(t.reasoning, segment(t.reasoning, mode), true);
        assertCovers(t.reasoning, segment(t.reasoning, 'file', t.chunks), !t.chunks);
        checked++;
      }
    }
    assert.ok(checked > 10_000, `checked ${checked} traces`);
  });
});

describe('segment: modes', () => {
  test('paragraph splits on one or more blank lines and strips', () => {
    const text = '  First para.\nstill first\n\n\n  Second \n \n\r\nThird';
    assert.deepEqual(segment(text).map((s) => s.text), ['First para.\nstill first', 'Second', 'Third']);
    assert.equal(segment(text, 'paragraph')[1]!.start, text.indexOf('Second'));
  });

  test('auto is the default and empty text has no steps', () => {
    assert.deepEqual(segment(''), []);
    assert.deepEqual(segment(' \n\n \n'), []);
    assert.equal(segment('one\n\ntwo').length, 2);
  });

  test('auto: paragraphs when they are many and balanced', () => {
    const text = Array.from({ length: 6 }, (_, i) => `Paragraph ${i} says something. It has two sentences.`).join('\n\n');
    assert.deepEqual(segment(text, 'auto'), segment(text, 'paragraph'));
  });

  test('auto: a single-paragraph trace falls back to sentences (short pieces joined)', () => {
    const text = 'First I read the problem carefully and note the constraints. Then I try small cases by hand. Ok. Finally I generalise the pattern to every n and check it.';
    const steps = segment(text, 'auto');
    assert.deepEqual(steps.map((s) => s.text), ['First I read the problem carefully and note the constraints.', 'Then I try small cases by hand.', 'Ok. Finally I generalise the pattern to every n and check it.']);
  });

  test('auto: one dominant paragraph is cut; code inside reasoning is cut only between whole lines', () => {
    const code = ['```python', ...Array.from({ length: 20 }, (_, i) => `x${i} = f(${i}). y  # step ${i}. done`), '```'].join('\n');
    const text = `Short intro.\n\nAnother short one.\n\nA third.\n\nThe plan. I write the loop now. ${'It needs care. '.repeat(20)}\n${code}\nThat is all of it.`;
    const steps = segment(text, 'auto');
    assert.ok(steps.length > 6, `${steps.length} steps`);
    const fenceStart = text.indexOf('```');
    const fenceEnd = text.lastIndexOf('```') + 3;
    for (const s of steps) {
      if (s.end <= fenceStart || s.start >= fenceEnd) continue;
      // Inside the code block a step starts at a line start and ends at a line end.
      assert.ok(s.start === 0 || text[s.start - 1] === '\n', `step starts mid-line: ${JSON.stringify(s.text.slice(0, 20))}`);
      assert.ok(s.end === text.length || text[s.end] === '\n', `step ends mid-line: ${JSON.stringify(s.text.slice(-20))}`);
    }
  });

  test('auto: a paragraph that reads as code is cut into line groups', () => {
    const code = ['def solve(n):', ...Array.from({ length: 15 }, (_, i) => `    total += step(${i}).value  # add term ${i}.`), '    return total'].join('\n');
    const steps = segment(code, 'auto');
    assert.ok(steps.length >= 2);
    // Each step is whole lines (only the indentation before its first line is left in the gap).
    for (const s of steps) assert.ok(/(^|\n)[ \t]*$/.test(code.slice(0, s.start)) && (s.end === code.length || code[s.end] === '\n'), JSON.stringify(s.text.slice(0, 30)));
  });

  test('sentence splits after .?! + whitespace and merges pieces under 10 chars', () => {
    const steps = segment('This is one sentence. Ok. And this is another one? Yes it is!\n\nNew paragraph here.', 'sentence');
    assert.deepEqual(
      steps.map((s) => s.text),
      ['This is one sentence.', 'Ok. And this is another one?', 'Yes it is!', 'New paragraph here.'],
    );
    assert.ok(steps.every((s) => s.text.length >= 10));
  });

  test('sentence does not split inside numbers like 3.14', () => {
    assert.equal(segment('The value is 3.14 exactly here. Then more text follows.', 'sentence').length, 2);
  });

  test('heading starts a step at markdown headings and bold labels', () => {
    const text = 'intro line\n## Step 1\nsolve a\n**Analysis:**\nlook\n# Done\nend';
    assert.deepEqual(segment(text, 'heading').map((s) => s.text.split('\n')[0]), ['intro line', '## Step 1', '**Analysis:**', '# Done']);
  });

  test('marker starts a step at discourse markers at sentence start only', () => {
    const text = 'Compute 2+2 = 4. Wait, is that right? Hmm yes.\nSo the answer is 4. I said So mid-sentence. Let me double-check this. Alternatively add. But wait, fine. Actually done. Therefore 4.';
    const firsts = segment(text, 'marker').map((s) => s.text.split(/[ ,.]/)[0]);
    assert.deepEqual(firsts, ['Compute', 'Wait', 'Hmm', 'So', 'Let', 'Alternatively', 'But', 'Actually', 'Therefore']);
  });

  test('file mode uses the chunks, skipping unplaced ones; falls back to auto without chunks', () => {
    const text = 'aaa bbb ccc';
    const steps = segment(text, 'file', [{ start: 0, end: 3 }, { start: -1, end: -1 }, { start: 4, end: 11 }]);
    assert.deepEqual(steps.map((s) => s.text), ['aaa', 'bbb ccc']);
    assert.deepEqual(segment('a\n\nb', 'file').map((s) => s.text), ['a', 'b']);
  });
});
