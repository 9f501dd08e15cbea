/** The dataset browser's pure parts: row summaries, filter syntax, sort order, the lazy row model. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { readTraces } from '../../src/core/trace/index';
import { parseTraceRecord } from '../../src/core/trace/records';
import { segment } from '../../src/core/steps';
import { detectLoops } from '../../src/core/insights/loops';
import { DatasetModel } from '../../src/dataset/datasetModel';
import { applyQuery, compileFilter, numericValue, rowComparator, tokenizeFilter } from '../../src/dataset/query';
import { openRecordSource, sniffFormat } from '../../src/dataset/recordSource';
import { errorRow, preview, recordTexts, summariseRecord, summariseTrace, QUESTION_PREVIEW_CHARS } from '../../src/dataset/summary';
import { parseFromDatasetWebview, parseToDatasetWebview, type DatasetRow } from '../../src/shared/datasetProtocol';
import { existsSync } from 'node:fs';
import { repoPath, sharedData } from './helpers';

const GSM8K = repoPath('media', 'samples', 'gsm8k-model-solutions-100.jsonl');

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rl-dataset-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const think = (q: string, reasoning: string, answer: string) =>
  JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: `<think>${reasoning}</think>${answer}` }] });

function row(partial: Partial<DatasetRow> & { index: number }): DatasetRow {
  return {
    record: partial.index, line: partial.index + 1, id: `r${partial.index}`, traceId: `r${partial.index}`, question: '', steps: 0, tokens: 0,
    tokensEstimated: true, truncated: false, loops: 0, wastedTokens: 0, answer: '', answerFound: false, correct: null, ...partial,
  };
}

async function model(path: string): Promise<DatasetModel> {
  return new DatasetModel(await openRecordSource(path), path);
}

/** Waits until the search of the model's filter decided every row; returns the view then. */
async function whenSearched(m: DatasetModel, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = m.view();
    if (!view.search || view.search.phase === 'done' || view.search.phase === 'failed') return view;
    if (Date.now() > deadline) assert.fail(`the search did not finish: ${JSON.stringify(view.search)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('dataset row summaries', () => {
  test('one row per GSM8K model solution, with correctness, steps and answer from the core', async () => {
    const line = readFileSync(GSM8K, 'utf8').split('\n')[0]!;
    const parsed = parseTraceRecord(JSON.parse(line), {}, { file: GSM8K, line: 1 }, 'L1');
    assert.ok(parsed.traces.length > 1, 'the first record holds several solutions');
    const rows = summariseRecord(parsed, 0, 1);
    assert.equal(rows.length, parsed.traces.length);
    rows.forEach((r, i) => {
      const t = parsed.traces[i]!;
      assert.equal(r.id, t.id);
      assert.equal(r.traceId, t.id);
      assert.equal(r.steps, segment(t.reasoning, 'paragraph').length);
      assert.equal(r.correct, t.reference?.correct);
      assert.equal(r.answer, t.finalAnswer ?? '');
      assert.equal(r.answerFound, t.finalAnswer !== undefined);
      assert.ok(r.tokensEstimated);
      assert.ok(r.question.startsWith('Janet'));
      assert.ok(r.question.length <= QUESTION_PREVIEW_CHARS);
    });
  });

  test('tokens are reasoning tokens: the file\'s logprob tokens of the reasoning, exactly; prompt and answer tokens are not counted', () => {
    const base = parseTraceRecord(JSON.parse(think('q', 'a\n\nb', 'c')), {}, { file: 'x' }, 'x').traces[0]!;
    const logprobs = [
      { token: 'q', logprob: -1, region: 'prompt' as const, start: 0, end: 1 },
      { token: 'a', logprob: -1, region: 'reasoning' as const, start: 0, end: 1 },
      { token: 'c', logprob: -1, region: 'answer' as const, start: 0, end: 1 },
    ];
    const r = summariseTrace({ ...base, logprobs }, 0, 1);
    assert.equal(r.tokens, 1);
    assert.equal(r.tokensEstimated, false);
    assert.equal(r.steps, 2);
  });

  test('loops: a trace stuck in a cycle counts its loops and the tokens its repeats waste, as detectLoops does', () => {
    const cycle = 'Wait, let me recompute the sum of the first ten numbers again carefully.\n\nThe sum is fifty five, so the answer should be fifty five here.';
    const reasoning = ['Start by reading the problem.', ...Array.from({ length: 8 }, () => cycle)].join('\n\n');
    const trace = parseTraceRecord(JSON.parse(think('q', reasoning, '55')), {}, { file: 'x' }, 'x').traces[0]!;
    const r = summariseTrace(trace, 0, 1);
    const report = detectLoops(trace.reasoning, { steps: segment(trace.reasoning, 'paragraph') });
    assert.ok(report.loops.length > 0, 'the synthetic cycle is a loop');
    assert.equal(r.loops, report.loops.length);
    assert.equal(r.wastedTokens, report.wastedTokens);
    assert.equal(summariseTrace(parseTraceRecord(JSON.parse(think('q', 'a\n\nb', 'c')), {}, { file: 'x' }, 'x').traces[0]!, 0, 1).loops, 0);
  });

  test('recordTexts gives one text per row of summariseRecord, in the same order', () => {
    const openr1 = { problem: 'P?', generations: ['<think>a</think> \\boxed{1}', '<think>c</think> \\boxed{2}'], correctness_math_verify: [true, false] };
    for (const value of [openr1, { nothing: 1 }, JSON.parse(think('q', 'r', 'a'))]) {
      const result = parseTraceRecord(value, {}, { file: 'x' }, 'x');
      const rows = summariseRecord(result, 0, 1);
      const texts = recordTexts(result);
      assert.equal(texts.length, rows.length);
      texts.forEach((t, i) => assert.equal(t.error !== '', rows[i]!.error !== undefined));
    }
  });

  test('preview collapses whitespace, cuts with an ellipsis and never splits a surrogate pair', () => {
    assert.equal(preview('a\n\n  b', 80), 'a b');
    const cut = preview('x'.repeat(100), 80);
    assert.equal(cut.length, 80);
    assert.ok(cut.endsWith('…'));
    const emoji = preview(`${'x'.repeat(78)}😀😀😀`, 80);
    assert.ok(!/[\ud800-\udbff]…$/.test(emoji), 'a lone high surrogate before the ellipsis');
  });

  test('an error row names its line and keeps the message', () => {
    const r = errorRow('Unexpected token', 4, 5);
    assert.equal(r.id, 'line 5');
    assert.equal(r.error, 'line 5: Unexpected token');
    assert.equal(errorRow('line 9, column 3: bad', 8, 9).error, 'line 9, column 3: bad');
    assert.deepEqual(summariseRecord({ traces: [], errors: [] }, 0, 1).map((x) => x.error), ['line 1: no trace in this record']);
  });
});

describe('dataset filter', () => {
  const rows: DatasetRow[] = [
    row({ index: 0, id: 'L1/a', question: 'How many apples', steps: 3, tokens: 100, answer: '18', answerFound: true, correct: true }),
    row({ index: 1, id: 'L1/b', question: 'How many apples', steps: 12, tokens: 900, answer: '26', answerFound: true, correct: false, truncated: true, loops: 2, wastedTokens: 1500 }),
    row({ index: 2, id: 'L2', question: 'Pears and "quotes"', steps: 25, tokens: 50, answer: '', correct: null, loops: 1, wastedTokens: 40 }),
    row({ index: 3, id: 'line 4', error: 'line 4: Unexpected token } in JSON' }),
  ];
  const ids = (text: string) => {
    const f = compileFilter(text);
    assert.ok(f.ok, `filter "${text}" did not compile: ${f.ok ? '' : f.error}`);
    assert.deepEqual(f.text, [], `"${text}" has no full-text terms`);
    return [...applyQuery(rows, f, null)].map((i) => rows[i]!.id);
  };

  test('words and prompt: / reasoning: terms go to the full-text search, normalised; column terms stay predicates', () => {
    const f = compileFilter('APPLES  "Let   me\ncheck" -wait prompt:Janet question:eggs reasoning:"so the" steps>3');
    assert.ok(f.ok);
    assert.deepEqual(f.text, [
      { needle: 'apples', field: 'any', negate: false },
      { needle: 'let me check', field: 'any', negate: false },
      { needle: 'wait', field: 'any', negate: true },
      { needle: 'janet', field: 'prompt', negate: false },
      { needle: 'eggs', field: 'prompt', negate: false },
      { needle: 'so the', field: 'reasoning', negate: false },
    ]);
    assert.equal(f.empty, false);
    // Only the column term filters here; the text terms are the search index's.
    assert.deepEqual([...applyQuery(rows, f, null)].map((i) => rows[i]!.id), ['L1/b', 'L2']);
    assert.deepEqual([...applyQuery(rows, f, null, (i) => i === 1)].map((i) => rows[i]!.id), ['L1/b']);
  });

  test('fields, comparisons and negation', () => {
    assert.deepEqual(ids('correct:no'), ['L1/b']);
    assert.deepEqual(ids('correct:yes'), ['L1/a']);
    assert.deepEqual(ids('correct:unknown'), ['L2']);
    assert.deepEqual(ids('truncated:yes'), ['L1/b']);
    assert.deepEqual(ids('truncated:no'), ['L1/a', 'L2'], 'an error row is neither truncated nor not');
    assert.deepEqual(ids('-truncated:yes is:trace'), ['L1/a', 'L2']);
    assert.deepEqual(ids('is:error'), ['line 4']);
    assert.deepEqual(ids('steps>10'), ['L1/b', 'L2']);
    assert.deepEqual(ids('steps>=12 tokens<=100'), ['L2']);
    assert.deepEqual(ids('steps=3'), ['L1/a']);
    assert.deepEqual(ids('steps<5'), ['L1/a'], 'an error row has no step count');
    assert.deepEqual(ids('loops>0'), ['L1/b', 'L2']);
    assert.deepEqual(ids('loops=0'), ['L1/a']);
    assert.deepEqual(ids('loops>=2'), ['L1/b']);
    assert.deepEqual(ids('waste>=1000'), ['L1/b']);
    assert.deepEqual(ids('has:answer'), ['L1/a', 'L1/b']);
    assert.deepEqual(ids('no:answer'), ['L2']);
    assert.deepEqual(ids('has:loops'), ['L1/b', 'L2']);
    assert.deepEqual(ids('no:loops'), ['L1/a']);
    assert.deepEqual(ids('id:l1/'), ['L1/a', 'L1/b']);
    assert.deepEqual(ids('answer:18'), ['L1/a']);
    assert.deepEqual(ids('error:unexpected'), ['line 4']);
    assert.deepEqual(ids('index>=2 line<4'), ['L2']);
  });

  test('bad terms say what is wrong', () => {
    for (const [text, message] of [
      ['colour:red', /unknown filter field "colour"/],
      ['toString:x', /unknown filter field "tostring"/],
      ['steps>many', /expects a number/],
      ['correct:maybe', /expects yes or no or unknown/],
      ['id>3', /only steps, tokens, loops/],
      ['is:ok', /expects error or trace/],
      ['has:wings', /expects answer or loops/],
    ] as const) {
      const f = compileFilter(text);
      assert.equal(f.ok, false, text);
      if (!f.ok) assert.match(f.error, message);
    }
  });

  test('quoted phrases keep spaces and may follow a field', () => {
    assert.deepEqual(tokenizeFilter('a "b c" -id:"d e" f'), ['a', '"b c', '-id:"d e', 'f']);
  });
});

describe('dataset sort', () => {
  const rows: DatasetRow[] = [
    row({ index: 0, steps: 5, answer: 'b', correct: true }),
    row({ index: 1, steps: 2, answer: '', correct: null }),
    row({ index: 2, id: 'line 3', error: 'bad' }),
    row({ index: 3, steps: 9, answer: 'a10', correct: false }),
    row({ index: 4, steps: 2, answer: 'a9', correct: true }),
  ];
  const order = (column: Parameters<typeof rowComparator>[0]['column'], descending = false) =>
    [...rows].sort(rowComparator({ column, descending })).map((r) => r.index);

  test('numbers ascending and descending, ties in file order, rows without a value last both ways', () => {
    assert.deepEqual(order('steps'), [1, 4, 0, 3, 2]);
    assert.deepEqual(order('steps', true), [3, 0, 1, 4, 2]);
    assert.deepEqual(order('correct'), [3, 0, 4, 1, 2]);
    assert.deepEqual(order('correct', true), [0, 4, 3, 1, 2]);
  });

  test('text sorts naturally (a9 before a10), empty answers last', () => {
    assert.deepEqual(order('answer'), [4, 3, 0, 1, 2]);
    assert.deepEqual(order('answer', true), [0, 3, 4, 1, 2]);
  });

  test('numeric answers and ids sort by value, negatives included, before text', () => {
    const answers = ['-12', '3', '-3', '1,200', '$18', 'x', '10', '-0.5', '\u22127'];
    const numeric = answers.map((answer, index) => row({ index, answer, answerFound: true }));
    const by = (descending: boolean) => [...numeric].sort(rowComparator({ column: 'answer', descending })).map((r) => r.answer);
    assert.deepEqual(by(false), ['-12', '\u22127', '-3', '-0.5', '3', '10', '$18', '1,200', 'x']);
    assert.deepEqual(by(true), ['1,200', '$18', '10', '3', '-0.5', '-3', '\u22127', '-12', 'x']);
    const ids = ['10', '-2', '9', 'b', 'a'].map((id, index) => row({ index, id }));
    assert.deepEqual([...ids].sort(rowComparator({ column: 'id', descending: false })).map((r) => r.id), ['-2', '9', '10', 'a', 'b']);
    assert.equal(numericValue('50%'), 50);
    assert.equal(numericValue('1.5.2'), undefined);
    assert.equal(numericValue('-'), undefined);
    assert.equal(numericValue('12 apples'), undefined);
  });

  test('the loops column sorts by the tokens the repeats waste', () => {
    const looping = [row({ index: 0, loops: 1, wastedTokens: 50 }), row({ index: 1 }), row({ index: 2, loops: 3, wastedTokens: 900 })];
    assert.deepEqual([...looping].sort(rowComparator({ column: 'loops', descending: true })).map((r) => r.index), [2, 0, 1]);
  });

  test('applyQuery sorts the filtered subset', () => {
    const f = compileFilter('is:trace');
    assert.ok(f.ok);
    assert.deepEqual([...applyQuery(rows, f, { column: 'steps', descending: true })], [3, 0, 1, 4]);
  });
});

describe('dataset model', () => {
  test('rows match the traces the core reads from the GSM8K sample, then filter and sort', async () => {
    const { traces, errors } = await readTraces(GSM8K);
    assert.equal(errors.length, 0);
    const m = await model(GSM8K);
    try {
      // Before summarising: one row per record, parsed on demand.
      assert.equal(m.view().rows, 100);
      assert.equal(m.view().complete, false);
      assert.equal(m.rowAt(0).id, traces[0]!.id);
      await m.summariseAll();
      const view = m.view();
      assert.equal(view.complete, true);
      assert.equal(view.rows, traces.length);
      assert.equal(view.hasCorrectness, true);
      assert.deepEqual(m.rows(0, traces.length).rows.map((r) => r.id), traces.map((t) => t.id));

      const wrong = traces.filter((t) => t.reference?.correct === false).length;
      assert.ok(wrong > 0 && wrong < traces.length);
      assert.equal(m.setQuery({ filter: 'correct:no', sort: null }).rows, wrong);
      assert.ok(m.rows(0, 1000).rows.every((r) => r.correct === false));

      const sorted = m.setQuery({ filter: '', sort: { column: 'steps', descending: true } });
      assert.equal(sorted.rows, traces.length);
      const steps = m.rows(0, 1000).rows.map((r) => r.steps);
      assert.deepEqual(steps, [...steps].sort((a, b) => b - a));
      assert.equal(steps[0], Math.max(...traces.map((t) => segment(t.reasoning, 'paragraph').length)));

      const bad = m.setQuery({ filter: 'nonsense:1', sort: null });
      assert.match(bad.filterError ?? '', /unknown filter field/);
      assert.equal(bad.rows, traces.length, 'an invalid filter shows every row');
    } finally {
      m.dispose();
    }
  });

  test('real data: GSM8K train (7,473 records) gives exactly the core\'s traces, in order', async (t) => {
    const path = sharedData('gsm8k', 'train.jsonl');
    if (!existsSync(path)) return t.skip('../shared/data is not present');
    const { traces } = await readTraces(path);
    const m = await model(path);
    try {
      await m.summariseAll();
      const view = m.view();
      assert.equal(view.rows, traces.length);
      assert.equal(view.errorRows, 0);
      const rows = m.rows(0, 1000).rows;
      assert.deepEqual(rows.map((r) => r.id), traces.slice(0, 1000).map((tr) => tr.id));
      assert.deepEqual(rows.map((r) => r.answer), traces.slice(0, 1000).map((tr) => preview(tr.finalAnswer ?? '', 120)));
      const with18 = traces.filter((tr) => (tr.finalAnswer ?? '').includes('18')).length;
      assert.ok(with18 > 10);
      assert.equal(m.setQuery({ filter: 'answer:18', sort: null }).rows, with18);
    } finally {
      m.dispose();
    }
  });

  test('bad lines become error rows at their place, not dropped', async () => {
    const p = file('mixed.jsonl', [think('q1', 'a', 'x'), '{"broken": ', '', think('q2', 'b\n\nc', 'y'), '{"nothing": 1}'].join('\n'));
    const m = await model(p);
    try {
      await m.summariseAll();
      const rows = m.rows(0, 10).rows;
      assert.equal(rows.length, 4);
      assert.equal(rows[1]!.error !== undefined, true);
      assert.equal(rows[1]!.line, 2);
      assert.match(rows[1]!.error ?? '', /^line 2/);
      assert.equal(rows[2]!.steps, 2);
      assert.match(rows[3]!.error ?? '', /unrecognised record/);
      assert.equal(m.view().errorRows, 2);
      assert.deepEqual([...m.rows(0, 10).rows].map((r) => r.index), [0, 1, 2, 3]);
    } finally {
      m.dispose();
    }
  });

  test('a line over the size limit is an error row after the records', async () => {
    const p = file('long.jsonl', [think('q1', 'a', 'x'), JSON.stringify({ text: 'z'.repeat(3000) }), think('q2', 'b', 'y')].join('\n'));
    const m = new DatasetModel(await openRecordSource(p, { maxRecordBytes: 1000 }), 'long.jsonl');
    try {
      await m.summariseAll();
      const rows = m.rows(0, 10).rows;
      assert.equal(rows.length, 3);
      assert.match(rows[2]!.error ?? '', /line 2: record of .* exceeds/);
    } finally {
      m.dispose();
    }
  });

  test('a JSON array dataset: one record per element, streamed, OpenR1 generations one row each', async () => {
    const openr1 = { problem: 'P?', generations: ['<think>a\n\nb</think> \\boxed{1}', '<think>c</think> \\boxed{2}'], correctness_math_verify: [true, false] };
    const p = file('arr.json', JSON.stringify([openr1, { problem: 'Q', solution: 'S' }, 5], null, 2));
    assert.equal(await sniffFormat(p), 'openr1');
    const source = await openRecordSource(p);
    assert.equal(source.kind, 'json-array');
    assert.equal(source.count, 3);
    const m = new DatasetModel(source, 'arr.json');
    try {
      await m.summariseAll();
      const rows = m.rows(0, 10).rows;
      const core = await readTraces(p);
      assert.deepEqual(rows.filter((r) => !r.error).map((r) => r.id), core.traces.map((t) => t.id));
      assert.equal(rows.length, core.traces.length + 1);
      assert.equal(rows[0]!.answer, '1');
      assert.equal(rows[0]!.steps, 2);
      assert.equal(rows.at(-1)?.error !== undefined, true);
      assert.equal(rows.at(-1)?.line, 17);
    } finally {
      m.dispose();
    }
  });

  test('a single JSON object is one record; a non-trace JSON sniffs as unrecognised', async () => {
    const p = file('one.json', JSON.stringify(JSON.parse(think('q', 'a', 'b')), null, 2));
    const source = await openRecordSource(p);
    assert.equal(source.kind, 'json-document');
    const m = new DatasetModel(source, 'one.json');
    await m.summariseAll();
    assert.equal(m.view().rows, 1);
    assert.equal(await sniffFormat(file('pkg.json', '{"name": "x", "version": "1"}')), 'unrecognised');
    assert.equal(await sniffFormat(GSM8K), 'gsm8k-model-solution');
    m.dispose();
  });

  test('summarising stops when cancelled', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => think(`q${i}`, 'a', 'b'));
    const m = await model(file('cancel.jsonl', lines.join('\n')));
    const abort = new AbortController();
    const pass = m.summariseAll(abort.signal);
    abort.abort();
    await assert.rejects(pass, { name: 'CancelledError' });
    assert.equal(m.view().complete, false);
    m.dispose();
  });

  test('a binary or empty file is refused with a message that says so', async () => {
    await assert.rejects(openRecordSource(file('e.jsonl', '')), /is empty/);
    await assert.rejects(openRecordSource(file('b.jsonl', '\u0000\u0001\u0002garbage')), /looks binary/);
  });

  test('100,000 rows: first rows before summarising, the background pass yields to the event loop', async () => {
    const p = join(dir, 'big.jsonl');
    const out = createWriteStream(p);
    for (let i = 0; i < 100_000; i++) {
      const ok = out.write(`${think(`Question ${i}: what is ${i} + ${i}?`, `Step one for ${i}.\n\nStep two.`, `\\boxed{${2 * i}}`)}\n`);
      if (!ok) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const t0 = performance.now();
    const m = await model(p);
    const first = m.rows(0, 50);
    const firstRowsMs = performance.now() - t0;
    assert.equal(first.rows.length, 50);
    assert.equal(first.rows[49]!.answer, '98');
    assert.ok(firstRowsMs < 5_000, `first rows took ${firstRowsMs} ms`);

    // The event loop keeps turning while summarising (requests are answered between slices).
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t1 = performance.now();
    await m.summariseAll();
    clearInterval(timer);
    const summariseMs = performance.now() - t1;
    assert.ok(ticks > 5, `the background pass starved the event loop (${ticks} ticks in ${summariseMs} ms)`);
    assert.equal(m.view().rows, 100_000);
    const t2 = performance.now();
    const sorted = m.setQuery({ filter: '-truncated:yes', sort: { column: 'answer', descending: true } });
    const queryMs = performance.now() - t2;
    assert.equal(sorted.rows, 100_000);
    assert.equal(m.rowAt(0).answer, '199998', 'answers sort by value');
    // Full text: the index is built on this first search, in the background, then searched again natively.
    const t3 = performance.now();
    m.setQuery({ filter: 'question:99999 -truncated:yes', sort: null });
    const found = await whenSearched(m);
    const firstSearchMs = performance.now() - t3;
    assert.deepEqual(m.rows(0, 10).rows.map((r) => r.answer), ['199998']);
    assert.equal(found.rows, 1);
    const t4 = performance.now();
    m.setQuery({ filter: '"step two" 4242', sort: null });
    await whenSearched(m);
    const againMs = performance.now() - t4;
    // The same question asked of every row's texts directly (id, prompt, reasoning, answer).
    const expected: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const parts = [`l${i + 1}`, `question ${i}: what is ${i} + ${i}?`, `step one for ${i}. step two.`, `\\boxed{${2 * i}}`];
      if (parts.some((p) => p.includes('step two')) && parts.some((p) => p.includes('4242'))) expected.push(String(2 * i));
    }
    assert.ok(expected.length > 20);
    assert.deepEqual(m.rows(0, 1000).rows.map((r) => r.answer), expected);
    console.log(`100,000 rows: first 50 rows after ${firstRowsMs.toFixed(0)} ms, summarised in ${summariseMs.toFixed(0)} ms, filter+sort ${queryMs.toFixed(0)} ms, first search (index built) ${firstSearchMs.toFixed(0)} ms, next search ${againMs.toFixed(0)} ms`);
    m.dispose();
  });
});

describe('dataset protocol', () => {
  test('well-formed messages pass, malformed ones are dropped', () => {
    assert.ok(parseFromDatasetWebview({ type: 'request', id: 1, request: { kind: 'rows', version: 1, start: 0, count: 100 } }));
    assert.equal(parseFromDatasetWebview({ type: 'request', id: 1, request: { kind: 'rows', version: 1, start: -1, count: 100 } }), undefined);
    assert.equal(parseFromDatasetWebview({ type: 'request', id: 1, request: { kind: 'rows', version: 1, start: 0, count: 1e6 } }), undefined);
    assert.equal(parseFromDatasetWebview({ type: 'request', id: 1, request: { kind: 'query', query: { filter: 'x', sort: { column: 'evil', descending: false } } } }), undefined);
    assert.ok(parseFromDatasetWebview({ type: 'request', id: 2, request: { kind: 'query', query: { filter: 'x', sort: { column: 'steps', descending: true } } } }));
    assert.equal(parseFromDatasetWebview({ type: 'shout' }), undefined);
    const shown = row({ index: 4, id: 'L5/x' });
    assert.ok(parseFromDatasetWebview({ type: 'request', id: 4, request: { kind: 'open', row: shown } }));
    assert.equal(parseFromDatasetWebview({ type: 'request', id: 4, request: { kind: 'open', row: { ...shown, record: -1 } } }), undefined);
    assert.ok(parseToDatasetWebview({ type: 'progress', progress: { phase: 'indexing', done: 1, total: 2 } }));
    assert.equal(parseToDatasetWebview({ type: 'progress', progress: { phase: 'later', done: 1, total: 2 } }), undefined);
    assert.equal(parseToDatasetWebview({ type: 'request', id: 3, request: { kind: 'activate', row: 'x' } }), undefined);
  });
});
