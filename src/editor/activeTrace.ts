import * as vscode from 'vscode';
import { basename } from 'node:path';
import { Disposable } from '../util/disposable';
import { parseTraceRecord, parseTraceText, safeParseJson } from '../core/trace';
import { segment } from '../core/steps';
import type { Trace } from '../core/trace/types';
import type { Step } from '../core/types';
import type { TraceSummary } from '../shared/protocol';
import { onDidChangeSettings, readSettings } from '../config';

/** The trace shown in the active editor, parsed and segmented. */
export interface ActiveTrace {
  readonly uri: vscode.Uri;
  readonly trace: Trace;
  readonly steps: readonly Step[];
  readonly summary: TraceSummary;
}

/** Languages whose documents may hold a single trace as text. */
const TRACE_LANGUAGES = new Set(['markdown', 'plaintext', 'json', 'jsonl']);

/**
 * Follows the active text editor and keeps the trace it shows (if any) parsed. Parsing is pure core
 * code; this class only wires it to editor events. Bad input never throws out of here: a document
 * that is not a trace simply has no active trace.
 */
export class ActiveTraceTracker extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<ActiveTrace | undefined>());
  /** Fires when the active trace changes (another editor, an edit, a settings change). */
  readonly onDidChange = this.changed.event;
  private active: ActiveTrace | undefined;

  static register(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): ActiveTraceTracker {
    const tracker = new ActiveTraceTracker(log);
    context.subscriptions.push(tracker);
    return tracker;
  }

  private constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this._register(vscode.window.onDidChangeActiveTextEditor(() => this.refresh()));
    this._register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) this.refresh();
      }),
    );
    this._register(onDidChangeSettings(() => this.refresh()));
    this.refresh();
  }

  get current(): ActiveTrace | undefined {
    return this.active;
  }

  private refresh(): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return; // keep the last trace while focus is in a panel or webview
    const next = this.parse(editor.document);
    this.active = next;
    this.changed.fire(next);
  }

  private parse(document: vscode.TextDocument): ActiveTrace | undefined {
    if (!TRACE_LANGUAGES.has(document.languageId) && document.uri.scheme !== 'reasoning-lens') return undefined;
    try {
      const file = document.uri.scheme === 'file' ? document.uri.fsPath : document.uri.toString();
      const trace = parseDocumentTrace(document.getText(), file, document.languageId);
      if (!trace || trace.format === 'unrecognised') return undefined;
      const steps = segment(trace.reasoning, readSettings(document.uri).segmentation, trace.chunks);
      const name = basename(file);
      return {
        uri: document.uri,
        trace,
        steps,
        summary: {
          name,
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
}

/**
 * The first trace in an open document's (possibly unsaved) text: a JSON document is one record, a
 * JSONL document's first line is; anything else is text with reasoning delimiters.
 */
function parseDocumentTrace(text: string, file: string, languageId: string): Trace | undefined {
  const source = { file, line: 1 };
  if (languageId === 'json' || languageId === 'jsonl') {
    const firstRecord = languageId === 'jsonl' ? text.slice(0, text.indexOf('\n') >>> 0) : text;
    const parsed = safeParseJson(firstRecord);
    return parsed.ok ? parseTraceRecord(parsed.value, {}, source).traces[0] : undefined;
  }
  return parseTraceText(text, {}, source);
}
