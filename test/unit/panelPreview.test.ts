import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answerRetention, compareAnswers, generateComparison, previewContext, type PreviewInput } from '../../src/pipeline/preview';
import { PreviewRunner } from '../../src/pipeline/previewRunner';
import { parseTraceText } from '../../src/core/trace';
import { segment } from '../../src/core/steps';
import { TraceSession } from '../../src/core/session';
import { parseToWebview, type PreviewEvent } from '../../src/shared/protocol';
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
  generated: string[] = [];
  constructor(private readonly reply: string | ((prompt: string) => string) = '', private readonly lp = (c: string, text: string) => (text.includes('STEP2') ? -1 : -3) * (c === '4' ? 2 : 1)) {}
  async tokenize(text: string): Promise<TokenizedText> {
    const n = text.length;
    return { ids: new Int32Array(n), tokens: [...text], starts: Int32Array.from({ length: n }, (_, i) => i), ends: Int32Array.from({ length: n }, (_, i) => i + 1) };
  }
  async score(text: string, _options?: ScoreOptions): Promise<ScoredText> {
    this.scored.push(text);
    const t = await this.tokenize(text);
    return { ...t, logprob: Float32Array.from([...text], (c) => this.lp(c, text)), bosPrepended: true };
  }
  async generate(prompt: string, options: GenerateOptions = {}): Promise<Generation> {
    this.generated.push(prompt);
    const reply = typeof this.reply === 'string' ? this.reply : this.reply(prompt);
    for (const c of reply) {
      if (options.signal?.aborted) throw new AbortError();
      options.onToken?.(c);
      await new Promise((r) => setTimeout(r, 1));
    }
    return { text: reply, finishReason: 'eos', tokenCount: reply.length };
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

/** Answers 42 after the full reasoning (it contains STEP2) and `pruned` after the pruned one. */
const byReasoning = (pruned: string) => (prompt: string) => (prompt.includes('STEP2') ? 'so \\boxed{42}' : pruned);

describe('generation preview: full and pruned reasoning side by side', () => {
  test('generates after each reasoning, streams each side, extracts both answers and compares them', async () => {
    const chunks: Record<string, string> = { full: '', pruned: '' };
    const sides: string[] = [];
    let t = 0;
    const backend = new CharBackend(byReasoning('thus \\boxed{42}.'));
    const g = await generateComparison(backend, input, {
      onChunk: (side, c) => { chunks[side] += c; },
      onSide: (side) => sides.push(side),
      now: () => (t += 100),
    });
    assert.deepEqual(backend.generated, [previewContext(input.prompt, input.fullReasoning), previewContext(input.prompt, input.prunedReasoning)]);
    assert.deepEqual(sides, ['full', 'pruned'], 'the full side is reported before the pruned one starts');
    assert.equal(chunks.full, 'so \\boxed{42}');
    assert.equal(chunks.pruned, 'thus \\boxed{42}.');
    assert.equal(g.full.finalAnswer, '42');
    assert.equal(g.pruned.finalAnswer, '42');
    assert.equal(g.traceAnswer, '42');
    assert.equal(g.verdict, 'same');
    assert.equal(g.missing, null);
    assert.equal(g.full.tokenCount, 13);
    assert.ok(g.pruned.tokensPerSecond > 0 && Number.isFinite(g.pruned.tokensPerSecond));
  });

  test('different answers differ; normalised answers are the same', async () => {
    assert.equal((await generateComparison(new CharBackend(byReasoning('\\boxed{41}')), input)).verdict, 'differs');
    assert.equal((await generateComparison(new CharBackend(byReasoning('The answer is $42$.')), input)).verdict, 'same');
    assert.deepEqual(compareAnswers('0.5', '\\frac{1}{2}'), { verdict: 'same', missing: null });
    assert.deepEqual(compareAnswers('1,000', '1000'), { verdict: 'same', missing: null });
  });

  test('no answer is never "differs": neither, or one side, stating none reads as no answer', async () => {
    const neither = await generateComparison(new CharBackend('hmm, let me think some more'), input);
    assert.equal(neither.full.finalAnswer, null);
    assert.equal(neither.pruned.finalAnswer, null);
    assert.equal(neither.verdict, 'no answer');
    assert.equal(neither.missing, 'both');
    const one = await generateComparison(new CharBackend(byReasoning('and then')), input);
    assert.equal(one.verdict, 'no answer');
    assert.equal(one.missing, 'pruned');
    assert.deepEqual(compareAnswers('$ $', '42'), { verdict: 'no answer', missing: 'first' }, 'an answer that normalises to nothing is none');
    assert.deepEqual(compareAnswers(null, undefined), { verdict: 'no answer', missing: 'both' });
  });

  test('nothing pruned: the pruned side is the full side, generated once', async () => {
    const backend = new CharBackend(byReasoning('x'));
    const g = await generateComparison(backend, { ...input, prunedReasoning: input.fullReasoning });
    assert.equal(backend.generated.length, 1);
    assert.equal(g.pruned.reused, 'full');
    assert.equal(g.pruned.text, g.full.text);
    assert.equal(g.verdict, 'same');
  });

  test('cancellation rejects with AbortError', async () => {
    const controller = new AbortController();
    const pending = generateComparison(new CharBackend('x'.repeat(200)), input, { signal: controller.signal, onChunk: () => controller.abort() });
    await assert.rejects(pending, { name: 'AbortError' });
  });
});

describe('preview runner', () => {
  const session = (reasoning = input.fullReasoning): TraceSession => {
    const trace = parseTraceText(`${input.prompt}<think>\n${reasoning}\n</think>\n${input.answer}`);
    return new TraceSession(trace, segment(trace.reasoning, 'paragraph'), 'paragraph');
  };

  test('events the panel accepts, and the full side generated once while trace, backend and limit stay the same', async () => {
    const events: PreviewEvent[] = [];
    const runner = new PreviewRunner((e) => events.push(e));
    const backend = new CharBackend(byReasoning('\\boxed{41}'));
    const s = session();
    s.toggleStep(1);
    await runner.start(s, 'generate', 64, async () => backend);
    for (const e of events) assert.ok(parseToWebview({ type: 'preview', event: JSON.parse(JSON.stringify(e)) }), `rejected: ${JSON.stringify(e)}`);
    const done = events.find((e) => e.kind === 'generated');
    assert.ok(done?.kind === 'generated');
    assert.equal(done.result.verdict, 'differs');
    assert.equal(events.filter((e) => e.kind === 'side').length, 2);
    const streamed = (side: string) => events.flatMap((e) => (e.kind === 'chunk' && e.side === side ? [e.text] : [])).join('');
    assert.equal(streamed('full'), done.result.full.text);
    assert.equal(streamed('pruned'), done.result.pruned.text);
    assert.equal(backend.generated.length, 2);

    events.length = 0;
    await runner.start(s, 'generate', 64, async () => backend);
    assert.equal(backend.generated.length, 3, 'only the pruned side is generated again');
    const again = events.find((e) => e.kind === 'generated');
    assert.ok(again?.kind === 'generated');
    assert.equal(again.result.full.reused, 'earlier');
    assert.equal(again.result.full.text, done.result.full.text);

    await runner.start(s, 'generate', 32, async () => backend);
    assert.equal(backend.generated.length, 5, 'another token limit generates both again');
  });

  test('nothing dropped: the pruned side reads the full reasoning as written, so it is the full side', async () => {
    const events: PreviewEvent[] = [];
    const backend = new CharBackend(byReasoning('\\boxed{41}'));
    const s = session('STEP1 think  \n\n\nSTEP2 compute 6*7');
    assert.equal(s.prunedReasoning(), s.trace.reasoning, 'with every step kept, the reasoning as written (odd blank lines too)');
    await new PreviewRunner((e) => events.push(e)).start(s, 'generate', 64, async () => backend);
    assert.equal(backend.generated.length, 1);
    const done = events.find((e) => e.kind === 'generated');
    assert.ok(done?.kind === 'generated');
    assert.equal(done.result.pruned.reused, 'full');
    assert.equal(done.result.verdict, 'same');
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

  test('both generations stream the same text they return', async () => {
    const pieces: Record<string, string> = { full: '', pruned: '' };
    const g = await generateComparison(backend, input, { maxTokens: 12, onChunk: (side, c) => { pieces[side] += c; } });
    assert.equal(pieces.full, g.full.text);
    assert.equal(pieces.pruned, g.pruned.text);
    assert.ok(g.full.tokenCount > 0 && g.full.tokenCount <= 12);
    assert.equal(g.traceAnswer, '42');
    assert.ok(['same', 'differs', 'no answer'].includes(g.verdict));
  });
});
