/**
 * Per-token quantities → per-step `StepScores` and trace-level confidence.
 *
 * Input is a struct of arrays indexed by token, independent of where it came from (local model, an
 * OpenAI-compatible server, logprobs stored in the file). All logs are natural (nats).
 */
import type { StepTokenRange } from './align';
import type { StepScores, TraceScores } from './types';

/** Numbers indexed by token. */
export type TokenNumbers = Float32Array | Float64Array | readonly number[];

/** Per-token inputs of the scorer. Arrays are indexed like the token array the ranges point into. */
export interface TokenScores {
  /** log p(x_t | x_<t) of the token actually in the text. */
  readonly logprob: TokenNumbers;
  /** Full-distribution entropy H_t (nats), when a local model computed it. */
  readonly entropy?: TokenNumbers;
  /** Top-k candidate logprobs per token (any order), when the backend returned them. */
  readonly topK?: readonly (TokenNumbers | undefined)[];
  /** True when `entropy` holds renormalised top-k entropies (precomputed) rather than full-distribution ones. */
  readonly entropyIsTopK?: boolean;
  /** Precomputed DeepConf confidence per token; used instead of deriving it from `topK`. */
  readonly confidence?: TokenNumbers;
}

/** Options of `scoreSteps`. */
export interface ScoreOptions {
  /** DeepConf window for `tailConfidence` and `lowestGroupConfidence` (paper: 2,048). */
  readonly groupSize?: number;
  /**
   * Token range `[start, end)` of the reasoning, for the trace-level figures. Defaults to the span from
   * the first step's first token to the last step's last token.
   */
  readonly reasoningTokens?: { readonly start: number; readonly end: number };
}

/** DeepConf's group size (Fu et al. 2025). */
export const DEEPCONF_GROUP_SIZE = 2048;

/** Surprisal `s_t = -log p(x_t | x_<t)` in nats. */
export function surprisal(logprob: number): number {
  return -logprob;
}

/**
 * Entropy over top-k candidates only, renormalised over the k candidates:
 * `p_j = exp(l_j) / Σ exp(l_i)`, `H = -Σ p_j log p_j` (algorithms.md: label it "top-k entropy").
 * Returns 0 for one candidate and NaN for none.
 */
export function topKEntropy(candidateLogprobs: TokenNumbers | readonly { readonly logprob: number }[]): number {
  const ls = Array.from(candidateLogprobs as ArrayLike<number | { readonly logprob: number }>, (c) =>
    typeof c === 'number' ? c : c.logprob,
  ).filter((l) => l > -Infinity);
  if (!ls.length) return Number.NaN;
  const max = Math.max(...ls);
  const logZ = max + Math.log(ls.reduce((s, l) => s + Math.exp(l - max), 0));
  let h = 0;
  for (const l of ls) {
    const logp = l - logZ;
    h -= Math.exp(logp) * logp;
  }
  return Math.max(0, h);
}

/**
 * DeepConf token confidence `C_t = -(1/k) Σ_{j=1..k} log p_t(j)` over the top-k candidates (Fu et al.
 * 2025, `compute_confidence`; k = 20 in the paper). High = confident. Their code rounds to 3 decimals;
 * we do not. `-Infinity` candidates (servers' stand-in for p = 0) are skipped.
 */
export function tokenConfidence(topKLogprobs: TokenNumbers): number {
  let sum = 0;
  let k = 0;
  for (let i = 0; i < topKLogprobs.length; i++) {
    const l = topKLogprobs[i]!;
    if (l > -Infinity) {
      sum += l;
      k++;
    }
  }
  return k ? -sum / k : Number.NaN;
}

/**
 * Per-token entropy: the full distribution's when given, else top-k entropy where top-k is present.
 * `isTopK` tells which; tokens with neither are NaN.
 */
export function tokenEntropies(tokens: TokenScores): { values: Float64Array; isTopK: boolean } {
  const n = tokens.logprob.length;
  const values = new Float64Array(n).fill(Number.NaN);
  if (tokens.entropy) {
    for (let t = 0; t < n; t++) values[t] = tokens.entropy[t] ?? Number.NaN;
    return { values, isTopK: tokens.entropyIsTopK ?? false };
  }
  if (tokens.topK) {
    for (let t = 0; t < n; t++) {
      const c = tokens.topK[t];
      if (c && c.length) values[t] = topKEntropy(c);
    }
    return { values, isTopK: true };
  }
  return { values, isTopK: false };
}

/** DeepConf confidence per token (NaN where a token has no top-k). */
export function tokenConfidences(tokens: TokenScores): Float64Array {
  const n = tokens.logprob.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (tokens.confidence) {
    for (let t = 0; t < n; t++) out[t] = tokens.confidence[t] ?? Number.NaN;
    return out;
  }
  if (tokens.topK) {
    for (let t = 0; t < n; t++) {
      const c = tokens.topK[t];
      if (c && c.length) out[t] = tokenConfidence(c);
    }
  }
  return out;
}

function finiteMean(values: ArrayLike<number>, start: number, end: number): number | undefined {
  let sum = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : undefined;
}

