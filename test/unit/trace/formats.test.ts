import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectFormat, extractFinalAnswer, parseTraceRecord, parseTraceText, type Trace } from '../../../src/core/trace/index';

function one(record: unknown, opts = {}): Trace {
  const { traces, errors } = parseTraceRecord(record, opts);
  assert.deepEqual(errors, []);
  assert.equal(traces.length, 1);
  return traces[0]!;
}

describe('text traces', () => {
  test('every known delimiter pair: prompt before, reasoning inside, answer after', () => {
    for (const [open, close] of [['<think>', '</think>'], ['<thinking>', '</thinking>'], ['<thought>', '</thought>'], ['<reasoning>', '</reasoning>']]) {
      const t = parseTraceText(`Q: 1+1?\n${open}\nadd them\n\nget 2\n${close}\nThe answer is **2**.`);
      assert.equal(t.format, 'think-text');
      assert.equal(t.prompt, 'Q: 1+1?');
      assert.equal(t.reasoning, '\nadd them\n\nget 2\n');
      assert.equal(t.finalAnswer, '2');
      assert.equal(t.truncated, false);
      assert.equal(t.source.line, 2);
    }
  });

  test('begin_of_thought with begin_of_solution: the answer is the solution block', () => {
    const t = parseTraceText('<|begin_of_thought|>\n\nthink\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nso \\boxed{\\frac{1}{2}}\n\n<|end_of_solution|>');
    assert.equal(t.reasoning.trim(), 'think');
    assert.equal(t.answer.trim(), 'so \\boxed{\\frac{1}{2}}');
    assert.equal(t.finalAnswer, '\\frac{1}{2}');
  });

  test('a missing closing tag means truncated, reasoning to the end', () => {
    const t = parseTraceText('prompt<think>I was thinking and then');
    assert.equal(t.truncated, true);
    assert.equal(t.reasoning, 'I was thinking and then');
    assert.equal(t.answer, '');
    assert.equal(t.finalAnswer, undefined);
    assert.ok(t.warnings.some((w) => w.code === 'truncated' && w.message.includes('truncated')));
  });

  test('a closing tag alone (the <think> was in the prompt) still splits', () => {
    const t = parseTraceText('reasoning here\n</think>\nanswer \\boxed{3}');
    assert.equal(t.reasoning, 'reasoning here\n');
    assert.equal(t.finalAnswer, '3');
  });

  test('custom delimiters', () => {
    const t = parseTraceText('x [[R]]mine[[/R]] done', { reasoningTags: ['[[R]]', '[[/R]]'] });
    assert.equal(t.reasoning, 'mine');
    assert.equal(t.answer, ' done');
  });

  test('empty reasoning is a warning, not an error', () => {
    const t = parseTraceText('<think></think>answer');
    assert.equal(t.reasoning, '');
    assert.ok(t.warnings.some((w) => w.code === 'empty-reasoning'));
  });

  test('BOM and CRLF', () => {
    const t = parseTraceText('\uFEFFQ\r\n<think>\r\na\r\n\r\nb\r\n</think>\r\nA');
    assert.equal(t.prompt, 'Q');
    assert.equal(t.reasoning, '\r\na\r\n\r\nb\r\n');
  });
});

