/**
 * Texts longer than the model's context: the window plan (every position scored once, with at least the
 * overlap as left context, no window over the context), and both runtimes scoring through it (the KV
 * cache never holds more than a window; windowed tokens equal a fresh pass over their window; ONNX and
 * GGUF agree; the result says which tokens were windowed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fitContext, planWindows } from '../../../src/model/window';
import { OnnxCausalLM } from '../../../src/model/onnx/runtime';
import { InProcessOnnxBackend } from '../../../src/model/onnx/local';
import { scoreTraceTokens, windowWarning } from '../../../src/pipeline/scoreTrace';
import { parseTraceText } from '../../../src/core/trace';
import { modelUnavailable, sampleText, tinyModelDir } from './fixtures';

describe('window plan', () => {
  test('every position is kept by exactly one window, with at least the overlap as left context, no window over the size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 2, max: 600 }), fc.integer({ min: 0, max: 700 }), fc.integer({ min: 0, max: 1 }), (fed, size, overlap, sink) => {
        const plan = planWindows(fed, size, overlap, sink);
        const room = size - sink >= 2 ? size - sink : Math.max(2, size);
        const w = Math.max(1, Math.min(overlap, room - 1));
        let next = 0;
        for (const [i, win] of plan.entries()) {
          assert.equal(win.keepFrom, next, 'windows keep consecutive positions');
          assert.ok(win.end > win.keepFrom, 'every window scores something');
          assert.ok(win.end - win.start + (i > 0 && size - sink >= 2 ? sink : 0) <= Math.max(size, 2), 'a window fits the size, its sink included');
          // Position p predicts token p + 1 with p + 1 - start tokens of context.
          if (i > 0) assert.ok(win.keepFrom + 1 - win.start >= w, 'the first new token of a later window has the overlap as context');
          next = win.end;
        }
        assert.equal(next, fed, 'the plan covers every position');
        if (fed <= size) assert.equal(plan.length, 1, 'a text that fits is one window');
        // Linear: about fed / (size - overlap) windows, never more than fed.
        assert.ok(plan.length <= fed);
      }),
    );
  });

  test('a generation keeps the prompt\'s last tokens and caps the answer so that both fit the context', () => {
    const prompt = Array.from({ length: 100 }, (_, i) => i);
    assert.deepEqual(fitContext(prompt, 1, 20, 1000), { ids: prompt, maxTokens: 20, dropped: 0 });
    const fitted = fitContext(prompt, 1, 30, 64);
    assert.equal(fitted.maxTokens, 30);
    assert.equal(1 + fitted.ids.length + fitted.maxTokens, 64);
    assert.deepEqual(fitted.ids, prompt.slice(67), 'the last tokens are kept');
    assert.equal(fitContext(prompt, 1, 5000, 64).maxTokens, 62, 'at most context − BOS − one prompt token');
  });
});

const skip = modelUnavailable();

describe('windowed scoring (ONNX runtime)', { skip }, () => {
  let lm: OnnxCausalLM;
  before(async () => {
    lm = await OnnxCausalLM.load(tinyModelDir(), { threads: 2 });
  });
  after(async () => lm?.dispose());

  test('the KV cache never holds more than the window; tokens before the first window end are scored as without windows', async () => {
    const text = sampleText(3000);
    const full = await lm.score(text, { topK: 3 });
    assert.equal(full.window, undefined, 'a text within the model\'s context is one window');
    let most = 0;
    const forward = lm.forward.bind(lm);
    lm.forward = (ids, past, pastLength, ...rest) => {
      most = Math.max(most, pastLength + ids.length);
      return forward(ids, past, pastLength, ...rest);
    };
    try {
      const windowed = await lm.score(text, { topK: 3, contextWindow: 96, windowOverlap: 32, chunkSize: 40 });
      assert.ok(most <= 96, `at most 96 positions in a pass with its cache (saw ${most})`);
      const w = windowed.window!;
      assert.ok(w, 'the result says it was windowed');
      assert.equal(w.size, 96);
      assert.equal(w.overlap, 32);
      assert.ok(w.windows > 2);
      for (let t = 0; t < w.from; t++) {
        if (Number.isNaN(full.logprob[t]!)) continue;
        assert.ok(Math.abs(full.logprob[t]! - windowed.logprob[t]!) < 1e-4, `token ${t} before windowing`);
      }
      let differ = 0;
      for (let t = w.from; t < full.logprob.length; t++) if (Math.abs(full.logprob[t]! - windowed.logprob[t]!) > 1e-3) differ++;
      assert.ok(differ > 0, 'windowed tokens saw less context');
      assert.ok(windowed.logprob.slice(1).every((x) => Number.isFinite(x)), 'every token is scored');
    } finally {
      lm.forward = forward;
    }
  });

  test('a windowed token is scored exactly as a fresh pass over its window (BOS, then at least the overlap of context)', async () => {
    const text = sampleText(1500);
    const windowed = await lm.score(text, { contextWindow: 64, windowOverlap: 24, chunkSize: 64 });
    const ids = Array.from(lm.tokenize(text).ids);
    const bos = windowed.bosPrepended ? [lm.tokenizer.bosTokenId!] : [];
    const seq = [...bos, ...ids];
    const offset = bos.length;
    const plan = planWindows(seq.length - 1, 64, 24, bos.length);
    const third = plan[2]!;
    // The first token the third window keeps, and the last one.
    for (const p of [third.keepFrom, third.end - 1]) {
      const context = [...bos, ...seq.slice(third.start, p + 1)];
      const { logits, rows } = await lm.forward(context, null, 0, 1);
      assert.equal(rows, 1);
      const row = logits.subarray(0, lm.vocab);
      let max = -Infinity;
      for (const x of row) max = Math.max(max, x);
      let sum = 0;
      for (const x of row) sum += Math.exp(x - max);
      const expected = row[seq[p + 1]!]! - max - Math.log(sum);
      assert.ok(p + 1 - third.start >= 24, 'at least the overlap as left context');
      assert.ok(Math.abs(windowed.logprob[p + 1 - offset]! - expected) < 1e-4, `token ${p + 1 - offset}: ${windowed.logprob[p + 1 - offset]} vs ${expected}`);
    }
  });

  test('a trace longer than the model\'s context: windows of the context, and the token table and a warning say which reasoning tokens', async () => {
    const backend = new InProcessOnnxBackend(tinyModelDir(), { threads: 2 });
    try {
      const reasoning = sampleText(3000).repeat(4);
      const trace = parseTraceText(`Solve it.<think>\n${reasoning}\n</think>\nThe answer is 84.`, {}, { file: 'long.md' }, 'long');
      const table = await scoreTraceTokens(trace, backend, { topK: 3 });
      const context = (await backend.load()).contextLength!;
      assert.ok(table.starts.length > context, `${table.starts.length} tokens > context ${context}`);
      assert.ok(table.window, 'windowed');
      assert.equal(table.window.size, context);
      assert.ok(table.window.from > 0 && table.window.from < context);
      assert.match(windowWarning(table)!, /longer than the model's context \(2,048 tokens\).*from character [\d,]+ on/);
    } finally {
      await backend.dispose();
    }
  });
});

const gguf = join(tinyModelDir(), 'reasoning-lens-tiny-F32.gguf');

describe('windowed scoring (GGUF runtime, the same driver)', { skip: skip ?? (existsSync(gguf) ? undefined : 'no F32 GGUF of the embedded model') }, () => {
  test('the F32 GGUF windows like the ONNX model: same windows, same logprobs', async () => {
    const onnx = new InProcessOnnxBackend(tinyModelDir(), { threads: 2 });
    const ggml = new InProcessOnnxBackend(gguf, { threads: 2 });
    try {
      const text = sampleText(1200);
      const options = { contextWindow: 80, windowOverlap: 30, chunkSize: 32 };
      const a = await onnx.score(text, options);
      const b = await ggml.score(text, options);
      assert.deepEqual(b.window, a.window, 'the same windows');
      assert.ok(a.window && a.window.windows > 2);
      assert.deepEqual(Array.from(b.ids), Array.from(a.ids));
      let worst = 0;
      for (let t = 0; t < a.logprob.length; t++) if (Number.isFinite(a.logprob[t]!)) worst = Math.max(worst, Math.abs(a.logprob[t]! - b.logprob[t]!));
      assert.ok(worst < 1e-3, `largest difference ${worst}`);
    } finally {
      await onnx.dispose();
      await ggml.dispose();
    }
  });
});
