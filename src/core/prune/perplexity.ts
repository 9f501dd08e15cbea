/**
 * SPIRIT leave-one-out perplexity pruning (arXiv 2502.13260): the importance of step j is
 * PPL(rest | without j) − PPL(rest | with j), "rest" being the later reasoning plus the answer. Remove,
 * one at a time, the step whose removal raises perplexity least, until the budget is met or the
 * smallest increase exceeds a threshold. One model call per candidate per round: explicit, slow,
 * cancellable.
 */
import type { TokenCounter } from './asap';
import type { PruneProgress } from './asapIterative';
import { resolveBudget, type Budget } from './budget';
import { joinKept, makePlan, normaliseIndices, type DropReason, type PrunePlan } from './plan';
import { METHOD } from './methods';
import { STEP_SEPARATOR } from '../../shared/vocabulary';
import { ordinal } from '../../shared/format';
import { throwIfAborted } from '../cancel';

/** Perplexity of the target (later reasoning + answer) given only the `kept` steps. */
export type PerplexityWithout = (kept: readonly number[], signal: AbortSignal | undefined) => Promise<number>;

/** Inputs of `perplexityPrune`. */
export interface PerplexityOptions {
  readonly steps: readonly string[];
  readonly perplexityWithout: PerplexityWithout;
  /** With `budget`: stop once the kept text fits. */
  readonly countTokens?: TokenCounter;
  readonly budget?: Budget | number;
  /** Stop when the smallest perplexity increase would exceed this (absolute PPL units). */
  readonly maxIncrease?: number;
  readonly pinned?: Iterable<number>;
  readonly separator?: string;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: PruneProgress) => void) | undefined;
}

/** Run SPIRIT-style pruning; rejects with an `AbortError` when cancelled. */
export async function perplexityPrune(options: PerplexityOptions): Promise<PrunePlan> {
  const { steps, signal } = options;
  const n = steps.length;
  const separator = options.separator ?? STEP_SEPARATOR;
  const maxIncrease = options.maxIncrease ?? Infinity;
  if (options.budget === undefined && maxIncrease === Infinity) {
    throw new Error('perplexity pruning needs a budget or a maxIncrease threshold');
  }
  if (options.budget !== undefined && !options.countTokens) throw new Error('a budget needs countTokens');
  const count = (kept: readonly number[]): number => (options.countTokens ? options.countTokens(joinKept(steps, kept, separator)) : 0);
  const pinned = new Set(normaliseIndices(options.pinned ?? [], n));
  let kept = Array.from({ length: n }, (_, i) => i);
  const before = count(kept);
  const resolved = options.budget !== undefined ? resolveBudget(options.budget, before, steps) : undefined;
  const target = resolved?.target ?? -Infinity;
  const reasons = new Map<number, DropReason>();
  const notes: string[] = [];
  let current = before;
  throwIfAborted(signal);
  let ppl = await options.perplexityWithout(kept, signal);
  let rank = 0;
  while (resolved ? current > target : true) {
    const candidates = kept.filter((i) => !pinned.has(i));
    // Never the last step: an empty reasoning is not a pruned trace.
    if (!candidates.length || kept.length <= 1) break;
    let best: { index: number; ppl: number } | undefined;
    for (const [k, j] of candidates.entries()) {
      throwIfAborted(signal);
      const without = await options.perplexityWithout(kept.filter((i) => i !== j), signal);
      // Strictly smaller: ties go to the earlier step.
      if (!best || without - ppl < best.ppl - ppl) best = { index: j, ppl: without };
      options.onProgress?.({ removed: rank, tokens: current, target, message: `round ${rank + 1}: scored ${k + 1}/${candidates.length} steps` });
    }
    throwIfAborted(signal);
    const increase = best!.ppl - ppl;
    if (increase > maxIncrease) {
      notes.push(`stopped: removing any further step raises perplexity by more than ${maxIncrease} (least: step ${best!.index + 1}, +${increase.toFixed(3)})`);
      break;
    }
    kept = kept.filter((i) => i !== best!.index);
    const next = count(kept);
    rank++;
    reasons.set(best!.index, {
      method: METHOD.perplexity,
      score: increase,
      scoreName: 'perplexityIncrease',
      rank,
      ...(resolved ? { budgetLine: `${current} → ${next} tokens (target ≤ ${target})` } : {}),
      rule: `${ordinal(rank)} removal: least leave-one-out perplexity increase (${ppl.toFixed(3)} → ${best!.ppl.toFixed(3)})`,
    });
    ppl = best!.ppl;
    current = next;
    options.onProgress?.({ removed: rank, tokens: current, target, step: best!.index, message: `removed step ${best!.index + 1}` });
  }
  return makePlan(METHOD.perplexity, n, reasons, pinned, {
    ...(resolved ? { budget: { target, before, after: current, met: current <= target, description: resolved.description } } : {}),
    notes,
  });
}
