/**
 * One entry point for every pruning method: turns a trace's steps, per-step scores, manual controls and
 * a budget into the inputs each method wants, runs it, and fills in the budget figures. Shared by the
 * extension (`src/pipeline/pruneRunner.ts`), the CLI and the evaluation, so a method means the same
 * thing everywhere. Pure: model calls come in as functions.
 */
import { anchorPrune } from './anchor';
import { asapPrune, type AdditiveTokenCounter, type TokenCounter } from './asap';
import { asapIterativePrune, type PruneProgress, type Rescore } from './asapIterative';
import { ASAP_DEFAULT_RATIO, resolveBudget, type Budget } from './budget';
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
  /**
   * Methods that run after `method`, each on the steps the previous ones kept (e.g. `loops` then
   * `asap`); the budget is measured against the whole trace, so it means the same as for one method.
   */
  readonly then?: readonly PruneMethodId[] | undefined;
  /**
   * The token budget. Methods that aim at a budget (`budgeted` in the registry) fall back to ASAP's
   * default ratio without one. Rule-based methods apply their whole rule unless `ruleBudget` is set.
   */
  readonly budget?: Budget | undefined;
  /**
   * Rule-based methods honour `budget` too: they drop their candidates, most redundant first, only
   * until the kept text fits, never further; when the candidates run out first the plan says the
   * budget is not met and why (the CLI sets this when `--budget` is given).
   */
  readonly ruleBudget?: boolean | undefined;
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

/** The budget a budgeted method works to: the request's, else ASAP's default ratio. */
function budgetOf(request: PruneRequest): Budget {
  return request.budget ?? { kind: 'ratio', ratio: ASAP_DEFAULT_RATIO };
}

/**
 * How each method turns a request into its own options: one entry per registry id (the compiler
 * rejects a missing one). Cheap methods return a plan; slow ones a promise. Rule-based methods return
 * their candidates ranked most redundant first; `ruleBudgetPlan` applies the budget to them.
 */
const RUNNERS: Readonly<Record<PruneMethodId, Runner>> = {
  [METHOD.asap]: (request, pinned, separator) => asapPrune({
    steps: request.steps, countTokens: request.countTokens, separator, pinned, budget: budgetOf(request),
    firstTokenSurprisal: requireScore(request, 'firstTokenSurprisal'),
  }),
  [METHOD.entropy]: (request, pinned, separator) => entropyBudgetPrune(request, pinned, separator),
  [METHOD.confidence]: (request, pinned, separator) => {
    const finalAnswer = request.finalAnswer?.trim();
    if (!finalAnswer) throw new PruneInputError('the confidence method needs the trace\'s final answer (\\boxed{…}, #### N or "the answer is …"), and this trace states none');
    const confidence = request.scores?.map((s) => s?.confidence);
    const { plan } = confidencePrune({ steps: request.steps, finalAnswer, pinned, ...(confidence?.some((c) => c !== undefined) ? { confidence } : {}) });
    return ruleBudgetPlan(plan, request, pinned, separator);
  },
  [METHOD.anchor]: (request, pinned, separator) => {
    const anchor = request.anchor?.trim();
    if (!anchor) throw new PruneInputError('anchor matching needs an anchor text (a short direct solution); this trace has no answer to use as one');
    const { plan } = anchorPrune({ steps: request.steps, anchor, pinned, rankBySimilarity: appliesRuleBudget(request) });
    return ruleBudgetPlan(plan, request, pinned, separator);
  },
  [METHOD.loops]: (request, pinned, separator) => ruleBudgetPlan(loopsPrune({ steps: request.steps, pinned }), request, pinned, separator),
  [METHOD.manual]: (request, pinned, separator) => ruleBudgetPlan(keepAllPlan(request.steps.length, pinned), request, pinned, separator),
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
    steps: request.steps, countTokens: request.countTokens, separator, pinned, budget: budgetOf(request),
    signal: request.signal,
    onProgress: request.onProgress,
  };
}

/** Runs one method (no chain). */
function runOne(request: AsyncPruneRequest): PrunePlan | Promise<PrunePlan> {
  const runner = RUNNERS[request.method];
  if (!runner) throw new PruneInputError(`unknown pruning method ${String(request.method)}`);
  const pinned = protectedSteps(request.controls ?? NO_CONTROLS);
  return runner(request, pinned, request.separator ?? STEP_SEPARATOR);
}

/** A plan that keeps no step would empty the reasoning: refused, so the trace stays as it was. */
function keepsSomething(plan: PrunePlan): PrunePlan {
  if (plan.stepCount > 0 && plan.kept.length === 0) {
    throw new PruneInputError(`${pruneMethod(plan.method).label} would drop every step, which would empty the reasoning; the trace is left unpruned`);
  }
  return plan;
}

/** The methods of a request, in the order they run. */
function chainOf(request: PruneRequest): PruneMethodId[] {
  return [request.method, ...(request.then ?? [])];
}

