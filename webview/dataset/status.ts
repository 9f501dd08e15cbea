/** The dataset browser's status line, and when two views show the same query. Pure: no DOM. */
import type { DatasetProgress, DatasetView } from '../../src/shared/datasetProtocol';
import { formatCount } from '../../src/shared/format';

/** `1,234 of 100,000 rows · 100,000 records · 3 unreadable · summarising 40%…` */
export function statusText(view: DatasetView, progress: DatasetProgress | undefined): string {
  const filtered = view.query.filter.trim() !== '' && !view.filterError;
  const count = filtered ? `${formatCount(view.rows)} of ${formatCount(view.totalRows)} rows` : `${formatCount(view.totalRows)} rows`;
  const parts = [count, `${formatCount(view.records)} records`];
  if (view.errorRows > 0) parts.push(`${formatCount(view.errorRows)} unreadable`);
  if (!view.hasLogprobs) parts.push('tokens estimated');
  const p = progress;
  if (!view.complete && p?.phase === 'stopped') parts.push(`stopped after ${formatCount(p.done)} of ${formatCount(p.total)} records (reopen to finish)`);
  else if (!view.complete) parts.push(p && p.total > 0 ? `summarising ${Math.floor((100 * p.done) / p.total)}%…` : 'summarising…');
  return parts.join(' · ');
}

/** `searching 40%…` / `indexing for search 40%…` while the full-text search runs; undefined when none runs. */
export function searchProgress(view: DatasetView): string | undefined {
  const s = view.search;
  if (!s) return undefined;
  const pct = s.total > 0 ? Math.floor((100 * Math.min(s.done, s.total)) / s.total) : 0;
  switch (s.phase) {
    case 'indexing': return `building the search index: ${pct}% of the rows searched…`;
    case 'searching': return `searching ${pct}%…`;
    case 'failed': return `search failed: ${s.message ?? 'unknown error'}`;
    case 'done': return s.done < s.total ? `searched ${formatCount(s.done)} of ${formatCount(s.total)} rows (stopped)` : undefined;
  }
}

/** `Id ← item_id · Correct ← is_correct`: the file's own fields the table shows, and where that came from. */
export function fieldsText(view: DatasetView): string | undefined {
  const f = view.fields;
  if (!f) return undefined;
  const parts: string[] = [];
  if (f.id !== undefined) parts.push(`Id \u2190 ${f.id}`);
  if (f.correct !== undefined) parts.push(`Correct \u2190 ${f.correct}`);
  return parts.length ? `${parts.join(' · ')} (${f.source === 'setting' ? 'field mapping' : 'found in the file'})` : undefined;
}

/** True when `a` and `b` show the same filter and sort (only the data behind them grew). */
export function sameQuery(a: DatasetView, b: DatasetView): boolean {
  const sa = a.query.sort;
  const sb = b.query.sort;
  return a.query.filter === b.query.filter && (sa === sb || (sa !== null && sb !== null && sa.column === sb.column && sa.descending === sb.descending));
}
