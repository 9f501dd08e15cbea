import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { Disposable } from '../util/disposable';
import { HEAT_BUCKETS, HEAT_COLOR_IDS } from '../shared/heat';
import type { EditorContext, TraceEditorModel } from './traceEditorModel';
import { own } from '../services/context';

/** Ranges as `[startLine, startCharacter, endLine, endCharacter]` (what tests compare). */
export type RangeTuple = [number, number, number, number];

/** What the decorator last applied to one editor. */
export interface AppliedDecorations {
  readonly uri: string;
  readonly metric: string;
  /** Ranges per heat bucket (index 0 = coolest). */
  readonly heat: RangeTuple[][];
  readonly dropped: RangeTuple[];
  readonly pinnedGutter: RangeTuple[];
  readonly droppedGutter: RangeTuple[];
  /** `performance.now()` when `setDecorations` returned (same clock in the whole extension host). */
  readonly appliedAt: number;
  /** Milliseconds spent computing and sending the decorations. */
  readonly durationMs: number;
}

/** Delay before redecorating after typing (plan and score changes apply on the next tick). */
const EDIT_DEBOUNCE_MS = 150;

/**
 * The heat map: a background colour per kept step by the metric shown (five percentile buckets
 * within the trace; the palette is src/shared/heat.ts), dropped steps dimmed and struck through,
 * gutter icons on pinned and dropped steps. Decoration types are created once; colours come from
 * `contributes.colors` via ThemeColor. While the token view is on, steps get no background.
 */
export class HeatDecorations extends Disposable {
  private readonly heatTypes: vscode.TextEditorDecorationType[];
  private readonly droppedType: vscode.TextEditorDecorationType;
  private readonly pinnedGutterType: vscode.TextEditorDecorationType;
  private readonly droppedGutterType: vscode.TextEditorDecorationType;
  /** Kept as ranges; converted to tuples only when asked (a toggle must stay cheap). */
  private readonly applied = new Map<string, { metric: string; heat: vscode.Range[][]; dropped: vscode.Range[]; pinnedGutter: vscode.Range[]; droppedGutter: vscode.Range[]; appliedAt: number; durationMs: number }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;

  static register(ctx: EditorContext): HeatDecorations {
    return own(ctx.extension, new HeatDecorations(ctx.extension.extensionUri, ctx.model));
  }

