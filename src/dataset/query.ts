/**
 * Filtering and sorting of dataset rows (pure; runs in the host over cached summaries).
 *
 * Filter syntax, all terms must match (case-insensitive):
 * - `word` or `"a phrase"`: substring of the id, question, answer or error message;
 * - `id:…`, `question:…`, `answer:…`, `error:…`: substring of that field only;
 * - `correct:yes|no|unknown`, `truncated:yes|no`, `is:error|trace`;
 * - `steps>10`, `tokens<=500`, `steps=3` (also `>=`, `<`);
 * - a leading `-` negates a term (`-truncated:yes`).
 */
import type { DatasetColumn, DatasetRow, DatasetSort } from '../shared/datasetProtocol';

/** A compiled filter: a predicate, or the reason the text is not a valid filter. */
export type CompiledFilter =
  | { readonly ok: true; readonly matches: (row: DatasetRow) => boolean; readonly empty: boolean }
  | { readonly ok: false; readonly error: string };

type Predicate = (row: DatasetRow) => boolean;

const TEXT_FIELDS = ['id', 'question', 'answer', 'error'] as const;
const NUMBER_FIELDS = ['steps', 'tokens', 'index', 'line'] as const;
const YES = new Set(['yes', 'true', '1', 'y']);
const NO = new Set(['no', 'false', '0', 'n']);

/** Splits filter text into terms; double quotes group words (a quote may follow `field:` or `-`). */
export function tokenizeFilter(text: string): string[] {
  const terms: string[] = [];
  const re = /(-?(?:[a-z]+:)?)"([^"]*)"?|(\S+)/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[3] !== undefined) terms.push(m[3]);
    else terms.push(`${m[1]}"${m[2]}`);
  }
  return terms;
}

function textOf(row: DatasetRow): string {
  return `${row.id}\n${row.question}\n${row.answer}\n${row.error ?? ''}`.toLowerCase();
}

function yesNo(field: string, value: string): boolean | 'unknown' {
  if (YES.has(value)) return true;
  if (NO.has(value)) return false;
  if (field === 'correct' && (value === 'unknown' || value === 'none' || value === '?')) return 'unknown';
  throw new Error(`${field}: expects yes or no${field === 'correct' ? ' or unknown' : ''}, not "${value}"`);
}

function compileTerm(raw: string): Predicate {
  // A phrase keeps its quote marker from the tokenizer: `"…` means literal text, no operators.
  const phrase = raw.includes('"');
  const term = raw.replace('"', '');
  const fieldMatch = phrase ? /^([a-z]+):(.*)$/is.exec(term) : /^([a-z]+)(:|>=|<=|>|<|=)(.*)$/is.exec(term);
  if (!fieldMatch) {
    const needle = term.toLowerCase();
    return (row) => textOf(row).includes(needle);
  }
  const field = fieldMatch[1]!.toLowerCase();
  const op = phrase ? ':' : fieldMatch[2];
  const value = (phrase ? fieldMatch[2] : fieldMatch[3])!.toLowerCase();
  if ((TEXT_FIELDS as readonly string[]).includes(field) && op === ':') {
    const key = field as (typeof TEXT_FIELDS)[number];
    return (row) => (row[key] ?? '').toLowerCase().includes(value);
  }
  if ((NUMBER_FIELDS as readonly string[]).includes(field)) {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n)) throw new Error(`${field}${op}: expects a number, not "${value}"`);
    const key = field as (typeof NUMBER_FIELDS)[number];
    switch (op) {
      case '>': return (row) => row[key] > n;
      case '>=': return (row) => row[key] >= n;
      case '<': return (row) => row[key] < n;
      case '<=': return (row) => row[key] <= n;
      default: return (row) => row[key] === n;
    }
  }
  if (op !== ':') throw new Error(`${field}${op}: only steps, tokens, index and line compare with ${op}`);
  switch (field) {
    case 'correct': {
      const want = yesNo(field, value);
      return want === 'unknown' ? (row) => row.correct === null && row.error === undefined : (row) => row.correct === want;
    }
    case 'truncated': {
      const want = yesNo(field, value);
      return (row) => row.truncated === want;
    }
    case 'is':
      if (value === 'error') return (row) => row.error !== undefined;
      if (value === 'trace') return (row) => row.error === undefined;
      throw new Error(`is: expects error or trace, not "${value}"`);
    default:
      throw new Error(`unknown filter field "${field}" (try id, question, answer, error, correct, truncated, is, steps, tokens)`);
  }
}

/** Compiles filter text (syntax in the module comment); an invalid term gives an error that says how to fix it. */
export function compileFilter(text: string): CompiledFilter {
  const terms = tokenizeFilter(text.trim());
  if (terms.length === 0) return { ok: true, matches: () => true, empty: true };
  const predicates: Predicate[] = [];
  try {
    for (const t of terms) {
      const negate = t.length > 1 && t.startsWith('-');
      const p = compileTerm(negate ? t.slice(1) : t);
      predicates.push(negate ? (row) => !p(row) : p);
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  return { ok: true, empty: false, matches: (row) => predicates.every((p) => p(row)) };
}

/** Sort key of a row in `column`; error rows have no value and sort last. */
function keyOf(row: DatasetRow, column: DatasetColumn): string | number | undefined {
  if (row.error !== undefined && column !== 'index' && column !== 'id') return undefined;
  switch (column) {
    case 'index': return row.index;
    case 'id': return row.id;
    case 'question': return row.question.toLowerCase();
    case 'steps': return row.steps;
    case 'tokens': return row.tokens;
    case 'truncated': return row.truncated ? 1 : 0;
    case 'answer': return row.answer === '' ? undefined : row.answer.toLowerCase();
    case 'correct': return row.correct === null ? undefined : row.correct ? 1 : 0;
  }
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * A comparator for `sort`: stable ties by row index, and rows without a value (error rows, unknown
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
    const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : collator.compare(String(ka), String(kb));
    return c !== 0 ? c * dir : a.index - b.index;
  };
}

/**
 * The view of `rows` for a filter and sort, as indices into `rows` (a typed array: 100,000 rows cost
 * 400 KB, not an array of objects).
 */
export function applyQuery(rows: readonly DatasetRow[], filter: CompiledFilter & { ok: true }, sort: DatasetSort | null): Uint32Array {
  let order: Uint32Array;
  if (filter.empty) {
    order = new Uint32Array(rows.length);
    for (let i = 0; i < rows.length; i++) order[i] = i;
  } else {
    const picked: number[] = [];
    for (let i = 0; i < rows.length; i++) if (filter.matches(rows[i]!)) picked.push(i);
    order = Uint32Array.from(picked);
  }
  if (sort && !(sort.column === 'index' && !sort.descending)) {
    const cmp = rowComparator(sort);
    order.sort((a, b) => cmp(rows[a]!, rows[b]!));
  }
  return order;
}
