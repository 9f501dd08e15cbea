/** Randomized inputs for every parser: they never throw and keep their invariants. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  alignTokens,
  detectFormat,
  extractFinalAnswer,
  JsonArrayScanner,
  parseChatTemplate,
  parseTraceRecord,
  parseTraceText,
  safeParseJson,
  splitReasoning,
} from '../../../src/core/trace/index';
import type { TraceWarning } from '../../../src/core/trace/index';

const pieces = ['<think>', '</think>', '<thinking>', '</thinking>', '<|begin_of_thought|>', '<|end_of_thought|>', '<|begin_of_solution|>', '<｜User｜>', '<｜Assistant｜>', '<|im_start|>', '<|im_end|>', '<|start_header_id|>', '<|end_header_id|>', '\\boxed{', '}', '{', '####', '```', '\n', '\n\n', 'the answer is ', 'x', '42', 'é', '😀'];
const tracey = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 5 })), { maxLength: 40 }).map((a) => a.join(''));
const keys = ['question', 'answer', 'problem', 'solution', 'messages', 'conversations', 'choices', 'generations', 'deepseek_thinking_trajectory', 'deepseek_attempt', 'message', 'content', 'reasoning_content', 'logprobs', 'text', 'tokens', 'role', 'from', 'value', 'delta', 'object', 'prompt_logprobs', 'full_cot', '__proto__', 'ground_truth',
  // The general pass's name families, request/response pairs and provider shapes.
  'raw_output', 'model_response', 'cot', 'rationale', 'thinking', 'reasoning_trace', 'item_id', 'custom_id', 'is_correct', 'score', 'gt', 'request', 'response', 'body', 'parsed_body', 'candidates', 'parts', 'thought', 'type', 'output', 'summary', 'constructor', 'prototype'];
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, tracey, fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('assistant', 'user', 'gpt', 'chat.completion.chunk'), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.constantFrom(...keys), tie('value'), { maxKeys: 5 })),
})).value;

describe('fuzz', () => {
  test('parseTraceText: never throws; reasoning is a substring at reasoningOffset', () => {
    fc.assert(
      fc.property(tracey, (text) => {
        const t = parseTraceText(text);
        const off = t.metadata.reasoningOffset as number;
        assert.equal(text.replace(/^\uFEFF/, '').slice(off, off + t.reasoning.length), t.reasoning);
        parseChatTemplate(text);
        detectFormat(text);
        extractFinalAnswer(text);
      }),
      { numRuns: 2000 },
    );
  });

  test('splitReasoning with custom tags: pieces are slices of the input', () => {
    fc.assert(
      fc.property(tracey, fc.string({ minLength: 1, maxLength: 4 }), fc.string({ minLength: 1, maxLength: 4 }), (text, open, close) => {
        const s = splitReasoning(text, [open, close]);
        assert.equal(text.slice(s.reasoningStart, s.reasoningStart + s.reasoning.length), s.reasoning);
        if (s.answerStart >= 0) assert.equal(text.slice(s.answerStart, s.answerStart + s.answer.length), s.answer);
      }),
      { numRuns: 1000 },
    );
  });

  test('parseTraceRecord: never throws on random records; every trace is well-formed', () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        const { traces, errors } = parseTraceRecord(value);
        for (const t of traces) {
          assert.equal(typeof t.reasoning, 'string');
          assert.equal(typeof t.answer, 'string');
          for (const lp of t.logprobs ?? []) assert.ok((lp.start === -1 && lp.end === -1) || (lp.start >= 0 && lp.end >= lp.start));
        }
        for (const e of errors) assert.equal(typeof e.message, 'string');
      }),
      { numRuns: 2000 },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('general pass: never throws on random records, JSON inside strings, deep or wide values; nothing reaches a prototype', () => {
    const stringified = jsonish.map((v) => JSON.stringify(v) ?? 'null');
    const record = fc.dictionary(fc.constantFrom(...keys), fc.oneof(jsonish, stringified, stringified.map((t) => JSON.stringify(t))), { maxKeys: 8 });
    fc.assert(
      fc.property(record, fc.option(fc.constantFrom('prompt=question', 'reasoning=response.body', 'answer=choices.0.message.content', 'id=__proto__.x', 'reasoning=constructor.prototype')), (value, field) => {
        const opts = field ? { fields: { [field.split('=')[0]!]: field.split('=')[1]! } } : {};
        const { traces, errors } = parseTraceRecord(value, opts);
        for (const t of traces) {
          assert.equal(typeof t.prompt, 'string');
          assert.equal(typeof t.reasoning, 'string');
          for (const path of Object.values(t.fields ?? {})) assert.equal(typeof path, 'string');
        }
        for (const e of errors) assert.equal(typeof e.message, 'string');
        detectFormat(value);
      }),
      { numRuns: 2000 },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test('general pass: bounded on huge and deeply nested records', () => {
    let deep: unknown = { model_output: '<think>r</think>a' };
    for (let i = 0; i < 5000; i++) deep = { wrap: deep };
    const started = Date.now();
    assert.doesNotThrow(() => parseTraceRecord(deep));
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) wide[`k${i}`] = i % 2 ? 'text' : { response: '<think>x</think>y' };
    const res = parseTraceRecord(wide);
    assert.ok(res.traces.length + res.errors.length >= 1);
    // JSON in a string in a string…: decoded a bounded number of levels.
    let nested = JSON.stringify({ model_output: '<think>r</think>a' });
    for (let i = 0; i < 8; i++) nested = JSON.stringify({ blob: nested });
    assert.doesNotThrow(() => parseTraceRecord(JSON.parse(nested) as unknown));
    assert.ok(Date.now() - started < 10_000, 'bounded work');
  });

  test('alignTokens: offsets in range of their region or -1', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.array(fc.string({ unit: 'grapheme', maxLength: 4 }), { maxLength: 20 }), fc.nat(), (text, toks, cut) => {
        const c = text.length ? cut % (text.length + 1) : 0;
        const warnings: TraceWarning[] = [];
        const out = alignTokens(toks.map((token) => ({ token, logprob: -1 })), text, [{ region: 'reasoning', start: 0, end: c }, { region: 'answer', start: c, end: text.length }], warnings);
        assert.equal(out.length, toks.length);
        for (const t of out) {
          const len = t.region === 'reasoning' ? c : text.length - c;
          assert.ok((t.start === -1 && t.end === -1) || (t.start >= 0 && t.start <= t.end && t.end <= len));
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('JsonArrayScanner: any chunking of a JSON array gives the elements JSON.stringify wrote', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 5 }), (values, sizes) => {
        const text = JSON.stringify(values, null, values.length % 2 ? 2 : undefined);
        const bytes = Buffer.from(text);
        const scanner = new JsonArrayScanner();
        const found: unknown[] = [];
        let pos = 0;
        let k = 0;
        while (pos < bytes.length) {
          const n = sizes[k++ % sizes.length]!;
          scanner.feed(bytes.subarray(pos, pos + n), (e) => found.push(JSON.parse(bytes.subarray(e.start, e.end).toString())));
          pos += n;
        }
        assert.equal(scanner.finish(), undefined);
        assert.deepEqual(found, JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  test('safeParseJson: never throws on random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), tracey), (text) => {
        const r = safeParseJson(text);
        if (!r.ok) assert.equal(typeof r.message, 'string');
      }),
      { numRuns: 2000 },
    );
  });
});