  private constructor(extensionUri: vscode.Uri, private readonly model: TraceEditorModel) {
    super();
    const icon = (name: string) => vscode.Uri.joinPath(extensionUri, 'media', 'icons', name);
    this.heatTypes = Array.from({ length: HEAT_BUCKETS }, (_, b) => this._register(vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor(HEAT_COLOR_IDS[b]!),
      ...(b === HEAT_BUCKETS - 1 ? { overviewRulerColor: new vscode.ThemeColor('reasoningLens.heatOverviewRuler'), overviewRulerLane: vscode.OverviewRulerLane.Right } : {}),
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    })));
    this.droppedType = this._register(vscode.window.createTextEditorDecorationType({
      opacity: '0.5',
      textDecoration: 'line-through',
      color: new vscode.ThemeColor('reasoningLens.droppedForeground'),
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }));
    this.pinnedGutterType = this._register(vscode.window.createTextEditorDecorationType({
      light: { gutterIconPath: icon('pin-light.svg') },
      dark: { gutterIconPath: icon('pin-dark.svg') },
      gutterIconSize: '80%',
    }));
    this.droppedGutterType = this._register(vscode.window.createTextEditorDecorationType({
      light: { gutterIconPath: icon('dropped-light.svg') },
      dark: { gutterIconPath: icon('dropped-dark.svg') },
      gutterIconSize: '80%',
    }));

    // A keep/drop/pin is redrawn in the same tick (one editor, ~1 ms), ahead of slower listeners.
    this._register(model.sessions.onDidChangeSession((e) => this.updateSession(e.session.uri)));
    this._register(model.sessions.onDidChangeActive(() => this.schedule(0)));
    this._register(model.onDidChangeView(() => this.schedule(0)));
    this._register(vscode.window.onDidChangeVisibleTextEditors(() => this.schedule(0)));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length && vscode.window.visibleTextEditors.some((ed) => ed.document === e.document)) this.schedule(EDIT_DEBOUNCE_MS);
    }));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.applied.delete(d.uri.toString())));
    this._register({ dispose: () => this.cancel() });
    this.schedule(0);
  }

  /** What was last applied to the editor of `uri`. */
  describe(uri: vscode.Uri): AppliedDecorations | undefined {
    const a = this.applied.get(uri.toString());
    if (!a) return undefined;
    return {
      uri: uri.toString(), metric: a.metric, heat: a.heat.map((rs) => rs.map(tuple)), dropped: a.dropped.map(tuple),
      pinnedGutter: a.pinnedGutter.map(tuple), droppedGutter: a.droppedGutter.map(tuple), appliedAt: a.appliedAt, durationMs: a.durationMs,
    };
  }

  /**
   * Coalesces bursts of editor events (visible editors, metric, active trace) into one update on the
   * next tick, while typing waits for a pause.
   */
  private schedule(delay: number): void {
    if (this.isDisposed) return;
    if (delay === 0) {
      if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
      this.immediate ??= setImmediate(() => { this.immediate = undefined; this.updateAll(); });
      return;
    }
    if (this.immediate) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; this.updateAll(); }, delay);
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private updateSession(uri: vscode.Uri): void {
    const key = uri.toString();
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== key) continue;
      try {
        this.update(editor);
      } catch {
        this.schedule(0);
      }
    }
  }

  private updateAll(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      try {
        this.update(editor);
      } catch {
        // A provider degrades instead of throwing: this editor keeps its previous decorations.
      }
    }
  }

  private update(editor: vscode.TextEditor): void {
    const started = performance.now();
    const td = this.model.layout(editor.document);
    if (!td) {
      if (this.applied.delete(editor.document.uri.toString())) this.clear(editor);
      return;
    }
    const { session, stepRanges } = td;
    // The token view paints tokens instead; steps then keep only their dropped and pinned marks.
    const stepHeat = this.model.tokenView === 'off';
    const column = this.model.column(session);
    const kept = new Uint8Array(session.steps.length);
    for (const i of session.plan.kept) kept[i] = 1;
    const pinned = new Set(session.controls.pinned);
    const heat: vscode.Range[][] = Array.from({ length: HEAT_BUCKETS }, () => []);
    const dropped: vscode.Range[] = [];
    const pinnedGutter: vscode.Range[] = [];
    const droppedGutter: vscode.Range[] = [];
    for (let i = 0; i < stepRanges.length; i++) {
      const range = stepRanges[i]!;
      const head = new vscode.Range(range.start, range.start);
      if (kept[i]) {
        const b = column.buckets[i]!;
        if (b >= 0 && stepHeat) heat[b]!.push(range);
      } else {
        dropped.push(range);
        if (!pinned.has(i)) droppedGutter.push(head);
      }
      if (pinned.has(i)) pinnedGutter.push(head);
    }
    for (let b = 0; b < HEAT_BUCKETS; b++) editor.setDecorations(this.heatTypes[b]!, heat[b]!);
    editor.setDecorations(this.droppedType, dropped);
    editor.setDecorations(this.pinnedGutterType, pinnedGutter);
    editor.setDecorations(this.droppedGutterType, droppedGutter);
    const appliedAt = performance.now();
    this.applied.set(editor.document.uri.toString(), { metric: column.metric, heat, dropped, pinnedGutter, droppedGutter, appliedAt, durationMs: appliedAt - started });
  }

  private clear(editor: vscode.TextEditor): void {
    for (const t of [...this.heatTypes, this.droppedType, this.pinnedGutterType, this.droppedGutterType]) editor.setDecorations(t, []);
  }
}

function tuple(r: vscode.Range): RangeTuple {
  return [r.start.line, r.start.character, r.end.line, r.end.character];
}
