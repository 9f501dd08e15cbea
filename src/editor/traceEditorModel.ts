import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import type { TraceSession } from '../core/session';
import type { StepMetric } from '../shared/vocabulary';
import type { OpenTrace, SessionManager } from '../services/sessionManager';
import type { SettingsStore } from '../services/settingsStore';
import { stepLabel } from './heat';
import type { MetricColumn, MetricShown } from '../core/metrics';
import { TraceViewScheme } from './traceView';
import type { LensContext } from '../services/context';
import type { ScoringService } from '../services/scoringService';
import { hasWarning } from '../core/trace/warnings';

/** What the editor features' `register` receives: the extension's context plus their shared model. */
export interface EditorContext extends LensContext {
  readonly model: TraceEditorModel;
}

/** What the token view colours tokens by; `off` shows the step heat map. */
export type TokenViewMode = 'off' | 'surprisal' | 'rank';

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
 * Shared state of the editor features: the metric the heat map shows (chosen in the settings store,
 * which the side panel shares), the token view, and cached per-document step ranges (the session
 * caches its metric rankings), so that a keep/drop toggle only re-sends decorations instead of
 * recomputing positions and percentiles.
 */
export class TraceEditorModel extends Disposable {
  private readonly ranges = new Map<string, { version: number; session: TraceSession; offset: number; ranges: vscode.Range[] }>();
  private readonly labels = new WeakMap<TraceSession, string[]>();
  private tokenMode: TokenViewMode = 'off';
  private readonly viewChanged = this._register(new vscode.EventEmitter<void>());
  /**
   * Fires when what the views colour by changes: another metric chosen, the token view toggled, or
   * a trace's background scoring started or ended (its stand-in metric may change).
   */
  readonly onDidChangeView = this.viewChanged.event;

  constructor(readonly sessions: SessionManager, private readonly settings: SettingsStore, scoring: ScoringService) {
    super();
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.ranges.delete(d.uri.toString())));
    this._register(settings.onDidChangeMetric(() => this.viewChanged.fire()));
    let scoringNow: TraceSession | undefined;
    this._register(scoring.onDidChangeBackground((b) => {
      const session = b?.doc.session;
      if (session === scoringNow) return;
      scoringNow = session;
      this.viewChanged.fire();
    }));
  }

  /** The metric the user chose. */
  get metric(): StepMetric {
    return this.settings.metric;
  }

  setMetric(metric: StepMetric): Promise<void> {
    return this.settings.setMetric(metric);
  }

  /** The metric `session` is coloured by, and whether it stands in for the chosen one. */
  shown(session: TraceSession): MetricShown {
    return this.settings.metricFor(session);
  }

  /** What the token view shows (`off`: the step heat map). */
  get tokenView(): TokenViewMode {
    return this.tokenMode;
  }

  setTokenView(mode: TokenViewMode): void {
    if (mode === this.tokenMode) return;
    this.tokenMode = mode;
    this.viewChanged.fire();
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

  /** The ranking of `metric` (default: the one shown) within the session's trace (computed by the session). */
  column(session: TraceSession, metric: StepMetric = this.shown(session).metric): MetricColumn {
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
