/**
 * Previews of what pruning does to the model's output, on any `ScoringBackend` (no `vscode` here):
 * - answer retention: how much less (or more) likely the trace's original answer becomes when the model
 *   reads the pruned reasoning instead of the full one;
 * - generation: what the model writes after the full and after the pruned reasoning, streamed, side by
 *   side, with the answer each states and whether they agree.
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

/** One generation (greedy) after one reasoning, with the final answer it states. */
export interface GenerationSide {
  readonly text: string;
  readonly tokenCount: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly finishReason: FinishReason;
  /** Extracted from the text (`\boxed{}`, "the answer is …", a last code block…); null when none. */
  readonly finalAnswer: string | null;
  /** Not generated again: `earlier` (an earlier run had the same input), `full` (nothing is pruned). */
  readonly reused: 'earlier' | 'full' | null;
}

/** How two answers compare after normalisation. */
export type AnswerVerdict = 'same' | 'differs' | 'no answer';

/** Result of `generateComparison`: both generations side by side and how their answers compare. */
export interface GenerationComparison {
  readonly full: GenerationSide;
  readonly pruned: GenerationSide;
  /** The answer the trace itself states (reference only; the verdict compares the two generations). */
  readonly traceAnswer: string | null;
  readonly verdict: AnswerVerdict;
  /** Under `no answer`: which generation states none. */
  readonly missing: 'full' | 'pruned' | 'both' | null;
}

/** Which reasoning a generation continues from. */
export type GenerationSideName = 'full' | 'pruned';

/** Options of `generateComparison`. */
export interface GenerateComparisonOptions {
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
  /** Each new piece of text of one side, with that side's running token count and elapsed seconds. */
  readonly onChunk?: (side: GenerationSideName, text: string, tokens: number, seconds: number) => void;
  /** A side is done (before the other starts, so a view can show its answer at once). */
  readonly onSide?: (side: GenerationSideName, result: GenerationSide) => void;
  /** The full-reasoning generation of an earlier run with the same context and options (greedy: same text). */
  readonly reuseFull?: GenerationSide;
  /** Clock in ms (tests). */
  readonly now?: (() => number) | undefined;
}

/** An answer normalised for comparison; null when there is none (or nothing is left after normalising). */
function comparable(answer: string | null | undefined): string | null {
  if (answer == null) return null;
  const normalised = normaliseAnswer(answer);
  return normalised.length > 0 ? normalised : null;
}

/**
 * Whether two final answers agree once normalised (`0.5`, `1/2` and `\frac{1}{2}` are the same):
 * `no answer` when either states none, so a pair of missing answers never reads as "differs".
 */
export function compareAnswers(a: string | null | undefined, b: string | null | undefined): { verdict: AnswerVerdict; missing: 'first' | 'second' | 'both' | null } {
  const x = comparable(a);
  const y = comparable(b);
  if (x === null || y === null) return { verdict: 'no answer', missing: x === null && y === null ? 'both' : x === null ? 'first' : 'second' };
  return { verdict: x === y ? 'same' : 'differs', missing: null };
}

/**
 * Generate (greedy) from `prompt + <think>\n + reasoning + \n</think>\n`, streaming chunks, and extract
 * the final answer of what was written. Rejects with an AbortError when cancelled.
 */
export async function generateAfter(
  backend: ScoringBackend,
  prompt: string,
  reasoning: string,
  options: { readonly maxTokens?: number; readonly signal?: AbortSignal; readonly onChunk?: (text: string, tokens: number, seconds: number) => void; readonly now?: () => number } = {},
): Promise<GenerationSide> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let chunks = 0;
  const generation = await backend.generate(previewContext(prompt, reasoning), {
    maxTokens: options.maxTokens ?? 256,
    temperature: 0,
    signal: options.signal,
    onToken: (delta) => {
      chunks++;
      options.onChunk?.(delta, chunks, (now() - started) / 1000);
    },
  });
  const seconds = Math.max((now() - started) / 1000, 1e-6);
  return {
    text: generation.text,
    tokenCount: generation.tokenCount,
    seconds,
    tokensPerSecond: generation.tokenCount / seconds,
    finishReason: generation.finishReason,
    finalAnswer: extractFinalAnswer(generation.text) ?? null,
    reused: null,
  };
}

/**
 * What the model answers after the full reasoning and after the pruned one, side by side: the full side
 * first (reused when `reuseFull` is given), then the pruned side (reused from the full one when nothing
 * is pruned), and whether the two answers agree. The trace's own answer comes along for reference.
 */
export async function generateComparison(backend: ScoringBackend, input: PreviewInput, options: GenerateComparisonOptions = {}): Promise<GenerationComparison> {
  const run = (side: GenerationSideName, reasoning: string) => generateAfter(backend, input.prompt, reasoning, {
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.now ? { now: options.now } : {}),
    onChunk: (text, tokens, seconds) => options.onChunk?.(side, text, tokens, seconds),
  });
  const full = options.reuseFull ? { ...options.reuseFull, reused: 'earlier' as const } : await run('full', input.fullReasoning);
  options.onSide?.('full', full);
  throwIfAborted(options.signal);
  const pruned = input.prunedReasoning === input.fullReasoning ? { ...full, reused: 'full' as const } : await run('pruned', input.prunedReasoning);
  options.onSide?.('pruned', pruned);
  const { verdict, missing } = compareAnswers(full.finalAnswer, pruned.finalAnswer);
  return {
    full,
    pruned,
    traceAnswer: extractFinalAnswer(input.answer) ?? null,
    verdict,
    missing: missing === 'first' ? 'full' : missing === 'second' ? 'pruned' : missing,
  };
}
