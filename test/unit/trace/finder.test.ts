/** The general pass and the user mapping: finding prompt / reasoning / answer / id in records of any shape. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractFinalAnswer, getPath, parseFieldMapping, parsePath, parseTraceRecord, parseTraceText, readTraces, splitReasoning, type Trace } from '../../../src/core/trace/index';
import { globToRegExp, mappingForFile } from '../../../src/core/trace/fieldMapping';
import { parseHttprr, parseSse, parseYaml } from '../../../src/core/trace/containers';

function one(record: unknown, opts = {}): Trace {
  const { traces, errors } = parseTraceRecord(record, opts);
  assert.deepEqual(errors, []);
  assert.equal(traces.length, 1);
  return traces[0]!;
}

describe('general pass', () => {
  test('a delimited string under any key, prompt and id by name, correctness and reference by name', () => {
    const t = one({ qid: 'q7', user_query: 'What is 6 * 7?', model_output: '<think>\n6 * 7 = 42\n</think>\nIt is 42.', gold_answer: '42', is_correct: true });
    assert.equal(t.format, 'mapped');
    assert.equal(t.prompt, 'What is 6 * 7?');
    assert.equal(t.reasoning, '\n6 * 7 = 42\n');
    assert.equal(t.answer, '\nIt is 42.');
    assert.equal(t.id, 'q7');
    assert.deepEqual(t.reference, { answer: '42', correct: true });
    assert.deepEqual(t.fields, { reasoning: 'model_output', answer: 'model_output', prompt: 'user_query', id: 'qid' });
    assert.ok(t.warnings.some((w) => w.code === 'fields-guessed'));
  });

  test('named reasoning and answer fields without delimiters', () => {
    const t = one({ input: 'Sort [3,1,2].', rationale: 'Compare pairs and swap.', final: '[1,2,3]' });
    assert.equal(t.prompt, 'Sort [3,1,2].');
    assert.equal(t.reasoning, 'Compare pairs and swap.');
    assert.equal(t.answer, '[1,2,3]');
    assert.deepEqual(t.fields, { reasoning: 'rationale', answer: 'final', prompt: 'input' });
  });

  test('JSON held in a string is decoded, and a nested response is found with its path', () => {
    const body = { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Answer: 5', reasoning_content: 'two plus three' }, finish_reason: 'stop' }] };
    const t = one({ request_id: 'r-1', question: 'What is 2+3?', raw_response: JSON.stringify(body) });
    assert.equal(t.format, 'openai-chat');
    assert.equal(t.prompt, 'What is 2+3?');
    assert.equal(t.reasoning, 'two plus three');
    assert.equal(t.finalAnswer, '5');
    assert.equal(t.id, 'r-1');
    assert.equal(t.fields?.reasoning, 'raw_response.choices.0.message.reasoning_content');
    assert.equal(getPath({ raw_response: JSON.stringify(body) }, t.fields.reasoning), 'two plus three');
  });

  test('several generations side by side: one trace each', () => {
    const { traces } = parseTraceRecord({ idx: 3, question: 'Q?', responses: ['<think>a</think>A', '<think>b</think>B'] });
    assert.deepEqual(traces.map((t) => [t.id, t.reasoning, t.answer]), [['3/0', 'a', 'A'], ['3/1', 'b', 'B']]);
  });

  test('an empty reasoning field beside an undelimited response is a reasoning cut off', () => {
    const t = one({ problem: 'P', reasoning_trace: '', answer_text: 'Okay, let me think about this for a long time and never finish' });
    assert.equal(t.truncated, true);
    assert.equal(t.reasoning, 'Okay, let me think about this for a long time and never finish');
    assert.ok(t.warnings.some((w) => w.code === 'truncated-inferred'));
  });

  test('a prompt that opens <think> makes an undelimited output a truncated reasoning', () => {
    const t = one({ prompt: '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n', completion: 'Let me greet them and' });
    assert.equal(t.prompt, 'Hi');
    assert.equal(t.truncated, true);
    assert.equal(t.reasoning, 'Let me greet them and');
  });

  test('text in user or system messages is input, never the model output; the last user turn is the prompt', () => {
    const question = `Please explain ${'the proof in detail '.repeat(20)}`;
    const onlyPrompt = parseTraceRecord({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: question }] });
    assert.equal(onlyPrompt.traces.length, 0);
    const t = one({ messages: [{ role: 'user', content: 'Is 9 odd? <think> is a tag' }], sample: { completion: '<think>9 = 2*4+1</think>Yes.' } });
    assert.equal(t.prompt, 'Is 9 odd? <think> is a tag');
    assert.equal(t.reasoning, '9 = 2*4+1');
    assert.equal(t.fields?.reasoning, 'sample.completion');
  });

  test('records with nothing trace-like stay unrecognised, with the keys and a way forward', () => {
    const { traces, errors } = parseTraceRecord({ title: 'x', contest_name: 'y', year: 2010 });
    assert.equal(traces.length, 0);
    assert.equal(errors[0]?.code, 'unrecognised');
    assert.match(errors[0].message, /keys seen: title, contest_name, year.*--field/);
  });
});

describe('user mapping (--field, reasoningLens.fieldMapping)', () => {
  const rec = { meta: { uid: 'u-9' }, q: 'Capital of France?', outputs: [{ text: '<think>\nIt is Paris.\n</think>\nParis' }], notes: 'reasoning: ignore me' };

  test('paths with array indices pin each role; a raw field is split at its delimiters', () => {
    const t = one(rec, { fields: parseFieldMapping(['prompt=q', 'answer=outputs.0.text', 'id=meta.uid']) });
    assert.equal(t.prompt, 'Capital of France?');
    assert.equal(t.reasoning, '\nIt is Paris.\n');
    assert.equal(t.answer, '\nParis');
    assert.equal(t.id, 'u-9');
    assert.deepEqual(t.fields, { reasoning: 'outputs.0.text', answer: 'outputs.0.text', prompt: 'q', id: 'meta.uid' });
  });

  test('reasoning and answer in separate fields; a mapping wins over a known schema', () => {
    const chat = { choices: [{ message: { content: 'visible', reasoning_content: 'hidden' } }], my_cot: 'mine', my_answer: 'ans' };
    const t = one(chat, { fields: { reasoning: 'my_cot', answer: 'my_answer' } });
    assert.equal(t.format, 'mapped');
    assert.equal(t.reasoning, 'mine');
    assert.equal(t.answer, 'ans');
  });

  test('a mapped path that is not in the record is an error naming it; an id alone keeps the schema', () => {
    const { traces, errors } = parseTraceRecord(rec, { fields: { reasoning: 'outputs.3.text' } });
    assert.equal(traces.length, 0);
    assert.match(errors[0]!.message, /reasoning=outputs\.3\.text is not in this record/);
    const chat = { id: 'c1', choices: [{ message: { content: 'a', reasoning_content: 'r' } }] };
    const t = one(chat, { fields: { id: 'id' } });
    assert.equal(t.format, 'openai-chat');
    assert.equal(t.id, 'c1');
  });

  test('correct=PATH: the mapped correctness wins over detection, on a known schema and in the general pass', () => {
    // A known schema keeps its split; the mapped label lands on its trace (a name detection would not take).
    const chat = { id: 'c2', choices: [{ message: { content: 'a', reasoning_content: 'r' } }], grade: { verdict: 1 } };
    const t = one(chat, { fields: parseFieldMapping(['correct=grade.verdict']) });
    assert.equal(t.format, 'openai-chat');
    assert.equal(t.reference?.correct, true);
    assert.equal(t.fields?.correct, 'grade.verdict');
    // The general pass: an `is_correct` that detection would read loses to the mapped field.
    const row = { question: 'What is 6 * 7?', output: '<think>\n6 * 7 = 42\n</think>\n42', is_correct: true, judge: { ok: 'false' } };
    assert.equal(one(row).reference?.correct, true);
    assert.equal(one(row, { fields: { correct: 'judge.ok' } }).reference?.correct, false);
    assert.equal(one(row, { fields: { reasoning: 'output', correct: 'judge.ok' } }).reference?.correct, false);
    assert.deepEqual(mappingForFile({ '*.jsonl': { correct: 'judge.ok', other: 'x' } }, 'a.jsonl'), { correct: 'judge.ok' });
  });

  test('parseFieldMapping rejects unknown roles and empty paths', () => {
    assert.throws(() => parseFieldMapping(['thoughts=x']), /role must be one of prompt, reasoning, answer, id, correct/);
    assert.throws(() => parseFieldMapping(['answer=']), /give a path/);
    assert.deepEqual(parsePath('outputs[0].text'), ['outputs', 0, 'text']);
    assert.equal(getPath({ a: { __proto__: { polluted: 1 } } }, 'a.polluted'), undefined);
  });

  test('settings: the first glob that matches the file name (or the path, with a /) gives the mapping', () => {
    const settings = { '**/evals/*.jsonl': { reasoning: 'full' }, '*.json': { answer: 'out', bogus: 'x' }, 'bad': 3 };
    assert.deepEqual(mappingForFile(settings, '/data/evals/run1.jsonl'), { reasoning: 'full' });
    assert.deepEqual(mappingForFile(settings, 'C:\\data\\x.json'), { answer: 'out' });
    assert.equal(mappingForFile(settings, '/data/other.jsonl'), undefined);
    assert.ok(globToRegExp('a/**/b.txt').test('a/b.txt') && globToRegExp('a/**/b.txt').test('a/x/y/b.txt') && !globToRegExp('*.txt').test('d/b.txt'));
  });

  test('readTraces applies the mapping to every record of a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-map-'));
    const file = join(dir, 'odd.jsonl');
    writeFileSync(file, `${JSON.stringify({ a: 'p1', b: 'r1', c: 'x1' })}\n${JSON.stringify({ a: 'p2', b: 'r2', c: 'x2' })}\n`);
    const { traces, errors } = await readTraces(file, { fields: { prompt: 'a', reasoning: 'b', answer: 'c' } });
    assert.deepEqual(errors, []);
    assert.deepEqual(traces.map((t) => [t.prompt, t.reasoning, t.answer]), [['p1', 'r1', 'x1'], ['p2', 'r2', 'x2']]);
  });
});

