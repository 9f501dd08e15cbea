/**
 * A small streaming scanner for a JSON document whose top level is an array: fed bytes chunk by chunk,
 * it reports the byte range and line of every top-level element without parsing (string- and
 * escape-aware). Pure: the reader owns the I/O. Memory: O(1).
 */

/** One top-level element: bytes `[start, end)` of the file, 1-based line of its first byte. */
export interface ArrayElement {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d, QUOTE = 0x22, BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d, OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, COMMA = 0x2c;

function isSpace(b: number): boolean {
  return b === SPACE || b === TAB || b === LF || b === CR;
}

/** Streaming element-boundary scanner. Call {@link feed} with consecutive chunks, then {@link finish}. */
export class JsonArrayScanner {
  private offset = 0;
  private line = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private done = false;
  private elementStart = -1;
  private elementLine = 0;
  /** Offset just past the last non-space byte of the current element. */
  private lastNonSpace = -1;
  private count = 0;
  /** A problem that stops the scan (not an array, junk after the end…). */
  error: string | undefined;

  /** Scans `chunk` (the bytes that follow the previous chunk) and calls `onElement` for each finished element. */
  feed(chunk: Uint8Array, onElement: (e: ArrayElement) => void): void {
    for (let i = 0; i < chunk.length; i++) {
      if (this.error) return;
      const b = chunk[i]!;
      const pos = this.offset + i;
      if (b === LF) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        this.lastNonSpace = pos + 1;
        continue;
      }
      if (!this.started) {
        if (isSpace(b) || (pos < 3 && (b === 0xef || b === 0xbb || b === 0xbf))) continue;
        if (b !== OPEN_BRACKET) {
          this.error = 'top level is not a JSON array';
          return;
        }
        this.started = true;
        continue;
      }
      if (this.done) {
        if (!isSpace(b)) this.error = `unexpected data after the end of the array at byte ${pos}`;
        continue;
      }
      if (this.depth === 0) {
        if (isSpace(b)) continue;
        if (b === COMMA || b === CLOSE_BRACKET) {
          if (this.elementStart >= 0) {
            onElement({ index: this.count++, start: this.elementStart, end: this.lastNonSpace, line: this.elementLine });
            this.elementStart = -1;
          }
          if (b === CLOSE_BRACKET) this.done = true;
          continue;
        }
        if (this.elementStart < 0) {
          this.elementStart = pos;
          this.elementLine = this.line;
        }
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) this.depth--;
      if (!isSpace(b)) this.lastNonSpace = pos + 1;
    }
    this.offset += chunk.length;
  }

  /** Ends the scan; returns an error message when the array was not closed. */
  finish(): string | undefined {
    if (this.error) return this.error;
    if (!this.started) return 'empty file';
    if (!this.done) return `unterminated JSON array (file ends at line ${this.line})`;
    return undefined;
  }

  /** Bytes of the current, unfinished element so far (for size limits). */
  currentElementBytes(): number {
    return this.elementStart >= 0 ? this.offset - this.elementStart : 0;
  }
}
