import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

/**
 * Writes `settings` into the test folder's .vscode/settings.json, waits until VS Code has read it (a
 * change of `reasoningLens.segmentation`, which `settings` must set), runs `check`, then removes the file.
 */
export async function withWorkspaceSettings(settings: Record<string, unknown>, check: () => void | Promise<void>): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suite runs in a folder');
  if (!('reasoningLens.segmentation' in settings)) throw new Error('set reasoningLens.segmentation: its change marks the file as read');
  const dir = join(folder.uri.fsPath, '.vscode');
  mkdirSync(dir, { recursive: true });
  const changed = new Promise<void>((resolve) => {
    const sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('reasoningLens.segmentation')) {
        sub.dispose();
        resolve();
      }
    });
  });
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings));
  try {
    await Promise.race([changed, new Promise((_, reject) => setTimeout(() => reject(new Error('the workspace settings file was not picked up')), 20_000))]);
    await check();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
