/**
 * Ratcliff/Obershelp "gestalt pattern matching", exactly as CPython's `difflib.SequenceMatcher(None, a, b)`
 * (no junk function, `autojunk=True`). ASAP stage 1 (arXiv 2508.05988) validates sections with
 * `SequenceMatcher(None, orig, comp).ratio() >= 0.6`, so the numbers here must equal difflib's.
 *
 * Strings are compared by Unicode code point, like Python `str`; indices returned by the string
 * helpers are code-point indices unless a function says otherwise.
 */

/** A maximal matching block: `a[a .. a+size) == b[b .. b+size)` (difflib's `Match`). */
export interface MatchingBlock {
  readonly a: number;
  readonly b: number;
  readonly size: number;
}

/** One edit operation of `get_opcodes()`: ranges are half-open, indices into the compared sequences. */
export interface Opcode {
  readonly tag: 'equal' | 'replace' | 'delete' | 'insert';
  readonly aStart: number;
  readonly aEnd: number;
  readonly bStart: number;
  readonly bEnd: number;
}

/** Element type the matcher accepts: anything usable as a `Map` key with value equality. */
export type SequenceElement = string | number;

/**
 * A port of `difflib.SequenceMatcher` with `isjunk=None` and `autojunk=True` (or `false` on request).
 * Build once per pair; `b` is indexed (like difflib, cache it when comparing many `a` against one `b`).
 */
export class SequenceMatcher<T extends SequenceElement> {
  private readonly b2j = new Map<T, number[]>();
  /** Elements dropped by the autojunk heuristic ("popular"); not junk, so extensions may still cross them. */
  readonly popular = new Set<T>();
  private blocks?: MatchingBlock[];

  constructor(
    readonly a: readonly T[],
    readonly b: readonly T[],
    readonly autojunk = true,
  ) {
    // difflib __chain_b: index every element of b, then purge popular elements when len(b) >= 200:
    // an element is popular when it occurs more than len(b) // 100 + 1 times.
    b.forEach((elt, j) => {
      const list = this.b2j.get(elt);
      if (list) list.push(j);
      else this.b2j.set(elt, [j]);
    });
    const n = b.length;
    if (autojunk && n >= 200) {
      const ntest = Math.floor(n / 100) + 1;
      for (const [elt, idxs] of this.b2j) if (idxs.length > ntest) this.popular.add(elt);
      for (const elt of this.popular) this.b2j.delete(elt);
    }
  }

