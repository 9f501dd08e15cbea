import * as vscode from 'vscode';
import { CommandIds, PanelViewId } from './commands/commandIds';
import { registerCommand } from './commands/registerCommand';
import { openSample } from './commands/openSample';
import { SessionManager } from './session/sessionManager';
import { SidePanelProvider } from './panel/sidePanel';
import { BackendService } from './session/backendService';
import { ScoringService } from './session/scoring';

/** Composition root: builds the services, registers providers and commands, and nothing else. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Reasoning Lens', { log: true });
  context.subscriptions.push(log);

  const sessions = SessionManager.register(context, log);
  const backends = BackendService.register(context, log);
  const scoring = new ScoringService(context.globalStorageUri, backends);
  const panel = SidePanelProvider.register(context, sessions, log);

  context.subscriptions.push(
    registerCommand(CommandIds.openSample, log, (relativePath?: string) =>
      openSample(context.extensionUri, typeof relativePath === 'string' ? relativePath : undefined),
    ),
    registerCommand(CommandIds.showPanel, log, () => vscode.commands.executeCommand(`${PanelViewId}.focus`)),
    registerCommand(CommandIds.describePanel, log, () => panel.describeView()),
  );
  log.info(`activated (${vscode.env.appName} ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'})`);
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
