import type * as vscode from 'vscode';
import type { SessionManager } from '../session/sessionManager';
import type { BackendService } from '../session/backendService';
import type { ScoringService } from '../session/scoring';
import { TraceEditorModel } from './traceEditorModel';
import { HeatDecorations } from './decorations';
import { StepHoverProvider } from './hover';
import { StepCodeLensProvider } from './codeLens';
import { StepOutlineProvider } from './outline';
import { TraceStatusBar } from './statusBar';
import { EditorCommands } from './editorCommands';
import { TokenHeat } from './tokenHeat';

export { TraceViewProvider, traceViewUri, TraceViewScheme } from './traceView';

/** Services the editor features use. */
export interface EditorServices {
  readonly sessions: SessionManager;
  readonly backends: BackendService;
  readonly scoring: ScoringService;
  readonly log: vscode.LogOutputChannel;
}

/**
 * The editor experience on trace documents: heat-map decorations, hovers, CodeLens, outline and
 * folding, the status bar item and the editor commands, all sharing one {@link TraceEditorModel}.
 */
export const EditorFeatures = {
  register(context: vscode.ExtensionContext, services: EditorServices): void {
    const model = new TraceEditorModel(services.sessions, context.globalState);
    context.subscriptions.push(model);
    const decorations = HeatDecorations.register(context, model);
    const codeLenses = StepCodeLensProvider.register(context, model);
    StepHoverProvider.register(context, model);
    StepOutlineProvider.register(context, model);
    const statusBar = TraceStatusBar.register(context, model, services.backends);
    const tokenHeat = TokenHeat.register(context, model);
    EditorCommands.register(context, { model, decorations, codeLenses, statusBar, tokenHeat, backends: services.backends, scoring: services.scoring, log: services.log });
  },
};
