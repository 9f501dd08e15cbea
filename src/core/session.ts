/**
 * The state of one trace under inspection: its steps, its scores (when a backend or the file gave
 * them), the pruning plan with manual controls, and the undo history. Pure data and logic: the
 * extension wraps it with VS Code events and persistence, the CLI uses it directly.
 */
import type { Trace } from './trace/types';
import type { SegmentationMode, Step, StepScores, TraceScores } from './types';
import { metricValues, rankMetric, type MetricColumn } from './metrics';
import { detectLoops, type LoopReport } from './insights/loops';
import { findDanglingReferences, type DanglingReference } from './prune/dangling';
import { prunedReasoningText } from './prune/edits';
import { stepScoresFromTable, type TokenTable } from './tokenTable';
import { STEP_METRICS, TEXT_METRIC, type StepMetric } from '../shared/vocabulary';
import { reasoningTokenStarts } from './insights/scan';
import {
  applyControls, historyOf, historyPush, historyRedo, historyUndo, keepAllPlan, NO_CONTROLS,
  setOverride, togglePin, type History, type PrunePlan, type StepControls,
} from './prune/plan';


/** One undoable state: a method's plan plus the manual controls on top of it. */
export interface PlanState {
  readonly plan: PrunePlan;
  readonly controls: StepControls;
  /** What produced this state ("ASAP, budget 0.8", "pin step 4"), for undo/redo labels. */
  readonly label: string;
}

/** What persists of a session (workspace state), keyed by file and content hash. */
export interface PersistedSession {
  readonly version: 1;
  readonly segmentation: SegmentationMode;
  readonly stepCount: number;
  readonly state: PlanState;
}

/**
 * Tokens of the blank line between two kept steps: the joined reasoning is steps separated by
 * `STEP_SEPARATOR`, one token in byte-level BPE vocabularies (and ~1 in the character estimate).
 */
export const SEPARATOR_TOKENS = 1;

/** Rough token count when no tokenizer has run: ~4 characters per token (English BPE average). */
export function estimateTokens(text: string): number {
  return Math.max(text.trim() ? 1 : 0, Math.round(text.length / 4));
}

/** A listener-set without any framework (the extension adapts it to a vscode.Event). */
class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  fire(value: T): void {
    for (const l of [...this.set]) l(value);
  }
}

/** What changed, so views can update only what they must. */
export type SessionChange = 'plan' | 'scores';

export class TraceSession {
  private history: History<PlanState>;
  private scoreData: TraceScores | undefined;
  private scoredBy: string | undefined;
  private table: TokenTable | undefined;
  /** Metric columns of the current scores, computed on first use (cleared when the scores change). */
  private readonly columns = new Map<StepMetric, MetricColumn>();
  private effective: PrunePlan | undefined;
  private counted: { readonly counts: readonly number[]; readonly tokenizer: string; readonly name?: string | undefined } | undefined;
  private loopReport: LoopReport | undefined;
  private dangling: { plan: PrunePlan; refs: DanglingReference[] } | undefined;
  private readonly listeners = new Listeners<SessionChange>();

