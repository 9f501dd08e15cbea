/**
 * The dataset browser's search, dashboard, behaviours and the file's own fields: the search index
 * against a brute-force scan, every dashboard bar against the filter it sets (on real data), the
 * dashboard against `reasoning-lens stats`, the behaviours pass, id/correctness detection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BehaviourMiner } from '../../src/core/insights/behaviours';
import { collectInsights } from '../../src/core/insights/scan';
import { readTraces } from '../../src/core/trace/index';
import { parseTraceRecord } from '../../src/core/trace/records';
import { DatasetModel } from '../../src/dataset/datasetModel';
import { behaviourViews, mineBehaviours } from '../../src/dataset/behaviours';
import { numericBarFilter } from '../../src/dataset/dashboard';
import { detectFileFields, traceFacts } from '../../src/dataset/recordFacts';
import { openRecordSource } from '../../src/dataset/recordSource';
import { paragraphSteps } from '../../src/dataset/summary';
import { lineMatches, normaliseForSearch, rowLine, TextIndex, type TextTerm } from '../../src/dataset/textIndex';
import { applyBarFilter, barIsActive, filterTerms } from '../../src/shared/datasetFilter';
import { parseFromDatasetWebview, parseToDatasetWebview, type DatasetView } from '../../src/shared/datasetProtocol';
import { repoPath, sharedData } from './helpers';

const GSM8K = repoPath('media', 'samples', 'gsm8k-model-solutions-100.jsonl');

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rl-dataset-insights-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, lines: readonly unknown[]): string {
  const p = join(dir, name);
  writeFileSync(p, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return p;
}

/** Runs `check` on each summarised file that is present (../shared/data may be missing). */
async function eachSummarised(t: { diagnostic(message: string): void }, paths: readonly string[], check: (m: DatasetModel, path: string) => Promise<void> | void): Promise<void> {
  for (const path of paths) {
    if (!existsSync(path)) {
      t.diagnostic(`${path} is not present`);
      continue;
    }
    const m = await summarised(path);
    try {
      await check(m, path);
    } finally {
      m.dispose();
    }
  }
}

async function summarised(path: string): Promise<DatasetModel> {
  const m = new DatasetModel(await openRecordSource(path), path, { searchDir: dir });
  await m.summariseAll();
  return m;
}

