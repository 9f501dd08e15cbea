import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { CommandIds } from '../commands/commandIds';
import { registerCommand } from '../commands/registerCommand';
import type { TraceSession } from '../core/session';
import { isSegmentationMode, isStepMetric, METRIC_INFO, SEGMENTATION_MODES, STEP_METRICS, type SegmentationMode, type StepMetric } from '../shared/vocabulary';
import { nextHotStep } from './heat';
import type { EditorContext, StepLayout, TokenViewMode } from './traceEditorModel';
import { stepOnLine } from '../services/sessionManager';
import { own } from '../services/context';

/** Context key: the active editor shows a trace whose steps the editor commands can act on. */
const TraceActiveContext = 'reasoningLens.traceActive';

/**
 * The editor's commands (step keep/drop/pin, navigation by heat, metric, token view, segmentation)
 * and the `reasoningLens.traceActive` context key. The step commands take `(uri, index)` (CodeLens,
 * hover links), a gutter menu's `{ lineNumber, uri }`, or nothing (the step under the cursor: keys).
 */
export class EditorCommands extends Disposable {
  private active: boolean | undefined;

  static register(ctx: EditorContext): EditorCommands {
    return own(ctx.extension, new EditorCommands(ctx));
  }

  private constructor(private readonly ctx: EditorContext) {
    super();
    const { log } = ctx;
    const cmd = <A extends unknown[], R>(id: Parameters<typeof registerCommand>[0], handler: (...args: A) => R | Promise<R>) =>
      this._register(registerCommand(id, log, handler));

    cmd(CommandIds.toggleStep, (uri?: unknown, index?: unknown) => this.onStep(uri, index, (s, i) => {
      if (s.isPinned(i) && s.isKept(i)) return this.pinnedNotice(i);
      s.toggleStep(i);
    }));
    cmd(CommandIds.keepStep, (uri?: unknown, index?: unknown) => this.onStep(uri, index, (s, i) => s.setOverride(i, 'keep')));
    cmd(CommandIds.dropStep, (uri?: unknown, index?: unknown) => this.onStep(uri, index, (s, i) => {
      if (s.isPinned(i)) return this.pinnedNotice(i);
      s.setOverride(i, 'drop');
    }));
    cmd(CommandIds.pinStep, (uri?: unknown, index?: unknown) => this.onStep(uri, index, (s, i) => s.togglePin(i)));
    cmd(CommandIds.nextSurprisingStep, () => this.goToHot(1));
    cmd(CommandIds.previousSurprisingStep, () => this.goToHot(-1));
    cmd(CommandIds.switchMetric, (metric?: unknown) => this.switchMetric(metric));
    cmd(CommandIds.toggleTokenView, (mode?: unknown) => this.toggleTokenView(mode));
    cmd(CommandIds.setSegmentation, (mode?: unknown) => this.setSegmentation(mode));

    this._register(ctx.sessions.onDidChangeActive(() => this.updateContext()));
    this.updateContext();
  }

  /** The value last given to the `reasoningLens.traceActive` context key. */
  get traceActive(): boolean {
    return this.active ?? false;
  }

  private updateContext(): void {
    const editor = vscode.window.activeTextEditor;
    const active = !!editor && !!this.ctx.model.layout(editor.document);
    if (active === this.active) return;
    this.active = active;
    void vscode.commands.executeCommand('setContext', TraceActiveContext, active);
  }

