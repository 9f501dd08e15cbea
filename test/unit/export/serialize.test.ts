import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync, mkdirSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../helpers';
import { readTraces } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import { makePlan, type DropReason } from '../../../src/core/prune/plan';
import type { Trace } from '../../../src/core/trace/types';
import type { SegmentationMode } from '../../../src/core/types';
import { emptyTotals, exportSource, filePruner, planOutcome, type AsyncTracePruner, type TracePruner } from '../../../src/core/export/dataset';
import { prunedReasoningText, spliceRecord, sftRecord } from '../../../src/core/export/serialize';
import { assertNotSource, SourceOverwriteError, writeFileAtomic } from '../../../src/core/export/atomicWrite';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'rl-export-'));

/** Drops every second step (1, 3, 5…): a plan that changes the text in a way a bug would show. */
function dropOdd(mode: SegmentationMode): TracePruner {
  return (trace) => {
    const steps = segment(trace.reasoning, mode, trace.chunks);
    const reasons = new Map<number, DropReason>();
    for (let i = 1; i < steps.length; i += 2) reasons.set(i, { method: 'manual', scoreName: 'manual', rank: reasons.size + 1, rule: 'test' });
    const plan = makePlan('manual', steps.length, reasons);
    return planOutcome(trace, steps, plan, { before: steps.length, after: plan.kept.length });
  };
}

function keptTexts(trace: Trace, mode: SegmentationMode): string[] {
  const steps = segment(trace.reasoning, mode, trace.chunks).map((s) => s.text);
  return steps.filter((_, i) => i % 2 === 0);
}

async function collect(gen: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const c of gen) s += c;
  return s;
}

/** Export `source` (same format) into `out`, re-read both, and check the kept steps survive exactly. */
async function roundTrip(source: string, out: string, mode: SegmentationMode = 'paragraph'): Promise<{ before: Trace[]; after: Trace[] }> {
  const totals = emptyTotals();
  await writeFileAtomic(out, exportSource(source, dropOdd(mode), 'same', totals));
  const before = (await readTraces(source)).traces;
  const after = await readTraces(out);
  assert.deepEqual(after.errors, [], `re-reading ${out}`);
  assert.equal(after.traces.length, before.length, 'same number of traces');
  assert.equal(totals.pruned, before.length);
  before.forEach((t, i) => {
    const got = segment(after.traces[i]!.reasoning, mode).map((s) => s.text);
    assert.deepEqual(got, keptTexts(t, mode), `trace ${t.id}: kept steps`);
    assert.equal(after.traces[i]!.prompt, t.prompt, 'prompt unchanged');
    assert.equal(after.traces[i]!.answer.trim(), t.answer.trim(), 'answer unchanged');
    assert.equal(after.traces[i]!.format, t.format, 'format unchanged');
  });
  return { before, after: after.traces };
}

test('export round-trip: think-text markdown (prompt/response folder) keeps delimiters, prompt and answer', async () => {
  const dir = tmp();
  const src = join(dir, 'src.md');
  copyFileSync(repoPath('media/samples/codeforces-r1-cot-174/response.md'), src);
  const { before } = await roundTrip(src, join(dir, 'out.md'));
  assert.ok(segment(before[0]!.reasoning, 'paragraph').length > 4, 'a real multi-step trace');
  const text = readFileSync(join(dir, 'out.md'), 'utf8');
  assert.equal((text.match(/<think>/g) ?? []).length, (readFileSync(src, 'utf8').match(/<think>/g) ?? []).length);
});

test('export round-trip: openai-chat `reasoning` field (OpenRouter response) replaces only that field', async () => {
  const dir = tmp();
  const src = join(dir, 'resp.json');
  copyFileSync(repoPath('media/samples/openrouter-r1-variant-2.json'), src);
  await roundTrip(src, join(dir, 'out.json'));
  const a = JSON.parse(readFileSync(src, 'utf8'));
  const b = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
  assert.equal(b.choices[0].message.content, a.choices[0].message.content);
  assert.notEqual(b.choices[0].message.reasoning, a.choices[0].message.reasoning);
  assert.equal(b.id, a.id);
});

