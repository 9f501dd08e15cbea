/**
 * Filtering and sorting of dataset rows (pure; runs in the host over cached summaries). The syntax is
 * in `src/shared/datasetFilter.ts`. A filter compiles into a predicate over a row's summary (every
 * column term) and full-text terms, which the {@link TextIndex} answers in the background.
 */
import { filterTerms, type FilterTerm } from '../shared/datasetFilter';
import type { DatasetColumn, DatasetRow, DatasetSort } from '../shared/datasetProtocol';
import { normaliseForSearch, type TextTerm } from './textIndex';

/** A compiled filter: a predicate and full-text terms, or the reason the text is not a valid filter. */
export type CompiledFilter =
  | {
      readonly ok: true;
      /** The column terms (all of them must hold). */
      readonly matches: (row: DatasetRow) => boolean;
      /** Full-text terms, decided by the search index. */
      readonly text: readonly TextTerm[];
      /** No term at all: every row. */
      readonly empty: boolean;
    }
  | { readonly ok: false; readonly error: string };

type Predicate = (row: DatasetRow) => boolean;

/** Fields searched in full text (the search index). */
const TEXT_FIELDS: Readonly<Record<string, TextTerm['field']>> = { prompt: 'prompt', question: 'prompt', reasoning: 'reasoning' };
/** Fields that are a substring of a column. */
const COLUMN_FIELDS = ['id', 'answer', 'error'] as const;
/** Numeric fields; the trace figures have no value on an error row (it never matches them). */
const NUMBER_FIELDS = { steps: 'steps', tokens: 'tokens', loops: 'loops', waste: 'wastedTokens', index: 'index', line: 'line' } as const;
const TRACE_FIGURES = new Set(['steps', 'tokens', 'loops', 'wastedTokens']);
const YES = new Set(['yes', 'true', '1', 'y']);
const NO = new Set(['no', 'false', '0', 'n']);
const FIELD_LIST = 'prompt, reasoning, id, answer, error, correct, truncated, is, has, no, steps, tokens, loops, waste';

export { tokenizeFilter } from '../shared/datasetFilter';

function yesNo(field: string, value: string): boolean | 'unknown' {
  if (YES.has(value)) return true;
  if (NO.has(value)) return false;
  if (field === 'correct' && (value === 'unknown' || value === 'none' || value === '?')) return 'unknown';
  throw new Error(`${field}: expects yes or no${field === 'correct' ? ' or unknown' : ''}, not "${value}"`);
}

const isTrace = (row: DatasetRow): boolean => row.error === undefined;

/** What a trace has (`has:answer`, `no:loops`). */
function hasPredicate(field: string, value: string): Predicate {
  switch (value) {
    case 'answer': return (row) => isTrace(row) && row.answerFound;
    case 'loops':
    case 'loop': return (row) => isTrace(row) && row.loops > 0;
    default: throw new Error(`${field}: expects answer or loops, not "${value}"`);
  }
}

