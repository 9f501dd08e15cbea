import { LitElement, html, nothing, type PropertyValues } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  assertNever,
  isDatasetRowsResult,
  parseToDatasetWebview,
  type BehavioursState,
  type DatasetColumn,
  type DatasetDashboard,
  type DatasetDescription,
  type DatasetHostRequest,
  type DatasetNotification,
  type DatasetProgress,
  type DatasetQuery,
  type DatasetSort,
  type DatasetTab,
  type DatasetView,
  type DatasetWebviewRequest,
} from '../../src/shared/datasetProtocol';
import { applyBarFilter } from '../../src/shared/datasetFilter';
import { formatBytes, formatCount } from '../../src/shared/format';
import { WebviewChannel } from '../common/channel';
import type { BehavioursAction, RlBehaviours } from './behavioursView';
import './behavioursView';
import type { BarClick, RlDashboard } from './dashboard';
import './dashboard';
import { cell, columnsFor, cssProps, errorCells, nextSort, sortMark, sortState, type ColumnSpec } from './grid';
import { BLOCK, RowBlocks } from './rowBlocks';
import { fieldsText, sameQuery, searchProgress, statusText } from './status';
import { datasetStyles, ROW_HEIGHT } from './styles';

/** Rows rendered above and below the visible ones, so fast scrolling shows no gaps. */
const OVERSCAN = 10;
const FILTER_DEBOUNCE_MS = 200;
/** A selection held this long drives the side panel (arrow keys held down do not flood it). */
const SELECT_DEBOUNCE_MS = 150;

/** What survives hiding and reloading. */
interface SavedState {
  readonly scrollTop: number;
  readonly focused: number;
  readonly tab?: DatasetTab;
  readonly charts?: boolean;
}

/**
 * The dataset browser: a virtualised ARIA grid over rows the host produces on demand. Only the visible
 * rows (plus a small overscan) are in the DOM; a spacer gives the scroll height. All file content is
 * rendered through Lit text bindings, never as HTML: trace text is untrusted.
 */
class RlDataset extends LitElement {
  static override styles = datasetStyles;


  static override properties = {
    view: { state: true },
    progress: { state: true },
    failure: { state: true },
    openError: { state: true },
    focused: { state: true },
    first: { state: true },
    viewportRows: { state: true },
    rowsTick: { state: true },
    dashboard: { state: true },
    behaviours: { state: true },
    tab: { state: true },
    showCharts: { state: true },
    filterShown: { state: true },
  };

  private readonly channel = new WebviewChannel<DatasetNotification, DatasetHostRequest, DatasetWebviewRequest, SavedState>({
    parse: parseToDatasetWebview,
    onNotification: (message) => this.onNotification(message),
    answer: (request) => this.answer(request),
    timeoutMs: 30_000,
  });
  view: DatasetView | undefined;
  progress: DatasetProgress | undefined;
  failure: string | undefined;
  openError: string | undefined;
  focused = -1;
  first = 0;
  viewportRows = 30;
  /** Bumped when rows arrive, to re-render. */
  rowsTick = 0;
  dashboard: DatasetDashboard | undefined;
  behaviours: BehavioursState | undefined;
  tab: DatasetTab = 'traces';
  showCharts = true;
  /** The filter the charts highlight (what the host last applied, not each keystroke). */
  filterShown = '';

