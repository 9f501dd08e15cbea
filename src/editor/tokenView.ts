import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { Disposable } from '../util/disposable';
import { HEAT_BUCKETS, HEAT_COLOR_IDS } from '../shared/heat';
import type { TokenTable } from '../core/tokenTable';
import { colourTokens, type TokenColours } from './tokenBuckets';
import type { EditorContext, StepLayout, TokenViewMode } from './traceEditorModel';
import { own } from '../services/context';

/**
 * Lines above and below the visible ones whose tokens are coloured too: scrolling within them needs
 * no update, and the cost of an update does not grow with the trace.
 */
const MARGIN_LINES = 200;

/** What the token view last applied to one editor (tests, the editor benchmark). */
export interface AppliedTokenView {
  readonly uri: string;
  readonly mode: TokenViewMode;
  /** Tokens coloured per heat step (index 0 = coolest), in the lines decorated. */
  readonly tokens: readonly number[];
  /** The document lines decorated, `[first, last]`: the visible ones and a margin around them. */
  readonly lines: readonly [number, number];
  /** Decoration ranges sent (runs of neighbouring tokens in one step are one range). */
  readonly ranges: number;
  readonly note?: string;
  /** Milliseconds from the change to `setDecorations` returning for this editor. */
  readonly durationMs: number;
  /** CPU milliseconds of the extension host in this update (wall time waits for a busy machine too). */
  readonly cpuMs: number;
  readonly appliedAt: number;
}

/**
 * "Toggle Token View": every token of the reasoning gets the heat colour of its surprisal or of its
 * rank under the model (GLTR buckets), from the session's token table (the file's logprobs, the
 * score cache or a model). The step heat map steps aside while it is on. Built for long traces: the
 * colouring is computed once per table and mode; the decorations cover the visible lines and 200
 * lines either side and follow scrolling, so their cost does not grow with the trace; offsets become
 * positions in one forward sweep over the document's line starts, and runs of neighbouring tokens
 * in the same step are one range.
 */
