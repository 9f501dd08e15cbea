/**
 * View-side derivations from the protocol's snapshots: per-step status, chart values, the cut line.
 * Pure functions over arrays, O(steps), so a budget drag on a 1,000-step trace stays cheap.
 */
import type { PanelChange, PanelDrop, PanelMetric, PanelPlan, PanelTrace } from '../../src/shared/protocol';

/** How a step fares under the plan. */
export type StepStatus = 'kept' | 'dropped' | 'pinned' | 'changed';

/** Chart metrics: the protocol's plus token counts, which every trace has. */
export type ChartMetric = PanelMetric | 'tokens';

/** Labels for metrics (select options, tooltips). */
export const METRIC_LABELS: Readonly<Record<ChartMetric, string>> = {
  firstTokenSurprisal: 'First-token surprisal',
  meanSurprisal: 'Mean surprisal',
  stepEntropy: 'Step entropy',
  confidence: 'Confidence',
  perplexity: 'Perplexity',
  importance: 'Importance (file)',
  tokens: 'Tokens',
};

/** Everything the diff and the chart need about the plan, indexed by step. */
export interface PlanIndex {
  readonly status: readonly StepStatus[];
  readonly drops: ReadonlyMap<number, PanelDrop>;
  readonly changes: ReadonlyMap<number, PanelChange>;
}

/** Status of every step under `plan` (all kept when there is no plan). */
export function indexPlan(stepCount: number, plan: PanelPlan | null): PlanIndex {
  const status: StepStatus[] = new Array<StepStatus>(stepCount).fill(plan ? 'dropped' : 'kept');
  const drops = new Map<number, PanelDrop>();
  const changes = new Map<number, PanelChange>();
  if (plan) {
    for (const i of plan.kept) if (i < stepCount) status[i] = 'kept';
    for (const c of plan.changed) {
      if (c.index < stepCount) status[c.index] = 'changed';
      changes.set(c.index, c);
    }
    for (const i of plan.pinned) if (i < stepCount) status[i] = 'pinned';
    for (const d of plan.dropped) drops.set(d.index, d);
  }
  return { status, drops, changes };
}

/** The metrics a trace can be charted by (token counts always). */
export function availableMetrics(trace: PanelTrace | null): ChartMetric[] {
  const out: ChartMetric[] = [];
  if (trace) for (const m of Object.keys(trace.metrics) as PanelMetric[]) if (trace.metrics[m]) out.push(m);
  out.push('tokens');
  return out;
}

/** Per-step values of `metric` (null where a step has none). */
export function metricValues(trace: PanelTrace, metric: ChartMetric): readonly (number | null)[] {
  if (metric === 'tokens') return trace.steps.map((s) => s.tokens);
  return trace.metrics[metric] ?? trace.steps.map(() => null);
}

/**
 * The score below which the method dropped steps: the largest `metric` value among steps the plan
 * dropped *by that score*. Null when the method did not rank by this metric (the line would lie).
 */
export function cutLine(plan: PanelPlan | null, values: readonly (number | null)[], metric: ChartMetric): number | null {
  if (!plan) return null;
  let cut: number | null = null;
  for (const d of plan.dropped) {
    if (d.scoreName !== metric) continue;
    const v = values[d.index];
    if (v !== null && v !== undefined && (cut === null || v > cut)) cut = v;
  }
  return cut;
}

// One formatter: `toLocaleString` builds a new Intl.NumberFormat per call, which showed up in profiles.
const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `1234` → `1,234`. */
export function fmtInt(n: number): string {
  return INTEGER.format(Math.round(n));
}

/** A score with three significant digits. */
export function fmtScore(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}
