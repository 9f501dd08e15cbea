/**
 * JSONL files record by record (node:fs, no vscode): `scanJsonl` streams the byte range and line of
 * every record chunk by chunk (memory: one chunk, whatever the file size; what streaming readers use);
 * `indexJsonl` keeps them in typed arrays so that any record is then read in O(1) by offset. A line
 * longer than `maxRecordBytes` is reported, never buffered.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { decodeUtf8, formatBytes, looksBinary } from './bytes';
import { parseTraceRecord } from './records';
import { safeParseJson, type JsonResult } from './safeJson';
import type { ParseOptions, ParseResult, TraceError } from './types';
import { warning, type TraceWarning } from './warnings';

import { AbortError, isCancelled, type CancellationLike } from '../cancel';

export { isCancelled, type CancellationLike };

/** Progress while indexing. */
export interface IndexProgress {
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly records: number;
}

/** Options of {@link indexJsonl}. */
export interface IndexOptions {
  readonly onProgress?: (p: IndexProgress) => void;
  readonly cancellation?: CancellationLike;
  /** Largest record accepted (default 64 MB); longer lines become errors. */
  readonly maxRecordBytes?: number;
  /** Read size (default 4 MB). */
  readonly chunkBytes?: number;
}

/** Default largest record: 64 MB. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Thrown when indexing or reading is cancelled: the one {@link AbortError}, under the name readers use. */
export class CancelledError extends AbortError {
  override readonly name: string = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** Thrown for a file that cannot be read as traces at all (binary, missing…). */
export class TraceFileError extends Error {
  constructor(message: string, readonly file: string) {
    super(message);
    this.name = 'TraceFileError';
  }
}

/** Where one record lies in a JSONL file: bytes `[offset, offset + length)` (no line break), 1-based line. */
export interface JsonlRange {
  readonly offset: number;
  readonly length: number;
  readonly line: number;
}

/** What {@link scanJsonl} found in one chunk of the file. */
export interface JsonlChunk {
  /** Records that end in this chunk, in file order. */
  readonly records: readonly JsonlRange[];
  /** Lines that end in this chunk and could not be taken (too long). */
  readonly errors: readonly TraceError[];
  readonly bytesRead: number;
  readonly totalBytes: number;
}

/**
 * Reads records of one JSONL file by range (one positioned read each; invalid UTF-8 becomes U+FFFD).
 * Holds one file descriptor, opened on first use: call {@link close} when done.
 */
export class JsonlRecordReader {
  private fd: number | undefined;

  constructor(readonly path: string) {}

  /** The text of a record; `invalidUtf8` when bytes had to be replaced. */
  readText(range: JsonlRange): { text: string; invalidUtf8: boolean } {
    this.fd ??= openSync(this.path, 'r');
    const buf = Buffer.allocUnsafe(range.length);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, range.offset + done);
      if (n === 0) break;
      done += n;
    }
    const { text, invalid } = decodeUtf8(buf.subarray(0, done));
    return { text, invalidUtf8: invalid };
  }

  /** A record parsed as JSON (errors carry line and column). */
  read(range: JsonlRange): JsonResult {
    return safeParseJson(this.readText(range).text);
  }

  /** A record as traces. */
  readTraces(range: JsonlRange, opts: ParseOptions = {}): ParseResult {
    const { text, invalidUtf8 } = this.readText(range);
    const source = { file: this.path, line: range.line, byteOffset: range.offset, jsonPath: '$' };
    const parsed = safeParseJson(text);
    if (!parsed.ok) {
      return { traces: [], errors: [{ message: `line ${range.line}${parsed.column ? `, column ${parsed.column}` : ''}: ${parsed.message}`, source, ...(parsed.column ? { column: parsed.column } : {}) }] };
    }
    const res = parseTraceRecord(parsed.value, opts, source, `L${range.line}`);
    if (invalidUtf8) for (const t of res.traces) (t.warnings as TraceWarning[]).push(warning('invalid-utf8', `line ${range.line}: invalid UTF-8 replaced with U+FFFD`));
    return res;
  }

  /** Releases the file descriptor. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The index of one JSONL file. Call {@link close} when done reading. */
export class JsonlIndex {
  private readonly reader: JsonlRecordReader;

  /** @internal use {@link indexJsonl}. */
  constructor(
    readonly path: string,
    readonly count: number,
    private readonly offsets: Float64Array,
    private readonly lengths: Uint32Array,
    private readonly lines: Uint32Array,
    /** Lines that could not be indexed (too long). */
    readonly errors: readonly TraceError[],
    readonly totalBytes: number,
  ) {
    this.reader = new JsonlRecordReader(path);
  }

  /** Byte offset of record `i`. */
  offsetOf(i: number): number {
    return this.range(i).offset;
  }

  /** 1-based line of record `i`. */
  lineOf(i: number): number {
    return this.range(i).line;
  }

  /** Byte length of record `i` (without the line break). */
  lengthOf(i: number): number {
    return this.range(i).length;
  }

