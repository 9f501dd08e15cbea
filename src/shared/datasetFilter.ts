/**
 * The dataset browser's filter language, the part the host and the webview share: splitting text into
 * terms, reading a term's field, and merging a dashboard bar's filter into the filter box. What a term
 * means (its predicate) is the host's (`src/dataset/query.ts`). No `vscode`, no Node.
 *
 * Syntax, all terms must match (case-insensitive):
 * - `word` or `"a phrase"`: full text of the prompt, reasoning, answer, id and error message;
 * - `prompt:…` (also `question:…`), `reasoning:…`: full text of that part only;
 * - `id:…`, `answer:…` (the extracted final answer), `error:…`: substring of that column;
 * - `correct:yes|no|unknown`, `truncated:yes|no`, `is:error|trace`, `has:answer|loops`, `no:answer|loops`;
 * - `steps>10`, `tokens<=500`, `loops>0`, `waste>=1000`, `index`, `line` (also `>=`, `<`, `=`);
 * - a leading `-` negates a term (`-truncated:yes`).
 */

/** One term of a filter, as written. */
export interface FilterTerm {
  /** The term's text, ready to join back into a filter (`-id:"a b"`). */
  readonly text: string;
  readonly negate: boolean;
  /** Lower-cased field name, undefined for a bare word or phrase. */
  readonly field?: string;
  readonly op?: ':' | '>' | '>=' | '<' | '<=' | '=';
  /** The value (or the word), quotes removed; as written (not lower-cased). */
  readonly value: string;
  /** Written in double quotes: literal text, no comparison operators. */
  readonly phrase: boolean;
}

/** Splits filter text into terms; double quotes group words (a quote may follow `field:` or `-`). */
export function tokenizeFilter(text: string): string[] {
  const terms: string[] = [];
  const re = /(-?(?:[a-z]+:)?)"([^"]*)"?|(\S+)/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[3] !== undefined) terms.push(m[3]);
    else terms.push(`${m[1] ?? ''}"${m[2] ?? ''}`);
  }
  return terms;
}

/** Reads one token of {@link tokenizeFilter}: negation, field, operator and value. */
export function parseTerm(token: string): FilterTerm {
  const negate = token.length > 1 && token.startsWith('-');
  const body = negate ? token.slice(1) : token;
  // A phrase keeps its quote marker from the tokenizer: `"…` means literal text, no operators.
  const phrase = body.includes('"');
  const bare = body.replace('"', '');
  const text = phrase ? `${negate ? '-' : ''}${body}"` : token;
  const m = phrase ? /^([a-z]+):(.*)$/is.exec(bare) : /^([a-z]+)(:|>=|<=|>|<|=)(.*)$/is.exec(bare);
  if (!m) return { text, negate, value: bare, phrase };
  return { text, negate, field: (m[1] ?? '').toLowerCase(), op: (phrase ? ':' : m[2]) as FilterTerm['op'] & string, value: (phrase ? m[2] : m[3]) ?? '', phrase };
}

/** The terms of a filter text. */
export function filterTerms(text: string): FilterTerm[] {
  return tokenizeFilter(text.trim()).map(parseTerm);
}

/** A dashboard term's identity: the same condition written the same way (case aside). */
function termKey(t: FilterTerm): string {
  return t.text.toLowerCase();
}

/** True when every term of `bar` is in `filter` (the bar's traces are what the table shows, among other terms). */
export function barIsActive(filter: string, bar: string): boolean {
  const have = new Set(filterTerms(filter).map(termKey));
  const want = filterTerms(bar);
  return want.length > 0 && want.every((t) => have.has(termKey(t)));
}

/**
 * The filter after a click on a dashboard bar: terms on the bar's own fields are replaced by the bar's
 * terms, every other term is kept; a click on an active bar removes its terms again (a toggle).
 * `fields` names a field (`steps`) or a field and value (`has:answer`, so `has:loops` stays).
 */
export function applyBarFilter(filter: string, bar: string, fields: readonly string[]): string {
  const active = barIsActive(filter, bar);
  const owned = new Set(fields.map((f) => f.toLowerCase()));
  const owns = (t: FilterTerm): boolean => t.field !== undefined && (owned.has(t.field) || owned.has(`${t.field}:${t.value.toLowerCase()}`));
  const kept = filterTerms(filter).filter((t) => !owns(t));
  const terms = active ? kept : [...kept, ...filterTerms(bar)];
  return terms.map((t) => t.text).join(' ');
}
