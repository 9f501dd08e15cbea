/**
 * `prune` as a user meets it on real files: every record written, the budget honoured or the reason
 * printed, a response without reasoning left alone, truncated traces out of SFT rows by default,
 * a mapped field written back where it was read, a folder mirrored with its prompt files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraces } from '../../src/core/trace';
import { runCli, sharedData } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'rl-prune-writer-'));
const tokensKept = (err: string): number => {
  const m = /tokens: ~?([\d,]+) → ~?([\d,]+)/.exec(err);
  assert.ok(m, err);
  return Number(m[2]!.replace(/,/g, '')) / Number(m[1]!.replace(/,/g, ''));
};

describe('prune writes every record and honours the budget (real files)', () => {
  test('anchor under an 80% budget keeps about 80% of Thought-Anchors tokens (it kept 2.7%); without one the rule decides', async () => {
    const ta = sharedData('thought-anchors');
    const budgeted = await runCli('prune', ta, '--method', 'anchor', '--budget', '80%', '-o', join(dir, 'ta-anchor-80'));
    assert.equal(budgeted.code, 0, budgeted.err);
    const kept = tokensKept(budgeted.err);
    assert.ok(kept <= 0.8 && kept > 0.7, `${kept}`);
    const rule = await runCli('prune', ta, '--method', 'anchor', '-o', join(dir, 'ta-anchor'));
    assert.equal(rule.code, 0, rule.err);
    assert.match(rule.err, /no budget \(the rule decides\)/);
    assert.ok(tokensKept(rule.err) < 0.2, 'the whole rule drops most steps');
    // The mirror re-reads as the same 20 traces, none emptied.
    const back = (await readTraces(join(dir, 'ta-anchor'))).traces;
    assert.equal(back.length, 20);
    assert.ok(back.every((t) => t.reasoning.trim()));
  });

  test('confidence and loops under a budget they cannot reach: the records are written, the reason printed', async () => {
    const src = sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_math500_deepseek_r1.jsonl');
    const out = join(dir, 'r1.jsonl');
    const r = await runCli('prune', src, '--method', 'confidence', '--budget', '50%', '-o', out, '--workers', '0');
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, readFileSync(src, 'utf8').trim().split('\n').length, 'every record written');
    assert.match(r.err, /not pruned 2 × the confidence method needs the trace's final answer/);
    assert.match(r.err, /budget not met 1 × Redundant reflection \(ConCISE-style\) found too few steps to drop to reach the budget; run a budgeted method after it \(e\.g\. --method confidence,asap\)/);
    const loops = await runCli('prune', sharedData('thought-anchors'), '--method', 'loops', '--budget', '80%', '-o', join(dir, 'ta-loops'));
    assert.match(loops.err, /budget not met 20 × Loop repeats found too few steps/);
  });

  test('budgets 0, 0% and 0 tokens are refused with exit 2', async () => {
    const src = sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_math500_deepseek_r1.jsonl');
    for (const zero of ['0', '0%', '0 tokens']) {
      const r = await runCli('prune', src, '--method', 'asap', '--budget', zero, '-o', join(dir, 'zero.jsonl'));
      assert.equal(r.code, 2, zero);
      assert.match(r.err, /budget of 0 would leave no reasoning/);
    }
    assert.equal(existsSync(join(dir, 'zero.jsonl')), false);
  });

  test('a response without a reasoning section is never pruned: "no reasoning section", nothing written when nothing was pruned', async () => {
    const r = await runCli('prune', sharedData('wild', 'openai-chat-reasoning', 'vercel-ai_issue-19377-logprobs.json'), '--method', 'loops', '-o', join(dir, 'none.json'));
    assert.equal(r.code, 1);
    assert.match(r.err, /not pruned 1 × no reasoning section/);
    assert.equal(existsSync(join(dir, 'none.json')), false);
  });

  test('SFT rows leave truncated traces out by default; --truncated keep writes them as cut off, never closed', async () => {
    const src = sharedData('wild', 'eval-dumps', 'skythought_qwen25math-eval_sky-t1-14b_amc23.jsonl');
    const traces = (await readTraces(src)).traces;
    const truncated = traces.filter((t) => t.truncated).length;
    assert.ok(truncated > 0, 'the dump has a trace cut off at the token limit');
    const skip = join(dir, 'sky.sft.jsonl');
    const a = await runCli('prune', src, '--method', 'loops', '--format', 'sft', '-o', skip, '--workers', '0');
    assert.equal(a.code, 0, a.err);
    assert.match(a.err, /left out 1 × truncated/);
    const rows = readFileSync(skip, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: { content: string }[] });
    assert.equal(rows.length, traces.length - truncated);
    assert.ok(rows.every((r) => r.messages[1]!.content.includes('\n</think>\n')));
    const keep = join(dir, 'sky.keep.sft.jsonl');
    const b = await runCli('prune', src, '--method', 'loops', '--format', 'sft', '--truncated', 'keep', '-o', keep, '--workers', '0');
    assert.equal(b.code, 0, b.err);
    const kept = readFileSync(keep, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: { content: string }[] });
    assert.equal(kept.length, traces.length);
    const open = kept.filter((r) => !r.messages[1]!.content.includes('</think>'));
    assert.equal(open.length, truncated, 'a cut-off trace is never closed with </think> and an empty answer');
    assert.equal((await runCli('prune', src, '--method', 'loops', '--truncated', 'keep', '-o', join(dir, 'x.jsonl'))).code, 2, '--truncated goes with --format sft');
  });

  test('a reasoning read through --field is written back into that field; JSON held in a string is edited inside it', async () => {
    const LOOP = 'Wait, let me check that sum once more: two plus two is four, and four minus two gives two again.';
    const body = { choices: [{ message: { reasoning_content: 'First idea.\n\nSecond idea.\n\nThird idea.\n\nFourth idea, the answer is 4.', content: 'It is 4.' } }] };
    const rows = [
      { q: 'What is 2+2?', notes: 'First idea.\n\nSecond idea.', my_cot: ['Add two and two.', ...Array<string>(5).fill(LOOP), 'So it is four.'].join('\n\n'), final: '4' },
      { q: 'And 3+1?', payload: JSON.stringify(body) },
    ];
    const src = join(dir, 'mapped.jsonl');
    writeFileSync(src, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const out = join(dir, 'mapped.out.jsonl');
    const r = await runCli('prune', src, '--method', 'loops', '--field', 'reasoning=my_cot', '--field', 'prompt=q', '-o', out, '--workers', '0');
    assert.equal(r.code, 0, r.err);
    const [first, second] = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.equal(first!.my_cot, ['Add two and two.', LOOP, 'So it is four.'].join('\n\n'));
    assert.equal(first!.notes, rows[0]!.notes, 'another field is untouched');
    assert.equal(second!.payload, rows[1]!.payload, 'a record whose mapped field is missing is written as it was');
    // The reasoning inside a JSON string, found by the general pass, is edited in that string.
    const nested = join(dir, 'nested.jsonl');
    writeFileSync(nested, `${JSON.stringify(rows[1])}\n`);
    const n = await runCli('prune', nested, '--method', 'anchor', '--budget', '60%', '-o', join(dir, 'nested.out.jsonl'), '--workers', '0');
    assert.equal(n.code, 0, n.err);
    const payload = JSON.parse((JSON.parse(readFileSync(join(dir, 'nested.out.jsonl'), 'utf8')) as { payload: string }).payload) as typeof body;
    assert.ok(payload.choices[0]!.message.reasoning_content.length < body.choices[0]!.message.reasoning_content.length);
    assert.equal(payload.choices[0]!.message.content, 'It is 4.');
  });

  test('a folder mirrored in its own format keeps each prompt.md; non-trace files are copied as they were', async () => {
    const src = join(dir, 'cf');
    cpSync(sharedData('codeforces-r1', 'prompt-response-cot'), src, { recursive: true });
    mkdirSync(join(src, 'empty-notes'));
    const out = join(dir, 'cf.out');
    const r = await runCli('prune', src, '--method', 'loops', '-o', out);
    assert.equal(r.code, 0, r.err);
    const before = (await readTraces(src)).traces;
    const after = (await readTraces(out)).traces;
    assert.equal(after.length, before.length);
    after.forEach((t, i) => {
      assert.ok(t.prompt.length > 100, 'the prompt came along');
      assert.equal(t.prompt, before[i]!.prompt);
    });
    assert.equal(readFileSync(join(out, 'mapping.json'), 'utf8'), readFileSync(join(src, 'mapping.json'), 'utf8'));
  });
});
