import * as vscode from 'vscode';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Disposable } from '../util/disposable';
import { DEFAULT_MAX_RECORD_BYTES, parseTraceRecord, parseTraceText, safeParseJson } from '../core/trace';
import { promptBeside } from '../core/trace/read';
import { decodeUtf8 } from '../core/trace/bytes';
import { segment } from '../core/steps';
import { TraceSession, type PersistedSession, type SessionChange } from '../core/session';
import type { Trace } from '../core/trace/types';
import type { TraceSummary } from '../shared/protocol';
import { onDidChangeSettings, parseOptionsFor, readSettings } from './config';
import { traceContentHash } from '../pipeline/scoreCache';
import { own } from './context';

/**
 * What a resolver (or the parser) found in a document: the trace, and where its reasoning sits in the
 * document's text. Becomes an {@link OpenTrace} once the manager gives it a session.
 */
export interface ResolvedTrace {
  readonly trace: Trace;
  /** Offset of `trace.reasoning` in the document text, or undefined when the document does not contain it verbatim. */
  readonly reasoningOffset: number | undefined;
}

/** Resolves documents of a custom scheme (e.g. the trace view's virtual documents) to traces. */
export type TraceResolver = (document: vscode.TextDocument) => ResolvedTrace | undefined;

/** The document a view of another document stands for (e.g. Compare's original and pruned sides). */
export type TraceAlias = (uri: vscode.Uri) => vscode.Uri | undefined;

/**
 * A trace open in a document: the document's URI, its {@link TraceSession} (steps, scores, plan,
 * undo), where its reasoning sits in the text, and the summary the views show. One per document.
 */
export interface OpenTrace {
  readonly uri: vscode.Uri;
  readonly session: TraceSession;
  /** Offset of the reasoning in the document text; undefined when the text does not hold it verbatim. */
  readonly reasoningOffset: number | undefined;
  readonly summary: TraceSummary;
}

/** Languages whose documents may hold a trace as text. */
const TRACE_LANGUAGES = new Set(['markdown', 'plaintext', 'json', 'jsonl']);
const PERSIST_PREFIX = 'reasoningLens.plan:';

/**
 * Owns a `TraceSession` per open trace document and follows the active editor. Parsing is pure core
 * code; this class only wires it to editor events and persists each session's plan in workspace
 * state (keyed by file and content hash; the source file is never modified). Bad input never throws
 * out of here: a document that is not a trace simply has no session.
 */
export class SessionManager extends Disposable {
  private readonly sessions = new Map<string, { version: number; value: OpenTrace | undefined; unsubscribe?: () => void }>();
  private readonly resolvers = new Map<string, TraceResolver>();
  private readonly aliases = new Map<string, TraceAlias>();
  private activeSession: OpenTrace | undefined;
  private readonly activeChanged = this._register(new vscode.EventEmitter<OpenTrace | undefined>());
  private readonly sessionChanged = this._register(new vscode.EventEmitter<{ session: OpenTrace; change: SessionChange }>());
  /** Fires when the active trace changes (another editor, an edit, a settings change). */
  readonly onDidChangeActive = this.activeChanged.event;
  /** Fires when any session's plan or scores change. */
  readonly onDidChangeSession = this.sessionChanged.event;

  /** Creates the manager; disposed with the extension. */
  static create(extension: vscode.ExtensionContext, log: vscode.LogOutputChannel): SessionManager {
    return own(extension, new SessionManager(extension.workspaceState, log));
  }

