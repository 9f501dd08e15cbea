import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import type { TraceSession } from '../core/session';
import type { TokenTable } from '../core/tokenTable';
import type { RangeTuple } from './decorations';
import type { EditorContext } from './traceEditorModel';
import { own } from '../services/context';

/** Tokens above this percentile of the trace's token surprisals are marked. */
const TOKEN_PERCENTILE = 0.9;
const SELECTION_DEBOUNCE_MS = 80;

/**
 * Token-level heat inside the step under the cursor: the tokens whose surprisal is in the trace's top
 * 10% (and above ln 2) get an underline, so the surprising words of a hot step stand out, wherever the
 * session has a token table (the file's logprobs, the score cache or a backend): redrawn when it changes.
 */
export class TokenHeat extends Disposable {
  private readonly type: vscode.TextEditorDecorationType;
  private readonly thresholds = new WeakMap<TokenTable, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly applied = new Map<string, vscode.Range[]>();

  static register(ctx: EditorContext): TokenHeat {
    return own(ctx.extension, new TokenHeat(ctx));
  }

  private constructor(private readonly ctx: EditorContext) {
    super();
    this.type = this._register(vscode.window.createTextEditorDecorationType({
      borderStyle: 'none none solid none',
      borderWidth: '0 0 2px 0',
      borderColor: new vscode.ThemeColor('reasoningLens.surprisingTokenBorder'),
    }));
    this._register(vscode.window.onDidChangeTextEditorSelection((e) => this.schedule(e.textEditor)));
    const again = () => {
      const editor = vscode.window.activeTextEditor;
      if (editor) this.schedule(editor);
    };
    this._register(ctx.sessions.onDidChangeSession(again));
    this._register(ctx.model.onDidChangeView(again));
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

  /** The session's token table with its marking threshold (computed once per table). */
  private tableOf(session: TraceSession): { table: TokenTable; threshold: number } | undefined {
    const table = session.tokenTable;
    if (!table) return undefined;
    let entry = this.thresholds.get(table);
    if (entry === undefined) {
      entry = threshold(table);
      this.thresholds.set(table, entry);
    }
    return { table, threshold: entry };
  }

  private update(editor: vscode.TextEditor): void {
    const key = editor.document.uri.toString();
    const td = this.ctx.model.layout(editor.document);
    // The token view colours every token already: no underlines on top.
    const entry = td && this.ctx.model.tokenView === 'off' ? this.tableOf(td.session) : undefined;
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
