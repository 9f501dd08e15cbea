/**
 * Word scanning for the insights (loops, behaviours): one pass over the characters of a string, no
 * substrings, no regular expressions, so a 1 GB dataset is scanned at memory speed. Words are hashed
 * on the fly into 53-bit keys (two 32-bit FNV-1a variants side by side) that compare like the words
 * themselves: a collision needs two different words of one trace to agree on 53 bits.
 */

/** True for the characters `\s` matches (ASCII and Unicode spaces, line separators, BOM). */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;
const SECOND_OFFSET = 0x9747b28c | 0;
const SECOND_PRIME = 0x5bd1e995;
/** 2^21: the second hash contributes its top 21 bits, so a key stays an exact integer in a double. */
const LOW_BITS = 2097152;

/** Combines the two running hashes of a word (or of a sequence of words) into one 53-bit key. */
export function combineKey(h1: number, h2: number): number {
  return (h1 >>> 0) * LOW_BITS + (h2 >>> 11);
}

/** The words of a text: `[start, end)` offsets and a key per word (equal words, equal keys). */
export interface WordList {
  readonly count: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly keys: Float64Array;
}

/** Grows a typed array to at least `n` elements, keeping its contents. */
function grow<T extends Int32Array | Float64Array>(a: T, n: number): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as new (len: number) => T)(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Splits text into whitespace-separated words, exactly as written (case and punctuation count: a loop
 * repeats text verbatim). Its buffers are reused from one call to the next (a dataset scan calls it
 * millions of times), so a returned list is valid until the next call on the same scanner.
 */
export class WordScanner {
  private starts = new Int32Array(1024);
  private ends = new Int32Array(1024);
  private keys = new Float64Array(1024);

  /** The words of `text[from, to)`. */
  scan(text: string, from = 0, to = text.length): WordList {
    let { starts, ends, keys } = this;
    let cap = starts.length;
    let count = 0;
    let i = from;
    while (i < to) {
      while (i < to && isSpace(text.charCodeAt(i))) i++;
      if (i >= to) break;
      const start = i;
      let h1 = FNV_OFFSET;
      let h2 = SECOND_OFFSET;
      for (let c = text.charCodeAt(i); i < to && !isSpace(c); c = text.charCodeAt(++i)) {
        h1 = Math.imul(h1 ^ c, FNV_PRIME);
        h2 = Math.imul(h2 ^ c, SECOND_PRIME);
      }
      if (count === cap) {
        cap *= 2;
        starts = this.starts = grow(starts, cap);
        ends = this.ends = grow(ends, cap);
        keys = this.keys = grow(keys, cap);
      }
      starts[count] = start;
      ends[count] = i;
      keys[count] = combineKey(h1, h2);
      count++;
    }
    return { count, starts: starts.subarray(0, count), ends: ends.subarray(0, count), keys: keys.subarray(0, count) };
  }
}

/** The words of `text[from, to)` in fresh arrays (see {@link WordScanner} for the reusing version). */
export function scanWords(text: string, from = 0, to = text.length): WordList {
  return new WordScanner().scan(text, from, to);
}

/**
 * One key for a run of word keys (`keys[from, to)`): equal word sequences get equal keys, so two steps
 * that differ only in whitespace compare equal.
 */
export function sequenceKey(keys: Float64Array, from: number, to: number): number {
  let h1 = FNV_OFFSET ^ (to - from);
  let h2 = SECOND_OFFSET;
  for (let i = from; i < to; i++) {
    const k = keys[i]!;
    h1 = Math.imul(h1 ^ (k >>> 0), FNV_PRIME);
    h2 = Math.imul(h2 ^ ((k / LOW_BITS) >>> 0), SECOND_PRIME);
  }
  return combineKey(h1, h2);
}
