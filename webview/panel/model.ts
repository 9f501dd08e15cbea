/**
 * View-side derivations from the protocol's snapshots: per-step status, chart values, the cut line.
 * Pure functions over arrays, O(steps), so a budget drag on a 1,000-step trace stays cheap.
 */
import type { PanelChange, PanelDrop, PanelPlan, PanelTrace } from '../../src/shared/protocol';
import { METRIC_INFO, STEP_METRICS, type StepMetric } from '../../src/shared/vocabulary';
import { sentenceCase } from '../../src/shared/format';

/** How a step fares under the plan. */
export type StepStatus = 'kept' | 'dropped' | 'pinned' | 'changed';

/**
 * The heat colours the editor contributes (package.json `reasoningLens.heat0Background` …, the host's
 * `HEAT_BUCKETS`). VS Code hands every theme colour to webviews as a `--vscode-…` variable, so the panel
 * shows exactly what the editor paints, in every theme, and defines no colours of its own.
 */
export const HEAT_COLOURS = 5;

/** The CSS variable of bucket `b`'s heat colour (0 coolest … 4 hottest). */
export function heatColour(bucket: number): string {
  return `var(--vscode-reasoningLens-heat${bucket}Background)`;
}

/** A status in words (legends, labels, tooltips). */
export const STATUS_WORDS: Readonly<Record<StepStatus, string>> = { kept: 'kept', dropped: 'dropped', pinned: 'pinned', changed: 'rewritten' };

/** Chart metrics: the protocol's plus token counts, which every trace has. */
export type ChartMetric = StepMetric | 'tokens';

/** Title of a chart metric (select options, tooltips): the shared label in sentence case. */
export function metricLabel(metric: ChartMetric): string {
  return metric === 'tokens' ? 'Tokens' : sentenceCase(METRIC_INFO[metric].label);
}

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

/**
 * The metrics the panel's select lists: those the trace has values for, and the heat map's current
 * one even when it has none (the select shows what the status bar names, never something else).
 */
export function selectableMetrics(trace: PanelTrace | null, current: StepMetric): StepMetric[] {
  return STEP_METRICS.filter((m) => m === current || trace?.metrics[m] !== undefined);
}

/** What the chart draws for the heat map's metric: its values, or token counts when the trace has none. */
export function chartMetric(trace: PanelTrace | null, current: StepMetric): ChartMetric {
  return trace?.metrics[current] !== undefined ? current : 'tokens';
}

/** One colour of the heat legend: its bucket (0 coolest … hottest) and the values it covers. */
export interface HeatLegendEntry {
  readonly bucket: number;
  readonly range: readonly [number, number] | null;
}

/** The heat legend of `metric`, hottest first (as the status bar's tooltip lists it); empty without values. */
export function heatLegend(trace: PanelTrace | null, metric: ChartMetric): HeatLegendEntry[] {
  if (!trace || metric === 'tokens') return [];
  const heat = trace.heat[metric];
  if (!heat) return [];
  return heat.ranges.map((range, bucket) => ({ bucket, range })).reverse();
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
