/**
 * Runs a pruning method on a `TraceSession`: the thin adapter between a session (steps, scores, pins),
 * a scoring backend (tokenizer, model calls) and the pure methods in `core/prune`. It imports no
 * `vscode`, so the CLI and tests use it as it is; the commands wrap it with progress and cancellation.
 */
import { alignStepsToTokens } from '../core/align';
import { estimateTokens, SEPARATOR_TOKENS } from '../core/session';
import type { Budget } from '../core/prune/budget';
import type { TokenCounter } from '../core/prune/asap';
import { joinKept, protectedSteps, type PruneMethodId, type PrunePlan } from '../core/prune/plan';
import { METHOD, pruneMethod } from '../core/prune/methods';
import { resolveBudget } from '../core/prune/budget';
import type { PruneProgress } from '../core/prune/asapIterative';
import { PruneInputError, runCheapPrune, runPruneMethod, stepSumCounter, type PruneModel, type PruneRequest } from '../core/prune/run';
import { filePruner, planOutcome, type AsyncTracePruner, type StepTokenCounts } from '../core/export/dataset';
import { segment } from '../core/steps';
import { TraceSession } from '../core/session';
import type { Trace } from '../core/trace/types';
import type { SegmentationMode, Step } from '../core/types';
import type { ScoringBackend } from '../model/backend';
import { scoreSession, scoringText, tokenTableFromScored } from './scoreTrace';
import { stepScoresFromTable } from '../core/tokenTable';
import type { ScoreCache } from './scoreCache';
import { STEP_SEPARATOR } from '../shared/vocabulary';
import { throwIfAborted } from '../core/cancel';

export { PruneInputError } from '../core/prune/run';

/** Options of `runPrune` / `previewPrune`. */
export interface PruneRunOptions {
  readonly signal?: AbortSignal | undefined;
  /** Tokenizer for budgets, scores when the session has none, and model calls of slow methods. */
  readonly backend?: ScoringBackend | undefined;
  /** Where scores of the backend are looked up first and stored after (the extension's score cache). */
  readonly cache?: ScoreCache | undefined;
  /** Anchor text for `anchor` (default: the trace's visible answer, a condensed write-up). */
  readonly anchor?: string | undefined;
  /** Counts tokens of a text; default: the session's tokenizer counts, else ~4 characters per token. */
  readonly countTokens?: ((text: string) => number) | undefined;
  /**
   * Progress of a slow method: `done` of an estimated `total` model calls (the total follows the budget
   * as steps go), with a note such as "3 steps removed".
   */
  readonly onProgress?: ((done: number, total: number, note?: string) => void) | undefined;
  /** Methods run after the first, each on the steps the previous kept (see `PruneRequest.then`). */
  readonly then?: readonly PruneMethodId[] | undefined;
  /** Rule-based methods stop at the budget too (see `PruneRequest.ruleBudget`). */
  readonly ruleBudget?: boolean | undefined;
}


/**
 * Token counter for a session when the caller gives none: the sum of the steps' token counts (the
 * tokenizer's when the session was scored, else the ~4-characters-per-token estimate) plus one per
 * blank line between them, which is how the session's totals count too, so plans and views agree.
 */
export function sessionTokenCounter(session: TraceSession): TokenCounter {
  const texts = session.steps.map((s) => s.text);
  return stepSumCounter(texts, texts.map((_, i) => session.stepTokens(i)), estimateTokens, STEP_SEPARATOR, SEPARATOR_TOKENS);
}

function request(session: TraceSession, method: PruneMethodId, budget: Budget, options: PruneRunOptions, countTokens: TokenCounter): PruneRequest {
  const anchor = options.anchor ?? session.trace.answer;
  return {
    method,
    then: options.then,
    budget,
    ruleBudget: options.ruleBudget,
    steps: session.steps.map((s) => s.text),
    scores: session.scores?.steps,
    controls: session.controls,
    finalAnswer: session.trace.finalAnswer,
    // An empty answer is no anchor.
    anchor: anchor || undefined,
    countTokens,
    separator: STEP_SEPARATOR,
  };
}

/**
 * The plan a cheap method (asap, entropy, confidence, anchor, loops, manual) would produce, synchronously and
 * without touching the session, so a UI can show "4,812 → 3,840 tokens" before the user commits.
 * Throws `PruneInputError` when the method lacks an input (scores, anchor, final answer) or needs a model.
 */
export function previewPrune(session: TraceSession, method: PruneMethodId, budget: Budget, options: PruneRunOptions = {}): PrunePlan {
  return runCheapPrune(request(session, method, budget, options, options.countTokens ?? sessionTokenCounter(session)));
}

/**
 * Run any method on a session and return its plan (the caller applies it with `session.applyPlan`, so
 * one undo step reverts it). Pins and keep overrides from `session.controls` are protected. When the
 * method needs scores the session lacks and a backend is given, the trace is scored first and the
 * scores are stored on the session. Slow methods call the backend per step; they honour `signal`
 * (rejecting with an `AbortError`) and report progress.
 */
