import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import type { TraceSession } from '../core/session';
import type { StepMetric } from '../shared/vocabulary';
import type { OpenTrace, SessionManager } from '../services/sessionManager';
import { stepLabel } from './heat';
import type { MetricColumn } from '../core/metrics';
import { TraceViewScheme } from './traceView';
import type { LensContext } from '../services/context';
import type { HeatMetricStore } from '../services/heatMetric';
import { hasWarning } from '../core/trace/warnings';

/** What the editor features' `register` receives: the extension's context plus their shared model. */
export interface EditorContext extends LensContext {
  readonly model: TraceEditorModel;
}

/**
 * Where the steps of an {@link OpenTrace} lie in one text document (its reasoning located in the text):
 * what every editor feature works on.
 */
export interface StepLayout {
  readonly document: vscode.TextDocument;
  readonly open: OpenTrace;
  readonly session: TraceSession;
  /** Where the reasoning starts in the document text. */
  readonly reasoningOffset: number;
  /** The document range of each step (cached per document version). */
  readonly stepRanges: readonly vscode.Range[];
}

/**
 * Shared state of the editor features: the metric the heat map shows (the extension's one
 * {@link HeatMetricStore}, which the side panel shares), and cached per-document step ranges (the session caches its metric rankings), so that a keep/drop
 * toggle only re-sends decorations instead of recomputing positions and percentiles.
 */
export class TraceEditorModel extends Disposable {
  private readonly ranges = new Map<string, { version: number; session: TraceSession; offset: number; ranges: vscode.Range[] }>();
  private readonly labels = new WeakMap<TraceSession, string[]>();
  /** Fires when the user picks another metric (here, from the palette, or in the side panel). */
  readonly onDidChangeMetric: vscode.Event<StepMetric>;

  constructor(readonly sessions: SessionManager, private readonly metrics: HeatMetricStore) {
    super();
    this.onDidChangeMetric = metrics.onDidChange;
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.ranges.delete(d.uri.toString())));
  }

  get metric(): StepMetric {
    return this.metrics.metric;
  }

  async setMetric(metric: StepMetric): Promise<void> {
    await this.metrics.update(metric);
  }

  /**
   * The trace shown in `document`, or undefined when it has none or its reasoning cannot be placed in
   * the text (a JSON record, or a markdown file without reasoning delimiters: no lenses on a README).
   */
  layout(document: vscode.TextDocument): StepLayout | undefined {
    const doc = this.sessions.sessionFor(document);
    if (!doc || doc.reasoningOffset === undefined) return undefined;
    const { trace } = doc.session;
    if (document.uri.scheme !== TraceViewScheme && hasWarning(trace, 'no-delimiters')) return undefined;
    const key = document.uri.toString();
    let cached = this.ranges.get(key);
    if (!cached || cached.version !== document.version || cached.session !== doc.session || cached.offset !== doc.reasoningOffset) {
      const offset = doc.reasoningOffset;
      // Reasoning offsets can run past the text only if the document changed under a stale session.
      const length = document.getText().length;
      const ranges = doc.session.steps.map((s) => new vscode.Range(
        document.positionAt(Math.min(length, offset + s.start)),
        document.positionAt(Math.min(length, offset + s.end)),
      ));
      cached = { version: document.version, session: doc.session, offset, ranges };
      this.ranges.set(key, cached);
    }
    return { document, open: doc, session: doc.session, reasoningOffset: cached.offset, stepRanges: cached.ranges };
  }

  /** The ranking of `metric` (default: the active one) within the session's trace (computed by the session). */
  column(session: TraceSession, metric: StepMetric = this.metrics.metric): MetricColumn {
    return session.metricColumn(metric);
  }

  /** Label of each step (function tags or rules), computed once per session. */
  label(session: TraceSession, index: number): string {
    let labels = this.labels.get(session);
    if (!labels) {
      labels = session.steps.map((s) => stepLabel(s, session.trace.chunks));
      this.labels.set(session, labels);
    }
    return labels[index] ?? 'reasoning';
  }

  /** The step whose range contains `position` (or the nearest one before it). */
  stepAt(td: StepLayout, position: vscode.Position): number | undefined {
    const offset = td.document.offsetAt(position) - td.reasoningOffset;
    const step = td.session.stepAt(offset);
    if (!step) return undefined;
    // Past the end of the reasoning (the answer section) is no step.
    if (offset > step.end && step.index === td.session.steps.length - 1) return undefined;
    return step.index;
  }
}
