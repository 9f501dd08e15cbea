/**
 * Pure text helpers of the editor's views: a coarse label per step, a step's outline title, and
 * navigation to the hottest steps of a metric column (the column itself is computed in core).
 */
import type { MetricColumn } from '../core/metrics';
import type { FileChunk } from '../core/trace/types';
import type { Step } from '../core/types';

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
