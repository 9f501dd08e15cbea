import { LitElement, css, html, nothing, svg } from 'lit';
import type { PanelTrace } from '../../src/shared/protocol';
import { metricLabel, cutLine, HEAT_COLOURS, heatLegend, metricValues, STATUS_WORDS, type ChartMetric, type PlanIndex, type StepStatus } from './model';
import { formatCount, formatScore } from '../../src/shared/format';
import { METRIC_INFO } from '../../src/shared/vocabulary';
import type { PanelPlan } from '../../src/shared/protocol';
import { heatStyles } from './heat';

const HEIGHT = 100;
/** The heat strip under the bars: each step in the colour the editor gives it. */
const STRIP = 10;
const STRIP_GAP = 3;

/**
 * The chosen metric per step as bars (our own SVG), coloured kept / dropped / pinned, with the cut line
 * the budget implies, and under them a strip with each step's heat colour, the one the editor paints it
 * with. The legend names both: the statuses, and each heat colour with the range of values it covers.
 * Bars are drawn as one path per status and the strip as one path per colour (a 1,000-step trace is a
 * handful of elements, not a thousand), so a budget drag only rebuilds a few `d` strings. Hover or arrow
 * keys show a step's scores; click or Enter asks the panel to reveal it (`rl-step-activate` event).
 */
export class RlScoreChart extends LitElement {
  static override styles = [heatStyles, css`
    :host { display: block; position: relative; }
    .frame { position: relative; border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); }
    .frame:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }
    svg { display: block; width: 100%; height: ${HEIGHT + STRIP_GAP + STRIP}px; cursor: pointer; contain: strict; }
    .kept { fill: var(--vscode-charts-blue); }
    .changed { fill: var(--vscode-charts-purple); }
    .dropped { fill: var(--vscode-charts-red); opacity: 0.55; }
    .pinned { fill: var(--vscode-charts-yellow); }
    .hover { fill: var(--vscode-editor-foreground); opacity: 0.18; }
    .cut { stroke: var(--vscode-editorWarning-foreground, var(--vscode-charts-orange)); stroke-width: 1.5; stroke-dasharray: 5 3; }
    .axis { fill: var(--vscode-descriptionForeground); font-size: 10px; }
    .legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 0.9em; color: var(--vscode-descriptionForeground); margin: 4px 0; }
    .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
    .swatch.kept { background: var(--vscode-charts-blue); }
    .swatch.dropped { background: var(--vscode-charts-red); opacity: 0.55; }
    .swatch.pinned { background: var(--vscode-charts-yellow); }
    .swatch.changed { background: var(--vscode-charts-purple); }
    .swatch.cut { border-top: 2px dashed var(--vscode-editorWarning-foreground, var(--vscode-charts-orange)); height: 0; width: 14px; }
    .tip {
      position: absolute; top: 4px; pointer-events: none; z-index: 2; max-width: 60%;
      background: var(--vscode-editorHoverWidget-background); color: var(--vscode-editorHoverWidget-foreground);
      border: 1px solid var(--vscode-editorHoverWidget-border); padding: 4px 8px; font-size: 0.9em; white-space: pre-line;
    }
    .tip.right-of { left: 40%; }
    .tip.left-of { left: 4px; }
    .scale { position: absolute; top: 2px; left: 4px; font-size: 10px; color: var(--vscode-descriptionForeground); pointer-events: none; }
    .empty { color: var(--vscode-descriptionForeground); padding: 8px 0; }
    .heat-legend { display: flex; flex-wrap: wrap; gap: 2px 10px; font-size: 0.9em; color: var(--vscode-descriptionForeground); margin: 4px 0; font-variant-numeric: tabular-nums; }
    .heat-legend .swatch { width: 14px; height: 10px; border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, transparent)); box-sizing: border-box; }
    .heat-legend .title { color: var(--vscode-foreground); }
  `];