export async function runPrune(session: TraceSession, method: PruneMethodId, budget: Budget, options: PruneRunOptions = {}): Promise<PrunePlan> {
  const { backend, signal } = options;
  throwIfAborted(signal);
  if (backend && !session.scores && [method, ...(options.then ?? [])].some((m) => pruneMethod(m).needs.scores !== 'none')) {
    await scoreSession(session, backend, { signal, cache: options.cache });
  }
  let countTokens = options.countTokens;
  if (!countTokens && backend && session.tokensEstimated) countTokens = await backendStepCounter(session, backend, signal);
  countTokens ??= sessionTokenCounter(session);
  const base = request(session, method, budget, options, countTokens);
  const progress = options.onProgress ? new SlowMethodProgress(session, method, budget, countTokens, options.onProgress) : undefined;
  const model = backend ? modelCalls(session, backend, progress ? () => progress.called() : undefined) : undefined;
  return runPruneMethod({
    ...base,
    model,
    signal,
    onProgress: progress && ((p: PruneProgress) => progress.update(p)),
  });
}

/**
 * Progress of a slow method in model calls, the unit its time goes into. The total is an estimate
 * that follows the budget: the removals still needed are the tokens above the target over the mean
 * kept step; SPIRIT (`perplexity`) tries every remaining unpinned step per removal (plus one baseline
 * call), iterative ASAP re-scores once per removal. So the bar moves within a round and an ETA can be
 * given from the start, instead of "0 steps removed" for the whole first round.
 */
class SlowMethodProgress {
  private calls = 0;
  private removed = 0;
  private tokens: number;
  private readonly target: number;
  private readonly removable: number;
  private readonly steps: number;

  constructor(
    session: TraceSession,
    private readonly method: PruneMethodId,
    budget: Budget,
    countTokens: TokenCounter,
    private readonly report: (done: number, total: number, note?: string) => void,
  ) {
    const texts = session.steps.map((s) => s.text);
    this.steps = texts.length;
    this.tokens = countTokens(joinKept(texts, texts.map((_, i) => i), STEP_SEPARATOR));
    this.target = resolveBudget(budget, this.tokens, texts).target;
    this.removable = Math.max(0, this.steps - protectedSteps(session.controls).length);
  }

  called(): void {
    this.calls++;
    this.emit();
  }

  update(p: PruneProgress): void {
    this.removed = p.removed;
    this.tokens = p.tokens;
    this.emit();
  }

  /** Calls the whole run will take, at the current estimate (never below the calls made, plus one). */
  private estimatedCalls(): number {
    const kept = Math.max(1, this.steps - this.removed);
    const perStep = this.tokens / kept;
    const more = perStep > 0 ? Math.ceil(Math.max(0, this.tokens - this.target) / perStep) : 0;
    const rounds = Math.min(this.removable, this.removed + more);
    const calls = this.method === METHOD.perplexity
      // A baseline, then round r tries each of the (removable − r) steps still there.
      ? 1 + rounds * this.removable - (rounds * (rounds - 1)) / 2
      : rounds;
    return Math.max(this.calls + 1, calls);
  }

  private emit(): void {
    this.report(this.calls, this.estimatedCalls(), `${this.removed} step${this.removed === 1 ? '' : 's'} removed`);
  }
}

/** Tokenise the reasoning once with the backend and count each step's tokens by character offsets. */
async function backendStepCounter(session: TraceSession, backend: ScoringBackend, signal: AbortSignal | undefined): Promise<TokenCounter> {
  const tokenized = await backend.tokenize(session.trace.reasoning, signal);
  const spans = Array.from(tokenized.starts, (start, i) => ({ start, end: tokenized.ends[i]! }));
  const ranges = alignStepsToTokens(spans, session.steps, 0);
  const texts = session.steps.map((s) => s.text);
  const sep = await backend.tokenize(STEP_SEPARATOR, signal);
  return stepSumCounter(texts, ranges.map((r) => r.tokenCount), estimateTokens, STEP_SEPARATOR, Math.max(1, sep.ids.length));
}

/**
 * Model calls of the slow methods, on the pruned context: prompt, then the kept steps joined with a
 * blank line (what an exported trace would contain), then the answer.
 */
