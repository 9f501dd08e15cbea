/**
 * Scoring a text longer than the model's context: segment-wise, in overlapping windows (the XL3M idea,
 * arXiv 2405.17755; also how perplexity is measured with a sliding window). The KV cache never holds more
 * than one window, so memory is bounded by the context and time is linear in the text length.
 *
 * The first window scores its tokens with all of their left context. Each later window starts afresh
 * (an empty KV cache; the BOS token first, as an attention sink, when the text was scored with one),
 * re-reads the last `overlap` tokens as context only, and scores the tokens after them: every token is
 * scored with at least `overlap` tokens of left context, and at most a window's worth. The result says
 * from which token on this happened (`ScoreWindow.from`).
 *
 * One driver for both runtimes (ONNX and GGUF): a runtime supplies how to start a window (drop its KV
 * cache) and how to feed a chunk of tokens, keeping the predictions of some of its rows.
 */
import { throwIfAborted, type ProgressCallback, type ScoreOptions, type ScoreWindow } from './backend';

/** Context assumed for a model that does not declare one (config.json / GGUF header). */
export const DEFAULT_CONTEXT = 2048;

/** Where a window lies in the fed sequence: positions `[start, end)`, predictions kept from `keepFrom` on. */
export interface WindowPlan {
  readonly start: number;
  readonly end: number;
  readonly keepFrom: number;
}

/**
 * The windows over `fed` positions (each predicts the token after it) for a model that takes `size`
 * positions, of which `sink` go to a sink token in every window but the first, with `overlap` positions
 * of left context for every token a later window scores. One window when the text fits.
 */
export function planWindows(fed: number, size: number, overlap: number, sink = 0): WindowPlan[] {
  if (fed <= 0) return [];
  const first = Math.min(fed, Math.max(1, size));
  const windows: WindowPlan[] = [{ start: 0, end: first, keepFrom: 0 }];
  const room = Math.max(2, size - sinkRoom(size, sink));
  const w = clampOverlap(overlap, room);
  while (windows[windows.length - 1]!.end < fed) {
    const previous = windows[windows.length - 1]!.end;
    // Position p predicts token p + 1 with (p + 1 - start) tokens of context: at least w for the first new one.
    const start = previous + 1 - w;
    windows.push({ start, end: Math.min(fed, start + room), keepFrom: previous });
  }
  return windows;
}

/** Positions a sink takes in a window of `size`: none in a window too small to hold it, a token of context and a new one. */
function sinkRoom(size: number, sink: number): number {
  return size - sink >= 2 ? sink : 0;
}

/** Overlap within `[1, room - 1]`, so that every window scores at least one new token. */
function clampOverlap(overlap: number, room: number): number {
  return Math.max(1, Math.min(Math.floor(overlap), room - 1));
}

/** Default overlap: half the window (the usual sliding-window stride). */
export function defaultOverlap(size: number): number {
  return Math.max(1, Math.floor(size / 2));
}

/** One chunk of a window, as a runtime feeds it. */
export interface ChunkFeed {
  /** Tokens to feed, after `past` positions already in the window's KV cache. */
  readonly ids: readonly number[];
  readonly past: number;
  /** Rows (indices into `ids`) from which predictions are kept; `ids.length` when none is. */
  readonly keepFrom: number;
  /** Target token of each kept row (`targets[i]` is what row `keepFrom + i` should predict). */
  readonly targets: readonly number[];
  /** Output position (token index in the text) of the first kept row. */
  readonly outStart: number;
}

/** What a runtime does for {@link scoreInWindows}. */
export interface WindowedRuntime {
  /** Starts a window: drops the KV cache. */
  startWindow(): void | Promise<void>;
  /** Feeds one chunk and reduces its kept rows into the output. */
  feed(chunk: ChunkFeed): Promise<void>;
}

