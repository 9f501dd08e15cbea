import * as vscode from 'vscode';
import { basename, dirname, extname, join } from 'node:path';
import { CommandIds } from '../commands/commandIds';
import { registerCommand } from '../commands/registerCommand';
import { CancelledError } from '../core/trace/jsonlIndex';
import { isAbortError } from '../core/cancel';
import { formatBytes, formatCount } from '../shared/format';
import { renderWebviewHtml, webviewResourceRoots } from '../webviewHost/html';
import { HostChannel } from '../webviewHost/channel';
import { dispatcher } from '../shared/channel';
import {
  assertNever,
  isDatasetDescription,
  type BehaviourExampleView,
  type BehavioursState,
  type DashboardMetric,
  type DatasetDescription,
  type DatasetHostRequest,
  type DatasetNotification,
  type DatasetProgress,
  type DatasetQuery,
  type DatasetRow,
  type DatasetRowsResult,
  type DatasetTab,
  type DatasetView,
  type DatasetWebviewRequest,
  parseFromDatasetWebview,
} from '../shared/datasetProtocol';
import { Disposable } from '../util/disposable';
import type { LensContext } from '../services/context';
import type { SessionManager } from '../services/sessionManager';
import { behaviourHandbook } from '../core/insights/handbook';
import type { BehaviourReport } from '../core/insights/behaviours';
import { assertNotSource, writeFileAtomic } from '../core/export/atomicWrite';
import { traceViewUri } from '../editor/traceView';
import { DatasetModel } from './datasetModel';
import { behaviourViews } from './behaviours';
import { openRecordSource } from './recordSource';
import { paragraphSteps } from './summary';
import { parseOptionsFor } from '../services/config';

/** View type of the dataset browser (package.json `contributes.customEditors`). */
export const DatasetViewType = 'reasoningLens.dataset';

/** What the internal command can be asked (tests and diagnostics drive the active browser with it). */
export type DatasetInternalRequest =
  | { readonly action: 'describe' }
  | { readonly action: 'view' }
  | { readonly action: 'rows'; readonly start: number; readonly count: number }
  | { readonly action: 'setQuery'; readonly query: DatasetQuery }
  | { readonly action: 'activate'; readonly row: number }
  | { readonly action: 'whenComplete'; readonly timeoutMs?: number }
  /** Waits until the search of the current filter has decided every row. */
  | { readonly action: 'whenSearched'; readonly timeoutMs?: number }
  | { readonly action: 'select'; readonly row: number }
  | { readonly action: 'dashboard' }
  | { readonly action: 'clickBar'; readonly metric: DashboardMetric; readonly bar: number }
  | { readonly action: 'showTab'; readonly tab: DatasetTab }
  /** Starts the behaviours pass and waits for its report. */
  | { readonly action: 'behaviours'; readonly timeoutMs?: number }
  | { readonly action: 'clickExample'; readonly rank: number; readonly example: number }
  /** Writes the handbook to `path` (the save dialog's answer). */
  | { readonly action: 'exportHandbook'; readonly path: string };

const IDLE_BEHAVIOURS: BehavioursState = { phase: 'idle', done: 0, total: 0, traces: 0, steps: 0, behaviours: [] };

/**
 * One opened dataset file. Indexing starts as soon as VS Code opens the document (before the webview
 * is ready) and can be cancelled from the webview; summaries are computed in the background after.
 */
class DatasetDocument extends Disposable implements vscode.CustomDocument {
  private readonly abort = new AbortController();
  private readonly progressEmitter = this._register(new vscode.EventEmitter<DatasetProgress>());
  /** Indexing and background summarising progress. */
  readonly onDidProgress = this.progressEmitter.event;
  private lastProgress: DatasetProgress = { phase: 'indexing', done: 0, total: 0 };
  /** The model once indexing finished; rejects when the file cannot be read or indexing was cancelled. */
  readonly model: Promise<DatasetModel>;
  /** Milliseconds from opening to a usable index (reported by the internal command). */
  indexedAfterMs: number | undefined;
  private behaviours: BehavioursState = IDLE_BEHAVIOURS;
  private behaviourReport: BehaviourReport | undefined;
  private behavioursAbort: AbortController | undefined;
  private mining: Promise<void> | undefined;
  private readonly behavioursEmitter = this._register(new vscode.EventEmitter<BehavioursState>());
  /** The recurring-behaviours pass moved on. */
  readonly onDidBehaviours = this.behavioursEmitter.event;