  /** difflib `find_longest_match(alo, ahi, blo, bhi)`: longest block, earliest in `a`, then in `b`. */
  findLongestMatch(alo: number, ahi: number, blo: number, bhi: number): MatchingBlock {
    const { a, b, b2j } = this;
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const newj2len = new Map<number, number>();
      const js = b2j.get(a[i]!);
      if (js) {
        for (const j of js) {
          if (j < blo) continue;
          if (j >= bhi) break;
          const k = (j2len.get(j - 1) ?? 0) + 1;
          newj2len.set(j, k);
          if (k > bestsize) {
            besti = i - k + 1;
            bestj = j - k + 1;
            bestsize = k;
          }
        }
      }
      j2len = newj2len;
    }
    // Extend by equal elements on each side. With isjunk=None the junk set is empty, so difflib's
    // "non-junk" extension covers every element (popular ones included) and its junk pass is a no-op.
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) {
      bestsize++;
    }
    return { a: besti, b: bestj, size: bestsize };
  }

  /** difflib `get_matching_blocks()`: adjacent blocks collapsed, ends with the sentinel `(len a, len b, 0)`. */
  getMatchingBlocks(): readonly MatchingBlock[] {
    if (this.blocks) return this.blocks;
    const la = this.a.length;
    const lb = this.b.length;
    const queue: [number, number, number, number][] = [[0, la, 0, lb]];
    const found: MatchingBlock[] = [];
    while (queue.length) {
      const [alo, ahi, blo, bhi] = queue.pop()!;
      const m = this.findLongestMatch(alo, ahi, blo, bhi);
      if (m.size) {
        found.push(m);
        if (alo < m.a && blo < m.b) queue.push([alo, m.a, blo, m.b]);
        if (m.a + m.size < ahi && m.b + m.size < bhi) queue.push([m.a + m.size, ahi, m.b + m.size, bhi]);
      }
    }
    found.sort((x, y) => x.a - y.a || x.b - y.b || x.size - y.size);
    const out: MatchingBlock[] = [];
    let i1 = 0;
    let j1 = 0;
    let k1 = 0;
    for (const { a: i2, b: j2, size: k2 } of found) {
      if (i1 + k1 === i2 && j1 + k1 === j2) {
        k1 += k2;
      } else {
        if (k1) out.push({ a: i1, b: j1, size: k1 });
        i1 = i2;
        j1 = j2;
        k1 = k2;
      }
    }
    if (k1) out.push({ a: i1, b: j1, size: k1 });
    out.push({ a: la, b: lb, size: 0 });
    this.blocks = out;
    return out;
  }

  /** difflib `get_opcodes()`. */
  getOpcodes(): Opcode[] {
    let i = 0;
    let j = 0;
    const ops: Opcode[] = [];
    for (const { a: ai, b: bj, size } of this.getMatchingBlocks()) {
      const tag = i < ai && j < bj ? 'replace' : i < ai ? 'delete' : j < bj ? 'insert' : null;
      if (tag) ops.push({ tag, aStart: i, aEnd: ai, bStart: j, bEnd: bj });
      i = ai + size;
      j = bj + size;
      if (size) ops.push({ tag: 'equal', aStart: ai, aEnd: i, bStart: bj, bEnd: j });
    }
    return ops;
  }

  /** difflib `ratio()`: 2·M / T, and 1.0 when both sequences are empty. */
  ratio(): number {
    const matches = this.getMatchingBlocks().reduce((sum, m) => sum + m.size, 0);
    return ratioFrom(matches, this.a.length + this.b.length);
  }

  /** difflib `quick_ratio()`: an upper bound on `ratio()` from element counts only. */
  quickRatio(): number {
    const avail = new Map<T, number>();
    for (const elt of this.b) avail.set(elt, (avail.get(elt) ?? 0) + 1);
    let matches = 0;
    for (const elt of this.a) {
      const n = avail.get(elt) ?? 0;
      if (n > 0) {
        matches++;
        avail.set(elt, n - 1);
      }
    }
    return ratioFrom(matches, this.a.length + this.b.length);
  }

  /** difflib `real_quick_ratio()`: an upper bound on `ratio()` from lengths only. */
  realQuickRatio(): number {
    return ratioFrom(Math.min(this.a.length, this.b.length), this.a.length + this.b.length);
  }
}

function ratioFrom(matches: number, length: number): number {
  return length ? (2.0 * matches) / length : 1.0;
}

/** Code points of a string, as Python iterates a `str`. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

/** `difflib.SequenceMatcher(None, a, b).ratio()` for two strings (autojunk on, as in ASAP). */
export function gestaltRatio(a: string, b: string, autojunk = true): number {
  if (a === b) return 1.0;
  return new SequenceMatcher(codePoints(a), codePoints(b), autojunk).ratio();
}

/** `difflib.SequenceMatcher(None, a, b).get_matching_blocks()` for two strings, in code-point indices. */
export function matchingBlocks(a: string, b: string, autojunk = true): readonly MatchingBlock[] {
  return new SequenceMatcher(codePoints(a), codePoints(b), autojunk).getMatchingBlocks();
}

/**
 * True when `gestaltRatio(a, b) >= threshold`, skipping the full computation when difflib's cheap
 * upper bounds already fall below the threshold (as `difflib.get_close_matches` does).
 */
export function gestaltAtLeast(a: string, b: string, threshold: number): boolean {
  if (a === b) return 1.0 >= threshold;
  const m = new SequenceMatcher(codePoints(a), codePoints(b));
  return m.realQuickRatio() >= threshold && m.quickRatio() >= threshold && m.ratio() >= threshold;
}
