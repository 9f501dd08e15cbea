/**
 * Parity with the peer: on the same model folder, our per-token logprobs equal those of
 * transformers.js (@huggingface/transformers, which runs the same ONNX file through onnxruntime-node
 * but materialises the full logits and takes log_softmax itself) within 1e-4.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, basename } from 'node:path';
import { InProcessOnnxBackend } from '../../../src/model/onnx/local';
import { repoPath } from '../helpers';
import { modelUnavailable, sampleText, tinyModelDir } from './fixtures';

interface Peer {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  AutoModelForCausalLM: { from_pretrained(id: string, o: object): Promise<PeerModel> };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown;
}
interface PeerModel {
  (inputs: Record<string, unknown>): Promise<{ logits: { data: Float32Array; dims: number[] } }>;
  dispose(): Promise<unknown>;
}

describe('parity with transformers.js', { skip: modelUnavailable() }, () => {
  test('per-token logprobs match on real reasoning text (max |Δ| < 1e-4)', async () => {
    const modelDir = tinyModelDir();
    const ours = new InProcessOnnxBackend(modelDir, { threads: 2 });
    const text = sampleText(2000);
    const scored = await ours.score(text, { entropy: false, topK: 0, prependBos: false });
    const ids = Array.from(scored.ids);

    // Loaded from the repository at run time (ESM + onnxruntime-node inside; never bundled).
    const peer = (await import(createRequire(repoPath('package.json')).resolve('@huggingface/transformers'))) as Peer;
    peer.env.allowRemoteModels = false;
    peer.env.allowLocalModels = true;
    peer.env.localModelPath = dirname(modelDir) + '/';
    const model = await peer.AutoModelForCausalLM.from_pretrained(basename(modelDir), { dtype: 'fp32', device: 'cpu' });
    const n = ids.length;
    const input_ids = new peer.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]);
    const attention_mask = new peer.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
    const out = await model({ input_ids, attention_mask });
    const [, , vocab] = out.logits.dims as [number, number, number];
    let maxDelta = 0;
    for (let t = 1; t < n; t++) {
      const row = out.logits.data.subarray((t - 1) * vocab, t * vocab);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      const peerLogprob = row[ids[t]!]! - max - Math.log(sum);
      maxDelta = Math.max(maxDelta, Math.abs(peerLogprob - scored.logprob[t]!));
    }
    await model.dispose();
    await ours.dispose();
    assert.ok(n > 300, `expected a long text, got ${n} tokens`);
    assert.ok(maxDelta < 1e-4, `max |Δ logprob| = ${maxDelta}`);
  });
});
