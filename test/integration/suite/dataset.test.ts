import * as assert from 'node:assert/strict';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import { readTraces } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import type { BehavioursState, DatasetDashboard, DatasetDescription, DatasetQuery, DatasetRowsResult, DatasetView } from '../../../src/shared/datasetProtocol';
import type { ViewDescription } from '../../../src/shared/protocol';
import { normaliseForSearch } from '../../../src/dataset/textIndex';

const EXTENSION_ID = 'reasoning-lens.reasoning-lens';
const VIEW_TYPE = 'reasoningLens.dataset';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function internal<T>(request: Record<string, unknown>): Thenable<T> {
  return vscode.commands.executeCommand<T>(CommandIds.datasetInternal, request);
}

/** Polls the webview's own description of what it renders until `ok` holds (or fails with the last one). */
async function describeUntil(ok: (d: DatasetDescription) => boolean, what: string, timeoutMs = 30_000): Promise<DatasetDescription> {
  const deadline = Date.now() + timeoutMs;
  let last: DatasetDescription | undefined;
  while (Date.now() < deadline) {
    try {
      last = await internal<DatasetDescription>({ action: 'describe' });
      if (last && ok(last)) return last;
    } catch {
      // The webview may not be ready yet.
    }
    await sleep(100);
  }
  assert.fail(`${what}: the dataset browser shows ${JSON.stringify(last)}`);
}

async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

