/**
 * Dataset statistics for a dashboard and `reasoning-lens stats`: per trace a handful of figures kept in
 * typed columns (~30 bytes a trace), and at the end small histograms with bucket edges, counts, a
 * filter text for the dataset browser where its filter language can say the same, and a way to list
 * the traces of any bar ({@link DatasetStatsBuilder.select}). Pure: traces come in, figures go out.
 */
import type { Trace } from '../trace/types';
import { estimateTokens } from '../session';
import type { LoopReport } from './loops';
import type { TraceRef } from './refs';

/** The distributions the builder draws. */
export const STATS_METRICS = ['reasoningTokens', 'steps', 'truncated', 'loops', 'answerFound', 'correct'] as const;
export type StatsMetric = (typeof STATS_METRICS)[number];

/** One bar. */
export interface StatsBucket {
  readonly label: string;
  readonly count: number;
  /** Numeric metrics: the bar holds values in `[lo, hi)`. */
  readonly lo?: number;
  readonly hi?: number;
  /** Dataset-browser filter text selecting the same traces, when its filter language can say it. */
  readonly filter?: string;
}

/** One distribution. */
export interface StatsHistogram {
  readonly metric: StatsMetric;
  readonly title: string;
  readonly kind: 'numeric' | 'categorical';
  readonly buckets: readonly StatsBucket[];
  /** Numeric metrics: `buckets.length + 1` ascending edges. */
  readonly edges?: readonly number[];
  readonly summary?: { readonly min: number; readonly max: number; readonly mean: number; readonly median: number; readonly p90: number };
}

/** Everything {@link DatasetStatsBuilder.result} returns (JSON-serialisable). */
export interface DatasetStats {
  readonly traces: number;
  /** True when every trace's reasoning tokens came from the file's logprobs (else ~4 characters a token). */
  readonly tokensExact: boolean;
  readonly totals: {
    readonly reasoningTokens: number;
    readonly steps: number;
    readonly truncated: number;
    readonly looping: number;
    readonly loops: number;
    readonly wastedTokens: number;
    readonly answerFound: number;
    /** Traces with a correctness label, and how many are correct. */
    readonly labelled: number;
    readonly correct: number;
  };
  /** Absent for `correct` when no trace has a label. */
  readonly histograms: Readonly<Partial<Record<StatsMetric, StatsHistogram>>>;
}

/** Per-trace figures the builder records (what a caller computed for the trace). */
export interface TraceFigures {
  readonly steps: number;
  readonly loops?: LoopReport;
}

/** Everything the builder keeps of one trace (what {@link DatasetStatsBuilder.add} reads from it). */
export interface TraceStatsFigures {
  readonly reasoningTokens: number;
  readonly tokensExact: boolean;
  readonly steps: number;
  readonly loops: number;
  readonly wastedTokens: number;
  readonly truncated: boolean;
  readonly answerFound: boolean;
  /** The correctness label, null when the trace has none. */
  readonly correct: boolean | null;
}

/** Reasoning tokens of a trace: the file's logprob tokens of the reasoning when it has them, else an estimate. */
export function reasoningTokens(trace: Trace): { tokens: number; exact: boolean } {
  if (trace.logprobs && trace.logprobs.length > 0) {
    let n = 0;
    for (const t of trace.logprobs) if (t.region === 'reasoning') n++;
    if (n > 0) return { tokens: n, exact: true };
  }
  return { tokens: estimateTokens(trace.reasoning), exact: false };
}

const FLAG_TRUNCATED = 1;
const FLAG_ANSWER = 2;
const FLAG_LABELLED = 4;
const FLAG_CORRECT = 8;

/** A 1-2-5 step (1, 2, 2.5, 5 × 10^k) of about `span / target`, at least `minStep`. */
export function niceStep(span: number, target: number, minStep = 0): number {
  const raw = Math.max(span / Math.max(1, target), minStep, Number.MIN_VALUE);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return Math.max(m * p, minStep);
  return 10 * p;
}

