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

export { TraceViewProvider, traceViewUri, TraceViewScheme } from './traceView';

/**
 * The editor experience on trace documents: heat-map decorations, hovers, CodeLens, outline and
 * folding, the status bar item and the editor commands, all sharing one {@link TraceEditorModel}.
 */
export const EditorFeatures = {
  register(lens: LensContext): void {
    const model = new TraceEditorModel(lens.sessions, lens.heatMetric);
    lens.extension.subscriptions.push(model);
    const ctx: EditorContext = { ...lens, model };
    const decorations = HeatDecorations.register(ctx);
    const codeLenses = StepCodeLensProvider.register(ctx);
    StepHoverProvider.register(ctx);
    StepOutlineProvider.register(ctx);
    const statusBar = TraceStatusBar.register(ctx);
    const tokenHeat = TokenHeat.register(ctx);
    const commands = EditorCommands.register(ctx);
    const views = { decorations, codeLenses, statusBar, tokenHeat, commands };
    lens.extension.subscriptions.push(
      registerCommand(CommandIds.describeEditor, lens.log, (uri?: unknown, options?: unknown) => describeEditor(ctx, views, uri, options)),
    );
  },
};

interface EditorViews {
  readonly decorations: HeatDecorations;
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
  return {
    uri: key,
    metric: ctx.model.metric,
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