describe('chat-template dumps', () => {
  test('DeepSeek, cut off without </think>', () => {
    const dump = '<｜begin▁of▁sentence｜>You are helpful.<｜User｜>What is 2+2?<｜Assistant｜><think>\nLet me add.\n\n2+2=4';
    assert.equal(detectFormat(dump), 'chat-template');
    const t = parseTraceText(dump);
    assert.equal(t.format, 'chat-template');
    assert.equal(t.prompt, 'What is 2+2?');
    assert.equal(t.metadata.system, 'You are helpful.');
    assert.equal(t.reasoning, '\nLet me add.\n\n2+2=4');
    assert.equal(t.truncated, true);
    assert.equal(dump.slice(t.metadata.reasoningOffset as number), t.reasoning);
  });

  test('ChatML', () => {
    const dump = '<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</think>\n\n#### 7<|im_end|>';
    const t = parseTraceText(dump);
    assert.equal(t.prompt, 'Q?');
    assert.equal(t.reasoning, '\nr\n');
    assert.equal(t.finalAnswer, '7');
    assert.equal(t.metadata.template, 'chatml');
  });

  test('Llama-3', () => {
    const dump = '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<think>r</think>The answer is 5.<|eot_id|>';
    const t = parseTraceText(dump);
    assert.equal(t.prompt, 'Q');
    assert.equal(t.reasoning, 'r');
    assert.equal(t.finalAnswer, '5');
  });
});

