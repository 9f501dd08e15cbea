/**
 * The dataset dashboard: one small bar chart per distribution (reasoning tokens, steps, truncated,
 * loops, final answer found, correctness), drawn with the theme's chart colours. Every bar is a
 * button: a click (or Enter) puts the bar's filter into the filter box, replacing that chart's
 * terms and keeping the others; a click on a highlighted bar takes it out again. Heights are set
 * through the CSSOM (`cssProps`), which the strict CSP allows.
 */
import { LitElement, css, html, nothing } from 'lit';
import { barIsActive } from '../../src/shared/datasetFilter';
import type { DashboardChart, DatasetDashboard } from '../../src/shared/datasetProtocol';
import { formatCount } from '../../src/shared/format';
import { cssProps } from './grid';

/** What a click on a bar asks for. */
export interface BarClick {
  readonly chart: DashboardChart;
  readonly bar: number;
}

/** Semantic colours of the categorical bars (theme chart colours); numeric bars use blue. */
const BAR_TONES: Readonly<Partial<Record<string, readonly string[]>>> = {
  truncated: ['warn', 'blue'],
  loops: ['blue', 'warn', 'red'],
  answerFound: ['blue', 'warn'],
  correct: ['green', 'red', 'grey'],
};

function percent(count: number, total: number): string {
  if (total === 0) return '0%';
  const p = (100 * count) / total;
  return `${p < 1 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

export class RlDashboard extends LitElement {
  static override styles = css`
    :host { display: block; }
    .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px 16px; }
    section { min-width: 0; }
    h2 { font-size: 0.95em; font-weight: 600; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .note { color: var(--vscode-descriptionForeground); font-size: 0.85em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; display: block; }
    .bars { display: flex; align-items: flex-end; gap: 2px; height: 56px; margin-top: 4px; border-bottom: 1px solid var(--vscode-editorWidget-border, var(--vscode-panel-border, transparent)); }
    .bars.categorical { gap: 4px; padding-top: 14px; }
    button.bar {
      all: unset; box-sizing: border-box; flex: 1 1 0; min-width: 3px; height: 100%; display: flex; align-items: flex-end;
      cursor: pointer; position: relative;
    }
    button.bar:hover .fill { opacity: 1; filter: brightness(1.2); }
    button.bar:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }
    .fill { display: block; width: 100%; min-height: 0; opacity: 0.85; background: var(--vscode-charts-blue); outline: 1px solid var(--vscode-contrastBorder, transparent); }
    .fill.zero { background: transparent; outline: none; }
    .tone-green { background: var(--vscode-charts-green); }
    .tone-red { background: var(--vscode-charts-red); }
    .tone-warn { background: var(--vscode-editorWarning-foreground, var(--vscode-charts-yellow)); }
    .tone-grey { background: var(--vscode-descriptionForeground); opacity: 0.6; }
    button.bar[aria-pressed='true'] .fill { opacity: 1; outline: 2px solid var(--vscode-focusBorder); outline-offset: 1px; }
    .count { position: absolute; left: 0; right: 0; text-align: center; font-size: 0.8em; color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; pointer-events: none; }
    .axis { display: flex; justify-content: space-between; gap: 8px; font-size: 0.8em; color: var(--vscode-descriptionForeground); margin-top: 2px; white-space: nowrap; }
    .axis.categorical { justify-content: stretch; gap: 4px; }
    .axis.categorical span { flex: 1 1 0; text-align: center; overflow: hidden; text-overflow: ellipsis; }
    .axis span[data-active='true'] { color: var(--vscode-foreground); font-weight: 600; }
    .empty { color: var(--vscode-descriptionForeground); }
  `;

  static override properties = {
    dashboard: { attribute: false },
    filter: { attribute: false },
  };

  dashboard: DatasetDashboard | undefined;
  filter = '';

  private pick(chart: DashboardChart, bar: number): void {
    this.dispatchEvent(new CustomEvent<BarClick>('rl-bar', { detail: { chart, bar }, bubbles: true, composed: true }));
  }

  override render() {
    const d = this.dashboard;
    if (!d || d.traces === 0) return html`<p class="empty">${d?.complete ? 'No traces to chart.' : 'Charts appear as the traces are read…'}</p>`;
    return html`<div class="charts">${d.charts.map((c) => this.chart(c, d.traces))}</div>`;
  }

  private chart(chart: DashboardChart, total: number) {
    const max = Math.max(1, ...chart.bars.map((b) => b.count));
    const categorical = chart.kind === 'categorical';
    const tones = BAR_TONES[chart.metric];
    const active = chart.bars.map((b) => barIsActive(this.filter, b.filter));
    return html`
      <section data-metric=${chart.metric} aria-label=${chart.title}>
        <h2 title=${chart.title}>${chart.title}</h2>
        <span class="note" title=${chart.note}>${chart.note}</span>
        <div class=${categorical ? 'bars categorical' : 'bars'} role="group" aria-label=${`${chart.title}: click a bar to filter the table`}>
          ${chart.bars.map((b, i) => {
            const height = b.count === 0 ? 0 : Math.max(2, (100 * b.count) / max);
            const tone = tones?.[i];
            const what = `${chart.title} ${b.label}: ${formatCount(b.count)} traces (${percent(b.count, total)})`;
            return html`<button class="bar" data-count=${b.count} data-filter=${b.filter} aria-pressed=${active[i] ? 'true' : 'false'}
                title=${`${what}\nfilter: ${b.filter}${active[i] ? ' (click again to remove)' : ''}`} aria-label=${what}
                @click=${() => this.pick(chart, i)}>
                ${categorical ? html`<span class="count" ${cssProps({ bottom: `calc(${height}% + 1px)` })}>${formatCount(b.count)}</span>` : nothing}
                <span class=${`fill${b.count === 0 ? ' zero' : ''}${tone ? ` tone-${tone}` : ''}`} ${cssProps({ height: `${height}%` })}></span>
              </button>`;
          })}
        </div>
        ${categorical
          ? html`<div class="axis categorical">${chart.bars.map((b, i) => html`<span data-active=${active[i] ? 'true' : 'false'}>${b.label}</span>`)}</div>`
          : html`<div class="axis"><span>${chart.bars[0]?.label ?? ''}</span><span>${chart.bars.at(-1)?.label ?? ''}</span></div>`}
      </section>`;
  }
}

customElements.define('rl-dashboard', RlDashboard);
