/**
 * The token view's colouring: surprisal in fixed nats edges, rank in GLTR buckets (top 1 / 10 / 100
 * / 1,000 / beyond), ranks from a file's top-k lists (exact inside the list, "above k" outside it),
 * and what the legend says about it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankFromCandidates, tokenTableFromFile, type TokenTable } from '../../../src/core/tokenTable';
import { colourTokens, rankBucket, surprisalBucket } from '../../../src/editor/tokenBuckets';
import { parseTraceRecord } from '../../../src/core/trace';

const table = (logprob: number[], rank?: number[]): TokenTable => ({
  starts: Int32Array.from(logprob, (_, i) => i * 2),
  ends: Int32Array.from(logprob, (_, i) => i * 2 + 1),
  logprob: Float32Array.from(logprob),
  ...(rank ? { rank: Int32Array.from(rank) } : {}),
});

test('token view: GLTR rank buckets and surprisal buckets', () => {
  assert.deepEqual([1, 2, 10, 11, 100, 101, 1000, 1001, 50_000].map(rankBucket), [0, 1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual([0, 0.09, 0.1, 0.99, 1, 2.4, 2.5, 4.9, 5, 20].map(surprisalBucket), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  const c = colourTokens(table([-0.01, -0.5, -2, -3, -9, Number.NaN], [1, 7, 40, 500, 5000, 0]), 'rank');
  assert.deepEqual(Array.from(c.buckets), [0, 1, 2, 3, 4, -1]);
  assert.deepEqual(c.legend.map((r) => r.tokens), [1, 1, 1, 1, 1]);
  assert.match(c.legend[0]!.label, /top 1/);
  assert.match(c.legend[4]!.label, /above 1,000/);
  const s = colourTokens(table([-0.01, -0.5, -2, -3, -9, Number.NaN]), 'surprisal');
  assert.deepEqual(Array.from(s.buckets), [0, 1, 2, 3, 4, -1]);
  assert.match(s.legend[0]!.label, /< 0\.1 nats \(p > 90\.5%\)/);
});

test('token view: ranks from top-k lists are exact inside the list and "above k" outside it', () => {
  assert.equal(rankFromCandidates(-0.1, [-0.1, -2, -3]), 1);
  assert.equal(rankFromCandidates(-2, [-0.1, -2, -3]), 2);
  assert.equal(rankFromCandidates(-7, [-0.1, -2, -3]), -3);
  assert.equal(rankFromCandidates(-2.00001, [-0.1, -2, Number.NaN]), 2, 'rounded logprobs and padding');
  const c = colourTokens(table([-0.1, -7], [1, -20]), 'rank');
  // Above the top 20: shown as rank 21, the best it can have (top 100).
  assert.deepEqual(Array.from(c.buckets), [0, 2]);
  assert.match(c.note ?? '', /1 token is not among the 20 candidates/);
  const none = colourTokens(table([-0.1, -7]), 'rank');
  assert.deepEqual(Array.from(none.buckets), [-1, -1]);
  assert.match(none.note ?? '', /No ranks/);
});

test('token view: a chat completion with top_logprobs gets ranks from its file', () => {
  const content = '<think>\nTwo plus two is four.\n</think>\n\n4';
  const tokens = content.match(/\s*\S+|\s+$/g)!;
  const record = {
    object: 'chat.completion', model: 'm',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, logprobs: { content: tokens.map((token, i) => ({
      token, logprob: i % 2 ? -0.2 : -4,
      top_logprobs: [{ token: 'x', logprob: -0.1 }, { token: i % 2 ? token : 'y', logprob: i % 2 ? -0.2 : -1 }],
    })) } }],
  };
  const trace = parseTraceRecord(record, {}, { file: 'x.json', line: 1 }).traces[0]!;
  const t = tokenTableFromFile(trace)!;
  assert.ok(t.rank, 'ranks from the top_logprobs');
  assert.ok(Array.from(t.rank).every((r) => r === 2 || r === -2), `ranks ${Array.from(t.rank)}`);
  assert.ok(Array.from(t.rank).includes(2) && Array.from(t.rank).includes(-2));
});