/** How {@link scoreInWindows} scores a token sequence. */
export interface WindowOptions {
  /** Positions per forward pass at most (the model's context, or less when asked). */
  readonly size: number;
  /** Left context of every token scored in a later window. */
  readonly overlap: number;
  /** Tokens per forward pass. */
  readonly chunk: number;
  /** Token fed first in every later window (the BOS token), when the text was scored after one. */
  readonly sinkToken?: number | undefined;
  /** 1 when `seq[0]` is a BOS token that is not part of the text (output positions shift by one). */
  readonly offset: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ProgressCallback | undefined;
}

/**
 * Scores `seq` (token ids, BOS included when `offset` is 1) in windows of at most `options.size`
 * positions, chunk by chunk, checking cancellation before every chunk and reporting progress after it
 * (`done` of `total` predictions). Returns where windowing began, or undefined when the text fit.
 */
export async function scoreInWindows(seq: readonly number[], options: WindowOptions, runtime: WindowedRuntime): Promise<ScoreWindow | undefined> {
  const fed = seq.length - 1;
  const size = Math.max(2, options.size);
  const sink = sinkRoom(size, options.sinkToken !== undefined ? 1 : 0);
  const plan = planWindows(fed, size, options.overlap, sink);
  const chunk = Math.max(1, options.chunk);
  let done = 0;
  // Tokenizing is done: say so before the first pass (a watchdog counts silences).
  options.onProgress?.(0, fed);
  for (const [i, w] of plan.entries()) {
    await runtime.startWindow();
    const head = i > 0 && sink > 0 && options.sinkToken !== undefined ? [options.sinkToken] : [];
    const ids = [...head, ...seq.slice(w.start, w.end)];
    // Row r of this window is position w.start + r - head.length of the sequence.
    const keepRow = w.keepFrom - w.start + head.length;
    for (let p = 0; p < ids.length; p += chunk) {
      throwIfAborted(options.signal);
      const end = Math.min(ids.length, p + chunk);
      const keepFrom = Math.min(end - p, Math.max(0, keepRow - p));
      const firstKept = w.start + p + keepFrom - head.length;
      const lastKept = w.start + end - head.length;
      await runtime.feed({
        ids: ids.slice(p, end),
        past: p,
        keepFrom,
        targets: seq.slice(firstKept + 1, lastKept + 1),
        outStart: firstKept + 1 - options.offset,
      });
      done += end - p - keepFrom;
      options.onProgress?.(done, fed);
    }
  }
  if (plan.length <= 1) return undefined;
  return { size, overlap: clampOverlap(options.overlap, size - sink), from: plan[0]!.end + 1 - options.offset, windows: plan.length };
}

/** Positions per window: `asked` when given, never more than the model's context (or {@link DEFAULT_CONTEXT} when it declares none). */
export function windowSize(context: number | undefined, asked?: number): number {
  const limit = context && context > 1 ? context : DEFAULT_CONTEXT;
  return Math.max(2, Math.min(limit, asked ?? limit));
}

/**
 * A generation that fits the context: `maxTokens` capped at the room left after `fixed` tokens (a BOS)
 * and at least one prompt token, and the prompt's LAST tokens kept when prompt and answer would not fit
 * (what comes right before the answer matters most to it).
 */
export function fitContext(prompt: readonly number[], fixed: number, maxTokens: number, context: number): { ids: number[]; maxTokens: number; dropped: number } {
  const tokens = Math.max(0, Math.min(maxTokens, context - fixed - Math.min(1, prompt.length)));
  const room = Math.max(0, context - fixed - tokens);
  const dropped = Math.max(0, prompt.length - room);
  return { ids: prompt.slice(dropped), maxTokens: tokens, dropped };
}

/** {@link WindowOptions} from a score call's options, for a runtime's window `size` and `chunk` (and BOS, when fed). */
export function windowOptions(options: ScoreOptions, size: number, chunk: number, bos: number | undefined): WindowOptions {
  return { size, overlap: options.windowOverlap ?? defaultOverlap(size), chunk, sinkToken: bos, offset: bos !== undefined ? 1 : 0, signal: options.signal, onProgress: options.onProgress };
}
