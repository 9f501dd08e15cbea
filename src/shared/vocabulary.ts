/**
 * The words the host, the CLI and both webviews share, each spelled once: segmentation modes, the step
 * metrics with their labels, and the separator between steps. `as const` arrays with derived types,
 * so a new entry is one line here and the compiler points at every switch that must handle it.
 * No `vscode`, no Node: the webview bundles import it.
 */

/** How reasoning is cut into steps (the `reasoningLens.segmentation` setting, `--segment`). */
export const SEGMENTATION_MODES = ['auto', 'paragraph', 'sentence', 'heading', 'marker', 'file'] as const;
export type SegmentationMode = (typeof SEGMENTATION_MODES)[number];

/** True for a known segmentation mode. */
export function isSegmentationMode(value: unknown): value is SegmentationMode {
  return typeof value === 'string' && (SEGMENTATION_MODES as readonly string[]).includes(value);
}

/** The mode used when nothing else is chosen: paragraphs, else sentences and whole-line code groups. */
export const DEFAULT_SEGMENTATION: SegmentationMode = 'auto';

/** The per-step metrics views colour and chart steps by, in the order menus list them. */
export const STEP_METRICS = ['firstTokenSurprisal', 'meanSurprisal', 'stepEntropy', 'confidence', 'perplexity', 'importance', 'repetition'] as const;
export type StepMetric = (typeof STEP_METRICS)[number];

/**
 * The metric from the file's chunk metadata (Thought Anchors); every metric but this one and
 * {@link TEXT_METRIC} is the field of `StepScores` with its name.
 */
export const FILE_METRIC = 'importance' satisfies StepMetric;

/** The metric computed from the text alone (loop detection: share of a step's words already seen). */
export const TEXT_METRIC = 'repetition' satisfies StepMetric;

/** How a metric reads: its one label (lower case; `sentenceCase` for a title), unit and direction. */
export interface MetricInfo {
  readonly label: string;
  /** Unit after a value (`nats`), or empty. */
  readonly unit: string;
  /** High values are hot (surprising); false for confidence, where low is hot. */
  readonly hotWhenHigh: boolean;
  readonly description: string;
  /**
   * Fixed upper edges of the four coolest heat steps, for a metric whose values mean the same in
   * every trace (a share); without them the steps are fifths of the trace's steps.
   */
  readonly heatEdges?: readonly [number, number, number, number];
}

export const METRIC_INFO: Readonly<Record<StepMetric, MetricInfo>> = {
  firstTokenSurprisal: { label: 'first-token surprisal', unit: 'nats', hotWhenHigh: true, description: 'How unexpected the step\'s first token was (ASAP ranks by this).' },
  meanSurprisal: { label: 'mean surprisal', unit: 'nats', hotWhenHigh: true, description: 'Average surprisal of the step\'s tokens.' },
  stepEntropy: { label: 'step entropy', unit: 'nats', hotWhenHigh: true, description: 'Sum of token entropies (arXiv 2508.03346).' },
  confidence: { label: 'confidence', unit: '', hotWhenHigh: false, description: 'DeepConf token confidence; low confidence is hot.' },
  perplexity: { label: 'perplexity', unit: '', hotWhenHigh: true, description: 'exp(mean surprisal) of the step.' },
  importance: { label: 'importance (file)', unit: '', hotWhenHigh: true, description: 'Thought-Anchors counterfactual importance from the file\'s chunk metadata.' },
  repetition: { label: 'repetition', unit: '', hotWhenHigh: true, description: 'Share of the step\'s words inside a 10-word span seen earlier in the trace (loops are hot); needs no model.', heatEdges: [0.1, 0.3, 0.6, 0.9] },
};

/**
 * Scores pruning methods rank steps by that are not step metrics (a drop's `scoreName`), in words.
 * A step metric's name reads as its `METRIC_INFO` label.
 */
const SCORE_LABELS: Readonly<Record<string, string>> = {
  sampledTokenEntropy: 'sampled-token entropy',
  gestaltRatio: 'similarity to the anchor',
  perplexityIncrease: 'perplexity increase',
  repetition: 'repetition',
};

/** A score's name in words: `firstTokenSurprisal` → "first-token surprisal"; an unknown camelCase name is split. */
export function scoreLabel(name: string): string {
  if (isStepMetric(name)) return METRIC_INFO[name].label;
  return SCORE_LABELS[name] ?? name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** True for a known metric id. */
export function isStepMetric(value: unknown): value is StepMetric {
  return typeof value === 'string' && (STEP_METRICS as readonly string[]).includes(value);
}

/**
 * What stands between two kept steps in a pruned reasoning, and what ASAP joins steps with when it
 * counts tokens (`"\n\n".join(kept)`): a blank line.
 */
export const STEP_SEPARATOR = '\n\n';
