/**
 * The file's own id and correctness fields, for the dataset browser's Id and Correct columns. The
 * reader takes them where its general pass reads a record (and an id from `reasoningLens.fieldMapping`
 * everywhere), but known schemas (chat `messages`, s1K, question/solution rows…) keep their own ids and
 * leave an `is_correct` beside them unread. This finds such fields once per file, by name (the reader's
 * name families) and value, in the first records, and reads them from every record. Pure: no I/O.
 */
import { familyRank, formatPath, getPath, type PathSegment } from '../core/trace/fields';
import { asCorrect } from '../core/trace/finder';
import { isRecord, safeKeys } from '../core/trace/safeJson';
import type { Trace } from '../core/trace/types';

/** Paths of a file's own id and correctness fields (each absent when the reader already uses one, or none exists). */
export interface FileFields {
  readonly id?: string;
  readonly correct?: string;
}

/** The file's own id and correctness of one trace. */
export interface TraceFacts {
  readonly id?: string;
  readonly correct?: boolean;
}

/** A record read for detection: its JSON value and the traces the reader found in it. */
export interface SampledRecord {
  readonly value: unknown;
  readonly traces: readonly Trace[];
}

/** Longest id value shown as an id (a longer string is text, not an id). */
const MAX_ID_CHARS = 200;
/** Keys looked at per object. */
const MAX_KEYS = 200;

function idValue(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '' && v.length <= MAX_ID_CHARS && !v.includes('\n')) return v;
  return undefined;
}

/** Correctness of the `k`-th of `n` traces: a list with one value per trace, else one value for all. */
function correctValue(v: unknown, k: number, n: number): boolean | undefined {
  if (Array.isArray(v) && v.length === n && n > 1) return asCorrect(v[k]);
  return asCorrect(v);
}

/** Scalar-ish fields at depth 1 and 2 (inside plain objects), named like `family`. */
function candidates(value: unknown, family: 'id' | 'correct'): PathSegment[][] {
  const out: PathSegment[][] = [];
  if (!isRecord(value)) return out;
  for (const key of safeKeys(value).slice(0, MAX_KEYS)) {
    if (familyRank(key, family) >= 0) out.push([key]);
    const inner = value[key];
    if (isRecord(inner)) for (const k2 of safeKeys(inner).slice(0, MAX_KEYS)) if (familyRank(k2, family) >= 0) out.push([key, k2]);
  }
  return out;
}

/**
 * The best path for `family` across `samples`: the one holding a usable value in most records (at least
 * half of them), then the best-ranked name, then the shallowest.
 */
function bestPath(samples: readonly SampledRecord[], family: 'id' | 'correct'): string | undefined {
  const seen = new Map<string, { hits: number; rank: number; depth: number }>();
  for (const s of samples) {
    for (const path of candidates(s.value, family)) {
      const v = getPath(s.value, path);
      const usable = family === 'id' ? idValue(v) !== undefined : correctValue(v, 0, Math.max(1, s.traces.length)) !== undefined;
      if (!usable) continue;
      const key = formatPath(path);
      const last = path[path.length - 1];
      const entry = seen.get(key) ?? { hits: 0, rank: familyRank(String(last), family), depth: path.length };
      entry.hits++;
      seen.set(key, entry);
    }
  }
  const ranked = [...seen.entries()]
    .filter(([, e]) => e.hits * 2 >= samples.length)
    .sort(([, a], [, b]) => b.hits - a.hits || a.rank - b.rank || a.depth - b.depth);
  return ranked[0]?.[0];
}

/**
 * Which of the file's own fields the browser should read, from the records whose traces lack them: an
 * id where the reader took none from the record, correctness where it found no label.
 */
export function detectFileFields(samples: readonly SampledRecord[]): FileFields {
  const withTraces = samples.filter((s) => s.traces.length > 0);
  const idSamples = withTraces.filter((s) => s.traces.every((t) => t.fields?.id === undefined));
  const correctSamples = withTraces.filter((s) => s.traces.every((t) => t.reference?.correct === undefined));
  const id = idSamples.length > 0 ? bestPath(idSamples, 'id') : undefined;
  const correct = correctSamples.length > 0 ? bestPath(correctSamples, 'correct') : undefined;
  return { ...(id !== undefined ? { id } : {}), ...(correct !== undefined ? { correct } : {}) };
}

/**
 * The file's own id and correctness of each trace of a record, where the reader gave none. Several
 * traces of one record share its id with the trace's own suffix (`abc/1`), as the reader names them.
 */
export function traceFacts(value: unknown, traces: readonly Trace[], fields: FileFields): TraceFacts[] {
  if (fields.id === undefined && fields.correct === undefined) return [];
  const id = fields.id !== undefined ? idValue(getPath(value, fields.id)) : undefined;
  const correct = fields.correct !== undefined ? getPath(value, fields.correct) : undefined;
  const n = traces.length;
  return traces.map((t, k) => {
    const c = fields.correct !== undefined && t.reference?.correct === undefined ? correctValue(correct, k, n) : undefined;
    const suffix = n > 1 ? t.id.slice(t.id.indexOf('/') + 1 || t.id.length) : '';
    const shown = id === undefined || t.fields?.id !== undefined ? undefined : n > 1 ? `${id}/${suffix || k}` : id;
    return { ...(shown !== undefined ? { id: shown } : {}), ...(c !== undefined ? { correct: c } : {}) };
  });
}
