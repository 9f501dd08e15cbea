/**
 * What a pruning method returns, and the user's hand on it: pins, manual keep/drop overrides and an
 * undo/redo history. Pure, JSON-serialisable data (it crosses the webview protocol).
 */

import { METHOD, type PruneMethodId } from './methods';
import { STEP_SEPARATOR } from '../../shared/vocabulary';

export type { PruneMethodId } from './methods';

/** Why one step was dropped: enough for a hover to say "dropped by ASAP: 3rd lowest surprisal 0.41 nats…". */
export interface DropReason {
  readonly method: PruneMethodId;
  /** The score that ranked the step (absent for rule-based drops). */
  readonly score?: number;
  /** Name of that score, e.g. `firstTokenSurprisal`. */
  readonly scoreName: string;
  /** 1-based position in the method's removal order. */
  readonly rank: number;
  /** The budget situation when the step went, e.g. `"1,234 → 1,180 tokens (target ≤ 1,000)"`. */
  readonly budgetLine?: string;
  /** The rule in words. */
  readonly rule: string;
}

/** One dropped step and why. */
export interface DroppedStep {
  readonly index: number;
  readonly reason: DropReason;
}

/** Budget bookkeeping of a plan. */
export interface PlanBudget {
  /** Target token count (kept text must be ≤ this). */
  readonly target: number;
  /** Tokens before pruning. */
  readonly before: number;
  /** Tokens of the kept text. */
  readonly after: number;
  /** False when only pinned steps were left and the target was still exceeded. */
  readonly met: boolean;
  /** How the target was derived (ratio, absolute, difficulty level…). */
  readonly description: string;
}

/** The result of a pruning method: kept steps in original order, and a reason per dropped step. */
export interface PrunePlan {
  readonly method: PruneMethodId;
  readonly stepCount: number;
  /** Indices of kept steps, ascending. */
  readonly kept: readonly number[];
  /** Dropped steps, ascending by index. */
  readonly dropped: readonly DroppedStep[];
  /** Steps no method may remove. */
  readonly pinned: readonly number[];
  readonly budget?: PlanBudget;
  /** Free-form notes for the UI ("anchor section 3 matched nothing"). */
  readonly notes?: readonly string[];
}

/** Manual state of a trace: pins and keep/drop overrides (they win over any method until reset). */
export interface StepControls {
  readonly pinned: readonly number[];
  /** Step index → forced decision. */
  readonly overrides: Readonly<Record<number, 'keep' | 'drop'>>;
}

/** No pins, no overrides. */
export const NO_CONTROLS: StepControls = { pinned: [], overrides: {} };

/** Steps a method must not remove: pins plus manual "keep" overrides, so budgets account for them. */
export function protectedSteps(controls: StepControls): number[] {
  const set = new Set(controls.pinned);
  for (const [k, v] of Object.entries(controls.overrides)) if (v === 'keep') set.add(Number(k));
  return [...set].sort((a, b) => a - b);
}

/**
 * Build a plan from the set of removed steps. `reasons` gives each dropped step's reason; pinned steps
 * are never dropped (a bug in a method would otherwise silently remove them, so we throw).
 */
export function makePlan(
  method: PruneMethodId,
  stepCount: number,
  reasons: ReadonlyMap<number, DropReason>,
  pinned: Iterable<number> = [],
  extra: { budget?: PlanBudget; notes?: readonly string[] } = {},
): PrunePlan {
  const pins = normaliseIndices(pinned, stepCount);
  const pinSet = new Set(pins);
  const kept: number[] = [];
  const dropped: DroppedStep[] = [];
  for (let i = 0; i < stepCount; i++) {
    const reason = reasons.get(i);
    if (reason && pinSet.has(i)) throw new Error(`method ${method} tried to drop pinned step ${i}`);
    if (reason) dropped.push({ index: i, reason });
    else kept.push(i);
  }
  return {
    method,
    stepCount,
    kept,
    dropped,
    pinned: pins,
    ...(extra.budget ? { budget: extra.budget } : {}),
    ...(extra.notes?.length ? { notes: extra.notes } : {}),
  };
}