/** DeepConf tail confidence: mean token confidence over the last `groupSize` tokens (NaN tokens skipped). */
export function tailConfidence(confidences: ArrayLike<number>, groupSize = DEEPCONF_GROUP_SIZE): number | undefined {
  return finiteMean(confidences, Math.max(0, confidences.length - groupSize), confidences.length);
}

/**
 * DeepConf lowest group confidence: the lowest mean over sliding windows of `groupSize` consecutive
 * tokens (stride 1); one window of the whole sequence when it is shorter (their `compute_least_grouped`).
 * Tokens without confidence (NaN) are left out of their window's mean.
 */
export function lowestGroupConfidence(
  confidences: ArrayLike<number>,
  groupSize = DEEPCONF_GROUP_SIZE,
): number | undefined {
  const n = confidences.length;
  if (n === 0) return undefined;
  if (n <= groupSize) return finiteMean(confidences, 0, n);
  let sum = 0;
  let count = 0;
  const add = (v: number, sign: 1 | -1): void => {
    if (Number.isFinite(v)) {
      sum += sign * v;
      count += sign;
    }
  };
  for (let i = 0; i < groupSize; i++) add(confidences[i]!, 1);
  let lowest = count ? sum / count : Infinity;
  for (let i = groupSize; i < n; i++) {
    add(confidences[i]!, 1);
    add(confidences[i - groupSize]!, -1);
    if (count) lowest = Math.min(lowest, sum / count);
  }
  return Number.isFinite(lowest) ? lowest : undefined;
}

/**
 * Per-step scores from per-token quantities and the step ↔ token alignment.
 *
 * - `firstTokenSurprisal` (ASAP, arXiv 2508.05988): `-log p` of the step's first token.
 * - `meanSurprisal`, `perplexity = exp(meanSurprisal)`.
 * - `stepEntropy` (arXiv 2508.03346, paper): SUM of token entropies; `entropyIsTopK` when they came
 *   from renormalised top-k. `sampledTokenEntropy` (their code): mean of `-p·log p` of the sampled token.
 * - `confidence`: mean DeepConf token confidence; `meanTokenProbability`: mean `p(x_t)`.
 * - Trace: `tailConfidence` (last 2,048 reasoning tokens) and `lowestGroupConfidence` (DeepConf).
 */
export function scoreSteps(
  tokens: TokenScores,
  ranges: readonly StepTokenRange[],
  options: ScoreOptions = {},
): TraceScores {
  const groupSize = options.groupSize ?? DEEPCONF_GROUP_SIZE;
  const { values: entropies, isTopK } = tokenEntropies(tokens);
  const confidences = tokenConfidences(tokens);
  const lp = tokens.logprob;
  const steps: StepScores[] = ranges.map((r) => {
    const base = { index: r.stepIndex, tokens: r.tokenCount, firstTokenStraddles: r.firstTokenStraddles };
    if (r.firstToken < 0 || r.tokenCount === 0) return base;
    // Sums over the step's tokens that have a logprob (and, for entropy, a finite entropy).
    const sum = { surprisal: 0, probability: 0, sampledEntropy: 0, entropy: 0, entropyTokens: 0, tokens: 0 };
    for (let t = r.firstToken; t < r.endToken; t++) {
      const l = lp[t];
      if (l === undefined || Number.isNaN(l)) continue;
      const p = Math.exp(l);
      sum.surprisal -= l;
      sum.probability += p;
      sum.sampledEntropy += p > 0 ? -p * l : 0;
      sum.tokens++;
      const h = entropies[t]!;
      if (Number.isFinite(h)) {
        sum.entropy += h;
        sum.entropyTokens++;
      }
    }
    const first = lp[r.firstToken];
    const n = sum.tokens;
    const meanSurprisal = n ? sum.surprisal / n : undefined;
    const confidence = finiteMean(confidences, r.firstToken, r.endToken);
    return {
      ...base,
      ...(first !== undefined && !Number.isNaN(first) ? { firstTokenSurprisal: -first } : {}),
      ...(meanSurprisal !== undefined
        ? {
            meanSurprisal,
            perplexity: Math.exp(meanSurprisal),
            sampledTokenEntropy: sum.sampledEntropy / n,
            meanTokenProbability: sum.probability / n,
          }
        : {}),
      ...(sum.entropyTokens ? { stepEntropy: sum.entropy, entropyIsTopK: isTopK } : {}),
      ...(confidence !== undefined ? { confidence } : {}),
    };
  });
  const withTokens = ranges.filter((r) => r.firstToken >= 0);
  const region = options.reasoningTokens ?? {
    start: withTokens[0]?.firstToken ?? 0,
    end: withTokens[withTokens.length - 1]?.endToken ?? 0,
  };
  const reasoningConfidences = confidences.subarray(region.start, region.end);
  const tail = tailConfidence(reasoningConfidences, groupSize);
  const lowest = lowestGroupConfidence(reasoningConfidences, groupSize);
  return {
    steps,
    totalTokens: Math.max(0, region.end - region.start),
    ...(tail !== undefined ? { tailConfidence: tail } : {}),
    ...(lowest !== undefined ? { lowestGroupConfidence: lowest } : {}),
  };
}
