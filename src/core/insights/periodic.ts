/**
 * Maximal periodic runs ("tandem repeats") in a sequence of keys (words or steps), in near-linear time.
 *
 * A run with period `p` is a maximal interval `[start, end)` on which `keys[j] === keys[j + p]` for every
 * `start <= j < end - p`: the first `p` units are the cycle, the rest repeats it. Seeds come from a
 * rolling hash of every `window`-unit span: the most recent earlier occurrence of the same span gives a
 * candidate period, which is then verified on the keys themselves and extended both ways. Runs of one
 * period are disjoint, so each is explored once; hash collisions cost a failed verification, never a
 * wrong run. Cost: O(n) hashing plus the explored lengths (O(n · window) in the worst case).
 */

/** One maximal periodic run, in units of the input sequence. */
export interface PeriodicRun {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly period: number;
}

/** What the span scan also measures on the way (loop reports use it for the repetition score). */
export interface SpanScan {
  readonly runs: PeriodicRun[];
  /** 1 for each unit inside a `window`-unit span that occurred earlier in the sequence, else 0. */
  readonly repeated: Uint8Array;
  /** The span that occurs most often (start unit, occurrences); count 0 when no span repeats. */
  readonly mostRepeated: { readonly start: number; readonly count: number };
}

const BASE = 0x01000193;

/** Low 32 bits of a 53-bit key, as a signed int for `Math.imul`. */
function low(k: number): number {
  return k | 0;
}

/**
 * Scans `keys` for periodic runs of at least `minRepetitions` full cycles, seeded by repeated spans of
 * `window` units (use 1 for steps; a word window of ~10 keeps chance matches of common phrases out).
 */
export function scanSpans(keys: Float64Array, window: number, minRepetitions = 2): SpanScan {
  const n = keys.length;
  const w = Math.max(1, Math.floor(window));
  const repeated = new Uint8Array(n);
  const runs: PeriodicRun[] = [];
  let mostRepeated = { start: 0, count: 0 };
  if (n < w + 1) return { runs, repeated, mostRepeated };
  // Most recent start of each span hash, and how often it was seen.
  const last = new Map<number, number>();
  const seen = new Map<number, number>();
  // Per period: the first unit not yet explored (runs of one period never overlap).
  const explored = new Map<number, number>();
  let pow = 1;
  for (let t = 1; t < w; t++) pow = Math.imul(pow, BASE);
  let h = 0;
  for (let t = 0; t < w; t++) h = (Math.imul(h, BASE) + low(keys[t])) | 0;
  let coveredTo = 0;
  for (let i = 0; i + w <= n; i++) {
    if (i > 0) h = (Math.imul((h - Math.imul(low(keys[i - 1]), pow)) | 0, BASE) + low(keys[i + w - 1])) | 0;
    const prev = last.get(h);
    last.set(h, i);
    if (prev === undefined) continue;
    const p = i - prev;
    // Verify the span itself (the hash may collide).
    let same = true;
    for (let t = 0; t < w; t++) {
      if (keys[prev + t] !== keys[i + t]) {
        same = false;
        break;
      }
    }
    if (!same) continue;
    for (let j = Math.max(i, coveredTo); j < i + w; j++) repeated[j] = 1;
    coveredTo = Math.max(coveredTo, i + w);
    const count = (seen.get(h) ?? 1) + 1;
    seen.set(h, count);
    if (count > mostRepeated.count) mostRepeated = { start: i, count };
    if (prev < (explored.get(p) ?? 0)) continue;
    let left = prev;
    while (left > 0 && keys[left - 1] === keys[left - 1 + p]) left--;
    let right = prev + w;
    while (right + p < n && keys[right] === keys[right + p]) right++;
    explored.set(p, right);
    // keys[j] === keys[j + p] for j in [left, right): the run is [left, right + p).
    if (right - left + p >= minRepetitions * p) runs.push({ start: left, end: right + p, period: p });
  }
  return { runs, repeated, mostRepeated };
}
