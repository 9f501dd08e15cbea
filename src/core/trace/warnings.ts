/**
 * Non-fatal problems of a trace, each with a stable code (for code to branch on) and a message (for
 * people). Code never looks at the wording of a message. Pure.
 */

/** Every warning code a reader can give. */
export const TRACE_WARNING_CODES = [
  /** The text has no reasoning delimiters; the whole text was taken as reasoning. */
  'no-delimiters',
  /** A response without any reasoning (no reasoning field, no delimiters). */
  'no-reasoning',
  /** No closing delimiter: the generation was cut off inside its reasoning. */
  'truncated',
  /** Truncation inferred from the record (an empty reasoning field beside an undelimited response). */
  'truncated-inferred',
  /** The reasoning is empty. */
  'empty-reasoning',
  /** A chat-template dump without an assistant turn. */
  'no-assistant-turn',
  /** Token logprobs that could not be placed on the text. */
  'logprobs-unplaced',
  /** The prompt was rebuilt from prompt-logprob tokens. */
  'prompt-from-logprobs',
  /** File-defined chunks that could not be located in the reasoning. */
  'chunks-unplaced',
  /** Invalid UTF-8 bytes were replaced with U+FFFD. */
  'invalid-utf8',
  /** The reasoning is only a summary, or part of it is encrypted / redacted by the provider. */
  'reasoning-hidden',
  /** The fields were found by the general pass (names and content), not by a known schema. */
  'fields-guessed',
  /** A user-set field path did not resolve in this record. */
  'field-missing',
] as const;

/** A warning code. */
export type TraceWarningCode = (typeof TRACE_WARNING_CODES)[number];

/** A non-fatal problem: `code` is stable, `message` is phrased for a user. */
export interface TraceWarning {
  readonly code: TraceWarningCode;
  readonly message: string;
}

/** A warning. */
export function warning(code: TraceWarningCode, message: string): TraceWarning {
  return { code, message };
}

/** True when `warnings` hold one with `code`. */
export function hasWarning(trace: { readonly warnings: readonly TraceWarning[] }, code: TraceWarningCode): boolean {
  return trace.warnings.some((w) => w.code === code);
}
