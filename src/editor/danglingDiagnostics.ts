import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { CommandIds } from '../commands/commandIds';
import type { DanglingReference } from '../core/prune/dangling';
import { TRACE_DOCUMENTS } from './selector';
import type { EditorContext, StepLayout } from './traceEditorModel';
import { own } from '../services/context';

/** `Diagnostic.code` of a dangling reference (Problems panel, quick fixes). */
export const DANGLING_CODE = 'dangling-reference';
/** Other uses listed as related information of a reference's one diagnostic. */
const RELATED_USES = 10;
const UPDATE_DEBOUNCE_MS = 120;

/** What the diagnostics of one document say (tests). */
export interface DanglingDiagnosticsDescription {
  readonly uri: string;
  readonly diagnostics: readonly { readonly range: [number, number, number, number]; readonly message: string; readonly sourceStep: number }[];
}

/**
 * Dangling references as Problems: after any prune (palette, side panel, slider, keep/drop), every
 * number or identifier that a kept step uses but only a dropped step introduces is one warning, on
 * its first use in a kept step, with the introducing step and the other uses as related information
 * and a quick fix "Keep the source step" (a name used in 30 steps is one problem, not 30). Nothing
 * pops up: the Problems panel and the squiggles are where a user looks for them.
 */
export class DanglingDiagnostics extends Disposable implements vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];
  private readonly collection: vscode.DiagnosticCollection;
  /** Source step of each diagnostic we published, per document (code actions get copies back). */
  private readonly sources = new Map<string, Map<string, number>>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  static register(ctx: EditorContext): DanglingDiagnostics {
    const provider = new DanglingDiagnostics(ctx);
    return own(ctx.extension, provider, vscode.languages.registerCodeActionsProvider(TRACE_DOCUMENTS, provider, {
      providedCodeActionKinds: DanglingDiagnostics.providedCodeActionKinds,
    }));
  }

  private constructor(private readonly ctx: EditorContext) {
    super();
    this.collection = this._register(vscode.languages.createDiagnosticCollection('reasoningLens.dangling'));
    this._register(ctx.sessions.onDidChangeSession((e) => { if (e.change === 'plan') this.schedule(); }));
    this._register(ctx.sessions.onDidChangeActive(() => this.schedule()));
    this._register(vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => {
      this.collection.delete(d.uri);
      this.sources.delete(d.uri.toString());
    }));
    this._register({ dispose: () => clearTimeout(this.timer) });
    this.schedule();
  }

  /** The diagnostics published for `uri` (tests). */
  describe(uri: vscode.Uri): DanglingDiagnosticsDescription {
    const sources = this.sources.get(uri.toString());
    return {
      uri: uri.toString(),
      diagnostics: (this.collection.get(uri) ?? []).map((d) => ({
        range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
        message: d.message,
        sourceStep: sources?.get(key(d)) ?? -1,
      })),
    };
  }

  /** Recomputes now (also what the timer runs). */
  refresh(): void {
    const seen = new Set<string>();
    for (const document of vscode.workspace.textDocuments) {
      const td = this.ctx.model.layout(document);
      if (!td) continue;
      seen.add(document.uri.toString());
      this.publish(td);
    }
    this.collection.forEach((uri) => {
      if (!seen.has(uri.toString())) {
        this.collection.delete(uri);
        this.sources.delete(uri.toString());
      }
    });
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const sources = this.sources.get(document.uri.toString());
    if (!sources) return [];
    const ours = context.diagnostics.filter((d) => codeOf(d) === DANGLING_CODE);
    const actions: vscode.CodeAction[] = [];
    const offered = new Set<number>();
    for (const diagnostic of ours) {
      const step = sources.get(key(diagnostic));
      if (step === undefined || offered.has(step)) continue;
      offered.add(step);
      const action = new vscode.CodeAction(`Keep the source step (step ${step + 1})`, vscode.CodeActionKind.QuickFix);
      action.diagnostics = ours.filter((d) => sources.get(key(d)) === step);
      action.isPreferred = true;
      action.command = { command: CommandIds.keepSourceSteps, title: action.title, arguments: [document.uri.toString(), [step]] };
      actions.push(action);
    }
    const all = new Set(sources.values());
    if (actions.length > 0 && all.size > 1) {
      const action = new vscode.CodeAction(`Keep all ${all.size} source steps of dangling references`, vscode.CodeActionKind.QuickFix);
      action.command = { command: CommandIds.keepSourceSteps, title: action.title, arguments: [document.uri.toString(), []] };
      actions.push(action);
    }
    return actions;
  }

  private schedule(): void {
    if (this.isDisposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.refresh();
      } catch (error) {
        this.ctx.log.debug(`dangling references: ${String(error)}`);
      }
    }, UPDATE_DEBOUNCE_MS);
  }

  private publish(td: StepLayout): void {
    const refs = td.session.danglingReferences();
    const diagnostics: vscode.Diagnostic[] = [];
    const sources = new Map<string, number>();
    for (const ref of refs) {
      const uses = ref.usedInSteps.flatMap((step) => occurrences(td, ref, step).slice(0, 1).map((range) => ({ step, range })));
      const first = uses[0];
      if (!first) continue;
      const d = new vscode.Diagnostic(first.range, message(ref), vscode.DiagnosticSeverity.Warning);
      d.source = 'Reasoning Lens';
      d.code = DANGLING_CODE;
      const origin = occurrences(td, ref, ref.sourceStep)[0];
      d.relatedInformation = [
        ...(origin ? [new vscode.DiagnosticRelatedInformation(new vscode.Location(td.document.uri, origin), `${ref.token} is introduced here, in step ${ref.sourceStep + 1}, which the plan drops`)] : []),
        ...uses.slice(1, 1 + RELATED_USES).map((u) => new vscode.DiagnosticRelatedInformation(new vscode.Location(td.document.uri, u.range), `also used in step ${u.step + 1}`)),
      ];
      diagnostics.push(d);
      sources.set(key(d), ref.sourceStep);
    }
    this.collection.set(td.document.uri, diagnostics);
    this.sources.set(td.document.uri.toString(), sources);
  }
}

