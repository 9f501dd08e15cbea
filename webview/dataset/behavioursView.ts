/**
 * The Behaviours tab: steps that open in nearly the same words in many traces of the file, most
 * widespread first, each with its share of traces, where in the trace it tends to come, its length
 * and examples; an example opens its trace at that step. File text is rendered as text only.
 */
import { LitElement, css, html, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import type { BehaviourExampleView, BehavioursState, BehaviourView } from '../../src/shared/datasetProtocol';
import { formatCount } from '../../src/shared/format';
import { cssProps } from './grid';

/** Events this element sends up: what the user asked for. */
export type BehavioursAction =
  | { readonly kind: 'start' }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'export' }
  | { readonly kind: 'open'; readonly example: BehaviourExampleView };

function percent(x: number): string {
  const p = 100 * x;
  return `${p === 0 || p >= 10 ? Math.round(p) : p.toFixed(1)}%`;
}

function where(b: BehaviourView): string {
  const [early = 0, middle = 0, late = 0] = b.positionShares;
  return `early ${percent(early)} · middle ${percent(middle)} · late ${percent(late)}`;
}

export class RlBehaviours extends LitElement {
  static override styles = css`
    :host { display: flex; flex-direction: column; min-height: 0; flex: 1; gap: 6px; }
    .toolbar { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
    .status { color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
    .message { color: var(--vscode-errorForeground); }
    .intro { color: var(--vscode-descriptionForeground); max-width: 60em; margin: 0; }
    ol { list-style: none; margin: 0; padding: 0 2px 12px 0; overflow: auto; flex: 1; min-height: 0; }
    li.behaviour { border-bottom: 1px solid var(--vscode-editorWidget-border, var(--vscode-panel-border, transparent)); }
    summary {
      display: grid; grid-template-columns: 2.5em minmax(10em, 1fr) 11em 6.5em 6em; gap: 8px; align-items: center;
      padding: 4px 2px; cursor: pointer; list-style: none;
    }
    summary::-webkit-details-marker { display: none; }
    summary:hover { background: var(--vscode-list-hoverBackground); }
    summary:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
    .rank { color: var(--vscode-descriptionForeground); text-align: right; font-variant-numeric: tabular-nums; }
    .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-family: var(--vscode-editor-font-family); }
    .share { display: flex; align-items: center; gap: 6px; font-variant-numeric: tabular-nums; }
    .meter { flex: 1; height: 6px; background: color-mix(in srgb, var(--vscode-foreground) 14%, transparent); }
    .meter span { display: block; height: 100%; background: var(--vscode-charts-blue); }
    .pos { display: flex; align-items: flex-end; gap: 2px; height: 14px; }
    .pos span { width: 8px; background: var(--vscode-charts-purple); outline: 1px solid var(--vscode-contrastBorder, transparent); }
    .where, .tokens { color: var(--vscode-descriptionForeground); white-space: nowrap; font-variant-numeric: tabular-nums; }
    .where { display: flex; align-items: center; gap: 6px; }
    .details { padding: 0 2px 8px 3.5em; display: flex; flex-direction: column; gap: 4px; }
    .facts { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
    button.example {
      all: unset; box-sizing: border-box; display: block; width: 100%; cursor: pointer; padding: 3px 6px;
      border-left: 2px solid var(--vscode-charts-blue); white-space: pre-wrap; overflow-wrap: anywhere;
      font-family: var(--vscode-editor-font-family); font-size: 0.95em; overflow: hidden;
    }
    .excerpt { display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
    button.example:hover { background: var(--vscode-list-hoverBackground); }
    button.example:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
    .where-in { color: var(--vscode-textLink-foreground); font-family: var(--vscode-font-family); }
    .head { display: grid; grid-template-columns: 2.5em minmax(10em, 1fr) 11em 6.5em 6em; gap: 8px; padding: 2px; color: var(--vscode-descriptionForeground); font-size: 0.9em; }
  `;

  static override properties = {
    state: { attribute: false },
  };

  state: BehavioursState | undefined;