test('export round-trip: JSONL of openai-chat with reasoning_content and logprobs; stale logprobs become null', async () => {
  const dir = tmp();
  const reasoning = 'First compute 12 * 7 = 84.\n\nWait, let me check that again.\n\nYes 84 / 7 = 12.\n\nSo x_1 = 84 and the answer is 84.';
  const rec = (i: number) => ({ id: `r${i}`, choices: [{ index: 0, logprobs: { content: [{ token: 'The', logprob: -0.1, top_logprobs: [] }] }, message: { role: 'assistant', content: 'The answer is \\boxed{84}.', reasoning_content: reasoning } }] });
  const src = join(dir, 'data.jsonl');
  writeFileSync(src, `${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2))}\n`);
  await roundTrip(src, join(dir, 'out.jsonl'));
  const out = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.length, 2);
  assert.equal(out[0].choices[0].logprobs, null);
  assert.equal(out[0].choices[0].message.reasoning_content, 'First compute 12 * 7 = 84.\n\nYes 84 / 7 = 12.');
});

test('export round-trip: messages rows, conversations rows and question-solution rows (think tags inside a field)', async () => {
  const dir = tmp();
  const body = '<think>\nStep one: read the problem.\n\nStep two: guess 5.\n\nStep three: verify 5 works.\n</think>\nThe answer is 5.';
  const rows = [
    { messages: [{ role: 'user', content: 'What is 2+3?' }, { role: 'assistant', content: body }] },
    { conversations: [{ from: 'human', value: 'What is 2+3?' }, { from: 'gpt', value: body }] },
    { question: 'What is 2+3?', solution: body },
  ];
  const src = join(dir, 'rows.jsonl');
  writeFileSync(src, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { after } = await roundTrip(src, join(dir, 'out.jsonl'));
  assert.deepEqual(after.map((t) => t.format), ['messages', 'conversations', 'question-solution']);
  const out = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out[2].solution, '<think>\nStep one: read the problem.\n\nStep three: verify 5 works.\n</think>\nThe answer is 5.');
  assert.equal(out[0].messages[0].content, 'What is 2+3?', 'the user turn is untouched');
});

test('export round-trip: Thought-Anchors base_solution (solution and full_cot both updated), file-chunk steps', async () => {
  const dir = tmp();
  const folder = join(dir, 'problem');
  mkdirSync(folder);
  for (const f of readdirSync(repoPath('media/samples/thought-anchors-problem-2189-incorrect'))) copyFileSync(repoPath('media/samples/thought-anchors-problem-2189-incorrect', f), join(folder, f));
  const totals = emptyTotals();
  const out = join(dir, 'base_solution.pruned.json');
  await writeFileAtomic(out, exportSource(folder, dropOdd('paragraph'), 'same', totals));
  const [orig] = (await readTraces(folder)).traces;
  const back = await readTraces(out);
  assert.equal(back.traces[0]!.format, 'thought-anchors');
  assert.deepEqual(segment(back.traces[0]!.reasoning, 'paragraph').map((s) => s.text), keptTexts(orig!, 'paragraph'));
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok(json.full_cot.includes(back.traces[0]!.reasoning), 'full_cot repeats the pruned reasoning');
  assert.ok(json.full_cot.length < JSON.parse(readFileSync(join(folder, 'base_solution.json'), 'utf8')).full_cot.length);
});

