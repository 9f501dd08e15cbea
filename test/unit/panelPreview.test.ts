import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answerRetention, answersMatch, generatePreview, previewContext, type PreviewInput } from '../../src/pipeline/preview';
import { InProcessOnnxBackend } from '../../src/model/onnx/local';
import type { GenerateOptions, Generation, ScoreOptions, ScoredText, ScoringBackend, TokenizedText } from '../../src/model/backend';
import { AbortError } from '../../src/model/backend';
import { modelUnavailable, tinyModelDir } from './model/fixtures';

/**
 * A backend whose tokens are single characters and whose logprob of a character depends only on the
 * character and on whether the text contains "STEP2": the expected retention can be written down by hand.
 */
class CharBackend implements ScoringBackend {
  scored: string[] = [];
  constructor(private readonly reply = '', private readonly lp = (c: string, text: string) => (text.includes('STEP2') ? -1 : -3) * (c === '4' ? 2 : 1)) {}
  async tokenize(text: string): Promise<TokenizedText> {
    const n = text.length;
    return { ids: new Int32Array(n), tokens: [...text], starts: Int32Array.from({ length: n }, (_, i) => i), ends: Int32Array.from({ length: n }, (_, i) => i + 1) };
  }
  async score(text: string, _options?: ScoreOptions): Promise<ScoredText> {
    this.scored.push(text);
    const t = await this.tokenize(text);
    return { ...t, logprob: Float32Array.from([...text], (c) => this.lp(c, text)), bosPrepended: true };
  }
  async generate(_prompt: string, options: GenerateOptions = {}): Promise<Generation> {
    for (const c of this.reply) {
      if (options.signal?.aborted) throw new AbortError();
      options.onToken?.(c);
      await new Promise((r) => setTimeout(r, 1));
    }
    return { text: this.reply, finishReason: 'eos', tokenCount: this.reply.length };
  }
  describe() {
    return { id: 'char', name: 'char', kind: 'file' as const, fullEntropy: false, canGenerate: true };
  }
  async dispose(): Promise<void> {}
}

const input: PreviewInput = {
  prompt: 'Q: 6*7?\n',
  fullReasoning: 'STEP1 think\n\nSTEP2 compute 6*7',
  prunedReasoning: 'STEP1 think',
  answer: 'The answer is 42.',
};

describe('answer retention (offset math on a character backend)', () => {
  test('context shape', () => {
    assert.equal(previewContext('P', 'R'), 'P<think>\nR\n</think>\n');
  });

  test('sums exactly the answer tokens of each text, scoring each text once', async () => {
    const backend = new CharBackend();
    const r = await answerRetention(backend, input);
    assert.equal(backend.scored.length, 2, 'two score calls: full and pruned');
    assert.ok(backend.scored[0]!.endsWith('\n</think>\nThe answer is 42.'));
    const n = input.answer.length;
    assert.equal(r.answerTokens, n);
    // Full text contains STEP2: −1 per char, −2 for '4'. Pruned lacks it: −3 and −6.
    assert.equal(r.fullLogprob, -(n - 1) - 2);
    assert.equal(r.prunedLogprob, -3 * (n - 1) - 6);
    assert.equal(r.delta, r.prunedLogprob - r.fullLogprob);
    assert.equal(r.deltaPerToken, r.delta / n);
    assert.equal(r.perToken.length, n);
    assert.deepEqual(r.perToken[14], { token: '4', full: -2, pruned: -6 });
    assert.equal(r.perToken.map((t) => t.token).join(''), input.answer);
  });

  test('no answer: an error that says what to do', async () => {
    await assert.rejects(answerRetention(new CharBackend(), { ...input, answer: '  ' }), /no answer after its reasoning/);
  });
});

describe('generation preview', () => {
  test('streams chunks, extracts both final answers and compares them', async () => {
    const chunks: string[] = [];
    let t = 0;
    const g = await generatePreview(new CharBackend('so \\boxed{42}'), input, { onChunk: (c) => chunks.push(c), now: () => (t += 100) });
    assert.equal(chunks.join(''), 'so \\boxed{42}');
    assert.equal(g.finalAnswer, '42');
    assert.equal(g.originalFinalAnswer, '42');
    assert.equal(g.match, true);
    assert.equal(g.tokenCount, 13);
    assert.ok(g.tokensPerSecond > 0 && Number.isFinite(g.tokensPerSecond));
    const other = await generatePreview(new CharBackend('\\boxed{41}'), input);
    assert.equal(other.match, false);
    assert.equal(answersMatch('0.5', '\\frac{1}{2}'), true);
    assert.equal(answersMatch(null, '1'), null);
  });

  test('cancellation rejects with AbortError', async () => {
    const controller = new AbortController();
    const pending = generatePreview(new CharBackend('x'.repeat(200)), input, { signal: controller.signal, onChunk: () => controller.abort() });
    await assert.rejects(pending, { name: 'AbortError' });
  });
});

const skip = modelUnavailable();

describe('answer retention on a tiny ONNX model', { skip }, () => {
  let backend: InProcessOnnxBackend;
  before(() => {
    backend = new InProcessOnnxBackend(tinyModelDir(), { threads: 1 });
  });
  after(async () => backend?.dispose());

  test('identical reasoning retains everything; different reasoning changes the answer likelihood', async () => {
    const same = await answerRetention(backend, { ...input, prunedReasoning: input.fullReasoning });
    assert.equal(same.delta, 0);
    assert.equal(same.fullLogprob, same.prunedLogprob);
    assert.ok(same.fullLogprob < 0 && Number.isFinite(same.fullLogprob));

    const r = await answerRetention(backend, input);
    assert.ok(Number.isFinite(r.delta) && r.delta !== 0, `delta ${r.delta}`);
    // The answer tokens are those of the answer text: the tokenizer's own count of it, give or take
    // the one token that may straddle the context's last newline.
    const alone = await backend.tokenize(input.answer);
    assert.ok(Math.abs(r.answerTokens - alone.ids.length) <= 1, `${r.answerTokens} vs ${alone.ids.length}`);
    // Same context suffix → same answer tokenisation, so every token pairs and the pairs sum to the totals.
    assert.equal(r.perToken.length, r.answerTokens);
    const sum = (k: 'full' | 'pruned') => r.perToken.reduce((s, t) => s + t[k], 0);
    assert.ok(Math.abs(sum('full') - r.fullLogprob) < 1e-3);
    assert.ok(Math.abs(sum('pruned') - r.prunedLogprob) < 1e-3);
  });

  test('generation streams the same text it returns', async () => {
    const pieces: string[] = [];
    const g = await generatePreview(backend, input, { maxTokens: 12, onChunk: (c) => pieces.push(c) });
    assert.equal(pieces.join(''), g.text);
    assert.ok(g.tokenCount > 0 && g.tokenCount <= 12);
    assert.equal(g.originalFinalAnswer, '42');
  });
});
