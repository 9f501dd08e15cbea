/**
 * One entry point for every pruning method: turns a trace's steps, per-step scores, manual controls and
 * a budget into the inputs each method wants, runs it, and fills in the budget figures. Shared by the
 * extension (`src/pipeline/pruneRunner.ts`), the CLI and the evaluation, so a method means the same
 * thing everywhere. Pure: model calls come in as functions.
 */
import { anchorPrune } from './anchor';
import { asapPrune, type AdditiveTokenCounter, type TokenCounter } from './asap';
import { asapIterativePrune, type PruneProgress, type Rescore } from './asapIterative';
import { resolveBudget, type Budget } from './budget';
import { confidencePrune } from './confidence';
import { perplexityPrune, type PerplexityWithout } from './perplexity';
import { pruneMethod } from './index';
import { joinKept, keepAllPlan, makePlan, protectedSteps, type DropReason, type PrunePlan, type PruneMethodId, type StepControls } from './plan';
import type { StepScores } from '../types';

/** Methods that need no model call: cheap enough to preview on every keystroke. */
export const CHEAP_METHODS: readonly PruneMethodId[] = ['asap', 'entropy', 'confidence', 'anchor', 'manual'];

/** True when `method` runs synchronously without a model (see `CHEAP_METHODS`). */
export function isCheapMethod(method: PruneMethodId): boolean {
  return CHEAP_METHODS.includes(method);
}

/** What every method may read. */
export interface PruneRequest {
  readonly method: PruneMethodId;
  readonly budget: Budget;
  /** Step texts, in order. */
  readonly steps: readonly string[];
  /** Per-step scores (index-aligned with `steps`); absent when nothing has scored the trace. */
  readonly scores?: readonly (StepScores | undefined)[];
  /** Pins and keep overrides: never removed, and counted against the budget. */
  readonly controls?: StepControls;
  /** The trace's final answer (`confidence`). */
  readonly finalAnswer?: string;
  /** Anchor text (`anchor`): a short direct solution, sections split on blank lines. */
  readonly anchor?: string;
  readonly countTokens: TokenCounter;
  /** Joiner of kept steps (ASAP: `"\n\n"`). */
  readonly separator?: string;
}

/** Model calls the slow methods need. */
export interface PruneModel {
  /** First-token surprisal of each kept step on the pruned context (`asap-iterative`). */
  readonly rescore?: Rescore;
  /** Perplexity of the rest given only the kept steps (`perplexity`). */
  readonly perplexityWithout?: PerplexityWithout;
}

/** Inputs of `runPruneMethod`: a request plus model calls, cancellation and progress. */
export interface AsyncPruneRequest extends PruneRequest {
  readonly model?: PruneModel;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PruneProgress) => void;
}

/** A method could not run on this input; the message says what is missing and how to get it. */
export class PruneInputError extends Error {
  override readonly name = 'PruneInputError';
}

/**
 * Run a cheap method synchronously (asap, entropy, confidence, anchor, manual). Throws
 * `PruneInputError` for a slow method or a missing input (scores, anchor, final answer).
 */
export function runCheapPrune(request: PruneRequest): PrunePlan {
  const { method } = request;
  if (!isCheapMethod(method)) {
    throw new PruneInputError(`${pruneMethod(method).label} calls the model for every step; run it with a scoring backend`);
  }
  const pinned = protectedSteps(request.controls ?? { pinned: [], overrides: {} });
  const separator = request.separator ?? '\n\n';
  const { steps, countTokens } = request;
  switch (method) {
    case 'asap':
      return asapPrune({
        steps, countTokens, separator, pinned, budget: request.budget,
        firstTokenSurprisal: requireScore(request, 'firstTokenSurprisal'),
      });
    case 'entropy':
      return entropyBudgetPrune(request, pinned, separator);
    case 'confidence': {
      const finalAnswer = request.finalAnswer?.trim();
      if (!finalAnswer) throw new PruneInputError('the confidence method needs the trace\'s final answer (\\boxed{…}, #### N or "the answer is …"), and this trace states none');
      const confidence = request.scores?.map((s) => s?.confidence);
      const { plan } = confidencePrune({ steps, finalAnswer, pinned, ...(confidence?.some((c) => c !== undefined) ? { confidence } : {}) });
      return withBudgetFigures(plan, request);
    }
    case 'anchor': {
      const anchor = request.anchor?.trim();
      if (!anchor) throw new PruneInputError('anchor matching needs an anchor text (a short direct solution); this trace has no answer to use as one');
      return withBudgetFigures(anchorPrune({ steps, anchor, pinned }).plan, request);
    }
    case 'manual':
      return withBudgetFigures(keepAllPlan(steps.length, pinned), request);
    default:
      throw new PruneInputError(`unknown cheap method ${method}`);
  }
}

