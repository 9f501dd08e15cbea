import type * as vscode from 'vscode';
import type { BackendService } from './backendService';
import type { PruneSettingsStore } from './pruneSettings';
import type { ScoringService } from './scoringService';
import type { SessionManager } from './sessionManager';
import type { SettingsStore } from './settingsStore';

/**
 * What every `register` receives: VS Code's extension context, the log, and the long-lived services
 * the composition root built. One object, so a provider's dependencies are named the same everywhere
 * and adding a service does not change any `register` signature.
 */
export interface LensContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** One `TraceSession` per open trace document; follows the active editor. */
  readonly sessions: SessionManager;
  /** The active scoring backend (local model or endpoints). */
  readonly backends: BackendService;
  /** Fills sessions' scores: file logprobs, the score cache, or the backend. */
  readonly scoring: ScoringService;
  /** The workspace's chosen pruning method and budget. */
  readonly pruneSettings: PruneSettingsStore;
  /**
   * What the user changes from the UI: settings written where they belong (never a new
   * `.vscode/settings.json`), and the heat metric every view shows (`metricFor(session)`).
   */
  readonly settings: SettingsStore;
}

/**
 * Ties the lifetime of `value` (and of `more`) to the extension's and returns `value`: what every
 * `register` does with the objects it creates.
 */
export function own<T extends vscode.Disposable>(extension: vscode.ExtensionContext, value: T, ...more: vscode.Disposable[]): T {
  extension.subscriptions.push(value, ...more);
  return value;
}
