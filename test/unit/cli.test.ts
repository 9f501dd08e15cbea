import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main';
import { parseArgs, ArgError } from '../../src/cli/args';
import { repoPath, sharedData } from './helpers';
import { existsSync } from 'node:fs';
import { jsonlChunks } from '../../bench/pruneFixture';
import { spawnSync } from 'node:child_process';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

describe('cli args', () => {
  const specs = { json: { type: 'boolean', short: 'j' }, format: { type: 'string', choices: ['a', 'b'] } } as const;
  test('parses flags, values, = form, short aliases and --', () => {
    const r = parseArgs(['x', '--json', '--format=a', 'y', '--', '--z'], specs);
    assert.deepEqual(r.positionals, ['x', 'y', '--z']);
    assert.equal(r.options.json, true);
    assert.equal(r.options.format, 'a');
    assert.equal(parseArgs(['-j'], specs).options.json, true);
  });
  test('rejects unknown options, missing values and bad choices', () => {
    assert.throws(() => parseArgs(['--nope'], specs), ArgError);
    assert.throws(() => parseArgs(['--format'], specs), ArgError);
    assert.throws(() => parseArgs(['--format', 'c'], specs), ArgError);
    assert.throws(() => parseArgs(['--__proto__'], specs), ArgError);
  });
});

describe('cli inspect', () => {
  test('text output for a chat dump fixture', async () => {
    const r = await run('inspect', repoPath('test/fixtures/trace/deepseek-dump.txt'));
    assert.equal(r.code, 0);
    assert.match(r.out, /\[chat-template\]/);
    assert.match(r.out, /deepseek-dump\.txt:1/);
    assert.match(r.out, /steps 2 \(auto\)/);
    assert.match(r.out, /answer: 51/);
  });

  test('--json: one object per trace with steps and tokens', async () => {
    const r = await run('inspect', repoPath('test/fixtures/trace/openai-logprobs.json'), '--json', '--segment', 'sentence');
    assert.equal(r.code, 0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { format: string; steps: unknown[]; tokens: number; finalAnswer: string; truncated: boolean });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.format, 'openai-chat');
    assert.equal(lines[0]!.tokens, 3);
    assert.equal(lines[0]!.truncated, false);
    assert.deepEqual(lines[0]!.steps, [{ index: 0, start: 0, end: 8 }]);
  });

  test('--json over GSM8K test: one object per record', async () => {
    const r = await run('inspect', sharedData('gsm8k', 'test.jsonl'), '--json');
    assert.equal(r.code, 0);
    assert.equal(r.out.trim().split('\n').length, 1319);
  });

  test('--reasoning-tags and --format', async () => {
    const r = await run('inspect', repoPath('test/fixtures/trace/deepseek-dump.txt'), '--format', 'think-text', '--reasoning-tags', '<think>,</think>', '--json');
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.out) as { format: string }).format, 'think-text');
  });

  test('exit 2 on bad arguments, 1 when nothing could be read; errors on stderr with file:line', async () => {
    assert.equal((await run('inspect')).code, 2);
    assert.equal((await run('inspect', 'x', '--segment', 'words')).code, 2);
    assert.equal((await run('inspect', 'x', '--reasoning-tags', 'only')).code, 2);
    assert.equal((await run('bogus')).code, 2);
    assert.equal((await run()).code, 2);
    const missing = await run('inspect', '/nonexistent/file.jsonl');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nonexistent/);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const p = join(mkdtempSync(join(tmpdir(), 'rl-cli-')), 'x.jsonl');
    writeFileSync(p, '{"question": "q", "answer": "r\\n#### 1"}\n{bad\n');
    const partial = await run('inspect', p);
    assert.equal(partial.code, 0);
    assert.ok(partial.err.includes(`${p}:2`), partial.err);
  });

  test('help', async () => {
    const r = await run('inspect', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: reasoning-lens inspect/);
  });
});

