import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileLogprobsBackend } from '../../../src/model/fileLogprobs';
import type { TokenLogprob } from '../../../src/core/trace/types';

const text = 'Hi there';
const logprobs: TokenLogprob[] = [
  { token: 'Hi', logprob: -1, region: 'reasoning', start: 0, end: 2, topLogprobs: [{ token: 'Hello', logprob: -0.5 }, { token: 'Hi', logprob: -1 }] },
  { token: ' there', logprob: -0.25, region: 'reasoning', start: 2, end: 8, topLogprobs: [{ token: ' there', logprob: -0.25 }, { token: '!', logprob: -2 }] },
  { token: 'ok', logprob: -3, region: 'answer', start: 0, end: 2 },
];

test('file logprobs become ScoredText without a model call; entropy is labelled top-k', async () => {
  const b = new FileLogprobsBackend({ logprobs, regions: ['reasoning'], id: 'trace.jsonl#0' });
  const s = await b.score(text, { topK: 2 });
  assert.deepEqual(Array.from(s.logprob), [-1, -0.25]);
  assert.deepEqual([Array.from(s.starts), Array.from(s.ends)], [[0, 2], [2, 8]]);
  assert.equal(s.entropyKind, 'top-k');
  const p = [Math.exp(-0.5), Math.exp(-1)];
  const z = p[0]! + p[1]!;
  const h = -p.reduce((acc, x) => acc + (x / z) * Math.log(x / z), 0);
  assert.ok(Math.abs(s.entropy![0]! - h) < 1e-6);
  assert.deepEqual(s.topK!.tokens!.slice(0, 2), ['Hello', 'Hi']);
  assert.equal(b.describe().kind, 'file');
  assert.equal(b.describe().canGenerate, false);
  await assert.rejects(b.generate(), /cannot generate/);
  await assert.rejects(b.score('something else entirely'), /do not describe this text/);
});

test('without top-k candidates there is no entropy', async () => {
  const b = new FileLogprobsBackend({ logprobs: [logprobs[2]!], id: 'x' });
  const s = await b.score('ok');
  assert.equal(s.entropy, undefined);
  assert.equal(s.topK, undefined);
});
