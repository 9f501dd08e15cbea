import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import type { TraceSession } from '../core/session';
import { tokenTableFromFile, type TokenTable } from '../pipeline/scoreTrace';
import type { RangeTuple } from './decorations';
import type { EditorContext } from './traceEditorModel';

/** Tokens above this percentile of the trace's token surprisals are marked. */
const TOKEN_PERCENTILE = 0.9;
const SELECTION_DEBOUNCE_MS = 80;

/**
 * Token-level heat inside the step under the cursor: the tokens whose surprisal is in the trace's top
 * 10% (and above ln 2) get an underline, so the surprising words of a hot step stand out. Only where token data exists
 * without a model call: the table behind the session's scores (file, cache or backend), else the file's logprobs.
 */
export class TokenHeat extends Disposable {
  private readonly type: vscode.TextEditorDecorationType;
  private readonly tables = new WeakMap<TraceSession, { table: TokenTable | undefined; threshold: number }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly applied = new Map<string, vscode.Range[]>();

  static register(ctx: EditorContext): TokenHeat {
    const heat = new TokenHeat(ctx);
    ctx.extension.subscriptions.push(heat);
    return heat;
  }

  private constructor(private readonly ctx: EditorContext) {
    super();
    this.type = this._register(vscode.window.createTextEditorDecorationType({
      borderStyle: 'none none solid none',
      borderWidth: '0 0 2px 0',
      borderColor: new vscode.ThemeColor('reasoningLens.surprisingTokenBorder'),
    }));
    this._register(vscode.window.onDidChangeTextEditorSelection((e) => this.schedule(e.textEditor)));
    this._register(ctx.sessions.onDidChangeSession(() => {
      const editor = vscode.window.activeTextEditor;
      if (editor) this.schedule(editor);
    }));
    this._register({ dispose: () => { if (this.timer) clearTimeout(this.timer); } });
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

  /** The token table behind the session's scores (scoring service), else the file's logprobs. */
  private tableOf(session: TraceSession): { table: TokenTable; threshold: number } | undefined {
    const table = this.ctx.scoring.tokenTable(session);
    let entry = this.tables.get(session);
    if (entry === undefined || (table !== undefined && entry.table !== table)) {
      const found = table ?? tokenTableFromFile(session.trace);
      entry = { table: found, threshold: found ? threshold(found) : Infinity };
      this.tables.set(session, entry);
    }
    return entry.table ? { table: entry.table, threshold: entry.threshold } : undefined;
  }

  private update(editor: vscode.TextEditor): void {
    const key = editor.document.uri.toString();
    const td = this.ctx.model.layout(editor.document);
    const entry = td ? this.tableOf(td.session) : undefined;
    const index = td ? this.ctx.model.stepAt(td, editor.selection.active) : undefined;
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
