/**
 * The dataset dashboard: the distributions of `reasoning-lens stats` (`DatasetStatsBuilder`, fed with
 * the browser's own row summaries so every figure is the table's), each bar with the filter text that
 * selects exactly its traces in the table. Pure.
 */
import { compact, type DatasetStats, type StatsBucket, type StatsHistogram, type StatsMetric } from '../core/insights/stats';
import type { DashboardBar, DashboardChart, DatasetDashboard } from '../shared/datasetProtocol';

/** The filter fields each chart's bars set (a click replaces terms on them and keeps the others). */
export const CHART_FIELDS: Readonly<Record<StatsMetric, readonly string[]>> = {
  reasoningTokens: ['tokens'],
  steps: ['steps'],
  truncated: ['truncated'],
  loops: ['loops'],
  answerFound: ['has:answer', 'no:answer'],
  correct: ['correct'],
};

/** Filter text of each categorical bar, in the builder's bucket order. */
const CATEGORY_FILTERS: Readonly<Partial<Record<StatsMetric, readonly string[]>>> = {
  truncated: ['truncated:yes', 'truncated:no'],
  loops: ['loops=0', 'loops=1', 'loops>=2'],
  answerFound: ['has:answer', 'no:answer'],
  correct: ['correct:yes', 'correct:no', 'correct:unknown'],
};

/** Chart titles short enough for a small chart (the stats command's are longer). */
const TITLES: Readonly<Record<StatsMetric, string>> = {
  reasoningTokens: 'Reasoning tokens',
  steps: 'Steps',
  truncated: 'Truncated',
  loops: 'Loops',
  answerFound: 'Final answer',
  correct: 'Correct',
};

/** Numeric charts: the row field behind the metric. */
const NUMERIC_FIELDS: Readonly<Partial<Record<StatsMetric, string>>> = { reasoningTokens: 'tokens', steps: 'steps' };

/** `tokens>=1000 tokens<2000`, or `steps=3` for a one-value bar. */
export function numericBarFilter(field: string, bucket: StatsBucket): string {
  const lo = bucket.lo ?? 0;
  const hi = bucket.hi ?? lo;
  if (Number.isInteger(lo) && hi - lo === 1) return `${field}=${lo}`;
  return `${field}>=${lo} ${field}<${hi}`;
}

function barsOf(h: StatsHistogram): DashboardBar[] {
  const field = NUMERIC_FIELDS[h.metric];
  const categories = CATEGORY_FILTERS[h.metric];
  return h.buckets.map((b, i) => ({
    label: b.label,
    count: b.count,
    filter: field !== undefined ? numericBarFilter(field, b) : (categories?.[i] ?? ''),
  }));
}

const percent = (part: number, whole: number): string => `${whole > 0 ? Math.round((100 * part) / whole) : 0}%`;

function noteOf(h: StatsHistogram, stats: DatasetStats): string {
  const t = stats.totals;
  switch (h.metric) {
    case 'reasoningTokens': {
      const est = stats.tokensExact ? '' : '~';
      return h.summary ? `median ${est}${compact(h.summary.median)} · p90 ${est}${compact(h.summary.p90)}` : '';
    }
    case 'steps':
      return h.summary ? `median ${compact(h.summary.median)} · p90 ${compact(h.summary.p90)}` : '';
    case 'truncated':
      return `${percent(t.truncated, stats.traces)} cut off`;
    case 'loops':
      return `${percent(t.looping, stats.traces)} loop · ~${compact(Math.round(t.wastedTokens))} tokens`;
    case 'answerFound':
      return `${percent(t.answerFound, stats.traces)} have one`;
    case 'correct':
      return `${percent(t.correct, t.labelled)} of ${compact(t.labelled)} labelled`;
  }
}

/** The dashboard of `stats` (in `STATS_METRICS` order; correctness only when some trace has a label). */
export function dashboardOf(stats: DatasetStats, version: number, complete: boolean): DatasetDashboard {
  const charts: DashboardChart[] = [];
  for (const h of Object.values(stats.histograms)) {
    if (!h) continue;
    charts.push({ metric: h.metric, title: TITLES[h.metric], kind: h.kind, bars: barsOf(h), fields: CHART_FIELDS[h.metric], note: noteOf(h, stats) });
  }
  return { version, traces: stats.traces, complete, tokensExact: stats.tokensExact, charts };
}
