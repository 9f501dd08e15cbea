/**
 * File and folder readers (node:fs, no vscode). They stream what can be large (JSONL, JSON arrays) and
 * hand every record to the pure parsers in `records.ts`. Nothing here throws for bad content: problems
 * become {@link TraceError}s and the rest of the file still loads.
 */
import { readSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { decodeUtf8, formatBytes, looksBinary } from './bytes';
import { JsonArrayScanner, type ArrayElement } from './jsonArrayScanner';
import { CancelledError, DEFAULT_MAX_RECORD_BYTES, isCancelled, JsonlRecordReader, scanJsonl, TraceFileError, type CancellationLike, type IndexOptions, type JsonlIndex, type JsonlRange } from './jsonlIndex';
import { parseHttprr, parseSse, parseYaml, looksLikeSse, type ContainerResult } from './containers';
import { isEventStream, parseEvents, parseThoughtAnchors, parseTraceRecord, parseTraceText } from './records';
import { safeParseJson } from './safeJson';
import type { ParseOptions, SourceLocation, Trace, TraceError } from './types';
import { hasWarning, warning, type TraceWarning } from './warnings';

/** Options of {@link readTraces}. */
export interface ReadOptions extends ParseOptions, IndexOptions {
  /** Largest whole file read at once (JSON objects, text); default 64 MB. */
  readonly maxFileBytes?: number;
}

/** What {@link readTraces} found. */
export interface ReadResult {
  readonly traces: Trace[];
  readonly errors: TraceError[];
  /** Files in a folder that hold no traces (e.g. a `mapping.json`), with the reason. */
  readonly skipped: string[];
}

const TRACE_EXTENSIONS = new Set(['.json', '.jsonl', '.ndjson', '.md', '.markdown', '.txt', '.yaml', '.yml', '.httprr', '.responses', '.sse']);
const JSONL_EXTENSIONS = new Set(['.jsonl', '.ndjson', '.responses']);
/** Documentation beside the data (a README that mentions `</think>` is not a trace). */
const DOCUMENT_NAME = /^(readme|license|licence|copying|notice|changelog|attribution)([-_.].*)?$/i;

/** Records of a JSONL stream capture read at once (a capture is one response, not a dataset). */
const MAX_STREAM_RECORDS = 200_000;

/** One thing {@link traceItems} found: a trace, an error (the rest of the file still loads), or a file passed over. */
export type ReadItem =
  | { readonly kind: 'trace'; readonly trace: Trace }
  | { readonly kind: 'error'; readonly error: TraceError }
  | { readonly kind: 'skipped'; readonly note: string };

/**
 * Reads every trace in `path`: a file (JSONL, JSON object or array, text/markdown, chat dump) or a folder
 * (every trace file inside, recursively; a Thought-Anchors problem folder; a `prompt.md` + `response.md`
 * folder). Cancellation stops between records and rejects with {@link CancelledError}. Holds every trace:
 * commands over datasets of any size iterate {@link traceItems} instead.
 */
export async function readTraces(path: string, opts: ReadOptions = {}): Promise<ReadResult> {
  const out: ReadResult = { traces: [], errors: [], skipped: [] };
  for await (const batch of traceBatches(path, opts)) {
    for (const item of batch) {
      if (item.kind === 'trace') out.traces.push(item.trace);
      else if (item.kind === 'error') out.errors.push(item.error);
      else out.skipped.push(item.note);
    }
  }
  return out;
}

/**
 * What {@link readTraces} reads, as a stream: traces are yielded as they are parsed, so a caller that
 * handles one and lets it go holds O(1) traces whatever the input size (JSONL and JSON arrays stream
 * record by record, in batches of at most {@link BATCH_ITEMS} items or ~256 kB of records; whole-file
 * formats are capped at 64 MB). Stopping early closes the files.
 */
export async function* traceItems(path: string, opts: ReadOptions = {}): AsyncGenerator<ReadItem> {
  for await (const batch of traceBatches(path, opts)) yield* batch;
}

/** Items per batch of the streaming readers (one asynchronous step a batch, not an item: error-heavy files stay fast). */
const BATCH_ITEMS = 256;
/** Record bytes per batch. */
const BATCH_BYTES = 256 * 1024;

/** The items of a {@link ReadResult}: traces, then errors, then skipped files. */
function itemsOf(result: ReadResult): ReadItem[] {
  return [
    ...result.traces.map((trace): ReadItem => ({ kind: 'trace', trace })),
    ...result.errors.map((error): ReadItem => ({ kind: 'error', error })),
    ...result.skipped.map((note): ReadItem => ({ kind: 'skipped', note })),
  ];
}

/** {@link traceItems} in batches. */
async function* traceBatches(path: string, opts: ReadOptions): AsyncGenerator<ReadItem[]> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    yield [{ kind: 'error', error: { message: `cannot read ${path}: ${(e as Error).message}`, source: { file: path } } }];
    return;
  }
  if (info.isDirectory()) yield* folderBatches(path, opts);
  else yield* fileBatches(path, opts, false);
}

