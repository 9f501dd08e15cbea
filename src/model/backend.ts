/**
 * One interface for everything that turns text into per-token scores: a local ONNX model (run in a
 * child process), an OpenAI-compatible endpoint, or logprobs already present in a trace file.
 *
 * Conventions shared by every backend:
 * - Offsets are UTF-16 code-unit offsets into the text that was passed in, `[start, end)`, so
 *   `text.slice(starts[i], ends[i])` is the text of token i. A token that covers only part of a
 *   character (byte-level BPE splitting a multi-byte character) carries the span of that whole character.
 * - `logprob[t]` is `log p(token t | tokens < t)` in nats. Token 0 has no context and gets `NaN`
 *   unless a BOS token was prepended (`bosPrepended`).
 * - Top-k row t is the distribution that predicted token t (the same row as `logprob[t]`).
 * - Every call takes an `AbortSignal`; an aborted call rejects with an `AbortError`-named error.
 * - Local models never hold more than their context in the KV cache: a longer text is scored in
 *   overlapping windows (`window.ts`) and `ScoredText.window` says which tokens were.
 */
import type { TokenCandidate } from '../core/trace/types';

/** Token ids with their character spans. */
export interface TokenizedText {
  /** Token ids in the backend's vocabulary (`-1` where a backend only knows token strings). */
  readonly ids: Int32Array;
  /** Token strings as the vocabulary spells them (display only; use the offsets to slice the text). */
  readonly tokens: readonly string[];
  /** Start offset of each token in the input text. */
  readonly starts: Int32Array;
  /** End offset (exclusive) of each token in the input text. */
  readonly ends: Int32Array;
}

/** The k most likely candidates per position, flattened row-major (`T × k`). */
export interface TopKCandidates {
  readonly k: number;
  /** Candidate ids (`-1` for padding or where only strings are known). */
  readonly ids?: Int32Array;
  /** Candidate strings, `T × k` (empty string for padding); absent when not asked for (`topKTokens: false`). */
  readonly tokens?: readonly string[] | undefined;
  /** Candidate logprobs, descending within a row; `NaN` for padding and for row 0 without BOS. */
  readonly logprobs: Float32Array;
}

/** What `score` returns: the tokens of the text with their model statistics. */
export interface ScoredText extends TokenizedText {
  /** `log p(x_t | x_<t)` in nats; `NaN` for token 0 unless `bosPrepended`. */
  readonly logprob: Float32Array;
  /**
   * Entropy of the predictive distribution at each position, in nats. `full` = over the whole vocabulary;
   * `top-k` = renormalised over the k candidates only (what a logprobs file or an API gives).
   */
  readonly entropy?: Float32Array | undefined;
  readonly entropyKind?: 'full' | 'top-k' | undefined;
  readonly topK?: TopKCandidates | undefined;
  /**
   * Rank of each observed token in the model's distribution (1 = the most likely token; GLTR's
   * measure), where the backend computes it over the whole vocabulary (`ScoreOptions.rank`).
   */
  readonly rank?: Int32Array | undefined;
  /** True when a BOS token was fed before token 0 (so token 0 has a logprob). */
  readonly bosPrepended: boolean;
  /** Present when the text was longer than the model's context and was scored in windows. */
  readonly window?: ScoreWindow | undefined;
}

/** How a text longer than the model's context was scored (segment-wise, in overlapping windows). */
export interface ScoreWindow {
  /** Positions per forward pass: the model's context (or the smaller window asked for). */
  readonly size: number;
  /** Every token from `from` on was scored with at least this many tokens of left context (and fewer than `size`). */
  readonly overlap: number;
  /** Index of the first token scored without all of the text before it. */
  readonly from: number;
  /** Windows used. */
  readonly windows: number;
}

/** Progress of a long call: `done` of `total` tokens processed. */
export type ProgressCallback = (done: number, total: number) => void;

