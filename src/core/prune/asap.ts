/**
 * ASAP stage 2 (arXiv 2508.05988; Zengwh02/ASAP `prune-stage2.py`): first-token-surprisal pruning.
 *
 * If tokens(trace) ≤ budget keep everything; else sort the steps by `firstTokenSurprisal` ascending and
 * remove them one at a time, recounting `tokens("\n\n".join(kept))` after each removal, until the kept
 * text fits. No threshold; no re-scoring (see `asapIterative.ts` for that). Ties: the earlier step goes
 * first (ours; Python's stable sort gives the same). Pinned steps are never candidates. Where ASAP
 * would remove the last remaining step (a budget below the smallest step), we keep it and report the
 * budget as not met: the only difference from ASAP's kept set.
 */
import { resolveBudget, type Budget } from './budget';
import { joinKept, makePlan, normaliseIndices, type DropReason, type PrunePlan } from './plan';
import { METHOD, type PruneMethodId } from './methods';
import { STEP_SEPARATOR } from '../../shared/vocabulary';
import { ordinal } from '../../shared/format';

/** Counts the tokens of a text (the model's tokenizer; tests use a word count). */
export type TokenCounter = (text: string) => number;

/**
 * A counter whose count of a join of steps is the sum of per-step counts plus a fixed cost per
 * separator (see `stepSumCounter`). ASAP then updates the count in O(1) per removal instead of
 * re-joining and re-counting the whole kept text, with the same result.
 */
export interface AdditiveTokenCounter extends TokenCounter {
  readonly additive: { readonly stepTokens: readonly number[]; readonly separatorTokens: number };
}

function additiveModel(counter: TokenCounter, stepCount: number): AdditiveTokenCounter['additive'] | undefined {
  const additive = (counter as Partial<AdditiveTokenCounter>).additive;
  return additive && additive.stepTokens.length === stepCount ? additive : undefined;
}

/** Inputs of `asapPrune`. */
export interface AsapOptions {
  /** Step texts, in order (as segmented; joined with `separator` for counting). */
  readonly steps: readonly string[];
  /** First-token surprisal per step; `undefined` (not scored) sorts last. */
  readonly firstTokenSurprisal: readonly (number | undefined)[];
  readonly countTokens: TokenCounter;
  /** Budget; a bare number is a ratio (ASAP default 0.8). */
  readonly budget?: Budget | number;
  readonly pinned?: Iterable<number>;
  /** Joiner used for counting (ASAP: `"\n\n"`). */
  readonly separator?: string;
}

/** Removal order: ascending score, ties by index; unscored steps last; pinned steps excluded. */
export function asapOrder(scores: readonly (number | undefined)[], stepCount: number, pinned: ReadonlySet<number>): number[] {
  const key = (i: number): number => {
    const s = scores[i];
    return s === undefined || Number.isNaN(s) ? Infinity : s;
  };
  return Array.from({ length: stepCount }, (_, i) => i)
    .filter((i) => !pinned.has(i))
    .sort((a, b) => key(a) - key(b) || a - b);
}

/** Run ASAP stage 2. */
export function asapPrune(options: AsapOptions): PrunePlan {
  const { steps, countTokens } = options;
  const separator = options.separator ?? STEP_SEPARATOR;
  const n = steps.length;
  const pinned = new Set(normaliseIndices(options.pinned ?? [], n));
  let kept = Array.from({ length: n }, (_, i) => i);
  const additive = additiveModel(countTokens, n);
  const before = countTokens(joinKept(steps, kept, separator));
  const { target, description } = resolveBudget(options.budget ?? 0.8, before, steps);
  const reasons = new Map<number, DropReason>();
  let current = before;
  if (current > target) {
    let rank = 0;
    for (const i of asapOrder(options.firstTokenSurprisal, n, pinned)) {
      // Never the last step: an empty reasoning is not a pruned trace (ASAP's loop would go on; ours stops).
      if (kept.length <= 1) break;
      kept = kept.filter((k) => k !== i);
      // Recounting the joined text is ASAP's definition; an additive counter gives the same number.
      const next = additive
        ? current - (additive.stepTokens[i] ?? 0) - (kept.length > 0 ? additive.separatorTokens : 0)
        : countTokens(joinKept(steps, kept, separator));
      rank++;
      reasons.set(i, surprisalDrop(METHOD.asap, options.firstTokenSurprisal[i], rank, { before: current, after: next, target },
        `${ordinal(rank)} lowest first-token surprisal; removed while the kept text exceeded ${target} tokens`));
      current = next;
      if (current <= target) break;
    }
  }
  return makePlan(METHOD.asap, n, reasons, pinned, {
    budget: { target, before, after: current, met: current <= target, description },
  });
}

/** The reason of a step that an ASAP-style loop removed by its first-token surprisal. */
export function surprisalDrop(
  method: PruneMethodId,
  score: number | undefined,
  rank: number,
  tokens: { readonly before: number; readonly after: number; readonly target: number },
  rule: string,
): DropReason {
  return {
    method,
    ...(score !== undefined ? { score } : {}),
    scoreName: 'firstTokenSurprisal',
    rank,
    budgetLine: `${tokens.before} → ${tokens.after} tokens (target ≤ ${tokens.target})`,
    rule,
  };
}
