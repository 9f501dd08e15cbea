/**
 * What the side panel shows, computed from a `TraceSession`: plain, JSON-serialisable snapshots for the
 * webview protocol. No `vscode` import, so unit tests build them directly. Views never compute scores:
 * this module only reads the session's metric values and plan.
 */
import { inlineDiff } from '../core/diff';
import { applyControls, METHOD, PICKABLE_METHODS, type PrunePlan } from '../core/prune';
import type { TraceSession } from '../core/session';
import { formatSpec } from '../core/trace/registry';
import type { PanelHeat, PanelMethod, PanelPlan, PanelTrace, TraceSummary } from '../shared/protocol';
import { scoreLabel, type StepMetric } from '../shared/vocabulary';

/** The methods the controls list (manual is what pins and toggles already are). */
export function panelMethods(): PanelMethod[] {
  return PICKABLE_METHODS.map((m) => ({ id: m.id, label: m.label, live: !m.slow, usesBudget: m.budgeted }));
}

/** The trace's summary as the panel shows it: the format in words ("OpenAI-compatible chat completion"), not its id. */
export function panelSummary(summary: TraceSummary): TraceSummary {
  return { ...summary, format: formatLabel(summary.format) };
}

/** A format's short name: its registry label up to the first field list or example ("ShareGPT rows"). */
export function formatLabel(id: string): string {
  const label = formatSpec(id)?.label;
  return label ? label.split(/: | \(|, /)[0]!.trim() : id;
}

/** Steps, token counts and per-step metric values: what changes only with the document or its scores. */
export function panelTrace(session: TraceSession): PanelTrace {
  const steps = session.steps.map((s, i) => ({ index: s.index, start: s.start, end: s.end, tokens: session.stepTokens(i), text: s.text }));
  const metrics: Partial<Record<StepMetric, (number | null)[]>> = {};
  const heat: Partial<Record<StepMetric, PanelHeat>> = {};
  // The session computes every metric once (importance from the file's chunks under any segmentation),
  // with the buckets and ranges the editor's heat map uses: the panel's legend is the editor's.
  for (const metric of session.availableMetrics()) {
    const column = session.metricColumn(metric);
    metrics[metric] = column.values.map((v) => v ?? null);
    heat[metric] = { buckets: Array.from(column.buckets), ranges: column.bucketRanges.map((r) => r ?? null) };
  }
  return {
    steps,
    metrics,
    heat,
    tokensEstimated: session.tokensEstimated,
    scoredBy: session.scoreSource === undefined ? null : scoreSourceLabel(session.scoreSource),
    hasAnswer: session.trace.answer.trim().length > 0,
  };
}

/** Backend kinds (the part of a backend id before its first colon) in words. */
const BACKEND_KINDS: Readonly<Record<string, string>> = { onnx: 'local model', gguf: 'local model', openai: 'endpoint' };

/**
 * Who scored a trace, in words, from the id the session keeps (a cache key such as
 * `onnx:/models/qwen#model_q4:123:456` or `openai:served-name@http://…`): the model's folder or served
 * name and the kind of backend, never the key itself.
 */
export function scoreSourceLabel(id: string): string {
  if (id === 'file') return 'logprobs in the file';
  const colon = id.indexOf(':');
  if (colon <= 0) return id;
  const kind = id.slice(0, colon);
  // The model part ends where the variant (#), the endpoints (@) or the size and date (:) begin.
  const model = id.slice(colon + 1).split(/[#@]/)[0]!.replace(/:\d+(?::\d+)*$/, '');
  const name = model.split(/[\\/]/).filter(Boolean).pop() ?? model;
  return `${name} (${BACKEND_KINDS[kind] ?? kind})`;
}

/**
 * The plan the panel draws: the session's effective plan, or `preview` (a method's plan for a budget
 * being dragged) with the session's pins and overrides applied the way `session.plan` would.
 * `rewrites` maps kept steps to rewritten text (anchor rewrites); they get a character diff.
 */
export function panelPlan(session: TraceSession, preview?: { plan: PrunePlan; label: string }, rewrites?: ReadonlyMap<number, string>): PanelPlan {
  const plan = preview ? applyControls(preview.plan, session.controls) : session.plan;
  const tokensBefore = session.joinedTokens(session.steps.keys());
  const tokensAfter = session.joinedTokens(plan.kept);
  const changed = [...(rewrites ?? [])]
    .filter(([i, text]) => plan.kept.includes(i) && session.steps[i] !== undefined && session.steps[i].text !== text)
    .sort((a, b) => a[0] - b[0])
    .map(([index, text]) => ({ index, text, inline: inlineDiff(session.steps[index]!.text, text) }));
  return {
    method: plan.method,
    label: preview ? preview.label : session.state.label,
    preview: preview !== undefined,
    kept: plan.kept,
    pinned: plan.pinned,
    dropped: plan.dropped.map((d) => ({
      index: d.index,
      rule: d.reason.rule,
      scoreName: d.reason.scoreName,
      scoreLabel: d.reason.scoreName === METHOD.manual ? 'by hand' : scoreLabel(d.reason.scoreName),
      rank: d.reason.rank,
      ...(d.reason.score !== undefined && Number.isFinite(d.reason.score) ? { score: d.reason.score } : {}),
    })),
    changed,
    totals: { stepsBefore: session.steps.length, stepsAfter: plan.kept.length, tokensBefore, tokensAfter, estimated: session.tokensEstimated, countedBy: session.tokenCountSource ?? null, tokenizer: session.tokenizerName ?? null },
    budget: plan.budget ? { target: plan.budget.target, description: plan.budget.description, met: plan.budget.met } : null,
    notes: plan.notes ?? [],
    undoLabel: session.undoLabel ?? null,
    canRedo: session.canRedo,
  };
}
