/**
 * The entry points of the pure parsers: detect a format, parse text, one JSON record, or a run of
 * stream events into {@link Trace}s. Known schemas come first (the registry, in order), then the
 * general pass (`finder.ts`). No I/O; the readers in `read.ts` and `jsonlIndex.ts` feed them.
 */
import type { ReadContext } from './build';
import { mapsContent } from './fields';
import { findTraces, mappedFacts, readStreamEvents } from './finder';
import { formatSpec, RECORD_FORMATS, streamOf, TEXT_FORMATS, type TraceFormat } from './registry';
import { isRecord, safeKeys, safeParseJson } from './safeJson';
import type { ParseOptions, ParseResult, SourceLocation, Trace } from './types';

export { locateChunks, parseThoughtAnchors } from './formats/thoughtAnchors';
export type { ThoughtAnchorsParts } from './formats/thoughtAnchors';
export { TRACE_FORMATS, TRACE_FORMAT_REGISTRY } from './registry';

type Rec = Record<string, unknown>;

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function forced(opts: ParseOptions): TraceFormat | undefined {
  return opts.format && opts.format !== 'auto' ? opts.format : undefined;
}

/**
 * Detects the format of a parsed JSON value or of a text. A JSON text (starting with `{` or `[`) is
 * parsed and its value detected; other text is detected among the text formats. A record no known
 * schema names is `mapped` when the general pass finds a trace in it, else `unrecognised`.
 */
export function detectFormat(input: unknown): TraceFormat {
  if (typeof input === 'string') {
    const t = stripBom(input).trimStart();
    if (t.startsWith('{') || t.startsWith('[')) {
      const r = safeParseJson(t);
      if (r.ok) return detectFormat(r.value);
    }
    return (TEXT_FORMATS.find((f) => f.detect(t))?.id ?? 'think-text') as TraceFormat;
  }
  if (Array.isArray(input)) {
    const first = input.find(isRecord);
    if (!first) return 'unrecognised';
    return (streamOf(first)?.id as TraceFormat | undefined) ?? detectFormat(first);
  }
  if (!isRecord(input)) return 'unrecognised';
  const known = RECORD_FORMATS.find((f) => f.detect(input)) ?? streamOf(input);
  if (known) return known.id as TraceFormat;
  const found = findTraces(input, { format: 'mapped', opts: {}, source: { file: '<detect>' }, id: '0' });
  return found && found.traces.length ? 'mapped' : 'unrecognised';
}

/**
 * Parses a text trace: `<think>…</think>` markdown (and the other known or custom delimiters) or a raw
 * chat-template dump. The prompt is the text before the opening tag (or the last user turn), unless
 * `opts.prompt` gives it. Metadata holds `reasoningOffset` / `answerOffset` into `text` (BOM removed).
 */
export function parseTraceText(text: string, opts: ParseOptions = {}, source: SourceLocation = { file: '<text>' }, id = '0'): Trace {
  const want = forced(opts);
  const spec = (want && TEXT_FORMATS.find((f) => f.id === want)) ?? TEXT_FORMATS.find((f) => f.detect(text))!;
  const res = spec.read(text, { format: spec.id as TraceFormat, opts, source, id });
  return res.traces[0]!;
}

/**
 * The id and correctness a user mapping points at (`--field id=PATH`, `--field correct=PATH`), put on
 * the traces a known schema read from the record (several traces share the id with `/k`).
 */
function withMappedFacts(res: ParseResult, record: unknown, opts: ParseOptions): ParseResult {
  const idPath = opts.fields?.id;
  const correctPath = opts.fields?.correct;
  if (idPath === undefined && correctPath === undefined) return res;
  const { id, correct } = mappedFacts(record, opts.fields);
  if (id === undefined && correct === undefined) return res;
  const n = res.traces.length;
  return {
    ...res,
    traces: res.traces.map((t, i): Trace => ({
      ...t,
      ...(id !== undefined ? { id: n > 1 ? `${id}/${i}` : id } : {}),
      fields: { ...t.fields, ...(id !== undefined && idPath !== undefined ? { id: idPath } : {}), ...(correct !== undefined && correctPath !== undefined ? { correct: correctPath } : {}) },
      ...(correct !== undefined ? { reference: { ...t.reference, correct } } : {}),
    })),
  };
}

/**
 * Converts one parsed JSON value into traces (several for s1K, OpenR1, GSM8K model solutions,
 * multi-choice responses, cassettes…). A user mapping in `opts.fields` reads the record by its paths;
 * else known schemas, then stream events, then the general pass. Never throws: problems become
 * `errors` (e.g. "unrecognised record" with the keys seen).
 */
export function parseTraceRecord(record: unknown, opts: ParseOptions = {}, source: SourceLocation = { file: '<record>' }, id = '0'): ParseResult {
  const ctx = (format: TraceFormat): ReadContext => ({ format, opts, source, id });
  try {
    if (mapsContent(opts.fields)) return findTraces(record, ctx('mapped'), opts.fields) ?? unrecognised(record, source);
    const want = forced(opts);
    if (want) return withMappedFacts(readForced(record, want, opts, source, id), record, opts);
    if (Array.isArray(record)) return record.some((v) => isRecord(unwrapEvent(v))) ? withMappedFacts(parseEvents(record, opts, source, id), record, opts) : unrecognised(record, source);
    if (!isRecord(record)) return unrecognised(record, source);
    const known = RECORD_FORMATS.find((f) => f.detect(record));
    if (known) return withMappedFacts(known.read(record, ctx(known.id as TraceFormat)), record, opts);
    const stream = streamOf(record);
    if (stream) return withMappedFacts(readStreamEvents(stream, [record], ctx(stream.id as TraceFormat)), record, opts);
    return findTraces(record, ctx('mapped'), opts.fields) ?? unrecognised(record, source);
  } catch (e) {
    // A parser bug must not take the rest of the file down with it.
    return { traces: [], errors: [{ message: `could not parse record: ${e instanceof Error ? e.message : String(e)}`, source }] };
  }
}

