import { LitElement, css, html, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import type { PanelChange, PanelDrop, PanelStep, PanelTrace } from '../../src/shared/protocol';
import { STATUS_WORDS, type PlanIndex } from './model';
import { formatCount, formatScore, ordinal } from '../../src/shared/format';

/** Every row has the same height, so the visible window is a division away (no measuring). */
export const ROW_HEIGHT = 48;
const OVERSCAN = 8;
/** Below this width (px) the list shows one column: the original with its cuts marked in place. */
const NARROW_WIDTH = 520;

/** A row of the list: one step, or a collapsed run of dropped steps. */
type DisplayRow = { readonly kind: 'step'; readonly index: number } | { readonly kind: 'run'; readonly from: number; readonly to: number };

/**
 * The step-aligned diff: original on the left, pruned on the right, one row per step. Kept steps sit
 * side by side, dropped ones are struck through (runs of them collapse into one row that expands on
 * click), rewritten ones show a character diff. In a narrow column (a side bar) the two sides become one:
 * the original text, dropped steps struck through after why, rewrites marked in place. Only the rows in
 * view are in the DOM (fixed row height),
 * so a 1,000-step trace renders ~30 rows. Keyboard: a listbox with an active row (arrows, Page keys,
 * Home/End); Enter reveals the step in the editor, Space keeps/drops it, P pins it.
 * Trace text is untrusted and only ever bound as text.
 */
export class RlDiffList extends LitElement {
  static override styles = css`
    :host { display: block; }
    .list {
      position: relative; overflow-y: auto; height: var(--rl-list-height, 320px);
      /* Rows never affect anything outside the list: keep each update's style and layout work inside it. */
      contain: strict;
      border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
    }
    .list:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
    .row {
      position: absolute; left: 0; right: 0; height: ${ROW_HEIGHT}px; box-sizing: border-box;
      display: grid; grid-template-columns: 3.5em 1fr 1fr 4.5em; gap: 8px; align-items: start;
      padding: 3px 6px; border-bottom: 1px solid var(--vscode-editorWidget-border, transparent); cursor: pointer;
      contain: layout paint style;
    }
    .row:hover { background: var(--vscode-list-hoverBackground); }
    .row.active { background: var(--vscode-list-inactiveSelectionBackground); outline: 1px solid var(--vscode-list-focusOutline, transparent); outline-offset: -1px; }
    .list:focus .row.active { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
    .num { color: var(--vscode-editorLineNumber-foreground); font-variant-numeric: tabular-nums; text-align: right; }
    .text { overflow: hidden; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow-wrap: anywhere; white-space: pre-wrap; line-height: 1.35; font-family: var(--vscode-editor-font-family); font-size: 0.95em; }
    .dropped .text.original { text-decoration: line-through; color: var(--vscode-disabledForeground, var(--vscode-descriptionForeground)); }
    .gone { color: var(--vscode-descriptionForeground); font-style: italic; }
    .num vscode-icon { vertical-align: -2px; margin-right: 2px; color: var(--vscode-charts-yellow); }
    .why { font-style: italic; color: var(--vscode-descriptionForeground); text-decoration: none; }
    .unified .struck { text-decoration: line-through; color: var(--vscode-disabledForeground, var(--vscode-descriptionForeground)); }
    .narrow .row, .narrow .head { grid-template-columns: 3.5em minmax(0, 1fr) 3.5em; }
    .tokens { text-align: right; color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
    .status-bar { width: 3px; position: absolute; left: 0; top: 0; bottom: 0; }
    .kept .status-bar { background: var(--vscode-charts-blue); }
    .changed .status-bar { background: var(--vscode-charts-purple); }
    .dropped .status-bar { background: var(--vscode-charts-red); }
    .pinned .status-bar { background: var(--vscode-charts-yellow); }
    .run { grid-template-columns: 3.5em 1fr; color: var(--vscode-descriptionForeground); font-style: italic; }
    del { background: var(--vscode-diffEditor-removedTextBackground); text-decoration: line-through; }
    ins { background: var(--vscode-diffEditor-insertedTextBackground); text-decoration: none; }
    .head { display: grid; grid-template-columns: 3.5em 1fr 1fr 4.5em; gap: 8px; padding: 2px 6px; font-weight: 600; color: var(--vscode-descriptionForeground); }
    .head span:last-child { text-align: right; }
    @media (forced-colors: active) { .row.active { outline: 2px solid Highlight; } }
  `;

  static override properties = {
    trace: { attribute: false },
    index: { attribute: false },
    collapseDropped: { attribute: false },
    active: { attribute: false },
    scrollTop: { state: true },
    viewport: { state: true },
    narrow: { state: true },
    expandedRuns: { state: true },
  };

  trace: PanelTrace | null = null;
  index: PlanIndex | null = null;
  collapseDropped = true;
  /** Index of the active (focused) step. */
  active = 0;
  scrollTop = 0;
  viewport = 320;
  /** One column (original, cuts marked in place) instead of original and pruned side by side. */
  narrow = false;
  expandedRuns: ReadonlySet<number> = new Set();
  private rowsCache: { key: unknown; rows: DisplayRow[] } | undefined;
  private resize: ResizeObserver | undefined;
  /** The list element the observer watches (the list appears once there is a trace). */
  private observed: Element | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize = new ResizeObserver((entries) => {
      const box = entries[0]?.contentRect;
      if (!box) return;
      if (box.height && Math.abs(box.height - this.viewport) > 1) this.viewport = box.height;
      if (box.width) this.narrow = box.width < NARROW_WIDTH;
    });
  }

  override disconnectedCallback(): void {
    this.resize?.disconnect();
    super.disconnectedCallback();
  }

  /**
   * Row positions and the spacer's height go through the CSSOM: the webview's CSP has no
   * 'unsafe-inline' for styles, which blocks `style` attributes (and Lit's styleMap writes one on
   * first render).
   */
  override updated(): void {
    for (const el of this.renderRoot.querySelectorAll<HTMLElement>('.row[data-pos]')) {
      el.style.top = `${Number(el.dataset.pos) * ROW_HEIGHT}px`;
    }
    const spacer = this.renderRoot.querySelector<HTMLElement>('.spacer');
    if (spacer) spacer.style.height = `${spacer.dataset.height ?? 0}px`;
    const list = this.list;
    if (list && list !== this.observed) {
      if (this.observed) this.resize?.unobserve(this.observed);
      this.resize?.observe(list);
      this.observed = list;
    }
  }

  private get list(): HTMLElement | null {
    return this.renderRoot.querySelector('.list');
  }

  /** Rows to show: dropped runs collapse (unless expanded) when `collapseDropped`. */
  rows(): DisplayRow[] {
    const status = this.index?.status ?? [];
    const key = [status, this.collapseDropped, this.expandedRuns];
    if (this.rowsCache && sameKey(this.rowsCache.key as unknown[], key)) {
      return this.rowsCache.rows;
    }
    const rows: DisplayRow[] = [];
    for (let i = 0; i < status.length; i++) {
      if (this.collapseDropped && status[i] === 'dropped' && !this.expandedRuns.has(i)) {
        let j = i;
        while (j + 1 < status.length && status[j + 1] === 'dropped') j++;
        if (j > i) {
          rows.push({ kind: 'run', from: i, to: j });
          i = j;
          continue;
        }
      }
      rows.push({ kind: 'step', index: i });
    }
    this.rowsCache = { key, rows };
    return rows;
  }

  /** Scrolls so that step `index` is in view and makes it the active row. */
  reveal(index: number): void {
    this.active = index;
    const rows = this.rows();
    const at = rows.findIndex((r) => (r.kind === 'step' ? r.index === index : r.from <= index && index <= r.to));
    const list = this.list;
    if (at < 0 || !list) return;
    const top = at * ROW_HEIGHT;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
    this.scrollTop = list.scrollTop;
  }

  override render() {
    const trace = this.trace;
    const index = this.index;
    if (!trace || !index) return nothing;
    const rows = this.rows();
    const first = Math.max(0, Math.floor(this.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((this.scrollTop + this.viewport) / ROW_HEIGHT) + OVERSCAN);
    const visible = [];
    for (let r = first; r < last; r++) visible.push(this.renderRow(rows[r]!, r, trace));
    const activeRow = rows.findIndex((r) => r.kind === 'step' && r.index === this.active);
    return html`<div class=${this.narrow ? 'narrow' : 'wide'} data-layout=${this.narrow ? 'unified' : 'side-by-side'}>
      <div class="head" aria-hidden="true"><span>#</span>${this.narrow ? html`<span>Step (cuts marked)</span>` : html`<span>Original</span><span>Pruned</span>`}<span>Tokens</span></div>
      <div class="list" role="listbox" tabindex="0" aria-label=${this.narrow ? 'Steps, with dropped and rewritten text marked' : 'Steps: original and pruned, side by side'}
        aria-activedescendant=${activeRow >= first && activeRow < last ? `step-${this.active}` : nothing}
        data-rows=${rows.length} @scroll=${this.onScroll} @keydown=${this.onKey}>
        <div class="spacer" data-height=${rows.length * ROW_HEIGHT} aria-hidden="true"></div>
        ${visible}
      </div></div>
    `;
  }

  private renderRow(row: DisplayRow, position: number, trace: PanelTrace) {
    if (row.kind === 'run') {
      const count = row.to - row.from + 1;
      let tokens = 0;
      for (let i = row.from; i <= row.to; i++) tokens += trace.steps[i]!.tokens;
      return html`<div class="row run dropped" data-pos=${position} role="option" aria-selected="false" id=${`run-${row.from}`}
        data-run=${row.from} @click=${() => this.expandRun(row.from, row.to)}
        aria-label=${`${count} dropped steps, ${row.from + 1} to ${row.to + 1}; click to expand`}>
        <span class="status-bar"></span><span class="num">${row.from + 1}–${row.to + 1}</span>
        <span>▸ ${count} dropped steps (${formatCount(tokens)} tokens), click to show</span></div>`;
    }
    const i = row.index;
    const step = trace.steps[i]!;
    const status = this.index!.status[i]!;
    const drop = this.index!.drops.get(i);
    const change = this.index!.changes.get(i);
    const label = `Step ${i + 1}, ${STATUS_WORDS[status]}, ${step.tokens} tokens${drop ? `, dropped: ${drop.rule}` : ''}`;
    return html`<div class="row ${status} ${i === this.active ? 'active' : ''}" data-pos=${position} role="option" id=${`step-${i}`}
        aria-selected=${i === this.active ? 'true' : 'false'} aria-label=${label} data-step=${i} data-status=${status}
        title=${drop ? `dropped (${dropWhy(drop)}, ${ordinal(drop.rank)} to go): ${drop.rule}` : `${STATUS_WORDS[status]}: click to select it in the editor`}
        @click=${() => this.activate(i, true)}>
        <span class="status-bar"></span>
        <span class="num">${status === 'pinned' ? html`<vscode-icon name="pinned" size="12" label="pinned"></vscode-icon>` : nothing}${i + 1}</span>
        ${this.narrow ? this.unified(step, status, drop, change) : html`
          <span class="text original">${change ? this.inline(step, change, 'original') : step.text}</span>
          ${status === 'dropped'
            ? html`<span class="text gone">${dropWhy(drop)}</span>`
            : html`<span class="text pruned">${change ? this.inline(step, change, 'pruned') : step.text}</span>`}`}
        <span class="tokens">${formatCount(step.tokens)}</span>
      </div>`;
  }

  /** One column: kept text as it is, a dropped step's reason before its struck text, a rewrite's edits in place. */
  private unified(step: PanelStep, status: string, drop: PanelDrop | undefined, change: PanelChange | undefined) {
    if (status === 'dropped') return html`<span class="text unified original"><span class="why">${dropWhy(drop)}:</span> <span class="struck">${step.text}</span></span>`;
    if (!change) return html`<span class="text unified original">${step.text}</span>`;
    return html`<span class="text unified original">${change.inline.map((e) => {
      const a = step.text.slice(e.originalStart, e.originalEnd);
      const b = change.text.slice(e.prunedStart, e.prunedEnd);
      if (e.op === 'equal') return a;
      return html`${e.op === 'insert' ? nothing : html`<del>${a}</del>`}${e.op === 'delete' ? nothing : html`<ins>${b}</ins>`}`;
    })}</span>`;
  }

  /** Character diff of a rewritten step: deletions on the original side, insertions on the pruned side. */
  private inline(step: PanelStep, change: PanelChange, side: 'original' | 'pruned') {
    return change.inline.map((e) => {
      const a = step.text.slice(e.originalStart, e.originalEnd);
      const b = change.text.slice(e.prunedStart, e.prunedEnd);
      if (e.op === 'equal') return side === 'original' ? a : b;
      if (side === 'original') return e.op === 'insert' ? nothing : html`<del>${a}</del>`;
      return e.op === 'delete' ? nothing : html`<ins>${b}</ins>`;
    });
  }

  private expandRun(from: number, to: number): void {
    const next = new Set(this.expandedRuns);
    for (let i = from; i <= to; i++) next.add(i);
    this.expandedRuns = next;
    this.active = from;
  }

  private activate(index: number, reveal: boolean): void {
    this.active = index;
    this.dispatchEvent(new CustomEvent('rl-step-activate', { detail: { index, reveal }, bubbles: true, composed: true }));
  }

  private readonly onScroll = (event: Event): void => {
    this.scrollTop = (event.currentTarget as HTMLElement).scrollTop;
  };

  private readonly onKey = (event: KeyboardEvent): void => {
    const rows = this.rows();
    if (!rows.length) return;
    let at = rows.findIndex((r) => (r.kind === 'step' ? r.index === this.active : r.from <= this.active && this.active <= r.to));
    if (at < 0) at = 0;
    const page = Math.max(1, Math.floor(this.viewport / ROW_HEIGHT) - 1);
    let next = at;
    switch (event.key) {
      case 'ArrowDown': next = Math.min(rows.length - 1, at + 1); break;
      case 'ArrowUp': next = Math.max(0, at - 1); break;
      case 'PageDown': next = Math.min(rows.length - 1, at + page); break;
      case 'PageUp': next = Math.max(0, at - page); break;
      case 'Home': next = 0; break;
      case 'End': next = rows.length - 1; break;
      case 'Enter': {
        const row = rows[at]!;
        if (row.kind === 'run') this.expandRun(row.from, row.to);
        else this.activate(row.index, true);
        event.preventDefault();
        return;
      }
      case ' ':
      case 'p':
      case 'P': {
        const row = rows[at]!;
        if (row.kind === 'step') {
          this.dispatchEvent(new CustomEvent('rl-step-toggle', { detail: { index: row.index, pin: event.key !== ' ' }, bubbles: true, composed: true }));
        }
        event.preventDefault();
        return;
      }
      default:
        return;
    }
    event.preventDefault();
    const row = rows[next]!;
    const index = row.kind === 'step' ? row.index : row.from;
    this.reveal(index);
    this.activate(index, false);
  };
}

/** Why a step was dropped, in words: "dropped · first-token surprisal 0.27", "dropped by hand". */
function dropWhy(drop: PanelDrop | undefined): string {
  if (!drop) return 'dropped';
  if (drop.score === undefined) return drop.scoreLabel === 'by hand' ? 'dropped by hand' : `dropped · ${drop.scoreLabel}`;
  return `dropped · ${drop.scoreLabel} ${formatScore(drop.score)}`;
}

function sameKey(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

customElements.define('rl-diff-list', RlDiffList);
