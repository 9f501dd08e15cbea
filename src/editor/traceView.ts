import * as vscode from 'vscode';
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { Disposable } from '../util/disposable';
import { indexJsonl, isEventStream, readTraces, type JsonlIndex } from '../core/trace';
import { headRecords } from '../core/trace/read';
import type { Trace } from '../core/trace/types';
import type { ResolvedTrace } from '../services/sessionManager';
import type { LensContext } from '../services/context';
import { CommandIds } from '../commands/commandIds';
import { registerCommand } from '../commands/registerCommand';
import { renderTrace } from './render';
import { parseOptionsFor } from '../services/config';

/** URI scheme of the read-only trace views. */
export const TraceViewScheme = 'reasoning-lens';

/**
 * The URI of the trace view of a file's trace: `record` is the 0-based record of a JSONL/JSON-array
 * dataset (default: the first), `traceId` picks one of several traces in that record (e.g. one model's
 * solution in a GSM8K row; default: the record's first). The path ends in `.md` so the view opens as
 * markdown, and its name says which file and record it shows.
 */
export function traceViewUri(file: vscode.Uri, record?: number, traceId?: string): vscode.Uri {
  const query = new URLSearchParams({ file: file.toString() });
  if (record !== undefined) query.set('record', String(record));
  if (traceId !== undefined) query.set('trace', traceId);
  const name = basename(file.path);
  const shortId = traceId?.split('/').pop()?.replace(/[\\/?#]/g, '_');
  const label = `${name}${record !== undefined ? ` [${record + 1}]` : ''}${shortId ? ` ${shortId}` : ''}.md`;
  return vscode.Uri.from({ scheme: TraceViewScheme, path: `${dirname(file.path)}/${label}`, query: query.toString() });
}

/** What a trace-view URI asks for. */
export interface TraceViewRequest {
  readonly file: vscode.Uri;
  readonly record: number | undefined;
  readonly traceId: string | undefined;
}

/** Parses a trace-view URI; throws with a readable message when it was not made by {@link traceViewUri}. */
function parseTraceViewUri(uri: vscode.Uri): TraceViewRequest {
  const q = new URLSearchParams(uri.query);
  const file = q.get('file');
  if (!file) throw new Error(`${uri.toString()} names no file`);
  const recordText = q.get('record');
  const record = recordText === null ? undefined : Number(recordText);
  if (record !== undefined && (!Number.isSafeInteger(record) || record < 0)) throw new Error(`bad record number "${recordText}"`);
  return { file: vscode.Uri.parse(file), record, traceId: q.get('trace') ?? undefined };
}

interface Stamp { readonly mtimeMs: number; readonly size: number }
const sameStamp = (a: Stamp, b: Stamp): boolean => a.mtimeMs === b.mtimeMs && a.size === b.size;

/**
 * Reads traces from files, with caches keyed by path and invalidated by mtime/size: a JSONL index per
 * dataset (so a record is one positioned read), and the parsed traces of whole-file formats.
 */
class TraceStore {
  private readonly indexes = new Map<string, { stamp: Stamp; index: JsonlIndex }>();
  private readonly files = new Map<string, { stamp: Stamp; traces: Trace[]; errors: string[] }>();
  private readonly records = new Map<string, { stamp: Stamp; traces: Trace[] }>();

  async load(request: TraceViewRequest): Promise<Trace> {
    if (request.file.scheme !== 'file') throw new Error(`only files on disk can be opened as trace views (got ${request.file.scheme}:)`);
    const path = request.file.fsPath;
    const stamp = await stat(path).then((s) => ({ mtimeMs: s.mtimeMs, size: s.size }), (e: Error) => {
      throw new Error(`cannot read ${path}: ${e.message}`);
    });
    const ext = extname(path).toLowerCase();
    const traces = ext === '.jsonl' || ext === '.ndjson' ? await this.jsonlRecord(path, stamp, request.record ?? 0) : await this.wholeFile(path, stamp, request.record);
    if (traces.length === 0) throw new Error(`${basename(path)}${request.record !== undefined ? ` record ${request.record + 1}` : ''} holds no trace`);
    if (request.traceId === undefined) return traces[0]!;
    const found = traces.find((t) => t.id === request.traceId);
    if (!found) throw new Error(`no trace "${request.traceId}" in ${basename(path)} (it has ${traces.map((t) => t.id).slice(0, 8).join(', ')})`);
    return found;
  }

  private async jsonlRecord(path: string, stamp: Stamp, record: number): Promise<Trace[]> {
    // The field mapping setting changes how a record reads: it is part of the key.
    const key = `${path}\u0000${record}\u0000${JSON.stringify(parseOptionsFor(vscode.Uri.file(path)))}`;
    const cached = this.records.get(key);
    if (cached && sameStamp(cached.stamp, stamp)) return cached.traces;
    let entry = this.indexes.get(path);
    if (!entry || !sameStamp(entry.stamp, stamp)) {
      entry?.index.close();
      entry = { stamp, index: await indexJsonl(path) };
      this.indexes.set(path, entry);
    }
    // A stream capture (one event per line) is one response, read whole.
    if (isEventStream(headRecords(entry.index, 8))) return this.wholeFile(path, stamp, record === 0 ? undefined : record);
    if (record >= entry.index.count) throw new Error(`${basename(path)} has ${entry.index.count} records; record ${record + 1} does not exist`);
    const res = entry.index.readTraces(record, parseOptionsFor(vscode.Uri.file(path)));
    if (res.traces.length === 0 && res.errors.length) throw new Error(res.errors.map((e) => e.message).join('; '));
    this.remember(this.records, key, { stamp, traces: res.traces });
    return res.traces;
  }

  private async wholeFile(path: string, stamp: Stamp, record: number | undefined): Promise<Trace[]> {
    const fileKey = `${path}\u0000${JSON.stringify(parseOptionsFor(vscode.Uri.file(path)))}`;
    let cached = this.files.get(fileKey);
    if (!cached || !sameStamp(cached.stamp, stamp)) {
      // A Thought-Anchors base_solution.json is read with its folder, so its chunks (function tags,
      // importance) come along.
      const folder = dirname(path);
      const whole = basename(path) === 'base_solution.json' && existsSync(join(folder, 'chunks_labeled.json')) ? folder : path;
      const res = await readTraces(whole, parseOptionsFor(vscode.Uri.file(path)));
      cached = { stamp, traces: res.traces, errors: res.errors.map((e) => e.message) };
      this.remember(this.files, fileKey, cached);
    }
    if (cached.traces.length === 0) throw new Error(cached.errors[0] ?? `${basename(path)} holds no trace`);
    if (record === undefined) return cached.traces;
    // JSON arrays: traces carry `$[i]` ids or json paths; fall back to the i-th trace.
    const inRecord = cached.traces.filter((t) => t.source.jsonPath === `$[${record}]`);
    if (inRecord.length) return inRecord;
    const t = cached.traces[record];
    if (!t) throw new Error(`${basename(path)} has ${cached.traces.length} traces; record ${record + 1} does not exist`);
    return [t];
  }

  /** Small LRU: the most recently used entries stay. */
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > 64) map.delete(map.keys().next().value as string);
  }

  dispose(): void {
    for (const e of this.indexes.values()) e.index.close();
    this.indexes.clear();
  }
}

