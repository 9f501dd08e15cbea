import * as vscode from 'vscode';
import type { CommandId } from './commandIds';

/**
 * Registers a command whose failures are caught at the edge: logged with stack to the output channel
 * and shown to the user with a way to see the log (after hediet/vscode-drawio `registerFailableCommand`).
 */
export function registerCommand<A extends unknown[], R>(
  id: CommandId,
  log: vscode.LogOutputChannel,
  handler: (...args: A) => R | Promise<R>,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await handler(...(args as A));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error(`${id} failed:`, error instanceof Error ? error : message);
      void vscode.window.showErrorMessage(`Reasoning Lens: ${message}`, 'Show Log').then((choice) => {
        if (choice === 'Show Log') log.show(true);
      });
      return undefined;
    }
  });
}