describe('OpenAI-compatible responses', () => {
  test('chat completion with reasoning_content and logprobs with bytes for a split multi-byte character', () => {
    const content = 'Ans: é!';
    const eBytes = [...Buffer.from('é')];
    const t = one({
      object: 'chat.completion',
      choices: [
        {
          message: { role: 'assistant', content, reasoning_content: 'think' },
          logprobs: {
            content: [
              { token: 'Ans', logprob: -0.1, bytes: [...Buffer.from('Ans')], top_logprobs: [{ token: 'Ans', logprob: -0.1 }, { token: 'An', logprob: -3 }] },
              { token: ': ', logprob: -0.2, bytes: [...Buffer.from(': ')] },
              { token: '\\xc3', logprob: -0.3, bytes: [eBytes[0]] },
              { token: '\\xa9', logprob: -0.4, bytes: [eBytes[1]] },
              { token: '!', logprob: -0.5, bytes: [33] },
            ],
          },
          finish_reason: 'stop',
        },
      ],
    });
    assert.equal(t.format, 'openai-chat');
    assert.equal(t.reasoning, 'think');
    assert.equal(t.answer, content);
    const lp = t.logprobs ?? [];
    assert.equal(lp.length, 5);
    assert.ok(lp.every((x) => x.region === 'answer'));
    assert.deepEqual(lp.map((x) => [x.start, x.end]), [[0, 3], [3, 5], [5, 6], [6, 6], [6, 7]]);
    assert.equal(lp[0]!.topLogprobs?.length, 2);
    assert.equal(t.warnings.length, 0);
  });

  test('think tags inside content: tokens are split between reasoning and answer regions', () => {
    const content = '<think>ab</think>cd';
    const toks = ['<think>', 'a', 'b', '</think>', 'c', 'd'].map((token) => ({ token, logprob: -1 }));
    const t = one({ choices: [{ message: { content }, logprobs: { content: toks } }] });
    assert.equal(t.reasoning, 'ab');
    const placed = (t.logprobs ?? []).map((x) => `${x.region}:${x.start}-${x.end}`);
    assert.deepEqual(placed.slice(1, 3), ['reasoning:0-1', 'reasoning:1-2']);
    assert.deepEqual(placed.slice(4), ['answer:0-1', 'answer:1-2']);
  });

  test('tokens that do not match the text get -1 and a warning', () => {
    const t = one({ choices: [{ message: { content: 'hello', reasoning: 'r' }, logprobs: { content: [{ token: 'hel', logprob: -1 }, { token: 'ZZZ', logprob: -1 }, { token: 'lo', logprob: -1 }] } }] });
    const lp = t.logprobs ?? [];
    assert.deepEqual(lp.map((x) => x.start), [0, -1, 3]);
    assert.ok(t.warnings.some((w) => w.code === 'logprobs-unplaced' && w.message.includes('1 of 3 tokens')));
  });

  test('streamed chunks are concatenated, reasoning deltas kept apart', () => {
    const chunks = [
      { object: 'chat.completion.chunk', id: 'x', choices: [{ index: 0, delta: { role: 'assistant', reasoning_content: 'I th' } }] },
      { object: 'chat.completion.chunk', id: 'x', choices: [{ index: 0, delta: { reasoning_content: 'ink' } }] },
      { object: 'chat.completion.chunk', id: 'x', choices: [{ index: 0, delta: { content: 'The answer is 4.' }, logprobs: { content: [{ token: 'The answer is 4.', logprob: -0.5 }] } }] },
      { object: 'chat.completion.chunk', id: 'x', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ];
    assert.equal(detectFormat(chunks), 'openai-chat-stream');
    const t = one(chunks);
    assert.equal(t.reasoning, 'I think');
    assert.equal(t.answer, 'The answer is 4.');
    assert.equal(t.finalAnswer, '4');
    assert.equal(t.logprobs?.[0]!.end, 16);
    assert.equal(t.metadata.finish_reason, 'stop');
  });

  test('legacy completions with tokens / token_logprobs / top_logprobs', () => {
    const text = '<think>x y</think> #### 9';
    const tokens = ['<think>', 'x', ' y', '</think>', ' ####', ' 9'];
    const t = one({
      object: 'text_completion',
      choices: [{ text, logprobs: { tokens, token_logprobs: [-1, -2, -3, -4, -5, -6], top_logprobs: tokens.map((tk) => ({ [tk]: -1 })), text_offset: [0, 7, 8, 10, 18, 23] } }],
    });
    assert.equal(t.format, 'openai-completion');
    assert.equal(t.reasoning, 'x y');
    assert.equal(t.finalAnswer, '9');
    assert.deepEqual((t.logprobs ?? []).slice(1, 3).map((x) => [x.region, x.start, x.end, x.logprob]), [['reasoning', 0, 1, -2], ['reasoning', 1, 3, -3]]);
    assert.equal(t.logprobs?.[5]!.topLogprobs?.[0]!.token, ' 9');
  });

  test('vLLM prompt_logprobs: null first, then {id: {logprob, rank, decoded_token}}', () => {
    const t = one({
      prompt: 'Hi there',
      choices: [{ text: '<think>ok</think>yes' }],
      prompt_logprobs: [null, { '11': { logprob: -2, rank: 3, decoded_token: ' there' }, '12': { logprob: -1, rank: 1, decoded_token: ' friend' } }],
    });
    assert.equal(t.format, 'vllm-prompt-logprobs');
    const p = (t.logprobs ?? []).filter((x) => x.region === 'prompt');
    assert.equal(p.length, 1);
    assert.deepEqual([p[0]!.token, p[0]!.start, p[0]!.end, p[0]!.logprob], [' there', 2, 8, -2]);
    assert.equal(p[0]!.topLogprobs?.length, 2);
  });
});

describe('dataset rows', () => {
  test('conversations (Bespoke-Stratos / OpenThoughts)', () => {
    const t = one({
      system: 'Your role as an assistant…',
      conversations: [
        { from: 'user', value: 'Find x.' },
        { from: 'assistant', value: '<|begin_of_thought|>\n\nthink\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nx = \\boxed{5}\n\n<|end_of_solution|>' },
      ],
    });
    assert.equal(t.format, 'conversations');
    assert.equal(t.prompt, 'Find x.');
    assert.equal(t.finalAnswer, '5');
    assert.equal(t.metadata.system, 'Your role as an assistant…');
    assert.equal(t.source.jsonPath, '$.conversations[1]');
  });

  test('messages (OpenThoughts2) with <think> and a truncated one', () => {
    const t = one({ messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: '<think>long' }] });
    assert.equal(t.format, 'messages');
    assert.equal(t.truncated, true);
  });

  test('OpenThoughts metadata config', () => {
    const t = one({ problem: 'P', deepseek_reasoning: 'r1\n\nr2', deepseek_solution: 'so \\boxed{2}', ground_truth_solution: '\\boxed{2}', domain: 'math' });
    assert.equal(t.reasoning, 'r1\n\nr2');
    assert.equal(t.finalAnswer, '2');
    assert.equal(t.reference?.answer, '2');
    assert.equal(t.metadata.domain, 'math');
  });

  test('s1K: one trace per model prefix', () => {
    const { traces } = parseTraceRecord({ question: 'Q', solution: 'S \\boxed{1}', deepseek_thinking_trajectory: 'ds think', deepseek_attempt: 'ds \\boxed{1}', gemini_thinking_trajectory: 'gm think', gemini_attempt: 'gm \\boxed{2}' });
    assert.deepEqual(traces.map((t) => [t.id, t.reasoning, t.finalAnswer, t.reference?.answer]), [['0/deepseek', 'ds think', '1', '1'], ['0/gemini', 'gm think', '2', '1']]);
    assert.ok(traces.every((t) => t.format === 's1k' && t.prompt === 'Q'));
  });

  test('OpenR1: one trace per generation with correctness_math_verify', () => {
    const { traces } = parseTraceRecord({ problem: 'P', answer: '3', generations: ['<think>a</think>\\boxed{3}', '<think>b'], correctness_math_verify: [true, false], finish_reasons: ['stop', 'length'] });
    assert.equal(traces.length, 2);
    assert.deepEqual(traces.map((t) => t.reference), [{ answer: '3', correct: true }, { answer: '3', correct: false }]);
    assert.equal(traces[1]!.truncated, true);
    assert.equal(traces[1]!.metadata.finish_reason, 'length');
    assert.equal(traces[1]!.source.jsonPath, '$.generations[1]');
  });

  test('LIMO / LiteCoT / SmallThoughts question + solution', () => {
    const t = one({ question: 'Q', solution: 'step 1\n\nstep 2 so \\boxed{42}', answer: '42' });
    assert.equal(t.format, 'question-solution');
    assert.equal(t.reasoning, 'step 1\n\nstep 2 so \\boxed{42}');
    assert.equal(t.finalAnswer, '42');
    assert.equal(t.reference?.answer, '42');
    const m = one({ problem: 'P', solution: 'S', messages: [{ role: 'user', content: 'P' }, { role: 'assistant', content: '<think>r</think>**Answer:** 9' }] });
    assert.equal(m.format, 'question-solution');
    assert.equal(m.reasoning, 'r');
  });

  test('format can be forced', () => {
    const { traces } = parseTraceRecord({ messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: '<think>x</think>y' }], conversations: 'not an array' }, { format: 'messages' });
    assert.equal(traces[0]!.format, 'messages');
  });
});

