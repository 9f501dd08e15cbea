/** Types shared by steps, scores and pruning. Pure data. */

/** How reasoning text is cut into steps (see shared notes, algorithms.md). */
export type { SegmentationMode } from '../shared/vocabulary';

/** One step of the reasoning: `[start, end)` into `Trace.reasoning`, and `text === reasoning.slice(start, end)`. */
export interface Step {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Per-step scores; a field is absent when the backend could not compute it. */
export interface StepScores {
  readonly index: number;
  readonly tokens: number;
  readonly firstTokenSurprisal?: number;
  readonly meanSurprisal?: number;
  readonly perplexity?: number;
  /** Paper definition (arXiv 2508.03346): sum of full-distribution token entropies. */
  readonly stepEntropy?: number;
  /** Their code's variant: mean of -p·log p of the sampled token. */
  readonly sampledTokenEntropy?: number;
  /** True when entropy was computed over top-k candidates only. */
  readonly entropyIsTopK?: boolean;
  /** DeepConf token confidence averaged over the step (−mean top-k logprob). */
  readonly confidence?: number;
  /** Mean probability of the chosen tokens. */
  readonly meanTokenProbability?: number;
  /** The first token straddles the step boundary (it belongs to the earlier step). */
  readonly firstTokenStraddles?: boolean;
}

/** Trace-level confidence figures (DeepConf). */
export interface TraceScores {
  readonly steps: readonly StepScores[];
  readonly tailConfidence?: number;
  readonly lowestGroupConfidence?: number;
  readonly totalTokens: number;
}
