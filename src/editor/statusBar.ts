import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { Disposable } from '../util/disposable';
import { CommandIds } from '../commands/commandIds';
import type { BackendService } from '../services/backendService';
import type { OpenTrace } from '../services/sessionManager';
import type { BackgroundScoring, ScoringService } from '../services/scoringService';
import { HEAT_BUCKETS, HEAT_STEP_NAMES, heatColourCss } from '../shared/heat';
import { METRIC_INFO } from '../shared/vocabulary';
import { formatCount, formatDuration, formatScore, formatTotals, remainingMs } from '../shared/format';
import type { EditorContext, TraceEditorModel } from './traceEditorModel';
import type { TokenView } from './tokenView';
import { own } from '../services/context';

/** What the status bar items show (for tests and the benchmark). */
export interface StatusDescription {
  readonly visible: boolean;
  readonly text: string;
  readonly tooltip: string;
  /** The background-scoring item ("Scoring … · a click cancels"), when visible. */
  readonly scoring?: string;
  /** `performance.now()` of the last update. */
  readonly updatedAt: number;
}

/** A swatch of heat step `bucket` in its real theme colour (a hover may use theme colour variables). */
function swatch(bucket: number): string {
  return `<span style="background-color:${heatColourCss(bucket)};">&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</span>`;
}

/**
 * `4,812 → 2,103 tokens (−56%) · first-token surprisal · local · reasoning-lens-tiny` for the active
 * trace (`~` while counts are estimates); the tooltip is the legend, in the real heat colours with
 * the score range of each step (or the token view's buckets). A click opens the side panel. A second
 * item shows a trace being scored in the background, with the time left; a click cancels it.
 * Updated synchronously on every change: they are short strings.
 */
