import * as vscode from 'vscode';
import { CommandIds } from '../commands/commandIds';
import { registerCommand } from '../commands/registerCommand';
import type { LensContext } from '../services/context';
import { TraceEditorModel, type EditorContext } from './traceEditorModel';
import { HeatDecorations } from './decorations';
import { StepHoverProvider } from './hover';
import { StepCodeLensProvider } from './codeLens';
import { StepOutlineProvider } from './outline';
import { TraceStatusBar } from './statusBar';
import { EditorCommands } from './editorCommands';
import { TokenHeat } from './tokenHeat';
import { TokenView } from './tokenView';
import { DanglingDiagnostics } from './danglingDiagnostics';

export { TraceViewProvider, traceViewUri, TraceViewScheme } from './traceView';

/**
 * The editor experience on trace documents: heat-map decorations, the token view, hovers, CodeLens,
 * outline and folding, dangling references as Problems, the status bar items and the editor
 * commands, all sharing one {@link TraceEditorModel}.
 */
export const EditorFeatures = {
  register(lens: LensContext): void {
    const model = new TraceEditorModel(lens.sessions, lens.settings, lens.scoring);
    lens.extension.subscriptions.push(model);
    const ctx: EditorContext = { ...lens, model };
    const decorations = HeatDecorations.register(ctx);
    const tokenView = TokenView.register(ctx);
    const codeLenses = StepCodeLensProvider.register(ctx);
    StepHoverProvider.register(ctx);
    StepOutlineProvider.register(ctx);
    const statusBar = TraceStatusBar.register(ctx, tokenView);
    const tokenHeat = TokenHeat.register(ctx);
    const dangling = DanglingDiagnostics.register(ctx);
    const commands = EditorCommands.register(ctx);
    const views = { decorations, tokenView, codeLenses, statusBar, tokenHeat, dangling, commands };
    lens.extension.subscriptions.push(
      registerCommand(CommandIds.describeEditor, lens.log, (uri?: unknown, options?: unknown) => describeEditor(ctx, views, uri, options)),
    );
  },
};

interface EditorViews {
  readonly decorations: HeatDecorations;
  readonly tokenView: TokenView;
  readonly dangling: DanglingDiagnostics;
  readonly codeLenses: StepCodeLensProvider;
  readonly statusBar: TraceStatusBar;
  readonly tokenHeat: TokenHeat;
  readonly commands: EditorCommands;
}

/** Internal: what the editor shows for `uri` (default: the active editor). */
async function describeEditor(ctx: EditorContext, views: EditorViews, uri: unknown, options?: unknown): Promise<unknown> {
  if (options && typeof options === 'object' && (options as { scoreCache?: unknown }).scoreCache === true) {
    // Where automatic scores are looked up (diagnostics: "why is this trace not coloured?").
    let backendId: string | null = null;
    try {
      backendId = (await ctx.backends.backend()).describe().id;
    } catch {
      // No usable backend (file-only, Restricted Mode): nothing is looked up.
    }
    return { folder: ctx.scoring.cacheFolder, backendId };
  }
  const key = typeof uri === 'string' ? uri : uri instanceof vscode.Uri ? uri.toString() : vscode.window.activeTextEditor?.document.uri.toString();
  const target = key ? vscode.Uri.parse(key) : undefined;
  const document = target ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === key) : undefined;
  const td = document ? ctx.model.layout(document) : undefined;
  const shown = td ? ctx.model.shown(td.session) : undefined;
  if (target && (options as { refreshDiagnostics?: unknown } | undefined)?.refreshDiagnostics === true) views.dangling.refresh();
  return {
    uri: key,
    metric: ctx.model.metric,
    shownMetric: shown?.metric ?? null,
    fallback: shown?.fallback ?? null,
    tokenView: ctx.model.tokenView,
    appliedTokenView: target ? views.tokenView.describe(target) ?? null : null,
    scoring: td ? ctx.scoring.isScoring(td.session) : null,
    hasRanks: td ? td.session.tokenTable?.rank !== undefined : null,
    dangling: target ? views.dangling.describe(target).diagnostics : [],
    traceActive: views.commands.traceActive,
    steps: td?.session.steps.length ?? null,
    kept: td ? [...td.session.plan.kept] : null,
    pinned: td ? [...td.session.controls.pinned] : null,
    scored: td ? td.session.scores !== undefined : null,
    scoreSource: td?.session.scoreSource ?? null,
    decorations: target ? views.decorations.describe(target) ?? null : null,
    statusBar: views.statusBar.describe(),
    codeLens: views.codeLenses.lastProvided ?? null,
    surprisingTokens: target ? views.tokenHeat.describe(target) : [],
  };
}
