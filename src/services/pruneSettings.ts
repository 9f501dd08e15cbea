import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { ASAP_DEFAULT_RATIO, DEFAULT_METHOD, isPruneMethodId, type Budget, type PruneMethodId } from '../core/prune';
import { isBudget } from '../core/prune/budgetText';
import { own } from './context';

/** The user's pruning choice: method and budget. */
export interface PruneSettings {
  readonly method: PruneMethodId;
  readonly budget: Budget;
}

/** ASAP at ASAP's default ratio (arXiv 2508.05988). */
export const DEFAULT_PRUNE_SETTINGS: PruneSettings = { method: DEFAULT_METHOD, budget: { kind: 'ratio', ratio: ASAP_DEFAULT_RATIO } };

const KEY = 'reasoningLens.pruneSettings';

/**
 * Method and budget chosen for this workspace (workspace state, not settings: it is a working choice,
 * like a search query, not configuration). Views listen to `onDidChange`; the side panel and the
 * palette commands read and write the same store, so a budget set in one shows in the other.
 */
export class PruneSettingsStore extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<PruneSettings>());
  /** Fires with the new settings after every change. */
  readonly onDidChange = this.changed.event;

  /** Creates the store over the workspace state; disposed with the extension. */
  static create(extension: vscode.ExtensionContext): PruneSettingsStore {
    return own(extension, new PruneSettingsStore(extension.workspaceState));
  }

  private constructor(private readonly memento: vscode.Memento) {
    super();
  }

  /** The stored choice, repaired to the default where storage holds something unusable. */
  get current(): PruneSettings {
    const raw = this.memento.get<Partial<PruneSettings>>(KEY);
    const method = isPruneMethodId(raw?.method) ? raw.method : DEFAULT_PRUNE_SETTINGS.method;
    const budget = isBudget(raw?.budget) ? raw.budget : DEFAULT_PRUNE_SETTINGS.budget;
    return { method, budget };
  }

  get method(): PruneMethodId {
    return this.current.method;
  }

  get budget(): Budget {
    return this.current.budget;
  }

  /** Stores a new method and/or budget and fires `onDidChange` (no event when nothing changed). */
  async update(change: Partial<PruneSettings>): Promise<void> {
    const before = this.current;
    const next: PruneSettings = { ...before, ...change };
    if (JSON.stringify(next) === JSON.stringify(before)) return;
    await this.memento.update(KEY, next);
    this.changed.fire(next);
  }
}
