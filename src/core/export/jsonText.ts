/**
 * Edits of a JSON text in place: find the string at a path in the raw text (descending into JSON held
 * in strings, as `getPath` does), and turn edits of a string's value into edits of the raw text. Only
 * the edited characters change: key order, spacing, number spelling (`27.0`), escapes (`\u00e9`) and
 * everything else stay byte for byte. Pure.
 */
import type { PathSegment } from '../trace/fields';
import type { ReasoningEdit } from '../prune/edits';

/** A JSON string literal: its raw span (quotes included) in the text that holds it. */
export interface StringSite {
  readonly start: number;
  readonly end: number;
  /** The text the span is in: the whole document, or the value of `parent` (JSON held in a string). */
  readonly container: string;
  readonly parent?: StringSite;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d, 0xfeff]);

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  return i;
}

/** End (after the closing quote) of the string literal starting at `i` (native `indexOf` jumps: records hold megabytes of token data). */
function stringEnd(text: string, i: number): number {
  for (let j = text.indexOf('"', i + 1); j >= 0; j = text.indexOf('"', j + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** End of the JSON value starting at `i` (strings, containers, numbers, literals). */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return stringEnd(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === 0x22) j = stringEnd(text, j) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if ((d === 0x7d || d === 0x5d) && --depth === 0) return j + 1;
    }
    throw new SyntaxError('unterminated container');
  }
  let j = i;
  for (; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (d === 0x2c || d === 0x5d || d === 0x7d || WS.has(d)) break;
  }
  if (j === i) throw new SyntaxError(`unexpected ${JSON.stringify(text[i] ?? 'end of text')}`);
  return j;
}

/** The key of the member whose name starts at `j` (decoded only when it holds an escape). */
function keyAt(text: string, j: number, end: number): string {
  const raw = text.slice(j + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(text.slice(j, end)) as string) : raw;
}

/**
 * Where the member `key` (the first one: a record with a duplicate key is caught by the writer, which
 * checks the text it finds against the parsed value) or element `key` of the container at `i` starts.
 * Only the members before it are skipped, so a lookup never walks the token data that follows.
 */
function childStart(text: string, i: number, key: PathSegment): number | undefined {
  const open = text.charCodeAt(i);
  if (open !== 0x7b && open !== 0x5b) return undefined;
  const isObject = open === 0x7b;
  let index = 0;
  let j = skipWs(text, i + 1);
  if (text.charCodeAt(j) === (isObject ? 0x7d : 0x5d)) return undefined;
  for (;;) {
    let matches: boolean;
    if (isObject) {
      const keyEnd = stringEnd(text, j);
      matches = keyAt(text, j, keyEnd) === String(key);
      j = skipWs(text, keyEnd);
      if (text.charCodeAt(j) !== 0x3a) throw new SyntaxError('expected ":"');
      j = skipWs(text, j + 1);
    } else {
      matches = index++ === key;
    }
    if (matches) return j;
    j = skipWs(text, valueEnd(text, j));
    if (text.charCodeAt(j) !== 0x2c) return undefined;
    j = skipWs(text, j + 1);
  }
}

/**
 * The raw span of the value at `path` in `text` (a JSON document), as `getPath` reads it: a numeric
 * segment indexes an array or names a key, and a string holding JSON is looked into. Returns the span in
 * the innermost text, with the chain of string literals that text is held in; undefined when the path
 * leads nowhere or the text is not valid JSON.
 */
export function locateValue(text: string, path: readonly PathSegment[], parent?: StringSite): { start: number; end: number; container: string; parent?: StringSite } | undefined {
  try {
    let start = skipWs(text, 0);
    for (let k = 0; k < path.length; k++) {
      if (text.charCodeAt(start) === 0x22) {
        // JSON inside a string: look into the string's value.
        const site: StringSite = { start, end: stringEnd(text, start), container: text, ...(parent ? { parent } : {}) };
        const inner = JSON.parse(text.slice(site.start, site.end)) as string;
        return locateValue(inner, path.slice(k), site);
      }
      const child = childStart(text, start, path[k]!);
      if (child === undefined) return undefined;
      start = child;
    }
    return { start, end: valueEnd(text, start), container: text, ...(parent ? { parent } : {}) };
  } catch {
    return undefined;
  }
}

/** The string literal at `path`, or undefined when the path leads to no string. */
export function locateString(text: string, path: readonly PathSegment[]): StringSite | undefined {
  const v = locateValue(text, path);
  if (!v || v.container.charCodeAt(v.start) !== 0x22) return undefined;
  return v;
}

/** Raw offset (in the literal's container) of every decoded offset 0…value length, for a literal at `start`. */
function rawOffsets(container: string, start: number, end: number): number[] {
  const offsets: number[] = [];
  let j = start + 1;
  while (j < end - 1) {
    offsets.push(j);
    if (container.charCodeAt(j) === 0x5c) j += container[j + 1] === 'u' ? 6 : 2;
    else j++;
  }
  offsets.push(end - 1);
  return offsets;
}

/** `text` escaped for the inside of a JSON string literal. */
function escapeJson(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Edits of a string literal's value (decoded offsets) as edits of the whole document's raw text:
 * each edit maps through the escapes of the literal, and of every literal it is held in.
 */
export function rawEdits(site: StringSite, edits: readonly ReasoningEdit[]): ReasoningEdit[] {
  const offsets = rawOffsets(site.container, site.start, site.end);
  const at = (d: number): number => {
    const r = offsets[d];
    if (r === undefined) throw new RangeError(`offset ${d} is outside a string of ${offsets.length - 1} characters`);
    return r;
  };
  const mapped = edits.map((e) => ({ start: at(e.start), end: at(e.end), text: escapeJson(e.text) }));
  if (!site.parent) return mapped;
  // The container is itself the value of a string: its raw offsets are the parent's decoded ones.
  return rawEdits(site.parent, mapped);
}

/** The document text of a site: the outermost container. */
export function documentOf(site: StringSite): string {
  return site.parent ? documentOf(site.parent) : site.container;
}