describe('Dataset browser', () => {
  let samplePath = '';
  let scratch = '';

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    await ext.activate();
    samplePath = vscode.Uri.joinPath(ext.extensionUri, 'media', 'samples', 'gsm8k-model-solutions-100.jsonl').fsPath;
    scratch = mkdtempSync(join(tmpdir(), 'rl-dataset-it-'));
  });

  after(async () => {
    await closeAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('shows every trace of the GSM8K sample, filters and sorts on the host, and never changes the file', async () => {
    const before = sha256(samplePath);
    // What the core reads from the same file, computed here independently of the extension.
    const { traces } = await readTraces(samplePath);
    assert.ok(traces.length > 100, 'the sample holds several solutions per record');
    const wrong = traces.filter((t) => t.reference?.correct === false).length;
    const maxSteps = Math.max(...traces.map((t) => segment(t.reasoning, 'paragraph').length));

    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(samplePath), VIEW_TYPE);
    const view = await internal<DatasetView>({ action: 'whenComplete' });
    assert.equal(view.rows, traces.length);
    assert.equal(view.records, 100);
    assert.equal(view.errorRows, 0);
    assert.equal(view.hasCorrectness, true);

    const shown = await describeUntil((d) => d.rows === traces.length && d.visible.length > 0, 'all rows counted and the first rows rendered');
    assert.equal(shown.fileName, 'gsm8k-model-solutions-100.jsonl');
    assert.equal(shown.visible[0]!.id, traces[0]!.id);
    assert.ok(shown.renderedRows < 120, `virtualisation should keep few rows in the DOM, found ${shown.renderedRows}`);

    const all = await internal<DatasetRowsResult>({ action: 'rows', start: 0, count: 1000 });
    assert.deepEqual(all.rows.map((r) => r.id), traces.map((t) => t.id));

    // Filter as a user would type it: the webview asks the host, which filters its cached summaries.
    const filter: DatasetQuery = { filter: 'correct:no', sort: null };
    await internal({ action: 'setQuery', query: filter });
    await describeUntil((d) => d.rows === wrong && d.filter === 'correct:no', 'the filtered count');
    const filtered = await internal<DatasetRowsResult>({ action: 'rows', start: 0, count: 1000 });
    assert.equal(filtered.rows.length, wrong);
    assert.ok(filtered.rows.every((r) => r.correct === false));

    await internal({ action: 'setQuery', query: { filter: '', sort: { column: 'steps', descending: true } } });
    const sorted = await describeUntil((d) => d.rows === traces.length && d.sort?.column === 'steps' && d.visible.length > 0, 'sorted rows');
    const rows = (await internal<DatasetRowsResult>({ action: 'rows', start: 0, count: 1000 })).rows;
    assert.equal(rows[0]!.steps, maxSteps);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.steps >= rows[i]!.steps, `row ${i} is out of order`);
    assert.equal(sorted.visible[0]!.index, rows[0]!.index, 'the top rendered row is the one with most steps');

    await internal({ action: 'setQuery', query: { filter: '', sort: null } });
    assert.equal(sha256(samplePath), before, 'the dataset file changed on disk');
  });

  it('opens the focused row in the trace view when Enter is pressed', async function () {
    const registered = await vscode.commands.getCommands(true);
    if (!registered.includes(CommandIds.openTraceView)) {
      // The trace view is built by another part of the extension; without it there is nothing to open.
      this.skip();
    }
    const before = sha256(samplePath);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(samplePath), VIEW_TYPE);
    await internal({ action: 'whenComplete' });
    await describeUntil((d) => d.visible.length > 0, 'rows rendered');
    const row = (await internal<DatasetRowsResult>({ action: 'rows', start: 3, count: 1 })).rows[0]!;
    await internal({ action: 'activate', row: 3 });
    const deadline = Date.now() + 20_000;
    while (vscode.window.activeTextEditor?.document.uri.scheme !== 'reasoning-lens' && Date.now() < deadline) await sleep(100);
    const doc = vscode.window.activeTextEditor?.document;
    assert.equal(doc?.uri.scheme, 'reasoning-lens', `the trace view did not open (active: ${doc?.uri.toString()})`);
    const uriText = decodeURIComponent(doc.uri.toString());
    assert.ok(uriText.includes(row.id) || uriText.includes(String(row.record)), `the opened trace ${uriText} is not row ${row.id}`);
    assert.equal(sha256(samplePath), before);
  });

  it('shows a bad line as an error row and opens it as text at its line', async () => {
    const path = join(scratch, 'with-errors.jsonl');
    const good = (q: string) => JSON.stringify({ question: q, answer: 'Add them.\n#### 4' });
    writeFileSync(path, [good('What is 2 + 2?'), '{"question": "broken",', good('And 3 + 1?')].join('\n'));
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(path), VIEW_TYPE);
    const view = await internal<DatasetView>({ action: 'whenComplete' });
    assert.equal(view.rows, 3);
    assert.equal(view.errorRows, 1);
    const rows = (await internal<DatasetRowsResult>({ action: 'rows', start: 0, count: 3 })).rows;
    assert.match(rows[1]!.error ?? '', /^line 2/);
    await describeUntil((d) => d.fileName === 'with-errors.jsonl' && d.visible.length === 3, 'three rows, one of them an error');
    await internal({ action: 'activate', row: 1 });
    const deadline = Date.now() + 10_000;
    while (vscode.window.activeTextEditor?.document.uri.fsPath !== path && Date.now() < deadline) await sleep(100);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, path, 'the bad record did not open as text');
    assert.equal(editor.selection.active.line, 1, 'the cursor is not on the bad line');
    await closeAll();
  });

  it('indexes a 100,000-row JSONL and shows its first rows quickly', async () => {
    const path = join(scratch, 'big-100k.jsonl');
    const out = createWriteStream(path);
    for (let i = 0; i < 100_000; i++) {
      const record = { question: `Question ${i}: what is ${i} + ${i}?`, solution: `<think>Add ${i} and ${i}.\n\nCheck.</think>\\boxed{${2 * i}}` };
      if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');

    const started = Date.now();
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(path), VIEW_TYPE);
    const first = await describeUntil((d) => d.fileName === 'big-100k.jsonl' && d.visible.length > 0, 'first rows of the 100,000-row file', 60_000);
    const firstRowsMs = Date.now() - started;
    assert.equal(first.visible[0]!.index, 0);
    assert.ok(first.renderedRows < 120, `only visible rows belong in the DOM, found ${first.renderedRows}`);
    const view = await internal<DatasetView & { indexedAfterMs?: number }>({ action: 'view' });
    assert.equal(view.records, 100_000);
    const complete = await internal<DatasetView>({ action: 'whenComplete', timeoutMs: 120_000 });
    const completeMs = Date.now() - started;
    assert.equal(complete.rows, 100_000);
    // A full-text term: the search index is built in the background on this first search.
    await internal({ action: 'setQuery', query: { filter: 'question:99999', sort: null } });
    await internal({ action: 'whenSearched', timeoutMs: 120_000 });
    await describeUntil((d) => d.rows === 1 && d.visible.length === 1, 'the one row matching question:99999');
    // The harness forwards only mocha's own lines: keep the figures in a file beside the results.
    const figures = { rows: 100_000, indexedMs: view.indexedAfterMs, firstRowsOnScreenMs: firstRowsMs, allSummarisedMs: completeMs };
    const results = resolve(__dirname, '..', '..', '..', 'test-results');
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'dataset-100k.json'), JSON.stringify(figures, null, 2));
    console.log(`[dataset] 100,000 rows: indexed in ${view.indexedAfterMs} ms, first rows on screen after ${firstRowsMs} ms, all summarised after ${completeMs} ms`);
    await closeAll();
  });
  it('searches the full prompt, reasoning and answer, streaming matches in; the dashboard bars filter the table', async () => {
    const { traces } = await readTraces(samplePath);
    const norm = (t: (typeof traces)[number]) => [t.id, t.prompt, t.reasoning, t.answer].map(normaliseForSearch);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(samplePath), VIEW_TYPE);
    await internal({ action: 'whenComplete' });

    // "twice" is in prompts the shortened question column does not show.
    await internal({ action: 'setQuery', query: { filter: 'twice', sort: null } });
    const searched = await internal<DatasetView>({ action: 'whenSearched' });
    const expected = traces.filter((t) => norm(t).some((p) => p.includes('twice')));
    assert.ok(expected.length > 3 && expected.length < traces.length);
    assert.equal(searched.rows, expected.length);
    assert.equal(searched.search?.phase, 'done');
    await describeUntil((d) => d.rows === expected.length && d.filter === 'twice', 'the search results on screen');
    const found = await internal<DatasetRowsResult>({ action: 'rows', start: 0, count: 1000 });
    assert.deepEqual(found.rows.map((r) => r.traceId), expected.map((t) => t.id));

    // The dashboard, as drawn: a click on the "no" bar of Correct puts correct:no next to the search.
    await internal({ action: 'setQuery', query: { filter: '', sort: null } });
    const dashboard = await internal<DatasetDashboard>({ action: 'dashboard' });
    assert.equal(dashboard.traces, traces.length);
    const correct = dashboard.charts.find((c) => c.metric === 'correct');
    assert.ok(correct, 'the sample has correctness labels');
    const noBar = correct.bars.findIndex((b) => b.label === 'no');
    const drawn = await describeUntil((d) => d.charts.length === dashboard.charts.length, 'the charts drawn');
    assert.deepEqual(drawn.charts.find((c) => c.metric === 'correct')?.bars.map((b) => b.count), correct.bars.map((b) => b.count));
    await internal({ action: 'setQuery', query: { filter: 'twice', sort: null } });
    await internal({ action: 'clickBar', metric: 'correct', bar: noBar });
    const both = expected.filter((t) => t.reference?.correct === false).length;
    const clicked = await describeUntil((d) => d.filter === 'twice correct:no' && d.rows === both, 'the search and the bar\'s filter');
    assert.equal(clicked.charts.find((c) => c.metric === 'correct')?.bars[noBar]?.active, true, 'the clicked bar is highlighted');
    // A second click takes the bar's filter out again.
    await internal({ action: 'clickBar', metric: 'correct', bar: noBar });
    await describeUntil((d) => d.filter === 'twice' && d.rows === expected.length, 'the bar\'s filter removed');
    await internal({ action: 'setQuery', query: { filter: '', sort: null } });
    await closeAll();
  });

  it('drives the side panel with the selected row', async () => {
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(samplePath), VIEW_TYPE);
    await internal({ action: 'whenComplete' });
    await describeUntil((d) => d.visible.length > 10, 'rows rendered');
    const rows = (await internal<DatasetRowsResult>({ action: 'rows', start: 0, count: 10 })).rows;
    for (const position of [7, 2]) {
      const row = rows[position]!;
      await internal({ action: 'select', row: position });
      const shortId = row.traceId.split('/').pop() ?? row.traceId;
      const deadline = Date.now() + 20_000;
      let panel: ViewDescription | undefined;
      while (Date.now() < deadline) {
        panel = await vscode.commands.executeCommand<ViewDescription>(CommandIds.describePanel);
        if (panel?.title.includes(`[${row.record + 1}]`) && panel.title.includes(shortId)) break;
        await sleep(200);
      }
      assert.ok(panel?.title.includes(`[${row.record + 1}]`) && panel.title.includes(shortId), `the side panel shows ${panel?.title}, not row ${position} (${row.traceId})`);
      assert.ok((panel?.steps ?? 0) > 0);
    }
    await closeAll();
  });

  it('finds recurring behaviours, opens an example at its step and exports the handbook', async () => {
    const path = join(scratch, 'behaviours.jsonl');
    const step = 'Wait, let me double-check the sum once more before answering.';
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({
      messages: [{ role: 'user', content: `What is ${i} + ${i}?` }, { role: 'assistant', content: `<think>First add ${i} and ${i}.\n\n${step}\n\nSo it is ${2 * i}.</think>\\boxed{${2 * i}}` }],
      uid: `sum-${i}`,
      is_correct: i % 4 !== 0,
    }));
    writeFileSync(path, `${lines.join('\n')}\n`);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(path), VIEW_TYPE);
    const view = await internal<DatasetView>({ action: 'whenComplete' });
    // The file's own id and correctness, which the chat schema does not read.
    assert.deepEqual(view.fields, { id: 'uid', correct: 'is_correct', source: 'detected' });
    const first = await describeUntil((d) => d.fileName === 'behaviours.jsonl' && d.visible.length > 0, 'rows with the file\'s ids');
    assert.equal(first.visible[0]?.id, 'sum-0');

    const state = await internal<BehavioursState>({ action: 'behaviours' });
    assert.equal(state.phase, 'done');
    const wait = state.behaviours.find((b) => b.label.startsWith('Wait, let me double-check'));
    assert.ok(wait, `behaviours: ${state.behaviours.map((b) => b.label).join(' | ')}`);
    assert.equal(wait.traces, 30);
    await describeUntil((d) => d.tab === 'behaviours' && d.behaviours === state.behaviours.length, 'the behaviours drawn');

    await internal({ action: 'clickExample', rank: wait.rank, example: 0 });
    const deadline = Date.now() + 20_000;
    while (vscode.window.activeTextEditor?.document.uri.scheme !== 'reasoning-lens' && Date.now() < deadline) await sleep(100);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.scheme, 'reasoning-lens', 'the example opened in a trace view');
    await sleep(200);
    assert.equal(editor.document.getText(editor.selection), step, 'the example\'s step is selected');

    const out = join(scratch, 'handbook.md');
    await internal({ action: 'exportHandbook', path: out });
    const markdown = readFileSync(out, 'utf8');
    assert.match(markdown, /^# Behaviour handbook: behaviours\.jsonl/);
    assert.match(markdown, /Wait, let me double\\-check the sum/);
    // Never over the source: the command fails (shown to the user) and the file stays as it was.
    const before = sha256(path);
    assert.equal(await internal({ action: 'exportHandbook', path }), undefined);
    assert.equal(sha256(path), before);
    await closeAll();
  });
});
