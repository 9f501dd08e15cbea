/**
 * The typed protocol between the extension host and the side-panel webview: its notifications and
 * requests, discriminated on `type` / `kind` (after microsoft/vscode-hexeditor `shared/protocol.ts`),
 * inside the shared envelope of `channel.ts`. Both sides validate what they receive with
 * `parseToWebview` / `parseFromWebview`; anything else is dropped and logged.
 * Imported by the webview bundle: no `vscode`, no Node APIs.
 */
import { SEGMENTATION_MODES, STEP_METRICS, type SegmentationMode, type StepMetric } from './vocabulary';
import { parseHostMessage, parseWebviewMessage, type HostMessage, type WebviewMessage } from './channel';
import { isArrayOf, isBool, isCount, isId, isNum, isObj, isOneOf, isStr, optional, unionOf } from './validate';

export { assertNever } from './channel';

/** What the panel shows about the active trace. */
export interface TraceSummary {
  /** File name (and record id for dataset rows). */
  readonly name: string;
  readonly format: string;
  readonly steps: number;
  readonly characters: number;
  readonly truncated: boolean;
  readonly finalAnswer?: string;
}

/** Palette actions the panel's buttons run (by command id on the host). */
export const PANEL_COMMANDS = ['score', 'prune', 'reset', 'undo', 'redo', 'export', 'compare'] as const;
export type PanelCommand = (typeof PANEL_COMMANDS)[number];

/** One step of the active trace, as the panel lists it. Text is untrusted: render it as text only. */
export interface PanelStep {
  readonly index: number;
  /** `[start, end)` into the trace's reasoning. */
  readonly start: number;
  readonly end: number;
  readonly tokens: number;
  readonly text: string;
}

/**
 * The heat map of one metric, as the editor colours it: each step's bucket (0 coolest … 4 hottest,
 * -1 without a value) and the value range of each bucket (null when a bucket is empty).
 */
export interface PanelHeat {
  readonly buckets: readonly number[];
  readonly ranges: readonly (readonly [number, number] | null)[];
}

/** The parts of the active trace that change only with the document or its scores. */
export interface PanelTrace {
  readonly steps: readonly PanelStep[];
  /** Per-step values of each metric the scores (or the file) provide. */
  readonly metrics: Readonly<Partial<Record<StepMetric, readonly (number | null)[]>>>;
  /** Heat buckets and their ranges for each metric in `metrics` (computed by the session, never here). */
  readonly heat: Readonly<Partial<Record<StepMetric, PanelHeat>>>;
  readonly tokensEstimated: boolean;
  /** Who produced the scores, in words ("logprobs in the file", a model's name); null when unscored. */
  readonly scoredBy: string | null;
  /** The trace has a visible answer after its reasoning (needed by answer retention). */
  readonly hasAnswer: boolean;
}

/** One character edit of an anchor-rewritten step (UTF-16 offsets into the two texts). */
export interface PanelInlineEdit {
  readonly op: 'equal' | 'delete' | 'insert' | 'replace';
  readonly originalStart: number;
  readonly originalEnd: number;
  readonly prunedStart: number;
  readonly prunedEnd: number;
}

/** A dropped step and the method's reason. */
export interface PanelDrop {
  readonly index: number;
  readonly rule: string;
  /** The score the method ranked by (an id such as a metric's: compare with, never show). */
  readonly scoreName: string;
  /** The same score in words ("first-token surprisal", "by hand"): what the panel shows. */
  readonly scoreLabel: string;
  readonly rank: number;
  readonly score?: number;
}

/** A kept step whose text the plan rewrote, with the character diff. */
export interface PanelChange {
  readonly index: number;
  readonly text: string;
  readonly inline: readonly PanelInlineEdit[];
}