  static override properties = {
    trace: { attribute: false },
    plan: { attribute: false },
    index: { attribute: false },
    metric: { attribute: false },
    hover: { state: true },
  };

  trace: PanelTrace | null = null;
  plan: PanelPlan | null = null;
  index: PlanIndex | null = null;
  metric: ChartMetric = 'tokens';
  hover: number | null = null;

  override render() {
    const trace = this.trace;
    const index = this.index;
    if (!trace || !index || trace.steps.length === 0) return html`<div class="empty">No steps to chart.</div>`;
    const n = trace.steps.length;
    const values = metricValues(trace, this.metric);
    let min = 0;
    let max = 0;
    for (const v of values) {
      if (v === null) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const span = max - min || 1;
    const y = (v: number) => HEIGHT - ((v - min) / span) * (HEIGHT - 6);
    const base = y(Math.max(min, 0));
    const gap = n <= 150 ? 0.15 : 0;
    const paths: Record<StepStatus, string[]> = { kept: [], dropped: [], pinned: [], changed: [] };
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      const top = Math.min(y(v), base - 0.5);
      const bottom = Math.max(y(v), base);
      paths[index.status[i]!].push(`M${i + gap} ${top.toFixed(1)}H${i + 1 - gap}V${bottom.toFixed(1)}H${i + gap}Z`);
    }
    const heat = this.metric === 'tokens' ? undefined : trace.heat[this.metric];
    const strip: string[][] = Array.from({ length: HEAT_COLOURS }, () => []);
    if (heat) {
      const top = HEIGHT + STRIP_GAP;
      for (let i = 0; i < n; i++) {
        const b = heat.buckets[i];
        if (b !== undefined && b >= 0) strip[b]?.push(`M${i} ${top}H${i + 1}V${top + STRIP}H${i}Z`);
      }
    }
    const cut = cutLine(this.plan, values, this.metric);
    const hovered = this.hover !== null && this.hover < n ? this.hover : null;
    const label = `${metricLabel(this.metric)} per step, ${n} steps; ${index.status.filter((s) => s === 'dropped').length} dropped` +
      (cut !== null ? `; steps at or below ${formatScore(cut)} were dropped` : '');
    return html`
      <div class="legend" aria-hidden="true">
        <span><span class="swatch kept"></span>${STATUS_WORDS.kept}</span>
        <span><span class="swatch dropped"></span>${STATUS_WORDS.dropped}</span>
        <span><span class="swatch pinned"></span>${STATUS_WORDS.pinned}</span>
        ${index.changes.size ? html`<span><span class="swatch changed"></span>${STATUS_WORDS.changed}</span>` : nothing}
        ${cut !== null ? html`<span><span class="swatch cut"></span>budget cut ${formatScore(cut)}</span>` : nothing}
      </div>
      <div class="frame" tabindex="0" role="img" aria-label=${label} data-bars=${n}
        @keydown=${this.onKey} @mouseleave=${() => { this.hover = null; }} @blur=${() => { this.hover = null; }}>
        <span class="scale" aria-hidden="true">${formatScore(max)}</span>
        <svg viewBox="0 0 ${n} ${HEIGHT + STRIP_GAP + STRIP}" preserveAspectRatio="none" @mousemove=${this.onMove} @click=${this.onClick}>
          ${svg`<path class="kept" d=${paths.kept.join('')}></path>
          <path class="changed" d=${paths.changed.join('')}></path>
          <path class="dropped" d=${paths.dropped.join('')}></path>
          <path class="pinned" d=${paths.pinned.join('')}></path>
          ${strip.map((d, b) => svg`<path class=${`heat${b}`} data-heat=${b} d=${d.join('')}></path>`)}
          ${hovered !== null ? svg`<rect class="hover" x=${hovered} y="0" width="1" height=${HEIGHT + STRIP_GAP + STRIP}></rect>` : nothing}
          ${cut !== null ? svg`<line class="cut" x1="0" x2=${n} y1=${y(cut)} y2=${y(cut)} vector-effect="non-scaling-stroke"><title>budget cut: ${formatScore(cut)}</title></line>` : nothing}`}
        </svg>
        ${hovered !== null ? this.renderTip(hovered, values[hovered] ?? null, n) : nothing}
      </div>
      ${this.renderHeatLegend(trace)}
    `;
  }

