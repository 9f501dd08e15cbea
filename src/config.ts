import * as vscode from 'vscode';

/**
 * Typed access to `reasoningLens.*` settings. Read on demand and re-read on
 * `affectsConfiguration` only: no global mutable copy (Error Lens' singleton is the pitfall).
 */
export interface ReasoningLensSettings {
  /** Segmentation mode for steps. */
  readonly segmentation: 'paragraph' | 'sentence' | 'heading' | 'marker' | 'file';
}

export const SettingsSection = 'reasoningLens';

/** Reads the current settings (defaults come from package.json). */
export function readSettings(scope?: vscode.ConfigurationScope): ReasoningLensSettings {
  const c = vscode.workspace.getConfiguration(SettingsSection, scope);
  return {
    segmentation: c.get<ReasoningLensSettings['segmentation']>('segmentation', 'paragraph'),
  };
}

/** Calls `listener` whenever a `reasoningLens.*` setting changes. */
export function onDidChangeSettings(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SettingsSection)) listener();
  });
}
