/**
 * Tokens ↔ characters ↔ steps.
 *
 * The full scored string (prompt + reasoning + …) is tokenized ONCE and every token carries its
 * character span in that string (tokenizer offsets, or `text_offset` from file logprobs). Steps carry
 * offsets into the reasoning; `reasoningOffset` places the reasoning in the full string. We never
 * re-tokenize prefixes: ASAP's `len(encode(prefix)) + 1` drifts when BPE merges across `\n\n`.
 */
import type { Step } from './types';

/** A token's `[start, end)` span in the full scored string; `start < 0` marks a token that could not be placed. */
export interface TokenSpan {
  readonly start: number;
  readonly end: number;
}

/** The tokens of one step: `[firstToken, endToken)` indices into the token array. */
export interface StepTokenRange {
  readonly stepIndex: number;
  /** Index of the step's first token, or -1 when no token starts inside the step (see `alignStepsToTokens`). */
  readonly firstToken: number;
  /** One past the last token of the step (equals `firstToken` when the step has no tokens). */
  readonly endToken: number;
  /** `endToken - firstToken` (0 when the step has no token of its own). */
  readonly tokenCount: number;
  /**
   * A token that starts inside the previous step's text (or the prompt) runs past this step's start:
   * it belongs to the earlier step, so this step's first token is the next one.
   */
  readonly firstTokenStraddles: boolean;
  /** The first token starts in the whitespace gap before the step (e.g. `" World"` after `"Hello."`). */
  readonly firstTokenHasLeadingGap: boolean;
}

/**
 * Map each step to its token range.
 *
 * Rule (algorithms.md, "Token alignment"): a step's first token is the first token whose span starts at
 * or after the step's start; a token that straddles the boundary belongs to the earlier step, and we
 * record it in `firstTokenStraddles`. One refinement, ours: the characters between two steps are
 * inter-step whitespace (steps are stripped), so a token that starts in that gap and runs into the step
 * (`" World"` in sentence mode, where the space is a prefix of the token) is the step's first token
 * (`firstTokenHasLeadingGap`) rather than a straddler; otherwise a sentence-mode step could lose its real
 * first token. Tokens lying wholly in a gap (a `"\n\n"` token) belong to no step. In paragraph mode with
 * a separate `"\n\n"` token both readings give the same first token as ASAP's.
 *
 * @param tokens token spans in the full scored string, in order
 * @param steps steps with offsets into the reasoning, in order
 * @param reasoningOffset where the reasoning starts in the full scored string
 */
export function alignStepsToTokens(
  tokens: readonly TokenSpan[],
  steps: readonly Step[],
  reasoningOffset = 0,
): StepTokenRange[] {
  const out: StepTokenRange[] = [];
  let t = 0;
  // The boundary of step i is the end of step i-1 (or the reasoning start for step 0): a token that
  // starts before it holds characters of the earlier step (or of the prompt).
  let boundary = reasoningOffset;
  // Largest end of the tokens already given to earlier steps: past `start` means a straddler.
  let consumedEnd = -Infinity;
  for (const step of steps) {
    const start = reasoningOffset + step.start;
    const end = reasoningOffset + step.end;
    let straddles = consumedEnd > start;
    while (t < tokens.length) {
      const tok = tokens[t]!;
      if (tok.start >= 0 && tok.end > start && tok.start >= boundary) break;
      if (tok.start >= 0 && tok.end > start) straddles = true; // starts before the boundary: earlier step's
      t++;
    }
    const first = t;
    while (t < tokens.length) {
      const tok = tokens[t]!;
      if (tok.start >= end) break;
      if (tok.start >= 0) consumedEnd = Math.max(consumedEnd, tok.end);
      t++;
    }
    // Trailing unplaced tokens are not the step's.
    while (t > first && tokens[t - 1]!.start < 0) t--;
    const count = t - first;
    const firstTok = count > 0 ? tokens[first] : undefined;
    out.push({
      stepIndex: step.index,
      firstToken: count > 0 ? first : -1,
      endToken: t,
      tokenCount: count,
      firstTokenStraddles: straddles,
      firstTokenHasLeadingGap: firstTok !== undefined && firstTok.start < start,
    });
    boundary = end;
  }
  return out;
}

/** For each token, the index (position in `ranges`) of the step it belongs to, or -1 (prompt, gaps, answer). */
export function tokenStepMap(ranges: readonly StepTokenRange[], tokenCount: number): Int32Array {
  const map = new Int32Array(tokenCount).fill(-1);
  ranges.forEach((r, i) => {
    if (r.firstToken >= 0) for (let t = r.firstToken; t < r.endToken && t < tokenCount; t++) map[t] = i;
  });
  return map;
}

/** Index of the token whose span contains character `offset` (binary search over sorted spans), or -1. */
export function tokenAtOffset(tokens: readonly TokenSpan[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const tok = tokens[mid]!;
    if (tok.start < 0) {
      // Unplaced tokens break the ordering; fall back to a scan.
      return tokens.findIndex((x) => x.start >= 0 && x.start <= offset && offset < x.end);
    }
    if (offset < tok.start) hi = mid - 1;
    else if (offset >= tok.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** The token range `[start, end)` that covers all steps (reasoning tokens between the first and last step). */
export function reasoningTokenRange(ranges: readonly StepTokenRange[]): { start: number; end: number } {
  const withTokens = ranges.filter((r) => r.firstToken >= 0);
  if (!withTokens.length) return { start: 0, end: 0 };
  return { start: withTokens[0]!.firstToken, end: withTokens[withTokens.length - 1]!.endToken };
}
