import { LitElement, css, html, noChange, nothing, type PropertyValues } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  assertNever,
  isDatasetRowsResult,
  parseToDatasetWebview,
  type DatasetColumn,
  type DatasetDescription,
  type DatasetHostRequest,
  type DatasetProgress,
  type DatasetQuery,
  type DatasetRow,
  type DatasetSort,
  type DatasetView,
  type DatasetWebviewRequest,
  type FromDatasetWebview,
} from '../../src/shared/datasetProtocol';
import { PendingRequests } from '../../src/shared/rpc';
import { formatBytes, formatCount as fmt } from '../../src/shared/format';

/** Fixed row height (px): virtualisation places row `i` at `i * ROW_HEIGHT`. */
const ROW_HEIGHT = 24;
/** Rows rendered above and below the visible ones, so fast scrolling shows no gaps. */
const OVERSCAN = 10;
/** Rows fetched per request; the webview asks for whole blocks so scrolling back needs no round trip. */
const BLOCK = 100;
/** Blocks kept in the cache before the farthest ones are dropped (memory stays flat at 100,000 rows). */
const MAX_BLOCKS = 40;
const FILTER_DEBOUNCE_MS = 200;

interface SavedState {
  readonly scrollTop: number;
  readonly focused: number;
}

interface VsCodeApi {
  postMessage(message: FromDatasetWebview): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface ColumnSpec {
  readonly id: DatasetColumn;
  readonly label: string;
  readonly width: string;
  readonly numeric?: boolean;
}

const COLUMNS: readonly ColumnSpec[] = [
  // Fixed and bounded widths (never content-sized: with only the visible rows rendered, content-sized
  // columns would jump while scrolling); the question takes what is left.
  { id: 'index', label: '#', width: '5.5em', numeric: true },
  { id: 'id', label: 'Id', width: 'minmax(9em, 0.5fr)' },
  { id: 'question', label: 'Question', width: 'minmax(8em, 1fr)' },
  { id: 'steps', label: 'Steps', width: '5.5em', numeric: true },
  { id: 'tokens', label: 'Tokens', width: '5.5em', numeric: true },
  { id: 'truncated', label: 'Truncated', width: '7em' },
  { id: 'answer', label: 'Answer', width: 'minmax(5em, 0.3fr)' },
  { id: 'correct', label: 'Correct', width: '5.5em' },
];


/**
 * Sets inline style properties through the CSSOM (`style.setProperty`). The strict CSP (no
 * `unsafe-inline`) blocks style attributes, including the string Lit's own `styleMap` writes on first
 * render, but not CSSOM writes from our nonce'd script.
 */
class CssPropsDirective extends Directive {
  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) throw new Error('cssProps is an element directive: <div ${cssProps({...})}>');
  }
  render(_props: Readonly<Record<string, string>>): unknown {
    return noChange;
  }
  override update(part: ElementPart, [props]: [Readonly<Record<string, string>>]): unknown {
    const style = (part.element as HTMLElement).style;
    for (const [name, value] of Object.entries(props)) if (style.getPropertyValue(name) !== value) style.setProperty(name, value);
    return noChange;
  }
}
const cssProps = directive(CssPropsDirective);

/**
 * The dataset browser: a virtualised ARIA grid over rows the host produces on demand. Only the visible
 * rows (plus a small overscan) are in the DOM; a spacer gives the scroll height. All file content is
 * rendered through Lit text bindings, never as HTML: trace text is untrusted.
 */