describe('tags and answers', () => {
  test('<scratchpad>, <reflection>, [THINK] delimit reasoning; a tagged section after it is the answer', () => {
    for (const [open, close] of [['<scratchpad>', '</scratchpad>'], ['<reflection>', '</reflection>'], ['[THINK]', '[/THINK]']]) {
      const s = splitReasoning(`${open}r${close}\n<answer>42</answer>`);
      assert.equal(s.reasoning, 'r');
      assert.equal(s.answer, '42');
    }
    const t = parseTraceText('<reasoning>plan</reasoning><output>done</output> trailing');
    assert.equal(t.answer, 'done');
  });

  test('final answers: labelled, tagged, boxed; never from a docstring or the middle of code', () => {
    assert.equal(extractFinalAnswer('Work...\n\n**Answer:** 17.'), '17');
    assert.equal(extractFinalAnswer('Counting done.\n\n**Answer: 3** 🍓'), '3');
    assert.equal(extractFinalAnswer('blah <answer>x = 4</answer>'), 'x = 4');
    assert.equal(extractFinalAnswer('I used:\n```python\n# the answer is 9\nprint(3)\n```\nFinal answer: 3'), '3');
    assert.equal(extractFinalAnswer('Explanation: the answer is dynamic programming.\n```python\nprint(dp())\n```'), 'print(dp())');
    const code = 'def f(x):\n    """Return the answer is x squared."""\n    return x * x\n\nprint(f(3))';
    assert.equal(extractFinalAnswer(code), code);
    assert.equal(extractFinalAnswer('```\n#### 5\n```\nThe total is \\boxed{7}'), '7');
    const t = parseTraceText('<reasoning>r</reasoning>\n<code>\nx = 1\nprint(x)  # the answer is 1\n</code>');
    assert.equal(t.finalAnswer, 'x = 1\nprint(x)  # the answer is 1');
  });
});

