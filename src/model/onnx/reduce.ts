/**
 * The per-row reduction of a logits matrix into what scoring needs: log-sum-exp, the chosen token's
 * logprob, the full-vocabulary entropy and the top-k candidates — in ONE pass over each row, with no
 * allocation per row. This loop touches T × V floats and is, with the forward pass itself, the cost of
 * scoring, so it is written for V8: typed arrays, monomorphic numbers, no closures.
 *
 * Entropy in one pass uses the identity H = log S − U / S, with S = Σ e^{x−m} and U = Σ e^{x−m}(x−m)
 * for the running maximum m; when m grows by δ, S ← S·e^{−δ} and U ← (U − δ·S_old)·e^{−δ}.
 * (A table-driven exp was tried: no faster than V8's Math.exp here, so it was dropped.)
 */

/** Output buffers for `T` positions (reused across chunks). */
export interface ReductionOutput {
  readonly logprob: Float32Array;
  readonly entropy: Float32Array | null;
  readonly k: number;
  /** `T × k` ids, descending by logit. */
  readonly topIds: Int32Array | null;
  /** `T × k` logprobs. */
  readonly topLogprobs: Float32Array | null;
  /** 1-based rank of the observed token in the row (1 + logits above it), or null when not asked. */
  readonly rank: Int32Array | null;
}

/** Allocates output buffers for `positions` rows (`rank`: also the observed token's rank, GLTR-style). */
export function createReductionOutput(positions: number, k: number, entropy: boolean, rank = false): ReductionOutput {
  const logprob = new Float32Array(positions).fill(NaN);
  return {
    logprob,
    entropy: entropy ? new Float32Array(positions).fill(NaN) : null,
    k,
    topIds: k > 0 ? new Int32Array(positions * k).fill(-1) : null,
    topLogprobs: k > 0 ? new Float32Array(positions * k).fill(NaN) : null,
    rank: rank ? new Int32Array(positions) : null,
  };
}

/** Scratch space for the top-k heap (one per reducer, reused for every row). */
export class TopKScratch {
  readonly values: Float64Array;
  readonly ids: Int32Array;
  constructor(readonly k: number) {
    this.values = new Float64Array(Math.max(1, k));
    this.ids = new Int32Array(Math.max(1, k));
  }
}

/**
 * Reduces `rows` consecutive rows of `logits` (row r starts at `r * vocab + logitsOffset`). Row r is the
 * distribution for output position `outStart + r`, whose observed token is `targets[r]` (`< 0` = none).
 */
export function reduceRows(
  logits: Float32Array,
  logitsOffset: number,
  rows: number,
  vocab: number,
  targets: Int32Array,
  out: ReductionOutput,
  outStart: number,
  scratch: TopKScratch | null,
): void {
  const k = out.k;
  const wantEntropy = out.entropy !== null;
  const wantRank = out.rank !== null;
  for (let r = 0; r < rows; r++) {
    const base = logitsOffset + r * vocab;
    const end = base + vocab;
    const target = targets[r]!;
    // The observed token's logit: counting the logits above it gives its rank in the same pass.
    const observed = wantRank && target >= 0 ? logits[base + target]! : Infinity;
    let above = 0;
    let m = logits[base]!;
    let s = 0;
    let u = 0;
    let filled = 0;
    let threshold = -Infinity;
    if (wantEntropy) {
      for (let i = base; i < end; i++) {
        const x = logits[i]!;
        if (x > m) {
          const d = x - m;
          const f = Math.exp(-d);
          u = (u - d * s) * f;
          s = s * f;
          m = x;
        }
        const y = x - m;
        const e = Math.exp(y);
        s += e;
        u += e * y;
        if (x > observed) above++;
        if (k > 0 && x > threshold) {
          filled = heapPush(scratch!, k, filled, x, i - base);
          threshold = filled === k ? scratch!.values[0]! : -Infinity;
        }
      }
    } else {
      // Max first, then one exp per element without rescaling: cheaper when entropy is not wanted.
      for (let i = base + 1; i < end; i++) if (logits[i]! > m) m = logits[i]!;
      for (let i = base; i < end; i++) {
        const x = logits[i]!;
        s += Math.exp(x - m);
        if (x > observed) above++;
        if (k > 0 && x > threshold) {
          filled = heapPush(scratch!, k, filled, x, i - base);
          threshold = filled === k ? scratch!.values[0]! : -Infinity;
        }
      }
    }
    const logS = Math.log(s);
    const logZ = m + logS;
    const pos = outStart + r;
    if (target >= 0) out.logprob[pos] = logits[base + target]! - logZ;
    if (wantRank && target >= 0) out.rank![pos] = above + 1;
    if (wantEntropy) out.entropy[pos] = logS - u / s;
    if (k > 0) writeTopK(scratch!, filled, logZ, out, pos);
  }
}

/** Pushes into a min-heap of size ≤ k; returns the new fill. */
function heapPush(h: TopKScratch, k: number, filled: number, value: number, id: number): number {
  const vals = h.values;
  const ids = h.ids;
  let i: number;
  if (filled < k) {
    i = filled++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (vals[parent]! <= value) break;
      vals[i] = vals[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    vals[i] = value;
    ids[i] = id;
    return filled;
  }
  // Replace the root (the smallest kept) and sift down.
  i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= k) break;
    const r = l + 1;
    const c = r < k && vals[r]! < vals[l]! ? r : l;
    if (vals[c]! >= value) break;
    vals[i] = vals[c]!;
    ids[i] = ids[c]!;
    i = c;
  }
  vals[i] = value;
  ids[i] = id;
  return filled;
}

/** Writes the heap's contents, descending (ties: lower id first), as logprobs. */
function writeTopK(h: TopKScratch, filled: number, logZ: number, out: ReductionOutput, pos: number): void {
  const vals = h.values;
  const ids = h.ids;
  // k is small (≤ 20 typically): insertion sort of the heap in place, then copy.
  for (let j = 1; j < filled; j++) {
    const v = vals[j]!;
    const id = ids[j]!;
    let p = j;
    while (p > 0 && (vals[p - 1]! < v || (vals[p - 1] === v && ids[p - 1]! > id))) {
      vals[p] = vals[p - 1]!;
      ids[p] = ids[p - 1]!;
      p--;
    }
    vals[p] = v;
    ids[p] = id;
  }
  const base = pos * out.k;
  for (let j = 0; j < filled; j++) {
    out.topLogprobs![base + j] = vals[j]! - logZ;
    out.topIds![base + j] = ids[j]!;
  }
}

/** Index of the largest value in `row[offset, offset+vocab)` (greedy decoding). */
export function argmax(row: Float32Array, offset: number, vocab: number): number {
  let best = offset;
  let bestValue = row[offset]!;
  const end = offset + vocab;
  for (let i = offset + 1; i < end; i++) {
    if (row[i]! > bestValue) {
      bestValue = row[i]!;
      best = i;
    }
  }
  return best - offset;
}

/** Converts IEEE half floats to float32 (fp16 model exports return fp16 logits). */
export function halfToFloat(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  for (let i = 0; i < src.length; i++) {
    const h = src[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) dst[i] = sign * frac * 2 ** -24;
    else if (exp === 31) dst[i] = frac ? NaN : sign * Infinity;
    else dst[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return dst;
}