  private act(action: BehavioursAction): void {
    this.dispatchEvent(new CustomEvent<BehavioursAction>('rl-behaviours', { detail: action, bubbles: true, composed: true }));
  }

  override render() {
    const s = this.state;
    const running = s?.phase === 'running';
    const list = s?.behaviours ?? [];
    return html`
      <div class="toolbar">
        ${running
          ? html`<vscode-button secondary @click=${() => this.act({ kind: 'cancel' })}>Stop</vscode-button>`
          : html`<vscode-button @click=${() => this.act({ kind: 'start' })}>${s && s.phase !== 'idle' ? 'Find again' : 'Find recurring behaviours'}</vscode-button>`}
        <vscode-button secondary ?disabled=${s?.phase !== 'done' || list.length === 0} @click=${() => this.act({ kind: 'export' })}>Export handbook…</vscode-button>
        <span class="status" role="status" aria-live="polite">${this.statusText()}</span>
      </div>
      ${running && s.total > 0 ? html`<vscode-progress-bar aria-label="Finding recurring behaviours" .value=${s.done} .max=${s.total}></vscode-progress-bar>` : nothing}
      ${s?.message ? html`<div class=${s.phase === 'failed' ? 'message' : 'status'} role="alert">${s.message}</div>` : nothing}
      ${list.length === 0
        ? html`<p class="intro">Steps that open in nearly the same words in many traces ("Wait, let me check…", "Alternatively, …"): clustered without a model
            (MinHash on word pairs of each paragraph's first words), with the share of traces that contain them, where in the trace they come and how long they are.
            Click an example to open its trace at that step.</p>`
        : html`
          <div class="head" aria-hidden="true"><span>#</span><span>Opens with</span><span>Traces</span><span>Where</span><span>Tokens</span></div>
          <ol aria-label="Recurring behaviours">${list.map((b) => this.behaviour(b))}</ol>`}
    `;
  }

  private statusText(): string {
    const s = this.state;
    if (!s || s.phase === 'idle') return '';
    const counts = `${formatCount(s.behaviours.length)} behaviours in ${formatCount(s.traces)} traces, ${formatCount(s.steps)} steps`;
    if (s.phase === 'running') return `${s.total > 0 ? `${Math.floor((100 * s.done) / s.total)}% of the records` : 'starting'}… ${s.traces > 0 ? counts : ''}`;
    return s.phase === 'done' ? counts : '';
  }

  private behaviour(b: BehaviourView) {
    const [early = 0, middle = 0, late = 0] = b.positionShares;
    return html`
      <li class="behaviour" data-rank=${b.rank}>
        <details ?open=${b.rank === 1}>
          <summary aria-label=${`${b.rank}. ${b.label}: ${percent(b.share)} of traces, mostly ${b.position}, about ${Math.round(b.averageTokens)} tokens`}>
            <span class="rank">${b.rank}</span>
            <span class="label" title=${b.label}>${b.label}</span>
            <span class="share" title=${`${formatCount(b.traces)} traces`}><span class="meter"><span ${cssProps({ width: `${Math.min(100, 100 * b.share)}%` })}></span></span>${percent(b.share)}</span>
            <span class="where" title=${where(b)}><span class="pos">
              ${[early, middle, late].map((p) => html`<span ${cssProps({ height: `${Math.max(1, 14 * p)}px` })}></span>`)}
            </span>${b.position}</span>
            <span class="tokens">~${formatCount(b.averageTokens)}</span>
          </summary>
          <div class="details">
            <span class="facts">In ${formatCount(b.traces)} traces (${percent(b.share)}), ${formatCount(b.occurrences)} times (${(b.occurrences / Math.max(1, b.traces)).toFixed(1)} per trace); ${where(b)}.</span>
            ${b.examples.map((e) => html`<button class="example" title="Open this trace at this step" @click=${() => this.act({ kind: 'open', example: e })}><span class="where-in">record ${formatCount(e.record + 1)} · ${e.id} · step ${e.step + 1}</span><span class="excerpt">${e.text}</span></button>`)}
          </div>
        </details>
      </li>`;
  }
}

customElements.define('rl-behaviours', RlBehaviours);
