/**
 * Streaming index of a JSONL file (node:fs, no vscode): the byte offset, length and line of every
 * record, found by reading fixed-size chunks. Memory is bounded by the index (typed arrays) plus one
 * chunk; a line longer than `maxRecordBytes` is reported, never buffered. Any record is then read in
 * O(1) by offset.
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

/** The index of one JSONL file. Call {@link close} when done reading. */
export class JsonlIndex {
  private fd: number | undefined;

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
  ) {}

  /** Byte offset of record `i`. */
  offsetOf(i: number): number {
    this.check(i);
    return this.offsets[i]!;
  }

  /** 1-based line of record `i`. */
  lineOf(i: number): number {
    this.check(i);
    return this.lines[i]!;
  }

  /** Byte length of record `i` (without the line break). */
  lengthOf(i: number): number {
    this.check(i);
    return this.lengths[i]!;
  }

  /** The text of record `i` (one positioned read); `invalidUtf8` when bytes had to be replaced. */
  readText(i: number): { text: string; invalidUtf8: boolean } {
    this.check(i);
    this.fd ??= openSync(this.path, 'r');
    const buf = Buffer.allocUnsafe(this.lengths[i]!);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, this.offsets[i]! + done);
      if (n === 0) break;
      done += n;
    }
    const { text, invalid } = decodeUtf8(buf.subarray(0, done));
    return { text, invalidUtf8: invalid };
  }

  /** Record `i` parsed as JSON (errors carry line and column). */
  read(i: number): JsonResult {
    return safeParseJson(this.readText(i).text);
  }

  /** Record `i` as traces. */
  readTraces(i: number, opts: ParseOptions = {}): ParseResult {
    const { text, invalidUtf8 } = this.readText(i);
    const source = { file: this.path, line: this.lines[i]!, byteOffset: this.offsets[i]!, jsonPath: '$' };
    const parsed = safeParseJson(text);
    if (!parsed.ok) {
      return { traces: [], errors: [{ message: `line ${this.lines[i]}${parsed.column ? `, column ${parsed.column}` : ''}: ${parsed.message}`, source, ...(parsed.column ? { column: parsed.column } : {}) }] };
    }
    const res = parseTraceRecord(parsed.value, opts, source, `L${this.lines[i]}`);
    if (invalidUtf8) for (const t of res.traces) (t.warnings as TraceWarning[]).push(warning('invalid-utf8', `line ${this.lines[i]}: invalid UTF-8 replaced with U+FFFD`));
    return res;
  }

  /** Releases the file descriptor used by the read methods. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`record ${i} out of range (0..${this.count - 1})`);
  }
}

/**
 * Indexes a JSONL file by streaming it in chunks: blank lines are skipped, a UTF-8 BOM and CRLF line
 * ends are handled, a binary file is rejected with {@link TraceFileError}, a line longer than
 * `maxRecordBytes` becomes an error naming its line and the limit.
 */
export async function indexJsonl(path: string, opts: IndexOptions = {}): Promise<JsonlIndex> {
  const maxRecord = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const chunkSize = opts.chunkBytes ?? 4 * 1024 * 1024;
  const handle = await open(path, 'r');
  try {
    const totalBytes = (await handle.stat()).size;
    let capacity = 1024;
    let offsets = new Float64Array(capacity);
    let lengths = new Uint32Array(capacity);
    let lines = new Uint32Array(capacity);
    let count = 0;
    const errors: TraceError[] = [];
    const buf = Buffer.allocUnsafe(chunkSize);
    let filePos = 0;
    let lineStart = 0;
    let lineNo = 1;
    let hasContent = false;
    let lastByte = -1; // last byte of the previous chunk (for CRLF across chunks)

    const endLine = (endAbs: number, crBefore: boolean): void => {
      if (hasContent) {
        const len = endAbs - lineStart - (crBefore ? 1 : 0);
        if (len > maxRecord) {
          errors.push({ message: `line ${lineNo}: record of ${formatBytes(len)} exceeds the ${formatBytes(maxRecord)} size limit; skipped`, source: { file: path, line: lineNo, byteOffset: lineStart } });
        } else {
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
          offsets[count] = lineStart;
          lengths[count] = len;
          lines[count] = lineNo;
          count++;
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
      opts.onProgress?.({ bytesRead: filePos, totalBytes, records: count });
    }
    if (hasContent) endLine(filePos, lastByte === 0x0d);
    return new JsonlIndex(path, count, offsets.subarray(0, count), lengths.subarray(0, count), lines.subarray(0, count), errors, totalBytes);
  } finally {
    await handle.close();
  }
}
