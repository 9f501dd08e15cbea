import { LitElement, css, html, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import {
  assertNever,
  parseToWebview,
  type HostRequest,
  type PanelCommand,
  type PanelNotification,
  type PanelPlan,
  type PanelSettings,
  type PanelTrace,
  type TraceSummary,
  type ViewDescription,
  type WebviewRequest,
} from '../../src/shared/protocol';
import { METRIC_INFO, SEGMENTATION_MODES, STEP_METRICS, type SegmentationMode, type StepMetric } from '../../src/shared/vocabulary';
import { WebviewChannel } from '../common/channel';
import { chartMetric, metricLabel, indexPlan, selectableMetrics, STATUS_WORDS, type PlanIndex } from './model';
import { formatCount, formatScore } from '../../src/shared/format';
import { reducePreview, restorePreview, type PreviewState } from './previewState';
import type { RlDiffList } from './diffList';
import './diffList';
import './scoreChart';
import './previewPane';

/** What survives hiding and reloading (the host re-sends trace and plan after `ready`). */
interface PanelState {
  readonly trace: TraceSummary | null;
  readonly method?: string;
  readonly budget?: number;
  readonly collapseDropped?: boolean;
  readonly active?: number;
  readonly preview?: PreviewState;
}

/** How long a budget drag waits before asking the host to re-prune (coalesces slider events). */
const BUDGET_DEBOUNCE_MS = 30;
const UPDATE_SAMPLES = 200;

const COMMAND_LABELS: Readonly<Record<PanelCommand, string>> = {
  score: 'Score', prune: 'Prune…', reset: 'Reset', undo: 'Undo', redo: 'Redo', export: 'Export…', compare: 'Compare',
};

/** The codicon of each action button. */
const COMMAND_ICONS: Readonly<Record<PanelCommand, string>> = {
  score: 'pulse', prune: 'filter', reset: 'discard', undo: 'arrow-left', redo: 'arrow-right', export: 'export', compare: 'diff',
};

/** The segmentation modes in words (the setting's values are ids). */
const SEGMENTATION_WORDS: Readonly<Record<SegmentationMode, string>> = {
  auto: 'Auto (paragraphs, else sentences)', paragraph: 'Paragraphs', sentence: 'Sentences', heading: 'Headings and bold labels',
  marker: 'Discourse markers ("Wait", "Hmm"…)', file: 'The file\'s own chunks',
};

/**
 * The side panel: summary and totals, controls (method, live budget, metric, segmentation, palette
 * actions), the score chart, the step-aligned diff, the active step in full, and the model preview.
 * Trace text and names are untrusted: they only ever go through Lit's text bindings (never HTML).
 */
class RlPanel extends LitElement {
  static override styles = css`
    :host { display: block; }
    h2 { font-size: 1.1em; font-weight: 600; margin: 4px 0 4px; overflow-wrap: anywhere; }
    h3 { font-size: 1em; font-weight: 600; margin: 10px 0 4px; }
    .summary { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; color: var(--vscode-descriptionForeground); }
    .summary b { color: var(--vscode-foreground); font-weight: 600; }
    .totals { font-variant-numeric: tabular-nums; }
    .answer { max-width: 28em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .saving { color: var(--vscode-charts-green); }
    .controls { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; margin: 8px 0; }
    .field { display: flex; gap: 6px; align-items: center; }
    .field > span { color: var(--vscode-descriptionForeground); }
    vscode-single-select { width: 15em; max-width: 100%; }
    /* One column in a side bar (controls, chart, the diff, the step, the preview), two when wide. */
    .layout {
      display: grid; grid-template-columns: minmax(0, 1fr); gap: 4px 16px;
      grid-template-areas: 'controls' 'chart' 'diff' 'active' 'preview';
    }
    .layout > section { min-width: 0; }
    .controls-area { grid-area: controls; }
    .chart-area { grid-area: chart; }
    .diff-area { grid-area: diff; }
    .active-area { grid-area: active; }
    .preview-area { grid-area: preview; }
    rl-diff-list { --rl-list-height: max(240px, 50vh); }
    @media (min-width: 900px) {
      .layout {
        grid-template-columns: minmax(360px, 5fr) minmax(0, 6fr);
        grid-template-areas: 'controls diff' 'chart diff' 'active diff' 'preview diff';
        grid-template-rows: auto auto auto 1fr;
      }
      rl-diff-list { --rl-list-height: max(220px, calc(100vh - 120px)); }
      .diff-area h3 { margin-top: 0; }
    }
    input[type='range'] { width: 160px; accent-color: var(--vscode-button-background); }
    input[type='range']:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
    .budget-value { font-variant-numeric: tabular-nums; min-width: 3em; }
    .actions { display: flex; flex-wrap: wrap; gap: 4px; }
    .backend { color: var(--vscode-descriptionForeground); }
    .empty { color: var(--vscode-descriptionForeground); }
    .error { color: var(--vscode-errorForeground); margin: 4px 0; }
    .note { color: var(--vscode-descriptionForeground); font-style: italic; }
    .detail { margin-top: 6px; display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 8px; }
    @media (max-width: 520px) { .detail { grid-template-columns: minmax(0, 1fr); } }
    .detail pre {
      white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; max-height: 160px; overflow-y: auto; padding: 6px;
      font-family: var(--vscode-editor-font-family); border: 1px solid var(--vscode-panel-border, transparent);
    }
    .detail .meta { grid-column: 1 / -1; color: var(--vscode-descriptionForeground); }
    .detail pre.whole { grid-column: 1 / -1; }
    .detail pre.dropped { text-decoration: line-through; color: var(--vscode-disabledForeground, var(--vscode-descriptionForeground)); }
    .preview-tag { color: var(--vscode-editorWarning-foreground); }
  `;

  static override properties = {
    trace: { state: true },
    detail: { state: true },
    plan: { state: true },
    settings: { state: true },
    method: { state: true },
    budget: { state: true },
    metric: { state: true },
    collapseDropped: { state: true },
    active: { state: true },
    preview: { state: true },
    error: { state: true },
  };

  private readonly channel = new WebviewChannel<PanelNotification, HostRequest, WebviewRequest, PanelState>({
    parse: parseToWebview,
    onNotification: (message) => this.onNotification(message),
    // The host asks what is on screen: answer once the last update has rendered.
    answer: async () => {
      await this.updateComplete;
      return this.describe();
    },
    timeoutMs: 30_000,
  });
  private readonly saved = this.channel.savedState;
  trace: TraceSummary | null = this.saved?.trace ?? null;
  detail: PanelTrace | null = null;
  plan: PanelPlan | null = null;
  settings: PanelSettings | null = null;
  /** The chosen method's id; empty until the host's settings name one. */
  method = this.saved?.method ?? '';
  budget = this.saved?.budget ?? 0.8;
  /** The heat map's metric: the host's (shared with the editor and the status bar), changed by asking it. */
  metric: StepMetric = STEP_METRICS[0];
  collapseDropped = this.saved?.collapseDropped ?? true;
  active = this.saved?.active ?? 0;
  preview: PreviewState = restorePreview(this.saved?.preview);
  error: string | null = null;
  private planIndex: PlanIndex | null = null;
  private budgetTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the slider last moved (for the input → rendered latency). */
  private lastBudgetInput: number | undefined;
  private readonly updateMs: number[] = [];
  private readonly dragMs: number[] = [];
  private readonly previewUpdateMs: number[] = [];
  private previewInFlight = false;
  private previewQueued = false;

  override connectedCallback(): void {
    super.connectedCallback();
    // Anything the CSP blocks is a bug (a style attribute, an injected script): count it where tests look.
    document.addEventListener('securitypolicyviolation', (e) => {
      this.dataset.cspViolations = `${Number(this.dataset.cspViolations ?? 0) + 1}`;
      console.warn(`CSP blocked ${e.violatedDirective}: ${e.blockedURI || e.sample}`);
    });
    this.channel.connect();
  }

  override disconnectedCallback(): void {
    this.channel.disconnect('panel closed');
    clearTimeout(this.budgetTimer);
    super.disconnectedCallback();
  }

  private onNotification(message: PanelNotification): void {
    switch (message.type) {
      case 'state':
        this.trace = message.trace;
        if (message.detail !== undefined) this.detail = message.detail;
        if (!message.trace) this.detail = null;
        if (message.plan !== undefined) this.setPlan(message.plan);
        if (this.detail && this.active >= this.detail.steps.length) this.active = 0;
        this.save();
        return;
      case 'plan':
        this.setPlan(message.plan);
        return;
      case 'settings': {
        this.settings = message.settings;
        this.metric = message.settings.metric;
        const chosen = message.settings.chosen;
        // Follow the workspace's choice (also set from the palette), unless a drag is in progress.
        if (chosen && !this.dragging) {
          if (message.settings.methods.some((m) => m.id === chosen.method)) this.method = chosen.method;
          if (chosen.budgetRatio !== null) this.budget = chosen.budgetRatio;
        }
        if (!message.settings.methods.some((m) => m.id === this.method)) this.method = message.settings.methods[0]?.id ?? '';
        return;
      }
      case 'preview':
        this.preview = reducePreview(this.preview, message.event);
        if (!this.preview.running) this.save();
        return;
      default:
        assertNever(message);
    }
  }

  /** Takes a new plan and measures how long the diff and the chart take to show it. */
  private setPlan(plan: PanelPlan | null): void {
    const started = performance.now();
    performance.mark('rl-plan-start');
    this.plan = plan;
    this.planIndex = this.detail ? indexPlan(this.detail.steps.length, plan) : null;
    void this.measure(started, plan?.preview ?? false);
  }

  private async measure(started: number, preview: boolean): Promise<void> {
    await this.updateComplete;
    const list = this.renderRoot.querySelector('rl-diff-list') as LitElement | null;
    const chart = this.renderRoot.querySelector('rl-score-chart') as LitElement | null;
    await Promise.all([list?.updateComplete, chart?.updateComplete]);
    // Force style and layout so the figure includes them, not only Lit's DOM updates.
    list?.shadowRoot?.querySelector('.list')?.getBoundingClientRect();
    chart?.shadowRoot?.querySelector('svg')?.getBoundingClientRect();
    const ms = performance.now() - started;
    performance.measure('rl-plan-update', 'rl-plan-start');
    this.updateMs.push(ms);
    if (this.updateMs.length > UPDATE_SAMPLES) this.updateMs.shift();
    this.dataset.updateMs = ms.toFixed(2);
    this.dataset.updateList = this.updateMs.map((x) => x.toFixed(2)).join(',');
    this.dataset.updates = String(this.updateMs.length);
    if (preview) {
      this.previewUpdateMs.push(ms);
      if (this.previewUpdateMs.length > UPDATE_SAMPLES) this.previewUpdateMs.shift();
      this.dataset.previewUpdateList = this.previewUpdateMs.map((x) => x.toFixed(2)).join(',');
    }
    if (preview && this.lastBudgetInput !== undefined) {
      this.dragMs.push(performance.now() - this.lastBudgetInput);
      if (this.dragMs.length > UPDATE_SAMPLES) this.dragMs.shift();
      this.dataset.dragMs = this.dragMs.map((x) => x.toFixed(1)).join(',');
    }
  }

  private save(): void {
    this.channel.saveState({
      trace: this.trace, method: this.method, budget: this.budget,
      collapseDropped: this.collapseDropped, active: this.active, preview: this.preview,
    });
  }

  /** Sends a request to the host; a failure is shown in the panel with the host's message. */
  private async ask(request: WebviewRequest): Promise<unknown> {
    try {
      const result = await this.channel.ask(request);
      this.error = null;
      return result;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return undefined;
    }
  }

  /** What is on screen, read back from the rendered DOM (so a test proves it rendered). */
  private describe(): ViewDescription {
    const root = this.renderRoot;
    const title = root.querySelector('h2')?.textContent ?? '';
    const num = (field: string): number | undefined => {
      const text = root.querySelector(`[data-field="${field}"]`)?.textContent;
      return text ? Number(text.replace(/[^\d]/g, '')) : undefined;
    };
    const steps = num('steps');
    const chartRoot = this.renderRoot.querySelector('rl-score-chart')?.shadowRoot;
    const chart = chartRoot?.querySelector('[data-bars]')?.getAttribute('data-bars');
    const legend = [...(chartRoot?.querySelectorAll('[data-field="heat-legend"] [data-heat]') ?? [])].map((e) => e.textContent?.trim() ?? '');
    const metric = root.querySelector<HTMLInputElement>('[data-field="metric"]')?.value;
    const kept = num('kept');
    const before = num('tokens-before');
    const after = num('tokens-after');
    const last = this.updateMs[this.updateMs.length - 1];
    const slider = root.querySelector<HTMLInputElement>('[data-field="budget"]');
    return {
      title,
      steps: steps ?? null,
      ...(slider ? { budgetPercent: Number(slider.value), method: this.method } : {}),
      ...(kept !== undefined ? { kept } : {}),
      ...(before !== undefined ? { tokensBefore: before } : {}),
      ...(after !== undefined ? { tokensAfter: after } : {}),
      ...(chart ? { bars: Number(chart) } : {}),
      ...(metric ? { metric } : {}),
      ...(legend.length ? { legend } : {}),
      ...(last !== undefined ? { lastUpdateMs: last, updateMs: [...this.updateMs] } : {}),
    };
  }

  /** True while the user is moving the budget slider (host settings must not yank it back). */
  private get dragging(): boolean {
    return this.previewInFlight || (this.lastBudgetInput !== undefined && performance.now() - this.lastBudgetInput < 500);
  }

  private currentMethod() {
    return this.settings?.methods.find((m) => m.id === this.method);
  }

  private onBudgetInput(event: Event): void {
    this.budget = Number((event.target as HTMLInputElement).value) / 100;
    this.lastBudgetInput = performance.now();
    clearTimeout(this.budgetTimer);
    if (!this.currentMethod()?.live) return;
    this.budgetTimer = setTimeout(() => this.sendPreview(), BUDGET_DEBOUNCE_MS);
  }

  /**
   * One preview request in flight at a time: while the host re-prunes, later slider positions only
   * update `budget`, and the latest one is sent when the answer comes (no backlog on a slow method).
   */
  private sendPreview(): void {
    if (this.previewInFlight) {
      this.previewQueued = true;
      return;
    }
    this.previewInFlight = true;
    const sent = this.budget;
    void this.ask({ kind: 'previewBudget', method: this.method, budget: sent }).finally(() => {
      this.previewInFlight = false;
      if (this.previewQueued) {
        this.previewQueued = false;
        if (this.budget !== sent) this.sendPreview();
      }
    });
  }

  private onBudgetChange(): void {
    clearTimeout(this.budgetTimer);
    this.previewQueued = false;
    this.save();
    if (this.currentMethod()?.live) void this.ask({ kind: 'applyBudget', method: this.method, budget: this.budget });
  }

  private onStepActivate(event: CustomEvent<{ index: number; reveal: boolean }>): void {
    this.active = event.detail.index;
    this.save();
    if (event.detail.reveal) {
      (this.renderRoot.querySelector('rl-diff-list') as RlDiffList | null)?.reveal(event.detail.index);
      void this.ask({ kind: 'revealStep', index: event.detail.index });
    }
  }

  private onStepToggle(event: CustomEvent<{ index: number; pin: boolean }>): void {
    void this.ask({ kind: event.detail.pin ? 'togglePin' : 'toggleStep', index: event.detail.index });
  }

  override render() {
    const t = this.trace;
    if (!t) {
      return html`
        <h2>No trace</h2>
        <p class="empty">Open a reasoning trace (a file with &lt;think&gt; … &lt;/think&gt;, an OpenAI response, a dataset row) to see it here.</p>
        <vscode-button @click=${() => void this.ask({ kind: 'openSample' })}>Open Sample Trace</vscode-button>
      `;
    }
    const plan = this.plan;
    const totals = plan?.totals;
    const saved = totals && totals.tokensBefore > 0 ? 1 - totals.tokensAfter / totals.tokensBefore : 0;
    return html`
      <h2 title=${t.name}>${t.name}</h2>
      <div class="summary" aria-label="Trace summary">
        <span>Steps <b data-field="steps"><vscode-badge>${formatCount(t.steps)}</vscode-badge></b></span>
        <span>${t.format}</span>
        ${t.truncated ? html`<span>truncated (no closing tag)</span>` : nothing}
        ${t.finalAnswer !== undefined ? html`<span class="answer" title=${t.finalAnswer}>answer <b>${t.finalAnswer}</b></span>` : nothing}
        ${totals ? html`<span class="totals" aria-live="polite">
            kept <b data-field="kept">${formatCount(totals.stepsAfter)}</b>/${formatCount(totals.stepsBefore)} steps ·
            <b data-field="tokens-before">${formatCount(totals.tokensBefore)}</b> → <b data-field="tokens-after">${formatCount(totals.tokensAfter)}</b>
            <span data-field="counted-by" title=${totals.countedBy ? `Tokens counted by ${totals.countedBy}` : 'Estimated at ~4 characters per token until a tokenizer counts (Score, or reasoningLens.tokenizer)'}>${totals.estimated ? 'tokens (estimated)' : totals.tokenizer ? `${totals.tokenizer} tokens` : 'tokens'}</span>
            <b class="saving" data-field="saving">−${(saved * 100).toFixed(1)}%</b>
            ${plan.preview ? html`<span class="preview-tag">preview: release to apply</span>` : html`<span>· ${plan.label}</span>`}
          </span>` : nothing}
      </div>
      <div class="layout">
        <section class="controls-area" aria-label="Pruning controls">
          ${this.renderControls()}
          ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
          ${plan?.notes.length ? html`<div class="note">${plan.notes.join(' · ')}</div>` : nothing}
          ${this.renderScoreNote()}
        </section>
        <section class="chart-area" aria-label="Scores per step">
          <rl-score-chart .trace=${this.detail} .plan=${plan} .index=${this.planIndex} .metric=${chartMetric(this.detail, this.metric)}
            @rl-step-activate=${this.onStepActivate}></rl-score-chart>
        </section>
        <section class="diff-area" aria-label="Original and pruned steps">
          <h3>Original ↔ pruned</h3>
          <rl-diff-list .trace=${this.detail} .index=${this.planIndex} .collapseDropped=${this.collapseDropped} .active=${this.active}
            @rl-step-activate=${this.onStepActivate} @rl-step-toggle=${this.onStepToggle}></rl-diff-list>
        </section>
        <section class="active-area" aria-label="The selected step">${this.renderActive()}</section>
        <section class="preview-area" aria-label="Preview the compressed output">
          <h3>Preview the compressed output</h3>
          <rl-preview-pane .state=${this.preview} .canRun=${true} .hasAnswer=${this.detail?.hasAnswer ?? false}
            @rl-preview-start=${(e: CustomEvent<{ mode: 'generate' | 'retention'; maxTokens: number }>) => void this.ask({ kind: 'startPreview', ...e.detail })}
            @rl-preview-cancel=${() => void this.ask({ kind: 'cancelPreview' })}></rl-preview-pane>
        </section>
      </div>
    `;
  }

  /** Why the chart or the heat map may be empty, and what to do. */
  private renderScoreNote() {
    const d = this.detail;
    if (!d) return nothing;
    if (d.tokensEstimated) return html`<div class="note">Not scored yet: Score (or a file with logprobs) gives surprisal, entropy and exact token counts.</div>`;
    if (d.metrics[this.metric] === undefined) {
      return html`<div class="note" data-field="metric-note">No ${METRIC_INFO[this.metric].label} values for this trace: the chart shows token counts; pick another metric or Score.</div>`;
    }
    return nothing;
  }

  private renderControls() {
    const s = this.settings;
    const method = this.currentMethod();
    const metrics = selectableMetrics(this.detail, this.metric);
    const has = (c: PanelCommand) => s?.commands.includes(c) ?? false;
    const enabled = (c: PanelCommand): boolean => {
      if (!has(c)) return false;
      if (c === 'undo') return this.plan?.undoLabel != null;
      if (c === 'redo') return this.plan?.canRedo ?? false;
      return true;
    };
    const title = (c: PanelCommand): string => {
      if (!has(c)) return `${COMMAND_LABELS[c]} is not available in this build`;
      if (c === 'undo' && this.plan?.undoLabel) return `Undo ${this.plan.undoLabel}`;
      return COMMAND_LABELS[c];
    };
    return html`
      <div class="controls">
        <label class="field"><span>Method</span>
          <vscode-single-select aria-label="Pruning method" data-field="method"
            @change=${(e: Event) => { this.method = (e.target as HTMLInputElement).value; this.save(); this.requestPreview(); }}>
            ${(s?.methods ?? []).map((m) => html`<vscode-option value=${m.id} ?selected=${m.id === this.method} description=${m.live ? '' : 'calls the model per step'}>${m.label}${m.live ? '' : ' (slow)'}</vscode-option>`)}
          </vscode-single-select></label>
        <label class="field"><span>Budget</span>
          <input type="range" min="5" max="100" step="1" .value=${String(Math.round(this.budget * 100))} data-field="budget"
            aria-label="Token budget: percent of the reasoning's tokens to keep" aria-valuetext=${`${Math.round(this.budget * 100)}% of the tokens`}
            ?disabled=${method ? !method.usesBudget : false}
            @input=${this.onBudgetInput} @change=${this.onBudgetChange}>
          <span class="budget-value">${Math.round(this.budget * 100)}%</span></label>
        ${method && !method.live ? html`<vscode-button secondary @click=${() => void this.ask({ kind: 'applyBudget', method: this.method, budget: this.budget })}>Run</vscode-button>` : nothing}
        <label class="field"><span>Colour by</span>
          <vscode-single-select aria-label="Metric of the heat map and the chart (the status bar shows the same)" data-field="metric"
            .value=${this.metric} @change=${(e: Event) => this.onMetricChange((e.target as HTMLInputElement).value)}>
            ${metrics.map((m) => html`<vscode-option value=${m} ?selected=${m === this.metric}
              description=${this.detail?.metrics[m] === undefined ? 'no values for this trace' : ''}>${metricLabel(m)}</vscode-option>`)}
          </vscode-single-select></label>
        <label class="field"><span>Steps</span>
          <vscode-single-select aria-label="Segmentation (writes the reasoningLens.segmentation setting)" data-field="segmentation"
            @change=${(e: Event) => {
              const value = (e.target as HTMLInputElement).value;
              const mode = SEGMENTATION_MODES.find((m) => m === value);
              if (mode && mode !== s?.segmentation) void this.ask({ kind: 'setSegmentation', segmentation: mode });
            }}>
            ${SEGMENTATION_MODES.map((m) => html`<vscode-option value=${m} ?selected=${m === s?.segmentation}>${SEGMENTATION_WORDS[m]}</vscode-option>`)}
          </vscode-single-select></label>
        <vscode-checkbox ?checked=${this.collapseDropped} label="Collapse dropped"
          @change=${(e: Event) => { this.collapseDropped = (e.target as HTMLInputElement).checked; this.save(); }}></vscode-checkbox>
        <span class="backend" data-field="scored-by" title="The scoring backend, and who scored this trace">Backend: ${s?.backendLabel ?? ''}${this.detail?.scoredBy ? ` · scores from ${this.detail.scoredBy}` : ''}</span>
      </div>
      <div class="actions" role="toolbar" aria-label="Pruning actions">
        ${(['score', 'prune', 'reset', 'undo', 'redo', 'export', 'compare'] as const).map((c) => html`
          <vscode-button ?secondary=${c !== 'prune'} ?disabled=${!enabled(c)} title=${title(c)} data-command=${c} icon=${COMMAND_ICONS[c]}
            @click=${() => void this.ask({ kind: 'command', command: c })}>${COMMAND_LABELS[c]}</vscode-button>`)}
      </div>
    `;
  }

  /** Asks the host to colour by another metric; the host's settings (and the status bar) follow. */
  private onMetricChange(value: string): void {
    const metric = STEP_METRICS.find((m) => m === value);
    if (!metric || metric === this.metric) return;
    this.metric = metric;
    void this.ask({ kind: 'setMetric', metric });
  }

  /** Re-prunes with the current method and budget without applying (method changed). */
  private requestPreview(): void {
    if (!this.currentMethod()?.live || !this.detail) return;
    this.lastBudgetInput = undefined;
    this.sendPreview();
  }

  private renderActive() {
    const d = this.detail;
    const step = d?.steps[this.active];
    if (!d || !step || !this.planIndex) return nothing;
    const status = this.planIndex.status[this.active]!;
    const drop = this.planIndex.drops.get(this.active);
    const change = this.planIndex.changes.get(this.active);
    const scores = STEP_METRICS.filter((m) => d.metrics[m] !== undefined).map((m) => `${metricLabel(m)} ${formatScore(d.metrics[m]?.[this.active])}`).join(' · ');
    return html`
      <div class="detail" aria-label=${`Step ${this.active + 1} in full`} data-field="active-step">
        <div class="meta">Step ${this.active + 1} · ${STATUS_WORDS[status]} · ${formatCount(step.tokens)} tokens${scores ? ` · ${scores}` : ''}${drop ? ` · dropped: ${drop.rule}` : ''}
          <vscode-button secondary icon=${status === 'dropped' ? 'check' : 'circle-slash'} title="Keep or drop this step by hand (Space in the list)" @click=${() => void this.ask({ kind: 'toggleStep', index: this.active })}>${status === 'dropped' ? 'Keep' : 'Drop'}</vscode-button>
          <vscode-button secondary icon=${status === 'pinned' ? 'pinned' : 'pin'} title="Pin: no method may drop it (P in the list)" @click=${() => void this.ask({ kind: 'togglePin', index: this.active })}>${status === 'pinned' ? 'Unpin' : 'Pin'}</vscode-button>
        </div>
        ${change
          ? html`<pre aria-label="Original text">${step.text}</pre><pre aria-label="Rewritten text">${change.text}</pre>`
          : html`<pre class=${`whole ${status}`} aria-label=${`Step text (${STATUS_WORDS[status]})`}>${step.text}</pre>`}
      </div>`;
  }
}

customElements.define('rl-panel', RlPanel);
