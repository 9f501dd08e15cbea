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
import { loopsPrune } from './loops';
import { perplexityPrune, type PerplexityWithout } from './perplexity';
import { isCheapMethod, METHOD, pruneMethod, type PruneMethodId } from './methods';
import { joinKept, keepAllPlan, makePlan, NO_CONTROLS, protectedSteps, type DropReason, type PrunePlan, type StepControls } from './plan';
import type { StepScores } from '../types';
import { STEP_SEPARATOR } from '../../shared/vocabulary';
import { formatScore, ordinal } from '../../shared/format';

/** What every method may read. */
export interface PruneRequest {
  readonly method: PruneMethodId;
  readonly budget: Budget;
  /** Step texts, in order. */
  readonly steps: readonly string[];
  /** Per-step scores (index-aligned with `steps`); absent when nothing has scored the trace. */
  readonly scores?: readonly (StepScores | undefined)[] | undefined;
  /** Pins and keep overrides: never removed, and counted against the budget. */
  readonly controls?: StepControls | undefined;
  /** The trace's final answer (`confidence`). */
  readonly finalAnswer?: string | undefined;
  /** Anchor text (`anchor`): a short direct solution, sections split on blank lines. */
  readonly anchor?: string | undefined;
  readonly countTokens: TokenCounter;
  /** Joiner of kept steps (ASAP: `"\n\n"`). */
  readonly separator?: string | undefined;
}

/** Model calls the slow methods need. */
export interface PruneModel {
  /** First-token surprisal of each kept step on the pruned context (`asap-iterative`). */
  readonly rescore?: Rescore | undefined;
  /** Perplexity of the rest given only the kept steps (`perplexity`). */
  readonly perplexityWithout?: PerplexityWithout | undefined;
}

/** Inputs of `runPruneMethod`: a request plus model calls, cancellation and progress. */
export interface AsyncPruneRequest extends PruneRequest {
  readonly model?: PruneModel | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: PruneProgress) => void) | undefined;
}

/** A method could not run on this input; the message says what is missing and how to get it. */
export class PruneInputError extends Error {
  override readonly name = 'PruneInputError';
}

/** Runs one method on a request, its pins and its separator (see `RUNNERS`). */
type Runner = (request: AsyncPruneRequest, pinned: readonly number[], separator: string) => PrunePlan | Promise<PrunePlan>;

/**
 * How each method turns a request into its own options: one entry per registry id (the compiler
 * rejects a missing one). Cheap methods return a plan; slow ones a promise.
 */
const RUNNERS: Readonly<Record<PruneMethodId, Runner>> = {
  [METHOD.asap]: (request, pinned, separator) => asapPrune({
    steps: request.steps, countTokens: request.countTokens, separator, pinned, budget: request.budget,
    firstTokenSurprisal: requireScore(request, 'firstTokenSurprisal'),
  }),
  [METHOD.entropy]: (request, pinned, separator) => entropyBudgetPrune(request, pinned, separator),
  [METHOD.confidence]: (request, pinned) => {
    const finalAnswer = request.finalAnswer?.trim();
    if (!finalAnswer) throw new PruneInputError('the confidence method needs the trace\'s final answer (\\boxed{…}, #### N or "the answer is …"), and this trace states none');
    const confidence = request.scores?.map((s) => s?.confidence);
    const { plan } = confidencePrune({ steps: request.steps, finalAnswer, pinned, ...(confidence?.some((c) => c !== undefined) ? { confidence } : {}) });
    return withBudgetFigures(plan, request);
  },
  [METHOD.anchor]: (request, pinned) => {
    const anchor = request.anchor?.trim();
    if (!anchor) throw new PruneInputError('anchor matching needs an anchor text (a short direct solution); this trace has no answer to use as one');
    return withBudgetFigures(anchorPrune({ steps: request.steps, anchor, pinned }).plan, request);
  },
  [METHOD.loops]: (request, pinned) => withBudgetFigures(loopsPrune({ steps: request.steps, pinned }), request),
  [METHOD.manual]: (request, pinned) => withBudgetFigures(keepAllPlan(request.steps.length, pinned), request),
  [METHOD.asapIterative]: (request, pinned, separator) => {
    const rescore = request.model?.rescore;
    if (!rescore) throw new PruneInputError('ASAP with re-scoring needs a model: choose a scoring backend (local model or endpoint)');
    const initial = request.scores?.map((s) => s?.firstTokenSurprisal);
    return asapIterativePrune({ ...slowOptions(request, pinned, separator), rescore, ...(initial?.some((x) => x !== undefined) ? { initialScores: initial } : {}) });
  },
  [METHOD.perplexity]: (request, pinned, separator) => {
    const perplexityWithout = request.model?.perplexityWithout;
    if (!perplexityWithout) throw new PruneInputError('perplexity pruning needs a model: choose a scoring backend (local model or endpoint)');
    return perplexityPrune({ ...slowOptions(request, pinned, separator), perplexityWithout });
  },
};

