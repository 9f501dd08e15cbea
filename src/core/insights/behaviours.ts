/**
 * Recurring behaviours across a dataset: steps that many traces contain in nearly the same words
 * ("Wait, let me double-check the sample input", "Alternatively, maybe we can model this as …"), after
 * Metacognitive Reuse (Didolkar et al. 2025, arXiv 2509.13237), which mines recurring reasoning fragments
 * into named behaviours. Ours is model-free and streaming:
 *
 * 1. normalise a step: lower case, every number one `#`, punctuation and LaTeX markup dropped; keep the
 *    first `headWords` words (a behaviour shows in how a step opens, the rest is problem-specific);
 * 2. word-bigram shingles → a MinHash signature by one-permutation hashing with rotation densification
 *    (Shrivastava & Li 2014): one hash per shingle instead of one per shingle and permutation;
 * 3. LSH: `bands` bands of `rows` rows; a step joins the first cluster whose leader's signature agrees
 *    on ≥ `threshold` of the slots (estimated Jaccard), else leads a new cluster (leader clustering);
 * 4. bounded memory by lossy counting (Manku & Motwani 2002) over traces: every `1/epsilon` traces the
 *    clusters whose trace count cannot reach `epsilon` of the traces are dropped, so a share is
 *    undercounted by at most `epsilon` (each behaviour reports its bound).
 * Pure: no I/O. Feed traces with {@link BehaviourMiner.addTrace}, read {@link BehaviourMiner.result}.
 */
import { estimateTokens } from '../session';
import { isSpace } from './words';
import type { StepRef, TraceRef } from './refs';

/** Options of {@link BehaviourMiner}. */
export interface BehaviourOptions {
  /** Words of a step's opening that define it (default 24). */
  readonly headWords?: number;
  /** Steps with fewer words (numbers aside) are ignored ("Wait." alone is not a behaviour); default 3. */
  readonly minWords?: number;
  /** Estimated Jaccard similarity to join a cluster (default 0.5). */
  readonly threshold?: number;
  /** Share of traces below which a cluster may be forgotten (default 0.001 = 0.1%). */
  readonly epsilon?: number;
  /** Hard cap on live clusters (default 250,000); the rarest go first when it is hit. */
  readonly maxClusters?: number;
  /** Examples kept per behaviour, from distinct traces (default 3). */
  readonly examples?: number;
  /** Characters of each example's text kept (default 400). */
  readonly exampleChars?: number;
}

/** A step as the miner needs it. */
export interface BehaviourStep {
  readonly text: string;
  /** Token count when known (else ~4 characters per token). */
  readonly tokens?: number;
}

/** One example occurrence. */
export interface BehaviourExample extends StepRef {
  /** The step's text, cut to `exampleChars`. */
  readonly text: string;
}

/** Where in the trace a behaviour tends to occur. */
export type TracePosition = 'early' | 'middle' | 'late';

/** One recurring behaviour. */
export interface Behaviour {
  /** 1-based rank in the report. */
  readonly rank: number;
  /** The opening words of the first occurrence, whitespace collapsed. */
  readonly label: string;
  /** Traces that contain it at least once. */
  readonly traces: number;
  /** `traces` / traces scanned. */
  readonly share: number;
  /** Most traces it may have been undercounted by (lossy counting; 0 when never at risk). */
  readonly tracesError: number;
  /** Steps that matched it. */
  readonly occurrences: number;
  /** Where it occurs most often: first, middle or last third of the steps. */
  readonly position: TracePosition;
  /** Shares of occurrences in the first, middle and last third. */
  readonly positionShares: readonly [number, number, number];
  /** Mean relative position, 0 (first step) to 1 (last step). */
  readonly meanPosition: number;
  readonly averageTokens: number;
  readonly examples: readonly BehaviourExample[];
}

/** What {@link BehaviourMiner.result} returns. */
export interface BehaviourReport {
  readonly traces: number;
  readonly steps: number;
  /** Steps long enough to be clustered. */
  readonly clusteredSteps: number;
  /** Clusters alive at the end, and dropped on the way (lossy counting). */
  readonly clusters: number;
  readonly evicted: number;
  readonly behaviours: readonly Behaviour[];
}

/** Slots of a signature: `BANDS` bands of `ROWS` rows. */
const BANDS = 8;
const ROWS = 3;
const SLOTS = BANDS * ROWS;
const EMPTY = 0xffffffff;

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;
const NUMBER_WORD = fmix32(0x23); // '#'

/**
 * Normalised word hashes of the opening of `text`: letters lower-cased, apostrophes dropped, a run of
 * digits (with inner `.`/`,`) one number word, everything else a separator. Returns the count written.
 */
