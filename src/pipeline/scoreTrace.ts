/**
 * Trace → per-step scores: the one pipeline shared by the extension, the CLI and the benchmarks.
 * A backend scores the prompt and reasoning in one teacher-forced pass (ASAP's "global" mode); the
 * tokens are mapped to steps through character offsets (never by re-tokenising prefixes) and reduced
 * to per-step metrics by `core/scores`. No `vscode` here.
 */
import { tokenConfidences } from '../core/scores';
import { rankFromCandidates, type TokenTable } from '../core/tokenTable';
import type { Trace } from '../core/trace/types';
import type { ProgressCallback, ScoredText, ScoringBackend } from '../model/backend';
import type { TraceSession } from '../core/session';
import type { ScoreCache } from './scoreCache';

/** DeepConf's k (Fu et al. 2025). */
export const DEFAULT_TOP_K = 20;

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
  // Exact ranks where the backend computed them over the vocabulary, else within its top-k list.
  let rank = scored.rank?.slice(first);
  if (scored.topK) {
    const { k, logprobs } = scored.topK;
    const rows: Float32Array[] = [];
    for (let t = first; t < scored.starts.length; t++) rows.push(logprobs.subarray(t * k, (t + 1) * k));
    confidence = Float32Array.from(tokenConfidences({ logprob, topK: rows }));
    rank ??= Int32Array.from(rows, (row, i) => rankFromCandidates(logprob[i]!, row));
  }
  // Windowing that began in the prompt covers the whole reasoning.
  const window = scored.window ? { size: scored.window.size, overlap: scored.window.overlap, from: Math.max(0, scored.window.from - first) } : undefined;
  return {
    starts, ends, logprob,
    ...(entropy ? { entropy, entropyKind: scored.entropyKind ?? 'full' } : {}),
    ...(confidence ? { confidence } : {}),
    window: window && window.from < n ? window : undefined,
    ...(rank ? { rank } : {}),
  };
}

/**
 * What to tell a user about a windowed table: the trace was longer than the model's context, and from
 * which character of the reasoning on tokens were scored with a shorter left context.
 */
export function windowWarning(table: TokenTable): string | undefined {
  const w = table.window;
  if (!w) return undefined;
  const n = table.starts.length;
  const at = table.starts[w.from] ?? 0;
  return `longer than the model's context (${w.size.toLocaleString('en-US')} tokens): scored in overlapping windows; ` +
    `${(n - w.from).toLocaleString('en-US')} of ${n.toLocaleString('en-US')} reasoning tokens (from character ${at.toLocaleString('en-US')} on) ` +
    `were scored with ${w.overlap.toLocaleString('en-US')} to ${(w.size - 1).toLocaleString('en-US')} tokens of left context instead of all of it`;
}

/** Scores a trace with a backend: one forward pass over prompt + reasoning. */
export async function scoreTraceTokens(
  trace: Trace,
  backend: ScoringBackend,
  options: { signal?: AbortSignal | undefined; onProgress?: ProgressCallback | undefined; topK?: number | undefined } = {},
): Promise<TokenTable> {
  const { text, reasoningOffset } = scoringText(trace);
  const scored = await backend.score(text, {
    topK: options.topK ?? DEFAULT_TOP_K,
    // Only the candidates' logprobs are kept (DeepConf confidence), not their strings.
    topKTokens: false,
    entropy: true,
    rank: true,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  return tokenTableFromScored(scored, reasoningOffset);
}

/** Options of {@link scoreSession}. */
export interface ScoreSessionOptions {
  /** Token tables by (trace, backend id): read first, written after a forward pass. */
  readonly cache?: ScoreCache | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ProgressCallback | undefined;
}

/**
 * The one path from a backend to a session's scores: this backend's cached token table of the trace
 * if there is one, else one forward pass (then cached). The table becomes the session's, which
 * derives its step scores and tells its listeners.
 */
export async function scoreSession(session: TraceSession, backend: ScoringBackend, options: ScoreSessionOptions = {}): Promise<void> {
  const id = backend.describe().id;
  let table = await options.cache?.get(session.trace, id);
  if (!table) {
    table = await scoreTraceTokens(session.trace, backend, { signal: options.signal, onProgress: options.onProgress });
    await options.cache?.set(session.trace, id, table);
  }
  session.setTokenTable(table, id);
}
