/**
 * Pruned traces written back: in the source's own format (the reasoning edited where it came from,
 * every other byte of the file as it was) or as SFT-ready chat rows. Pure: no I/O.
 *
 * Where the reasoning is: a text file's reasoning offset (`metadata.reasoningOffset`), or a record's
 * reasoning field, the same path the reader took it from (`Trace.fields.reasoning`: a user's
 * `--field` mapping, a known schema's field, or what the general pass found), split into the content
 * parts it is made of. Other string fields that hold a copy of the same reasoning (Thought-Anchors'
 * `full_cot`, an eval dump's `reasoning_trace` beside its `full_response`) get the same edits, so the
 * record stays consistent; input fields (prompt, question, user and system turns) never do.
 */
import { applyEdits, type ReasoningEdit } from '../prune/edits';
import { getPath, parsePath, textPieces, type PathSegment } from '../trace/fields';
import { isRecord } from '../trace/safeJson';
import { splitReasoning, type TagPair } from '../trace/text';
import type { Trace } from '../trace/types';
import { locateString, locateValue, rawEdits } from './jsonText';

export { prunedReasoningText } from '../prune/edits';

/** `same`: the source's format; `sft`: `{"messages":[user, assistant with <think>…</think>]}` rows. */
export type ExportFormat = 'same' | 'sft';

/** What SFT export does with a trace whose generation was cut off before the reasoning ended. */
export type TruncatedPolicy = 'skip' | 'keep';

/** One trace's pruning, ready to write: its edits (reasoning offsets) and the pruned reasoning. */
export interface PrunedTrace {
  readonly trace: Trace;
  readonly edits: readonly ReasoningEdit[];
  /** The pruned reasoning (`applyEdits(trace.reasoning, edits)`). */
  readonly reasoning: string;
}

/** Where a text holds `reasoning`: `hint` when it is there, else inside its reasoning delimiters, else the whole text or its first copy. */
function locateIn(text: string, reasoning: string, tags?: TagPair, hint?: number): number {
  if (hint !== undefined && hint >= 0 && text.startsWith(reasoning, hint)) return hint;
  const split = splitReasoning(text, tags);
  if (split.tags && split.reasoning === reasoning) return split.reasoningStart;
  return text.indexOf(reasoning);
}

/**
 * A think-text or chat-template file with the edits applied to its reasoning (delimiters, prompt and
 * answer stay as they were). Throws when the file does not contain the trace's reasoning verbatim.
 */
export function replaceReasoningInText(text: string, trace: Trace, edits: readonly ReasoningEdit[]): string {
  const hint = typeof trace.metadata.reasoningOffset === 'number' ? trace.metadata.reasoningOffset : undefined;
  // parseTraceText drops a BOM before computing offsets.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const at = locateIn(text.slice(bom), trace.reasoning, undefined, hint);
  if (at < 0) throw new Error(`the reasoning of trace ${trace.id} is not in the file verbatim; export as SFT instead`);
  return applyEdits(text, edits.map((e) => ({ start: bom + at + e.start, end: bom + at + e.end, text: e.text })));
}

/** Keys whose string values are inputs, never the reasoning (a short reasoning could occur in a prompt). */
const INPUT_KEYS = new Set(['prompt', 'question', 'problem', 'input', 'system', 'instruction', 'query', 'request']);
/** Roles of turns that are input to the model. */
const INPUT_ROLES = new Set(['user', 'system', 'developer', 'tool', 'human', 'function', 'ipython']);
/** Token-level data that no longer matches once the text changed. */
const STALE_KEY = 'logprobs';

/** True when `path` in `value` runs through an input: a prompt-like key, or a user / system / tool turn. */
function isInputPath(value: unknown, path: readonly PathSegment[]): boolean {
  let cur = value;
  for (const seg of path) {
    if (typeof seg === 'string' && INPUT_KEYS.has(seg.toLowerCase())) return true;
    if (isRecord(cur)) {
      const role = cur.role ?? cur.from;
      if (typeof role === 'string' && INPUT_ROLES.has(role.toLowerCase())) return true;
    }
    cur = getPath(cur, [seg]);
  }
  return false;
}

/** Keys of token-level data: never a copy of a reasoning, and large (skipped by the copy search). */
const TOKEN_KEYS = new Set(['logprobs', 'top_logprobs', 'prompt_logprobs', 'tokens', 'token_ids', 'prompt_token_ids', 'completion_probabilities']);