/** The effective plan of the active trace (or a live preview of one), with totals. */
export interface PanelPlan {
  /** Kept steps, ascending. */
  readonly kept: readonly number[];
  readonly pinned: readonly number[];
  readonly dropped: readonly PanelDrop[];
  readonly changed: readonly PanelChange[];
  /** The method's id and what produced the plan ("ASAP (first-token surprisal), budget 80%"). */
  readonly method: string;
  readonly label: string;
  /** True for a budget-drag preview that is not (yet) applied to the session. */
  readonly preview: boolean;
  readonly totals: {
    readonly stepsBefore: number;
    readonly stepsAfter: number;
    readonly tokensBefore: number;
    readonly tokensAfter: number;
    readonly estimated: boolean;
    /** Who counted the tokens, in words (`DeepSeek-R1 / DeepSeek-V3 tokenizer (…)`); null for the estimate. */
    readonly countedBy: string | null;
    /** The named tokenizer that counted (`Qwen2.5 / Qwen3 (R1-Distill-Qwen)`), else null. */
    readonly tokenizer: string | null;
  };
  readonly budget: { readonly target: number; readonly description: string; readonly met: boolean } | null;
  readonly notes: readonly string[];
  readonly undoLabel: string | null;
  readonly canRedo: boolean;
}

/** A pruning method the controls offer. */
export interface PanelMethod {
  readonly id: string;
  readonly label: string;
  /** Cheap enough to re-run on every budget change (no model calls). */
  readonly live: boolean;
  /** Takes the budget slider into account. */
  readonly usesBudget: boolean;
}

/** Host-side settings the controls show. */
export interface PanelSettings {
  readonly methods: readonly PanelMethod[];
  readonly segmentation: SegmentationMode;
  readonly backendLabel: string;
  /** Palette actions whose commands are registered (others are shown disabled). */
  readonly commands: readonly PanelCommand[];
  /** The workspace's chosen method and budget ratio (shared with "Prune with…" / "Set Budget…"). */
  readonly chosen?: { readonly method: string; readonly budgetRatio: number | null };
  /** The metric the heat map colours by: the one the status bar names ("Colour Steps By…"). */
  readonly metric: StepMetric;
}

/** Which reasoning a preview generation continues from. */
export const PREVIEW_SIDES = ['full', 'pruned'] as const;
export type PreviewSide = (typeof PREVIEW_SIDES)[number];

/** How the answers of the two generations compare (normalised): the same, different, or not both stated. */
export const ANSWER_VERDICTS = ['same', 'differs', 'no answer'] as const;
export type AnswerVerdict = (typeof ANSWER_VERDICTS)[number];

/** One generation of the preview: what the model wrote after one reasoning, and the answer it states. */
export interface PanelGenerationSide {
  readonly text: string;
  readonly tokenCount: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly finishReason: string;
  /** The final answer extracted from the text; null when it states none. */
  readonly finalAnswer: string | null;
  /**
   * Not generated again: `earlier` when an earlier run had the same input (greedy decoding gives the
   * same text), `full` when nothing is pruned (the pruned reasoning is the full one).
   */
  readonly reused: 'earlier' | 'full' | null;
}

/** What the preview produced: the full- and pruned-reasoning generations side by side, and the verdict. */
export interface PanelGeneration {
  readonly full: PanelGenerationSide;
  readonly pruned: PanelGenerationSide;
  /** The answer the trace itself states (for reference). */
  readonly traceAnswer: string | null;
  readonly verdict: AnswerVerdict;
  /** Under `no answer`: which generation states none. */
  readonly missing: PreviewSide | 'both' | null;
}

/** Answer retention: log p(original answer | pruned reasoning) − log p(… | full reasoning). */
export interface PanelRetention {
  readonly answerTokens: number;
  readonly fullLogprob: number;
  readonly prunedLogprob: number;
  readonly delta: number;
  readonly deltaPerToken: number;
  /** Per answer token: its text and the two logprobs. */
  readonly perToken: readonly { readonly token: string; readonly full: number; readonly pruned: number }[];
}

/** Progress of a preview run, streamed to the panel. */
export type PreviewEvent =
  | { readonly kind: 'started'; readonly run: number; readonly mode: 'generate' | 'retention'; readonly backend: string }
  | { readonly kind: 'chunk'; readonly run: number; readonly side: PreviewSide; readonly text: string; readonly tokens: number; readonly seconds: number }
  | { readonly kind: 'side'; readonly run: number; readonly side: PreviewSide; readonly result: PanelGenerationSide }
  | { readonly kind: 'generated'; readonly run: number; readonly result: PanelGeneration }
  | { readonly kind: 'retention'; readonly run: number; readonly result: PanelRetention }
  | { readonly kind: 'failed'; readonly run: number; readonly message: string; readonly cancelled: boolean };