export interface ScoreOptions {
  /** Candidates per position to return (0 = none). */
  readonly topK?: number | undefined;
  /**
   * Spell the candidates out (`TopKCandidates.tokens`; default true). False when only their logprobs
   * are needed: a long text's T × k strings are the largest part of a result.
   */
  readonly topKTokens?: boolean | undefined;
  /** Compute the full-vocabulary entropy (default true where the backend can). */
  readonly entropy?: boolean | undefined;
  /** Compute each observed token's rank over the whole vocabulary (default false; local models). */
  readonly rank?: boolean | undefined;
  /** Feed the model's BOS token before the text (default: what the tokenizer config says). */
  readonly prependBos?: boolean | undefined;
  /** Tokens per forward pass (local models; default 384). */
  readonly chunkSize?: number | undefined;
  /** Positions per window (local models): at most the model's context, which is the default. */
  readonly contextWindow?: number | undefined;
  /** Left context of every token scored in a later window (local models; default half the window). */
  readonly windowOverlap?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ProgressCallback | undefined;
}

export interface GenerateOptions {
  /** Maximum number of new tokens (default 256). */
  readonly maxTokens?: number | undefined;
  /** 0 = greedy (default). */
  readonly temperature?: number | undefined;
  /** Nucleus sampling mass (default 1). */
  readonly topP?: number | undefined;
  /** Generation stops before the first occurrence of any of these strings (which is not returned). */
  readonly stop?: readonly string[] | undefined;
  /** Seed for sampling, so that previews are reproducible. */
  readonly seed?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called with each new piece of text as it is produced. */
  readonly onToken?: ((textDelta: string) => void) | undefined;
  /** Progress of reading the prompt (local models: after each chunk), before the first token. */
  readonly onProgress?: ProgressCallback | undefined;
}

export type FinishReason = 'stop' | 'length' | 'eos';

export interface Generation {
  /** The generated text (without the prompt, without a matched stop string). */
  readonly text: string;
  readonly finishReason: FinishReason;
  /** Number of tokens generated. */
  readonly tokenCount: number;
}

/** What a backend is, for caches (`id`) and the status bar (`name`). */
export interface BackendDescription {
  /** Stable identity of the model + backend: equal ids give equal scores. */
  readonly id: string;
  /** Short human-readable name. */
  readonly name: string;
  readonly kind: 'onnx' | 'gguf' | 'openai' | 'file';
  /** True when `entropy` is over the full vocabulary. */
  readonly fullEntropy: boolean;
  readonly canGenerate: boolean;
  readonly vocabSize?: number | undefined;
}

/** A source of per-token scores (and optionally generations) for a text. */
export interface ScoringBackend {
  tokenize(text: string, signal?: AbortSignal): Promise<TokenizedText>;
  score(text: string, options?: ScoreOptions): Promise<ScoredText>;
  generate(prompt: string, options?: GenerateOptions): Promise<Generation>;
  describe(): BackendDescription;
  /** Frees the model / child process / sockets. Calls after this reject. */
  dispose(): Promise<void>;
}

/** Cancellation (`AbortError`, `throwIfAborted`, `abortReason`) is the core's one vocabulary. */
export { AbortError, abortReason, throwIfAborted } from '../core/cancel';

/** Top-k row `t` as `TokenCandidate`s (for the core's per-step scoring and hovers). */
export function topKRow(scored: ScoredText, t: number, idToToken?: (id: number) => string): TokenCandidate[] {
  const top = scored.topK;
  if (!top) return [];
  const out: TokenCandidate[] = [];
  for (let j = 0; j < top.k; j++) {
    const lp = top.logprobs[t * top.k + j]!;
    if (Number.isNaN(lp)) continue;
    const token = top.tokens?.[t * top.k + j] ?? (idToToken && top.ids ? idToToken(top.ids[t * top.k + j]!) : String(top.ids?.[t * top.k + j]));
    out.push({ token, logprob: lp });
  }
  return out;
}
