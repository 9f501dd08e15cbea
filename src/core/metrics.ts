/**
 * Per-step metric values and their ranking within a trace: the numbers every view shows (heat colours,
 * hovers, the status-bar legend, the panel's chart), computed here once per session and scores
 * (`TraceSession.metricColumn`). Importance comes from the file's Thought-Anchors chunks, weighted by
 * overlap, so it exists under any segmentation.
 */
import { FILE_METRIC, METRIC_INFO, STEP_METRICS, TEXT_METRIC, type StepMetric } from '../shared/vocabulary';
import { HEAT_BUCKETS } from '../shared/heat';
import type { FileChunk } from './trace/types';
import type { Step, TraceScores } from './types';

/** Number of colour buckets (quintiles within the trace): the heat palette's steps. */
export { HEAT_BUCKETS };

/** The importance value the file's chunks prefer (Thought-Anchors' headline measure), then any other. */
const IMPORTANCE_KEYS = ['counterfactual_importance_accuracy', 'resampling_importance_accuracy', 'forced_importance_accuracy'];

/** Per-step values of one metric (undefined where the step has none), plus their ranking. */
export interface MetricColumn {
  readonly metric: StepMetric;
  readonly values: readonly (number | undefined)[];
  /** 0..4 per step (4 = hottest), or -1 when the step has no value. */
  readonly buckets: Int8Array;
  /** 1-based rank by hotness (1 = hottest), 0 when no value. */
  readonly ranks: Uint32Array;
  /** Percentile of the value among the trace's values (0..100, higher = larger value). */
  readonly percentiles: Float64Array;
  /** How many steps have a value. */
  readonly count: number;
  /** Value range of each bucket, for the legend ([min, max] or undefined when empty). */
  readonly bucketRanges: readonly ([number, number] | undefined)[];
}

/**
 * Values of `metric` for each step. Scores come from the session; `importance` from the file's chunks
 * (the overlap-weighted mean of the chunks that overlap the step, so any segmentation works);
 * `repetition` from loop detection over the text (`repetition`, index-aligned with `steps`).
 */
export function metricValues(
  metric: StepMetric,
  steps: readonly Step[],
  scores: TraceScores | undefined,
  chunks: readonly FileChunk[] | undefined,
  repetition?: readonly number[],
): (number | undefined)[] {
  if (metric === FILE_METRIC) return importanceValues(steps, chunks);
  if (metric === TEXT_METRIC) return steps.map((s) => repetition?.[s.index]);
  return steps.map((s) => {
    const v = scores?.steps[s.index]?.[metric];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  });
}

function importanceValues(steps: readonly Step[], chunks: readonly FileChunk[] | undefined): (number | undefined)[] {
  const located = (chunks ?? []).filter((c) => c.start >= 0 && c.end > c.start && c.importance);
  if (located.length === 0) return steps.map(() => undefined);
  const key = IMPORTANCE_KEYS.find((k) => located.some((c) => typeof c.importance?.[k] === 'number'))
    ?? Object.keys(located[0]!.importance ?? {}).find((k) => k.includes('importance'));
  if (!key) return steps.map(() => undefined);
  // Chunks and steps are both sorted by offset: one forward sweep.
  let first = 0;
  return steps.map((s) => {
    while (first < located.length && located[first]!.end <= s.start) first++;
    let weighted = 0;
    let weight = 0;
    for (let i = first; i < located.length && located[i]!.start < s.end; i++) {
      const c = located[i]!;
      const v = c.importance?.[key];
      const overlap = Math.min(c.end, s.end) - Math.max(c.start, s.start);
      if (typeof v === 'number' && Number.isFinite(v) && overlap > 0) {
        weighted += v * overlap;
        weight += overlap;
      }
    }
    return weight > 0 ? weighted / weight : undefined;
  });
}

/** The heat step of `v` under fixed edges (ascending values; reversed when low is hot). */
function fixedBucket(v: number, edges: readonly number[], hotHigh: boolean): number {
  let b = 0;
  while (b < edges.length && v >= edges[b]!) b++;
  return hotHigh ? b : HEAT_BUCKETS - 1 - b;
}

/**
 * Ranks, percentiles and heat buckets of one metric within the trace: quintiles of the trace's
 * steps, or fixed edges where the metric has them (`MetricInfo.heatEdges`: repetition, a share).
 */
export function rankMetric(metric: StepMetric, values: readonly (number | undefined)[]): MetricColumn {
  const n = values.length;
  const buckets = new Int8Array(n).fill(-1);
  const ranks = new Uint32Array(n);
  const percentiles = new Float64Array(n).fill(Number.NaN);
  const present: number[] = [];
  for (let i = 0; i < n; i++) if (values[i] !== undefined) present.push(i);
  const hotHigh = METRIC_INFO[metric].hotWhenHigh;
  const edges = METRIC_INFO[metric].heatEdges;
  // Ascending by value; ties keep step order so equal values share a neighbourhood deterministically.
  present.sort((a, b) => (values[a]! - values[b]!) || a - b);
  const count = present.length;
  const bucketRanges: ([number, number] | undefined)[] = Array.from({ length: HEAT_BUCKETS }, () => undefined);
  for (let pos = 0; pos < count; pos++) {
    const i = present[pos]!;
    const v = values[i]!;
    // Equal values get the same (lowest) position, so a tie never straddles two colours.
    let first = pos;
    while (first > 0 && values[present[first - 1]!] === v) first--;
    const pct = count === 1 ? 100 : (first / (count - 1)) * 100;
    percentiles[i] = pct;
    const hotPct = hotHigh ? pct : 100 - pct;
    const bucket = edges ? fixedBucket(v, edges, hotHigh) : Math.min(HEAT_BUCKETS - 1, Math.floor((hotPct / 100) * HEAT_BUCKETS));
    buckets[i] = bucket;
    ranks[i] = hotHigh ? count - pos : pos + 1;
    const r = bucketRanges[bucket];
    bucketRanges[bucket] = r ? [Math.min(r[0], v), Math.max(r[1], v)] : [v, v];
  }
  return { metric, values, buckets, ranks, percentiles, count, bucketRanges };
}

/** Which metric a view colours a trace by, and whether that is a stand-in for the chosen one. */
export interface MetricShown {
  /** The metric the colours show. */
  readonly metric: StepMetric;
  /** The metric the user chose. */
  readonly chosen: StepMetric;
  /** True when the trace has no values of `chosen` and `metric` stands in for it. */
  readonly fallback: boolean;
}

/**
 * The chosen metric when the trace has values for it; otherwise the first metric it has, in menu
 * order (scores, then the file's importance, then repetition when some step repeats), so a trace is
 * never left uncoloured because the previous one had other data. While the trace is being scored
 * (`pending`), the choice stands: its values are on the way.
 */
export function metricToShow(chosen: StepMetric, column: (metric: StepMetric) => MetricColumn, pending = false): MetricShown {
  const stay: MetricShown = { metric: chosen, chosen, fallback: false };
  if (pending || column(chosen).count > 0) return stay;
  for (const metric of STEP_METRICS) {
    if (metric === chosen) continue;
    const c = column(metric);
    if (c.count === 0) continue;
    // Repetition exists for every trace; it stands in only where something repeats.
    if (metric === TEXT_METRIC && !c.values.some((v) => (v ?? 0) > 0)) continue;
    return { metric, chosen, fallback: true };
  }
  return stay;
}
