import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { isStepMetric, STEP_METRICS, type SegmentationMode, type StepMetric } from '../shared/vocabulary';
import { metricToShow, type MetricShown } from '../core/metrics';
import type { TraceSession } from '../core/session';
import { SettingsSection } from './config';
import { own } from './context';

/** Where the chosen heat metric is remembered (global state: a view preference, not configuration). */
const METRIC_KEY = 'reasoningLens.editor.metric';

/** The `reasoningLens.*` settings the UI changes, without the section prefix. */
export type UiSetting = 'segmentation' | 'backend' | 'model.path' | 'model.variant';

/** Settings read only from user scope (they load code or send data somewhere; see config.ts). */
const USER_ONLY: ReadonlySet<UiSetting> = new Set(['model.path']);

/**
 * The one store of what the user changes from the UI, shared by the palette, the editor and the side
 * panel, so that they always agree and write to the same place:
 * - settings (`update`) go to the user's settings, unless the user already keeps that setting in
 *   this workspace (then there, where it takes effect): a click never creates a
 *   `.vscode/settings.json` in someone's dataset folder;
 * - the heat metric is a view preference kept in global state; `metricFor` says which metric a
 *   trace is actually coloured by (a stand-in when the trace has no values for the chosen one).
 */
export class SettingsStore extends Disposable {
  private chosenMetric: StepMetric;
  private readonly metricChanged = this._register(new vscode.EventEmitter<StepMetric>());
  /** Fires when the user picks another metric (from the palette, the editor or the side panel). */
  readonly onDidChangeMetric = this.metricChanged.event;

  /**
   * Creates the store; `isScoring` tells whether a session's scores are on the way (then its chosen
   * metric stands until they arrive). Disposed with the extension.
   */
  static create(extension: vscode.ExtensionContext, isScoring: (session: TraceSession) => boolean): SettingsStore {
    return own(extension, new SettingsStore(extension.globalState, isScoring));
  }

  private constructor(private readonly memento: vscode.Memento, private readonly isScoring: (session: TraceSession) => boolean) {
    super();
    const saved = memento.get<string>(METRIC_KEY);
    this.chosenMetric = isStepMetric(saved) ? saved : STEP_METRICS[0];
  }

  /** The metric the user chose for the heat map. */
  get metric(): StepMetric {
    return this.chosenMetric;
  }

  /** Chooses the heat metric everywhere (status bar, editor, side panel); remembered across sessions. */
  async setMetric(metric: StepMetric): Promise<void> {
    if (metric === this.chosenMetric) return;
    this.chosenMetric = metric;
    this.metricChanged.fire(metric);
    await this.memento.update(METRIC_KEY, metric);
  }

  /** The metric `session` is coloured by: the chosen one, or the stand-in the trace has values for. */
  metricFor(session: TraceSession): MetricShown {
    return metricToShow(this.chosenMetric, (m) => session.metricColumn(m), this.isScoring(session));
  }

  /** The segmentation mode in effect for `scope`. */
  segmentation(scope?: vscode.Uri): SegmentationMode {
    return vscode.workspace.getConfiguration(SettingsSection, scope).get<SegmentationMode>('segmentation', 'auto');
  }

  /** Sets the segmentation mode (see `update` for where it is written). */
  setSegmentation(mode: SegmentationMode, scope?: vscode.Uri): Promise<vscode.ConfigurationTarget> {
    return this.update('segmentation', mode, scope);
  }

  /**
   * Writes a setting where the user keeps it: the workspace folder's or the workspace's settings
   * only when the user already set it there (the value that takes effect), else the user settings.
   * Settings that load code are always written to the user settings. Returns the target used.
   */
  async update(key: UiSetting, value: unknown, scope?: vscode.Uri): Promise<vscode.ConfigurationTarget> {
    const target = this.targetFor(key, scope);
    await vscode.workspace.getConfiguration(SettingsSection, scope).update(key, value, target);
    return target;
  }

  /** Where `update` writes `key`. */
  targetFor(key: UiSetting, scope?: vscode.Uri): vscode.ConfigurationTarget {
    if (USER_ONLY.has(key)) return vscode.ConfigurationTarget.Global;
    const inspected = vscode.workspace.getConfiguration(SettingsSection, scope).inspect(key);
    if (scope && inspected?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
    if (inspected?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
    return vscode.ConfigurationTarget.Global;
  }
}