function numberPredicate(term: FilterTerm, field: keyof typeof NUMBER_FIELDS): Predicate {
  const value = term.value;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${term.field}${term.op}: expects a number, not "${value}"`);
  const key = NUMBER_FIELDS[field];
  const traceOnly = TRACE_FIGURES.has(key);
  const test = ((): ((v: number) => boolean) => {
    switch (term.op) {
      case '>': return (v) => v > n;
      case '>=': return (v) => v >= n;
      case '<': return (v) => v < n;
      case '<=': return (v) => v <= n;
      default: return (v) => v === n;
    }
  })();
  return traceOnly ? (row) => isTrace(row) && test(row[key]) : (row) => test(row[key]);
}

/** A column term's predicate; full-text terms give undefined (the search index decides them). */
function columnPredicate(term: FilterTerm): Predicate | undefined {
  if (term.field === undefined) return undefined;
  const field = term.field;
  const op = term.op ?? ':';
  const value = term.value.toLowerCase();
  if (op === ':' && Object.hasOwn(TEXT_FIELDS, field)) return undefined;
  if ((COLUMN_FIELDS as readonly string[]).includes(field) && op === ':') {
    const key = field as (typeof COLUMN_FIELDS)[number];
    return (row) => (row[key] ?? '').toLowerCase().includes(value);
  }
  if (Object.hasOwn(NUMBER_FIELDS, field) && !term.phrase) return numberPredicate(term, field as keyof typeof NUMBER_FIELDS);
  if (op !== ':') throw new Error(`${field}${op}: only steps, tokens, loops, waste, index and line compare with ${op}`);
  switch (field) {
    case 'correct': {
      const want = yesNo(field, value);
      return want === 'unknown' ? (row) => row.correct === null && isTrace(row) : (row) => row.correct === want;
    }
    case 'truncated': {
      const want = yesNo(field, value);
      return (row) => isTrace(row) && row.truncated === want;
    }
    case 'is':
      if (value === 'error') return (row) => !isTrace(row);
      if (value === 'trace') return isTrace;
      throw new Error(`is: expects error or trace, not "${value}"`);
    case 'has':
      return hasPredicate(field, value);
    case 'no': {
      const has = hasPredicate(field, value);
      return (row) => isTrace(row) && !has(row);
    }
    default:
      throw new Error(`unknown filter field "${field}" (try ${FIELD_LIST})`);
  }
}

/** Compiles filter text (syntax in `src/shared/datasetFilter.ts`); an invalid term gives an error that says how to fix it. */
export function compileFilter(text: string): CompiledFilter {
  const terms = filterTerms(text);
  if (terms.length === 0) return { ok: true, matches: () => true, text: [], empty: true };
  const predicates: Predicate[] = [];
  const textTerms: TextTerm[] = [];
  try {
    for (const term of terms) {
      const p = columnPredicate(term);
      if (p) {
        predicates.push(term.negate ? (row) => !p(row) : p);
        continue;
      }
      const needle = normaliseForSearch(term.value).trim();
      if (needle === '') continue;
      textTerms.push({ needle, field: term.field === undefined ? 'any' : (Object.hasOwn(TEXT_FIELDS, term.field) ? TEXT_FIELDS[term.field] ?? 'any' : 'any'), negate: term.negate });
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  return { ok: true, empty: predicates.length === 0 && textTerms.length === 0, text: textTerms, matches: (row) => predicates.every((p) => p(row)) };
}

/**
 * A number written as one (`-12`, `1,234.5`, `$18`, `50%`, `−3`), else undefined: answers and ids that
 * are numbers sort by value, so `-12` comes before `-3` and `9` before `10`.
 */
export function numericValue(text: string): number | undefined {
  const m = /^\s*([-+\u2212]?)\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d+)?(\.\d+)?\s*%?\s*$/.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined)) return undefined;
  const n = Number(`${m[1] === '' || m[1] === '+' ? '' : '-'}${(m[2] ?? '0').replace(/,/g, '')}${m[3] ?? ''}`);
  return Number.isFinite(n) ? n : undefined;
}

/** Sort key of a row in `column`: a number, a text, or undefined (no value: error rows, unknown, no answer). */
function keyOf(row: DatasetRow, column: DatasetColumn): string | number | undefined {
  if (row.error !== undefined && column !== 'index' && column !== 'id') return undefined;
  switch (column) {
    case 'index': return row.index;
    case 'id': return numericValue(row.id) ?? row.id;
    case 'question': return row.question.toLowerCase();
    case 'steps': return row.steps;
    case 'tokens': return row.tokens;
    case 'truncated': return row.truncated ? 1 : 0;
    case 'loops': return row.wastedTokens;
    case 'answer': return row.answer === '' ? undefined : (numericValue(row.answer) ?? row.answer.toLowerCase());
    case 'correct': return row.correct === null ? undefined : row.correct ? 1 : 0;
  }
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * A comparator for `sort`: stable ties by row index; numbers by value before texts (in natural order,
 * `a9` before `a10`) in a column that mixes them; rows without a value (error rows, unknown
 * correctness, no answer) last in either direction, so they never hide the data at the top.
 */
export function rowComparator(sort: DatasetSort): (a: DatasetRow, b: DatasetRow) => number {
  const dir = sort.descending ? -1 : 1;
  return (a, b) => {
    const ka = keyOf(a, sort.column);
    const kb = keyOf(b, sort.column);
    if (ka === undefined || kb === undefined) {
      if (ka !== kb) return ka === undefined ? 1 : -1;
      return a.index - b.index;
    }
    const na = typeof ka === 'number';
    const nb = typeof kb === 'number';
    if (na !== nb) return na ? -1 : 1;
    const c = na && nb ? ka - kb : collator.compare(String(ka), String(kb));
    return c !== 0 ? c * dir : a.index - b.index;
  };
}

/**
 * The view of `rows` for a filter and sort, as indices into `rows` (a typed array: 100,000 rows cost
 * 400 KB, not an array of objects). `textMatch(i)` says whether row `i` satisfies the filter's
 * full-text terms (false while the search has not reached it); absent when there are none.
 */
export function applyQuery(
  rows: readonly DatasetRow[],
  filter: CompiledFilter & { ok: true },
  sort: DatasetSort | null,
  textMatch?: (i: number) => boolean,
): Uint32Array {
  let order: Uint32Array;
  if (filter.empty) {
    order = new Uint32Array(rows.length);
    for (let i = 0; i < rows.length; i++) order[i] = i;
  } else {
    const picked: number[] = [];
    for (let i = 0; i < rows.length; i++) if (filter.matches(rows[i]!) && (!textMatch || textMatch(i))) picked.push(i);
    order = Uint32Array.from(picked);
  }
  if (sort && !(sort.column === 'index' && !sort.descending)) {
    const cmp = rowComparator(sort);
    order.sort((a, b) => cmp(rows[a]!, rows[b]!));
  }
  return order;
}