/**
 * The read-only trace views: a content provider for `reasoning-lens:` URIs that renders a trace as
 * markdown (`# Prompt`, `# Reasoning`, `# Answer`), and the resolver that tells the session manager
 * which trace a view shows and where its reasoning starts. The source file is only ever read.
 */
export class TraceViewProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly store = new TraceStore();
  private readonly rendered = new Map<string, ResolvedTrace>();
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  static register(ctx: LensContext): TraceViewProvider {
    const { log } = ctx;
    const provider = new TraceViewProvider(log);
    ctx.extension.subscriptions.push(
      provider,
      vscode.workspace.registerTextDocumentContentProvider(TraceViewScheme, provider),
      ctx.sessions.registerResolver(TraceViewScheme, (doc) => provider.rendered.get(doc.uri.toString())),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme === TraceViewScheme) provider.rendered.delete(doc.uri.toString());
      }),
      registerCommand(CommandIds.openTraceView, log, (file?: vscode.Uri | string, record?: number, traceId?: string) =>
        provider.open(file, record, traceId)),
    );
    return provider;
  }

  /** One watcher per source file with open views, so a view re-renders when its file changes on disk. */
  private readonly watchers = new Map<string, { watcher: vscode.FileSystemWatcher; views: Set<string> }>();

  private constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this._register({ dispose: () => this.store.dispose() });
    this._register({ dispose: () => { for (const w of this.watchers.values()) w.watcher.dispose(); this.watchers.clear(); } });
    this._register(vscode.workspace.onDidCloseTextDocument((doc) => this.unwatch(doc.uri)));
  }

  private watch(view: vscode.Uri, file: vscode.Uri): void {
    if (file.scheme !== 'file') return;
    const key = file.toString();
    let entry = this.watchers.get(key);
    if (!entry) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(file.fsPath)), basename(file.fsPath)), true, false, false);
      const views = new Set<string>();
      const refresh = () => { for (const v of views) this.changed.fire(vscode.Uri.parse(v)); };
      watcher.onDidChange(refresh);
      watcher.onDidDelete(refresh);
      entry = { watcher, views };
      this.watchers.set(key, entry);
    }
    entry.views.add(view.toString());
  }

  private unwatch(view: vscode.Uri): void {
    if (view.scheme !== TraceViewScheme) return;
    for (const [key, entry] of this.watchers) {
      if (entry.views.delete(view.toString()) && entry.views.size === 0) {
        entry.watcher.dispose();
        this.watchers.delete(key);
      }
    }
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    try {
      const request = parseTraceViewUri(uri);
      this.watch(uri, request.file);
      const trace = await this.store.load(request);
      const view = renderTrace(trace);
      this.rendered.set(uri.toString(), { trace, reasoningOffset: view.reasoningOffset });
      return view.text;
    } catch (error) {
      // A view that cannot be read says so in place instead of failing to open.
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn(`trace view ${uri.toString()}: ${message}`);
      this.rendered.delete(uri.toString());
      return `# Could not open this trace\n\n${message}\n\nCheck that the file still exists and is a trace dataset (JSONL, JSON, or text with <think> tags).\n`;
    }
  }

  /**
   * Opens the trace view of `file` (record `record`, trace `traceId`). Without a file it opens the
   * active editor's file, at the JSONL record under the cursor.
   */
  async open(file?: vscode.Uri | string, record?: number, traceId?: string): Promise<vscode.Uri> {
    let target = typeof file === 'string' ? (file.includes('://') || file.startsWith('file:') ? vscode.Uri.parse(file) : vscode.Uri.file(file)) : file;
    if (record !== undefined && (typeof record !== 'number' || !Number.isSafeInteger(record) || record < 0)) throw new Error(`record must be a 0-based record number (got ${String(record)})`);
    if (traceId !== undefined && typeof traceId !== 'string') throw new Error('trace id must be a string');
    if (!target) {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.uri.scheme !== 'file') throw new Error('Open a trace file (JSONL, JSON or markdown) first, or pick a record in the dataset browser.');
      target = editor.document.uri;
      if (record === undefined && /\.(jsonl|ndjson)$/i.test(target.path)) record = recordAtLine(editor.document, editor.selection.active.line);
    }
    const uri = traceViewUri(target, record, traceId);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
    return uri;
  }
}

/** 0-based JSONL record on `line` (blank lines hold no record). */
function recordAtLine(doc: vscode.TextDocument, line: number): number {
  let record = 0;
  for (let i = 0; i < line && i < doc.lineCount; i++) if (!doc.lineAt(i).isEmptyOrWhitespace) record++;
  return record;
}