/** One unit a folder holds: a Thought-Anchors problem folder, a prompt/response folder, or a trace file. */
export interface TraceSource {
  readonly kind: 'thought-anchors' | 'prompt-response' | 'file';
  readonly path: string;
}

/**
 * The trace sources in a folder, recursively and in name order, and the entries passed over (with
 * why): dot files, documentation (README, LICENSE…), files without a trace extension at the top, and
 * folders already walked (every folder's device:inode is remembered, so symlink loops and bind mounts
 * are walked once).
 */
export async function listTraceSources(dir: string, cancellation?: CancellationLike): Promise<{ sources: TraceSource[]; skipped: string[] }> {
  const sources: TraceSource[] = [];
  const skipped: string[] = [];
  const visited = new Set<string>();
  const visit = async (folder: string, top: boolean): Promise<void> => {
    if (isCancelled(cancellation)) throw new CancelledError();
    const self = await stat(folder);
    const key = `${self.dev}:${self.ino}`;
    if (visited.has(key)) {
      skipped.push(`${folder}: a folder already read (symbolic link loop or second path to it)`);
      return;
    }
    visited.add(key);
    const names = (await readdir(folder)).sort();
    if (names.includes('base_solution.json')) return void sources.push({ kind: 'thought-anchors', path: folder });
    if (names.includes('response.md')) return void sources.push({ kind: 'prompt-response', path: folder });
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const p = join(folder, name);
      if (DOCUMENT_NAME.test(name)) {
        if (top) skipped.push(`${p}: documentation`);
        continue;
      }
      const s = await stat(p).catch(() => undefined);
      if (!s) continue;
      if (s.isDirectory()) await visit(p, false);
      else if (TRACE_EXTENSIONS.has(extname(name).toLowerCase())) sources.push({ kind: 'file', path: p });
      else if (top) skipped.push(`${p}: not a trace file extension`);
    }
  };
  await visit(dir, true);
  return { sources, skipped };
}

async function* folderBatches(dir: string, opts: ReadOptions): AsyncGenerator<ReadItem[]> {
  const { sources, skipped } = await listTraceSources(dir, opts.cancellation);
  yield skipped.map((note): ReadItem => ({ kind: 'skipped', note }));
  for (const source of sources) {
    if (source.kind === 'file') {
      yield* fileBatches(source.path, opts, true);
      continue;
    }
    const out: ReadResult = { traces: [], errors: [], skipped: [] };
    if (source.kind === 'thought-anchors') await readThoughtAnchors(source.path, opts, out);
    else await readPromptResponse(source.path, opts, out);
    yield itemsOf(out);
  }
}

async function readJson(path: string, maxBytes?: number): Promise<unknown> {
  const r = safeParseJson(decodeUtf8(await readWholeFile(path, maxBytes)).text);
  if (!r.ok) throw new TraceFileError(`${path}${r.line ? `:${r.line}:${r.column}` : ''}: ${r.message}`, path);
  return r.value;
}