/** Compact number for bar labels: 950, 1.5k, 32k, 1.2M. */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e6) return `${+(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${+(n / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  return `${+n.toFixed(2)}`;
}

/** Value at quantile `q` of ascending `sorted` (nearest rank). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Growable typed column. */
class Column<T extends Uint8Array | Uint32Array | Float64Array> {
  data: T;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  set(i: number, v: number): void {
    if (i >= this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[i] = v;
  }
}

/** Bucket index of every trace for one metric, and the buckets. */
interface Layout {
  readonly histogram: StatsHistogram;
  readonly bucketOf: (i: number) => number;
}

/** Collects figures trace by trace; cheap enough for millions of traces. */
export class DatasetStatsBuilder {
  private n = 0;
  private readonly tokens = new Column((k) => new Float64Array(k));
  private readonly steps = new Column((k) => new Uint32Array(k));
  private readonly loops = new Column((k) => new Uint32Array(k));
  private readonly wasted = new Column((k) => new Float64Array(k));
  private readonly flags = new Column((k) => new Uint8Array(k));
  private readonly refs: TraceRef[] = [];
  private allExact = true;
  private layouts: Map<StatsMetric, Layout> | undefined;

  /**
   * @param stepFilters whether the step counts are the dataset browser's (paragraph steps), so a bar
   *   can carry a `steps>=…` filter.
   */
  constructor(private readonly stepFilters = true) {}

  get traces(): number {
    return this.n;
  }

  /** Records one trace. */
  add(trace: Trace, ref: TraceRef, figures: TraceFigures): void {
    const { tokens, exact } = reasoningTokens(trace);
    this.addFigures(ref, {
      reasoningTokens: tokens,
      tokensExact: exact,
      steps: figures.steps,
      loops: figures.loops?.loops.length ?? 0,
      wastedTokens: figures.loops?.wastedTokens ?? 0,
      truncated: trace.truncated,
      answerFound: trace.finalAnswer !== undefined,
      correct: trace.reference?.correct ?? null,
    });
  }

  /** Records one trace from figures a caller already computed (the dataset browser's row summaries). */
  addFigures(ref: TraceRef, f: TraceStatsFigures): void {
    const i = this.n++;
    if (!f.tokensExact) this.allExact = false;
    this.tokens.set(i, f.reasoningTokens);
    this.steps.set(i, f.steps);
    this.loops.set(i, f.loops);
    this.wasted.set(i, f.wastedTokens);
    this.flags.set(
      i,
      (f.truncated ? FLAG_TRUNCATED : 0) |
        (f.answerFound ? FLAG_ANSWER : 0) |
        (f.correct !== null ? FLAG_LABELLED : 0) |
        (f.correct === true ? FLAG_CORRECT : 0),
    );
    this.refs.push(ref);
    this.layouts = undefined;
  }

  /** The figures so far (call again after more traces). */
  result(): DatasetStats {
    const layouts = this.layout();
    const totals = { reasoningTokens: 0, steps: 0, truncated: 0, looping: 0, loops: 0, wastedTokens: 0, answerFound: 0, labelled: 0, correct: 0 };
    for (let i = 0; i < this.n; i++) {
      const f = this.flags.data[i]!;
      totals.reasoningTokens += this.tokens.data[i]!;
      totals.steps += this.steps.data[i]!;
      totals.loops += this.loops.data[i]!;
      totals.wastedTokens += this.wasted.data[i]!;
      if (this.loops.data[i]! > 0) totals.looping++;
      if (f & FLAG_TRUNCATED) totals.truncated++;
      if (f & FLAG_ANSWER) totals.answerFound++;
      if (f & FLAG_LABELLED) totals.labelled++;
      if (f & FLAG_CORRECT) totals.correct++;
    }
    const histograms: Partial<Record<StatsMetric, StatsHistogram>> = {};
    for (const [metric, l] of layouts) histograms[metric] = l.histogram;
    return { traces: this.n, tokensExact: this.n > 0 && this.allExact, totals, histograms };
  }

  /** The traces behind bar `bucket` of `metric` (what a click on the bar filters the table to). */
  select(metric: StatsMetric, bucket: number): TraceRef[] {
    const l = this.layout().get(metric);
    if (!l) return [];
    const out: TraceRef[] = [];
    for (let i = 0; i < this.n; i++) if (l.bucketOf(i) === bucket) out.push(this.refs[i]!);
    return out;
  }

  private layout(): Map<StatsMetric, Layout> {
    if (this.layouts) return this.layouts;
    const m = new Map<StatsMetric, Layout>();
    m.set('reasoningTokens', this.numeric('reasoningTokens', 'Reasoning tokens', this.tokens.data, 1));
    m.set('steps', this.numeric('steps', 'Steps', this.steps.data, 1, this.stepFilters ? 'steps' : undefined));
    const flag = (bit: number) => (i: number): number => (this.flags.data[i]! & bit ? 0 : 1);
    m.set('truncated', this.categorical('truncated', 'Truncated (no end of reasoning)', ['yes', 'no'], flag(FLAG_TRUNCATED), ['truncated:yes', 'truncated:no']));
    m.set('loops', this.categorical('loops', 'Loops', ['none', '1 loop', '2+ loops'], (i) => Math.min(2, this.loops.data[i]!)));
    m.set('answerFound', this.categorical('answerFound', 'Final answer found', ['yes', 'no'], flag(FLAG_ANSWER)));
    let labelled = false;
    for (let i = 0; i < this.n && !labelled; i++) labelled = (this.flags.data[i]! & FLAG_LABELLED) !== 0;
    if (labelled) {
      m.set('correct', this.categorical('correct', 'Correct', ['yes', 'no', 'unknown'], (i) => {
        const f = this.flags.data[i]!;
        return f & FLAG_LABELLED ? (f & FLAG_CORRECT ? 0 : 1) : 2;
      }, ['correct:yes', 'correct:no', 'correct:unknown']));
    }
    this.layouts = m;
    return m;
  }

  private categorical(metric: StatsMetric, title: string, labels: readonly string[], bucketOf: (i: number) => number, filters?: readonly string[]): Layout {
    const counts = new Array<number>(labels.length).fill(0);
    for (let i = 0; i < this.n; i++) counts[bucketOf(i)]!++;
    const buckets = labels.map((label, b) => ({ label, count: counts[b]!, ...(filters ? { filter: filters[b]! } : {}) }));
    return { histogram: { metric, title, kind: 'categorical', buckets }, bucketOf };
  }

  /**
   * About 12 bars of a 1-2-5 width from the floor of the minimum to past the maximum. A long tail (the
   * maximum beyond 4× the 95th percentile's range) gets one last open bar, `≥ x`, so the bulk stays
   * readable.
   */
  private numeric(metric: StatsMetric, title: string, values: Float64Array | Uint32Array, minStep: number, filterField?: string): Layout {
    const sorted = Float64Array.from(values.subarray(0, this.n)).sort();
    if (this.n === 0) return { histogram: { metric, title, kind: 'numeric', buckets: [], edges: [] }, bucketOf: () => -1 };
    const min = sorted[0]!;
    const max = sorted[this.n - 1]!;
    const p95 = quantile(sorted, 0.95);
    const tail = p95 > min && max - min > 4 * (p95 - min);
    const top = tail ? p95 : max;
    const step = niceStep(top - min, 12, minStep);
    const lo = Math.floor(min / step) * step;
    const regular = Math.max(1, Math.floor((top - lo) / step) + 1);
    const edges = Array.from({ length: regular + 1 }, (_, k) => lo + k * step);
    const open = tail && max >= edges[regular]!;
    if (open) edges.push(max + minStep);
    const count = edges.length - 1;
    const bucketOf = (i: number): number => Math.min(count - 1, Math.floor((values[i]! - lo) / step));
    const counts = new Array<number>(count).fill(0);
    for (let i = 0; i < this.n; i++) counts[bucketOf(i)]!++;
    let sum = 0;
    for (let i = 0; i < this.n; i++) sum += sorted[i]!;
    const buckets = counts.map((c, b) => {
      const last = open && b === count - 1;
      return {
        label: last ? `≥ ${compact(edges[b]!)}` : step === 1 ? compact(edges[b]!) : `${compact(edges[b]!)}–${compact(edges[b + 1]!)}`,
        count: c,
        lo: edges[b]!,
        hi: edges[b + 1]!,
        ...(filterField ? { filter: last ? `${filterField}>=${edges[b]}` : `${filterField}>=${edges[b]} ${filterField}<${edges[b + 1]}` } : {}),
      };
    });
    return {
      histogram: { metric, title, kind: 'numeric', buckets, edges, summary: { min, max, mean: sum / this.n, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) } },
      bucketOf,
    };
  }
}
