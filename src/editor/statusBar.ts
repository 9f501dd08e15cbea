import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { Disposable } from '../util/disposable';
import { CommandIds } from '../commands/commandIds';
import type { BackendService } from '../services/backendService';
import type { OpenTrace } from '../services/sessionManager';
import { HEAT_BUCKETS } from '../core/metrics';
import { METRIC_INFO } from '../shared/vocabulary';
import { formatScore, formatTotals } from '../shared/format';
import type { EditorContext, TraceEditorModel } from './traceEditorModel';
import { own } from '../services/context';

/** What the status bar item shows (for tests and the benchmark). */
export interface StatusDescription {
  readonly visible: boolean;
  readonly text: string;
  readonly tooltip: string;
  /** `performance.now()` of the last update. */
  readonly updatedAt: number;
}

const BUCKET_NAMES = ['coolest', 'cool', 'middle', 'warm', 'hottest'];

/**
 * `4,812 → 2,103 tokens (−56%) · first-token surprisal · local · reasoning-lens-tiny` for the active
 * trace (`~` while counts are estimates); the tooltip is the heat-map legend. Clicking opens the side
 * panel. Updated synchronously on every change: it is one string.
 */
export class TraceStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: StatusDescription = { visible: false, text: '', tooltip: '', updatedAt: 0 };

  static register(ctx: EditorContext): TraceStatusBar {
    return own(ctx.extension, new TraceStatusBar(ctx.model, ctx.backends));
  }

  private constructor(private readonly model: TraceEditorModel, private readonly backends: BackendService) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('reasoningLens.status', vscode.StatusBarAlignment.Left, 50));
    this.item.name = 'Reasoning Lens';
    this.item.command = CommandIds.showPanel;
    this._register(model.sessions.onDidChangeActive(() => this.update()));
    this._register(model.sessions.onDidChangeSession((e) => { if (e.session === model.sessions.active) this.update(); }));
    this._register(model.onDidChangeMetric(() => this.update()));
    this._register(backends.onDidChange(() => this.update()));
    this.update();
  }

  describe(): StatusDescription {
    return this.state;
  }

  update(): void {
    const doc = this.model.sessions.active;
    if (!doc) {
      this.item.hide();
      this.state = { visible: false, text: '', tooltip: '', updatedAt: performance.now() };
      return;
    }
    try {
      const { before, after, estimated } = doc.session.totals();
      const metric = METRIC_INFO[this.model.metric].label;
      const text = `$(telescope) ${formatTotals(before, after, estimated)} · ${metric} · ${this.backends.label()}`;
      const tooltip = this.legend(doc);
      this.item.text = text;
      this.item.tooltip = tooltip;
      this.item.accessibilityInformation = { label: `Reasoning Lens: ${text.replace('$(telescope) ', '')}. Open the side panel.`, role: 'button' };
      this.item.show();
      this.state = { visible: true, text, tooltip: tooltip.value, updatedAt: performance.now() };
    } catch {
      this.item.hide();
    }
  }

  /** Legend of the heat colours: the value range of each bucket for the active metric. */
  private legend(doc: OpenTrace): vscode.MarkdownString {
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: [CommandIds.switchMetric, CommandIds.scoreTrace, CommandIds.showPanel] };
    const column = this.model.column(doc.session);
    const info = METRIC_INFO[column.metric];
    md.appendMarkdown(`**Reasoning Lens** · `);
    md.appendText(doc.summary.name);
    md.appendMarkdown(`\n\n${doc.session.steps.length} steps, ${doc.session.plan.kept.length} kept${doc.session.tokensEstimated ? ' (token counts estimated at ~4 characters per token until the trace is scored)' : ''}.\n\n`);
    if (doc.session.tokenCountSource) md.appendText(`Tokens counted by ${doc.session.tokenCountSource}.\n\n`);
    if (column.count === 0) {
      md.appendMarkdown(`No ${info.label} values for this trace: [Score Trace](command:${CommandIds.scoreTrace}) or [colour by another metric](command:${CommandIds.switchMetric}).\n\n`);
    } else {
      md.appendMarkdown(`**Heat: ${info.label}** (${info.hotWhenHigh ? 'high' : 'low'} is hot; quintiles within this trace)\n\n| colour | ${info.label} |\n|---|---|\n`);
      for (let b = HEAT_BUCKETS - 1; b >= 0; b--) {
        const r = column.bucketRanges[b];
        md.appendMarkdown(`| ${'\u2588'.repeat(b + 1)} ${BUCKET_NAMES[b]} | ${r ? `${formatScore(r[0])} – ${formatScore(r[1])}${info.unit ? ` ${info.unit}` : ''}` : '—'} |\n`);
      }
      md.appendMarkdown('\nDropped steps are dimmed and struck through.\n\n');
    }
    md.appendMarkdown(`[Colour by…](command:${CommandIds.switchMetric}) · [Side panel](command:${CommandIds.showPanel})`);
    return md;
  }
}