/** A Thought-Anchors problem folder: problem.json, base_solution.json, chunks_labeled.json (+ summary.json). */
async function readThoughtAnchors(dir: string, opts: ReadOptions, out: ReadResult): Promise<void> {
  const optional = async (name: string): Promise<unknown> => {
    try {
      return await readJson(join(dir, name), opts.maxFileBytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') out.errors.push({ message: (e as Error).message, source: { file: join(dir, name) } });
      return undefined;
    }
  };
  const base = await optional('base_solution.json');
  if (base === undefined) return;
  const trace = parseThoughtAnchors(
    { base, problem: await optional('problem.json'), chunks: await optional('chunks_labeled.json'), summary: await optional('summary.json') },
    { file: dir },
    idFromDir(dir),
  );
  out.traces.push(trace);
}

/** `…/correct_base_solution/problem_330` → `correct_base_solution/problem_330`. */
function idFromDir(dir: string): string {
  const parts = dir.split(/[\\/]/).filter(Boolean);
  return parts.slice(-2).join('/');
}

/**
 * The `prompt.md` that is the prompt of a `response.md` beside it (a prompt/response folder), or
 * undefined for any other file. Every reader of a response (folders, the file alone, the editor, export)
 * takes its prompt from there.
 */
export function promptBeside(path: string): string | undefined {
  return basename(path).toLowerCase() === 'response.md' ? join(dirname(path), 'prompt.md') : undefined;
}

/** A folder with `prompt.md` (optional) and `response.md`: one trace. */
async function readPromptResponse(dir: string, opts: ReadOptions, out: ReadResult): Promise<void> {
  const response = await readText(join(dir, 'response.md'), opts, out);
  if (response === undefined) return;
  const prompt = await readPromptBeside(join(dir, 'response.md'), opts, out);
  if (prompt === false) return;
  const trace = parseTraceText(response.text, { ...opts, ...(prompt !== undefined ? { prompt } : {}) }, { file: join(dir, 'response.md') }, idFromDir(dir));
  if (response.invalid) (trace.warnings as TraceWarning[]).push(warning('invalid-utf8', 'invalid UTF-8 replaced with U+FFFD'));
  out.traces.push(trace);
}

/**
 * The prompt of a response file: `opts.prompt`, else its `prompt.md` (see {@link promptBeside}); undefined
 * when it has none, false (with the error recorded) when the prompt file cannot be read.
 */
async function readPromptBeside(path: string, opts: ReadOptions, out: ReadResult): Promise<string | undefined | false> {
  const file = promptBeside(path);
  if (opts.prompt !== undefined || !file) return opts.prompt;
  try {
    return decodeUtf8(await readWholeFile(file, opts.maxFileBytes)).text;
  } catch (e) {
    // No prompt.md: the prompt stays empty. One that cannot be read (too large…) is an error.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    out.errors.push({ message: (e as Error).message, source: { file } });
    return false;
  }
}

/**
 * Reads a whole file of at most `maxBytes` (default 64 MB): every format read whole (JSON documents,
 * text, prompt.md, Thought-Anchors files, the export path) goes through here. A larger file, or one
 * that grows past the limit while it is read, throws a {@link TraceFileError} that says so; no more than
 * `maxBytes + 1` bytes are ever buffered.
 */
export async function readWholeFile(path: string, maxBytes: number = DEFAULT_MAX_RECORD_BYTES): Promise<Buffer> {
  const tooLarge = (size: string): TraceFileError =>
    new TraceFileError(`${path}: file of ${size} exceeds the ${formatBytes(maxBytes)} size limit for whole-file formats`, path);
  const h = await open(path, 'r');
  try {
    const size = (await h.stat()).size;
    if (size > maxBytes) throw tooLarge(formatBytes(size));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(size - total, 64 * 1024), maxBytes + 1 - total));
      const { bytesRead } = await h.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(`more than ${formatBytes(maxBytes)}`);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await h.close();
  }
}

/** The whole (size-limited) file, or undefined with the reason (too large, unreadable) in `out.errors`. */
async function readWholeOrReport(path: string, opts: ReadOptions, out: ReadResult): Promise<Buffer | undefined> {
  try {
    return await readWholeFile(path, opts.maxFileBytes);
  } catch (e) {
    if (!(e instanceof TraceFileError)) throw e;
    out.errors.push({ message: e.message, source: { file: path } });
    return undefined;
  }
}

/** Reads a whole (size-limited) text file; binary and oversized files become errors. */
async function readText(path: string, opts: ReadOptions, out: ReadResult): Promise<{ text: string; invalid: boolean } | undefined> {
  const bytes = await readWholeOrReport(path, opts, out);
  if (!bytes) return undefined;
  if (looksBinary(bytes)) {
    out.errors.push({ message: `not a trace file: ${path} looks binary (NUL bytes or control characters)`, source: { file: path } });
    return undefined;
  }
  return decodeUtf8(bytes);
}