/** What the slow methods share: texts, counter, budget, pins, cancellation and progress. */
function slowOptions(request: AsyncPruneRequest, pinned: readonly number[], separator: string) {
  return {
    steps: request.steps, countTokens: request.countTokens, separator, pinned, budget: request.budget,
    signal: request.signal,
    onProgress: request.onProgress,
  };
}

function run(request: AsyncPruneRequest): PrunePlan | Promise<PrunePlan> {
  const runner = RUNNERS[request.method];
  if (!runner) throw new PruneInputError(`unknown pruning method ${String(request.method)}`);
  const pinned = protectedSteps(request.controls ?? NO_CONTROLS);
  return runner(request, pinned, request.separator ?? STEP_SEPARATOR);
}

/**
 * Run a cheap method synchronously (every method the registry does not mark `slow`). Throws
 * `PruneInputError` for a slow method or a missing input (scores, anchor, final answer).
 */
export function runCheapPrune(request: PruneRequest): PrunePlan {
  const { method } = request;
  if (!isCheapMethod(method)) {
    throw new PruneInputError(`${pruneMethod(method).label} calls the model for every step; run it with a scoring backend`);
  }
  const plan = run(request);
  if (plan instanceof Promise) throw new Error(`${pruneMethod(method).label} is registered as cheap but runs asynchronously`);
  return plan;
}

/** Run any method; slow ones call `request.model`, honour `signal` and report progress. */
export async function runPruneMethod(request: AsyncPruneRequest): Promise<PrunePlan> {
  return run(request);
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
    method: METHOD.entropy, scoreName, scores: entropy, steps: request.steps, countTokens: request.countTokens,
    budget: request.budget, pinned, separator,
    rule: (rank) => `${ordinal(rank)} lowest step entropy; removed while the kept text exceeded the budget`,
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
  const separator = request.separator ?? STEP_SEPARATOR;
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
  separator = STEP_SEPARATOR,
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
    const who = r.method === METHOD.manual ? 'by hand' : `by ${pruneMethod(r.method).label}`;
    const details = [
      ...(r.score !== undefined ? [`${r.scoreName} = ${formatScore(r.score)}`] : []),
      ...(r.budgetLine ? [`budget: ${r.budgetLine}`] : []),
      ...(r.method !== METHOD.manual ? [`source: ${pruneMethod(r.method).source}`] : []),
    ];
    return { index, kept: false, summary: `Step ${n} was dropped ${who}: ${r.rule}.`, details, reason: r };
  }
  const why = controls.pinned.includes(index)
    ? 'it is pinned, so no method may remove it'
    : controls.overrides[index] === 'keep'
      ? 'you kept it by hand'
      : plan.method === METHOD.manual && plan.dropped.length === 0
        ? 'no pruning method has run on this trace'
        : `${pruneMethod(plan.method).label} kept it`;
  return { index, kept: true, summary: `Step ${n} is kept: ${why}.`, details: [] };
}
