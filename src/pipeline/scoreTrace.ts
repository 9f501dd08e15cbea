/**
 * Trace → per-step scores: the one pipeline shared by the extension, the CLI and the benchmarks.
 * A backend scores the prompt and reasoning in one teacher-forced pass (ASAP's "global" mode); the
 * tokens are mapped to steps through character offsets (never by re-tokenising prefixes) and reduced
 * to per-step metrics by `core/scores`. No `vscode` here.
 */
import { alignStepsToTokens, type StepTokenRange } from '../core/align';
import { scoreSteps, tokenConfidences, tokenEntropies, type TokenScores } from '../core/scores';
import type { Trace } from '../core/trace/types';
import type { Step, TraceScores } from '../core/types';
import type { ProgressCallback, ScoredText, ScoringBackend } from '../model/backend';

/** DeepConf's k (Fu et al. 2025). */
export const DEFAULT_TOP_K = 20;

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
}

/**
 * The text a model scores for a trace, and where the reasoning starts in it: the prompt, then
 * `\n<think>\n` (unless the prompt already ends with an opening tag), then the reasoning.
 */
export function scoringText(trace: Trace): { text: string; reasoningOffset: number } {
  const prompt = trace.prompt;
  const opened = /<think>\s*$/.test(prompt);
  const prefix = prompt.length === 0 ? '<think>\n' : opened ? prompt : `${prompt}\n<think>\n`;
  return { text: prefix + trace.reasoning, reasoningOffset: prefix.length };
}

/** Keeps the reasoning's tokens of a scored text, re-based to reasoning offsets. */
export function tokenTableFromScored(scored: ScoredText, reasoningOffset: number): TokenTable {
  let first = 0;
  // A token straddling the prompt/reasoning boundary belongs to the prompt (algorithms.md).
  while (first < scored.starts.length && scored.starts[first]! < reasoningOffset) first++;
  const n = scored.starts.length - first;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    starts[i] = scored.starts[first + i]! - reasoningOffset;
    ends[i] = scored.ends[first + i]! - reasoningOffset;
  }
  const logprob = scored.logprob.slice(first);
  const entropy = scored.entropy?.slice(first);
  let confidence: Float32Array | undefined;
  if (scored.topK) {
    const { k, logprobs } = scored.topK;
    const rows: Float32Array[] = [];
    for (let t = first; t < scored.starts.length; t++) rows.push(logprobs.subarray(t * k, (t + 1) * k));
    confidence = Float32Array.from(tokenConfidences({ logprob, topK: rows }));
  }
  return {
    starts, ends, logprob,
    ...(entropy ? { entropy, entropyKind: scored.entropyKind ?? 'full' } : {}),
    ...(confidence ? { confidence } : {}),
  };
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
  return {
    starts: Int32Array.from(tokens, (t) => t.start),
    ends: Int32Array.from(tokens, (t) => t.end),
    logprob,
    ...(entropy ? { entropy, entropyKind: 'top-k' as const } : {}),
    ...(hasTopK ? { confidence: Float32Array.from(tokenConfidences(scores)) } : {}),
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

/** Scores a trace with a backend: one forward pass over prompt + reasoning. */
export async function scoreTraceTokens(
  trace: Trace,
  backend: ScoringBackend,
  options: { signal?: AbortSignal; onProgress?: ProgressCallback; topK?: number } = {},
): Promise<TokenTable> {
  const { text, reasoningOffset } = scoringText(trace);
  const scored = await backend.score(text, {
    topK: options.topK ?? DEFAULT_TOP_K,
    entropy: true,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return tokenTableFromScored(scored, reasoningOffset);
}