/** Run any method; slow ones call `request.model`, honour `signal` and report progress. */
export async function runPruneMethod(request: AsyncPruneRequest): Promise<PrunePlan> {
  const { method, steps, countTokens, signal } = request;
  if (isCheapMethod(method)) return runCheapPrune(request);
  const pinned = protectedSteps(request.controls ?? { pinned: [], overrides: {} });
  const separator = request.separator ?? '\n\n';
  const common = {
    steps, countTokens, separator, pinned, budget: request.budget,
    ...(signal ? { signal } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  };
  if (method === 'asap-iterative') {
    const rescore = request.model?.rescore;
    if (!rescore) throw new PruneInputError('ASAP with re-scoring needs a model: choose a scoring backend (local model or endpoint)');
    const initial = request.scores?.map((s) => s?.firstTokenSurprisal);
    return asapIterativePrune({ ...common, rescore, ...(initial?.some((x) => x !== undefined) ? { initialScores: initial } : {}) });
  }
  if (method === 'perplexity') {
    const perplexityWithout = request.model?.perplexityWithout;
    if (!perplexityWithout) throw new PruneInputError('perplexity pruning needs a model: choose a scoring backend (local model or endpoint)');
    return perplexityPrune({ ...common, perplexityWithout });
  }
  throw new PruneInputError(`unknown pruning method ${String(method)}`);
}

/**
 * Step entropy under a token budget. The paper (arXiv 2508.03346) masks a fixed fraction of the
 * lowest-entropy steps; with a token budget we drop lowest-entropy steps until the kept text fits,
 * which is the paper's rule with the fraction chosen by the budget (so every method is compared at
 * the same token budget). Prefers the full-vocabulary `stepEntropy`, else `sampledTokenEntropy`.
 */
function entropyBudgetPrune(request: PruneRequest, pinned: readonly number[], separator: string): PrunePlan {
  const full = request.scores?.map((s) => s?.stepEntropy);
  const useFull = full?.some((h) => h !== undefined) ?? false;
  const scoreName = useFull ? 'stepEntropy' : 'sampledTokenEntropy';
  const entropy = useFull ? full! : requireScore(request, 'sampledTokenEntropy', 'stepEntropy');
  return greedyBudgetPrune({
    method: 'entropy', scoreName, scores: entropy, steps: request.steps, countTokens: request.countTokens,
    budget: request.budget, pinned, separator,
    rule: (rank) => `${ordinalRank(rank)} lowest step entropy; removed while the kept text exceeded the budget`,
  });
}

/** Remove unpinned steps by ascending score (unscored last, ties by index) until the kept text fits. */
export function greedyBudgetPrune(options: {
  readonly method: PruneMethodId;
  readonly scoreName: string;
  readonly scores: readonly (number | undefined)[];
  readonly steps: readonly string[];
  readonly countTokens: TokenCounter;
  readonly budget: Budget;
  readonly pinned: readonly number[];
  readonly separator: string;
  readonly rule: (rank: number) => string;
}): PrunePlan {
  // ASAP's loop is exactly this with first-token surprisal; reuse it and relabel the reasons.
  const plan = asapPrune({
    steps: options.steps, firstTokenSurprisal: options.scores, countTokens: options.countTokens,
    budget: options.budget, pinned: options.pinned, separator: options.separator,
  });
  const reasons = new Map<number, DropReason>(plan.dropped.map((d) => [d.index, {
    ...d.reason, method: options.method, scoreName: options.scoreName, rule: options.rule(d.reason.rank),
  }]));
  return makePlan(options.method, plan.stepCount, reasons, plan.pinned, plan.budget ? { budget: plan.budget } : {});
}

/** Budget figures for rule-based methods (they ignore the budget, but the UI shows "tokens after"). */
function withBudgetFigures(plan: PrunePlan, request: PruneRequest): PrunePlan {
  const separator = request.separator ?? '\n\n';
  const all = Array.from({ length: request.steps.length }, (_, i) => i);
  const before = request.countTokens(joinKept(request.steps, all, separator));
  const after = request.countTokens(joinKept(request.steps, plan.kept, separator));
  const { target, description } = resolveBudget(request.budget, before, request.steps);
  const rule = pruneMethod(plan.method).label;
  return { ...plan, budget: { target, before, after, met: after <= target, description: `${description} (${rule} is rule-based and does not aim at the budget)` } };
}

function requireScore(request: PruneRequest, name: keyof StepScores, alternative?: keyof StepScores): (number | undefined)[] {
  const values = request.scores?.map((s) => s?.[name] as number | undefined);
  if (!values?.some((v) => v !== undefined)) {
    throw new PruneInputError(`${pruneMethod(request.method).label} needs per-step ${alternative ?? name} scores: score the trace first (its logprobs, a local model or an endpoint)`);
  }
  return values;
}

function ordinalRank(n: number): string {
  const mod100 = n % 100;
  const suffix = mod100 >= 11 && mod100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/**
 * A token counter for the joined kept text built from per-step token counts (a tokenizer's, from the
 * scores): the sum of the kept steps' counts plus `separatorTokens` per join. BPE rarely merges across
 * a blank line, so this matches re-tokenising the joined text closely without a model call. The text
 * must be a join of some steps in order (what every method passes); anything else falls back to
 * `fallback`.
 */
export function stepSumCounter(
  steps: readonly string[],
  stepTokens: readonly number[],
  fallback: TokenCounter,
  separator = '\n\n',
  separatorTokens = 1,
): AdditiveTokenCounter {
  const count = (text: string): number => {
    let pos = 0;
    let total = 0;
    let count = 0;
    for (let i = 0; i < steps.length && pos <= text.length; i++) {
      const s = steps[i]!;
      const at = count === 0 ? pos : pos + separator.length;
      if (count > 0 && !text.startsWith(separator, pos)) break;
      if (!text.startsWith(s, at)) continue;
      const end = at + s.length;
      if (end !== text.length && !text.startsWith(separator, end)) continue;
      total += stepTokens[i] ?? 0;
      count++;
      pos = end;
      if (pos === text.length) break;
    }
    if (pos !== text.length) return fallback(text);
    return total + Math.max(0, count - 1) * separatorTokens;
  };
  return Object.assign(count, { additive: { stepTokens, separatorTokens } });
}

/** Why a step is where it is in an effective plan, in words (hover, "Why Was This Step Dropped?"). */
export interface StepDecision {
  readonly index: number;
  readonly kept: boolean;
  /** One line: "Step 4 was dropped by ASAP (first-token surprisal): 3rd lowest …". */
  readonly summary: string;
  /** Further lines: score, budget situation. */
  readonly details: readonly string[];
  readonly reason?: DropReason;
}

/**
 * Explain one step of an effective plan (`TraceSession.plan`): the drop reason with its score and
 * budget line, or why it is kept (pinned, kept by hand, kept by the method, or no method has run).
 */
export function explainStep(plan: PrunePlan, controls: StepControls, index: number): StepDecision {
  const n = index + 1;
  const dropped = plan.dropped.find((d) => d.index === index);
  if (dropped) {
    const r = dropped.reason;
    const who = r.method === 'manual' ? 'by hand' : `by ${pruneMethod(r.method).label}`;
    const details = [
      ...(r.score !== undefined ? [`${r.scoreName} = ${formatScore(r.score)}`] : []),
      ...(r.budgetLine ? [`budget: ${r.budgetLine}`] : []),
      ...(r.method !== 'manual' ? [`source: ${pruneMethod(r.method).source}`] : []),
    ];
    return { index, kept: false, summary: `Step ${n} was dropped ${who}: ${r.rule}.`, details, reason: r };
  }
  const why = controls.pinned.includes(index)
    ? 'it is pinned, so no method may remove it'
    : controls.overrides[index] === 'keep'
      ? 'you kept it by hand'
      : plan.method === 'manual' && plan.dropped.length === 0
        ? 'no pruning method has run on this trace'
        : `${pruneMethod(plan.method).label} kept it`;
  return { index, kept: true, summary: `Step ${n} is kept: ${why}.`, details: [] };
}

function formatScore(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3);
}