/**
 * Runs a chain: the first method on the whole trace, each next one on the steps the previous kept (pins
 * and scores follow their steps), with the budget resolved once on the whole trace. The result is one
 * plan over all steps; each dropped step keeps the reason of the method that dropped it.
 */
function runChain(request: AsyncPruneRequest, step: (request: AsyncPruneRequest) => PrunePlan | Promise<PrunePlan>): PrunePlan | Promise<PrunePlan> {
  const [first, ...rest] = chainOf(request);
  const firstPlan = step({ ...request, method: first! });
  if (!rest.length) return firstPlan instanceof Promise ? firstPlan.then(keepsSomething) : keepsSomething(firstPlan);
  const separator = request.separator ?? STEP_SEPARATOR;
  const all = request.steps.map((_, i) => i);
  const before = request.countTokens(joinKept(request.steps, all, separator));
  const resolved = request.budget ? resolveBudget(request.budget, before, request.steps) : undefined;
  // Later methods see only the kept steps: the whole trace's target as an absolute count.
  const target: Budget | undefined = resolved ? { kind: 'tokens', tokens: resolved.target } : undefined;
  const next = (plan: PrunePlan, methods: readonly PruneMethodId[], index: number): PrunePlan | Promise<PrunePlan> => {
    const method = methods[index];
    if (method === undefined) return keepsSomething(chainPlan(plan, request, before, resolved));
    const sub = subRequest(request, plan.kept, method, target);
    const apply = (subPlan: PrunePlan): PrunePlan | Promise<PrunePlan> => next(mergeChain(plan, subPlan, method), methods, index + 1);
    const subPlan = step(sub);
    return subPlan instanceof Promise ? subPlan.then(apply) : apply(subPlan);
  };
  return firstPlan instanceof Promise ? firstPlan.then((p) => next(p, rest, 0)) : next(firstPlan, rest, 0);
}

/** The request a later method of a chain gets: the kept steps only, with their scores, pins and a counter for them. */
function subRequest(request: AsyncPruneRequest, kept: readonly number[], method: PruneMethodId, budget: Budget | undefined): AsyncPruneRequest {
  const position = new Map(kept.map((i, k) => [i, k]));
  const controls = request.controls ?? NO_CONTROLS;
  const overrides: Record<number, 'keep' | 'drop'> = {};
  for (const [i, v] of Object.entries(controls.overrides)) {
    const k = position.get(Number(i));
    if (k !== undefined) overrides[k] = v;
  }
  const additive = (request.countTokens as Partial<AdditiveTokenCounter>).additive;
  const steps = kept.map((i) => request.steps[i]!);
  const countTokens = additive && additive.stepTokens.length === request.steps.length
    ? stepSumCounter(steps, kept.map((i) => additive.stepTokens[i] ?? 0), request.countTokens, request.separator ?? STEP_SEPARATOR, additive.separatorTokens)
    : request.countTokens;
  const { then: _then, budget: _budget, scores, model: _model, ...rest } = request;
  return {
    ...rest,
    method,
    steps,
    countTokens,
    budget,
    scores: scores && kept.map((i) => scores[i]),
    controls: { pinned: controls.pinned.flatMap((i) => (position.has(i) ? [position.get(i)!] : [])), overrides },
    // Model calls speak in original step indices; a later method's indices are positions in `kept`.
    model: request.model && remapModel(request.model, kept),
  };
}

/** Model calls of a chained method, translated from positions in the kept steps to original indices. */
function remapModel(model: PruneModel, kept: readonly number[]): PruneModel {
  const toOriginal = (positions: readonly number[]): number[] => positions.map((k) => kept[k]!);
  const rescore = model.rescore;
  const perplexityWithout = model.perplexityWithout;
  return {
    ...(rescore ? {
      rescore: async (positions: readonly number[], signal: AbortSignal | undefined) => {
        const scores = await rescore(toOriginal(positions), signal);
        // A rescore answers by step index, as a map or an array; either way, read it by original index.
        const at = (i: number): number | undefined => (Array.isArray(scores) ? (scores as readonly (number | undefined)[])[i] : (scores as ReadonlyMap<number, number>).get(i));
        return new Map(positions.flatMap((k) => {
          const v = at(kept[k]!);
          return v === undefined ? [] : [[k, v] as const];
        }));
      },
    } : {}),
    ...(perplexityWithout ? { perplexityWithout: (positions: readonly number[], signal: AbortSignal | undefined) => perplexityWithout(toOriginal(positions), signal) } : {}),
  };
}

/** `plan` (over all steps) with the drops of `sub` (over `plan.kept`) added, ranks continuing. */
function mergeChain(plan: PrunePlan, sub: PrunePlan, method: PruneMethodId): PrunePlan {
  const reasons = new Map<number, DropReason>(plan.dropped.map((d) => [d.index, d.reason]));
  const offset = plan.dropped.length;
  for (const d of sub.dropped) reasons.set(plan.kept[d.index]!, { ...d.reason, rank: offset + d.reason.rank });
  const notes = [...(plan.notes ?? []), ...(sub.notes ?? [])];
  return makePlan(method, plan.stepCount, reasons, plan.pinned, { ...(sub.budget ? { budget: sub.budget } : {}), notes });
}

