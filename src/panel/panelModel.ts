/**
 * What the side panel shows, computed from a `TraceSession`: plain, JSON-serialisable snapshots for the
 * webview protocol. No `vscode` import, so unit tests build them directly. Views never compute scores:
 * this module only reads the session's metric values and plan.
 */
import { inlineDiff } from '../core/diff';
import { applyControls, PICKABLE_METHODS, type PrunePlan } from '../core/prune';
import type { TraceSession } from '../core/session';
import type { PanelMethod, PanelPlan, PanelTrace } from '../shared/protocol';
import type { StepMetric } from '../shared/vocabulary';

/** The methods the controls list (manual is what pins and toggles already are). */
export function panelMethods(): PanelMethod[] {
  return PICKABLE_METHODS.map((m) => ({ id: m.id, label: m.label, live: !m.slow, usesBudget: m.budgeted }));
}

/** Steps, token counts and per-step metric values: what changes only with the document or its scores. */
export function panelTrace(session: TraceSession): PanelTrace {
  const steps = session.steps.map((s, i) => ({ index: s.index, start: s.start, end: s.end, tokens: session.stepTokens(i), text: s.text }));
  const metrics: Partial<Record<StepMetric, (number | null)[]>> = {};
  // The session computes every metric once (importance from the file's chunks under any segmentation).
  for (const metric of session.availableMetrics()) {
    metrics[metric] = session.metricColumn(metric).values.map((v) => v ?? null);
  }
  return {
    steps,
    metrics,
    tokensEstimated: session.tokensEstimated,
    scoreSource: session.scoreSource ?? null,
    hasAnswer: session.trace.answer.trim().length > 0,
  };
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
      rank: d.reason.rank,
      ...(d.reason.score !== undefined && Number.isFinite(d.reason.score) ? { score: d.reason.score } : {}),
    })),
    changed,
    totals: { stepsBefore: session.steps.length, stepsAfter: plan.kept.length, tokensBefore, tokensAfter, estimated: session.tokensEstimated },
    budget: plan.budget ? { target: plan.budget.target, description: plan.budget.description, met: plan.budget.met } : null,
    notes: plan.notes ?? [],
    undoLabel: session.undoLabel ?? null,
    canRedo: session.canRedo,
  };
}
