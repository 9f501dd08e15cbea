/**
 * What the side panel shows, computed from a `TraceSession`: plain, JSON-serialisable snapshots for the
 * webview protocol. No `vscode` import, so unit tests build them directly. Views never compute scores:
 * this module only reads the session's scores and plan.
 */
import { inlineDiff } from '../core/diff';
import { applyControls, PICKABLE_METHODS, type PrunePlan } from '../core/prune';
import type { TraceSession } from '../core/session';
import type { PanelMethod, PanelPlan, PanelTrace } from '../shared/protocol';
import { SCORE_METRICS, STEP_SEPARATOR, type StepMetric } from '../shared/vocabulary';

/** The methods the controls list (manual is what pins and toggles already are). */
export function panelMethods(): PanelMethod[] {
  return PICKABLE_METHODS.map((m) => ({ id: m.id, label: m.label, live: !m.slow, usesBudget: m.budgeted }));
}

/** Steps, token counts and per-step metric values: what changes only with the document or its scores. */
export function panelTrace(session: TraceSession): PanelTrace {
  const steps = session.steps.map((s, i) => ({ index: s.index, start: s.start, end: s.end, tokens: session.stepTokens(i), text: s.text }));
  const metrics: Partial<Record<StepMetric, (number | null)[]>> = {};
  const scored = session.scores?.steps;
  if (scored) {
    for (const field of SCORE_METRICS) {
      const values = session.steps.map((_, i) => finiteOrNull(scored[i]?.[field]));
      if (values.some((v) => v !== null)) metrics[field] = values;
    }
  }
  const importance = chunkImportance(session);
  if (importance) metrics.importance = importance;
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
    .filter(([i, text]) => plan.kept.includes(i) && session.steps[i] !== undefined && session.steps[i]!.text !== text)
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

/** The pruned reasoning: kept steps joined with a blank line (what export writes). */
export function prunedReasoning(session: TraceSession): string {
  return session.plan.kept.map((i) => session.steps[i]!.text).join(STEP_SEPARATOR);
}

function finiteOrNull(v: number | boolean | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Thought-Anchors importance per step, when the steps are the file's own chunks. */
function chunkImportance(session: TraceSession): (number | null)[] | undefined {
  const chunks = session.trace.chunks;
  if (!chunks || chunks.length !== session.steps.length) return undefined;
  const values = chunks.map((c) => {
    const imp = c.importance;
    if (!imp) return null;
    const v = imp.counterfactual_importance_accuracy ?? Object.values(imp)[0];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  });
  return values.some((v) => v !== null) ? values : undefined;
}