/** The first `n` bytes of a file (format sniffing). */
export async function readHead(path: string, n: number): Promise<Buffer> {
  const h = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await h.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await h.close();
  }
}

/** Errors held back while a file in a folder has shown no trace yet (beyond this, they are reported). */
const MAX_HELD_ERRORS = 1000;

/**
 * The items of one file. In a folder, a file whose every record is unrecognised (e.g. a `mapping.json`
 * beside the data) is passed over, not reported: its errors are held until a trace shows up (then
 * they are reported), or until there are too many of them to be a side file.
 */
async function* fileBatches(path: string, opts: ReadOptions, inFolder: boolean): AsyncGenerator<ReadItem[]> {
  const batches = rawFileBatches(path, opts, inFolder);
  if (!inFolder) return yield* batches;
  let held: TraceError[] | undefined = [];
  for await (const batch of batches) {
    if (!held) {
      yield batch;
      continue;
    }
    const out: ReadItem[] = [];
    for (const item of batch) {
      if (held && (item.kind === 'trace' || (item.kind === 'error' && (item.error.code !== 'unrecognised' || held.length >= MAX_HELD_ERRORS)))) {
        for (const error of held) out.push({ kind: 'error', error });
        held = undefined;
      }
      if (held && item.kind === 'error') held.push(item.error);
      else out.push(item);
    }
    yield out;
  }
  if (held?.length) yield [{ kind: 'skipped', note: `${path}: ${held[0]!.message}` }];
}

async function* rawFileBatches(path: string, opts: ReadOptions, inFolder: boolean): AsyncGenerator<ReadItem[]> {
  const out: ReadResult = { traces: [], errors: [], skipped: [] };
  try {
    const ext = extname(path).toLowerCase();
    const head = await readHead(path, 64 * 1024);
    if (head.length === 0) {
      yield [{ kind: 'error', error: { message: `${path}: empty file`, source: { file: path } } }];
      return;
    }
    if (looksBinary(head)) {
      yield [{ kind: 'error', error: { message: `not a trace file: ${path} looks binary (NUL bytes or control characters)`, source: { file: path } } }];
      return;
    }
    const headText = decodeUtf8(head.subarray(0, Math.min(head.length, 4096))).text.replace(/^\uFEFF/, '');
    const firstChar = headText.trimStart()[0];
    if (ext === '.yaml' || ext === '.yml') await readContainer(path, opts, out, (t) => parseYaml(t));
    else if (ext === '.httprr' || headText.startsWith('httprr trace')) await readContainer(path, opts, out, undefined, (b) => parseHttprr(b));
    else if (JSONL_EXTENSIONS.has(ext) || (firstChar === '{' && looksLikeJsonl(head))) return yield* jsonlBatches(path, opts);
    else if (firstChar === '[') return yield* jsonArrayBatches(path, opts);
    else if (firstChar === '{') await readJsonObject(path, opts, out);
    else if (looksLikeSse(headText)) await readContainer(path, opts, out, (t) => ({ ok: true, value: parseSse(t) }));
    else {
      const t = await readText(path, opts, out);
      if (!t) return yield itemsOf(out);
      const prompt = await readPromptBeside(path, opts, out);
      if (prompt === false) return yield itemsOf(out);
      const trace = parseTraceText(t.text, { ...opts, ...(prompt !== undefined ? { prompt } : {}) }, { file: path }, basename(path));
      if (inFolder && hasWarning(trace, 'no-delimiters')) {
        // In a folder, a text file without any reasoning delimiter (notes, logs…) is not a trace.
        yield [{ kind: 'skipped', note: `${path}: no reasoning delimiters` }];
        return;
      }
      if (t.invalid) (trace.warnings as TraceWarning[]).push(warning('invalid-utf8', 'invalid UTF-8 replaced with U+FFFD'));
      out.traces.push(trace);
    }
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    out.errors.push({ message: e instanceof Error ? e.message : String(e), source: { file: path } });
  }
  yield itemsOf(out);
}

/**
 * How {@link readTraces} reads a file: `jsonl` record by record (a dataset), `stream` whole as stream
 * events (a capture with one event per line), `whole` as one document (JSON, text, recordings). Decided
 * from the extension and the first 64 KB, as the reader does; shared by every command that streams.
 */