function message(ref: DanglingReference): string {
  const what = ref.kind === 'number' ? 'the number' : 'the name';
  const steps = ref.usedInSteps.map((s) => s + 1);
  const where = steps.length === 1 ? `step ${steps[0]} uses` : `steps ${steps.slice(0, 5).join(', ')}${steps.length > 5 ? ` and ${steps.length - 5} more` : ''} use`;
  return `Dangling reference: ${where} ${what} ${ref.token}, which only step ${ref.sourceStep + 1} introduces, and the pruning plan drops step ${ref.sourceStep + 1}.`;
}

/**
 * Where `ref.token` stands in step `step` as a whole word (a number not inside a longer number, a
 * name not inside a longer name), as document ranges.
 */
function occurrences(td: StepLayout, ref: DanglingReference, step: number): vscode.Range[] {
  const s = td.session.steps[step];
  if (!s) return [];
  const escaped = ref.token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = ref.kind === 'number'
    // A number may be written with thousands separators in the text (1,200 for 1200).
    ? new RegExp(`(?<![\\w.,])${ref.token.replace(/\B(?=(\d{3})+(?!\d))/g, ',?').replace(/\./g, '\\.').replace(/\//g, '\\/')}(?![\\w]|\\.\\d)`, 'g')
    : new RegExp(`(?<![\\w\\\\])${escaped}(?!\\w)`, 'g');
  const out: vscode.Range[] = [];
  for (const m of s.text.matchAll(pattern)) {
    const start = td.reasoningOffset + s.start + m.index;
    out.push(new vscode.Range(td.document.positionAt(start), td.document.positionAt(start + m[0].length)));
  }
  return out;
}

function codeOf(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  return typeof c === 'object' ? String(c.value) : c === undefined ? undefined : String(c);
}

function key(d: vscode.Diagnostic): string {
  return `${d.range.start.line}:${d.range.start.character}:${d.range.end.line}:${d.range.end.character}:${d.message}`;
}