  constructor(readonly uri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {
    super();
    const started = Date.now();
    this.model = this.load(started);
    // An unhandled rejection here would be logged by VS Code as an extension error: the panels show it.
    this.model.catch(() => undefined);
    this._register({ dispose: () => this.abort.abort() });
    this._register({ dispose: () => this.behavioursAbort?.abort() });
  }

  get progress(): DatasetProgress {
    return this.lastProgress;
  }

  /** Stops indexing, summarising and the search index (a new search starts it again). */
  cancel(): void {
    this.abort.abort();
    void this.model.then((m) => m.stopBackground(), () => undefined);
  }

  get behavioursState(): BehavioursState {
    return this.behaviours;
  }

  /** The last complete behaviours report (what the handbook exports). */
  get behavioursReport(): BehaviourReport | undefined {
    return this.behaviourReport;
  }

  /** Starts the recurring-behaviours pass (one at a time; a second call gets the running one), with progress through {@link onDidBehaviours}. */
  startBehaviours(): Promise<void> {
    this.mining ??= this.mine().finally(() => {
      this.mining = undefined;
    });
    return this.mining;
  }

  private async mine(): Promise<void> {
    const model = await this.model;
    const abort = new AbortController();
    this.behavioursAbort = abort;
    const total = model.view().records;
    const show = (phase: BehavioursState['phase'], done: number, report: BehaviourReport | undefined, message?: string): void => {
      this.behaviours = {
        phase, done, total,
        traces: report?.traces ?? 0,
        steps: report?.steps ?? 0,
        behaviours: report ? behaviourViews(report) : [],
        ...(message !== undefined ? { message } : {}),
      };
      this.behavioursEmitter.fire(this.behaviours);
    };
    show('running', 0, undefined);
    const started = Date.now();
    try {
      const report = await model.mineBehaviours({ cancellation: abort.signal, onProgress: (done, partial) => show('running', done, partial) });
      this.behaviourReport = report;
      this.log.info(`dataset ${basename(this.uri.fsPath)}: ${formatCount(report.behaviours.length)} behaviours in ${formatCount(report.traces)} traces, ${Date.now() - started} ms`);
      show('done', total, report);
    } catch (e) {
      if (isAbortError(e)) show('stopped', this.behaviours.done, undefined, 'Stopped before the end of the file.');
      else {
        this.log.error(`dataset ${basename(this.uri.fsPath)}: behaviours failed`, e instanceof Error ? e : String(e));
        show('failed', this.behaviours.done, undefined, e instanceof Error ? e.message : String(e));
      }
    }
  }

  stopBehaviours(): void {
    this.behavioursAbort?.abort();
  }

  private async load(started: number): Promise<DatasetModel> {
    if (this.uri.scheme !== 'file') {
      throw new Error(`the dataset browser reads local files only; ${this.uri.scheme}: files open as text (use "Reopen Editor With… Text Editor")`);
    }
    const path = this.uri.fsPath;
    const source = await openRecordSource(path, {
      parse: parseOptionsFor(this.uri),
      cancellation: this.abort.signal,
      onProgress: (p) => this.report({ phase: 'indexing', done: p.bytesRead, total: p.totalBytes }),
    });
    if (this.isDisposed) {
      source.close();
      throw new CancelledError();
    }
    const mappedId = parseOptionsFor(this.uri).fields?.id;
    const model = new DatasetModel(source, basename(path), mappedId !== undefined ? { mappedId } : {});
    this._register({ dispose: () => model.dispose() });
    this.indexedAfterMs = Date.now() - started;
    this.log.info(`dataset ${basename(path)}: ${formatCount(source.count)} records (${formatBytes(source.totalBytes)}) indexed in ${this.indexedAfterMs} ms`);
    this.report(model.progress());
    this._register(model.onDidChange(() => this.report(model.progress())));
    const summariseStarted = Date.now();
    model.summariseAll(this.abort.signal).then(
      () => this.log.info(`dataset ${basename(path)}: ${formatCount(model.view().totalRows)} rows summarised in ${Date.now() - summariseStarted} ms`),
      (e: unknown) => {
        if (!isAbortError(e)) this.log.error(`dataset ${basename(path)}: summarising failed`, e instanceof Error ? e : String(e));
        // Filter and sort keep working over what was summarised; the view says it is partial.
        this.report({ ...model.progress(), phase: 'stopped' });
      },
    );
    return model;
  }

  private report(p: DatasetProgress): void {
    this.lastProgress = p;
    this.progressEmitter.fire(p);
  }
}

/** Least time between two dashboard posts while summaries stream in (ms). */
const DASHBOARD_EVERY_MS = 500;

/** One webview showing a {@link DatasetDocument}. */
class DatasetPanel extends Disposable {
  private readonly channel: HostChannel<DatasetNotification, DatasetHostRequest, DatasetWebviewRequest>;
  private lastProgressPost = 0;
  private lastDashboardPost = 0;
  private dashboardTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped per selected row: only the latest selection drives the side panel. */
  private followSeq = 0;