/**
 * Every string of at least `minLength` characters in `value`, with its path (objects and arrays,
 * bounded depth; token-level data and JSON held in strings are not opened).
 */
function stringLeaves(value: unknown, minLength: number): { path: PathSegment[]; text: string }[] {
  const out: { path: PathSegment[]; text: string }[] = [];
  const path: PathSegment[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= minLength) out.push({ path: [...path], text: v });
    } else if (path.length < 32 && Array.isArray(v)) {
      v.forEach((x, i) => {
        path.push(i);
        walk(x);
        path.pop();
      });
    } else if (path.length < 32 && isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (TOKEN_KEYS.has(k)) continue;
        path.push(k);
        walk(x);
        path.pop();
      }
    }
  };
  walk(value);
  return out;
}

/**
 * Where `text` holds a copy of `reasoning`: the whole text, or its reasoning section (between
 * delimiters, up to whitespace at its edges, as Thought-Anchors' `full_cot` holds `solution`); -1 when
 * it holds no such copy (a mere mention is not one).
 */
function copyAt(text: string, reasoning: string, tags: TagPair | undefined): number {
  if (text === reasoning) return 0;
  const split = splitReasoning(text, tags);
  if (!split.tags || split.reasoning.trim() !== reasoning.trim()) return -1;
  const at = split.reasoning.indexOf(reasoning);
  return at < 0 ? -1 : split.reasoningStart + at;
}

const samePath = (a: readonly PathSegment[], b: readonly PathSegment[]): boolean => a.length === b.length && a.every((s, i) => String(s) === String(b[i]));

/** Result of {@link spliceRecord}. */
export interface RecordSplice {
  /** The record's text with every trace that could be placed edited. */
  readonly text: string;
  /** Ids of traces whose reasoning was found and edited. */
  readonly replaced: readonly string[];
  /** Traces that could not be placed, and why (their record text is left as it was). */
  readonly failed: readonly { readonly trace: Trace; readonly reason: string }[];
  /** E.g. "stale logprobs of choices.0 set to null". */
  readonly notes: readonly string[];
}

/** Edits of one record's raw text for one trace, or why there are none. */
function traceRawEdits(
  text: string,
  value: unknown,
  base: readonly PathSegment[],
  item: PrunedTrace,
  claimed: readonly (readonly PathSegment[])[],
  tags: TagPair | undefined,
): { edits: ReasoningEdit[]; notes: string[] } | { reason: string } {
  const { trace } = item;
  const field = trace.fields?.reasoning;
  if (field === undefined || field.includes('*')) return { reason: 'the reader did not report which field holds the reasoning; export as SFT instead' };
  const fieldPath = parsePath(field);
  const fieldValue = getPath(value, fieldPath);
  const joined = textPieces(fieldValue);
  if (!joined) return { reason: `the reasoning field ${field} holds no text` };
  const at = locateIn(joined.text, trace.reasoning, tags);
  if (at < 0) return { reason: `the reasoning is not stored verbatim in ${field}; export as SFT instead` };
  const raw: ReasoningEdit[] = [];
  const changed: PathSegment[][] = [];
  // Each edit of the joined text goes to the pieces it overlaps; a replacement text to the first of them.
  for (const piece of joined.pieces) {
    const pieceEdits: ReasoningEdit[] = [];
    for (const e of item.edits) {
      const start = at + e.start;
      const end = at + e.end;
      const from = Math.max(start, piece.offset);
      const to = Math.min(end, piece.offset + piece.text.length);
      const insertsHere = start === end ? start >= piece.offset && start <= piece.offset + piece.text.length : from < to;
      if (!insertsHere) continue;
      const first = start >= piece.offset;
      pieceEdits.push({ start: from - piece.offset, end: to - piece.offset, text: first ? e.text : '' });
    }
    if (!pieceEdits.length) continue;
    const path = [...fieldPath, ...piece.path];
    const site = locateString(text, [...base, ...path]);
    if (!site || (JSON.parse(site.container.slice(site.start, site.end)) as string) !== piece.text) {
      return { reason: `the reasoning field ${field} could not be found in the record's text` };
    }
    raw.push(...rawEdits(site, pieceEdits));
    changed.push(path);
  }
  // Verbatim copies of the same reasoning elsewhere in the record (never in inputs or another trace's field).
  for (const leaf of stringLeaves(value, trace.reasoning.length)) {
    if (joined.pieces.some((p) => samePath([...fieldPath, ...p.path], leaf.path))) continue;
    if (claimed.some((c) => samePath(c, leaf.path.slice(0, c.length))) || isInputPath(value, leaf.path)) continue;
    const at = copyAt(leaf.text, trace.reasoning, tags);
    if (at < 0) continue;
    const site = locateString(text, [...base, ...leaf.path]);
    if (!site) continue;
    raw.push(...rawEdits(site, item.edits.map((e) => ({ start: at + e.start, end: at + e.end, text: e.text }))));
    changed.push(leaf.path);
  }
  // Token logprobs of an object whose text changed describe text that is no longer there.
  const notes: string[] = [];
  const stale = new Set<string>();
  for (const path of changed) {
    for (let k = path.length; k >= 0; k--) {
      const prefix = path.slice(0, k);
      const key = prefix.join('.');
      if (stale.has(key)) continue;
      stale.add(key);
      const logprobs = getPath(value, [...prefix, STALE_KEY]);
      if (logprobs === undefined || logprobs === null || !isRecord(getPath(value, prefix))) continue;
      const span = locateValue(text, [...base, ...prefix, STALE_KEY]);
      if (!span || span.parent) continue;
      raw.push({ start: span.start, end: span.end, text: 'null' });
      notes.push(`stale ${STALE_KEY} of ${key || 'the record'} set to null`);
    }
  }
  return { edits: raw, notes };
}

