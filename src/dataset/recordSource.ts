/**
 * Record-level access to a dataset file (node:fs, no vscode): a JSONL file through `indexJsonl`, a JSON
 * array through the streaming `JsonArrayScanner`, anything else (one JSON object, a streamed response
 * saved as an array of chunks) as a single record read whole. Memory is bounded by the offsets index;
 * a record is parsed only when asked for.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { decodeUtf8, looksBinary } from '../core/trace/bytes';
import { formatBytes } from '../shared/format';
import { JsonArrayScanner } from '../core/trace/jsonArrayScanner';
import { CancelledError, DEFAULT_MAX_RECORD_BYTES, indexJsonl, type IndexOptions, type JsonlIndex } from '../core/trace/jsonlIndex';
import { isCancelled } from '../core/cancel';
import { detectFormat, isEventStream, parseTraceRecord } from '../core/trace/records';
import { headRecords, looksLikeJsonl, readHead, readTraces } from '../core/trace/read';
import { safeParseJson } from '../core/trace/safeJson';
import type { ParseOptions, ParseResult, TraceError, TraceFormat } from '../core/trace/types';

/** Options of {@link openRecordSource}: indexing, and how records are read (a field mapping…). */
export interface RecordSourceOptions extends IndexOptions {
  readonly parse?: ParseOptions;
}

/** Records of one file, readable one at a time in any order. Call {@link close} when done. */
export interface RecordSource {
  readonly kind: 'jsonl' | 'json-array' | 'json-document';
  readonly path: string;
  readonly count: number;
  readonly totalBytes: number;
  /** Problems found while indexing that belong to no record (a line over the size limit…). */
  readonly errors: readonly TraceError[];
  /** 1-based line of record `i`. */
  lineOf(i: number): number;
  /** Parses record `i` into traces (never throws for bad content: problems become errors). */
  read(i: number): ParseResult;
  /** Record `i` as parsed JSON, undefined when it is not valid JSON (or the file is one document). */
  value(i: number): unknown;
  close(): void;
}

const HEAD_BYTES = 64 * 1024;


/** First non-space character of the file (after a BOM). */
function firstChar(head: Buffer): string | undefined {
  return decodeUtf8(head.subarray(0, 4096)).text.replace(/^\uFEFF/, '').trimStart()[0];
}

/**
 * The format of the file's first record, read from its first 64 KB only (cheap enough to run on every
 * opened `.json`/`.jsonl` document): `unrecognised` when it does not look like traces.
 */
export async function sniffFormat(path: string): Promise<TraceFormat> {
  const head = await readHead(path, HEAD_BYTES);
  if (head.length === 0 || looksBinary(head)) return 'unrecognised';
  const text = decodeUtf8(head).text.replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  if (first === '{') {
    const line = text.split('\n').find((l) => l.trim());
    const parsed = line !== undefined ? safeParseJson(line) : undefined;
    if (parsed?.ok) return detectFormat(parsed.value);
    // A pretty-printed single object: only whole when the file fits the head.
    const whole = safeParseJson(text);
    return whole.ok ? detectFormat(whole.value) : 'unrecognised';
  }
  if (first === '[') {
    const scanner = new JsonArrayScanner();
    let element: { start: number; end: number } | undefined;
    scanner.feed(head, (e) => { element ??= e; });
    if (!element) return 'unrecognised';
    const parsed = safeParseJson(decodeUtf8(head.subarray(element.start, element.end)).text);
    return parsed.ok ? detectFormat([parsed.value]) : 'unrecognised';
  }
  return 'unrecognised';
}

/** Opens `path` for record access; indexing reports progress and stops on cancellation. */
export async function openRecordSource(path: string, opts: RecordSourceOptions = {}): Promise<RecordSource> {
  const head = await readHead(path, HEAD_BYTES);
  if (head.length === 0) throw new Error(`${basename(path)} is empty: there are no records to show`);
  if (looksBinary(head)) throw new Error(`${basename(path)} looks binary (NUL bytes or control characters): it is not a trace dataset`);
  const first = firstChar(head);
  const isJsonl = path.toLowerCase().endsWith('.jsonl') || path.toLowerCase().endsWith('.ndjson') || (first === '{' && looksLikeJsonl(head));
  if (isJsonl) {
    const index = await indexJsonl(path, opts);
    // A stream capture (one event per line) is one response: read it as a document.
    if (index.count > 0 && isEventStream(headRecords(index, 8))) {
      index.close();
      return documentSource(path, opts);
    }
    return jsonlSource(index, opts.parse ?? {});
  }
  if (first === '[') {
    const array = await scanArray(path, opts);
    if (array) return array;
  }
  return documentSource(path, opts);
}

function jsonlSource(index: JsonlIndex, parse: ParseOptions): RecordSource {
  return {
    kind: 'jsonl',
    path: index.path,
    count: index.count,
    totalBytes: index.totalBytes,
    errors: index.errors,
    lineOf: (i) => index.lineOf(i),
    read: (i) => {
      const r = index.readTraces(i, parse);
      return { traces: r.traces, errors: r.errors };
    },
    value: (i) => {
      const r = index.read(i);
      return r.ok ? r.value : undefined;
    },
    close: () => index.close(),
  };
}