  /** Where record `i` lies. */
  range(i: number): JsonlRange {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`record ${i} out of range (0..${this.count - 1})`);
    return { offset: this.offsets[i]!, length: this.lengths[i]!, line: this.lines[i]! };
  }

  /** The text of record `i` (one positioned read); `invalidUtf8` when bytes had to be replaced. */
  readText(i: number): { text: string; invalidUtf8: boolean } {
    return this.reader.readText(this.range(i));
  }

  /** Record `i` parsed as JSON (errors carry line and column). */
  read(i: number): JsonResult {
    return this.reader.read(this.range(i));
  }

  /** Record `i` as traces. */
  readTraces(i: number, opts: ParseOptions = {}): ParseResult {
    return this.reader.readTraces(this.range(i), opts);
  }

  /** Releases the file descriptor used by the read methods. */
  close(): void {
    this.reader.close();
  }
}

/**
 * Streams a JSONL file in fixed-size chunks and yields, per chunk, the records that end in it (byte
 * ranges, no decoding): blank lines are skipped, a UTF-8 BOM and CRLF line ends are handled, a binary
 * file is rejected with {@link TraceFileError}, a line longer than `maxRecordBytes` becomes an error
 * naming its line and the limit. Memory: one chunk, whatever the file size. Cancellation is checked
 * before every chunk.
 */
export async function* scanJsonl(path: string, opts: IndexOptions = {}): AsyncGenerator<JsonlChunk> {
  const maxRecord = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const chunkSize = opts.chunkBytes ?? 4 * 1024 * 1024;
  const handle = await open(path, 'r');
  try {
    const totalBytes = (await handle.stat()).size;
    const buf = Buffer.allocUnsafe(chunkSize);
    let filePos = 0;
    let lineStart = 0;
    let lineNo = 1;
    let hasContent = false;
    let lastByte = -1; // last byte of the previous chunk (for CRLF across chunks)
    let records: JsonlRange[] = [];
    let errors: TraceError[] = [];
    let found = 0;

    const endLine = (endAbs: number, crBefore: boolean): void => {
      if (hasContent) {
        const len = endAbs - lineStart - (crBefore ? 1 : 0);
        if (len > maxRecord) {
          errors.push({ message: `line ${lineNo}: record of ${formatBytes(len)} exceeds the ${formatBytes(maxRecord)} size limit; skipped`, source: { file: path, line: lineNo, byteOffset: lineStart } });
        } else {
          records.push({ offset: lineStart, length: len, line: lineNo });
        }
      }
      lineStart = endAbs + 1;
      lineNo++;
      hasContent = false;
    };

    for (;;) {
      if (isCancelled(opts.cancellation)) throw new CancelledError();
      const { bytesRead } = await handle.read(buf, 0, chunkSize, filePos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let p = 0;
      if (filePos === 0) {
        if (looksBinary(chunk)) throw new TraceFileError(`not a trace file: ${path} looks binary (NUL bytes or control characters)`, path);
        if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
          p = 3;
          lineStart = 3;
        }
      }
      while (p < bytesRead) {
        const nl = chunk.indexOf(0x0a, p);
        const segEnd = nl < 0 ? bytesRead : nl;
        if (!hasContent) {
          for (let k = p; k < segEnd; k++) {
            const b = chunk[k];
            if (b !== 0x20 && b !== 0x09 && b !== 0x0d) {
              hasContent = true;
              break;
            }
          }
        }
        if (nl < 0) break;
        const crBefore = nl > 0 ? chunk[nl - 1] === 0x0d : lastByte === 0x0d;
        endLine(filePos + nl, crBefore);
        p = nl + 1;
      }
      lastByte = chunk[bytesRead - 1]!;
      filePos += bytesRead;
      found += records.length;
      opts.onProgress?.({ bytesRead: filePos, totalBytes, records: found });
      yield { records, errors, bytesRead: filePos, totalBytes };
      records = [];
      errors = [];
    }
    // A file that ended exactly on a chunk boundary without a final line break.
    if (hasContent) {
      endLine(filePos, lastByte === 0x0d);
      yield { records, errors, bytesRead: filePos, totalBytes };
    }
  } finally {
    await handle.close();
  }
}

/**
 * Indexes a JSONL file by streaming it ({@link scanJsonl}) into typed arrays (16 bytes per record):
 * any record is then read in O(1).
 */
export async function indexJsonl(path: string, opts: IndexOptions = {}): Promise<JsonlIndex> {
  let capacity = 1024;
  let offsets = new Float64Array(capacity);
  let lengths = new Uint32Array(capacity);
  let lines = new Uint32Array(capacity);
  let count = 0;
  let totalBytes = 0;
  const errors: TraceError[] = [];
  const { onProgress, ...scanOptions } = opts;
  for await (const chunk of scanJsonl(path, scanOptions)) {
    totalBytes = chunk.totalBytes;
    errors.push(...chunk.errors);
    for (const r of chunk.records) {
      if (count === capacity) {
        capacity *= 2;
        const o = new Float64Array(capacity);
        o.set(offsets);
        offsets = o;
        const l = new Uint32Array(capacity);
        l.set(lengths);
        lengths = l;
        const n = new Uint32Array(capacity);
        n.set(lines);
        lines = n;
      }
      offsets[count] = r.offset;
      lengths[count] = r.length;
      lines[count] = r.line;
      count++;
    }
    onProgress?.({ bytesRead: chunk.bytesRead, totalBytes: chunk.totalBytes, records: count });
  }
  return new JsonlIndex(path, count, offsets.subarray(0, count), lengths.subarray(0, count), lines.subarray(0, count), errors, totalBytes);
}