describe('cli: every command reads what inspect reads', () => {
  test('inspect --json names the fields it read and the prompt / answer sizes; --field sets them', async () => {
    const file = sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_math500_deepseek_r1.jsonl');
    const r = await run('inspect', file, '--json');
    assert.equal(r.code, 0, r.err);
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l) as { id: string; fields: Record<string, string>; promptCharacters: number; answerCharacters: number; characters: number; warnings: { code: string; message: string }[] });
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0]!.fields, { reasoning: 'full_response', answer: 'full_response', prompt: 'prompt', id: 'item_id' });
    assert.equal(rows[0]!.id, 'math500_0000');
    assert.ok(rows.every((x) => x.promptCharacters > 0 && x.answerCharacters > 0 && x.characters > 0));
    assert.ok(rows[0]!.warnings.some((w) => w.code === 'fields-guessed' && w.message.length > 0));
    // The record's own (stripped) copies, named by the user, win over detection.
    const mapped = await run('inspect', file, '--json', '--field', 'reasoning=reasoning_trace', '--field', 'answer=answer_text', '--field', 'prompt=problem');
    const m = JSON.parse(mapped.out.trim().split('\n')[0]!) as { fields: Record<string, string>; format: string };
    assert.equal(m.format, 'mapped');
    assert.deepEqual(m.fields, { reasoning: 'reasoning_trace', answer: 'answer_text', prompt: 'problem', id: 'item_id' });
    assert.equal((await run('inspect', file, '--field', 'thoughts=x')).code, 2);
  });

  test('a stream capture is one trace, not one per line', async () => {
    const r = await run('inspect', sharedData('wild', 'openai-chat-reasoning', 'vercel-ai_deepseek-reasoning.chunks.txt'));
    assert.equal(r.code, 0);
    assert.match(r.err, /^1 trace$/m);
  });

  test('score and prune read a mixed folder (a Thought-Anchors problem, JSON lines saved as .json, a README) and a .json file of JSON lines', async () => {
    const { mkdtempSync, copyFileSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'rl-cli-read-'));
    // JSON lines with reasoning logprobs saved as .json: file scores, no model needed.
    const jsonl = join(dir, 'lines.json');
    writeFileSync(jsonl, [...jsonlChunks(2, 120, 3)].join(''));
    const s = await run('score', jsonl, '--json');
    assert.equal(s.code, 0, s.err);
    assert.equal(s.out.trim().split('\n').length, 2);
    assert.match(s.err, /2 records, 2 traces, 2 scored/);
    // A mixed folder: a Thought-Anchors problem, a JSON file, a .json of lines, a README (skipped).
    const ta = sharedData('thought-anchors', 'deepseek-r1-distill-llama-8b', 'correct_base_solution');
    const mixed = join(dir, 'mixed');
    mkdirSync(join(mixed, 'problem'), { recursive: true });
    const first = (await import('node:fs')).readdirSync(ta)[0]!;
    for (const f of ['problem.json', 'base_solution.json', 'chunks_labeled.json']) copyFileSync(join(ta, first, f), join(mixed, 'problem', f));
    copyFileSync(jsonl, join(mixed, 'lines.json'));
    writeFileSync(join(mixed, 'README.md'), 'Notes that mention `<think>` and </think> in passing.');
    const inspected = await run('inspect', mixed, '--json');
    assert.equal(inspected.out.trim().split('\n').length, 3, inspected.err);
    const prune = await run('prune', mixed, '--method', 'asap', '--budget', '0.5', '--format', 'sft', '-o', join(dir, 'mixed.sft.jsonl'));
    assert.match(prune.err, /3 records, 3 traces, 2 pruned/, prune.err);
    const pruneJsonl = await run('prune', jsonl, '--method', 'asap', '--budget', '0.5', '-o', join(dir, 'lines.pruned.json'), '--workers', '0');
    assert.equal(pruneJsonl.code, 0, pruneJsonl.err);
    assert.match(pruneJsonl.err, /2 records, 2 traces, 2 pruned/);
    // Score the mixed folder: file logprobs where the trace has them, else the embedded model (like the editor).
    const scored = await run('score', mixed, '--json');
    assert.equal(scored.code, 0, scored.err);
    const by = scored.out.trim().split('\n').map((l) => (JSON.parse(l) as { scoredBy: string }).scoredBy);
    assert.deepEqual(by.filter((b) => b === 'file').length, 2);
    if (existsSync(repoPath('media', 'models', 'reasoning-lens-tiny', 'onnx', 'model.onnx'))) assert.match(by.find((b) => b !== 'file') ?? '', /onnx|reasoning-lens-tiny/);
  });

  test('inspect … | head exits quietly (the built CLI, when present)', { skip: existsSync(repoPath('out', 'cli.js')) ? false : 'out/cli.js is not built' }, () => {
    const r = spawnSync('bash', ['-c', `node ${JSON.stringify(repoPath('bin', 'reasoning-lens.js'))} inspect ${JSON.stringify(sharedData('gsm8k', 'train.jsonl'))} | head -2`], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout.split('\n').length, 3);
    assert.doesNotMatch(r.stderr, /EPIPE|Error|at /);
  });
});