  constructor(
    readonly document: DatasetDocument,
    readonly webviewPanel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly sessions: SessionManager,
  ) {
    super();
    const webview = webviewPanel.webview;
    webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(extensionUri) };
    webview.html = renderWebviewHtml(webview, extensionUri, {
      title: `Dataset ${basename(document.uri.fsPath)}`,
      script: 'out/webview/dataset.js',
      styles: ['media/dataset.css'],
      bodyHtml: '<rl-dataset></rl-dataset>',
    });
    this.channel = this._register(new HostChannel(webview, {
      label: 'dataset',
      log,
      timeoutMs: 15_000,
      parse: parseFromDatasetWebview,
      perform: (request) => this.perform(request),
      onReady: () => {
        this.channel.post({ type: 'progress', progress: this.document.progress });
        this.channel.post({ type: 'behaviours', state: this.document.behavioursState });
        void this.postView();
      },
      describeError: (e) => failureMessage(e, this.document.uri),
    }));
    this._register(document.onDidProgress((p) => this.onProgress(p)));
    this._register(document.onDidBehaviours((state) => this.channel.postIfReady({ type: 'behaviours', state })));
    this._register({ dispose: () => clearTimeout(this.dashboardTimer) });
    // Indexing may fail (or finish) after the webview said ready: show the outcome either way.
    const settled = () => {
      if (this.channel.isReady) void this.postView();
    };
    document.model.then(settled, settled);
  }

  /** Sends a request to the webview once it is ready. */
  async request<T>(request: DatasetHostRequest): Promise<T> {
    await this.channel.whenReady(20_000);
    return this.channel.request<T>(request);
  }

  private onProgress(p: DatasetProgress): void {
    if (!this.channel.isReady) return;
    // Progress during indexing arrives per 4 MB chunk; the view only needs a few updates a second.
    const now = Date.now();
    if (p.phase === 'indexing' && now - this.lastProgressPost < 100) return;
    this.lastProgressPost = now;
    this.channel.post({ type: 'progress', progress: p });
    if (p.phase !== 'indexing') void this.postView();
  }

  private async postView(): Promise<void> {
    try {
      const model = await this.document.model;
      if (this.isDisposed) return;
      const view = model.view();
      this.channel.post({ type: 'view', view });
      this.scheduleDashboard(view.complete, view.totalRows);
    } catch (e) {
      if (!this.isDisposed) this.channel.post({ type: 'failed', message: failureMessage(e, this.document.uri) });
    }
  }