  /** Each heat colour (hottest first) with the range of the metric's values it covers in this trace. */
  private renderHeatLegend(trace: PanelTrace) {
    const entries = heatLegend(trace, this.metric);
    if (this.metric === 'tokens' || entries.length === 0) return nothing;
    const info = METRIC_INFO[this.metric];
    const unit = info.unit ? ` ${info.unit}` : '';
    return html`<div class="heat-legend" data-field="heat-legend" role="list"
        aria-label=${`Heat colours of the editor: ${info.label}, ${info.hotWhenHigh ? 'high' : 'low'} is hot, fifths of this trace`}>
      <span class="title">Heat · ${info.hotWhenHigh ? 'high' : 'low'} is hot:</span>
      ${entries.map((e) => {
        const text = e.range ? `${formatScore(e.range[0])}–${formatScore(e.range[1])}${unit}` : '—';
        return html`<span role="listitem" data-heat=${e.bucket} title=${`heat colour ${e.bucket + 1} of ${entries.length}`}><span class="swatch heat${e.bucket}"></span>${text}</span>`;
      })}
    </div>`;
  }

  private renderTip(i: number, value: number | null, n: number) {
    const trace = this.trace!;
    const status = this.index!.status[i]!;
    const lines = [`Step ${i + 1} · ${STATUS_WORDS[status]} · ${formatCount(trace.steps[i]!.tokens)} tokens`];
    for (const [m, vs] of Object.entries(trace.metrics)) {
      lines.push(`${metricLabel(m as ChartMetric)}: ${formatScore(vs?.[i])}`);
    }
    if (this.metric === 'tokens' && Object.keys(trace.metrics).length === 0) lines.push('not scored yet: Score to see surprisal');
    const drop = this.index!.drops.get(i);
    if (drop) lines.push(`dropped: ${drop.rule}`);
    const left = (i + 0.5) / n < 0.5;
    return html`<div class="tip ${left ? 'right-of' : 'left-of'}" role="tooltip" data-step=${i} title=${`${metricLabel(this.metric)} ${formatScore(value)}`}>${lines.join('\n')}</div>`;
  }

  private stepAt(event: MouseEvent): number | null {
    const n = this.trace?.steps.length ?? 0;
    const box = (event.currentTarget as Element).getBoundingClientRect();
    if (!n || box.width <= 0) return null;
    return Math.min(n - 1, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * n)));
  }

  private readonly onMove = (event: MouseEvent): void => {
    this.hover = this.stepAt(event);
  };

  private readonly onClick = (event: MouseEvent): void => {
    const i = this.stepAt(event);
    if (i !== null) this.activate(i);
  };

  private readonly onKey = (event: KeyboardEvent): void => {
    const n = this.trace?.steps.length ?? 0;
    if (!n) return;
    const current = this.hover ?? -1;
    const step = event.shiftKey ? 10 : 1;
    if (event.key === 'ArrowRight') this.hover = Math.min(n - 1, current + step);
    else if (event.key === 'ArrowLeft') this.hover = Math.max(0, current < 0 ? 0 : current - step);
    else if (event.key === 'Home') this.hover = 0;
    else if (event.key === 'End') this.hover = n - 1;
    else if ((event.key === 'Enter' || event.key === ' ') && this.hover !== null) this.activate(this.hover);
    else return;
    event.preventDefault();
  };

  private activate(index: number): void {
    this.dispatchEvent(new CustomEvent('rl-step-activate', { detail: { index, reveal: true }, bubbles: true, composed: true }));
  }
}

customElements.define('rl-score-chart', RlScoreChart);