export function normalisedWords(text: string, max: number, out: Uint32Array): number {
  let n = 0;
  let h = FNV_OFFSET;
  let inWord = false;
  let inNumber = false;
  const flush = (): void => {
    if (inWord) out[n++] = fmix32(h);
    else if (inNumber) out[n++] = NUMBER_WORD;
    inWord = false;
    inNumber = false;
    h = FNV_OFFSET;
  };
  for (let i = 0; i < text.length && n < max; i++) {
    let c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    const letter = (c >= 97 && c <= 122) || (c >= 0xc0 && !isSpace(c) && (c < 0x2000 || c > 0x2bff) && (c < 0x3000 || c > 0x303f));
    if (letter) {
      if (inNumber) flush();
      inWord = true;
      h = Math.imul(h ^ c, FNV_PRIME);
    } else if (c >= 48 && c <= 57) {
      if (inWord) flush();
      inNumber = true;
    } else if ((c === 39 || c === 0x2019) && inWord) {
      // Apostrophe inside a word: "let's" = "lets".
    } else if ((c === 46 || c === 44) && inNumber && i + 1 < text.length && text.charCodeAt(i + 1) >= 48 && text.charCodeAt(i + 1) <= 57) {
      // 3.14, 1,000: one number.
    } else {
      flush();
    }
  }
  if (n < max) flush();
  return n;
}

/** Words of `words[0, n)` that are not numbers: a step of numbers and math alone ("3(1 + 3(1 + 3))") is no behaviour. */
function letterWords(words: Uint32Array, n: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (words[i] !== NUMBER_WORD) count++;
  return count;
}

/**
 * One-permutation MinHash of the word bigrams of `words[0, n)` (a single word is its own shingle) into
 * `sig`, densified by rotation so every slot holds a value. False when there is nothing to hash.
 */
export function signature(words: Uint32Array, n: number, sig: Uint32Array): boolean {
  if (n === 0) return false;
  sig.fill(EMPTY);
  const add = (shingle: number): void => {
    const h = fmix32(shingle);
    const slot = Math.floor((h / 4294967296) * SLOTS);
    // Within a slot compare the low bits (the high ones chose the slot).
    const v = Math.imul(h, 0x9e3779b1) >>> 0;
    if (v < sig[slot]!) sig[slot] = v;
  };
  if (n === 1) add(words[0]!);
  for (let i = 1; i < n; i++) add((Math.imul(words[i - 1]!, 0x01000193) ^ words[i]!) | 0);
  // Rotation densification: an empty slot borrows the value of the next slot that a shingle filled,
  // mixed with the distance so that borrowed values do not fake agreement.
  let filled = 0;
  for (let s = 0; s < SLOTS; s++) if (sig[s] !== EMPTY) filled |= 1 << s;
  for (let s = 0; s < SLOTS; s++) {
    if (filled & (1 << s)) continue;
    for (let d = 1; d < SLOTS; d++) {
      const t = (s + d) % SLOTS;
      if (filled & (1 << t)) {
        sig[s] = fmix32((sig[t]! + Math.imul(d, 0x3c6ef372)) | 0);
        break;
      }
    }
  }
  return true;
}

/** Estimated Jaccard similarity: share of equal slots. */
function agreement(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let s = 0; s < SLOTS; s++) if (a[s] === b[s]) same++;
  return same / SLOTS;
}

function bandKey(sig: Uint32Array, band: number): number {
  const o = band * ROWS;
  let h = Math.imul(band + 1, 0x27d4eb2d);
  for (let r = 0; r < ROWS; r++) h = Math.imul(h ^ sig[o + r]!, 0x01000193);
  return fmix32(h);
}

interface Cluster {
  readonly id: number;
  readonly sig: Uint32Array;
  traces: number;
  occurrences: number;
  lastTrace: number;
  /** Lossy counting: most traces it may have missed before it was (re)created. */
  readonly delta: number;
  readonly positions: [number, number, number];
  positionSum: number;
  tokens: number;
  readonly label: string;
  readonly examples: BehaviourExample[];
}

/** Collapses whitespace; cuts to `max` characters with an ellipsis. */
function flat(text: string, max: number): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The opening `words` words of `text`, whitespace collapsed. */
function opening(text: string, words: number): string {
  const parts = text.trim().split(/\s+/, words + 1);
  return parts.length > words ? `${parts.slice(0, words).join(' ')} …` : parts.join(' ');
}

/** Streams traces in, clusters their steps, keeps memory bounded; see the module comment. */
export class BehaviourMiner {
  private readonly headWords: number;
  private readonly minWords: number;
  private readonly threshold: number;
  private readonly bucketWidth: number;
  private readonly maxClusters: number;
  private readonly exampleCount: number;
  private readonly exampleChars: number;
  private readonly clusters = new Map<number, Cluster>();
  /** Band key → cluster id. */
  private readonly bands = new Map<number, number>();
  private readonly words: Uint32Array;
  private sig = new Uint32Array(SLOTS);
  private nextId = 1;
  private traceCount = 0;
  private stepCount = 0;
  private clustered = 0;
  private evictedCount = 0;
  /** Raised when the cluster cap forces early eviction. */
  private floor = 0;