  /**
   * Resolves `(uri, index)` arguments, a gutter menu's `{ lineNumber, uri }`, else the active editor
   * and the step under the cursor.
   */
  private target(uri: unknown, index: unknown): { td: StepLayout; index: number } {
    let td: StepLayout | undefined;
    if (uri && typeof uri === 'object' && 'lineNumber' in uri && 'uri' in uri) {
      const line = (uri as { lineNumber: unknown }).lineNumber;
      const where = (uri as { uri: unknown }).uri;
      const document = where instanceof vscode.Uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === where.toString()) : undefined;
      td = document ? this.ctx.model.layout(document) : undefined;
      const at = td && typeof line === 'number' ? stepOnLine(td.open, td.document, line - 1) : undefined;
      if (!td || at === undefined) throw new Error('This line is not in a reasoning step.');
      return { td, index: at };
    }
    if (uri !== undefined && uri !== null) {
      const key = typeof uri === 'string' ? uri : uri instanceof vscode.Uri ? uri.toString() : undefined;
      if (!key) throw new Error('the first argument must be a document URI');
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      if (!document) throw new Error(`${key} is not open: open the trace first`);
      td = this.ctx.model.layout(document);
      if (!td) throw new Error(`${key} shows no trace with steps`);
    } else {
      const editor = vscode.window.activeTextEditor;
      td = editor ? this.ctx.model.layout(editor.document) : undefined;
      if (!td || !editor) throw new Error('Put the cursor in the reasoning of a trace (a trace view, or a markdown file with <think> tags).');
      if (index === undefined) {
        const at = this.ctx.model.stepAt(td, editor.selection.active);
        if (at === undefined) throw new Error('The cursor is not inside a reasoning step.');
        return { td, index: at };
      }
    }
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= td.session.steps.length) {
      throw new Error(`step index must be 0…${td.session.steps.length - 1} (got ${String(index)})`);
    }
    return { td, index };
  }

  private onStep(uri: unknown, index: unknown, action: (session: TraceSession, index: number) => void): void {
    const t = this.target(uri, index);
    action(t.td.session, t.index);
  }

  private pinnedNotice(index: number): void {
    void vscode.window.showInformationMessage(`Step ${index + 1} is pinned, so it stays. Unpin it to drop it.`);
  }

  private async goToHot(direction: 1 | -1): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const td = editor ? this.ctx.model.layout(editor.document) : undefined;
    if (!editor || !td) throw new Error('Open a trace first.');
    const column = this.ctx.model.column(td.session);
    if (column.count === 0) {
      const choice = await vscode.window.showInformationMessage(`This trace has no ${METRIC_INFO[column.metric].label} values yet.`, 'Score Trace', 'Colour by…');
      if (choice === 'Score Trace') await vscode.commands.executeCommand(CommandIds.scoreTrace);
      if (choice === 'Colour by…') await vscode.commands.executeCommand(CommandIds.switchMetric);
      return;
    }
    const offset = editor.document.offsetAt(editor.selection.active) - td.reasoningOffset;
    const current = offset < 0 ? (direction === 1 ? -1 : 0) : (td.session.stepAt(offset)?.index ?? -1);
    const next = nextHotStep(column, current, direction);
    if (next === undefined) return;
    const range = td.stepRanges[next]!;
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async switchMetric(arg: unknown): Promise<StepMetric | undefined> {
    let metric: StepMetric | undefined;
    if (typeof arg === 'string') {
      if (!isStepMetric(arg)) throw new Error(`unknown metric "${arg}" (one of ${STEP_METRICS.join(', ')})`);
      metric = arg;
    } else {
      const session = this.ctx.model.sessions.active?.session;
      const available = new Set(session ? session.availableMetrics() : []);
      const picked = await vscode.window.showQuickPick(
        STEP_METRICS.map((m) => ({
          label: `${m === this.ctx.model.metric ? '$(check) ' : ''}${METRIC_INFO[m].label}`,
          description: session ? (available.has(m) ? '' : 'no values for this trace') : '',
          detail: METRIC_INFO[m].description,
          metric: m,
        })),
        { title: 'Reasoning Lens: colour steps by', placeHolder: 'Metric for the heat map' },
      );
      metric = picked?.metric;
    }
    if (metric) await this.ctx.model.setMetric(metric);
    return metric;
  }

  /**
   * "Toggle Token View": on (by surprisal, or the mode given: `surprisal`, `rank`) or off again.
   * Returns the mode now in effect.
   */
  private toggleTokenView(arg: unknown): TokenViewMode {
    let mode: TokenViewMode;
    if (arg === 'surprisal' || arg === 'rank' || arg === 'off') mode = arg;
    else if (arg !== undefined) throw new Error(`unknown token view "${String(arg)}" (surprisal, rank or off)`);
    else mode = this.ctx.model.tokenView === 'off' ? 'surprisal' : 'off';
    this.ctx.model.setTokenView(mode);
    const doc = this.ctx.sessions.active;
    if (mode !== 'off' && doc && !doc.session.tokenTable) {
      void vscode.window.setStatusBarMessage(`Reasoning Lens: ${doc.summary.name} has no token scores yet; the token view shows them once it is scored.`, 6000);
    }
    return mode;
  }

  /**
   * "Split Steps By…": the segmentation mode, written through the settings store (user settings,
   * unless the user keeps the setting in this workspace), like the side panel's "Steps" select.
   */
  private async setSegmentation(arg: unknown): Promise<SegmentationMode | undefined> {
    const scope = this.ctx.sessions.active?.uri;
    let mode: SegmentationMode | undefined;
    if (arg !== undefined) {
      if (!isSegmentationMode(arg)) throw new Error(`unknown segmentation "${String(arg)}" (one of ${SEGMENTATION_MODES.join(', ')})`);
      mode = arg;
    } else {
      const current = this.ctx.settings.segmentation(scope);
      const picked = await vscode.window.showQuickPick(
        SEGMENTATION_MODES.map((m) => ({ label: `${m === current ? '$(check) ' : ''}${m}`, mode: m })),
        { title: 'Reasoning Lens: split reasoning into steps by', placeHolder: 'Segmentation (saved in your user settings)' },
      );
      mode = picked?.mode;
    }
    if (mode) await this.ctx.settings.setSegmentation(mode, scope);
    return mode;
  }

}
