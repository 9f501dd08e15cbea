import { LitElement, css, html, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import { assertNever, parseToWebview, type TraceSummary, type ViewDescription, type WebviewRequest } from '../../src/shared/protocol';
import { PendingRequests } from '../../src/shared/rpc';
import { vscodeApi } from './vscodeApi';

interface PanelState {
  readonly trace: TraceSummary | null;
}

/**
 * The side panel. Renders trace text and names through Lit's text bindings only (never as HTML):
 * trace content is untrusted.
 */
class RlPanel extends LitElement {
  static override styles = css`
    :host { display: block; }
    h2 { font-size: 1.1em; font-weight: 600; margin: 4px 0 8px; overflow-wrap: anywhere; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 8px 0; }
    dt { color: var(--vscode-descriptionForeground); }
    dd { margin: 0; overflow-wrap: anywhere; }
    .empty { color: var(--vscode-descriptionForeground); }
  `;

  static override properties = { trace: { state: true } };

  private readonly api = vscodeApi<PanelState>();
  private readonly requests = new PendingRequests(30_000);
  trace: TraceSummary | null = this.api.getState()?.trace ?? null;

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('message', this.onMessage);
    this.api.postMessage({ type: 'ready' });
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.onMessage);
    this.requests.rejectAll('panel closed');
    super.disconnectedCallback();
  }

  private readonly onMessage = (event: MessageEvent<unknown>): void => {
    const message = parseToWebview(event.data);
    if (!message) return;
    switch (message.type) {
      case 'state':
        this.trace = message.trace;
        this.api.setState({ trace: message.trace });
        return;
      case 'request':
        void this.updateComplete.then(() => {
          this.api.postMessage({ type: 'response', id: message.id, ok: true, result: this.describe() });
        });
        return;
      case 'response':
        this.requests.settle(message.id, message);
        return;
      default:
        assertNever(message);
    }
  };

  /** Sends a request to the host; failures are shown by the host, so they are only logged here. */
  private ask(request: WebviewRequest): void {
    this.requests
      .request((id) => this.api.postMessage({ type: 'request', id, request }), request.kind)
      .catch((e: unknown) => console.warn(e));
  }

  /** What is on screen, read back from the rendered DOM (so a test proves it rendered). */
  private describe(): ViewDescription {
    const root = this.renderRoot;
    const title = root.querySelector('h2')?.textContent ?? '';
    const steps = root.querySelector('[data-field="steps"]')?.textContent;
    return { title, steps: steps ? Number(steps.replace(/[^\d]/g, '')) : null };
  }

  override render() {
    const t = this.trace;
    if (!t) {
      return html`
        <h2>No trace</h2>
        <p class="empty">Open a reasoning trace (a file with &lt;think&gt; … &lt;/think&gt;, an OpenAI response, a dataset row) to see it here.</p>
        <vscode-button @click=${() => this.ask({ kind: 'openSample' })}>Open Sample Trace</vscode-button>
      `;
    }
    return html`
      <h2 title=${t.name}>${t.name}</h2>
      <dl aria-label="Trace summary">
        <dt>Steps</dt><dd data-field="steps"><vscode-badge>${t.steps.toLocaleString('en-US')}</vscode-badge></dd>
        <dt>Format</dt><dd>${t.format}</dd>
        <dt>Characters</dt><dd>${t.characters.toLocaleString('en-US')}</dd>
        <dt>Truncated</dt><dd>${t.truncated ? 'yes (no closing tag)' : 'no'}</dd>
        ${t.finalAnswer !== undefined ? html`<dt>Final answer</dt><dd>${t.finalAnswer}</dd>` : nothing}
      </dl>
    `;
  }
}

customElements.define('rl-panel', RlPanel);
