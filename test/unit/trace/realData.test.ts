/** What is true of the real data in ../shared/data, checked against the raw files (not against our own output). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTraces, indexJsonl, extractFinalAnswer } from '../../../src/core/trace/index';
import { segment } from '../../../src/core/steps';
import { sharedData } from '../helpers';

function nonEmptyLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
}

describe('real data: GSM8K', () => {
  for (const name of ['train.jsonl', 'test.jsonl']) {
    test(`${name}: one trace per line, reasoning before ####, answer = the #### value`, async () => {
      const lines = nonEmptyLines(sharedData('gsm8k', name));
      const { traces, errors } = await readTraces(sharedData('gsm8k', name));
      assert.equal(errors.length, 0);
      assert.equal(traces.length, lines.length);
      traces.forEach((t, i) => {
        const raw = JSON.parse(lines[i]!) as { question: string; answer: string };
        const hash = /####\s*(.+)\s*$/.exec(raw.answer);
        assert.ok(hash);
        assert.equal(t.format, 'gsm8k');
        assert.equal(t.prompt, raw.question);
        assert.equal(t.finalAnswer, hash[1]!.trim().replace(/,/g, ''));
        assert.ok(!t.reasoning.includes('####'));
        assert.ok(raw.answer.startsWith(t.reasoning));
        assert.equal(t.source.line, i + 1);
      });
    });
  }

  test('example_model_solutions: one trace per model solution with its correctness label', async () => {
    const path = sharedData('gsm8k', 'example_model_solutions.jsonl');
    const lines = nonEmptyLines(path).map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = lines.reduce((n, r) => n + Object.values(r).filter((v) => typeof v === 'object' && v !== null && 'is_correct' in v).length, 0);
    const { traces, errors } = await readTraces(path);
    assert.equal(errors.length, 0);
    assert.equal(traces.length, expected);
    let labelled = 0;
    for (const t of traces) {
      const [line, model] = [t.source.line as number, String(t.metadata.model)];
      const raw = lines[line - 1]![model] as { is_correct: boolean; solution: string };
      assert.equal(t.reference?.correct, raw.is_correct);
      assert.ok(raw.solution.startsWith(t.reasoning));
      // Where the solution ends with "A: N", that N is the final answer.
      const a = /\nA:\s*(\S+)\s*$/.exec(raw.solution);
      if (a) {
        assert.equal(t.finalAnswer, a[1]);
        labelled++;
      }
    }
    assert.ok(labelled > expected * 0.9);
  });

  test('the JSONL index finds every line and reads any record by offset', async () => {
    const path = sharedData('gsm8k', 'test.jsonl');
    const lines = nonEmptyLines(path);
    const index = await indexJsonl(path);
    try {
      assert.equal(index.count, lines.length);
      for (const i of [0, 1, 500, lines.length - 1]) assert.equal(index.readText(i).text, lines[i]);
    } finally {
      index.close();
    }
  });
});

describe('real data: Thought Anchors', () => {
  const root = sharedData('thought-anchors', 'deepseek-r1-distill-llama-8b');
  const dirs = readdirSync(root).flatMap((k) => readdirSync(join(root, k)).map((p) => join(root, k, p)));

  test('one trace per problem folder with boxed answer = the model answer, reference = gt, chunks located', async () => {
    const { traces, errors } = await readTraces(root);
    assert.equal(errors.length, 0);
    assert.equal(traces.length, dirs.length);
    assert.equal(dirs.length, 20);
    for (const t of traces) {
      const base = JSON.parse(readFileSync(join(t.source.file, 'base_solution.json'), 'utf8')) as { solution: string; answer: string; is_correct: boolean; prompt: string };
      const problem = JSON.parse(readFileSync(join(t.source.file, 'problem.json'), 'utf8')) as { gt_answer: string };
      const chunks = JSON.parse(readFileSync(join(t.source.file, 'chunks_labeled.json'), 'utf8')) as Array<{ chunk: string; function_tags: string[] }>;
      assert.equal(t.format, 'thought-anchors');
      assert.ok(base.solution.startsWith(t.reasoning + '</think>'));
      assert.ok(!t.truncated);
      assert.equal(t.finalAnswer, base.answer);
      assert.equal(t.reference?.answer, problem.gt_answer);
      assert.equal(t.reference?.correct, base.is_correct);
      assert.ok(base.prompt.includes(t.prompt));
      assert.equal(t.chunks?.length, chunks.length);
      t.chunks?.forEach((c, i) => {
        assert.ok(c.start >= 0, `chunk ${i} located`);
        assert.equal(t.reasoning.slice(c.start, c.end).replace(/\s+/g, ''), chunks[i]!.chunk.replace(/\s+/g, ''));
        assert.deepEqual(c.labels, chunks[i]!.function_tags);
        assert.equal(typeof c.importance?.counterfactual_importance_accuracy, 'number');
      });
      // File mode gives one step per chunk.
      assert.equal(segment(t.reasoning, 'file', t.chunks).length, chunks.length);
    }
  });
});

describe('real data: Codeforces R1', () => {
  const root = sharedData('codeforces-r1');

  test('prompt/response folders: one trace each, prompt from prompt.md, reasoning inside <think>', async () => {
    for (const group of ['prompt-response', 'prompt-response-cot']) {
      const folders = readdirSync(join(root, group)).filter((n) => statSync(join(root, group, n)).isDirectory());
      const { traces, errors, skipped } = await readTraces(join(root, group));
      assert.equal(errors.length, 0);
      assert.equal(traces.length, folders.length);
      if (group === 'prompt-response-cot') assert.ok(skipped.some((s) => s.includes('mapping.json')));
      for (const t of traces) {
        const dir = join(root, group, t.id.split('/')[1]!);
        const response = readFileSync(join(dir, 'response.md'), 'utf8');
        assert.equal(t.prompt, readFileSync(join(dir, 'prompt.md'), 'utf8'));
        const open = response.indexOf('<think>');
        const close = response.indexOf('</think>');
        assert.equal(t.reasoning, response.slice(open + 7, close));
        assert.equal(t.answer, response.slice(close + 8));
        // The write-up ends with a code block: that is the final answer.
        const fences = [...response.matchAll(/```/g)];
        assert.ok(fences.length >= 2);
        assert.ok(t.finalAnswer && response.includes(t.finalAnswer));
      }
    }
  });

  test('OpenRouter chat.completion objects: reasoning from message.reasoning, answer from content', async () => {
    const dir = join(root, 'openrouter-responses');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    for (const f of files) {
      const raw = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { choices: Array<{ message: { content: string; reasoning: string | null } }> };
      const { traces, errors } = await readTraces(join(dir, f));
      assert.equal(errors.length, 0);
      assert.equal(traces.length, 1);
      const t = traces[0]!;
      assert.equal(t.format, 'openai-chat');
      assert.equal(t.reasoning, raw.choices[0]!.message.reasoning ?? '');
      assert.equal(t.answer, raw.choices[0]!.message.content);
      assert.equal(t.finalAnswer, extractFinalAnswer(raw.choices[0]!.message.content));
      if (!raw.choices[0]!.message.reasoning) assert.ok(t.warnings.some((w) => w.code === 'no-reasoning'));
    }
  });

  test('the whole data folder loads without errors', async () => {
    const { traces, errors } = await readTraces(sharedData());
    assert.deepEqual(errors, []);
    assert.ok(traces.length > 14_000);
  });
});