/** Requests the host makes of the webview. */
export type HostRequest = { readonly kind: 'describeView' };

/** What the webview answers to `describeView`: what it is actually rendering. */
export interface ViewDescription {
  readonly title: string;
  readonly steps: number | null;
  /** Kept steps shown in the diff totals (absent when no plan is shown). */
  readonly kept?: number;
  /** Token totals shown (before → after). */
  readonly tokensBefore?: number;
  readonly tokensAfter?: number;
  /** Bars drawn in the score chart. */
  readonly bars?: number;
  /** Duration of the last plan update (message in → diff and chart rendered), ms. */
  readonly lastUpdateMs?: number;
  /** Most recent update durations, ms (for a drag, one per update). */
  readonly updateMs?: readonly number[];
  /** The budget slider's position (percent of tokens kept) and the chosen method, as rendered. */
  readonly budgetPercent?: number;
  readonly method?: string;
  /** The metric the chart and its heat legend show, as selected in the panel. */
  readonly metric?: string;
  /** Heat legend entries drawn (one per colour with its value range). */
  readonly legend?: readonly string[];
}

/** Requests the webview makes of the host. */
export type WebviewRequest =
  | { readonly kind: 'openSample' }
  | { readonly kind: 'refresh' }
  | { readonly kind: 'revealStep'; readonly index: number }
  | { readonly kind: 'previewBudget'; readonly method: string; readonly budget: number }
  | { readonly kind: 'applyBudget'; readonly method: string; readonly budget: number }
  | { readonly kind: 'command'; readonly command: PanelCommand }
  | { readonly kind: 'setSegmentation'; readonly segmentation: SegmentationMode }
  | { readonly kind: 'setMetric'; readonly metric: StepMetric }
  | { readonly kind: 'toggleStep'; readonly index: number }
  | { readonly kind: 'togglePin'; readonly index: number }
  | { readonly kind: 'startPreview'; readonly mode: 'generate' | 'retention'; readonly maxTokens: number }
  | { readonly kind: 'cancelPreview' };

/** What the host tells the panel without being asked. */
export type PanelNotification =
  | { readonly type: 'state'; readonly trace: TraceSummary | null; readonly detail?: PanelTrace | null; readonly plan?: PanelPlan | null }
  | { readonly type: 'plan'; readonly plan: PanelPlan | null }
  | { readonly type: 'settings'; readonly settings: PanelSettings }
  | { readonly type: 'preview'; readonly event: PreviewEvent };

/** Messages from the extension host to the webview. */
export type ToWebview = HostMessage<PanelNotification, HostRequest>;

/** Messages from the webview to the extension host. */
export type FromWebview = WebviewMessage<WebviewRequest, ViewDescription>;

function isTraceSummary(v: unknown): v is TraceSummary {
  return (
    isObj(v) && isStr(v.name) && isStr(v.format) && isCount(v.steps) && isCount(v.characters) &&
    typeof v.truncated === 'boolean' && (v.finalAnswer === undefined || isStr(v.finalAnswer))
  );
}

function isViewDescription(v: unknown): v is ViewDescription {
  return (
    isObj(v) && isStr(v.title) && (v.steps === null || isCount(v.steps)) &&
    optional(v.kept, isCount) && optional(v.tokensBefore, isCount) && optional(v.tokensAfter, isCount) &&
    optional(v.bars, isCount) && optional(v.lastUpdateMs, isNum) && optional(v.updateMs, (u) => isArrayOf(u, isNum)) &&
    optional(v.budgetPercent, isNum) && optional(v.method, isStr) && optional(v.metric, isStr) && optional(v.legend, (l) => isArrayOf(l, isStr))
  );
}

const isMetric = isOneOf(STEP_METRICS);
const isSegmentation = isOneOf(SEGMENTATION_MODES);
const isCommand = isOneOf(PANEL_COMMANDS);
const isRatio = (v: unknown): v is number => isNum(v) && v >= 0 && v <= 1;
const isNullableNum = (v: unknown): boolean => v === null || isNum(v);