/** The chain's budget figures measured on the whole trace, and a note naming the chain. */
function chainPlan(plan: PrunePlan, request: PruneRequest, before: number, resolved: ReturnType<typeof resolveBudget> | undefined): PrunePlan {
  const separator = request.separator ?? STEP_SEPARATOR;
  const after = request.countTokens(joinKept(request.steps, plan.kept, separator));
  const target = resolved?.target ?? before;
  const labels = chainOf(request).map((m) => pruneMethod(m).label).join(', then ');
  const reasons = new Map(plan.dropped.map((d) => [d.index, d.reason]));
  return makePlan(plan.method, plan.stepCount, reasons, plan.pinned, {
    budget: { target, before, after, met: after <= target, description: `${labels}: ${resolved?.description ?? 'no budget'}` },
    notes: plan.notes ?? [],
  });
}

/**
 * Run cheap methods synchronously (every method the registry does not mark `slow`), one or a chain
 * (`then`). Throws `PruneInputError` for a slow method, a missing input (scores, anchor, final
 * answer), or a plan that would keep no step.
 */
export function runCheapPrune(request: PruneRequest): PrunePlan {
  for (const method of chainOf(request)) {
    if (!isCheapMethod(method)) throw new PruneInputError(`${pruneMethod(method).label} calls the model for every step; run it with a scoring backend`);
  }
  const plan = runChain(request, runOne);
  if (plan instanceof Promise) throw new Error(`${pruneMethod(request.method).label} is registered as cheap but runs asynchronously`);
  return plan;
}

/** Run any method or chain; slow ones call `request.model`, honour `signal` and report progress. */
export async function runPruneMethod(request: AsyncPruneRequest): Promise<PrunePlan> {
  return runChain(request, runOne);
}

/** True when a rule-based method of this request stops at the budget (see `PruneRequest.ruleBudget`). */
function appliesRuleBudget(request: PruneRequest): boolean {
  return request.ruleBudget === true && request.budget !== undefined;
}

/**
 * Why a plan's kept text is still above its budget, in words that group across traces (the CLI's
 * totals print one line per reason), or undefined when the budget is met.
 */
export function budgetShortfall(plan: PrunePlan): string | undefined {
  if (!plan.budget || plan.budget.met) return undefined;
  const info = pruneMethod(plan.method);
  if (!info.budgeted) return `${info.label} found too few steps to drop to reach the budget; run a budgeted method after it (e.g. --method ${plan.method},${METHOD.asap})`;
  return 'only pinned steps, or the one step a trace always keeps, were left above the budget';
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
    budget: budgetOf(request), pinned, separator,
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

/**
 * The budget side of a rule-based method (anchor, confidence, loops, manual). Without a rule budget
 * (see `PruneRequest.ruleBudget`) every candidate goes and the figures only report the tokens. With
 * one, the candidates go in the method's rank order (most redundant first) only while the kept text
 * exceeds the budget, so a rule never cuts below the budget; when the candidates run out first, the
 * plan says the budget is not met and what to do.
 */
function ruleBudgetPlan(plan: PrunePlan, request: PruneRequest, pinned: readonly number[], separator: string): PrunePlan {
  const label = pruneMethod(plan.method).label;
  const n = request.steps.length;
  if (!appliesRuleBudget(request)) {
    const before = request.countTokens(joinKept(request.steps, Array.from({ length: n }, (_, i) => i), separator));
    const after = request.countTokens(joinKept(request.steps, plan.kept, separator));
    return { ...plan, budget: { target: before, before, after, met: true, description: `no budget: ${label} drops every step its rule flags` } };
  }
  // ASAP's removal loop over the candidates only: everything else is held like a pin.
  const rank = new Map(plan.dropped.map((d) => [d.index, d.reason.rank]));
  const held = Array.from({ length: n }, (_, i) => i).filter((i) => !rank.has(i));
  const cut = asapPrune({
    steps: request.steps, firstTokenSurprisal: Array.from({ length: n }, (_, i) => rank.get(i)), countTokens: request.countTokens,
    budget: budgetOf(request), pinned: held, separator,
  });
  const original = new Map(plan.dropped.map((d) => [d.index, d.reason]));
  const reasons = new Map<number, DropReason>(cut.dropped.map((d) => [d.index, { ...original.get(d.index)!, ...(d.reason.budgetLine ? { budgetLine: d.reason.budgetLine } : {}) }]));
  const b = cut.budget!;
  const notes = [...(plan.notes ?? [])];
  if (!b.met) {
    notes.push(`${label} found only ${plan.dropped.length} step(s) to drop: ${b.after} tokens kept, the budget asks for at most ${b.target}; run a budgeted method after it (e.g. --method ${plan.method},${METHOD.asap})`);
  }
  return makePlan(plan.method, n, reasons, pinned, { budget: { ...b, description: `${b.description} (${label} drops only the steps its rule flags, most redundant first)` }, notes });
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
