/**
 * Full-text search over the prompt, reasoning and answer of every row of a dataset, with memory bounded
 * whatever the file's size. The index is built lazily (on the first search) in the background: each
 * row's texts, lower-cased with whitespace collapsed, go to a scratch file in the temp folder as one
 * line (`id ␁ prompt ␂ reasoning ␃ answer ␄ error`), and only the rows' byte offsets stay in memory
 * (8 bytes a row). A search reads that file in chunks of whole rows, finds the rarest-looking word with
 * `Buffer.indexOf` (native, no JSON parsing, no per-row string unless a row is a candidate) and checks
 * the candidates' every term, so a 1 GB dataset is searched again in about the time it takes to read
 * its text. Node's `fs`, no `vscode`.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowText } from './summary';

/** A full-text term of a filter. */
export interface TextTerm {
  /** Lower-cased, whitespace collapsed (see {@link normaliseForSearch}). */
  readonly needle: string;
  /** `any`: id, prompt, reasoning, answer and error; else that part only. */
  readonly field: 'any' | 'prompt' | 'reasoning';
  readonly negate: boolean;
}

/** Field separators inside a row's line; never in a normalised text (control characters become spaces). */
const SEP_PROMPT = '\u0001';
const SEP_REASONING = '\u0002';
const SEP_ANSWER = '\u0003';
const SEP_ERROR = '\u0004';

/** Lower case, control characters as spaces, every run of whitespace one space: how texts and needles are compared. */
export function normaliseForSearch(text: string): string {
  return text.toLowerCase().replace(/[\s\u0000-\u001f\u007f]+/g, ' ');
}

/** The line a row is stored as (without its newline). */
export function rowLine(text: RowText): string {
  const n = normaliseForSearch;
  return `${n(text.id)}${SEP_PROMPT}${n(text.prompt)}${SEP_REASONING}${n(text.reasoning)}${SEP_ANSWER}${n(text.answer)}${SEP_ERROR}${n(text.error)}`;
}

/** True when a stored row line satisfies every term. */
export function lineMatches(line: string, terms: readonly TextTerm[]): boolean {
  for (const term of terms) {
    let hay = line;
    if (term.field !== 'any') {
      const from = line.indexOf(term.field === 'prompt' ? SEP_PROMPT : SEP_REASONING);
      const to = line.indexOf(term.field === 'prompt' ? SEP_REASONING : SEP_ANSWER, from + 1);
      hay = from < 0 || to < 0 ? '' : line.slice(from + 1, to);
    }
    if (hay.includes(term.needle) === term.negate) return false;
  }
  return true;
}

/** Bytes of whole rows read per search step (a longer row is read whole). */
const SEARCH_CHUNK_BYTES = 4 * 1024 * 1024;
/** Pending rows are written out once they reach this size. */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/** The lazily built search index of one dataset: see the module comment. Call {@link dispose} when done. */
export class TextIndex {
  private readonly dir: string;
  private readonly fd: number;
  /** Byte offset of row `i`'s line in the scratch file; entry `rows` is the end of the last line. */
  private starts = new Float64Array(1024);
  private count = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private written = 0;
  private readBuffer = Buffer.allocUnsafe(SEARCH_CHUNK_BYTES);
  private closed = false;
  /** True once every row of the dataset was added. */
  complete = false;

  /** Creates the scratch file under `parent` (the temp folder by default). */
  constructor(parent: string = tmpdir()) {
    this.dir = mkdtempSync(join(parent, 'rl-search-'));
    this.fd = openSync(join(this.dir, 'rows.txt'), 'w+', 0o600);
  }

  /** Rows added so far. */
  get rows(): number {
    return this.count;
  }

  /** Bytes of text stored. */
  get bytes(): number {
    return this.starts[this.count] ?? 0;
  }

  /** Appends the next row (rows are numbered in the order they are added). */
  add(text: RowText): void {
    const line = `${rowLine(text)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.count + 2 > this.starts.length) {
      const grown = new Float64Array(this.starts.length * 2);
      grown.set(this.starts);
      this.starts = grown;
    }
    this.starts[this.count + 1] = (this.starts[this.count] ?? 0) + bytes;
    this.count++;
    this.pending.push(line);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= WRITE_BUFFER_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''));
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, this.written + done);
    this.written += buf.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** The stored line of row `i` (tests and diagnostics). */
  line(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`row ${i} is not indexed (0..${this.count - 1})`);
    this.flush();
    const start = this.starts[i] ?? 0;
    const buf = this.read(start, (this.starts[i + 1] ?? start) - start);
    return buf.toString('utf8', 0, buf.length - 1);
  }

  private read(start: number, length: number): Buffer {
    if (this.readBuffer.length < length) this.readBuffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, this.readBuffer, done, length - done, start + done);
      if (n === 0) break;
      done += n;
    }
    return this.readBuffer.subarray(0, done);
  }

  /** The row whose line holds byte `offset` (binary search over the offsets). */
  private rowAt(offset: number, lo: number, hi: number): number {
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Decides rows from `from` on for `terms`, one chunk of whole rows (about 4 MB, at least one row) at a
   * time, and calls `onMatch` for each matching row in order. Returns the first row not decided yet
   * (`from` when no row is indexed past it).
   */
  searchChunk(from: number, terms: readonly TextTerm[], onMatch: (row: number) => void): number {
    if (this.closed || from >= this.count) return from;
    this.flush();
    let to = from + 1;
    const base = this.starts[from] ?? 0;
    while (to < this.count && (this.starts[to + 1] ?? 0) - base <= SEARCH_CHUNK_BYTES) to++;
    const buf = this.read(base, (this.starts[to] ?? base) - base);
    const decode = (row: number): string => buf.toString('utf8', (this.starts[row] ?? 0) - base, (this.starts[row + 1] ?? 0) - base - 1);
    // The longest positive needle is likely the rarest: only rows holding it are decoded and checked.
    const positive = terms.filter((t) => !t.negate && t.needle !== '').sort((a, b) => b.needle.length - a.needle.length)[0];
    if (!positive) {
      for (let row = from; row < to; row++) if (lineMatches(decode(row), terms)) onMatch(row);
      return to;
    }
    const needle = Buffer.from(positive.needle);
    let pos = 0;
    while (pos < buf.length) {
      const hit = buf.indexOf(needle, pos);
      if (hit < 0) break;
      const row = this.rowAt(base + hit, from, to - 1);
      if (lineMatches(decode(row), terms)) onMatch(row);
      pos = (this.starts[row + 1] ?? 0) - base;
    }
    return to;
  }

  /** Deletes the scratch file. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    try {
      closeSync(this.fd);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
