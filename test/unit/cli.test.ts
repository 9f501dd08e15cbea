import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main';
import { parseArgs, ArgError } from '../../src/cli/args';
import { repoPath, sharedData } from './helpers';

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
    assert.equal(lines[0].format, 'openai-chat');
    assert.equal(lines[0].tokens, 3);
    assert.equal(lines[0].truncated, false);
    assert.deepEqual(lines[0].steps, [{ index: 0, start: 0, end: 8 }]);
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