describe('extractFinalAnswer', () => {
  const cases: Array<[string, string | undefined]> = [
    ['so \\boxed{\\frac{a}{b+\\{c\\}}} done', '\\frac{a}{b+\\{c\\}}'],
    ['first \\boxed{1} then \\boxed{2}', '2'],
    ['unclosed \\boxed{1', undefined],
    ['x\n#### 1,234', '1234'],
    ['Text\n```python\nprint(1)\n```\nmore\n```\nlast\n```\n', 'last'],
    ['Thus the answer is $12$.', '12'],
    ['Final Answer: 7', '7'],
    ['nothing here', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases) test(JSON.stringify(input), () => assert.equal(extractFinalAnswer(input), expected));
});

describe('delimiters written as inline code', () => {
  test('a backticked `<think>` in documentation is a mention, not a delimiter', () => {
    const doc = 'Samples: `<think>` reasoning, explanation and code.\nOnly prose here.';
    const trace = parseTraceText(doc);
    assert.equal(trace.reasoning, doc);
    assert.ok(trace.warnings.some((w) => w.code === 'no-delimiters'));
  });
  test('a real delimiter after a backticked mention still opens the reasoning', () => {
    const trace = parseTraceText('Use `<think>` tags.\n<think>\nstep one\n</think>\nanswer 42');
    assert.equal(trace.reasoning, '\nstep one\n');
    assert.equal(trace.answer.trim(), 'answer 42');
  });
});