class RlDataset extends LitElement {
  static override styles = css`
    :host { display: flex; flex-direction: column; height: 100vh; box-sizing: border-box; padding: 8px 12px 0; gap: 6px; }
    header { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
    h1 { font-size: 1.1em; font-weight: 600; margin: 0; overflow-wrap: anywhere; }
    .status { color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
    .filter { display: flex; align-items: center; gap: 8px; }
    vscode-textfield { flex: 1; max-width: 40em; }
    .filter-error, .message { color: var(--vscode-errorForeground); }
    .hint { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
    vscode-progress-bar { width: 100%; }
    .grid { flex: 1; display: flex; flex-direction: column; min-height: 0; border-top: 1px solid var(--vscode-editorGroup-border, var(--vscode-panel-border)); }
    .grid:focus { outline: none; }
    .grid:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
    .header-row, .row { display: grid; grid-template-columns: var(--columns); align-items: center; }
    .header-row { border-bottom: 1px solid var(--vscode-editorGroup-border, var(--vscode-panel-border)); background: var(--vscode-editor-background); }
    .header-row button {
      all: unset; box-sizing: border-box; width: 100%; padding: 4px 6px; font-weight: 600; cursor: pointer;
      white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: var(--vscode-foreground);
    }
    .header-row button:hover { background: var(--vscode-list-hoverBackground); }
    .header-row button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
    .numeric { text-align: right; }
    .body { flex: 1; overflow: auto; position: relative; }
    .spacer { position: relative; width: 100%; }
    .row { position: absolute; left: 0; right: 0; height: ${ROW_HEIGHT}px; cursor: default; }
    /* High-contrast themes have no selection backgrounds: their contrast borders mark hover and selection. */
    .row:hover { background: var(--vscode-list-hoverBackground); outline: 1px dashed var(--vscode-contrastActiveBorder, transparent); outline-offset: -1px; }
    .row[aria-selected='true'] {
      background: var(--vscode-list-inactiveSelectionBackground); color: var(--vscode-list-inactiveSelectionForeground, inherit);
      outline: 1px dotted var(--vscode-contrastActiveBorder, transparent); outline-offset: -1px;
    }
    .grid:focus .row[aria-selected='true'] {
      background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground);
      outline: 1px solid var(--vscode-list-focusOutline, var(--vscode-contrastActiveBorder, transparent)); outline-offset: -1px;
    }
    .cell { padding: 0 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: ${ROW_HEIGHT}px; }
    .row.error .cell.message-cell { color: var(--vscode-errorForeground); grid-column: 3 / -1; }
    .row.placeholder .cell { color: var(--vscode-disabledForeground, var(--vscode-descriptionForeground)); }
    .yes { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
    .no { color: var(--vscode-testing-iconFailed, var(--vscode-errorForeground)); }
    .muted { color: var(--vscode-descriptionForeground); }
    .empty { padding: 16px 6px; color: var(--vscode-descriptionForeground); }
  `;

  static override properties = {
    view: { state: true },
    progress: { state: true },
    failure: { state: true },
    openError: { state: true },
    focused: { state: true },
    first: { state: true },
    viewportRows: { state: true },
    rowsTick: { state: true },
  };

  private readonly api = acquireVsCodeApi();
  private readonly requests = new PendingRequests(30_000);
  view: DatasetView | undefined;
  progress: DatasetProgress | undefined;
  failure: string | undefined;
  openError: string | undefined;
  focused = -1;
  first = 0;
  viewportRows = 30;
  /** Bumped when rows arrive, to re-render. */
  rowsTick = 0;