/** The whole file as one record (a JSON object, a streamed response): `readTraces` reads it. */
async function documentSource(path: string, opts: RecordSourceOptions): Promise<RecordSource> {
  const result = await readTraces(path, { ...opts.parse, ...(opts.cancellation ? { cancellation: opts.cancellation } : {}) });
  const { size } = await stat(path);
  return {
    kind: 'json-document',
    path,
    count: 1,
    totalBytes: size,
    errors: [],
    lineOf: () => 1,
    read: () => ({ traces: result.traces, errors: result.errors }),
    value: () => undefined,
    close: () => undefined,
  };
}

/** Byte ranges and first lines of a JSON array's elements, in typed arrays that double as they fill. */
class ElementIndex {
  starts = new Float64Array(1024);
  ends = new Float64Array(1024);
  lines = new Uint32Array(1024);
  count = 0;

  push(start: number, end: number, line: number): void {
    if (this.count === this.starts.length) {
      const grow = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
        const bigger = make(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.starts = grow(this.starts, (n) => new Float64Array(n));
      this.ends = grow(this.ends, (n) => new Float64Array(n));
      this.lines = grow(this.lines, (n) => new Uint32Array(n));
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.lines[this.count] = line;
    this.count++;
  }
}

/**
 * The file's bytes in chunks of `opts.chunkBytes` (default 4 MB), from the start; `end` is the file
 * offset after the chunk. Cancellation is checked before every read and rejects with `CancelledError`.
 */
async function* fileChunks(handle: FileHandle, opts: IndexOptions): AsyncGenerator<{ chunk: Buffer; end: number }> {
  const buf = Buffer.allocUnsafe(opts.chunkBytes ?? 4 * 1024 * 1024);
  let pos = 0;
  for (;;) {
    if (isCancelled(opts.cancellation)) throw new CancelledError();
    const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield { chunk: buf.subarray(0, bytesRead), end: pos };
  }
}

/**
 * A JSON array streamed with {@link JsonArrayScanner}: element offsets and lines in typed arrays. An
 * array of `chat.completion.chunk`s is one response, not a dataset: undefined (read as a document).
 */
async function scanArray(path: string, opts: RecordSourceOptions): Promise<RecordSource | undefined> {
  const maxRecord = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const elements = new ElementIndex();
  const errors: TraceError[] = [];
  let totalBytes = 0;
  const h = await open(path, 'r');
  try {
    totalBytes = (await h.stat()).size;
    const scanner = new JsonArrayScanner();
    for await (const { chunk, end } of fileChunks(h, opts)) {
      scanner.feed(chunk, (e) => {
        if (e.end - e.start <= maxRecord) elements.push(e.start, e.end, e.line);
        else errors.push({ message: `line ${e.line}: element $[${e.index}] of ${formatBytes(e.end - e.start)} exceeds the ${formatBytes(maxRecord)} size limit; skipped`, source: { file: path, line: e.line, jsonPath: `$[${e.index}]` } });
      });
      opts.onProgress?.({ bytesRead: end, totalBytes, records: elements.count });
      if (scanner.error) break;
    }
    const scanError = scanner.finish();
    if (scanError) errors.push({ message: `${scanError}; the records before it are shown`, source: { file: path } });
  } finally {
    await h.close();
  }
  const { starts, ends, lines, count } = elements;
  let fd: number | undefined;
  const readText = (i: number): string => {
    fd ??= openSync(path, 'r');
    const buf = Buffer.allocUnsafe(ends[i]! - starts[i]!);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, starts[i]! + done);
      if (n === 0) break;
      done += n;
    }
    return decodeUtf8(buf.subarray(0, done)).text;
  };
  const check = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`record ${i} out of range (0..${count - 1})`);
  };
  const read = (i: number): ParseResult => {
    check(i);
    const source = { file: path, line: lines[i]!, byteOffset: starts[i]!, jsonPath: `$[${i}]` };
    const parsed = safeParseJson(readText(i));
    if (!parsed.ok) {
      const line = parsed.line !== undefined ? lines[i]! + parsed.line - 1 : lines[i]!;
      return { traces: [], errors: [{ message: `line ${line}: $[${i}]: ${parsed.message}`, source: { ...source, line } }] };
    }
    return parseTraceRecord(parsed.value, opts.parse ?? {}, source, `$[${i}]`);
  };
  if (count > 0) {
    // A streamed response saved as an array is one trace: let the document reader join the deltas.
    const first = safeParseJson(readText(0));
    const second = count > 1 ? safeParseJson(readText(1)) : undefined;
    if (first.ok && isEventStream(second?.ok ? [first.value, second.value] : [first.value])) {
      if (fd !== undefined) closeSync(fd);
      return undefined;
    }
  }
  return {
    kind: 'json-array',
    path,
    count,
    totalBytes,
    errors,
    lineOf: (i) => (check(i), lines[i]!),
    read,
    value: (i) => {
      check(i);
      const parsed = safeParseJson(readText(i));
      return parsed.ok ? parsed.value : undefined;
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
