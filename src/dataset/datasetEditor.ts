import * as vscode from 'vscode';
import { basename } from 'node:path';
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
  type DatasetDescription,
  type DatasetHostRequest,
  type DatasetNotification,
  type DatasetProgress,
  type DatasetQuery,
  type DatasetRow,
  type DatasetRowsResult,
  type DatasetView,
  type DatasetWebviewRequest,
  parseFromDatasetWebview,
} from '../shared/datasetProtocol';
import { Disposable } from '../util/disposable';
import type { LensContext } from '../services/context';
import { DatasetModel } from './datasetModel';
import { openRecordSource } from './recordSource';
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
  | { readonly action: 'whenComplete'; readonly timeoutMs?: number };

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

  constructor(readonly uri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {
    super();
    const started = Date.now();
    this.model = this.load(started);
    // An unhandled rejection here would be logged by VS Code as an extension error: the panels show it.
    this.model.catch(() => undefined);
    this._register({ dispose: () => this.abort.abort() });
  }

  get progress(): DatasetProgress {
    return this.lastProgress;
  }

  /** Stops indexing or summarising. */
  cancel(): void {
    this.abort.abort();
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
    const model = new DatasetModel(source, basename(path));
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

/** One webview showing a {@link DatasetDocument}. */
class DatasetPanel extends Disposable {
  private readonly channel: HostChannel<DatasetNotification, DatasetHostRequest, DatasetWebviewRequest>;
  private lastProgressPost = 0;

  constructor(
    readonly document: DatasetDocument,
    readonly webviewPanel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
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
        void this.postView();
      },
      describeError: (e) => failureMessage(e, this.document.uri),
    }));
    this._register(document.onDidProgress((p) => this.onProgress(p)));
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
      if (!this.isDisposed) this.channel.post({ type: 'view', view: model.view() });
    } catch (e) {
      if (!this.isDisposed) this.channel.post({ type: 'failed', message: failureMessage(e, this.document.uri) });
    }
  }

  private readonly perform = dispatcher<DatasetWebviewRequest, Promise<DatasetRowsResult | DatasetView | null>>({
    rows: async (r) => (await this.document.model).rows(r.start, r.count),
    query: async (r) => (await this.document.model).setQuery(r.query),
    open: async (r) => {
      await this.open(r.row);
      return null;
    },
    cancel: async () => {
      this.document.cancel();
      return null;
    },
  });


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
    const provider = new DatasetEditorProvider(ctx.extension.extensionUri, log);
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

  private constructor(private readonly extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {
    super();
    this._register({ dispose: () => { for (const p of this.panels) p.dispose(); } });
  }

  openCustomDocument(uri: vscode.Uri): DatasetDocument {
    return new DatasetDocument(uri, this.log);
  }

  resolveCustomEditor(document: DatasetDocument, webviewPanel: vscode.WebviewPanel): void {
    const panel = new DatasetPanel(document, webviewPanel, this.extensionUri, this.log);
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
        const deadline = Date.now() + (request.timeoutMs ?? 60_000);
        while (!model.complete) {
          if (Date.now() > deadline) throw new Error('the dataset was not summarised in time');
          await new Promise((r) => setTimeout(r, 50));
        }
        return model.view();
      }
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
