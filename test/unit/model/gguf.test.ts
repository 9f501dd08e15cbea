/**
 * The GGUF backend (llama.cpp through node-llama-cpp's prebuilt CPU binary) on the embedded model's GGUF
 * files, written by model/export_gguf.py from the same weights as onnx/model.onnx: same token ids, logprobs
 * within 1e-3 of the ONNX backend (F32), full-vocabulary entropy and top-k, streamed generation, the
 * worker process, and clear errors for files that are not GGUF.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessOnnxBackend } from '../../../src/model/onnx/local';
import { OnnxBackend } from '../../../src/model/onnx/client';
import { readGgufSummary, quantizationFromName } from '../../../src/model/gguf/ggufFile';
import { repoPath } from '../helpers';
import { sampleText, workerScript } from './fixtures';

const embedded = repoPath('media/models/reasoning-lens-tiny');
const f32 = join(embedded, 'reasoning-lens-tiny-F32.gguf');
const q8 = join(embedded, 'reasoning-lens-tiny-Q8_0.gguf');
const skip = existsSync(f32) && existsSync(join(embedded, 'onnx', 'model.onnx')) ? undefined : 'the embedded model or its GGUF files are missing (model/export_gguf.py writes them)';

describe('GGUF backend', { skip }, () => {
  let gguf: InProcessOnnxBackend;
  let onnx: InProcessOnnxBackend;
  before(() => {
    gguf = new InProcessOnnxBackend(f32, { threads: 2 });
    onnx = new InProcessOnnxBackend(embedded, { threads: 2 });
  });
  after(async () => {
    await gguf.dispose();
    await onnx.dispose();
  });

  test('reads the header: architecture, quantisation, vocabulary', () => {
    const s = readGgufSummary(f32);
    assert.equal(s.architecture, 'llama');
    assert.equal(s.quantization, 'F32');
    assert.equal(s.vocabSize, 4096);
    assert.equal(s.contextLength, 2048);
    assert.equal(readGgufSummary(q8).quantization, 'Q8_0');
    assert.equal(quantizationFromName('qwen2.5-1.5b-instruct-q4_k_m.gguf'), 'Q4_K_M');
    assert.equal(quantizationFromName('model.gguf'), undefined);
  });

  test('same tokens and logprobs as the ONNX backend on the same weights (F32, max |Δ| ≤ 1e-3)', async () => {
    const text = sampleText(2500);
    const [a, b] = [await onnx.score(text, { topK: 5, prependBos: true }), await gguf.score(text, { topK: 5, prependBos: true })];
    assert.ok(a.ids.length > 300, `expected a long text, got ${a.ids.length} tokens`);
    assert.deepEqual(Array.from(b.ids), Array.from(a.ids));
    assert.deepEqual(Array.from(b.starts), Array.from(a.starts));
    assert.deepEqual(Array.from(b.ends), Array.from(a.ends));
    assert.equal(b.bosPrepended, true);
    assert.equal(b.entropyKind, 'full');
    let maxLogprob = 0;
    let maxEntropy = 0;
    for (let t = 0; t < a.ids.length; t++) {
      maxLogprob = Math.max(maxLogprob, Math.abs(a.logprob[t]! - b.logprob[t]!));
      maxEntropy = Math.max(maxEntropy, Math.abs(a.entropy![t]! - b.entropy![t]!));
    }
    assert.ok(maxLogprob <= 1e-3, `max |Δ logprob| = ${maxLogprob}`);
    assert.ok(maxEntropy <= 1e-3, `max |Δ entropy| = ${maxEntropy}`);
    // Top-k: same best candidate wherever the top two are not (near-)tied, logprobs descending.
    const k = b.topK!.k;
    for (let t = 0; t < a.ids.length; t++) {
      const row = b.topK!.logprobs.subarray(t * k, t * k + k);
      for (let j = 1; j < k; j++) assert.ok(row[j]! <= row[j - 1]! + 1e-6);
      if (a.topK!.logprobs[t * k]! - a.topK!.logprobs[t * k + 1]! > 1e-3) assert.equal(b.topK!.ids![t * k], a.topK!.ids![t * k]);
    }
  });

  test('Q8_0 stays close to F32 (8-bit weights)', async () => {
    const q = new InProcessOnnxBackend(q8, { threads: 2 });
    try {
      const text = sampleText(800);
      const [a, b] = [await gguf.score(text, { prependBos: true }), await q.score(text, { prependBos: true })];
      let sum = 0;
      for (let t = 0; t < a.ids.length; t++) sum += Math.abs(a.logprob[t]! - b.logprob[t]!);
      const mean = sum / a.ids.length;
      assert.ok(mean < 0.05, `mean |Δ logprob| Q8_0 vs F32 = ${mean}`);
      assert.match(q.describe().name, /Q8_0/);
    } finally {
      await q.dispose();
    }
  });

  test('greedy generation streams the same text as the ONNX backend', async () => {
    const prompt = '<|user|>Tom has 3 apples and buys 5 more. How many apples does he have?<|assistant|><think>\n';
    const pieces: string[] = [];
    const g = await gguf.generate(prompt, { maxTokens: 24, onToken: (t) => pieces.push(t) });
    const o = await onnx.generate(prompt, { maxTokens: 24 });
    assert.equal(g.text, o.text);
    assert.equal(pieces.join(''), g.text);
    assert.ok(g.tokenCount > 0 && g.tokenCount <= 24);
    const stopped = await gguf.generate(prompt, { maxTokens: 24, stop: [g.text.slice(3, 6)] });
    assert.equal(stopped.finishReason, 'stop');
    assert.equal(stopped.text, g.text.slice(0, 3));
  });

  test('cancellation rejects with AbortError', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(gguf.score(sampleText(500), { signal: controller.signal }), { name: 'AbortError' });
  });

  test('runs in the worker process like the ONNX backend', async () => {
    const backend = new OnnxBackend({ modelDir: q8, workerPath: await workerScript(), runtime: { threads: 2 } });
    try {
      assert.equal(backend.describe().kind, 'gguf');
      const s = await backend.score('Half of 48 is 24.', { topK: 3 });
      assert.ok(s.ids.length > 3);
      assert.ok(Number.isFinite(s.logprob[s.ids.length - 1]!));
      assert.equal(s.topK!.k, 3);
      assert.match(backend.describe().name, /Q8_0/);
    } finally {
      await backend.dispose();
    }
  });

  test('a file that is not GGUF gets an error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-gguf-'));
    try {
      const bad = join(dir, 'broken.gguf');
      writeFileSync(bad, 'this is not a model file at all, just text');
      assert.throws(() => readGgufSummary(bad), /broken\.gguf is not a GGUF file/);
      const backend = new InProcessOnnxBackend(bad);
      await assert.rejects(backend.score('x'), /broken\.gguf is not a GGUF file/);
      await assert.rejects(new InProcessOnnxBackend(join(dir, 'missing.gguf')).score('x'), /not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