export async function fileReadMode(path: string): Promise<'jsonl' | 'stream' | 'whole'> {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml' || ext === '.httprr') return 'whole';
  const head = await readHead(path, 64 * 1024);
  const text = decodeUtf8(head).text.replace(/^\uFEFF/, '');
  if (text.startsWith('httprr trace')) return 'whole';
  if (!JSONL_EXTENSIONS.has(ext) && !(text.trimStart().startsWith('{') && looksLikeJsonl(head))) return 'whole';
  // The complete lines of the head are enough to tell a stream capture from a dataset.
  const lines = text.split('\n').slice(0, -1).filter((l) => l.trim()).slice(0, 8);
  const values = lines.map((l) => safeParseJson(l)).filter((r) => r.ok).map((r) => (r as { value: unknown }).value);
  return isEventStream(values) ? 'stream' : 'jsonl';
}

/** Two or more complete lines that each parse as JSON: JSONL, whatever the extension says. */
export function looksLikeJsonl(head: Buffer): boolean {
  const text = decodeUtf8(head).text.replace(/^\uFEFF/, '');
  const lines = text.split('\n').filter((l) => l.trim());
  if (lines.length < 2) return false;
  const complete = lines.slice(0, -1);
  return complete.every((l) => safeParseJson(l).ok);
}

/**
 * A JSONL file record by record ({@link scanJsonl}: one chunk and one record in memory). A file whose
 * first records are stream events (a capture, one event per line) is one trace per stream instead: its
 * records are gathered (at most {@link MAX_STREAM_RECORDS}; beyond that it is read as a dataset).
 */
async function* jsonlBatches(path: string, opts: ReadOptions): AsyncGenerator<ReadItem[]> {
  const reader = new JsonlRecordReader(path);
  let batch: ReadItem[] = [];
  let batchBytes = 0;
  const record = (range: JsonlRange): void => {
    const res = reader.readTraces(range, opts);
    for (const trace of res.traces) batch.push({ kind: 'trace', trace });
    for (const e of res.errors) batch.push({ kind: 'error', error: e.message.startsWith('line ') ? e : { ...e, message: `line ${range.line}: ${e.message}` } });
    batchBytes += range.length;
  };
  const full = (): boolean => batch.length >= BATCH_ITEMS || batchBytes >= BATCH_BYTES;
  const take = (): ReadItem[] => {
    const b = batch;
    batch = [];
    batchBytes = 0;
    return b;
  };
  try {
    /** Records held until it is known whether the file is a stream capture (the first 8; all of a capture). */
    let held: JsonlRange[] | undefined = [];
    let stream = false;
    let count = 0;
    let errors = 0;
    const isCapture = (): boolean => {
      const values: unknown[] = [];
      for (const r of held!.slice(0, 8)) {
        const v = reader.read(r);
        if (v.ok) values.push(v.value);
      }
      return values.length > 0 && isEventStream(values);
    };
    for await (const chunk of scanJsonl(path, opts)) {
      errors += chunk.errors.length;
      for (const error of chunk.errors) batch.push({ kind: 'error', error });
      for (const range of chunk.records) {
        if (count++ % 256 === 0 && isCancelled(opts.cancellation)) throw new CancelledError();
        if (held) {
          held.push(range);
          if (held.length === 8) stream = isCapture();
          if ((held.length >= 8 && !stream) || held.length > MAX_STREAM_RECORDS) {
            // A dataset after all (or a capture too long to be one response): record by record from here.
            for (const r of held) {
              record(r);
              if (full()) yield take();
            }
            held = undefined;
          }
          continue;
        }
        record(range);
        if (full()) yield take();
      }
    }
    if (count === 0 && errors === 0) batch.push({ kind: 'error', error: { message: `${path}: empty file (no records)`, source: { file: path } } });
    if (held && held.length < 8) stream = isCapture();
    if (held && !stream) {
      for (const r of held) record(r);
      held = undefined;
    }
    if (held) {
      // A stream capture (one event per line): every stream in it is one trace, not one per line.
      const values: unknown[] = [];
      for (const r of held) {
        const v = reader.read(r);
        if (v.ok) values.push(v.value);
        else batch.push({ kind: 'error', error: { message: `line ${r.line}: ${v.message}`, source: { file: path, line: r.line } } });
      }
      const res = parseEvents(values, opts, { file: path, line: 1, jsonPath: '$' }, basename(path));
      batch.push(...itemsOf({ traces: res.traces, errors: res.errors, skipped: [] }));
    }
    yield take();
  } finally {
    reader.close();
  }
}