  /**
   * Posts the dashboard while it grows and once at the end: at most every {@link DASHBOARD_EVERY_MS}, less
   * often past 100,000 rows (each recomputation sorts every trace's figures).
   */
  private scheduleDashboard(final: boolean, rows: number): void {
    if (this.dashboardTimer !== undefined) return;
    const every = Math.max(DASHBOARD_EVERY_MS, rows / 200);
    const wait = final ? 0 : Math.max(0, this.lastDashboardPost + every - Date.now());
    this.dashboardTimer = setTimeout(() => {
      this.dashboardTimer = undefined;
      this.lastDashboardPost = Date.now();
      void this.document.model.then((model) => {
        if (!this.isDisposed) this.channel.postIfReady({ type: 'dashboard', dashboard: model.dashboard() });
      }, () => undefined);
    }, wait);
  }

  private readonly perform = dispatcher<DatasetWebviewRequest, Promise<DatasetRowsResult | DatasetView | string | null>>({
    rows: async (r) => (await this.document.model).rows(r.start, r.count),
    query: async (r) => (await this.document.model).setQuery(r.query),
    open: async (r) => {
      await this.open(r.row);
      return null;
    },
    select: async (r) => {
      await this.follow(r.row);
      return null;
    },
    cancel: async () => {
      this.document.cancel();
      return null;
    },
    behaviours: async (r) => {
      if (r.action === 'start') void this.document.startBehaviours();
      else this.document.stopBehaviours();
      return null;
    },
    openExample: async (r) => {
      await this.openExample(r.example);
      return null;
    },
    exportHandbook: async () => (await this.exportHandbook()) ?? null,
  });

  /**
   * The selected row drives the side panel: its trace (read as the trace view reads it) becomes the
   * active session, though no editor shows it. Error rows and stale selections change nothing.
   */
  async follow(row: DatasetRow): Promise<void> {
    if (row.error !== undefined || row.traceId === '') return;
    const seq = ++this.followSeq;
    const document = await vscode.workspace.openTextDocument(traceViewUri(this.document.uri, row.record, row.traceId));
    if (seq !== this.followSeq || this.isDisposed) return;
    if (!this.sessions.activateDocument(document)) this.log.warn(`dataset: record ${row.record + 1} (${row.traceId}) has no trace for the side panel`);
  }

  /** Opens the trace of a behaviour example in a trace view and selects its step. */
  async openExample(example: BehaviourExampleView): Promise<void> {
    const model = await this.document.model;
    const trace = model.readRecord(example.record).traces[example.trace];
    if (!trace) throw new Error(`record ${example.record + 1} of ${basename(this.document.uri.fsPath)} has no trace ${example.trace + 1} any more: the file changed; find the behaviours again`);
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>(CommandIds.openTraceView, this.document.uri, example.record, trace.id);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri?.toString());
    if (!editor) return;
    const open = this.sessions.sessionFor(editor.document);
    const step = open ? paragraphSteps(open.session.trace)[example.step] : undefined;
    if (!open || open.reasoningOffset === undefined || !step) return;
    const start = editor.document.positionAt(open.reasoningOffset + step.start);
    const end = editor.document.positionAt(open.reasoningOffset + step.end);
    editor.selection = new vscode.Selection(start, end);
    editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** Asks where to write the behaviour handbook (markdown), writes it atomically and opens it. */
  async exportHandbook(target?: string): Promise<string | undefined> {
    const report = this.document.behavioursReport;
    if (!report) throw new Error('find the recurring behaviours first (Behaviours tab), then export them');
    const source = this.document.uri.fsPath;
    let path = target;
    if (path === undefined) {
      const suggested = join(dirname(source), `${basename(source, extname(source))}.behaviours.md`);
      const picked = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggested), filters: { Markdown: ['md'] }, saveLabel: 'Export Handbook' });
      if (!picked) return undefined;
      path = picked.fsPath;
    }
    await assertNotSource(source, path);
    const markdown = behaviourHandbook(report, { title: basename(source), files: [vscode.workspace.asRelativePath(this.document.uri, false)] });
    await writeFileAtomic(path, markdown);
    await vscode.window.showTextDocument(vscode.Uri.file(path), { preview: false });
    return path;
  }


  /**
   * Opens a row: a trace in the trace view, an error row as text at its line (so the user can see and
   * fix the record). The row comes from the webview, so its record is checked against the file.
   */
  async open(row: DatasetRow): Promise<void> {
    const model = await this.document.model;
    const records = model.view().records;
    if (row.record > records || (row.error === undefined && row.record === records)) throw new Error(`record ${row.record + 1} is not in ${basename(this.document.uri.fsPath)}`);
    if (row.error !== undefined) {
      const line = Math.max(0, row.line - 1);
      await vscode.window.showTextDocument(this.document.uri, {
        selection: new vscode.Range(line, 0, line, 0),
        preview: true,
      });
      return;
    }
    await vscode.commands.executeCommand(CommandIds.openTraceView, this.document.uri, row.record, row.id);
  }
}