function isPanelStep(v: unknown): boolean {
  return isObj(v) && isCount(v.index) && isCount(v.start) && isCount(v.end) && isCount(v.tokens) && isStr(v.text);
}

const isRange = (r: unknown): boolean => r === null || (Array.isArray(r) && r.length === 2 && isNum(r[0]) && isNum(r[1]) && r[0] <= r[1]);

/** Buckets index the ranges (the number of heat colours is the host's: `core/metrics` HEAT_BUCKETS). */
function isPanelHeat(v: unknown, steps: number): boolean {
  if (!isObj(v) || !Array.isArray(v.ranges) || v.ranges.length === 0 || v.ranges.length > 12 || !v.ranges.every(isRange)) return false;
  const colours = v.ranges.length;
  return Array.isArray(v.buckets) && v.buckets.length === steps &&
    v.buckets.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= -1 && b < colours);
}

function isPanelTrace(v: unknown): v is PanelTrace {
  if (!isObj(v) || !isArrayOf(v.steps, isPanelStep) || !isObj(v.metrics) || !isObj(v.heat)) return false;
  const n = (v.steps as unknown[]).length;
  for (const [k, values] of Object.entries(v.metrics)) {
    if (!isMetric(k) || !Array.isArray(values) || values.length !== n || !values.every(isNullableNum)) return false;
  }
  for (const [k, heat] of Object.entries(v.heat)) {
    if (!isMetric(k) || !isPanelHeat(heat, n)) return false;
  }
  return isBool(v.tokensEstimated) && (v.scoredBy === null || isStr(v.scoredBy)) && isBool(v.hasAnswer);
}

const isInlineEdit = (v: unknown): boolean =>
  isObj(v) && isOneOf(['equal', 'delete', 'insert', 'replace'] as const)(v.op) &&
  isCount(v.originalStart) && isCount(v.originalEnd) && isCount(v.prunedStart) && isCount(v.prunedEnd);
const isDrop = (v: unknown): boolean =>
  isObj(v) && isCount(v.index) && isStr(v.rule) && isStr(v.scoreName) && isStr(v.scoreLabel) && isCount(v.rank) && optional(v.score, isNum);
const isChange = (v: unknown): boolean => isObj(v) && isCount(v.index) && isStr(v.text) && isArrayOf(v.inline, isInlineEdit);

function isPanelPlan(v: unknown): v is PanelPlan {
  if (!isObj(v)) return false;
  const t = v.totals;
  const b = v.budget;
  return (
    isStr(v.method) && isStr(v.label) && isBool(v.preview) && isArrayOf(v.kept, isCount) && isArrayOf(v.pinned, isCount) &&
    isArrayOf(v.dropped, isDrop) && isArrayOf(v.changed, isChange) &&
    isObj(t) && isCount(t.stepsBefore) && isCount(t.stepsAfter) && isCount(t.tokensBefore) && isCount(t.tokensAfter) && isBool(t.estimated) && (t.countedBy === null || isStr(t.countedBy)) && (t.tokenizer === null || isStr(t.tokenizer)) &&
    (b === null || (isObj(b) && isNum(b.target) && isStr(b.description) && isBool(b.met))) &&
    isArrayOf(v.notes, isStr) && (v.undoLabel === null || isStr(v.undoLabel)) && isBool(v.canRedo)
  );
}

const isPanelMethod = (v: unknown): boolean => isObj(v) && isStr(v.id) && isStr(v.label) && isBool(v.live) && isBool(v.usesBudget);

function isPanelSettings(v: unknown): v is PanelSettings {
  return (
    isObj(v) && isArrayOf(v.methods, isPanelMethod) && isSegmentation(v.segmentation) && isStr(v.backendLabel) && isArrayOf(v.commands, isCommand) && isMetric(v.metric) &&
    (v.chosen === undefined || (isObj(v.chosen) && isStr(v.chosen.method) && (v.chosen.budgetRatio === null || (isNum(v.chosen.budgetRatio) && v.chosen.budgetRatio > 0 && v.chosen.budgetRatio <= 1))))
  );
}

