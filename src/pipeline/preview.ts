/**
 * Previews of what pruning does to the model's output, on any `ScoringBackend` (no `vscode` here):
 * - answer retention: how much less (or more) likely the trace's original answer becomes when the model
 *   reads the pruned reasoning instead of the full one;
 * - generation: what the model writes after the pruned reasoning, streamed, with both final answers.
 */
import { extractFinalAnswer } from '../core/trace';
import { normaliseAnswer } from '../core/prune/confidence';
import type { FinishReason, ScoringBackend } from '../model/backend';
import { throwIfAborted } from '../core/cancel';

/** The text a model continues from: prompt, `<think>\n`, the reasoning, `\n</think>\n`. */
export function previewContext(prompt: string, reasoning: string): string {
  return `${prompt}<think>\n${reasoning}\n</think>\n`;
}

/** One answer token with its logprob after the full and after the pruned reasoning. */
export interface RetentionToken {
  readonly token: string;
  readonly full: number;
  readonly pruned: number;
}

/** Result of `answerRetention`. All logprobs in nats. */
export interface AnswerRetention {
  readonly answerTokens: number;
  /** log p(answer | prompt + full reasoning). */
  readonly fullLogprob: number;
  /** log p(answer | prompt + pruned reasoning). */
  readonly prunedLogprob: number;
  /** prunedLogprob − fullLogprob: negative when pruning made the answer less likely. */
  readonly delta: number;
  readonly deltaPerToken: number;
  readonly perToken: readonly RetentionToken[];
}

/** Inputs of the previews. */
export interface PreviewInput {
  readonly prompt: string;
  readonly fullReasoning: string;
  readonly prunedReasoning: string;
  /** The trace's visible answer (what followed `</think>`). */
  readonly answer: string;
}

/** The answer's tokens in a scored `context + answer`: those that end inside the answer. */
function answerTokens(
  scored: { readonly starts: Int32Array; readonly ends: Int32Array; readonly logprob: Float32Array },
  text: string,
  contextLength: number,
): { token: string; logprob: number; offset: number }[] {
  const out: { token: string; logprob: number; offset: number }[] = [];
  for (let t = 0; t < scored.starts.length; t++) {
    // A token that straddles `\n</think>\n` and the answer's first character still predicts answer text:
    // keep it (both texts end their context identically, so both sides keep the same token).
    if (scored.ends[t]! <= contextLength) continue;
    const start = Math.max(scored.starts[t]!, contextLength);
    out.push({ token: text.slice(start, scored.ends[t]!), logprob: scored.logprob[t]!, offset: start - contextLength });
  }
  return out;
}

/**
 * log p(original answer | prompt + `<think>\n` + pruned reasoning + `\n</think>\n`) minus the same with the
 * full reasoning, in total and per token. Each text is scored once (teacher forcing); the answer's tokens
 * are found by character offsets, never by re-tokenising. Throws when the trace has no answer.
 */
export async function answerRetention(backend: ScoringBackend, input: PreviewInput, signal?: AbortSignal): Promise<AnswerRetention> {
  const answer = input.answer;
  if (!answer.trim()) throw new Error('this trace has no answer after its reasoning, so there is nothing to retain: open a trace with text after </think>');
  const fullContext = previewContext(input.prompt, input.fullReasoning);
  const prunedContext = previewContext(input.prompt, input.prunedReasoning);
  const options = { topK: 0, entropy: false, signal };
  const full = await backend.score(fullContext + answer, options);
  throwIfAborted(signal);
  const pruned = await backend.score(prunedContext + answer, options);
  const a = answerTokens(full, fullContext + answer, fullContext.length);
  const b = answerTokens(pruned, prunedContext + answer, prunedContext.length);
  if (a.length === 0 || b.length === 0) throw new Error('the backend returned no tokens for the answer');
  // Pair tokens by their offset in the answer; the two tokenisations agree after the identical context
  // suffix, but a mismatch must not silently pair unrelated tokens.
  const byOffset = new Map(b.map((t) => [t.offset, t] as const));
  const perToken: RetentionToken[] = [];
  for (const t of a) {
    const other = byOffset.get(t.offset);
    if (other && other.token === t.token) perToken.push({ token: t.token, full: t.logprob, pruned: other.logprob });
  }
  const sum = (xs: readonly { logprob: number }[]): number => xs.reduce((s, x) => s + x.logprob, 0);
  const fullLogprob = sum(a);
  const prunedLogprob = sum(b);
  const delta = prunedLogprob - fullLogprob;
  return { answerTokens: a.length, fullLogprob, prunedLogprob, delta, deltaPerToken: delta / a.length, perToken };
}

/** Result of `generatePreview`. */
export interface GenerationPreview {
  readonly text: string;
  readonly tokenCount: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly finishReason: FinishReason;
  readonly finalAnswer: string | null;
  readonly originalFinalAnswer: string | null;
  /** The two final answers agree after normalisation; null when either is missing. */
  readonly match: boolean | null;
}

/** Options of `generatePreview`. */
export interface GeneratePreviewOptions {
  readonly maxTokens?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Each new piece of text, with the running token count and elapsed seconds. */
  readonly onChunk?: ((text: string, tokens: number, seconds: number) => void) | undefined;
  /** Clock in ms (tests). */
  readonly now?: (() => number) | undefined;
}

/** Whether two final answers agree (normalised); null when either is missing. */
export function answersMatch(a: string | null | undefined, b: string | null | undefined): boolean | null {
  if (a == null || b == null) return null;
  return normaliseAnswer(a) === normaliseAnswer(b);
}

/**
 * Generate (greedy) from `prompt + <think>\n + pruned + \n</think>\n`, streaming chunks, and compare the
 * final answer with the one the original answer states. Rejects with an AbortError when cancelled.
 */
export async function generatePreview(backend: ScoringBackend, input: PreviewInput, options: GeneratePreviewOptions = {}): Promise<GenerationPreview> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let chunks = 0;
  const generation = await backend.generate(previewContext(input.prompt, input.prunedReasoning), {
    maxTokens: options.maxTokens ?? 256,
    temperature: 0,
    signal: options.signal,
    onToken: (delta) => {
      chunks++;
      options.onChunk?.(delta, chunks, (now() - started) / 1000);
    },
  });
  const seconds = Math.max((now() - started) / 1000, 1e-6);
  const finalAnswer = extractFinalAnswer(generation.text) ?? null;
  const originalFinalAnswer = extractFinalAnswer(input.answer) ?? null;
  return {
    text: generation.text,
    tokenCount: generation.tokenCount,
    seconds,
    tokensPerSecond: generation.tokenCount / seconds,
    finishReason: generation.finishReason,
    finalAnswer,
    originalFinalAnswer,
    match: answersMatch(finalAnswer, originalFinalAnswer),
  };
}