  private constructor(private readonly memento: vscode.Memento, private readonly log: vscode.LogOutputChannel) {
    super();
    this._register(vscode.window.onDidChangeActiveTextEditor(() => this.refreshActive()));
    this._register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && e.document === vscode.window.activeTextEditor?.document) this.refreshActive();
      }),
    );
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)));
    this._register(
      onDidChangeSettings(() => {
        for (const key of [...this.sessions.keys()]) this.forget(vscode.Uri.parse(key));
        this.refreshActive();
      }),
    );
    this._register({ dispose: () => { for (const e of this.sessions.values()) e.unsubscribe?.(); } });
    this.refreshActive();
  }

  /** The session of the active editor (kept while focus is in a panel or webview). */
  get active(): OpenTrace | undefined {
    return this.activeSession;
  }

  /** The trace of the open document with URI `key` (a string or a URI), if any. */
  openTrace(key: string | vscode.Uri): OpenTrace | undefined {
    const uri = typeof key === 'string' ? key : key.toString();
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    return document ? this.sessionFor(document) : undefined;
  }

  /** Lets documents of `scheme` be resolved to traces by `resolver` instead of by parsing their text. */
  registerResolver(scheme: string, resolver: TraceResolver): vscode.Disposable {
    this.resolvers.set(scheme, resolver);
    return new vscode.Disposable(() => this.resolvers.delete(scheme));
  }

  /**
   * Documents of `scheme` are views of another document's trace (`alias` names it): they get no
   * session of their own, and while one is the active editor that document's trace stays active.
   */
  registerAlias(scheme: string, alias: TraceAlias): vscode.Disposable {
    this.aliases.set(scheme, alias);
    return new vscode.Disposable(() => this.aliases.delete(scheme));
  }

  /** The session of a document, parsing it on first use and after edits. */
  sessionFor(document: vscode.TextDocument): OpenTrace | undefined {
    const key = document.uri.toString();
    const cached = this.sessions.get(key);
    if (cached && cached.version === document.version) return cached.value;
    cached?.unsubscribe?.();
    const value = this.create(document);
    const unsubscribe = value?.session.onDidChange((change) => {
      if (change === 'plan') void this.persist(value);
      this.sessionChanged.fire({ session: value, change });
    });
    this.sessions.set(key, { version: document.version, value, ...(unsubscribe ? { unsubscribe } : {}) });
    return value;
  }

  /** Re-reads the active editor's trace and fires `onDidChangeActive`. */
  refreshActive(): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const alias = this.aliases.get(editor.document.uri.scheme);
    const source = alias ? alias(editor.document.uri)?.toString() : undefined;
    const document = alias ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === source) : editor.document;
    // A view of a trace whose document is closed changes nothing.
    if (!document) return;
    const next = this.sessionFor(document);
    this.activeSession = next;
    this.activeChanged.fire(next);
  }

  /**
   * Makes the trace of a document that no text editor shows the active one (the dataset browser's
   * selected row), so the side panel follows it; the next active text editor takes over again.
   */
  activateDocument(document: vscode.TextDocument): OpenTrace | undefined {
    const next = this.sessionFor(document);
    if (!next) return undefined;
    this.activeSession = next;
    this.activeChanged.fire(next);
    return next;
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.sessions.get(key)?.unsubscribe?.();
    this.sessions.delete(key);
  }

  private create(document: vscode.TextDocument): OpenTrace | undefined {
    if (this.aliases.has(document.uri.scheme)) return undefined;
    const resolver = this.resolvers.get(document.uri.scheme);
    if (!resolver && !TRACE_LANGUAGES.has(document.languageId)) return undefined;
    try {
      const found = resolver ? resolver(document) : parseDocumentTrace(document);
      if (!found || found.trace.format === 'unrecognised') return undefined;
      const { trace } = found;
      const segmentation = readSettings(document.uri).segmentation;
      const steps = segment(trace.reasoning, segmentation, trace.chunks);
      const persisted = this.memento.get<PersistedSession>(persistKey(document.uri, trace));
      const session = new TraceSession(trace, steps, segmentation, persisted);
      const file = document.uri.scheme === 'file' ? basename(document.uri.fsPath) : basename(document.uri.path);
      return {
        uri: document.uri,
        session,
        reasoningOffset: found.reasoningOffset,
        summary: {
          name: file,
          format: trace.format,
          steps: steps.length,
          characters: trace.reasoning.length,
          truncated: trace.truncated,
          ...(trace.finalAnswer !== undefined ? { finalAnswer: trace.finalAnswer } : {}),
        },
      };
    } catch (error) {
      this.log.warn(`could not read ${document.uri.toString()} as a trace:`, String(error));
      return undefined;
    }
  }

  private async persist(value: OpenTrace): Promise<void> {
    try {
      await this.memento.update(persistKey(value.uri, value.session.trace), value.session.toPersisted());
    } catch (error) {
      this.log.warn('could not save the prune plan:', String(error));
    }
  }
}

/**
 * The step a document line belongs to (a gutter click, a line-number menu): the first step that
 * starts on the line, else the step the line lies in. Undefined outside the reasoning or when the
 * document does not hold the reasoning verbatim.
 */
export function stepOnLine(doc: OpenTrace, document: vscode.TextDocument, line: number): number | undefined {
  if (doc.reasoningOffset === undefined || line < 0 || line >= document.lineCount) return undefined;
  const { session } = doc;
  const lineStart = document.offsetAt(new vscode.Position(line, 0)) - doc.reasoningOffset;
  const lineEnd = document.offsetAt(document.lineAt(line).range.end) - doc.reasoningOffset;
  // The last step that starts by the end of the line.
  let step = session.stepAt(lineEnd);
  if (!step) return undefined;
  if (step.start >= lineStart) {
    // It starts on this line: go back to the first step that does.
    while (step.index > 0 && session.steps[step.index - 1]!.start >= lineStart) step = session.steps[step.index - 1]!;
    return step.index;
  }
  return step.end > lineStart ? step.index : undefined;
}

function persistKey(uri: vscode.Uri, trace: Trace): string {
  return `${PERSIST_PREFIX}${uri.toString()}#${trace.id}:${traceContentHash(trace).slice(0, 16)}`;
}

/** The prompt of a `response.md` from its `prompt.md` beside it (as every reader takes it), if there is one. */
function promptFor(path: string): string | undefined {
  const file = promptBeside(path);
  if (!file) return undefined;
  try {
    if (statSync(file).size > DEFAULT_MAX_RECORD_BYTES) return undefined;
    return decodeUtf8(readFileSync(file)).text;
  } catch {
    return undefined;
  }
}

/**
 * The first trace in an open document's (possibly unsaved) text: a JSON document is one record, a
 * JSONL document's first line is; anything else is text with reasoning delimiters.
 */
function parseDocumentTrace(document: vscode.TextDocument): ResolvedTrace | undefined {
  const text = document.getText();
  const file = document.uri.scheme === 'file' ? document.uri.fsPath : document.uri.toString();
  const source = { file, line: 1 };
  if (document.languageId === 'json' || document.languageId === 'jsonl') {
    const newline = text.indexOf('\n');
    const firstRecord = document.languageId === 'jsonl' && newline >= 0 ? text.slice(0, newline) : text;
    const parsed = safeParseJson(firstRecord);
    if (!parsed.ok) return undefined;
    const trace = parseTraceRecord(parsed.value, parseOptionsFor(document.uri), source).traces[0];
    return trace ? { trace, reasoningOffset: undefined } : undefined;
  }
  const prompt = document.uri.scheme === 'file' ? promptFor(document.uri.fsPath) : undefined;
  const trace = parseTraceText(text, { ...parseOptionsFor(document.uri), ...(prompt !== undefined ? { prompt } : {}) }, source);
  const offset = trace.metadata.reasoningOffset;
  return { trace, reasoningOffset: typeof offset === 'number' ? offset : undefined };
}
