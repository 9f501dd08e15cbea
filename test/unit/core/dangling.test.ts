/**
 * Dangling references are numbers and identifiers with word boundaries: a word glued to a number by a
 * missing space ("Days4 and5", "H is6") is a typo, not a reference. On the Codeforces R1 sample the
 * old rule reported and5, and6, at5, at6, is6, becomes5, at1, at2 and add2 after pruning; none of
 * them is a reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTraces } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import { extractIdentifiers, extractNumbers, findDanglingReferences } from '../../../src/core/prune/dangling';
import { repoPath } from '../helpers';

test('dangling: a word glued to a number is neither an identifier nor a number', () => {
  assert.deepEqual([...extractIdentifiers('Days4 and5. H is6, at1, becomes5, add2 by5; x1 a2 dp2 n20 max_val')].sort(), ['a2', 'dp2', 'max_val', 'n20', 'x1']);
  assert.deepEqual([...extractNumbers('Days4 and5, H is6 and 36 (not 5x or x12).')], ['36']);
});

test('dangling: no typo fragment is reported on a real R1 trace, whatever is dropped', async () => {
  const trace = (await readTraces(repoPath('media/samples/codeforces-r1-cot-174/response.md'))).traces[0]!;
  const steps = segment(trace.reasoning, 'auto');
  const texts = steps.map((s) => s.text);
  const typos = /^(and|is|at|add|by|to|on|becomes|days?)\d+$/i;
  let reported = 0;
  for (const share of [0.3, 0.5, 0.7]) {
    const kept = steps.map((s) => s.index).filter((i) => (i * 7919) % 100 >= share * 100);
    const refs = findDanglingReferences({ steps: texts, kept, context: trace.prompt });
    reported += refs.length;
    for (const r of refs) {
      assert.doesNotMatch(r.token, typos, `typo fragment reported as a reference: ${r.token}`);
      // A reference stands in its source step with word boundaries on both sides.
      const escaped = r.token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const whole = r.kind === 'number' ? `(?<![\\w.])${escaped}(?![\\w]|\\.\\d)` : `(?<![\\w\\\\])${escaped}(?!\\w)`;
      assert.match(texts[r.sourceStep]!, new RegExp(whole), `${r.token} is not a whole word in step ${r.sourceStep + 1}`);
    }
  }
  assert.ok(reported > 0, 'the trace has real dangling identifiers (last_day, count) under these drops');
});
