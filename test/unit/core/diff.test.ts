import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffSteps, inlineDiff } from '../../../src/core/diff';

test('diff: pruned subsequence → kept / dropped rows in original order', () => {
  const rows = diffSteps(['a', 'b', 'c', 'd'], ['a', 'c']);
  assert.deepEqual(rows.map((r) => [r.original, r.pruned, r.kind, r.ratio]), [
    [0, 0, 'kept', 1], [1, null, 'dropped', 0], [2, 1, 'kept', 1], [3, null, 'dropped', 0],
  ]);
});

test('diff: rewritten steps pair as changed (ratio ≥ 0.6) with an inline diff; others dropped / inserted', () => {
  const original = ['Let x = 3.', 'Then y = x + 2 = 5.', 'Something long and unrelated to anything.', 'So the answer is 5.'];
  const rewritten = ['Let x = 3.', 'Then y = 5.', 'A brand new remark!', 'So the answer is 5.'];
  const rows = diffSteps(original, rewritten);
  assert.deepEqual(rows.map((r) => [r.original, r.pruned, r.kind]), [
    [0, 0, 'kept'], [1, 1, 'changed'], [2, null, 'dropped'], [null, 2, 'inserted'], [3, 3, 'kept'],
  ]);
  assert.equal(rows[1]!.ratio, 22 / 30); // CPython difflib ratio of the pair
  const edits = rows[1]!.inline!;
  assert.deepEqual(edits.map((e) => [e.op, original[1]!.slice(e.originalStart, e.originalEnd), rewritten[1]!.slice(e.prunedStart, e.prunedEnd)]), [
    ['equal', 'Then y = ', 'Then y = '], ['delete', 'x + 2 = ', ''], ['equal', '5.', '5.'],
  ]);
});

test('diff: inline offsets are UTF-16 even with astral characters', () => {
  const a = '😀 x = 1';
  const b = '😀 x = 2';
  const edits = inlineDiff(a, b);
  const last = edits[edits.length - 1]!;
  assert.equal(last.op, 'replace');
  assert.equal(a.slice(last.originalStart, last.originalEnd), '1');
  assert.equal(b.slice(last.prunedStart, last.prunedEnd), '2');
});