/** Polls `done` every 50 ms until it holds; rejects with `message` after `timeoutMs` (default 60 s). */
async function until(done: () => boolean, timeoutMs: number | undefined, message: string): Promise<void> {
  const deadline = Date.now() + (timeoutMs ?? 60_000);
  while (!done()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function failureMessage(e: unknown, uri: vscode.Uri): string {
  if (isAbortError(e)) return `Indexing ${basename(uri.fsPath)} was cancelled. Reopen the file to try again.`;
  const message = e instanceof Error ? e.message : String(e);
  return `Cannot show ${basename(uri.fsPath)} as a dataset: ${message}`;
}

/**
 * The dataset browser: a read-only custom editor for `.jsonl`/`.json` trace datasets (priority
 * "option": text stays the default editor). The webview shows a virtualised table and asks for row
 * ranges; the host parses only those records, then summarises the rest in the background.
 */
export class DatasetEditorProvider extends Disposable implements vscode.CustomReadonlyEditorProvider<DatasetDocument> {
  private readonly panels = new Set<DatasetPanel>();
  private activePanel: DatasetPanel | undefined;

  static register(ctx: LensContext): DatasetEditorProvider {
    const { log } = ctx;
    const provider = new DatasetEditorProvider(ctx.extension.extensionUri, log, ctx.sessions);
    ctx.extension.subscriptions.push(
      provider,
      vscode.window.registerCustomEditorProvider(DatasetViewType, provider, {
        // State lives in the host's model and the webview's getState: no need to keep hidden webviews alive.
        webviewOptions: { retainContextWhenHidden: false },
        supportsMultipleEditorsPerDocument: true,
      }),
      registerCommand(CommandIds.openDataset, log, (uri?: vscode.Uri) => provider.openDataset(uri)),
      registerCommand(CommandIds.datasetInternal, log, (request: DatasetInternalRequest) => provider.internal(request)),
    );
    return provider;
  }

  private constructor(private readonly extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel, private readonly sessions: SessionManager) {
    super();
    this._register({ dispose: () => { for (const p of this.panels) p.dispose(); } });
  }

  openCustomDocument(uri: vscode.Uri): DatasetDocument {
    return new DatasetDocument(uri, this.log);
  }

  resolveCustomEditor(document: DatasetDocument, webviewPanel: vscode.WebviewPanel): void {
    const panel = new DatasetPanel(document, webviewPanel, this.extensionUri, this.log, this.sessions);
    this.panels.add(panel);
    this.activePanel = panel;
    webviewPanel.onDidChangeViewState(() => {
      if (webviewPanel.active) this.activePanel = panel;
    });
    webviewPanel.onDidDispose(() => {
      this.panels.delete(panel);
      if (this.activePanel === panel) this.activePanel = [...this.panels].pop();
      panel.dispose();
    });
  }

  /**
   * "Open with Reasoning Lens": the given file (explorer, editor title), else the active editor's
   * `.json`/`.jsonl` file, else one picked from the workspace.
   */
  async openDataset(uri?: vscode.Uri): Promise<void> {
    let target = uri instanceof vscode.Uri ? uri : undefined;
    if (!target) {
      const active = vscode.window.activeTextEditor?.document.uri;
      if (active && /\.(jsonl|json|ndjson)$/i.test(active.path)) target = active;
    }
    target ??= await pickDataset();
    if (!target) return;
    await vscode.commands.executeCommand('vscode.openWith', target, DatasetViewType);
  }

  private panelFor(): DatasetPanel {
    const panel = this.activePanel;
    if (!panel) throw new Error('no dataset browser is open: open a .jsonl or .json file with "Open with Reasoning Lens" first');
    return panel;
  }

  /** The internal command: drives the active browser for tests (through its webview where that proves rendering). */
  async internal(request: DatasetInternalRequest): Promise<unknown> {
    const panel = this.panelFor();
    switch (request.action) {
      case 'describe': {
        const d = await panel.request<DatasetDescription>({ kind: 'describe' });
        if (!isDatasetDescription(d)) throw new Error('the dataset browser answered describe with a malformed description');
        return d;
      }
      case 'view':
        return { ...(await panel.document.model).view(), indexedAfterMs: panel.document.indexedAfterMs };
      case 'rows':
        return (await panel.document.model).rows(request.start, request.count);
      case 'setQuery':
        return panel.request<null>({ kind: 'setQuery', query: request.query });
      case 'activate':
        return panel.request<null>({ kind: 'activate', row: request.row });
      case 'whenComplete': {
        const model = await panel.document.model;
        await until(() => model.complete, request.timeoutMs, 'the dataset was not summarised in time');
        return model.view();
      }
      case 'whenSearched': {
        const model = await panel.document.model;
        await until(() => { const s = model.view().search; return !s || s.phase === 'done' || s.phase === 'failed'; }, request.timeoutMs, 'the search did not finish in time');
        return model.view();
      }
      case 'select':
        return panel.request<null>({ kind: 'select', row: request.row });
      case 'dashboard':
        return (await panel.document.model).dashboard();
      case 'clickBar':
        return panel.request<null>({ kind: 'clickBar', metric: request.metric, bar: request.bar });
      case 'showTab':
        return panel.request<null>({ kind: 'showTab', tab: request.tab });
      case 'behaviours': {
        await panel.request<null>({ kind: 'showTab', tab: 'behaviours' });
        await Promise.race([
          panel.document.startBehaviours(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('the behaviours were not found in time')), request.timeoutMs ?? 60_000)),
        ]);
        return panel.document.behavioursState;
      }
      case 'clickExample':
        return panel.request<null>({ kind: 'clickExample', rank: request.rank, example: request.example });
      case 'exportHandbook':
        return panel.exportHandbook(request.path);
      default:
        return assertNever(request);
    }
  }
}

/** A quick pick of the workspace's `.jsonl`/`.json` files, or a file dialog when there is no workspace. */
async function pickDataset(): Promise<vscode.Uri | undefined> {
  if (!vscode.workspace.workspaceFolders?.length) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Open with Reasoning Lens',
      filters: { 'Trace datasets': ['jsonl', 'json', 'ndjson'] },
    });
    return picked?.[0];
  }
  const files = await vscode.workspace.findFiles('**/*.{jsonl,json,ndjson}', '**/node_modules/**', 500);
  if (files.length === 0) {
    void vscode.window.showInformationMessage('Reasoning Lens: no .jsonl or .json files in this workspace. Right-click a dataset file in the explorer and choose "Open with Reasoning Lens".');
    return undefined;
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  const item = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri, false), uri })),
    { placeHolder: 'Dataset to open with Reasoning Lens', matchOnDescription: true },
  );
  return item?.uri;
}
