/**
 * The dataset table's columns and cells. Every file content goes through Lit text bindings, never as
 * HTML: trace text is untrusted. Positions are written through the CSSOM (`cssProps`), which the
 * strict CSP allows where a `style` attribute would be blocked.
 */
import { html, noChange } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';
import type { DatasetColumn, DatasetRow, DatasetSort } from '../../src/shared/datasetProtocol';
import { formatCount } from '../../src/shared/format';

/** One column: its id (also the sort key), header, what the header's tooltip says, and grid width. */
export interface ColumnSpec {
  readonly id: DatasetColumn;
  readonly label: string;
  readonly title: string;
  readonly width: string;
  readonly numeric?: boolean;
}

export const COLUMNS: readonly ColumnSpec[] = [
  // Fixed and bounded widths (never content-sized: with only the visible rows rendered, content-sized
  // columns would jump while scrolling); the question takes what is left.
  { id: 'index', label: '#', title: 'Row number', width: '5.5em', numeric: true },
  { id: 'id', label: 'Id', title: 'The file\u2019s own id where it has one, else the trace id', width: 'minmax(9em, 0.5fr)' },
  { id: 'question', label: 'Question', title: 'The prompt, shortened', width: 'minmax(8em, 1fr)' },
  { id: 'steps', label: 'Steps', title: 'Paragraphs of the reasoning', width: '5.5em', numeric: true },
  { id: 'tokens', label: 'Tokens', title: 'Reasoning tokens: from the file\u2019s logprobs, else ~4 characters a token', width: '5.5em', numeric: true },
  { id: 'truncated', label: 'Truncated', title: 'The reasoning never ended (no closing delimiter)', width: '7em' },
  { id: 'loops', label: 'Loops', title: 'Spans repeated back to back, and the tokens their repeats waste (sorts by waste)', width: '7.5em', numeric: true },
  { id: 'answer', label: 'Answer', title: 'The extracted final answer (numbers sort by value)', width: 'minmax(5em, 0.3fr)' },
  { id: 'correct', label: 'Correct', title: 'Correctness from the file', width: '5.5em' },
];

/** The columns a file shows: "Correct" only when its data has correctness. */
export function columnsFor(hasCorrectness: boolean): readonly ColumnSpec[] {
  return hasCorrectness ? COLUMNS : COLUMNS.filter((c) => c.id !== 'correct');
}

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
export const cssProps = directive(CssPropsDirective);

/** The cells of an unreadable record: its number, its line and the error across the rest. */
export function errorCells(row: DatasetRow) {
  return html`
    <div class="cell numeric" role="gridcell">${formatCount(row.index)}</div>
    <div class="cell" role="gridcell" data-col="id">${row.id}</div>
    <div class="cell message-cell" role="gridcell" title=${row.error ?? ''}>⚠ ${row.error}</div>`;
}

/** One cell of a trace row. */
export function cell(row: DatasetRow, column: ColumnSpec) {
  const cls = column.numeric ? 'cell numeric' : 'cell';
  switch (column.id) {
    case 'index': return html`<div class=${cls} role="gridcell">${formatCount(row.index)}</div>`;
    case 'id': return html`<div class=${cls} role="gridcell" data-col="id" title=${row.id}>${row.id}</div>`;
    case 'question': return html`<div class=${cls} role="gridcell" title=${row.question}>${row.question}</div>`;
    case 'steps': return html`<div class=${cls} role="gridcell">${formatCount(row.steps)}</div>`;
    case 'tokens': return html`<div class=${cls} role="gridcell" title=${row.tokensEstimated ? 'estimated (~4 characters per token)' : 'from the file\u2019s logprobs'}>${row.tokensEstimated ? '~' : ''}${formatCount(row.tokens)}</div>`;
    case 'truncated': return html`<div class=${row.truncated ? `${cls} no` : `${cls} muted`} role="gridcell">${row.truncated ? 'truncated' : 'no'}</div>`;
    case 'loops': return row.loops === 0
      ? html`<div class="cell numeric muted" role="gridcell">–</div>`
      : html`<div class=${`${cls} warn`} role="gridcell" title=${`${formatCount(row.loops)} loop${row.loops === 1 ? '' : 's'}, ~${formatCount(row.wastedTokens)} tokens in repeats`}>${formatCount(row.loops)} (~${formatCount(row.wastedTokens)})</div>`;
    case 'answer': return html`<div class=${cls} role="gridcell" title=${row.answer}>${row.answer}</div>`;
    case 'correct': return row.correct === null
      ? html`<div class="cell muted" role="gridcell">–</div>`
      : html`<div class=${row.correct ? 'cell yes' : 'cell no'} role="gridcell">${row.correct ? '✓ yes' : '✗ no'}</div>`;
  }
}

/** `aria-sort` of a column header. */
export function sortState(sort: DatasetSort | null, column: DatasetColumn): 'ascending' | 'descending' | 'none' {
  if (sort?.column !== column) return 'none';
  return sort.descending ? 'descending' : 'ascending';
}

/** The arrow after a sorted column's header. */
export function sortMark(sort: DatasetSort | null, column: DatasetColumn): string {
  if (sort?.column !== column) return '';
  return sort.descending ? ' ▼' : ' ▲';
}

/** The next sort when a header is clicked: ascending → descending → file order. */
export function nextSort(current: DatasetSort | null, column: DatasetColumn): DatasetSort | null {
  if (!current || current.column !== column) return { column, descending: false };
  if (!current.descending) return { column, descending: true };
  return null;
}
