/**
 * Iterative ASAP (ours; ASAP, arXiv 2508.05988, describes re-scoring but ships the one-pass "global"
 * mode): after each removal, re-score the remaining steps on the pruned context (a model call), then
 * remove the lowest first-token surprisal again. Opt-in, slow, cancellable.
 */
import { asapOrder, surprisalDrop, type TokenCounter } from './asap';
import { resolveBudget, type Budget } from './budget';
import { joinKept, makePlan, normaliseIndices, type DropReason, type PrunePlan } from './plan';
import { METHOD } from './methods';
import { STEP_SEPARATOR } from '../../shared/vocabulary';
import { ordinal } from '../../shared/format';
import { throwIfAborted } from '../cancel';

/** Progress of a long-running method. */
export interface PruneProgress {
  /** Steps removed so far. */
  readonly removed: number;
  /** Tokens of the kept text now. */
  readonly tokens: number;
  readonly target: number;
  /** The step just removed, if any. */
  readonly step?: number;
  readonly message: string;
}

/**
 * Re-scores the kept steps on the context made of those steps only: returns first-token surprisal per
 * step index (indices of `kept`; other entries are ignored).
 */
export type Rescore = (
  kept: readonly number[],
  signal: AbortSignal | undefined,
) => Promise<ReadonlyMap<number, number> | readonly (number | undefined)[]>;

/** Inputs of `asapIterativePrune`. */
export interface AsapIterativeOptions {
  readonly steps: readonly string[];
  readonly countTokens: TokenCounter;
  readonly rescore: Rescore;
  /** Scores of the full trace, when already computed (saves the first model call). */
  readonly initialScores?: readonly (number | undefined)[];
  readonly budget?: Budget | number;
  readonly pinned?: Iterable<number>;
  readonly separator?: string;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: PruneProgress) => void) | undefined;
}

/** Run iterative ASAP; rejects with an `AbortError` when cancelled. */
export async function asapIterativePrune(options: AsapIterativeOptions): Promise<PrunePlan> {
  const { steps, countTokens, signal } = options;
  const separator = options.separator ?? STEP_SEPARATOR;
  const n = steps.length;
  const pinned = new Set(normaliseIndices(options.pinned ?? [], n));
  let kept = Array.from({ length: n }, (_, i) => i);
  const before = countTokens(joinKept(steps, kept, separator));
  const { target, description } = resolveBudget(options.budget ?? 0.8, before, steps);
  const reasons = new Map<number, DropReason>();
  let current = before;
  let scores: readonly (number | undefined)[] | undefined = options.initialScores;
  let rank = 0;
  // Never the last step (as in `asapPrune`).
  while (current > target && kept.length > 1) {
    throwIfAborted(signal);
    if (!scores) scores = toArray(await options.rescore(kept, signal), n);
    throwIfAborted(signal);
    const keptSet = new Set(kept);
    const candidates = asapOrder(scores, n, pinned).filter((i) => keptSet.has(i));
    const i = candidates[0];
    if (i === undefined) break;
    kept = kept.filter((k) => k !== i);
    const next = countTokens(joinKept(steps, kept, separator));
    rank++;
    reasons.set(i, surprisalDrop(METHOD.asapIterative, scores[i], rank, { before: current, after: next, target },
      `${ordinal(rank)} removal: lowest first-token surprisal after re-scoring the pruned context`));
    current = next;
    scores = undefined;
    options.onProgress?.({ removed: rank, tokens: current, target, step: i, message: `removed step ${i + 1} (${current}/${target} tokens)` });
  }
  return makePlan(METHOD.asapIterative, n, reasons, pinned, {
    budget: { target, before, after: current, met: current <= target, description },
  });
}

function toArray(scores: ReadonlyMap<number, number> | readonly (number | undefined)[], n: number): (number | undefined)[] {
  if (Array.isArray(scores)) return scores as (number | undefined)[];
  const map = scores as ReadonlyMap<number, number>;
  return Array.from({ length: n }, (_, i) => map.get(i));
}
