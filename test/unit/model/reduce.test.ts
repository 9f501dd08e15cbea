import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../../src/core/random';
import { TopKScratch, argmax, createReductionOutput, halfToFloat, reduceRows } from '../../../src/model/onnx/reduce';

const rng = mulberry32;

/** Naive reference: softmax in float64, sort for top-k. */
function naive(row: Float32Array, target: number, k: number) {
  const max = Math.max(...row);
  let z = 0;
  for (const x of row) z += Math.exp(x - max);
  const logZ = max + Math.log(z);
  let h = 0;
  for (const x of row) {
    const lp = x - logZ;
    h -= Math.exp(lp) * lp;
  }
  const order = Array.from(row, (_, i) => i).sort((a, b) => row[b]! - row[a]! || a - b).slice(0, k);
  return { logprob: row[target]! - logZ, entropy: h, topIds: order, topLogprobs: order.map((i) => row[i]! - logZ) };
}

for (const [label, vocab, scale] of [['small vocab', 50, 3], ['large vocab, peaked', 4096, 12], ['odd vocab, flat', 1001, 0.01]] as const) {
  test(`reduceRows matches a naive reference (${label})`, () => {
    const random = rng(vocab);
    const rows = 7;
    const k = 5;
    const logits = new Float32Array(rows * vocab);
    for (let i = 0; i < logits.length; i++) logits[i] = (random() * 2 - 1) * scale + (i % vocab === 3 ? scale : 0);
    const targets = Int32Array.from({ length: rows }, (_, r) => (r === rows - 1 ? -1 : Math.floor(random() * vocab)));
    for (const entropy of [true, false]) {
      const out = createReductionOutput(rows + 2, k, entropy, true);
      reduceRows(logits, 0, rows, vocab, targets, out, 2, new TopKScratch(k));
      assert.ok(Number.isNaN(out.logprob[0]) && Number.isNaN(out.logprob[1]), 'positions before outStart untouched');
      for (let r = 0; r < rows; r++) {
        const ref = naive(logits.subarray(r * vocab, (r + 1) * vocab), Math.max(0, targets[r]!), k);
        if (targets[r]! >= 0) assert.ok(Math.abs(out.logprob[r + 2]! - ref.logprob) < 1e-4, `logprob row ${r}`);
        else assert.ok(Number.isNaN(out.logprob[r + 2]), 'no target → NaN');
        if (entropy) assert.ok(Math.abs(out.entropy![r + 2]! - ref.entropy) < 1e-4, `entropy row ${r}: ${out.entropy![r + 2]} vs ${ref.entropy}`);
        assert.deepEqual(Array.from(out.topIds!.subarray((r + 2) * k, (r + 3) * k)), ref.topIds, `top ids row ${r}`);
        for (let j = 0; j < k; j++) assert.ok(Math.abs(out.topLogprobs![(r + 2) * k + j]! - ref.topLogprobs[j]!) < 1e-4);
        // GLTR rank over the whole row: 1 + the logits above the observed token's.
        const row = logits.subarray(r * vocab, (r + 1) * vocab);
        const target = targets[r]!;
        const rank = target >= 0 ? 1 + row.filter((x) => x > row[target]!).length : 0;
        assert.equal(out.rank![r + 2], rank, `rank row ${r}`);
      }
    }
  });
}

test('reduceRows: ties keep the lower id first; k larger than the vocabulary pads with NaN / -1', () => {
  const logits = Float32Array.from([1, 2, 2, 0]);
  const out = createReductionOutput(1, 6, true);
  reduceRows(logits, 0, 1, 4, Int32Array.from([2]), out, 0, new TopKScratch(6));
  assert.deepEqual(Array.from(out.topIds!), [1, 2, 0, 3, -1, -1]);
  assert.ok(Number.isNaN(out.topLogprobs![4]));
  assert.ok(Math.abs(out.logprob[0]! - out.topLogprobs![0]!) < 1e-7);
});

test('reduceRows: entropy of a uniform row is log V; a one-hot-like row has ~0 entropy', () => {
  const out = createReductionOutput(2, 0, true);
  const logits = new Float32Array(2 * 100);
  logits[100 + 7] = 1e4;
  reduceRows(logits, 0, 2, 100, Int32Array.from([0, 7]), out, 0, null);
  assert.ok(Math.abs(out.entropy![0]! - Math.log(100)) < 1e-6);
  assert.ok(Math.abs(out.entropy![1]!) < 1e-6 && Math.abs(out.logprob[1]!) < 1e-6);
});

test('argmax and halfToFloat', () => {
  assert.equal(argmax(Float32Array.from([0, 5, 1, 5, -2]), 0, 5), 1);
  assert.equal(argmax(Float32Array.from([9, 0, 3, 1]), 1, 3), 1);
  assert.deepEqual(Array.from(halfToFloat(Uint16Array.from([0x3c00, 0xc000, 0x0000, 0x7c00, 0x3555]))).map((x) => Number(x.toFixed(4))), [1, -2, 0, Infinity, 0.3333]);
});