  constructor(
    readonly trace: Trace,
    readonly steps: readonly Step[],
    readonly segmentation: SegmentationMode,
    restored?: PersistedSession,
  ) {
    const valid = restored && restored.version === 1 && restored.segmentation === segmentation && restored.stepCount === steps.length;
    this.history = historyOf(valid ? restored.state : { plan: keepAllPlan(steps.length), controls: NO_CONTROLS, label: 'original' });
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onDidChange(listener: (change: SessionChange) => void): () => void {
    return this.listeners.add(listener);
  }

  get scores(): TraceScores | undefined {
    return this.scoreData;
  }

  /** Id of the backend that produced the scores (e.g. the model id), if any. */
  get scoreSource(): string | undefined {
    return this.scoredBy;
  }

  /** The token table behind the scores, when they came from one (file logprobs, cache or backend). */
  get tokenTable(): TokenTable | undefined {
    return this.table;
  }

  /**
   * Takes a token table (from the file's logprobs, the score cache or a backend: `source` says which)
   * and derives the step scores from it for this session's steps. Fires `'scores'`.
   */
  setTokenTable(table: TokenTable, source: string): void {
    this.update(stepScoresFromTable(table, this.steps).scores, source, table);
  }

  /** Sets step scores that come without a token table (tests, a CLI with its own scorer). Fires `'scores'`. */
  setScores(scores: TraceScores, source: string): void {
    this.update(scores, source, undefined);
  }

  private update(scores: TraceScores, source: string, table: TokenTable | undefined): void {
    this.scoreData = scores;
    this.scoredBy = source;
    this.table = table;
    this.columns.clear();
    this.listeners.fire('scores');
  }

  /**
   * Values of `metric` per step with their ranks, percentiles and heat buckets within the trace:
   * computed once per scores (importance from the file's chunks), shared by every view.
   */
  metricColumn(metric: StepMetric): MetricColumn {
    let column = this.columns.get(metric);
    if (!column) {
      const repetition = metric === TEXT_METRIC ? this.loops.steps.map((s) => s.repetition) : undefined;
      column = rankMetric(metric, metricValues(metric, this.steps, this.scoreData, this.trace.chunks, repetition));
      this.columns.set(metric, column);
    }
    return column;
  }

  /**
   * Loops of the reasoning under this session's steps (step and word cycles, a repetition score and
   * the loop each step lies in): from the text alone, computed once.
   */
  get loops(): LoopReport {
    this.loopReport ??= detectLoops(this.trace.reasoning, { steps: this.steps, ...tokenStartsOf(this.trace) });
    return this.loopReport;
  }

  /**
   * Numbers and identifiers that kept steps use but only dropped steps introduce (see
   * `findDanglingReferences`), for the current plan; computed once per plan.
   */
  danglingReferences(): DanglingReference[] {
    const plan = this.plan;
    if (this.dangling?.plan !== plan) {
      const refs = plan.dropped.length === 0 ? [] : findDanglingReferences({ steps: this.steps.map((s) => s.text), kept: plan.kept, context: this.trace.prompt });
      this.dangling = { plan, refs };
    }
    return this.dangling.refs;
  }

  /** Metrics with at least one value for this trace. */
  availableMetrics(): StepMetric[] {
    return STEP_METRICS.filter((m) => this.metricColumn(m).count > 0);
  }

  stepScores(index: number): StepScores | undefined {
    return this.scoreData?.steps[index];
  }

  /**
   * Tokens of a step: from the trace model's tokenizer when one counted (`setTokenCounts`), else from the
   * scores when the scoring model's tokenizer ran, else an estimate.
   */
  stepTokens(index: number): number {
    return this.counted?.counts[index] ?? this.scoreData?.steps[index]?.tokens ?? estimateTokens(this.steps[index]?.text ?? '');
  }

  /** True while token counts are estimates (no tokenizer has counted the trace). */
  get tokensEstimated(): boolean {
    return this.counted === undefined && this.scoreData === undefined;
  }

  /** Which tokenizer the counts are in: a named one, the scoring model's, or undefined (estimate). */
  get tokenCountSource(): string | undefined {
    return this.counted?.tokenizer ?? (this.scoreData ? `the scoring model (${this.scoredBy ?? 'unknown'})` : undefined);
  }

  /** The named tokenizer's name (`Qwen2.5 / Qwen3 (R1-Distill-Qwen)`) when one counted and said its name. */
  get tokenizerName(): string | undefined {
    return this.counted?.name;
  }

  /**
   * Step token counts from a named tokenizer (reasoningLens.tokenizer); undefined goes back to the
   * scores' counts. `tokenizer` says who counted and why (`tokenCountSource`), `name` just its name.
   */
  setTokenCounts(counts: readonly number[] | undefined, tokenizer = '', name?: string): void {
    if (counts && counts.length !== this.steps.length) throw new Error(`${counts.length} token counts for ${this.steps.length} steps`);
    this.counted = counts ? { counts, tokenizer, name } : undefined;
    this.listeners.fire('scores');
  }

  /** The method's plan with manual pins and keep/drop overrides applied: what views show. */
  get plan(): PrunePlan {
    this.effective ??= applyControls(this.history.present.plan, this.history.present.controls);
    return this.effective;
  }

  get controls(): StepControls {
    return this.history.present.controls;
  }

  get state(): PlanState {
    return this.history.present;
  }

  isKept(index: number): boolean {
    return this.plan.kept.includes(index);
  }

  isPinned(index: number): boolean {
    return this.controls.pinned.includes(index);
  }

  /**
   * Token totals of the reasoning as steps joined by blank lines: all steps, and the kept ones (the
   * same count the pruning budget is measured in).
   */
  totals(): { readonly before: number; readonly after: number; readonly estimated: boolean } {
    return { before: this.joinedTokens(this.steps.keys()), after: this.joinedTokens(this.plan.kept), estimated: this.tokensEstimated };
  }

  /**
   * The pruned reasoning as export writes it (`prunedReasoningText`): the dropped steps cut out of the
   * reasoning, the kept ones with their own separators, so Compare and the preview show and read
   * exactly what an export would write. Empty when the plan keeps no step (which export refuses).
   */
  prunedReasoning(): string {
    if (this.plan.kept.length === 0) return '';
    return prunedReasoningText(this.trace.reasoning, this.steps, this.plan);
  }

  /** Tokens of the given steps joined by blank lines (any kept set, e.g. a plan being previewed). */
  joinedTokens(indices: Iterable<number>): number {
    let sum = 0;
    let n = 0;
    for (const i of indices) {
      sum += this.stepTokens(i);
      n++;
    }
    return sum + Math.max(0, n - 1) * SEPARATOR_TOKENS;
  }

  /** Replaces the method plan (keeping pins and overrides) as one undoable step. */
  applyPlan(plan: PrunePlan, label: string): void {
    if (plan.stepCount !== this.steps.length) throw new Error(`plan for ${plan.stepCount} steps applied to a trace with ${this.steps.length}`);
    this.push({ plan, controls: this.controls, label });
  }

  togglePin(index: number): void {
    this.checkIndex(index);
    const pinned = this.isPinned(index);
    this.push({ ...this.state, controls: togglePin(this.controls, index), label: `${pinned ? 'unpin' : 'pin'} step ${index + 1}` });
  }

  /** Manual keep/drop of one step (undefined clears the override). */
  setOverride(index: number, value: 'keep' | 'drop' | undefined): void {
    this.checkIndex(index);
    this.push({ ...this.state, controls: setOverride(this.controls, index, value), label: `${value ?? 'clear'} step ${index + 1}` });
  }

  /** Keeps a dropped step or drops a kept one (a manual override). */
  toggleStep(index: number): void {
    this.setOverride(index, this.isKept(index) ? 'drop' : 'keep');
  }

  /** Back to the original trace: every step kept, no overrides; pins stay. */
  reset(): void {
    this.push({ plan: keepAllPlan(this.steps.length), controls: { pinned: this.controls.pinned, overrides: {} }, label: 'reset' });
  }

  get canUndo(): boolean {
    return this.history.past.length > 0;
  }

  get canRedo(): boolean {
    return this.history.future.length > 0;
  }

  /** Label of what undo would revert, if anything. */
  get undoLabel(): string | undefined {
    return this.canUndo ? this.history.present.label : undefined;
  }

  undo(): boolean {
    if (!this.canUndo) return false;
    this.history = historyUndo(this.history);
    this.changed();
    return true;
  }

  redo(): boolean {
    if (!this.canRedo) return false;
    this.history = historyRedo(this.history);
    this.changed();
    return true;
  }

  /** The step containing a reasoning offset (or the nearest one before it). */
  stepAt(offset: number): Step | undefined {
    let lo = 0;
    let hi = this.steps.length - 1;
    let found: Step | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.steps[mid]!;
      if (s.start <= offset) { found = s; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  toPersisted(): PersistedSession {
    return { version: 1, segmentation: this.segmentation, stepCount: this.steps.length, state: this.state };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.steps.length) {
      throw new RangeError(`step ${index + 1} does not exist (the trace has ${this.steps.length} steps)`);
    }
  }

  private push(state: PlanState): void {
    this.history = historyPush(this.history, state);
    this.changed();
  }

  private changed(): void {
    this.effective = undefined;
    this.listeners.fire('plan');
  }
}

/** The file's reasoning token starts, for exact token counts of loops (none: ~4 characters a token). */
function tokenStartsOf(trace: Trace): { tokenStarts?: number[] } {
  const starts = reasoningTokenStarts(trace);
  return starts ? { tokenStarts: starts } : {};
}
