import { LitElement, css, html, nothing } from 'lit';
import type { PanelGeneration, PanelRetention } from '../../src/shared/protocol';
import { formatScore } from '../../src/shared/format';
import { EMPTY_PREVIEW, type PreviewState } from './previewState';

/**
 * The output of the compressed reasoning: answer retention (how likely the original answer stays) and
 * a generation streamed from the pruned reasoning, with both final answers and whether they match.
 * Requests go up as events (`rl-preview-start`, `rl-preview-cancel`); the panel talks to the host.
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
    pre {
      white-space: pre-wrap; overflow-wrap: anywhere; max-height: 220px; overflow-y: auto; margin: 4px 0; padding: 6px;
      font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background, var(--vscode-editor-background));
      border: 1px solid var(--vscode-panel-border, transparent);
    }
    .stats { color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
    .ok { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
    .bad { color: var(--vscode-errorForeground); }
    .error { color: var(--vscode-errorForeground); }
    .answer { display: inline-block; max-width: 24em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
    .blank { color: var(--vscode-descriptionForeground); font-style: italic; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin-top: 4px; }
    td, th { padding: 1px 8px 1px 0; text-align: right; }
    td:first-child, th:first-child { text-align: left; font-family: var(--vscode-editor-font-family); white-space: pre; }
  `;

  static override properties = { state: { attribute: false }, canRun: { attribute: false }, hasAnswer: { attribute: false }, maxTokens: { state: true } };

  state: PreviewState = EMPTY_PREVIEW;
  canRun = false;
  hasAnswer = false;
  maxTokens = 128;

  override render() {
    const s = this.state;
    return html`
      <div class="bar" role="toolbar" aria-label="Preview the compressed output">
        <vscode-button ?disabled=${!this.canRun || s.running || !this.hasAnswer} @click=${() => this.start('retention')}
          title=${this.hasAnswer ? 'log p(original answer | pruned reasoning) − log p(… | full reasoning)' : 'this trace has no answer after its reasoning'}>Answer Retention</vscode-button>
        <vscode-button ?disabled=${!this.canRun || s.running} @click=${() => this.start('generate')}
          title="Generate from the prompt and the pruned reasoning">Generate from Pruned</vscode-button>
        <label for="max">max tokens</label>
        <input id="max" type="number" min="1" max="4096" .value=${String(this.maxTokens)}
          @change=${(e: Event) => { this.maxTokens = clampTokens(Number((e.target as HTMLInputElement).value)); }}>
        ${s.running ? html`<vscode-button secondary @click=${() => this.emit('rl-preview-cancel', {})}>Cancel</vscode-button>` : nothing}
      </div>
      ${s.mode ? html`<div class="stats" aria-live="polite" data-field="preview-stats">
        ${s.running ? 'running' : 'done'} on ${s.backend}${s.mode === 'generate' ? html` · ${s.tokens} tokens · ${s.seconds > 0 ? (s.tokens / s.seconds).toFixed(1) : '–'} tokens/s` : nothing}
      </div>` : nothing}
      ${s.error ? html`<div class="error" role="alert">${s.error}</div>` : nothing}
      ${s.mode === 'generate' ? html`<pre data-field="generation" aria-label="Generated text">${s.text}</pre>` : nothing}
      ${s.mode === 'generate' && s.text.length > 0 && s.text.trim() === '' ? html`<div class="blank">the model has produced only whitespace (${s.text.length} characters)</div>` : nothing}
      ${s.generation ? this.renderAnswers(s.generation) : nothing}
      ${s.retention ? this.renderRetention(s.retention) : nothing}
    `;
  }

  /** Keeps the newest streamed text in view (a model may open with blank lines). */
  override updated(): void {
    const pre = this.renderRoot.querySelector('pre[data-field="generation"]');
    if (pre && this.state.running) pre.scrollTop = pre.scrollHeight;
  }

  private renderAnswers(g: PanelGeneration) {
    return html`<div data-field="answers">
      Final answer after pruning: <b class="answer" title=${g.finalAnswer ?? ''}>${g.finalAnswer ?? 'none found'}</b> ·
      original: <b class="answer" title=${g.originalFinalAnswer ?? ''}>${g.originalFinalAnswer ?? 'none found'}</b> ·
      ${g.match === null ? html`<span>cannot compare</span>` : g.match ? html`<span class="ok">match</span>` : html`<span class="bad">differs</span>`}
      <span class="stats">(${g.finishReason}, ${g.tokensPerSecond.toFixed(1)} tokens/s)</span>
    </div>`;
  }

  private renderRetention(r: PanelRetention) {
    return html`<div data-field="retention">
      <div>Answer log-probability: full ${formatScore(r.fullLogprob)} → pruned ${formatScore(r.prunedLogprob)} nats ·
        Δ <b class=${r.delta < 0 ? 'bad' : 'ok'}>${r.delta >= 0 ? '+' : ''}${formatScore(r.delta)}</b> total,
        ${r.deltaPerToken >= 0 ? '+' : ''}${formatScore(r.deltaPerToken)} per token over ${r.answerTokens} answer tokens</div>
      <table aria-label="Answer tokens: log-probability after the full and the pruned reasoning">
        <thead><tr><th>token</th><th>full</th><th>pruned</th><th>Δ</th></tr></thead>
        <tbody>${r.perToken.slice(0, 40).map((t) => html`<tr><td>${JSON.stringify(t.token)}</td><td>${formatScore(t.full)}</td><td>${formatScore(t.pruned)}</td><td>${formatScore(t.pruned - t.full)}</td></tr>`)}</tbody>
      </table>
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