test('export: GSM8K model-solution rows (several traces per record) and SFT rows that re-read as messages', async () => {
  const dir = tmp();
  const src = join(dir, 'gsm.jsonl');
  writeFileSync(src, readFileSync(repoPath('media/samples/gsm8k-model-solutions-100.jsonl'), 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
  await roundTrip(src, join(dir, 'out.jsonl'));
  const totals = emptyTotals();
  const sft = join(dir, 'sft.jsonl');
  await writeFileAtomic(sft, exportSource(src, dropOdd('paragraph'), 'sft', totals));
  const rows = readFileSync(sft, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, totals.pruned);
  assert.deepEqual(Object.keys(rows[0]), ['messages']);
  assert.match(rows[0].messages[1].content, /^<think>\n[\s\S]*\n<\/think>\n/);
  const back = await readTraces(sft);
  assert.equal(back.traces.length, rows.length);
  assert.equal(back.traces[0]!.format, 'messages');
});

test('SFT record and [SKIP] placeholders; a prompt that holds the reasoning is never edited', () => {
  const steps = segment('\na\n\nb\n\nc\n', 'paragraph');
  const plan = makePlan('entropy', 3, new Map([[1, { method: 'entropy', scoreName: 'stepEntropy', rank: 1, rule: 'x' }]]));
  assert.equal(prunedReasoningText('\na\n\nb\n\nc\n', steps, plan), '\na\n\nc\n');
  assert.equal(prunedReasoningText('\na\n\nb\n\nc\n', steps, plan, { placeholder: true }), '\na\n\n[SKIP]\n\nc\n');
  const trace = { id: '0', prompt: 'Q?', answer: '\n\nA.', reasoning: 'a\n\nb\n\nc', truncated: false, fields: { reasoning: 'solution' } } as unknown as Trace;
  assert.deepEqual(sftRecord(trace, 'a\n\nc'), { messages: [{ role: 'user', content: 'Q?' }, { role: 'assistant', content: '<think>\na\n\nc\n</think>\nA.' }] });
  // Cut off: written as it was cut, never closed with </think> and an empty answer.
  assert.deepEqual(sftRecord({ ...trace, truncated: true, answer: '' }, 'a'), { messages: [{ role: 'user', content: 'Q?' }, { role: 'assistant', content: '<think>\na' }] });
  // A prompt that happens to contain the reasoning is an input: never rewritten.
  const text = '{"prompt": "x a\\n\\nb\\n\\nc", "solution": "a\\n\\nb\\n\\nc"}';
  const r = spliceRecord(text, JSON.parse(text), [{ trace, edits: [{ start: 1, end: 7, text: '' }], reasoning: 'a' }]);
  assert.equal(r.text, '{"prompt": "x a\\n\\nb\\n\\nc", "solution": "a"}');
  assert.deepEqual(r.failed, []);
});

test('filePruner: scores from the file\'s logprobs; a trace without them is written as it was, with the reason', async () => {
  const dir = tmp();
  const src = join(dir, 'rows.jsonl');
  const line = `${JSON.stringify({ question: 'Q', solution: '<think>\nA.\n\nB.\n</think>\nDone.' })}\n`;
  writeFileSync(src, line);
  const totals = emptyTotals();
  const text = await collect(exportSource(src, filePruner({ method: 'asap', budget: { kind: 'ratio', ratio: 0.5 }, segmentation: 'paragraph' }), 'same', totals));
  assert.equal(text, line);
  assert.equal(totals.pruned, 0);
  assert.equal(totals.skipped.length, 1);
  assert.match(totals.skipped[0]!.reason, /score the trace first/);
});

test('atomic write: a failing write leaves the old file and no temporary file; the source is never a target', async () => {
  const dir = tmp();
  const target = join(dir, 'out.jsonl');
  writeFileSync(target, 'old\n');
  async function* failing(): AsyncGenerator<string> {
    yield 'new line 1\n';
    throw new Error('disk on fire');
  }
  await assert.rejects(writeFileAtomic(target, failing()), /disk on fire/);
  assert.equal(readFileSync(target, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(dir), ['out.jsonl']);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(writeFileAtomic(target, ['x'], { signal: controller.signal }), { name: 'AbortError' });
  assert.equal(readFileSync(target, 'utf8'), 'old\n');
  await writeFileAtomic(target, ['a', 'b\n']);
  assert.equal(readFileSync(target, 'utf8'), 'ab\n');
  assert.deepEqual(readdirSync(dir), ['out.jsonl']);

  const src = join(dir, 'src.jsonl');
  writeFileSync(src, '{}\n');
  await assert.rejects(assertNotSource(src, src), SourceOverwriteError);
  await assert.rejects(assertNotSource(src, join(dir, '.', 'x', '..', 'src.jsonl')), SourceOverwriteError);
  symlinkSync(src, join(dir, 'link.jsonl'));
  await assert.rejects(assertNotSource(src, join(dir, 'link.jsonl')), SourceOverwriteError);
  await assert.rejects(assertNotSource(dir, join(dir, 'inside.json')), SourceOverwriteError, 'a file inside a source folder');
  await assertNotSource(src, join(dir, 'other.jsonl'));
  assert.ok(existsSync(src));
});

test('an export whose pruner calls a model reports progress per record and stops when cancelled, leaving no file', async () => {
  const dir = tmp();
  const src = join(dir, 'rows.jsonl');
  const row = (n: number) => JSON.stringify({ question: `Q${n}`, solution: `<think>\nA${n}.\n\nB${n}.\n\nC${n}.\n</think>\nDone.` });
  writeFileSync(src, `${[1, 2, 3, 4, 5].map(row).join('\n')}\n`);
  const controller = new AbortController();
  const progress: number[] = [];
  const slow: AsyncTracePruner = async (trace) => {
    await new Promise((r) => setTimeout(r, 250));
    return dropOdd('paragraph')(trace);
  };
  const out = join(dir, 'out.jsonl');
  const content = exportSource(src, slow, 'same', emptyTotals(), {
    signal: controller.signal,
    onProgress: (records) => {
      progress.push(records);
      if (records >= 2) controller.abort();
    },
  });
  await assert.rejects(writeFileAtomic(out, content, { signal: controller.signal }), { name: 'AbortError' });
  assert.deepEqual(progress, [1, 2], 'progress after each slow record, then the cancel');
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir), ['rows.jsonl']);
});