/**
 * One JSON record's raw text (a JSONL line, a JSON document, or an element of one at `base`) with each
 * trace's edits applied where the reader found its reasoning. Bytes outside the edited reasoning stay
 * as they were, except token `logprobs` of an object whose text changed (set to `null`). A trace that
 * cannot be placed is reported in `failed` and its text left alone.
 */
export function spliceRecord(
  text: string,
  value: unknown,
  items: readonly PrunedTrace[],
  options: { readonly base?: readonly PathSegment[]; readonly tags?: TagPair } = {},
): RecordSplice {
  const base = options.base ?? [];
  const record = base.length ? getPath(value, base) : value;
  // Every trace's own field is claimed first, so no trace edits another one's reasoning as a "copy".
  const claimed = items.flatMap((i) => {
    const f = i.trace.fields?.reasoning;
    return f === undefined || f.includes('*') ? [] : [parsePath(f)];
  });
  const taken: ReasoningEdit[] = [];
  const replaced: string[] = [];
  const failed: { trace: Trace; reason: string }[] = [];
  const notes: string[] = [];
  for (const item of items) {
    if (!item.edits.length) {
      replaced.push(item.trace.id);
      continue;
    }
    const own = item.trace.fields?.reasoning;
    const others = claimed.filter((c) => own === undefined || !samePath(c, parsePath(own)));
    const r = traceRawEdits(text, record, base, item, others, options.tags);
    if ('reason' in r) {
      failed.push({ trace: item.trace, reason: r.reason });
      continue;
    }
    // Two traces that would edit the same characters: the later one is left alone.
    const mine = r.edits.filter((e) => !taken.some((t) => t.start === e.start && t.end === e.end && t.text === e.text));
    if (mine.some((e) => taken.some((t) => e.start < t.end && t.start < e.end))) {
      failed.push({ trace: item.trace, reason: 'its reasoning overlaps another trace\'s in this record' });
      continue;
    }
    taken.push(...mine);
    replaced.push(item.trace.id);
    for (const n of r.notes) if (!notes.includes(n)) notes.push(n);
  }
  taken.sort((a, b) => a.start - b.start || a.end - b.end);
  return { text: applyEdits(text, taken), replaced, failed, notes };
}

/**
 * An SFT chat row: the prompt as the user turn; `<think>\n` + pruned + `\n</think>\n` + answer as the
 * assistant's. A truncated trace (kept with `--truncated keep`) is written as it was cut off: no
 * `</think>` and no answer are added.
 */
export function sftRecord(trace: Trace, prunedReasoning: string): { messages: { role: 'user' | 'assistant'; content: string }[] } {
  const content = trace.truncated
    ? `<think>\n${prunedReasoning.trim()}`
    : `<think>\n${prunedReasoning.trim()}\n</think>\n${trace.answer.replace(/^\s+/, '')}`;
  return { messages: [{ role: 'user', content: trace.prompt }, { role: 'assistant', content }] };
}