export class TokenView extends Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private readonly colours = new WeakMap<TokenTable, Partial<Record<Exclude<TokenViewMode, 'off'>, TokenColours>>>();
  private readonly lineStarts = new Map<string, { version: number; starts: Int32Array }>();
  private readonly applied = new Map<string, AppliedTokenView>();
  private immediate: ReturnType<typeof setImmediate> | undefined;

  static register(ctx: EditorContext): TokenView {
    return own(ctx.extension, new TokenView(ctx));
  }

  private constructor(private readonly ctx: EditorContext) {
    super();
    this.types = Array.from({ length: HEAT_BUCKETS }, (_, b) => this._register(vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor(HEAT_COLOR_IDS[b]!),
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    })));
    this._register(ctx.model.onDidChangeView(() => this.schedule()));
    this._register(ctx.sessions.onDidChangeSession((e) => { if (e.change === 'scores') this.schedule(); }));
    this._register(vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()));
    this._register(vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
      const applied = this.applied.get(e.textEditor.document.uri.toString());
      if (applied && !covers(applied.lines, e.visibleRanges, e.textEditor.document.lineCount)) this.schedule();
    }));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => { this.lineStarts.delete(d.uri.toString()); this.applied.delete(d.uri.toString()); }));
    this._register({ dispose: () => { if (this.immediate) clearImmediate(this.immediate); } });
  }

  /** What was last applied to the editor of `uri`. */
  describe(uri: vscode.Uri): AppliedTokenView | undefined {
    return this.applied.get(uri.toString());
  }

  /** The colouring of the session's token table in the current mode (cached per table). */
  coloursOf(table: TokenTable): TokenColours | undefined {
    const mode = this.ctx.model.tokenView;
    if (mode === 'off') return undefined;
    let entry = this.colours.get(table);
    if (!entry) {
      entry = {};
      this.colours.set(table, entry);
    }
    return (entry[mode] ??= colourTokens(table, mode));
  }

  private schedule(): void {
    if (this.isDisposed) return;
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      for (const editor of vscode.window.visibleTextEditors) {
        try {
          this.update(editor, performance.now());
        } catch (error) {
          this.ctx.log.debug(`token view: ${String(error)}`);
        }
      }
    });
  }

  /** Applies the token view to `editor` now; returns what it applied (the benchmark calls this). */
  update(editor: vscode.TextEditor, started = performance.now()): AppliedTokenView | undefined {
    const cpu = process.cpuUsage();
    const key = editor.document.uri.toString();
    const mode = this.ctx.model.tokenView;
    const td = this.ctx.model.layout(editor.document);
    const table = td?.session.tokenTable;
    if (mode === 'off' || !td || !table) {
      if (this.applied.delete(key)) for (const t of this.types) editor.setDecorations(t, []);
      return undefined;
    }
    const colours = this.coloursOf(table)!;
    const visible = editor.visibleRanges;
    const first = Math.max(0, Math.min(...visible.map((r) => r.start.line), editor.document.lineCount - 1) - MARGIN_LINES);
    const last = Math.min(editor.document.lineCount - 1, Math.max(0, ...visible.map((r) => r.end.line)) + MARGIN_LINES);
    const { ranges, tokens } = this.rangesOf(td, table, colours, first, last);
    for (let b = 0; b < HEAT_BUCKETS; b++) editor.setDecorations(this.types[b]!, ranges[b]!);
    const appliedAt = performance.now();
    const used = process.cpuUsage(cpu);
    const result: AppliedTokenView = {
      uri: key, mode, tokens, lines: [first, last], ranges: ranges.reduce((n, r) => n + r.length, 0),
      ...(colours.note ? { note: colours.note } : {}),
      durationMs: appliedAt - started, cpuMs: (used.user + used.system) / 1000, appliedAt,
    };
    this.applied.set(key, result);
    return result;
  }

  /**
   * Document ranges per heat step. Token offsets ascend, so one pointer walks the line starts. A
   * token's leading whitespace is not coloured (blank lines stay blank), and a token that continues
   * the previous one's run (same step, on the same line) extends its range instead of adding one.
   */
  private rangesOf(td: StepLayout, table: TokenTable, colours: TokenColours, firstLine: number, lastLine: number): { ranges: vscode.Range[][]; tokens: number[] } {
    const starts = this.lineStartsOf(td.document);
    const reasoning = td.session.trace.reasoning;
    const base = td.reasoningOffset;
    const ranges: vscode.Range[][] = Array.from({ length: HEAT_BUCKETS }, () => []);
    const tokens = new Array<number>(HEAT_BUCKETS).fill(0);
    // The tokens that end after the window starts and start before it ends (both ascend).
    const from = starts[firstLine]! - base;
    const to = (lastLine + 1 < starts.length ? starts[lastLine + 1]! : Number.MAX_SAFE_INTEGER) - base;
    const n = firstIndex(table.starts, to);
    let i = firstIndex(table.ends, from + 1);
    // The first token may start a line or two before the window (leading blank lines): walk from 0.
    let line = 0;
    // Only ever called with ascending offsets (run starts and ends), so the pointer only moves on.
    const position = (offset: number): vscode.Position => {
      const at = base + offset;
      while (line + 1 < starts.length && starts[line + 1]! <= at) line++;
      return new vscode.Position(line, at - starts[line]!);
    };
    let runBucket = -1;
    let runStart = 0;
    let runEnd = 0;
    const flush = () => {
      if (runBucket >= 0 && runEnd > runStart) ranges[runBucket]!.push(new vscode.Range(position(runStart), position(runEnd)));
    };
    for (; i < n; i++) {
      const b = colours.buckets[i]!;
      if (b < 0) continue;
      tokens[b]!++;
      let start = table.starts[i]!;
      const end = Math.min(table.ends[i]!, reasoning.length);
      let newline = false;
      while (start < end && isSpace(reasoning.charCodeAt(start))) {
        if (reasoning.charCodeAt(start) === 10) newline = true;
        start++;
      }
      if (start >= end) continue;
      if (b === runBucket && !newline && start >= runEnd && onlySpaces(reasoning, runEnd, start)) {
        runEnd = end;
        continue;
      }
      flush();
      runBucket = b;
      runStart = start;
      runEnd = end;
    }
    flush();
    return { ranges, tokens };
  }

  /** Offsets of each line start of `document` (cached per version). */
  private lineStartsOf(document: vscode.TextDocument): Int32Array {
    const key = document.uri.toString();
    const cached = this.lineStarts.get(key);
    if (cached && cached.version === document.version) return cached.starts;
    const text = document.getText();
    const list = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) list.push(i + 1);
    const starts = Int32Array.from(list);
    this.lineStarts.set(key, { version: document.version, starts });
    return starts;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** True when `[from, to)` of `text` holds only spaces and tabs (no line break). */
function onlySpaces(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** First index of ascending `values` whose value is at least `x` (`values.length` when none). */
function firstIndex(values: Int32Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** True when the decorated `lines` still hold the visible ranges with half the margin to spare. */
function covers(lines: readonly [number, number], visible: readonly vscode.Range[], lineCount: number): boolean {
  if (visible.length === 0) return true;
  const top = Math.min(...visible.map((r) => r.start.line));
  const bottom = Math.max(...visible.map((r) => r.end.line));
  const roomAbove = lines[0] === 0 || top - lines[0] >= MARGIN_LINES / 2;
  const roomBelow = lines[1] >= lineCount - 1 || lines[1] - bottom >= MARGIN_LINES / 2;
  return roomAbove && roomBelow;
}