const isSide = isOneOf(PREVIEW_SIDES);
const isNullableStr = (v: unknown): boolean => v === null || isStr(v);

function isGenerationSide(v: unknown): boolean {
  return (
    isObj(v) && isStr(v.text) && isCount(v.tokenCount) && isNum(v.seconds) && isNum(v.tokensPerSecond) && isStr(v.finishReason) &&
    isNullableStr(v.finalAnswer) && (v.reused === null || v.reused === 'earlier' || v.reused === 'full')
  );
}

function isGeneration(v: unknown): boolean {
  return (
    isObj(v) && isGenerationSide(v.full) && isGenerationSide(v.pruned) && isNullableStr(v.traceAnswer) &&
    isOneOf(ANSWER_VERDICTS)(v.verdict) && (v.missing === null || v.missing === 'both' || isSide(v.missing))
  );
}

function isRetention(v: unknown): boolean {
  return (
    isObj(v) && isCount(v.answerTokens) && isNum(v.fullLogprob) && isNum(v.prunedLogprob) && isNum(v.delta) && isNum(v.deltaPerToken) &&
    isArrayOf(v.perToken, (p) => isObj(p) && isStr(p.token) && isNum(p.full) && isNum(p.pruned))
  );
}

function isPreviewEvent(v: unknown): v is PreviewEvent {
  if (!isObj(v) || !isId(v.run)) return false;
  switch (v.kind) {
    case 'started':
      return (v.mode === 'generate' || v.mode === 'retention') && isStr(v.backend);
    case 'chunk':
      return isSide(v.side) && isStr(v.text) && isCount(v.tokens) && isNum(v.seconds);
    case 'side':
      return isSide(v.side) && isGenerationSide(v.result);
    case 'generated':
      return isGeneration(v.result);
    case 'retention':
      return isRetention(v.result);
    case 'failed':
      return isStr(v.message) && isBool(v.cancelled);
    default:
      return false;
  }
}

const isIndex = (r: { readonly index?: unknown }): boolean => isCount(r.index);
const isBudgetRequest = (r: { readonly method?: unknown; readonly budget?: unknown }): boolean => isStr(r.method) && r.method.length > 0 && isRatio(r.budget);
const always = (): boolean => true;

/** Validates the `request` of a webview request message. */
const isWebviewRequest = unionOf<WebviewRequest, 'kind'>('kind', {
  openSample: always,
  refresh: always,
  cancelPreview: always,
  revealStep: isIndex,
  toggleStep: isIndex,
  togglePin: isIndex,
  previewBudget: isBudgetRequest,
  applyBudget: isBudgetRequest,
  command: (r) => isCommand(r.command),
  setSegmentation: (r) => isSegmentation(r.segmentation),
  setMetric: (r) => isMetric(r.metric),
  startPreview: (r) => (r.mode === 'generate' || r.mode === 'retention') && isCount(r.maxTokens) && r.maxTokens > 0 && r.maxTokens <= 4096,
});

const isHostRequest = unionOf<HostRequest, 'kind'>('kind', { describeView: always });

const isNotification = unionOf<PanelNotification, 'type'>('type', {
  state: (v) => (v.trace === null || isTraceSummary(v.trace)) &&
    (v.detail === undefined || v.detail === null || isPanelTrace(v.detail)) &&
    (v.plan === undefined || v.plan === null || isPanelPlan(v.plan)),
  plan: (v) => v.plan === null || isPanelPlan(v.plan),
  settings: (v) => isPanelSettings(v.settings),
  preview: (v) => isPreviewEvent(v.event),
});

/** Validates a message received by the webview; undefined when it is not a well-formed `ToWebview`. */
export function parseToWebview(value: unknown): ToWebview | undefined {
  return parseHostMessage(value, isNotification, isHostRequest);
}

/** Validates a message received by the host; undefined when it is not a well-formed `FromWebview`. */
export function parseFromWebview(value: unknown): FromWebview | undefined {
  return parseWebviewMessage<WebviewRequest, ViewDescription>(value, isWebviewRequest, isViewDescription);
}
