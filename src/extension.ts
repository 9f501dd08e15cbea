import * as vscode from 'vscode';
import { CommandIds, PanelViewId } from './commands/commandIds';
import { registerCommand } from './commands/registerCommand';
import { openSample } from './commands/openSample';
import { SessionManager } from './session/sessionManager';
import { SidePanelProvider } from './panel/sidePanel';
import { CompareProvider } from './panel/compare';
import { BackendService } from './session/backendService';
import { ScoringService } from './session/scoring';
import { DatasetEditorProvider } from './dataset/datasetEditor';
import { DatasetOffer } from './dataset/datasetOffer';
import { EditorFeatures, TraceViewProvider } from './editor';
import { PruneSettingsStore } from './commands/pruneSettings';
import { PruneCommands } from './commands/pruneCommands';
import { ExportCommand } from './export/exportCommand';

/** Composition root: builds the services, registers providers and commands, and nothing else. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Reasoning Lens', { log: true });
  context.subscriptions.push(log);

  const sessions = SessionManager.register(context, log);
  const backends = BackendService.register(context, log);
  const scoring = new ScoringService(context.globalStorageUri, backends);
  DatasetEditorProvider.register(context, log);
  DatasetOffer.register(context, log);
  TraceViewProvider.register(context, sessions, log);
  EditorFeatures.register(context, { sessions, backends, scoring, log });
  const pruneSettings = PruneSettingsStore.register(context);
  const panel = SidePanelProvider.register(context, sessions, backends, pruneSettings, log);
  const compare = CompareProvider.register(context, sessions);
  PruneCommands.register(context, { sessions, backends, scoring, settings: pruneSettings, log });
  ExportCommand.register(context, sessions, pruneSettings, log);

  context.subscriptions.push(
    registerCommand(CommandIds.openSample, log, (relativePath?: string) =>
      openSample(context.extensionUri, typeof relativePath === 'string' ? relativePath : undefined),
    ),
    registerCommand(CommandIds.showPanel, log, () => vscode.commands.executeCommand(`${PanelViewId}.focus`)),
    registerCommand(CommandIds.describePanel, log, () => panel.describeView()),
    registerCommand(CommandIds.panelRequest, log, (request: Parameters<SidePanelProvider['handleRequest']>[0]) => panel.handleRequest(request)),
    registerCommand(CommandIds.compareOriginalPruned, log, () => compare.compareActive()),
  );
  log.info(`activated (${vscode.env.appName} ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'})`);
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
