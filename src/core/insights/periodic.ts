/**
 * Maximal periodic runs ("tandem repeats") in a sequence of keys (words or steps), in near-linear time.
 *
 * A run with period `p` is a maximal interval `[start, end)` on which `keys[j] === keys[j + p]` for every
 * `start <= j < end - p`: the first `p` units are the cycle, the rest repeats it. Seeds come from a
 * rolling hash of every `window`-unit span: the earlier occurrences of the same span (the most recent
 * `candidates` of them) give candidate periods, each verified on the keys themselves and extended both
 * ways. Runs of one period are disjoint, so each is explored once; hash collisions cost a failed
 * verification, never a wrong run. Cost: O(n · candidates) hashing and verification plus the explored
 * lengths.
 *
 * Why more than one candidate: with one-unit windows (steps), a cycle whose every step recurs inside the
 * cycle ("A B A B A", repeated) is only reached through an older occurrence. Word windows carry enough
 * context that the most recent occurrence suffices.
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
 * Scratch tables reused across calls (one scan per trace, millions of traces): an open-addressing
 * hash table from span hash to its last start and count, the previous start of each span, and the
 * explored end per period. A slot belongs to the current call when its stamp equals the call's
 * generation, so nothing is cleared between calls.
 */
class Scratch {
  generation = 0;
  mask = 0;
  stamps = new Int32Array(0);
  hashes = new Int32Array(0);
  lasts = new Int32Array(0);
  counts = new Int32Array(0);
  previous = new Int32Array(0);
  exploredStamps = new Int32Array(0);
  explored = new Int32Array(0);

  begin(n: number): void {
    let size = 1024;
    while (size < 2 * n) size *= 2;
    if (size > this.stamps.length) {
      this.stamps = new Int32Array(size);
      this.hashes = new Int32Array(size);
      this.lasts = new Int32Array(size);
      this.counts = new Int32Array(size);
      this.generation = 0;
    }
    this.mask = this.stamps.length - 1;
    if (n + 1 > this.explored.length) {
      const length = Math.max(n + 1, this.explored.length * 2);
      this.explored = new Int32Array(length);
      this.exploredStamps = new Int32Array(length);
      this.previous = new Int32Array(length);
      this.generation = 0;
    }
    if (this.generation >= 0x7ffffffe) this.generation = 0;
    if (this.generation === 0) {
      this.stamps.fill(0);
      this.exploredStamps.fill(0);
    }
    this.generation++;
  }

  /** Slot of `h`: its own when present, else the empty slot where it goes. */
  slot(h: number): number {
    let i = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) & this.mask;
    while (this.stamps[i] === this.generation && this.hashes[i] !== h) i = (i + 1) & this.mask;
    return i;
  }
}

const scratch = new Scratch();

/** True when `keys[a, a + w)` equals `keys[b, b + w)`. */
function sameSpan(keys: Float64Array, a: number, b: number, w: number): boolean {
  for (let k = 0; k < w; k++) if (keys[a + k] !== keys[b + k]) return false;
  return true;
}

/**
 * Scans `keys` for periodic runs of at least `minRepetitions` full cycles, seeded by repeated spans of
 * `window` units (use 1 for steps; a word window of ~10 keeps chance matches of common phrases out),
 * trying the `candidates` most recent earlier occurrences of each span (default 1). `repeatedInto`, when
 * long enough, receives the `repeated` flags instead of a new array.
 */
export function scanSpans(keys: Float64Array, window: number, minRepetitions = 2, candidates = 1, repeatedInto?: Uint8Array): SpanScan {
  const n = keys.length;
  const w = Math.max(1, Math.floor(window));
  const repeated = repeatedInto && repeatedInto.length >= n ? repeatedInto.subarray(0, n).fill(0) : new Uint8Array(n);
  const runs: PeriodicRun[] = [];
  let mostRepeated = { start: 0, count: 0 };
  if (n < w + 1) return { runs, repeated, mostRepeated };
  const t = scratch;
  t.begin(n);
  const gen = t.generation;
  let pow = 1;
  for (let k = 1; k < w; k++) pow = Math.imul(pow, BASE);
  let h = 0;
  for (let k = 0; k < w; k++) h = (Math.imul(h, BASE) + low(keys[k]!)) | 0;
  let coveredTo = 0;
  // The last run reported: a multiple of its period inside it is the same repetition, not a new one.
  let lastRun: PeriodicRun | undefined;
  for (let i = 0; i + w <= n; i++) {
    if (i > 0) h = (Math.imul((h - Math.imul(low(keys[i - 1]!), pow)) | 0, BASE) + low(keys[i + w - 1]!)) | 0;
    const at = t.slot(h);
    if (t.stamps[at] !== gen) {
      t.stamps[at] = gen;
      t.hashes[at] = h;
      t.lasts[at] = i;
      t.counts[at] = 1;
      t.previous[i] = -1;
      continue;
    }
    const latest = t.lasts[at]!;
    t.lasts[at] = i;
    t.previous[i] = latest;
    if (!sameSpan(keys, latest, i, w)) continue; // a hash collision
    for (let j = Math.max(i, coveredTo); j < i + w; j++) repeated[j] = 1;
    coveredTo = Math.max(coveredTo, i + w);
    const count = ++t.counts[at]!;
    if (count > mostRepeated.count) mostRepeated = { start: i, count };
    let prev = latest;
    for (let c = 0; c < candidates && prev >= 0; c++, prev = t.previous[prev]!) {
      const p = i - prev;
      // Runs of one period never overlap: skip seeds inside the run already explored for `p`.
      if (t.exploredStamps[p] === gen && prev < t.explored[p]!) continue;
      if (lastRun && p % lastRun.period === 0 && prev >= lastRun.start && i + w <= lastRun.end) continue;
      if (c > 0 && !sameSpan(keys, prev, i, w)) continue;
      let left = prev;
      while (left > 0 && keys[left - 1] === keys[left - 1 + p]) left--;
      let right = prev + w;
      while (right + p < n && keys[right] === keys[right + p]) right++;
      t.exploredStamps[p] = gen;
      t.explored[p] = right;
      // keys[j] === keys[j + p] for j in [left, right): the run is [left, right + p).
      if (right - left + p >= minRepetitions * p) {
        lastRun = { start: left, end: right + p, period: p };
        runs.push(lastRun);
      }
    }
  }
  return { runs, repeated, mostRepeated };
}
