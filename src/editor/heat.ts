/**
 * Pure logic behind the editor's heat map, hovers and labels: per-step metric values, their rank and
 * percentile within the trace, five colour buckets, and a coarse label per step. No `vscode` import,
 * so the same numbers can be checked outside the editor.
 */
import { FILE_METRIC, METRIC_INFO, STEP_METRICS, type StepMetric } from '../shared/vocabulary';
import type { FileChunk } from '../core/trace/types';
import type { Step, TraceScores } from '../core/types';

/** Number of colour buckets (quintiles within the trace). */
export const HEAT_BUCKETS = 5;

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
 * (the overlap-weighted mean of the chunks that overlap the step, so any segmentation works).
 */
export function metricValues(metric: StepMetric, steps: readonly Step[], scores: TraceScores | undefined, chunks: readonly FileChunk[] | undefined): (number | undefined)[] {
  if (metric === FILE_METRIC) return importanceValues(steps, chunks);
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

/** Ranks, percentiles and quintile buckets of one metric within the trace. */
export function rankMetric(metric: StepMetric, values: readonly (number | undefined)[]): MetricColumn {
  const n = values.length;
  const buckets = new Int8Array(n).fill(-1);
  const ranks = new Uint32Array(n);
  const percentiles = new Float64Array(n).fill(Number.NaN);
  const present: number[] = [];
  for (let i = 0; i < n; i++) if (values[i] !== undefined) present.push(i);
  const hotHigh = METRIC_INFO[metric].hotWhenHigh;
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
    const bucket = Math.min(HEAT_BUCKETS - 1, Math.floor((hotPct / 100) * HEAT_BUCKETS));
    buckets[i] = bucket;
    ranks[i] = hotHigh ? count - pos : pos + 1;
    const r = bucketRanges[bucket];
    bucketRanges[bucket] = r ? [Math.min(r[0], v), Math.max(r[1], v)] : [v, v];
  }
  return { metric, values, buckets, ranks, percentiles, count, bucketRanges };
}

/** Metric column straight from a session's data. */
export function heatColumn(metric: StepMetric, steps: readonly Step[], scores: TraceScores | undefined, chunks: readonly FileChunk[] | undefined): MetricColumn {
  return rankMetric(metric, metricValues(metric, steps, scores, chunks));
}

/** Metrics that have at least one value for this trace. */
export function availableMetrics(steps: readonly Step[], scores: TraceScores | undefined, chunks: readonly FileChunk[] | undefined): StepMetric[] {
  return STEP_METRICS.filter((m) => metricValues(m, steps, scores, chunks).some((v) => v !== undefined));
}

/** What a step does, coarsely: from Thought-Anchors function tags when the file has them, else rules. */
export type StepLabel = string;

const RULES: readonly [RegExp, StepLabel][] = [
  [/\\boxed\{|\b(final answer|the answer is|so the answer|therefore,? the answer)\b/i, 'final answer'],
  [/^\W*(wait|hmm+|hold on|but wait|actually|oh,? wait|no,? wait)\b/i, 'reflection'],
  [/^\W*(let me (check|verify|double[- ]check|confirm|re-?check)|to verify|checking|double[- ]check)/i, 'verification'],
  [/^\W*(alternatively|another (way|approach)|or maybe|instead)\b/i, 'alternative'],
  [/^\W*(first|let'?s|let me|we need to|i need to|the (problem|question) (asks|says)|so,? the plan|plan:|okay,? so)\b/i, 'planning'],
  [/\d\s*[-+*/×÷=^]\s*\d|=\s*-?\d/, 'computation'],
  [/```|\b(def|for|while|return|int|print)\b\s*[(\w]/, 'code'],
];

/**
 * The label of a step: the function tags of the file's chunks that overlap it (Thought Anchors), else
 * the first matching rule on the step's text, else "reasoning".
 */
export function stepLabel(step: Step, chunks: readonly FileChunk[] | undefined): StepLabel {
  if (chunks?.length) {
    const tags = new Set<string>();
    for (const c of chunks) {
      if (c.start < 0 || c.end <= step.start || c.start >= step.end) continue;
      for (const l of c.labels ?? []) tags.add(l.replace(/_/g, ' '));
    }
    if (tags.size) return [...tags].join(', ');
  }
  for (const [re, label] of RULES) if (re.test(step.text)) return label;
  return 'reasoning';
}

/** "Step 4: First few words of the step…" (whitespace collapsed, at most `words` words). */
export function stepTitle(step: Step, words = 8): string {
  const parts = step.text.trim().split(/\s+/).filter(Boolean);
  const head = parts.slice(0, words).join(' ');
  const clipped = head.length > 60 ? `${head.slice(0, 59)}\u2026` : parts.length > words ? `${head}\u2026` : head;
  return `Step ${step.index + 1}: ${clipped || '(empty)'}`;
}

/**
 * The next (or previous) hottest-bucket step after `fromStep`, wrapping around; when no step reaches
 * the top bucket, the hottest bucket present is used. Undefined when no step has a value.
 */
export function nextHotStep(column: MetricColumn, fromStep: number, direction: 1 | -1): number | undefined {
  const n = column.buckets.length;
  if (column.count === 0 || n === 0) return undefined;
  let top = -1;
  for (let i = 0; i < n; i++) top = Math.max(top, column.buckets[i]!);
  for (let k = 1; k <= n; k++) {
    const i = (((fromStep + direction * k) % n) + n) % n;
    if (column.buckets[i] === top) return i;
  }
  return undefined;
}