async function whenSearched(m: DatasetModel): Promise<DatasetView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = m.view();
    if (!view.search || view.search.phase === 'done' || view.search.phase === 'failed') return view;
    if (Date.now() > deadline) assert.fail(`the search did not finish: ${JSON.stringify(view.search)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const chat = (q: string, reasoning: string, answer: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content: q }, { role: 'assistant', content: `<think>${reasoning}</think>${answer}` }],
  ...extra,
});

describe('search index', () => {
  test('normalised lines keep fields apart; terms match their field only', () => {
    const line = rowLine({ id: 'L1', prompt: 'Sort the\n\nLIST', reasoning: 'Wait,\tlet me\u0001think', answer: 'done', error: '' });
    assert.equal(normaliseForSearch('A\n\n\tB\u0000C'), 'a b c');
    const t = (needle: string, field: TextTerm['field'] = 'any', negate = false): TextTerm => ({ needle, field, negate });
    assert.ok(lineMatches(line, [t('sort the list')]));
    assert.ok(lineMatches(line, [t('sort', 'prompt')]));
    assert.ok(!lineMatches(line, [t('sort', 'reasoning')]));
    assert.ok(lineMatches(line, [t('let me think', 'reasoning')]), 'a control character in the text is a space');
    assert.ok(!lineMatches(line, [t('list wait')]), 'a phrase never spans two fields');
    assert.ok(lineMatches(line, [t('wait'), t('missing', 'any', true)]));
    assert.ok(!lineMatches(line, [t('done', 'any', true)]));
  });

  test('searching in chunks of whole rows finds exactly what a scan of every row finds', () => {
    const index = new TextIndex(dir);
    try {
      const words = ['alpha', 'beta', 'gamma', 'delta', 'wait', 'sort', 'ünïcödé', '数学'];
      const texts = [];
      // About 10 MB: several 4 MB chunks, one row of 5 MB on its own.
      for (let i = 0; i < 3000; i++) {
        const pick = (k: number) => words[(i * 7 + k * 3) % words.length];
        const reasoning = i === 1500 ? `${'filler '.repeat(750_000)}needle at the end` : `${pick(1)} ${pick(2)} step ${i}\n\n${pick(3)} ${'x'.repeat(500 + (i % 2000))}`;
        texts.push({ id: `L${i + 1}`, prompt: `Question ${i} ${pick(0)}`, reasoning, answer: `answer ${i % 97}`, error: '' });
      }
      for (const t of texts) index.add(t);
      index.complete = true;
      assert.ok(index.bytes > 8 * 1024 * 1024);
      assert.equal(index.line(1499), rowLine(texts[1499]!));
      const queries: TextTerm[][] = [
        [{ needle: 'sort', field: 'any', negate: false }],
        [{ needle: 'wait', field: 'reasoning', negate: false }, { needle: 'beta', field: 'any', negate: true }],
        [{ needle: '数学', field: 'any', negate: false }, { needle: 'answer 5', field: 'any', negate: false }],
        [{ needle: 'needle at the end', field: 'reasoning', negate: false }],
        [{ needle: 'alpha', field: 'any', negate: true }],
        [{ needle: 'ünïcödé', field: 'prompt', negate: false }],
      ];
      for (const terms of queries) {
        const expected: number[] = texts.map((t, i) => (lineMatches(rowLine(t), terms) ? i : -1)).filter((i) => i >= 0);
        const found: number[] = [];
        let chunks = 0;
        for (let from = 0; from < index.rows; chunks++) from = index.searchChunk(from, terms, (row) => found.push(row));
        assert.deepEqual(found, expected, JSON.stringify(terms));
        assert.ok(chunks >= 3, `expected several chunks, got ${chunks}`);
      }
    } finally {
      index.dispose();
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('rl-search-')), [], 'the scratch file is deleted');
  });

  test('the model streams matches in as rows are searched, and finds what the traces contain', async () => {
    const { traces } = await readTraces(GSM8K);
    const m = new DatasetModel(await openRecordSource(GSM8K), 'gsm8k', { searchDir: dir, sliceMs: 1, notifyEveryMs: 0 });
    try {
      await m.summariseAll();
      const seen: number[] = [];
      const sub = m.onDidChange(() => {
        const s = m.view().search;
        if (s) seen.push(s.done);
      });
      m.setQuery({ filter: 'twice', sort: null });
      const view = await whenSearched(m);
      sub.dispose();
      const norm = (t: (typeof traces)[number]) => [t.id, t.prompt, t.reasoning, t.answer].map(normaliseForSearch);
      const expected = traces.filter((t) => norm(t).some((p) => p.includes('twice'))).map((t) => t.id);
      assert.ok(expected.length > 3 && expected.length < traces.length);
      assert.equal(view.rows, expected.length);
      assert.deepEqual(m.rows(0, 1000).rows.map((r) => r.traceId), expected);
      assert.ok(new Set(seen.filter((d) => d > 0 && d < traces.length)).size >= 2, `results streamed in: progress ${seen.join(',')}`);

      // The index is built now: a second search over prompts only, with a column term.
      m.setQuery({ filter: 'prompt:janet correct:no', sort: null });
      const second = await whenSearched(m);
      const janet = traces.filter((t) => normaliseForSearch(t.prompt).includes('janet') && t.reference?.correct === false);
      assert.equal(second.rows, janet.length);
      assert.equal(second.search?.phase, 'done');
      m.setQuery({ filter: '', sort: null });
      assert.equal(m.view().search, undefined);
    } finally {
      m.dispose();
    }
  });
});

describe('dashboard', () => {
  const files = [
    GSM8K,
    sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_pilot_math500_qwen7b.jsonl'),
    sharedData('wild', 'eval-dumps', 'skythought_qwen25math-eval_sky-t1-14b_amc23.jsonl'),
    sharedData('gsm8k', 'example_model_solutions.jsonl'),
  ];

  test('every bar counts exactly the rows its filter shows (real files)', async (t) => {
    await eachSummarised(t, files, (m, path) => {
      const dashboard = m.dashboard();
      assert.equal(dashboard.complete, true);
      assert.ok(dashboard.charts.length >= 5, path);
      for (const chart of dashboard.charts) {
        const sum = chart.bars.reduce((s, b) => s + b.count, 0);
        assert.equal(sum, dashboard.traces, `${chart.metric} bars add up to the traces`);
        for (const bar of chart.bars) {
          const view = m.setQuery({ filter: bar.filter, sort: null });
          assert.equal(view.filterError, undefined, bar.filter);
          assert.equal(view.rows, bar.count, `${path}: ${chart.metric} ${bar.label} (${bar.filter})`);
        }
      }
    });
  });

  test('the figures are those of reasoning-lens stats on the same file', async (t) => {
    await eachSummarised(t, files, async (m, path) => {
      const cli = await collectInsights(path);
      const dashboard = m.dashboard();
      assert.equal(dashboard.traces, cli.stats.traces);
      for (const chart of dashboard.charts) {
        const h = cli.stats.histograms[chart.metric];
        assert.ok(h, `stats has ${chart.metric}`);
        assert.deepEqual(chart.bars.map((b) => [b.label, b.count]), h.buckets.map((b) => [b.label, b.count]), `${path}: ${chart.metric}`);
      }
    });
  });

  test('a numeric bar reads as a range, or as one value', () => {
    assert.equal(numericBarFilter('tokens', { label: '1k–2k', count: 3, lo: 1000, hi: 2000 }), 'tokens>=1000 tokens<2000');
    assert.equal(numericBarFilter('steps', { label: '3', count: 3, lo: 3, hi: 4 }), 'steps=3');
  });

  test('a bar click replaces its chart\'s terms, keeps the others, and a second click removes it', () => {
    const steps = ['steps'];
    let f = applyBarFilter('sort truncated:yes', 'steps>=10 steps<20', steps);
    assert.equal(f, 'sort truncated:yes steps>=10 steps<20');
    assert.ok(barIsActive(f, 'steps>=10 steps<20'));
    f = applyBarFilter(f, 'steps>=20 steps<30', steps);
    assert.equal(f, 'sort truncated:yes steps>=20 steps<30');
    assert.equal(applyBarFilter(f, 'steps>=20 steps<30', steps), 'sort truncated:yes');
    assert.equal(applyBarFilter('has:loops has:answer', 'no:answer', ['has:answer', 'no:answer']), 'has:loops no:answer');
    assert.equal(applyBarFilter('-id:"a b"', 'correct:no', ['correct']), '-id:"a b" correct:no');
    assert.deepEqual(filterTerms('-id:"a b" steps>3').map((t) => [t.negate, t.field, t.op, t.value]), [[true, 'id', ':', 'a b'], [false, 'steps', '>', '3']]);
  });
});

describe('recurring behaviours of a file', () => {
  test('a step every trace opens the same way is found in every trace, with examples that point at its step', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => chat(`What is ${i} + ${i}?`, `First add ${i} and ${i} together.\n\nWait, let me double-check the sum once more before answering.\n\nSo it is ${2 * i}.`, `\\boxed{${2 * i}}`));
    const path = file('behave.jsonl', lines);
    const source = await openRecordSource(path);
    try {
      const progress: number[] = [];
      const report = await mineBehaviours(source, { sliceMs: 1, reportEveryMs: 0, onProgress: (done) => progress.push(done) });
      assert.equal(report.traces, 40);
      const wait = report.behaviours.find((b) => b.label.startsWith('Wait, let me double-check'));
      assert.ok(wait, report.behaviours.map((b) => b.label).join(' | '));
      assert.equal(wait.traces, 40);
      assert.equal(wait.share, 1);
      assert.equal(wait.position, 'middle');
      const views = behaviourViews(report);
      const example = views.find((b) => b.rank === wait.rank)?.examples[0];
      assert.ok(example);
      const trace = source.read(example.record).traces[example.trace];
      assert.ok(trace);
      assert.equal(paragraphSteps(trace)[example.step]?.text, 'Wait, let me double-check the sum once more before answering.');
      assert.ok(progress.length > 1 && progress.every((d, i) => i === 0 || d >= progress[i - 1]!), `progress ${progress.join(',')}`);

      const abort = new AbortController();
      abort.abort();
      await assert.rejects(mineBehaviours(source, { cancellation: abort.signal }), { name: 'CancelledError' });
    } finally {
      source.close();
    }
  });
});

describe('behaviours: steps of numbers and math alone', () => {
  test('are not clustered into one behaviour; worded steps still are', () => {
    const miner = new BehaviourMiner();
    for (let i = 0; i < 50; i++) {
      const steps = [`${i} + ${2 * i} = ${3 * i}`, `3(1 + 3(1 + ${i}))`, `Difference: ${i + 188} - 98 = ${i + 90}`, 'Let me double-check that multiplication once more.'];
      miner.addTrace({ file: 0, record: i, trace: 0, id: `L${i + 1}` }, steps.map((text) => ({ text })));
    }
    const report = miner.result(10);
    assert.deepEqual(report.behaviours.map((b) => [b.label, b.traces]), [['Let me double-check that multiplication once more.', 50]]);
  });
});

describe('the file\'s own id and correctness', () => {
  test('chat rows with an id and an is_correct beside the messages show them; the trace id still opens the row', async () => {
    const path = file('own.jsonl', Array.from({ length: 6 }, (_, i) => chat(`q${i}`, 'r', 'a', { uid: `q-${i}`, is_correct: i % 2 === 0 })));
    const m = await summarised(path);
    try {
      const view = m.view();
      assert.deepEqual(view.fields, { id: 'uid', correct: 'is_correct', source: 'detected' });
      assert.equal(view.hasCorrectness, true);
      const rows = m.rows(0, 10).rows;
      assert.deepEqual(rows.map((r) => r.id), ['q-0', 'q-1', 'q-2', 'q-3', 'q-4', 'q-5']);
      assert.deepEqual(rows.map((r) => r.correct), [true, false, true, false, true, false]);
      const { traces } = await readTraces(path);
      assert.deepEqual(rows.map((r) => r.traceId), traces.map((t) => t.id), 'the trace view still finds each row by its trace id');
      assert.equal(m.setQuery({ filter: 'correct:no', sort: null }).rows, 3);
      m.setQuery({ filter: 'q-4', sort: null });
      assert.equal((await whenSearched(m)).rows, 1, 'the shown id is searchable');
    } finally {
      m.dispose();
    }
  });

  test('a list of labels, one per trace of a record; ids get the trace suffix', () => {
    const value = { question: 'q', deepseek_thinking_trajectory: 't', deepseek_attempt: 'a', gemini_thinking_trajectory: 'g', gemini_attempt: 'b', sample_id: 7, passed: [true, false] };
    const { traces } = parseTraceRecord(value, {}, { file: 'x' }, 'L1');
    assert.equal(traces.length, 2);
    const fields = detectFileFields([{ value, traces }]);
    assert.deepEqual(fields, { id: 'sample_id', correct: 'passed' });
    assert.deepEqual(traceFacts(value, traces, fields), [{ id: '7/deepseek', correct: true }, { id: '7/gemini', correct: false }]);
  });

  test('what the reader already takes is left alone (real eval dumps, GSM8K)', async (t) => {
    await eachSummarised(t, [sharedData('wild', 'eval-dumps', 'reasoning-trace-topology_math500_deepseek_r1.jsonl'), GSM8K], async (m, path) => {
      assert.equal(m.view().fields, undefined, path);
      const { traces } = await readTraces(path);
      assert.deepEqual(m.rows(0, 1000).rows.map((r) => [r.id, r.correct]), traces.slice(0, 1000).map((tr) => [tr.id, tr.reference?.correct ?? null]));
    });
  });

  test('the field mapping\'s id is named as the source', async () => {
    const path = file('mapped.jsonl', [chat('q', 'r', 'a', { key: 'k1' })]);
    const m = new DatasetModel(await openRecordSource(path, { parse: { fields: { id: 'key' } } }), path, { mappedId: 'key' });
    try {
      await m.summariseAll();
      assert.deepEqual(m.view().fields, { id: 'key', source: 'setting' });
      assert.equal(m.rowAt(0).id, 'k1');
      assert.equal(m.rowAt(0).traceId, 'k1');
    } finally {
      m.dispose();
    }
  });
});

describe('dataset protocol: dashboard, behaviours and selection', () => {
  test('well-formed messages pass, malformed ones are dropped', () => {
    const bar = { label: '1k–2k', count: 3, filter: 'tokens>=1000 tokens<2000' };
    const chart = { metric: 'reasoningTokens', title: 'Reasoning tokens', kind: 'numeric', bars: [bar], fields: ['tokens'], note: '' };
    const dashboard = { version: 1, traces: 3, complete: true, tokensExact: false, charts: [chart] };
    assert.ok(parseToDatasetWebview({ type: 'dashboard', dashboard }));
    assert.equal(parseToDatasetWebview({ type: 'dashboard', dashboard: { ...dashboard, charts: [{ ...chart, metric: 'colour' }] } }), undefined);
    assert.equal(parseToDatasetWebview({ type: 'dashboard', dashboard: { ...dashboard, charts: [{ ...chart, bars: [{ ...bar, count: -1 }] }] } }), undefined);
    const example = { record: 1, trace: 0, line: 2, id: 'L2', step: 3, text: 'Wait' };
    const behaviour = { rank: 1, label: 'Wait', traces: 2, share: 0.5, occurrences: 3, position: 'late', positionShares: [0, 0.2, 0.8], averageTokens: 4, examples: [example] };
    const state = { phase: 'done', done: 4, total: 4, traces: 4, steps: 9, behaviours: [behaviour] };
    assert.ok(parseToDatasetWebview({ type: 'behaviours', state }));
    assert.equal(parseToDatasetWebview({ type: 'behaviours', state: { ...state, phase: 'sleeping' } }), undefined);
    assert.ok(parseFromDatasetWebview({ type: 'request', id: 1, request: { kind: 'openExample', example } }));
    assert.equal(parseFromDatasetWebview({ type: 'request', id: 1, request: { kind: 'openExample', example: { ...example, step: -1 } } }), undefined);
    assert.ok(parseFromDatasetWebview({ type: 'request', id: 2, request: { kind: 'behaviours', action: 'start' } }));
    assert.equal(parseFromDatasetWebview({ type: 'request', id: 2, request: { kind: 'behaviours', action: 'explode' } }), undefined);
    assert.ok(parseFromDatasetWebview({ type: 'request', id: 3, request: { kind: 'exportHandbook' } }));
    assert.ok(parseToDatasetWebview({ type: 'request', id: 4, request: { kind: 'clickBar', metric: 'loops', bar: 1 } }));
    assert.equal(parseToDatasetWebview({ type: 'request', id: 4, request: { kind: 'showTab', tab: 'settings' } }), undefined);
  });
});