/** Sorted, de-duplicated indices inside `[0, stepCount)`. */
export function normaliseIndices(indices: Iterable<number>, stepCount: number): number[] {
  return [...new Set(indices)].filter((i) => Number.isInteger(i) && i >= 0 && i < stepCount).sort((a, b) => a - b);
}

/** A plan that keeps everything (the starting point, and `manual` with no overrides). */
export function keepAllPlan(stepCount: number, pinned: Iterable<number> = []): PrunePlan {
  return makePlan(METHOD.manual, stepCount, new Map(), pinned);
}

/**
 * Apply manual controls on top of a method's plan: "keep" overrides and pins restore a step, "drop"
 * overrides remove it (reason `manual`). A pin beats a "drop" override. The plan's budget figures are
 * left as the method computed them (the UI recounts the final text).
 */
export function applyControls(plan: PrunePlan, controls: StepControls): PrunePlan {
  const pins = new Set(normaliseIndices([...plan.pinned, ...controls.pinned], plan.stepCount));
  const reasons = new Map(plan.dropped.map((d) => [d.index, d.reason] as const));
  let rank = 0;
  for (let i = 0; i < plan.stepCount; i++) {
    const o = controls.overrides[i];
    if (pins.has(i) || o === 'keep') reasons.delete(i);
    else if (o === 'drop') reasons.set(i, { method: METHOD.manual, scoreName: METHOD.manual, rank: ++rank, rule: 'dropped by hand' });
  }
  return makePlan(plan.method, plan.stepCount, reasons, pins, {
    ...(plan.budget ? { budget: plan.budget } : {}),
    ...(plan.notes ? { notes: plan.notes } : {}),
  });
}

/** Pin or unpin a step (returns new controls). */
export function togglePin(controls: StepControls, index: number): StepControls {
  const pinned = controls.pinned.includes(index)
    ? controls.pinned.filter((i) => i !== index)
    : [...controls.pinned, index].sort((a, b) => a - b);
  return { ...controls, pinned };
}

/** Set (or with `undefined`, reset) the manual override of a step. */
export function setOverride(controls: StepControls, index: number, value: 'keep' | 'drop' | undefined): StepControls {
  const overrides: Record<number, 'keep' | 'drop'> = { ...controls.overrides };
  if (value === undefined) delete overrides[index];
  else overrides[index] = value;
  return { ...controls, overrides };
}

/** Undo/redo history of values (plans, or plans with controls): an immutable stack. */
export interface History<T> {
  readonly past: readonly T[];
  readonly present: T;
  readonly future: readonly T[];
}

/** A history holding one value. */
export function historyOf<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/** Record a new present; the redo branch is discarded. `limit` caps the undo depth. */
export function historyPush<T>(h: History<T>, next: T, limit = 100): History<T> {
  const past = [...h.past, h.present];
  return { past: past.length > limit ? past.slice(past.length - limit) : past, present: next, future: [] };
}

/** Step back; unchanged when there is nothing to undo. */
export function historyUndo<T>(h: History<T>): History<T> {
  if (!h.past.length) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1]!, future: [h.present, ...h.future] };
}

/** Step forward; unchanged when there is nothing to redo. */
export function historyRedo<T>(h: History<T>): History<T> {
  if (!h.future.length) return h;
  return { past: [...h.past, h.present], present: h.future[0]!, future: h.future.slice(1) };
}

/** Whether `historyUndo` / `historyRedo` would change anything. */
export function canUndo<T>(h: History<T>): boolean {
  return h.past.length > 0;
}

/** See `canUndo`. */
export function canRedo<T>(h: History<T>): boolean {
  return h.future.length > 0;
}

/** Join kept step texts the way ASAP does (`"\n\n".join(kept)`). */
export function joinKept(texts: readonly string[], kept: readonly number[], separator = STEP_SEPARATOR): string {
  return kept.map((i) => texts[i]!).join(separator);
}


