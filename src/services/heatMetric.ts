import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { isStepMetric, STEP_METRICS, type StepMetric } from '../shared/vocabulary';
import { own } from './context';

/** Where the choice is remembered (the key the editor has always used, so nobody's choice is lost). */
const KEY = 'reasoningLens.editor.metric';

/**
 * The metric the heat map colours steps by: one choice for every view (the editor's colours and
 * status bar, "Colour Steps By…", the side panel's chart), remembered across sessions in global state
 * (a viewing preference, not configuration). Views listen to `onDidChange`, so they always agree.
 */
export class HeatMetricStore extends Disposable {
  private current: StepMetric;
  private readonly changed = this._register(new vscode.EventEmitter<StepMetric>());
  /** Fires with the new metric after every change. */
  readonly onDidChange = this.changed.event;

  /** Creates the store over the global state; disposed with the extension. */
  static create(extension: vscode.ExtensionContext): HeatMetricStore {
    return own(extension, new HeatMetricStore(extension.globalState));
  }

  private constructor(private readonly memento: vscode.Memento) {
    super();
    const saved = memento.get<string>(KEY);
    this.current = isStepMetric(saved) ? saved : STEP_METRICS[0];
  }

  get metric(): StepMetric {
    return this.current;
  }

  /** Chooses `metric`; fires `onDidChange` (no event when it is already chosen). */
  async update(metric: StepMetric): Promise<void> {
    if (metric === this.current) return;
    this.current = metric;
    this.changed.fire(metric);
    await this.memento.update(KEY, metric);
  }
}