/** The first `n` records of a JSONL index that parse (for format sniffing). */
export function headRecords(index: JsonlIndex, n: number): unknown[] {
  const values: unknown[] = [];
  for (let i = 0; i < Math.min(n, index.count); i++) {
    const r = index.read(i);
    if (r.ok) values.push(r.value);
  }
  return values;
}

/** A file that wraps API bodies (YAML cassette, HTTP recording, SSE capture), read whole and parsed. */
async function readContainer(path: string, opts: ReadOptions, out: ReadResult, fromText?: (text: string) => ContainerResult, fromBytes?: (bytes: Uint8Array) => ContainerResult): Promise<void> {
  const bytes = await readWholeOrReport(path, opts, out);
  if (!bytes) return;
  const parsed = fromBytes ? fromBytes(bytes) : fromText!(decodeUtf8(bytes).text.replace(/^\uFEFF/, ''));
  if (!parsed.ok) {
    out.errors.push({ message: `${path}: ${parsed.message}`, source: { file: path } });
    return;
  }
  const source: SourceLocation = { file: path, jsonPath: '$', line: 1 };
  const res = Array.isArray(parsed.value) ? parseEvents(parsed.value, opts, source, basename(path)) : parseTraceRecord(parsed.value, opts, source, basename(path));
  out.traces.push(...res.traces);
  out.errors.push(...res.errors);
}

async function readJsonObject(path: string, opts: ReadOptions, out: ReadResult): Promise<void> {
  const t = await readText(path, opts, out);
  if (!t) return;
  const parsed = safeParseJson(t.text.replace(/^\uFEFF/, ''));
  const source: SourceLocation = { file: path, jsonPath: '$', line: 1, byteOffset: 0 };
  if (!parsed.ok) {
    out.errors.push({ message: `${path}${parsed.line ? `:${parsed.line}:${parsed.column}` : ''}: ${parsed.message}`, source: parsed.line !== undefined ? { ...source, line: parsed.line } : { file: path, jsonPath: '$', byteOffset: 0 }, ...(parsed.column ? { column: parsed.column } : {}) });
    return;
  }
  const res = parseTraceRecord(parsed.value, opts, source, basename(path));
  if (t.invalid) for (const tr of res.traces) (tr.warnings as TraceWarning[]).push(warning('invalid-utf8', 'invalid UTF-8 replaced with U+FFFD'));
  out.traces.push(...res.traces);
  out.errors.push(...res.errors);
}

/** One element of a JSON array file: its place, and its value or why it could not be read. */
export interface JsonArrayItem {
  /** Absent for a scan error (not an array, unterminated…), which comes last. */
  readonly element?: ArrayElement;
  readonly source: SourceLocation;
  /** The element's text as it is in the file (absent when it was too large to read). */
  readonly text?: string;
  readonly value?: unknown;
  readonly error?: TraceError;
}

/**
 * The elements of a JSON array file, streamed with {@link JsonArrayScanner}: the file is read chunk by
 * chunk, and each chunk's finished elements are parsed alone and yielded together before the next
 * chunk is read (memory: one chunk and its elements, whatever the file size; an element that started
 * in an earlier chunk is read back by offset). An element over `maxRecordBytes` is an error, never
 * buffered.
 */