  private readonly blocks = new RowBlocks();
  private filterTimer: ReturnType<typeof setTimeout> | undefined;
  private filterText = '';
  private sort: DatasetSort | null = null;
  private queryInFlight: Promise<void> = Promise.resolve();
  /** A filter or sort was set on this page (the host's first view must not undo it). */
  private queryTouched = false;
  private restored: SavedState | undefined = this.channel.savedState;
  private resizeObserver: ResizeObserver | undefined;
  private selectTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last action a host request started (a bar click, an example opened), for tests to await. */
  private pending: Promise<unknown> = Promise.resolve();
  /** Scroll position of the table while another tab is shown. */
  private tableScroll = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.restored?.tab) this.tab = this.restored.tab;
    if (this.restored?.charts !== undefined) this.showCharts = this.restored.charts;
    this.channel.connect();
  }

  override disconnectedCallback(): void {
    this.resizeObserver?.disconnect();
    this.channel.disconnect('dataset browser closed');
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

  private onNotification(message: DatasetNotification): void {
    switch (message.type) {
      case 'progress':
        this.progress = message.progress;
        return;
      case 'view':
        this.applyView(message.view);
        return;
      case 'dashboard':
        this.dashboard = message.dashboard;
        return;
      case 'behaviours':
        this.behaviours = message.state;
        return;
      case 'failed':
        this.failure = message.message;
        return;
      default:
        assertNever(message);
    }
  }

  private ask<T>(request: DatasetWebviewRequest): Promise<T> {
    return this.channel.ask<T>(request);
  }

  private applyView(view: DatasetView): void {
    const previous = this.view;
    if (!previous && !this.queryTouched) {
      // The host's query (kept while the page was hidden), unless one was set here before the first view came.
      this.filterText = view.query.filter;
      this.sort = view.query.sort;
    }
    this.view = view;
    this.filterShown = view.filterError ? '' : view.query.filter;
    if (!previous || previous.version !== view.version) {
      // Same query, new version (more summaries arrived): keep showing the old rows until fresh ones
      // come, so a filtered table does not flash placeholders several times a second.
      this.blocks.reset(previous !== undefined && sameQuery(previous, view));
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
    for (const block of this.blocks.missing(from, to)) {
      this.blocks.fetching(block);
      this.ask<unknown>({ kind: 'rows', version: view.version, start: block * BLOCK, count: BLOCK })
        .then((result) => {
          // A block of an older version stays "in flight" until the next version resets the blocks.
          if (!isDatasetRowsResult(result) || result.version !== this.view?.version) return;
          this.blocks.store(block, result, this.first);
          this.rowsTick++;
        })
        .catch((e: unknown) => {
          this.blocks.failed(block);
          console.warn(e);
        });
    }
  }

  private onScroll(): void {
    const body = this.body;
    if (!body) return;
    const first = Math.floor(body.scrollTop / ROW_HEIGHT);
    if (first !== this.first) {
      this.first = first;
      this.ensureRows();
    }
    this.saveState();
  }

  private saveState(): void {
    const scrollTop = this.tab === 'traces' ? (this.body?.scrollTop ?? 0) : this.tableScroll;
    this.channel.saveState({ scrollTop, focused: this.focused, tab: this.tab, charts: this.showCharts });
  }

  private onFilterInput(event: Event): void {
    this.queryTouched = true;
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
    this.queryTouched = true;
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
    this.sort = nextSort(this.sort, column);
    void this.sendQuery();
  }

  private focusRow(row: number): void {
    const view = this.view;
    if (!view || view.rows === 0) return;
    this.focused = Math.max(0, Math.min(view.rows - 1, row));
    this.scheduleSelect();
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

  /** The selected row drives the side panel, once the selection rests for a moment. */
  private scheduleSelect(): void {
    clearTimeout(this.selectTimer);
    this.selectTimer = setTimeout(() => void this.sendSelect().catch(() => undefined), SELECT_DEBOUNCE_MS);
  }

  private async sendSelect(): Promise<void> {
    clearTimeout(this.selectTimer);
    const row = this.blocks.get(this.focused);
    if (row && row.error === undefined) await this.ask<null>({ kind: 'select', row });
  }

  /** A dashboard bar was clicked: its filter replaces that chart's terms, a second click removes it. */
  private onBar(click: BarClick): Promise<void> {
    const bar = click.chart.bars[click.bar];
    if (!bar) return Promise.resolve();
    this.filterText = applyBarFilter(this.filterText, bar.filter, click.chart.fields);
    const field = this.renderRoot.querySelector('vscode-textfield') as HTMLInputElement | null;
    if (field) field.value = this.filterText;
    clearTimeout(this.filterTimer);
    this.filterTimer = undefined;
    return this.sendQuery();
  }

  private onBehaviours(action: BehavioursAction): Promise<unknown> {
    const report = (e: unknown): void => {
      this.openError = e instanceof Error ? e.message : String(e);
    };
    this.openError = undefined;
    switch (action.kind) {
      case 'start':
      case 'cancel':
        return this.ask<null>({ kind: 'behaviours', action: action.kind }).catch(report);
      case 'export':
        return this.ask<unknown>({ kind: 'exportHandbook' }).catch(report);
      case 'open':
        return this.ask<null>({ kind: 'openExample', example: action.example }).catch(report);
      default:
        return assertNever(action);
    }
  }

  private showTab(tab: DatasetTab): void {
    if (tab === this.tab) return;
    if (this.tab === 'traces') this.tableScroll = this.body?.scrollTop ?? 0;
    this.tab = tab;
    this.saveState();
    if (tab === 'behaviours' && (!this.behaviours || this.behaviours.phase === 'idle')) void this.onBehaviours({ kind: 'start' });
    if (tab === 'traces') {
      // The table was hidden: put it back where it was once it is laid out again.
      void this.updateComplete.then(() => {
        const body = this.body;
        if (body) body.scrollTop = this.tableScroll;
        this.onScroll();
      });
    }
  }

  private toggleCharts(): void {
    this.showCharts = !this.showCharts;
    this.saveState();
  }

  private async openRow(position: number): Promise<void> {
    const view = this.view;
    if (!view || position < 0 || position >= view.rows) return;
    const row = this.blocks.get(position);
    this.openError = undefined;
    try {
      if (!row) throw new Error('this row is still loading; press Enter again in a moment');
      await this.ask<null>({ kind: 'open', row });
    } catch (e) {
      this.openError = e instanceof Error ? e.message : String(e);
      throw e;
    }
  }

  /** Answers the host (tests drive the table through these, as a user would). */
  private async answer(request: DatasetHostRequest): Promise<DatasetDescription | null> {
    switch (request.kind) {
      case 'describe':
        await this.updateComplete;
        return this.describe();
      case 'setQuery': {
        this.filterText = request.query.filter;
        this.sort = request.query.sort;
        const field = this.renderRoot.querySelector('vscode-textfield') as HTMLInputElement | null;
        if (field) field.value = this.filterText;
        await this.sendQuery();
        return null;
      }
      case 'activate':
        this.focusRow(request.row);
        this.grid?.focus();
        await this.openRow(request.row);
        return null;
      case 'select': {
        // As a click on the row: it is selected, and the side panel follows once the selection rests.
        const el = this.renderRoot.querySelector<HTMLElement>(`#row-${request.row}`);
        if (el) el.click();
        else this.focusRow(request.row);
        await this.sendSelect();
        return null;
      }
      case 'clickBar': {
        if (!this.showCharts) this.toggleCharts();
        await this.updateComplete;
        const dashboard = this.renderRoot.querySelector<RlDashboard>('rl-dashboard');
        await dashboard?.updateComplete;
        const button = dashboard?.shadowRoot?.querySelectorAll<HTMLElement>(`section[data-metric="${request.metric}"] button.bar`)[request.bar];
        if (!button) throw new Error(`the dashboard shows no bar ${request.bar} in the ${request.metric} chart`);
        button.click();
        await this.pending;
        return null;
      }
      case 'showTab':
        this.showTab(request.tab);
        await this.updateComplete;
        return null;
      case 'clickExample': {
        const list = this.renderRoot.querySelector<RlBehaviours>('rl-behaviours');
        await list?.updateComplete;
        const item = list?.shadowRoot?.querySelector(`li[data-rank="${request.rank}"]`);
        item?.querySelector('details')?.setAttribute('open', '');
        const button = item?.querySelectorAll<HTMLElement>('button.example')[request.example];
        if (!button) throw new Error(`behaviour ${request.rank} has no example ${request.example + 1} on screen`);
        button.click();
        await this.pending;
        return null;
      }
      default:
        return assertNever(request);
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
      tab: this.tab,
      charts: [...(root.querySelector('rl-dashboard')?.shadowRoot?.querySelectorAll<HTMLElement>('section[data-metric]') ?? [])].map((section) => ({
        metric: section.dataset.metric ?? '',
        bars: [...section.querySelectorAll<HTMLElement>('button.bar')].map((b) => ({
          label: b.getAttribute('aria-label') ?? '',
          count: Number(b.dataset.count),
          active: b.getAttribute('aria-pressed') === 'true',
        })),
      })),
      behaviours: root.querySelector('rl-behaviours')?.shadowRoot?.querySelectorAll('li.behaviour').length ?? 0,
    };
  }

  private columns(): readonly ColumnSpec[] {
    return columnsFor(this.view?.hasCorrectness ?? false);
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
    const search = searchProgress(view);
    const fields = fieldsText(view);
    return html`
      <header>
        <h1 title=${view.fileName}>${view.fileName}</h1>
        <span class="status" role="status" aria-live="polite" data-field="rows" data-value=${view.rows}>${statusText(view, this.progress)}</span>
        ${!view.complete && progress?.phase !== 'stopped' ? html`<vscode-button secondary @click=${() => void this.ask({ kind: 'cancel' }).catch(() => undefined)}>Stop</vscode-button>` : nothing}
        ${fields ? html`<span class="fields" title="The file's own fields the Id and Correct columns show (reasoningLens.fieldMapping sets the id)">${fields}</span>` : nothing}
      </header>
      ${!view.complete && progress && progress.phase === 'summarising' && progress.total > 0
        ? html`<vscode-progress-bar aria-label="Summarising records" .value=${progress.done} .max=${progress.total}></vscode-progress-bar>`
        : nothing}
      <div class="tabs" role="tablist" aria-label="Views of the dataset">
        <button role="tab" id="tab-traces" aria-selected=${this.tab === 'traces' ? 'true' : 'false'} aria-controls="panel-traces" @click=${() => this.showTab('traces')}>Traces</button>
        <button role="tab" id="tab-behaviours" aria-selected=${this.tab === 'behaviours' ? 'true' : 'false'} aria-controls="panel-behaviours" @click=${() => this.showTab('behaviours')}>Recurring behaviours</button>
      </div>
      <div class="tab-panel" id="panel-traces" role="tabpanel" aria-labelledby="tab-traces" ?hidden=${this.tab !== 'traces'}>
        <div class="filter">
          <vscode-textfield
            placeholder="Search prompt, reasoning, answer · steps>20 tokens<500 loops>0 has:answer correct:no truncated:yes"
            aria-label="Filter rows: words search the prompt, reasoning and answer"
            .value=${this.filterText}
            @input=${(e: Event) => this.onFilterInput(e)}
            @keydown=${(e: KeyboardEvent) => this.onFilterKey(e)}
          ></vscode-textfield>
          <button class="toggle" aria-pressed=${this.showCharts ? 'true' : 'false'} title="Show or hide the charts" @click=${() => this.toggleCharts()}>Charts</button>
          ${view.filterError ? html`<span class="filter-error" role="alert">${view.filterError}</span>` : nothing}
          ${search ? html`<span class="hint" role="status">${search}</span>` : nothing}
        </div>
        ${this.showCharts
          ? html`<rl-dashboard .dashboard=${this.dashboard} .filter=${this.filterShown}
              @rl-bar=${(e: CustomEvent<BarClick>) => { this.pending = this.onBar(e.detail); }}></rl-dashboard>`
          : nothing}
        ${this.openError ? html`<div class="message" role="alert">${this.openError}</div>` : nothing}
        <div class="grid" role="grid" tabindex="0" aria-label=${`Traces in ${view.fileName}`} aria-rowcount=${view.rows + 1} aria-colcount=${columns.length}
          aria-activedescendant=${this.focused >= 0 && view.rows > 0 ? `row-${this.focused}` : nothing}
          @keydown=${(e: KeyboardEvent) => this.onGridKey(e)}
          ${cssProps({ '--columns': template })}>
          <div role="rowgroup">
            <div class="header-row" role="row" aria-rowindex="1">
              ${columns.map((c, i) => html`
                <div role="columnheader" aria-colindex=${i + 1} aria-sort=${sortState(this.sort, c.id)}>
                  <button class=${c.numeric ? 'numeric' : ''} title=${`${c.title}. Click to sort.`} @click=${() => this.toggleSort(c.id)}>${c.label}${sortMark(this.sort, c.id)}</button>
                </div>`)}
            </div>
          </div>
          <div class="body" role="rowgroup" @scroll=${() => this.onScroll()}>
            ${view.rows === 0
              ? html`<div class="empty">${view.query.filter ? (view.search && view.search.phase !== 'done' ? 'Searching…' : 'No rows match the filter.') : view.complete ? 'No records in this file.' : 'Reading…'}</div>`
              : html`<div class="spacer" ${cssProps({ height: `${view.rows * ROW_HEIGHT}px` })}>${this.renderRows(columns)}</div>`}
          </div>
        </div>
      </div>
      <div class="tab-panel" id="panel-behaviours" role="tabpanel" aria-labelledby="tab-behaviours" ?hidden=${this.tab !== 'behaviours'}>
        ${this.openError && this.tab === 'behaviours' ? html`<div class="message" role="alert">${this.openError}</div>` : nothing}
        <rl-behaviours .state=${this.behaviours} @rl-behaviours=${(e: CustomEvent<BehavioursAction>) => { this.pending = this.onBehaviours(e.detail); }}></rl-behaviours>
      </div>
    `;
  }

  private renderRows(columns: readonly ColumnSpec[]) {
    const view = this.view!;
    const from = Math.max(0, this.first - OVERSCAN);
    const to = Math.min(view.rows, this.first + this.viewportRows + OVERSCAN);
    const out = [];
    for (let r = from; r < to; r++) {
      const row = this.blocks.get(r);
      const selected = r === this.focused ? 'true' : 'false';
      const top = cssProps({ top: `${r * ROW_HEIGHT}px` });
      if (!row) {
        out.push(html`<div class="row placeholder" id=${`row-${r}`} role="row" aria-rowindex=${r + 2} aria-selected=${selected} ${top}>
          <div class="cell numeric" role="gridcell">${formatCount(r + 1)}</div><div class="cell" role="gridcell">…</div></div>`);
        continue;
      }
      out.push(html`<div class=${row.error !== undefined ? 'row error' : 'row'} id=${`row-${r}`} role="row" aria-rowindex=${r + 2}
          aria-selected=${selected} data-index=${row.index} ${top}
          @click=${() => this.focusRow(r)} @dblclick=${() => void this.openRow(r).catch(() => undefined)}>
          ${row.error !== undefined ? errorCells(row) : columns.map((c) => cell(row, c))}
        </div>`);
    }
    return out;
  }
}

customElements.define('rl-dataset', RlDataset);