  constructor(options: BehaviourOptions = {}) {
    this.headWords = Math.max(1, options.headWords ?? 24);
    this.minWords = Math.max(1, options.minWords ?? 3);
    this.threshold = options.threshold ?? 0.5;
    this.bucketWidth = Math.max(1, Math.ceil(1 / (options.epsilon ?? 0.001)));
    this.maxClusters = Math.max(16, options.maxClusters ?? 250_000);
    this.exampleCount = options.examples ?? 3;
    this.exampleChars = options.exampleChars ?? 400;
    this.words = new Uint32Array(this.headWords);
  }

  /** Traces added so far. */
  get traces(): number {
    return this.traceCount;
  }

  /** Adds one trace's steps (in order). */
  addTrace(ref: TraceRef, steps: readonly BehaviourStep[]): void {
    const t = ++this.traceCount;
    const bucket = Math.ceil(t / this.bucketWidth);
    const last = Math.max(1, steps.length - 1);
    for (let i = 0; i < steps.length; i++) {
      this.stepCount++;
      const step = steps[i]!;
      const n = normalisedWords(step.text, this.headWords, this.words);
      if (letterWords(this.words, n) < this.minWords || !signature(this.words, n, this.sig)) continue;
      this.clustered++;
      const cluster = this.find() ?? this.create(Math.max(bucket - 1, this.floor), step.text);
      if (cluster.lastTrace !== t) {
        cluster.traces++;
        cluster.lastTrace = t;
        if (cluster.examples.length < this.exampleCount) cluster.examples.push({ ...ref, step: i, text: flat(step.text, this.exampleChars) });
      }
      cluster.occurrences++;
      const position = steps.length === 1 ? 0.5 : i / last;
      cluster.positionSum += position;
      cluster.positions[position < 1 / 3 ? 0 : position < 2 / 3 ? 1 : 2]++;
      cluster.tokens += step.tokens ?? estimateTokens(step.text);
    }
    if (t % this.bucketWidth === 0) this.evict(bucket);
    while (this.clusters.size > this.maxClusters) this.evict(Math.max(bucket, this.floor) + 1, true);
  }

  private find(): Cluster | undefined {
    let best: Cluster | undefined;
    let bestScore = this.threshold;
    for (let b = 0; b < BANDS; b++) {
      const id = this.bands.get(bandKey(this.sig, b));
      if (id === undefined) continue;
      const c = this.clusters.get(id);
      if (!c || c === best) continue;
      const score = agreement(this.sig, c.sig);
      if (score >= bestScore) {
        best = c;
        bestScore = score;
      }
    }
    return best;
  }

  private create(delta: number, text: string): Cluster {
    const c: Cluster = {
      id: this.nextId++,
      sig: this.sig,
      traces: 0,
      occurrences: 0,
      lastTrace: 0,
      delta,
      positions: [0, 0, 0],
      positionSum: 0,
      tokens: 0,
      label: opening(text, 12),
      examples: [],
    };
    this.sig = new Uint32Array(SLOTS);
    this.clusters.set(c.id, c);
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(c.sig, b);
      if (!this.bands.has(key)) this.bands.set(key, c.id);
    }
    return c;
  }

  /** Drops the clusters whose trace count plus error cannot exceed `bucket`. */
  private evict(bucket: number, forced = false): void {
    if (forced) this.floor = bucket;
    for (const c of this.clusters.values()) {
      if (c.traces + c.delta > bucket) continue;
      this.clusters.delete(c.id);
      this.evictedCount++;
      for (let b = 0; b < BANDS; b++) {
        const key = bandKey(c.sig, b);
        if (this.bands.get(key) === c.id) this.bands.delete(key);
      }
    }
  }

  /** The `top` behaviours found in at least `minTraces` traces, most widespread first. */
  result(top = 20, minTraces = 2): BehaviourReport {
    const traces = Math.max(1, this.traceCount);
    const ranked = [...this.clusters.values()]
      .filter((c) => c.traces >= minTraces)
      .sort((a, b) => b.traces - a.traces || b.occurrences - a.occurrences || a.id - b.id)
      .slice(0, top);
    const behaviours = ranked.map((c, i): Behaviour => {
      const shares = c.positions.map((p) => p / c.occurrences) as [number, number, number];
      const where = shares[0] >= shares[1] && shares[0] >= shares[2] ? 'early' : shares[1] >= shares[2] ? 'middle' : 'late';
      return {
        rank: i + 1,
        label: c.label,
        traces: c.traces,
        share: c.traces / traces,
        tracesError: c.delta,
        occurrences: c.occurrences,
        position: where,
        positionShares: shares,
        meanPosition: c.positionSum / c.occurrences,
        averageTokens: c.tokens / c.occurrences,
        examples: c.examples,
      };
    });
    return { traces: this.traceCount, steps: this.stepCount, clusteredSteps: this.clustered, clusters: this.clusters.size, evicted: this.evictedCount, behaviours };
  }
}