  /** Rows of the current view version, by view position. */
  private rows = new Map<number, DatasetRow>();
  /** Rows of the previous version, shown until fresh ones arrive (no flicker while summaries stream in). */
  private staleRows = new Map<number, DatasetRow>();
  private loadedBlocks = new Set<number>();
  private inflightBlocks = new Set<number>();
  private filterTimer: ReturnType<typeof setTimeout> | undefined;
  private filterText = '';
  private sort: DatasetSort | null = null;
  private queryInFlight: Promise<void> = Promise.resolve();
  private restored: SavedState | undefined = this.api.getState();
  private resizeObserver: ResizeObserver | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('message', this.onMessage);
    this.api.postMessage({ type: 'ready' });
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.onMessage);
    this.resizeObserver?.disconnect();
    this.requests.rejectAll('dataset browser closed');
    super.disconnectedCallback();
  }

  private get body(): HTMLElement | null {
    return this.renderRoot.querySelector('.body');
  }

  /** The focusable grid: it holds the keyboard focus and points at the focused row (aria-activedescendant). */
  private get grid(): HTMLElement | null {
    return this.renderRoot.querySelector('.grid');
  }

  override updated(changed: PropertyValues): void {
    super.updated(changed);
    const body = this.body;
    if (body && !this.resizeObserver) {
      this.resizeObserver = new ResizeObserver(() => {
        this.viewportRows = Math.max(1, Math.ceil(body.clientHeight / ROW_HEIGHT));
        this.ensureRows();
      });
      this.resizeObserver.observe(body);
      if (this.restored) {
        body.scrollTop = this.restored.scrollTop;
        this.focused = this.restored.focused;
        this.restored = undefined;
      }
    }
  }

  private readonly onMessage = (event: MessageEvent<unknown>): void => {
    const message = parseToDatasetWebview(event.data);
    if (!message) return;
    switch (message.type) {
      case 'progress':
        this.progress = message.progress;
        return;
      case 'view':
        this.applyView(message.view);
        return;
      case 'failed':
        this.failure = message.message;
        return;
      case 'request':
        void this.answer(message.id, message.request);
        return;
      case 'response':
        this.requests.settle(message.id, message);
        return;
      default:
        assertNever(message);
    }
  };

  private ask<T>(request: DatasetWebviewRequest): Promise<T> {
    return this.requests.request<T>((id) => this.api.postMessage({ type: 'request', id, request }), `dataset ${request.kind}`);
  }

  private applyView(view: DatasetView): void {
    const previous = this.view;
    if (!previous) {
      this.filterText = view.query.filter;
      this.sort = view.query.sort;
    }
    this.view = view;
    if (!previous || previous.version !== view.version) {
      // Same query, new version (more summaries arrived): keep showing the old rows until fresh ones
      // come, so a filtered table does not flash placeholders several times a second.
      this.staleRows = previous && sameQuery(previous, view) ? this.rows : new Map();
      this.rows = new Map();
      this.loadedBlocks.clear();
      this.inflightBlocks.clear();
    }
    if (this.focused >= view.rows) this.focused = view.rows - 1;
    if (this.focused < 0 && view.rows > 0) this.focused = 0;
    this.ensureRows();
  }

  /** Requests the blocks that cover the visible rows and are not loaded yet. */
  private ensureRows(): void {
    const view = this.view;
    if (!view || view.rows === 0) return;
    const from = Math.max(0, this.first - OVERSCAN);
    const to = Math.min(view.rows - 1, this.first + this.viewportRows + OVERSCAN);
    for (let block = Math.floor(from / BLOCK); block <= Math.floor(to / BLOCK); block++) {
      if (this.loadedBlocks.has(block) || this.inflightBlocks.has(block)) continue;
      this.inflightBlocks.add(block);
      const version = view.version;
      this.ask<unknown>({ kind: 'rows', version, start: block * BLOCK, count: BLOCK })
        .then((result) => {
          if (!isDatasetRowsResult(result) || result.version !== this.view?.version) return;
          this.inflightBlocks.delete(block);
          this.loadedBlocks.add(block);
          result.rows.forEach((row, k) => this.rows.set(result.start + k, row));
          this.evictFarBlocks();
          this.rowsTick++;
        })
        .catch((e: unknown) => {
          this.inflightBlocks.delete(block);
          console.warn(e);
        });
    }
  }

  /** Drops the blocks farthest from the viewport once more than {@link MAX_BLOCKS} are cached. */
  private evictFarBlocks(): void {
    if (this.loadedBlocks.size <= MAX_BLOCKS) return;
    const here = Math.floor(this.first / BLOCK);
    const far = [...this.loadedBlocks].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    for (const block of far.slice(0, this.loadedBlocks.size - MAX_BLOCKS)) {
      this.loadedBlocks.delete(block);
      for (let r = block * BLOCK; r < (block + 1) * BLOCK; r++) this.rows.delete(r);
    }
    this.staleRows.clear();
  }

  private onScroll(): void {
    const body = this.body;
    if (!body) return;
    const first = Math.floor(body.scrollTop / ROW_HEIGHT);
    if (first !== this.first) {
      this.first = first;
      this.ensureRows();
    }
    this.api.setState({ scrollTop: body.scrollTop, focused: this.focused });
  }

  private onFilterInput(event: Event): void {
    this.filterText = (event.target as HTMLInputElement).value;
    clearTimeout(this.filterTimer);
    this.filterTimer = setTimeout(() => {
      this.filterTimer = undefined;
      void this.sendQuery();
    }, FILTER_DEBOUNCE_MS);
  }

  private onFilterKey(event: KeyboardEvent): void {
    if (event.key === 'ArrowDown' || event.key === 'Enter') {
      event.preventDefault();
      // Focus moves at once (keys typed next go to the table); a pending filter is sent now, not later.
      if (this.filterTimer !== undefined) {
        clearTimeout(this.filterTimer);
        this.filterTimer = undefined;
        void this.sendQuery();
      }
      this.grid?.focus();
      this.focusRow(0);
    }
  }

  /** Sends the filter and sort to the host, which filters and sorts over its cached summaries. */
  private sendQuery(): Promise<void> {
    const query: DatasetQuery = { filter: this.filterText, sort: this.sort };
    this.queryInFlight = this.ask<unknown>({ kind: 'query', query }).then(
      (result) => {
        // The answer is the new view; apply it now rather than wait for the 'view' message behind it.
        const message = parseToDatasetWebview({ type: 'view', view: result });
        if (message?.type === 'view') this.applyView(message.view);
      },
      (e: unknown) => {
        this.openError = `Filtering failed: ${e instanceof Error ? e.message : String(e)}`;
      },
    );
    // The view arrives in the response's wake as a 'view' message; scroll to the top of the new result.
    this.focused = 0;
    const body = this.body;
    if (body) body.scrollTop = 0;
    this.first = 0;
    return this.queryInFlight;
  }

  private toggleSort(column: DatasetColumn): void {
    const current = this.sort;
    // Click cycles: ascending → descending → file order.
    if (!current || current.column !== column) this.sort = { column, descending: false };
    else if (!current.descending) this.sort = { column, descending: true };
    else this.sort = null;
    void this.sendQuery();
  }

  private focusRow(row: number): void {
    const view = this.view;
    if (!view || view.rows === 0) return;
    this.focused = Math.max(0, Math.min(view.rows - 1, row));
    const body = this.body;
    if (body) {
      const top = this.focused * ROW_HEIGHT;
      if (top < body.scrollTop) body.scrollTop = top;
      else if (top + ROW_HEIGHT > body.scrollTop + body.clientHeight) body.scrollTop = top + ROW_HEIGHT - body.clientHeight;
      this.onScroll();
    }
  }

  private onGridKey(event: KeyboardEvent): void {
    // Keys on the header's sort buttons are theirs (Enter sorts), not row navigation.
    if (event.target !== event.currentTarget) return;
    const page = Math.max(1, this.viewportRows - 1);
    const moves: Record<string, () => number> = {
      ArrowDown: () => this.focused + 1,
      ArrowUp: () => this.focused - 1,
      PageDown: () => this.focused + page,
      PageUp: () => this.focused - page,
      Home: () => 0,
      End: () => (this.view?.rows ?? 1) - 1,
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      this.focusRow(move());
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      void this.openRow(this.focused);
    }
  }

  private async openRow(position: number): Promise<void> {
    const view = this.view;
    if (!view || position < 0 || position >= view.rows) return;
    const row = this.rows.get(position) ?? this.staleRows.get(position);
    this.openError = undefined;
    try {
      if (!row) throw new Error('this row is still loading; press Enter again in a moment');
      await this.ask<null>({ kind: 'open', row });
    } catch (e) {
      this.openError = e instanceof Error ? e.message : String(e);
      throw e;
    }
  }

  private async answer(id: number, request: DatasetHostRequest): Promise<void> {
    try {
      let result: DatasetDescription | null;
      switch (request.kind) {
        case 'describe':
          await this.updateComplete;
          result = this.describe();
          break;
        case 'setQuery': {
          this.filterText = request.query.filter;
          this.sort = request.query.sort;
          const field = this.renderRoot.querySelector('vscode-textfield') as HTMLInputElement | null;
          if (field) field.value = this.filterText;
          await this.sendQuery();
          result = null;
          break;
        }
        case 'activate':
          this.focusRow(request.row);
          this.grid?.focus();
          await this.openRow(request.row);
          result = null;
          break;
        default:
          assertNever(request);
      }
      this.api.postMessage({ type: 'response', id, ok: true, result });
    } catch (e) {
      this.api.postMessage({ type: 'response', id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** What is on screen, read back from the DOM (so a test proves it rendered, not just that data exists). */
  private describe(): DatasetDescription {
    const root = this.renderRoot;
    const rowEls = [...root.querySelectorAll<HTMLElement>('.row[data-index]')];
    return {
      fileName: root.querySelector('h1')?.textContent ?? '',
      rows: Number(root.querySelector('[data-field="rows"]')?.getAttribute('data-value') ?? 0),
      complete: this.view?.complete ?? false,
      filter: this.filterText,
      sort: this.sort,
      renderedRows: root.querySelectorAll('.row').length,
      visible: rowEls
        .filter((el) => !el.classList.contains('placeholder'))
        .map((el) => ({ index: Number(el.dataset.index), id: el.querySelector('[data-col="id"]')?.textContent ?? '' })),
      focused: this.focused,
    };
  }

  private columns(): readonly ColumnSpec[] {
    return this.view?.hasCorrectness ? COLUMNS : COLUMNS.filter((c) => c.id !== 'correct');
  }

  override render() {
    const view = this.view;
    const progress = this.progress;
    if (this.failure) {
      return html`<header><h1>Dataset</h1></header><p class="message" role="alert">${this.failure}</p>`;
    }
    if (!view) {
      const indexing = progress?.phase === 'indexing';
      return html`
        <header>
          <h1>Dataset</h1>
          <span class="status" role="status">${indexing && progress.total > 0
            ? `Indexing… ${Math.round((100 * progress.done) / progress.total)}% of ${formatBytes(progress.total)}`
            : 'Opening…'}</span>
          <vscode-button secondary @click=${() => void this.ask({ kind: 'cancel' }).catch(() => undefined)}>Cancel</vscode-button>
        </header>
        <vscode-progress-bar aria-label="Indexing the dataset" .value=${indexing && progress.total > 0 ? progress.done : undefined} .max=${progress?.total || 1}></vscode-progress-bar>
      `;
    }
    const columns = this.columns();
    const template = columns.map((c) => c.width).join(' ');
    return html`
      <header>
        <h1 title=${view.fileName}>${view.fileName}</h1>
        <span class="status" role="status" aria-live="polite" data-field="rows" data-value=${view.rows}>${this.statusText(view)}</span>
        ${!view.complete && progress?.phase !== 'stopped' ? html`<vscode-button secondary @click=${() => void this.ask({ kind: 'cancel' }).catch(() => undefined)}>Stop</vscode-button>` : nothing}
      </header>
      ${!view.complete && progress && progress.phase === 'summarising' && progress.total > 0
        ? html`<vscode-progress-bar aria-label="Summarising records" .value=${progress.done} .max=${progress.total}></vscode-progress-bar>`
        : nothing}
      <div class="filter">
        <vscode-textfield
          placeholder="Filter: words, id:…, correct:no, truncated:yes, is:error, steps>20, tokens<500"
          aria-label="Filter rows"
          .value=${this.filterText}
          @input=${(e: Event) => this.onFilterInput(e)}
          @keydown=${(e: KeyboardEvent) => this.onFilterKey(e)}
        ></vscode-textfield>
        ${view.filterError ? html`<span class="filter-error" role="alert">${view.filterError}</span>` : nothing}
      </div>
      ${this.openError ? html`<div class="message" role="alert">${this.openError}</div>` : nothing}
      <div class="grid" role="grid" tabindex="0" aria-label=${`Traces in ${view.fileName}`} aria-rowcount=${view.rows + 1} aria-colcount=${columns.length}
        aria-activedescendant=${this.focused >= 0 && view.rows > 0 ? `row-${this.focused}` : nothing}
        @keydown=${(e: KeyboardEvent) => this.onGridKey(e)}
        ${cssProps({ '--columns': template })}>
        <div role="rowgroup">
          <div class="header-row" role="row" aria-rowindex="1">
            ${columns.map((c, i) => html`
              <div role="columnheader" aria-colindex=${i + 1} aria-sort=${this.sortState(c.id)}>
                <button class=${c.numeric ? 'numeric' : ''} title=${`Sort by ${c.label}`} @click=${() => this.toggleSort(c.id)}>${c.label}${this.sortMark(c.id)}</button>
              </div>`)}
          </div>
        </div>
        <div class="body" role="rowgroup" @scroll=${() => this.onScroll()}>
          ${view.rows === 0
            ? html`<div class="empty">${view.query.filter ? 'No rows match the filter.' : view.complete ? 'No records in this file.' : 'Reading…'}</div>`
            : html`<div class="spacer" ${cssProps({ height: `${view.rows * ROW_HEIGHT}px` })}>${this.renderRows(columns)}</div>`}
        </div>
      </div>
    `;
  }

  private renderRows(columns: readonly ColumnSpec[]) {
    const view = this.view!;
    const from = Math.max(0, this.first - OVERSCAN);
    const to = Math.min(view.rows, this.first + this.viewportRows + OVERSCAN);
    const out = [];
    for (let r = from; r < to; r++) {
      const row = this.rows.get(r) ?? this.staleRows.get(r);
      const selected = r === this.focused ? 'true' : 'false';
      const top = cssProps({ top: `${r * ROW_HEIGHT}px` });
      if (!row) {
        out.push(html`<div class="row placeholder" id=${`row-${r}`} role="row" aria-rowindex=${r + 2} aria-selected=${selected} ${top}>
          <div class="cell numeric" role="gridcell">${fmt(r + 1)}</div><div class="cell" role="gridcell">…</div></div>`);
        continue;
      }
      out.push(html`<div class=${row.error !== undefined ? 'row error' : 'row'} id=${`row-${r}`} role="row" aria-rowindex=${r + 2}
          aria-selected=${selected} data-index=${row.index} ${top}
          @click=${() => this.focusRow(r)} @dblclick=${() => void this.openRow(r).catch(() => undefined)}>
          ${row.error !== undefined ? this.errorCells(row) : columns.map((c) => this.cell(row, c))}
        </div>`);
    }
    return out;
  }

  private errorCells(row: DatasetRow) {
    return html`
      <div class="cell numeric" role="gridcell">${fmt(row.index)}</div>
      <div class="cell" role="gridcell" data-col="id">${row.id}</div>
      <div class="cell message-cell" role="gridcell" title=${row.error ?? ''}>⚠ ${row.error}</div>`;
  }

  private cell(row: DatasetRow, column: ColumnSpec) {
    const cls = column.numeric ? 'cell numeric' : 'cell';
    switch (column.id) {
      case 'index': return html`<div class=${cls} role="gridcell">${fmt(row.index)}</div>`;
      case 'id': return html`<div class=${cls} role="gridcell" data-col="id" title=${row.id}>${row.id}</div>`;
      case 'question': return html`<div class=${cls} role="gridcell" title=${row.question}>${row.question}</div>`;
      case 'steps': return html`<div class=${cls} role="gridcell">${fmt(row.steps)}</div>`;
      case 'tokens': return html`<div class=${cls} role="gridcell" title=${row.tokensEstimated ? 'estimated (~4 characters per token)' : 'from the file\u2019s logprobs'}>${row.tokensEstimated ? '~' : ''}${fmt(row.tokens)}</div>`;
      case 'truncated': return html`<div class=${row.truncated ? `${cls} no` : `${cls} muted`} role="gridcell">${row.truncated ? 'truncated' : 'no'}</div>`;
      case 'answer': return html`<div class=${cls} role="gridcell" title=${row.answer}>${row.answer}</div>`;
      case 'correct': return row.correct === null
        ? html`<div class="cell muted" role="gridcell">–</div>`
        : html`<div class=${row.correct ? 'cell yes' : 'cell no'} role="gridcell">${row.correct ? '✓ yes' : '✗ no'}</div>`;
    }
  }

  private sortState(column: DatasetColumn): 'ascending' | 'descending' | 'none' {
    if (this.sort?.column !== column) return 'none';
    return this.sort.descending ? 'descending' : 'ascending';
  }

  private sortMark(column: DatasetColumn): string {
    if (this.sort?.column !== column) return '';
    return this.sort.descending ? ' ▼' : ' ▲';
  }

  private statusText(view: DatasetView): string {
    const filtered = view.query.filter.trim() !== '' && !view.filterError;
    const count = filtered ? `${fmt(view.rows)} of ${fmt(view.totalRows)} rows` : `${fmt(view.totalRows)} rows`;
    const parts = [count, `${fmt(view.records)} records`];
    if (view.errorRows > 0) parts.push(`${fmt(view.errorRows)} unreadable`);
    if (!view.hasLogprobs) parts.push('tokens estimated');
    const p = this.progress;
    if (!view.complete && p?.phase === 'stopped') parts.push(`stopped after ${fmt(p.done)} of ${fmt(p.total)} records (reopen to finish)`);
    else if (!view.complete) parts.push(p && p.total > 0 ? `summarising ${Math.floor((100 * p.done) / p.total)}%…` : 'summarising…');
    return parts.join(' · ');
  }
}

/** True when `a` and `b` show the same filter and sort (only the data behind them grew). */
function sameQuery(a: DatasetView, b: DatasetView): boolean {
  const sa = a.query.sort;
  const sb = b.query.sort;
  return a.query.filter === b.query.filter && (sa === sb || (sa !== null && sb !== null && sa.column === sb.column && sa.descending === sb.descending));
}

customElements.define('rl-dataset', RlDataset);
