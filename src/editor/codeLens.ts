import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { Disposable } from '../util/disposable';
import { CommandIds } from '../commands/commandIds';
import { TRACE_DOCUMENTS } from './selector';
import type { EditorContext, TraceEditorModel } from './traceEditorModel';
import { own } from '../services/context';

/**
 * Two lenses above each step: Keep or Drop (whichever changes it) and Pin/Unpin, each one click on a
 * command that takes the document URI and the step index. Refreshed through `onDidChangeCodeLenses`
 * whenever a session's plan or scores change.
 */
export class StepCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;
  /** Timing of the last `provideCodeLenses` (for the benchmark). */
  lastProvided: { readonly uri: string; readonly lenses: number; readonly at: number; readonly durationMs: number } | undefined;

  static register(ctx: EditorContext): StepCodeLensProvider {
    const provider = new StepCodeLensProvider(ctx.model);
    return own(ctx.extension, provider, vscode.languages.registerCodeLensProvider(TRACE_DOCUMENTS, provider));
  }

  private constructor(private readonly model: TraceEditorModel) {
    super();
    this._register(model.sessions.onDidChangeSession(() => this.changed.fire()));
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const started = performance.now();
    try {
      const td = this.model.layout(document);
      if (!td) return [];
      const { session, stepRanges } = td;
      const kept = new Uint8Array(session.steps.length);
      for (const i of session.plan.kept) kept[i] = 1;
      const pinned = new Set(session.controls.pinned);
      const uri = document.uri.toString();
      const lenses: vscode.CodeLens[] = [];
      for (let i = 0; i < stepRanges.length; i++) {
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
}