export class TraceStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly scoringItem: vscode.StatusBarItem;
  private state: StatusDescription = { visible: false, text: '', tooltip: '', updatedAt: 0 };

  static register(ctx: EditorContext, tokenView: TokenView): TraceStatusBar {
    return own(ctx.extension, new TraceStatusBar(ctx.model, ctx.backends, ctx.scoring, tokenView));
  }

  private constructor(private readonly model: TraceEditorModel, private readonly backends: BackendService, private readonly scoring: ScoringService, private readonly tokenView: TokenView) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('reasoningLens.status', vscode.StatusBarAlignment.Left, 50));
    this.item.name = 'Reasoning Lens';
    this.item.command = CommandIds.showPanel;
    this.scoringItem = this._register(vscode.window.createStatusBarItem('reasoningLens.scoring', vscode.StatusBarAlignment.Left, 49));
    this.scoringItem.name = 'Reasoning Lens: scoring';
    this.scoringItem.command = CommandIds.cancelScoring;
    this._register(model.sessions.onDidChangeActive(() => this.update()));
    this._register(model.sessions.onDidChangeSession((e) => { if (e.session === model.sessions.active) this.update(); }));
    this._register(model.onDidChangeView(() => this.update()));
    this._register(backends.onDidChange(() => this.update()));
    this._register(scoring.onDidChangeBackground(() => this.update()));
    this.update();
  }

  describe(): StatusDescription {
    return this.state;
  }

  update(): void {
    const scoringText = this.updateScoring(this.scoring.background);
    const doc = this.model.sessions.active;
    if (!doc) {
      this.item.hide();
      this.state = { visible: false, text: '', tooltip: '', ...(scoringText ? { scoring: scoringText } : {}), updatedAt: performance.now() };
      return;
    }
    try {
      const { before, after, estimated } = doc.session.totals();
      const text = `$(telescope) ${formatTotals(before, after, estimated)} · ${this.colouredBy(doc)} · ${this.backends.label()}`;
      const tooltip = this.legend(doc);
      this.item.text = text;
      this.item.tooltip = tooltip;
      this.item.accessibilityInformation = { label: `Reasoning Lens: ${text.replace('$(telescope) ', '')}. Open the side panel.`, role: 'button' };
      this.item.show();
      this.state = { visible: true, text, tooltip: tooltip.value, ...(scoringText ? { scoring: scoringText } : {}), updatedAt: performance.now() };
    } catch {
      this.item.hide();
    }
  }

  /** "first-token surprisal", "first-token surprisal (no importance here)", "tokens by rank". */
  private colouredBy(doc: OpenTrace): string {
    const mode = this.model.tokenView;
    if (mode !== 'off') return `tokens by ${mode}`;
    const shown = this.model.shown(doc.session);
    const label = METRIC_INFO[shown.metric].label;
    return shown.fallback ? `${label} (no ${METRIC_INFO[shown.chosen].label} here)` : label;
  }

  /** Shows or hides the background-scoring item; returns its text when shown. */
  private updateScoring(job: BackgroundScoring | undefined): string | undefined {
    if (!job) {
      this.scoringItem.hide();
      return undefined;
    }
    const share = job.total > 0 ? ` ${Math.floor((job.done / job.total) * 100)}%` : '';
    const left = remainingMs(Date.now() - job.startedAt, job.done, job.total);
    const eta = left !== undefined && left > 0 ? ` · ${formatDuration(left)} left` : '';
    const text = `$(sync~spin) Scoring${share}${eta}`;
    this.scoringItem.text = text;
    this.scoringItem.tooltip = `Reasoning Lens is scoring ${job.doc.summary.name} with ${job.model} (${formatCount(job.done)} / ${formatCount(job.total)} tokens), so its steps get colours. Click to cancel. Traces over reasoningLens.scoreOnOpen.maxTokens tokens are scored only on "Score Trace".`;
    this.scoringItem.accessibilityInformation = { label: `Scoring ${job.doc.summary.name}${share}${eta}. Activate to cancel.`, role: 'button' };
    this.scoringItem.show();
    return text;
  }

  /** The legend: the real heat colours with the value range of each step (or token bucket). */
  private legend(doc: OpenTrace): vscode.MarkdownString {
    const md = new vscode.MarkdownString('', true);
    md.supportHtml = true;
    md.isTrusted = { enabledCommands: [CommandIds.switchMetric, CommandIds.scoreTrace, CommandIds.showPanel, CommandIds.toggleTokenView] };
    md.appendMarkdown(`**Reasoning Lens** · `);
    md.appendText(doc.summary.name);
    md.appendMarkdown(`\n\n${doc.session.steps.length} steps, ${doc.session.plan.kept.length} kept${doc.session.tokensEstimated ? ' (token counts estimated at ~4 characters per token until the trace is scored)' : ''}.\n\n`);
    if (doc.session.tokenCountSource) md.appendText(`Tokens counted by ${doc.session.tokenCountSource}.\n\n`);
    if (this.model.tokenView !== 'off') this.tokenLegend(doc, md);
    else this.stepLegend(doc, md);
    md.appendMarkdown(`[Colour by…](command:${CommandIds.switchMetric}) · [Token view](command:${CommandIds.toggleTokenView}) · [Side panel](command:${CommandIds.showPanel})`);
    return md;
  }

  private stepLegend(doc: OpenTrace, md: vscode.MarkdownString): void {
    const shown = this.model.shown(doc.session);
    const column = this.model.column(doc.session, shown.metric);
    const info = METRIC_INFO[column.metric];
    if (shown.fallback) {
      md.appendMarkdown(`_This trace has no ${METRIC_INFO[shown.chosen].label} values, so its steps are coloured by ${info.label}. Traces that have ${METRIC_INFO[shown.chosen].label} show it again._\n\n`);
    }
    if (column.count === 0) {
      const pending = this.scoring.isScoring(doc.session) ? ' It is being scored now.' : '';
      md.appendMarkdown(`No ${info.label} values for this trace yet.${pending} [Score Trace](command:${CommandIds.scoreTrace}) or [colour by another metric](command:${CommandIds.switchMetric}).\n\n`);
      return;
    }
    md.appendMarkdown(`**Heat: ${info.label}** (${info.hotWhenHigh ? 'high' : 'low'} is hot; fifths of the steps of this trace)\n\n| | step | ${info.label} |\n|---|---|---|\n`);
    for (let b = HEAT_BUCKETS - 1; b >= 0; b--) {
      const r = column.bucketRanges[b];
      const range = r ? `${formatScore(r[0])} – ${formatScore(r[1])}${info.unit ? ` ${info.unit}` : ''}` : '—';
      md.appendMarkdown(`| ${swatch(b)} | ${HEAT_STEP_NAMES[b]} | ${range} |\n`);
    }
    md.appendMarkdown('\nDropped steps are dimmed and struck through.\n\n');
  }

  private tokenLegend(doc: OpenTrace, md: vscode.MarkdownString): void {
    const mode = this.model.tokenView;
    const table = doc.session.tokenTable;
    const colours = table ? this.tokenView.coloursOf(table) : undefined;
    if (!colours) {
      md.appendMarkdown(`**Token view: ${mode}.** No token scores for this trace yet: [Score Trace](command:${CommandIds.scoreTrace}).\n\n`);
      return;
    }
    md.appendMarkdown(`**Token view: every token by its ${mode === 'rank' ? 'rank under the model (GLTR)' : 'surprisal'}**\n\n| | tokens | ${mode} |\n|---|---:|---|\n`);
    for (let b = HEAT_BUCKETS - 1; b >= 0; b--) {
      const row = colours.legend[b]!;
      md.appendMarkdown(`| ${swatch(b)} | ${formatCount(row.tokens)} | ${row.label} |\n`);
    }
    if (colours.note) md.appendMarkdown(`\n_${colours.note}_\n`);
    const other = mode === 'rank' ? 'surprisal' : 'rank';
    md.appendMarkdown(`\n[Colour tokens by ${other}](command:${CommandIds.toggleTokenView}?${encodeURIComponent(JSON.stringify([other]))}) · [Back to steps](command:${CommandIds.toggleTokenView}?${encodeURIComponent(JSON.stringify(['off']))})\n\n`);
  }
}