describe('wrapped bodies', () => {
  test('YAML cassettes: bodies recorded as text are decoded; __proto__ keys reach no prototype; bad YAML is an error', () => {
    const yaml = 'interactions:\n- request:\n    body:\n      string: \'{"messages": [{"role": "user", "content": "Hi?"}]}\'\n  response:\n    body:\n      string: \'{"choices": [{"message": {"content": "Hello", "reasoning": "greet"}}]}\'\n__proto__:\n  polluted: 1\n';
    const parsed = parseYaml(yaml);
    assert.ok(parsed.ok);
    const t = one(parsed.ok ? parsed.value : undefined);
    assert.deepEqual([t.prompt, t.reasoning, t.answer], ['Hi?', 'greet', 'Hello']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.match((parseYaml('a: [1, 2') as { message: string }).message, /invalid YAML/);
  });

  test('httprr recordings and SSE captures', () => {
    const req = 'POST /v1/chat/completions HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{"messages":[{"role":"user","content":"2+2?"}]}';
    const res = 'HTTP/2.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: {"choices":[{"delta":{"reasoning_content":"add"}}]}\n\ndata: {"choices":[{"delta":{"content":"4"}}]}\n\ndata: [DONE]\n\n';
    const bytes = Buffer.from(`httprr trace v1\n${Buffer.byteLength(req)} ${Buffer.byteLength(res)}\n${req}${res}`);
    const parsed = parseHttprr(bytes);
    assert.ok(parsed.ok);
    const t = one(parsed.ok ? parsed.value : undefined);
    assert.deepEqual([t.format, t.prompt, t.reasoning, t.answer], ['openai-chat-stream', '2+2?', 'add', '4']);
    assert.equal(parseHttprr(Buffer.from('not a recording')).ok, false);
    assert.deepEqual(parseSse(': ping\n\nevent: x\ndata: {"a":1}\n\ndata: [DONE]\n'), [{ a: 1 }]);
  });
});