export async function* jsonArrayElements(path: string, opts: ReadOptions = {}): AsyncGenerator<JsonArrayItem[]> {
  const maxRecord = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const h = await open(path, 'r');
  try {
    const totalBytes = (await h.stat()).size;
    const scanner = new JsonArrayScanner();
    const chunkSize = opts.chunkBytes ?? 4 * 1024 * 1024;
    const buf = Buffer.allocUnsafe(chunkSize);
    let pos = 0;
    let count = 0;
    /** Element `e`, found in the chunk `buf[0, length)` that starts at byte `chunkStart` of the file. */
    const readElement = (e: ArrayElement, chunkStart: number, length: number): JsonArrayItem => {
      const source: SourceLocation = { file: path, line: e.line, byteOffset: e.start, jsonPath: `$[${e.index}]` };
      const len = e.end - e.start;
      if (len > maxRecord) return { element: e, source, error: { message: `${path}:${e.line}: element $[${e.index}] of ${formatBytes(len)} exceeds the ${formatBytes(maxRecord)} size limit; skipped`, source } };
      let bytes: Buffer;
      if (e.start >= chunkStart && e.end <= chunkStart + length) bytes = buf.subarray(e.start - chunkStart, e.end - chunkStart);
      else {
        bytes = Buffer.allocUnsafe(len);
        let done = 0;
        while (done < len) {
          const n = readSync(h.fd, bytes, done, len - done, e.start + done);
          if (n === 0) break;
          done += n;
        }
        bytes = bytes.subarray(0, done);
      }
      const text = decodeUtf8(bytes).text;
      const parsed = safeParseJson(text);
      if (!parsed.ok) {
        const line = parsed.line !== undefined ? e.line + parsed.line - 1 : e.line;
        return { element: e, source, text, error: { message: `${path}:${line}: $[${e.index}]: ${parsed.message}`, source: { ...source, line }, ...(parsed.column ? { column: parsed.column } : {}) } };
      }
      return { element: e, source, text, value: parsed.value };
    };
    for (;;) {
      if (isCancelled(opts.cancellation)) throw new CancelledError();
      const { bytesRead } = await h.read(buf, 0, chunkSize, pos);
      if (bytesRead === 0) break;
      const found: ArrayElement[] = [];
      scanner.feed(buf.subarray(0, bytesRead), (e) => found.push(e));
      const chunkStart = pos;
      pos += bytesRead;
      count += found.length;
      opts.onProgress?.({ bytesRead: pos, totalBytes, records: count });
      // In batches like the JSONL reader's, parsed only as they are taken.
      for (let i = 0; i < found.length; ) {
        let bytes = 0;
        let j = i;
        for (; j < found.length && j - i < BATCH_ITEMS && bytes < BATCH_BYTES; j++) bytes += found[j]!.end - found[j]!.start;
        yield found.slice(i, j).map((e) => readElement(e, chunkStart, bytesRead));
        i = j;
      }
      if (scanner.error) break;
    }
    const source = { file: path };
    const scanError = scanner.finish();
    if (scanError) yield [{ source, error: { message: `${path}: ${scanError}`, source } }];
    else if (count === 0) yield [{ source, error: { message: `${path}: empty array (no records)`, source } }];
  } finally {
    await h.close();
  }
}

/**
 * A JSON array, element by element ({@link jsonArrayElements}). An array of stream events (a streamed
 * response saved as an array, told from its first two elements) is one trace per stream instead.
 */
async function* jsonArrayBatches(path: string, opts: ReadOptions): AsyncGenerator<ReadItem[]> {
  const chunks = jsonArrayElements(path, opts);
  // The first two elements decide; `next()`, not `for await … break`, which would close the generator.
  const head: JsonArrayItem[] = [];
  while (head.length < 2) {
    const r = await chunks.next();
    if (r.done) break;
    head.push(...r.value);
  }
  const first = head.slice(0, 2).filter((i) => i.element && i.value !== undefined).map((i) => i.value);
  if (head[0]?.element && head[0].value !== undefined && isEventStream(first)) {
    // A streamed response saved as an array: every stream in it is one trace.
    const events: unknown[] = [];
    const errors: TraceError[] = [];
    const take = (items: readonly JsonArrayItem[]): void => {
      for (const item of items) {
        if (item.error) errors.push(item.error);
        else events.push(item.value);
      }
    };
    take(head);
    for await (const items of chunks) take(items);
    const res = parseEvents(events, opts, { file: path, jsonPath: '$', line: 1 }, basename(path));
    yield itemsOf({ traces: res.traces, errors: [...errors, ...res.errors], skipped: [] });
    return;
  }
  const toItems = (items: readonly JsonArrayItem[]): ReadItem[] => {
    const out: ReadItem[] = [];
    for (const item of items) {
      if (!item.element || item.error) {
        out.push({ kind: 'error', error: item.error! });
        continue;
      }
      const e = item.element;
      const res = parseTraceRecord(item.value, opts, item.source, `$[${e.index}]`);
      for (const trace of res.traces) out.push({ kind: 'trace', trace });
      for (const x of res.errors) out.push({ kind: 'error', error: { ...x, message: `${path}:${e.line}: ${x.message}` } });
    }
    return out;
  };
  yield toItems(head);
  for await (const items of chunks) yield toItems(items);
}