function readForced(record: unknown, want: TraceFormat, opts: ParseOptions, source: SourceLocation, id: string): ParseResult {
  const spec = formatSpec(want);
  const ctx: ReadContext = { format: want, opts, source, id };
  if (!spec) return { traces: [], errors: [{ message: `unknown format ${want}`, source }] };
  switch (spec.kind) {
    case 'record':
      if (!isRecord(record)) return { traces: [], errors: [{ message: `format ${want} reads a JSON object, not ${Array.isArray(record) ? 'an array' : typeof record}`, source }] };
      return spec.read(record, ctx);
    case 'stream': {
      const events = (Array.isArray(record) ? record : [record]).map(unwrapEvent).filter(isRecord);
      return readStreamEvents(spec, events, ctx);
    }
    case 'text': {
      const text = isRecord(record) ? ['text', 'response', 'output', 'completion'].map((k) => record[k]).find((v): v is string => typeof v === 'string') : typeof record === 'string' ? record : undefined;
      if (text === undefined) return unrecognised(record, source);
      const prompt = isRecord(record) && typeof record.prompt === 'string' ? record.prompt : undefined;
      return spec.read(text, { ...ctx, opts: { ...opts, ...(opts.prompt === undefined && prompt !== undefined ? { prompt } : {}) } });
    }
    case 'general':
      return findTraces(record, ctx, opts.fields) ?? unrecognised(record, source);
  }
}

/**
 * A recorder's wrapper around a stream event, unwrapped: `{json: event}` (OpenRouter's recorder),
 * `{event, data: event}`; its bookkeeping lines (`{comment}`, `{delay_ms}`, `[DONE]`) become undefined.
 */
export function unwrapEvent(value: unknown): unknown {
  if (value === '[DONE]') return undefined;
  if (!isRecord(value)) return value;
  const keys = safeKeys(value);
  if (keys.length === 1 && isRecord(value.json)) return value.json;
  if (keys.length <= 2 && keys.includes('data') && isRecord(value.data) && keys.every((k) => k === 'data' || k === 'event')) return value.data;
  if (keys.every((k) => k === 'comment' || k === 'delay_ms' || k === 'text' || k === 'event' || k === 'id' || k === 'retry') && (typeof value.text !== 'string' || value.text.trim() === '[DONE]')) return undefined;
  return value;
}

/** True when the first two events of `values` (recorder wrappers removed) belong to one stream. */
export function isEventStream(values: readonly unknown[]): boolean {
  const events = values.map(unwrapEvent).filter(isRecord).slice(0, 2);
  if (events.length === 0) return false;
  const format = streamOf(events[0]!);
  if (!format) return false;
  // A lone event, or two events of one stream (a JSONL of whole responses splits into one stream each).
  if (events.length === 1) return values.length === 1 || values.filter((v) => unwrapEvent(v) !== undefined).length === 1;
  if (!format.isEvent(events[1]!)) return false;
  return (format.split ? format.split(events) : [events]).length === 1;
}

/**
 * A run of stream events (a stream capture, an array of chunks): every stream in it is one trace;
 * recorder wrappers are removed; records that are no event are parsed alone.
 */
export function parseEvents(values: readonly unknown[], opts: ParseOptions = {}, source: SourceLocation = { file: '<events>' }, id = '0'): ParseResult {
  const out: ParseResult = { traces: [], errors: [] };
  const events = values.map(unwrapEvent).filter((v) => v !== undefined);
  let run: Rec[] = [];
  let runFormat: ReturnType<typeof streamOf>;
  let streams = 0;
  const flush = (): void => {
    if (!run.length || !runFormat) return;
    const res = readStreamEvents(runFormat, run, { format: runFormat.id as TraceFormat, opts, source, id: streams++ ? `${id}/${streams - 1}` : id });
    out.traces.push(...res.traces);
    out.errors.push(...res.errors);
    run = [];
  };
  events.forEach((e, i) => {
    const f = isRecord(e) ? (runFormat?.isEvent(e) ? runFormat : streamOf(e)) : undefined;
    if (f && isRecord(e)) {
      if (f !== runFormat) flush();
      runFormat = f;
      run.push(e);
      return;
    }
    flush();
    runFormat = undefined;
    const res = parseTraceRecord(e, opts, { ...source, jsonPath: `${source.jsonPath ?? '$'}[${i}]` }, `${id}[${i}]`);
    out.traces.push(...res.traces);
    out.errors.push(...res.errors);
  });
  flush();
  if (!out.traces.length && !out.errors.length) out.errors.push({ message: 'empty stream (no events)', source });
  return out;
}

function unrecognised(r: unknown, source: SourceLocation): ParseResult {
  if (!isRecord(r)) return { traces: [], errors: [{ code: 'unrecognised', message: `unrecognised record: not an object (${r === null ? 'null' : Array.isArray(r) ? 'array' : typeof r})`, source }] };
  const keys = Object.keys(r);
  const shown = keys.slice(0, 20).join(', ') + (keys.length > 20 ? `, … (${keys.length} keys)` : '');
  return { traces: [], errors: [{ code: 'unrecognised', message: `unrecognised record: no trace fields found (keys seen: ${shown || 'none'}); name them with --field reasoning=PATH (or the reasoningLens.fieldMapping setting)`, source }] };
}
