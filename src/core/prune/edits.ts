/**
 * A plan turned into changes of the reasoning text. Pruning deletes the dropped steps from the
 * reasoning as it is: the kept steps, the whitespace between them and the text before the first and
 * after the last step stay byte for byte (a code block cut into line groups keeps its layout). The same
 * edits rewrite the pruned reasoning wherever it is stored (a text file, a JSON string, several
 * content parts), so nothing outside the reasoning changes. Pure.
 */
import type { Step } from '../types';
import type { PrunePlan } from './plan';
import { SKIP_PLACEHOLDER } from './entropy';

/** Replace `[start, end)` of the reasoning with `text` (empty: a deletion). */
export interface ReasoningEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** A plan that would leave no step: the writers refuse it and keep the trace as it was. */
export class EmptyReasoningError extends Error {
  override readonly name = 'EmptyReasoningError';
}

/**
 * The edits that prune `steps` (offsets into the reasoning, as `segment` returns them) by `plan`,
 * ascending and non-overlapping. A run of dropped steps goes with the whitespace after it, or, at the
 * end of the reasoning, with the whitespace before it, so the kept steps keep the separators they had.
 * With `placeholder` (`true` = `[SKIP]`, step entropy's training format) each dropped step's text is
 * replaced instead and every separator stays. Throws {@link EmptyReasoningError} when the plan keeps no
 * step.
 */
export function pruneEdits(steps: readonly Step[], plan: PrunePlan, options: { readonly placeholder?: string | boolean } = {}): ReasoningEdit[] {
  if (plan.stepCount !== steps.length) throw new RangeError(`a plan for ${plan.stepCount} steps applied to ${steps.length} steps`);
  if (steps.length > 0 && plan.kept.length === 0) throw new EmptyReasoningError('the plan keeps no step, which would empty the reasoning');
  const dropped = new Set(plan.dropped.map((d) => d.index));
  const placeholder = options.placeholder === true ? SKIP_PLACEHOLDER : options.placeholder || undefined;
  const edits: ReasoningEdit[] = [];
  if (placeholder !== undefined) {
    steps.forEach((s, i) => {
      if (dropped.has(i)) edits.push({ start: s.start, end: s.end, text: placeholder });
    });
    return edits;
  }
  for (let i = 0; i < steps.length; i++) {
    if (!dropped.has(i)) continue;
    let j = i;
    while (j + 1 < steps.length && dropped.has(j + 1)) j++;
    const next = steps[j + 1];
    const previous = steps[i - 1];
    if (next) edits.push({ start: steps[i]!.start, end: next.start, text: '' });
    else if (previous) edits.push({ start: previous.end, end: steps[j]!.end, text: '' });
    i = j;
  }
  return edits;
}

/** `text` with `edits` (ascending, non-overlapping, offsets into `text`) applied. */
export function applyEdits(text: string, edits: readonly ReasoningEdit[]): string {
  let out = '';
  let pos = 0;
  for (const e of edits) {
    if (e.start < pos || e.end < e.start || e.end > text.length) throw new RangeError(`edit [${e.start}, ${e.end}) out of order or outside a text of ${text.length}`);
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/** The pruned reasoning: `reasoning` with the plan's edits applied (see {@link pruneEdits}). */
export function prunedReasoningText(reasoning: string, steps: readonly Step[], plan: PrunePlan, options: { readonly placeholder?: string | boolean } = {}): string {
  return applyEdits(reasoning, pruneEdits(steps, plan, options));
}
