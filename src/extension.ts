import * as vscode from 'vscode';
import type { LensContext } from './services/context';
import { SessionManager } from './services/sessionManager';
import { BackendService } from './services/backendService';
import { ScoringService } from './services/scoringService';
import { PruneSettingsStore } from './services/pruneSettings';
import { SettingsStore } from './services/settingsStore';
import { SidePanelProvider } from './panel/sidePanel';
import { CompareProvider } from './panel/compare';
import { DatasetEditorProvider } from './dataset/datasetEditor';
import { DatasetOffer } from './dataset/datasetOffer';
import { EditorFeatures, TraceViewProvider } from './editor';
import { SampleCommands } from './commands/openSample';
import { PruneCommands } from './commands/pruneCommands';
import { ExportCommand } from './commands/exportCommand';
import { ModelCommands } from './commands/modelCommands';
import { SelectModelCommand } from './commands/selectModel';
import { TokenCountService } from './services/tokenCounts';

/** Every feature: each registers its providers and commands from the one {@link LensContext}. */
const FEATURES: readonly { register(ctx: LensContext): unknown }[] = [
  SampleCommands, DatasetEditorProvider, DatasetOffer, TraceViewProvider, EditorFeatures,
  SidePanelProvider, CompareProvider, PruneCommands, ExportCommand, ModelCommands, SelectModelCommand,
  TokenCountService,
];

/** Composition root: builds the services, registers every feature with them, and nothing else. */
export function activate(extension: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Reasoning Lens', { log: true });
  extension.subscriptions.push(log);
  const backends = BackendService.create(extension, log);
  const sessions = SessionManager.create(extension, log);
  const scoring = ScoringService.create(extension, backends, sessions, log);
  const ctx: LensContext = {
    extension,
    log,
    backends,
    sessions,
    scoring,
    pruneSettings: PruneSettingsStore.create(extension),
    settings: SettingsStore.create(extension, (session) => scoring.isScoring(session)),
  };
  for (const feature of FEATURES) feature.register(ctx);
  log.info(`activated (${vscode.env.appName} ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'})`);
}

export function deactivate(): void {
  // Everything is owned by the extension context's subscriptions.
}