function modelCalls(session: TraceSession, backend: ScoringBackend, onCall?: () => void): PruneModel {
  const trace = session.trace;
  const texts = session.steps.map((s) => s.text);
  /** The pruned reasoning with each kept step's offsets in it. */
  const prunedSteps = (kept: readonly number[]): { reasoning: string; steps: Step[] } => {
    const steps: Step[] = [];
    let pos = 0;
    kept.forEach((i, k) => {
      if (k > 0) pos += STEP_SEPARATOR.length;
      steps.push({ index: i, start: pos, end: pos + texts[i]!.length, text: texts[i]! });
      pos += texts[i]!.length;
    });
    return { reasoning: joinKept(texts, kept, STEP_SEPARATOR), steps };
  };
  return {
    rescore: async (kept, signal) => {
      const { reasoning, steps } = prunedSteps(kept);
      const { text, reasoningOffset } = scoringText({ ...trace, reasoning });
      const scored = await backend.score(text, { topK: 0, entropy: false, signal });
      onCall?.();
      const table = tokenTableFromScored(scored, reasoningOffset);
      const { scores } = stepScoresFromTable(table, steps);
      const out = new Map<number, number>();
      scores.steps.forEach((s, k) => {
        if (s.firstTokenSurprisal !== undefined) out.set(steps[k]!.index, s.firstTokenSurprisal);
      });
      return out;
    },
    // SPIRIT: perplexity of everything after the prompt (kept reasoning, then the answer) given the kept steps.
    perplexityWithout: async (kept, signal) => {
      const { reasoning } = prunedSteps(kept);
      const { text, reasoningOffset } = scoringText({ ...trace, reasoning });
      const full = trace.answer ? `${text}\n</think>\n\n${trace.answer}` : text;
      const scored = await backend.score(full, { topK: 0, entropy: false, signal });
      onCall?.();
      let sum = 0;
      let n = 0;
      for (let t = 0; t < scored.starts.length; t++) {
        const lp = scored.logprob[t]!;
        if (scored.starts[t]! < reasoningOffset || Number.isNaN(lp)) continue;
        sum -= lp;
        n++;
      }
      return n ? Math.exp(sum / n) : Number.POSITIVE_INFINITY;
    },
  };
}

/** Options of {@link backendPruner}. */
export interface BackendPrunerOptions {
  readonly method: PruneMethodId;
  readonly then?: readonly PruneMethodId[] | undefined;
  readonly budget: Budget;
  readonly ruleBudget?: boolean | undefined;
  readonly segmentation: SegmentationMode;
  readonly placeholder?: string | boolean | undefined;
  readonly backend: ScoringBackend;
  readonly cache?: ScoreCache | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Take the scores from the file's logprobs where a trace has them (no model call), and use the
   * backend only for the others (what the editor's dataset export does). Off: the backend scores every
   * trace (the CLI's `--model`).
   */
  readonly preferFileScores?: boolean | undefined;
  /**
   * Token counts of a trace's steps in the tokenizer of the model that wrote it (budgets and totals in
   * its tokens, as in the editor); where it gives none, the scoring model's tokenizer counts.
   */
  readonly stepTokens?: ((trace: Trace, steps: readonly string[]) => StepTokenCounts | undefined) | undefined;
}

/**
 * A pruner for exports that scores each trace with a backend (local model or endpoint) and runs the
 * method(s) on it, like "Prune with…" does on one trace: the same `runPrune`, so a dataset export and
 * the editor prune alike. A method that cannot run on a trace leaves it unpruned with the reason.
 */
export function backendPruner(options: BackendPrunerOptions): AsyncTracePruner {
  const methods = [options.method, ...(options.then ?? [])];
  const needsModel = methods.some((m) => pruneMethod(m).needs.model);
  const needsScores = methods.some((m) => pruneMethod(m).needs.scores === 'required');
  const fromFile = filePruner(options);
  return async (trace) => {
    if (options.preferFileScores && !needsModel && (!needsScores || hasReasoningLogprobs(trace))) return fromFile(trace);
    const steps = segment(trace.reasoning, options.segmentation, trace.chunks);
    if (!steps.length) return { ok: false, reason: 'no steps' };
    const session = new TraceSession(trace, steps, options.segmentation);
    // Counted like the editor's session: the writer's tokenizer where one applies, else the scoring model's.
    const named = options.stepTokens?.(trace, steps.map((s) => s.text));
    if (named) session.setTokenCounts(named.counts, named.by);
    try {
      const { backend, cache, signal, then, ruleBudget } = options;
      const plan = await runPrune(session, options.method, options.budget, { backend, cache, signal, then, ruleBudget });
      const totals = session.totals();
      const tokens = { before: plan.budget?.before ?? totals.before, after: plan.budget?.after ?? totals.after };
      // Without a named tokenizer, a budget is counted with the backend's tokenizer (runPrune); totals without one may be estimates.
      const by = named ? named.by : plan.budget || !totals.estimated ? 'scoring-model' : 'estimate';
      return planOutcome(trace, steps, plan, { ...tokens, by }, options.placeholder);
    } catch (error) {
      if (error instanceof PruneInputError) return { ok: false, reason: error.message };
      throw error;
    }
  };
}

/** True when the trace's file gave token logprobs for its reasoning. */
function hasReasoningLogprobs(trace: Trace): boolean {
  return trace.logprobs?.some((t) => t.region === 'reasoning' && t.start >= 0) ?? false;
}
