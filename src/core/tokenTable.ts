/**
 * The token table: per-token figures of a trace's reasoning (spans, logprob, entropy, confidence) in
 * reasoning-relative offsets, whatever produced them (the file's logprobs, a local model, an endpoint),
 * and its reduction to per-step scores. A `TraceSession` keeps one; the score cache stores them.
 */
import { alignStepsToTokens, type StepTokenRange } from './align';
import { scoreSteps, tokenConfidences, tokenEntropies, type TokenScores } from './scores';
import type { Trace } from './trace/types';
import type { Step, TraceScores } from './types';

/** Token-level figures of the reasoning, in reasoning-relative offsets: what the cache stores. */
export interface TokenTable {
  /** Token spans relative to `Trace.reasoning` (tokens of the prompt are not kept). */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly logprob: Float32Array;
  /** Entropy per token (nats), full-vocabulary or top-k as `entropyKind` says. */
  readonly entropy?: Float32Array;
  readonly entropyKind?: 'full' | 'top-k';
  /** DeepConf token confidence (−mean top-k logprob), when top-k candidates were available. */
  readonly confidence?: Float32Array;
  /**
   * Present when the text was longer than the model's context and was scored in overlapping windows:
   * tokens from `from` (an index into this table) on were scored with at least `overlap` tokens of left
   * context (and fewer than `size`), not with everything before them.
   */
  readonly window?: TokenWindow | undefined;
  /**
   * Rank of each token in the model's distribution (1 = the most likely; GLTR): exact where known
   * (a local model ranks over the whole vocabulary; a file or an API only within its top-k list),
   * `-k` where the token is not among the k candidates listed (its rank is above k).
   */
  readonly rank?: Int32Array;
}

/** How a token table's text was windowed (see `TokenTable.window`). */
export interface TokenWindow {
  readonly size: number;
  readonly overlap: number;
  readonly from: number;
}

/**
 * The rank of a token from its top-k candidates: 1 + the candidates more likely than it when it is
 * among them (its own logprob is at least the least likely candidate's), else `-k` ("above k").
 */
export function rankFromCandidates(logprob: number, candidates: ArrayLike<number>): number {
  let above = 0;
  let listed = 0;
  let least = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (Number.isNaN(c)) continue;
    listed++;
    least = Math.min(least, c);
    // A tolerance for the rounding of logprobs printed as decimals.
    if (c > logprob + 1e-4) above++;
  }
  return listed > 0 && logprob >= least - 1e-4 ? above + 1 : -listed;
}

/** Token table from the logprobs a trace file carries (OpenAI / vLLM fields); undefined when none. */
export function tokenTableFromFile(trace: Trace): TokenTable | undefined {
  const tokens = (trace.logprobs ?? []).filter((t) => t.region === 'reasoning' && t.start >= 0);
  if (tokens.length === 0) return undefined;
  const topK = tokens.map((t) => (t.topLogprobs?.length ? t.topLogprobs.map((c) => c.logprob) : undefined));
  const logprob = Float32Array.from(tokens, (t) => t.logprob);
  const scores: TokenScores = { logprob, topK };
  const hasTopK = topK.some((row) => row !== undefined);
  const entropy = hasTopK ? Float32Array.from(tokenEntropies(scores).values) : undefined;
  const rank = hasTopK ? Int32Array.from(tokens, (t, i) => (topK[i] ? rankFromCandidates(t.logprob, topK[i]!) : 0)) : undefined;
  return {
    starts: Int32Array.from(tokens, (t) => t.start),
    ends: Int32Array.from(tokens, (t) => t.end),
    logprob,
    ...(entropy ? { entropy, entropyKind: 'top-k' as const } : {}),
    ...(hasTopK ? { confidence: Float32Array.from(tokenConfidences(scores)) } : {}),
    ...(rank ? { rank } : {}),
  };
}

/** Per-step scores of `steps` from a token table; cheap, so a new segmentation needs no new model call. */
export function stepScoresFromTable(table: TokenTable, steps: readonly Step[]): { scores: TraceScores; ranges: StepTokenRange[] } {
  const spans = Array.from(table.starts, (start, i) => ({ start, end: table.ends[i]! }));
  const ranges = alignStepsToTokens(spans, steps, 0);
  const tokens: TokenScores = {
    logprob: table.logprob,
    ...(table.entropy ? { entropy: table.entropy, entropyIsTopK: table.entropyKind === 'top-k' } : {}),
    ...(table.confidence ? { confidence: table.confidence } : {}),
  };
  return { scores: scoreSteps(tokens, ranges, { reasoningTokens: { start: 0, end: table.starts.length } }), ranges };
}
