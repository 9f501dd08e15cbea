/**
 * The scoring reduction inside onnxruntime (reductionGraph.ts, fed by a pre-allocated logits output)
 * against the JavaScript loop it replaces (reduce.ts): same logprobs, entropies, top-k and ranks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxCausalLM } from '../../../src/model/onnx/runtime';
import { modelUnavailable, sampleText, tinyModelDir } from './fixtures';

describe('scoring reduction in the ONNX graph', { skip: modelUnavailable() }, () => {
  test('equals the JavaScript reduction (logprob, entropy, top-k) across chunk boundaries', async () => {
    const lm = await OnnxCausalLM.load(tinyModelDir(), { threads: 2 });
    try {
      const text = sampleText(2000);
      const graph = await lm.score(text, { topK: 5, chunkSize: 100, prependBos: true, rank: true });
      const js = await lm.score(text, { topK: 5, chunkSize: 100, prependBos: true, jsReduction: true, rank: true });
      assert.ok(graph.ids.length > 200);
      let maxLogprob = 0;
      let maxEntropy = 0;
      for (let t = 0; t < graph.ids.length; t++) {
        maxLogprob = Math.max(maxLogprob, Math.abs(graph.logprob[t]! - js.logprob[t]!));
        maxEntropy = Math.max(maxEntropy, Math.abs(graph.entropy![t]! - js.entropy![t]!));
      }
      assert.ok(maxLogprob < 1e-4, `max |Δ logprob| = ${maxLogprob}`);
      assert.ok(maxEntropy < 1e-4, `max |Δ entropy| = ${maxEntropy}`);
      const k = 5;
      for (let i = 0; i < graph.ids.length * k; i++) {
        assert.ok(Math.abs(graph.topK!.logprobs[i]! - js.topK!.logprobs[i]!) < 1e-4, `top-k logprob ${i}`);
      }
      // Ids agree wherever neighbours are not tied.
      for (let t = 0; t < graph.ids.length; t++) {
        const row = js.topK!.logprobs.subarray(t * k, t * k + k);
        if (row[0]! - row[1]! > 1e-4) assert.equal(graph.topK!.ids![t * k], js.topK!.ids![t * k]);
      }
      // GLTR ranks over the whole vocabulary: equal wherever the observed token's logit has no tie.
      assert.ok(graph.rank && js.rank, 'ranks were asked for');
      let rankDiffers = 0;
      for (let t = 1; t < graph.ids.length; t++) if (graph.rank[t] !== js.rank[t]) rankDiffers++;
      assert.ok(rankDiffers <= graph.ids.length * 0.01, `${rankDiffers} of ${graph.ids.length} ranks differ`);
      assert.ok(graph.rank.slice(1).every((r) => r >= 1), 'ranks start at 1');
      const noEntropy = await lm.score(text.slice(0, 300), { entropy: false, topK: 0 });
      assert.equal(noEntropy.entropy, undefined);
      assert.equal(noEntropy.rank, undefined, 'no ranks unless asked');
      assert.ok(Number.isFinite(noEntropy.logprob[noEntropy.ids.length - 1]!));
    } finally {
      await lm.dispose();
    }
  });
});
