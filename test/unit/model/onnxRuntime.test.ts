import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxCausalLM } from '../../../src/model/onnx/runtime';
import { ModelFolderError } from '../../../src/model/onnx/modelFolder';
import { modelUnavailable, sampleText, tinyModelDir } from './fixtures';

const skip = modelUnavailable();

describe('ONNX runtime (in-process)', { skip }, () => {
  let lm: OnnxCausalLM;
  before(async () => {
    lm = await OnnxCausalLM.load(tinyModelDir(), { threads: 2 });
  });
  after(async () => lm?.dispose());

  test('tokenize: offsets tile the text and slice to the decoded tokens', () => {
    const text = sampleText(1500) + ' é ü 日本語 🙂 <think>x</think>';
    const t = lm.tokenize(text);
    assert.ok(t.ids.length > 100);
    let rebuilt = '';
    for (let i = 0; i < t.ids.length; i++) {
      if (i > 0 && t.starts[i] === t.starts[i - 1]) continue; // bytes of one character share its span
      assert.equal(t.starts[i], rebuilt.length, `token ${i} starts where the previous ended`);
      rebuilt += text.slice(t.starts[i], t.ends[i]);
    }
    assert.equal(rebuilt, text);
  });

  test('chunked scoring equals one-pass scoring (within 1e-4)', async () => {
    const text = sampleText(2500);
    const one = await lm.score(text, { topK: 4, chunkSize: 100_000 });
    for (const chunkSize of [7, 64, 256]) {
      const chunked = await lm.score(text, { topK: 4, chunkSize });
      assert.equal(chunked.logprob.length, one.logprob.length);
      assert.ok(Number.isNaN(chunked.logprob[0]), 'token 0 has no logprob without BOS');
      for (let i = 1; i < one.logprob.length; i++) {
        assert.ok(Math.abs(chunked.logprob[i]! - one.logprob[i]!) < 1e-4, `logprob ${i} (chunk ${chunkSize})`);
        assert.ok(Math.abs(chunked.entropy![i]! - one.entropy![i]!) < 1e-4, `entropy ${i} (chunk ${chunkSize})`);
      }
      assert.deepEqual(Array.from(chunked.topK!.ids!.subarray(4)), Array.from(one.topK!.ids!.subarray(4)));
    }
  });

  test('per-token logprob, entropy and top-k match a naive reference on the full logits', async () => {
    const text = sampleText(600);
    const scored = await lm.score(text, { topK: 3, chunkSize: 50 });
    const ids = Array.from(scored.ids);
    const { logits } = await lm.forward(ids, null, 0);
    const V = lm.vocab;
    for (let t = 1; t < ids.length; t++) {
      const row = Array.from(logits.subarray((t - 1) * V, t * V));
      const max = Math.max(...row);
      const logZ = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      const entropy = -row.reduce((s, x) => s + Math.exp(x - logZ) * (x - logZ), 0);
      assert.ok(Math.abs(scored.logprob[t]! - (row[ids[t]!]! - logZ)) < 1e-4, `logprob ${t}`);
      assert.ok(Math.abs(scored.entropy![t]! - entropy) < 1e-4, `entropy ${t}: ${scored.entropy![t]} vs ${entropy}`);
      const best = row.indexOf(max);
      assert.equal(scored.topK!.ids![t * 3], best);
      assert.equal(scored.topK!.tokens![t * 3], lm.tokenizer.piece(best));
    }
    assert.equal(scored.entropyKind, 'full');
  });

  test('prependBos gives token 0 a logprob', async () => {
    const scored = await lm.score('Hello world', { prependBos: true });
    assert.ok(scored.bosPrepended);
    assert.ok(Number.isFinite(scored.logprob[0]) && scored.logprob[0]! < 0);
  });

  test('KV-cache generation equals full recomputation (greedy)', async () => {
    const prompt = sampleText(400);
    const cached = await lm.generate(prompt, { maxTokens: 24, chunkSize: 64 });
    const recomputed = await lm.generate(prompt, { maxTokens: 24, recompute: true });
    assert.ok(cached.ids.length > 0);
    assert.deepEqual(cached.ids, recomputed.ids);
    assert.equal(cached.text, recomputed.text);
  });

  test('generation streams pieces that add up to the text, honours stop strings and maxTokens', async () => {
    const pieces: string[] = [];
    const g = await lm.generate('The answer is', { maxTokens: 12, onToken: (p) => pieces.push(p) });
    assert.equal(pieces.join(''), g.text);
    assert.ok(g.tokenCount <= 12);
    if (g.text.length > 3) {
      const stop = g.text.slice(2, 4);
      const s = await lm.generate('The answer is', { maxTokens: 12, stop: [stop] });
      assert.equal(s.finishReason, 'stop');
      assert.equal(s.text, g.text.slice(0, g.text.indexOf(stop)));
    }
    const sampled1 = await lm.generate('The answer is', { maxTokens: 8, temperature: 1, topP: 0.9, seed: 3 });
    const sampled2 = await lm.generate('The answer is', { maxTokens: 8, temperature: 1, topP: 0.9, seed: 3 });
    assert.equal(sampled1.text, sampled2.text, 'seeded sampling is reproducible');
  });

  test('an aborted signal stops scoring', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(lm.score(sampleText(500), { signal: controller.signal }), { name: 'AbortError' });
  });
});

describe('bad model folders', { skip }, () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'rl-bad-model-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  function copy(name: string): string {
    const dir = join(scratch, name);
    cpSync(tinyModelDir(), dir, { recursive: true });
    return dir;
  }

  test('missing tokenizer.json is named', async () => {
    const dir = copy('no-tokenizer');
    unlinkSync(join(dir, 'tokenizer.json'));
    await assert.rejects(OnnxCausalLM.load(dir), (e: Error) => e instanceof ModelFolderError && e.message.includes(join(dir, 'tokenizer.json')));
  });

  test('missing ONNX file is named', async () => {
    const dir = copy('no-onnx');
    unlinkSync(join(dir, 'onnx', 'model.onnx'));
    await assert.rejects(OnnxCausalLM.load(dir), (e: Error) => e instanceof ModelFolderError && /no ONNX model/.test(e.message) && e.message.includes('model.onnx'));
    await assert.rejects(OnnxCausalLM.load(copy('no-variant'), { variant: 'model_q4' }), /ONNX file not found: .*model_q4\.onnx \(the folder has model\.onnx\)/);
  });

  test('a tokenizer larger than the logits is a vocabulary mismatch', async () => {
    const dir = copy('vocab-mismatch');
    const path = join(dir, 'tokenizer.json');
    const tok = JSON.parse(readFileSync(path, 'utf8')) as { added_tokens: { id: number; content: string; special: boolean }[] };
    const vocab = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;
    tok.added_tokens.push({ id: vocab + 10, content: '<|extra|>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false } as never);
    writeFileSync(path, JSON.stringify(tok));
    await assert.rejects(OnnxCausalLM.load(dir), (e: Error) => /vocabulary mismatch/.test(e.message) && e.message.includes(`${vocab} columns`));
  });

  test('a config without num_hidden_layers is named', async () => {
    const dir = copy('bad-config');
    const path = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    delete config.num_hidden_layers;
    writeFileSync(path, JSON.stringify(config));
    await assert.rejects(OnnxCausalLM.load(dir), /config\.json: "num_hidden_layers" must be a positive integer/);
  });
});
