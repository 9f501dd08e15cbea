import { LitElement, css, html, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import type { PanelGeneration, PanelRetention, PreviewSide } from '../../src/shared/protocol';
import { formatCount, formatScore } from '../../src/shared/format';
import { EMPTY_PREVIEW, foldBlankLines, type PreviewState, type SideState } from './previewState';

/** Each side's heading, in the order they are shown (left to right, or top to bottom when narrow). */
const SIDES: readonly { readonly side: PreviewSide; readonly title: string }[] = [
  { side: 'full', title: 'After the full reasoning' },
  { side: 'pruned', title: 'After the pruned reasoning' },
];

/** The per-token table lists at most this many answer tokens (the host sends up to 200). */
const TABLE_ROWS = 200;

/**
 * The output of the compressed reasoning: answer retention (how likely the original answer stays) and
 * two generations side by side, one after the full reasoning and one after the pruned reasoning, each
 * with the answer it states, and whether the two answers agree. Requests go up as events
 * (`rl-preview-start`, `rl-preview-cancel`); the panel talks to the host. Text is untrusted: bound as
 * text only.
 */
export class RlPreviewPane extends LitElement {
  static override styles = css`
    :host { display: block; }
    .bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 4px 0; }
    label { color: var(--vscode-descriptionForeground); }
    input[type='number'] {
      width: 5em; background: var(--vscode-input-background); color: var(--vscode-input-foreground);
      border: 1px solid var(--vscode-input-border, transparent); padding: 2px 4px;
    }
    input:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
    .pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 8px; margin-top: 4px; }
    @media (max-width: 520px) { .pair { grid-template-columns: minmax(0, 1fr); } }
    .side { min-width: 0; display: flex; flex-direction: column; }
    h4 { margin: 2px 0; font-size: 1em; font-weight: 600; }
    pre {
      white-space: pre-wrap; overflow-wrap: anywhere; height: 120px; overflow-y: auto; margin: 2px 0; padding: 6px;
      font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background, var(--vscode-editor-background));
      border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
    }
    .stats { color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
    .answer { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .answer b { font-family: var(--vscode-editor-font-family); }
    .none { color: var(--vscode-descriptionForeground); font-style: italic; }
    .verdict { margin: 6px 0 2px; }
    .verdict vscode-icon { vertical-align: -3px; margin-right: 4px; }
    .verdict b { font-weight: 600; }
    .verdict.same vscode-icon, .verdict.same b { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
    .verdict.differs vscode-icon, .verdict.differs b { color: var(--vscode-errorForeground); }
    .verdict.none vscode-icon, .verdict.none b { color: var(--vscode-editorWarning-foreground, var(--vscode-descriptionForeground)); }
    .ok { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
    .bad { color: var(--vscode-errorForeground); }
    .error { color: var(--vscode-errorForeground); }
    .blank { color: var(--vscode-descriptionForeground); font-style: italic; }
    .fold { color: var(--vscode-descriptionForeground); font-style: italic; font-family: var(--vscode-font-family); }
    details { margin-top: 4px; }
    summary { cursor: pointer; color: var(--vscode-descriptionForeground); }
    summary:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin-top: 4px; }
    td, th { padding: 1px 8px 1px 0; text-align: right; }
    td:first-child, th:first-child { text-align: left; font-family: var(--vscode-editor-font-family); white-space: pre; }
  `;

  static override properties = {
    state: { attribute: false }, canRun: { attribute: false }, hasAnswer: { attribute: false },
    maxTokens: { state: true }, tableOpen: { state: true },
  };

  state: PreviewState = EMPTY_PREVIEW;
  canRun = false;
  hasAnswer = false;
  maxTokens = 128;
  /** The per-token table is rendered only while its section is open. */
  tableOpen = false;

  override render() {
    const s = this.state;
    return html`
      <div class="bar" role="toolbar" aria-label="Preview the compressed output">
        <vscode-button icon="graph-line" ?disabled=${!this.canRun || s.running || !this.hasAnswer} @click=${() => this.start('retention')}
          title=${this.hasAnswer ? 'log p(original answer | pruned reasoning) − log p(… | full reasoning)' : 'this trace has no answer after its reasoning'}>Answer Retention</vscode-button>
        <vscode-button icon="play" ?disabled=${!this.canRun || s.running} @click=${() => this.start('generate')}
          title="Generate after the full and after the pruned reasoning, and compare the answers">Generate Both</vscode-button>
        <label for="max">max tokens</label>
        <input id="max" type="number" min="1" max="4096" .value=${String(this.maxTokens)}
          @change=${(e: Event) => { this.maxTokens = clampTokens(Number((e.target as HTMLInputElement).value)); }}>
        ${s.running ? html`<vscode-button secondary icon="debug-stop" @click=${() => this.emit('rl-preview-cancel', {})}>Cancel</vscode-button>` : nothing}
      </div>
      ${s.mode ? html`<div class="stats" aria-live="polite" data-field="preview-stats">${s.running ? 'running' : 'done'} on ${s.backend}</div>` : nothing}
      ${s.error ? html`<div class="error" role="alert">${s.error}</div>` : nothing}
      ${s.generation || (s.mode === 'generate' && s.running) ? this.renderGenerations(s) : nothing}
      ${s.retention ? this.renderRetention(s.retention) : nothing}
    `;
  }

  /** While streaming, keeps the newest text of each side in view; once done, shows each from its start. */
  override updated(changed: Map<string, unknown>): void {
    if (!changed.has('state')) return;
    const before = changed.get('state') as PreviewState | undefined;
    const finished = before?.running === true && !this.state.running;
    if (!this.state.running && !finished) return;
    for (const pre of this.renderRoot.querySelectorAll('pre[data-side]')) pre.scrollTop = this.state.running ? pre.scrollHeight : 0;
  }

  private renderGenerations(s: PreviewState) {
    return html`
      <div class="pair" data-field="generations">
        ${SIDES.map(({ side, title }) => this.renderSide(side, title, s.sides[side], s.running && s.mode === 'generate'))}
      </div>
      ${s.generation ? this.renderVerdict(s.generation) : nothing}`;
  }

  private renderSide(side: PreviewSide, title: string, st: SideState, running: boolean) {
    const r = st.result;
    const rate = st.seconds > 0 ? (st.tokens / st.seconds).toFixed(1) : '–';
    const status = r?.reused === 'earlier' ? 'same input as the last run: not generated again'
      : r?.reused === 'full' ? 'nothing is pruned: the same text as after the full reasoning'
      : `${formatCount(st.tokens)} tokens · ${rate} tokens/s${r ? ` · ${r.finishReason}` : running ? ' · generating' : ''}`;
    return html`<section class="side" data-side=${side} aria-label=${title}>
      <h4>${title}</h4>
      <pre data-side=${side} data-field=${`generation-${side}`} aria-label=${`Generated text ${title.toLowerCase()}`}>${foldBlankLines(st.text).map((p) => 'text' in p
        ? p.text
        : html`\n<span class="fold" title="empty lines the model wrote, folded">⋯ ${p.lineBreaks} line breaks ⋯</span>\n`)}</pre>
      ${st.text.length > 0 && st.text.trim() === '' ? html`<div class="blank">only whitespace${running ? ' so far' : ''} (${st.text.length} characters)</div>` : nothing}
      <div class="stats" data-field=${`stats-${side}`}>${status}</div>
      ${r ? html`<div class="answer" data-field=${`answer-${side}`} title=${r.finalAnswer ?? 'no final answer found in the generated text'}>Answer:
        ${r.finalAnswer !== null ? html`<b>${r.finalAnswer}</b>` : html`<span class="none">none stated</span>`}</div>` : nothing}
    </section>`;
  }

  private renderVerdict(g: PanelGeneration) {
    const missing = g.missing === 'both' ? 'neither generation states a final answer'
      : g.missing === 'full' ? 'the generation after the full reasoning states no final answer'
      : 'the generation after the pruned reasoning states no final answer';
    const [icon, cls, head, detail] = g.verdict === 'same'
      ? ['pass', 'same', 'Same answer', 'pruning kept the answer the full reasoning leads to']
      : g.verdict === 'differs'
        ? ['error', 'differs', 'Different answers', 'pruning changed the answer the model reaches']
        : ['question', 'none', 'No answer to compare', `${missing}; more max tokens may help`];
    return html`<div data-field="answers">
      <div class="verdict ${cls}" data-field="verdict" data-verdict=${g.verdict} role="status">
        <vscode-icon name=${icon}></vscode-icon><b>${head}</b> · ${detail}
      </div>
      <div class="stats answer" data-field="trace-answer" title=${g.traceAnswer ?? ''}>The trace's own answer:
        ${g.traceAnswer !== null ? html`<b>${g.traceAnswer}</b>` : html`<span class="none">none stated</span>`}</div>
    </div>`;
  }

  private renderRetention(r: PanelRetention) {
    const lessLikely = r.perToken.filter((t) => t.pruned < t.full).length;
    let worst: PanelRetention['perToken'][number] | undefined;
    for (const t of r.perToken) if (!worst || t.pruned - t.full < worst.pruned - worst.full) worst = t;
    const summary = `Per answer token: ${formatCount(r.perToken.length)} tokens, ${formatCount(lessLikely)} less likely after pruning` +
      (worst && worst.pruned < worst.full ? `, the largest drop ${JSON.stringify(worst.token)} ${formatScore(worst.pruned - worst.full)}` : '');
    return html`<div data-field="retention">
      <div>Answer log-probability: full ${formatScore(r.fullLogprob)} → pruned ${formatScore(r.prunedLogprob)} nats ·
        Δ <b class=${r.delta < 0 ? 'bad' : 'ok'}>${r.delta >= 0 ? '+' : ''}${formatScore(r.delta)}</b> total,
        ${r.deltaPerToken >= 0 ? '+' : ''}${formatScore(r.deltaPerToken)} per token over ${r.answerTokens} answer tokens</div>
      <details data-field="retention-table" ?open=${this.tableOpen} @toggle=${(e: Event) => { this.tableOpen = (e.target as HTMLDetailsElement).open; }}>
        <summary>${summary}</summary>
        ${this.tableOpen ? html`<table aria-label="Answer tokens: log-probability after the full and the pruned reasoning">
          <thead><tr><th>token</th><th>full</th><th>pruned</th><th>Δ</th></tr></thead>
          <tbody>${r.perToken.slice(0, TABLE_ROWS).map((t) => html`<tr><td>${JSON.stringify(t.token)}</td><td>${formatScore(t.full)}</td><td>${formatScore(t.pruned)}</td><td>${formatScore(t.pruned - t.full)}</td></tr>`)}</tbody>
        </table>` : nothing}
      </details>
    </div>`;
  }

  private start(mode: 'generate' | 'retention'): void {
    this.emit('rl-preview-start', { mode, maxTokens: this.maxTokens });
  }

  private emit(name: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}

function clampTokens(n: number): number {
  return Number.isFinite(n) ? Math.min(4096, Math.max(1, Math.round(n))) : 128;
}

customElements.define('rl-preview-pane', RlPreviewPane);
