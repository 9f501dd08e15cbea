import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import type { TraceSession } from '../core/session';
import { tokenTableFromFile, type TokenTable } from '../pipeline/scoreTrace';
import type { RangeTuple } from './decorations';
import type { TraceEditorModel } from './traceEditorModel';

/** Tokens above this percentile of the trace's token surprisals are marked. */
const TOKEN_PERCENTILE = 0.9;
const SELECTION_DEBOUNCE_MS = 80;

/**
 * Token-level heat inside the step under the cursor: the tokens whose surprisal is in the trace's top
 * 10% (and above ln 2) get an underline, so the surprising words of a hot step stand out. Only where token data exists
 * without a model call: the file's logprobs, or a token table the editor was handed (score cache).
 */
export class TokenHeat extends Disposable {
  private readonly type: vscode.TextEditorDecorationType;
  private readonly tables = new WeakMap<TraceSession, { table: TokenTable; threshold: number } | null>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly applied = new Map<string, vscode.Range[]>();

  static register(context: vscode.ExtensionContext, model: TraceEditorModel): TokenHeat {
    const heat = new TokenHeat(model);
    context.subscriptions.push(heat);
    return heat;
  }

  private constructor(private readonly model: TraceEditorModel) {
    super();
    this.type = this._register(vscode.window.createTextEditorDecorationType({
      borderStyle: 'none none solid none',
      borderWidth: '0 0 2px 0',
      borderColor: new vscode.ThemeColor('reasoningLens.surprisingTokenBorder'),
    }));
    this._register(vscode.window.onDidChangeTextEditorSelection((e) => this.schedule(e.textEditor)));
    this._register(model.sessions.onDidChangeSession(() => {
      const editor = vscode.window.activeTextEditor;
      if (editor) this.schedule(editor);
    }));
    this._register({ dispose: () => { if (this.timer) clearTimeout(this.timer); } });
  }

  /** Hands over a token table (e.g. read from the score cache) for a session's trace. */
  setTable(session: TraceSession, table: TokenTable): void {
    this.tables.set(session, { table, threshold: threshold(table) });
  }

  /** Token ranges last marked in the editor of `uri`. */
  describe(uri: vscode.Uri): RangeTuple[] {
    return (this.applied.get(uri.toString()) ?? []).map((r) => [r.start.line, r.start.character, r.end.line, r.end.character]);
  }

  private schedule(editor: vscode.TextEditor): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.update(editor);
      } catch {
        // Degrade: no token marks rather than an error.
      }
    }, SELECTION_DEBOUNCE_MS);
  }

  private tableOf(session: TraceSession): { table: TokenTable; threshold: number } | undefined {
    let entry = this.tables.get(session);
    if (entry === undefined) {
      const table = tokenTableFromFile(session.trace);
      entry = table ? { table, threshold: threshold(table) } : null;
      this.tables.set(session, entry);
    }
    return entry ?? undefined;
  }

  private update(editor: vscode.TextEditor): void {
    const key = editor.document.uri.toString();
    const td = this.model.traceDocument(editor.document);
    const entry = td ? this.tableOf(td.session) : undefined;
    const index = td ? this.model.stepAt(td, editor.selection.active) : undefined;
    if (!td || !entry || index === undefined || !td.stepRanges[index]!.contains(editor.selection.active)) {
      if (this.applied.delete(key)) editor.setDecorations(this.type, []);
      return;
    }
    const step = td.session.steps[index]!;
    const { table, threshold: cut } = entry;
    const ranges: vscode.Range[] = [];
    // Tokens are sorted by start: binary search the first one that ends inside the step.
    let lo = 0;
    let hi = table.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (table.ends[mid]! <= step.start) lo = mid + 1; else hi = mid;
    }
    for (let i = lo; i < table.starts.length && table.starts[i]! < step.end; i++) {
      if (!(-table.logprob[i]! > cut)) continue;
      // A token may start in the separator before the step: mark only its part inside the step.
      const start = Math.max(table.starts[i]!, step.start);
      const end = Math.min(table.ends[i]!, step.end);
      if (end <= start) continue;
      ranges.push(new vscode.Range(
        editor.document.positionAt(td.reasoningOffset + start),
        editor.document.positionAt(td.reasoningOffset + end),
      ));
    }
    editor.setDecorations(this.type, ranges);
    this.applied.set(key, ranges);
  }
}

/**
 * The cut: a token is marked when its surprisal is above the trace's 90th percentile AND above ln 2
 * (the model gave the chosen token under 50%), so a confident trace does not get its "least
 * confident" near-certain tokens underlined.
 */
function threshold(table: TokenTable): number {
  const n = table.logprob.length;
  if (n === 0) return Infinity;
  const sorted = Float64Array.from(table.logprob, (lp) => -lp).sort();
  return Math.max(Math.LN2, sorted[Math.min(n - 1, Math.floor(TOKEN_PERCENTILE * n))]!);
}
