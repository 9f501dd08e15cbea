import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { Disposable } from '../util/disposable';
import { CommandIds } from '../commands/commandIds';
import { CODE_LENS_MAX_STEPS, onDidChangeSettings, readSettings } from '../services/config';
import { TRACE_DOCUMENTS } from './selector';
import type { EditorContext, StepLayout, TraceEditorModel } from './traceEditorModel';
import { own } from '../services/context';

/** Why a document gets no lenses (`reasoningLens.codeLens` is `auto`), for the describe command. */
export type CodeLensSkip = 'off' | 'too-many-steps' | 'sentence-steps';

/**
 * Keep or Drop (whichever changes the step) and Pin/Unpin above a step: one lens line per step at
 * most, and never two steps' lenses on one line (a step that starts on a line another step started
 * on gets none: its hover, the gutter menu and the keys act on it). `reasoningLens.codeLens`:
 * `auto` (default) shows them for traces of at most 200 steps that are not cut into sentences (the
 * `sentence` mode, or steps that share lines, as `auto` segmentation makes of long paragraphs), so
 * long traces and sentence steps stay compact; `on` always; `off` never. Refreshed through
 * `onDidChangeCodeLenses` whenever a session's plan or scores change.
 */
export class StepCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;
  /** Timing of the last `provideCodeLenses` (for the benchmark), and why lenses were left out. */
  lastProvided: { readonly uri: string; readonly lenses: number; readonly at: number; readonly durationMs: number; readonly skipped?: CodeLensSkip } | undefined;

  static register(ctx: EditorContext): StepCodeLensProvider {
    const provider = new StepCodeLensProvider(ctx.model);
    return own(ctx.extension, provider, vscode.languages.registerCodeLensProvider(TRACE_DOCUMENTS, provider));
  }

  private constructor(private readonly model: TraceEditorModel) {
    super();
    this._register(model.sessions.onDidChangeSession(() => this.changed.fire()));
    this._register(onDidChangeSettings(() => this.changed.fire()));
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const started = performance.now();
    try {
      const td = this.model.layout(document);
      if (!td) return [];
      const uri = document.uri.toString();
      const skipped = this.skip(td);
      if (skipped) {
        this.lastProvided = { uri, lenses: 0, at: performance.now(), durationMs: performance.now() - started, skipped };
        return [];
      }
      const { session, stepRanges } = td;
      const kept = new Uint8Array(session.steps.length);
      for (const i of session.plan.kept) kept[i] = 1;
      const pinned = new Set(session.controls.pinned);
      const lenses: vscode.CodeLens[] = [];
      let lastLine = -1;
      for (let i = 0; i < stepRanges.length; i++) {
        const line = stepRanges[i]!.start.line;
        // One lens line per document line: the first step that starts on it.
        if (line === lastLine) continue;
        lastLine = line;
        const at = new vscode.Range(stepRanges[i]!.start, stepRanges[i]!.start);
        lenses.push(kept[i]
          ? new vscode.CodeLens(at, { title: '$(circle-slash) Drop', tooltip: `Drop step ${i + 1} from the pruned trace`, command: CommandIds.dropStep, arguments: [uri, i] })
          : new vscode.CodeLens(at, { title: '$(check) Keep', tooltip: `Keep step ${i + 1} in the pruned trace`, command: CommandIds.keepStep, arguments: [uri, i] }));
        lenses.push(new vscode.CodeLens(at, pinned.has(i)
          ? { title: '$(pinned) Unpin', tooltip: `Let pruning methods remove step ${i + 1} again`, command: CommandIds.pinStep, arguments: [uri, i] }
          : { title: '$(pin) Pin', tooltip: `Protect step ${i + 1} from every pruning method`, command: CommandIds.pinStep, arguments: [uri, i] }));
      }
      this.lastProvided = { uri, lenses: lenses.length, at: performance.now(), durationMs: performance.now() - started };
      return lenses;
    } catch {
      return [];
    }
  }

  /** Why `auto` shows no lenses here, if it does not. */
  private skip(td: StepLayout): CodeLensSkip | undefined {
    const mode = readSettings(td.document.uri).codeLens;
    if (mode === 'on') return undefined;
    if (mode === 'off') return 'off';
    if (td.stepRanges.length > CODE_LENS_MAX_STEPS) return 'too-many-steps';
    if (td.session.segmentation === 'sentence') return 'sentence-steps';
    for (let i = 1; i < td.stepRanges.length; i++) {
      if (td.stepRanges[i]!.start.line === td.stepRanges[i - 1]!.start.line) return 'sentence-steps';
    }
    return undefined;
  }
}
