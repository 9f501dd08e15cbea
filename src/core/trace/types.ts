/**
 * The trace model every other layer consumes. Pure data: no `vscode`, no I/O.
 *
 * Offsets are UTF-16 code-unit offsets into the string they name (JavaScript string indices), so a
 * `[start, end)` pair can be fed to `String.prototype.slice` directly.
 */

import type { FieldMapping, TraceFields } from './fields';
import type { TraceFormat } from './registry';
import type { TraceWarning } from './warnings';

export type { TraceFormat } from './registry';
export type { TraceWarning, TraceWarningCode } from './warnings';
export type { FieldMapping, TraceFields } from './fields';

/** Where a trace came from, precise enough to point a user at it. */
export interface SourceLocation {
  /** Absolute or user-given path of the file (or folder, for Thought-Anchors problems). */
  readonly file: string;
  /** 1-based line of the record in a JSONL file, or of the reasoning start in a text file. */
  readonly line?: number;
  /** JSON path of the record inside a JSON document, e.g. `$[3]` or `$.generations[1]`. */
  readonly jsonPath?: string;
  /** Byte offset of the record in its file (JSONL datasets). */
  readonly byteOffset?: number;
}

/** One candidate of a top-k distribution. */
export interface TokenCandidate {
  readonly token: string;
  readonly logprob: number;
}

/** Which part of the trace a token belongs to. */
export type TraceRegion = 'prompt' | 'reasoning' | 'answer';

/**
 * One scored token with its character span in `region`'s text. Tokens that the file gives but that
 * cannot be placed (text mismatch) keep `start = end = -1` and are reported in `Trace.warnings`.
 */
export interface TokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly region: TraceRegion;
  readonly start: number;
  readonly end: number;
  readonly topLogprobs?: readonly TokenCandidate[];
}

/** A step the file itself defines (Thought-Anchors chunks), with its metadata kept verbatim. */
export interface FileChunk {
  readonly start: number;
  readonly end: number;
  /** e.g. Thought-Anchors `function_tags`. */
  readonly labels?: readonly string[];
  /** Named importance values, e.g. `counterfactual_importance_accuracy`. */
  readonly importance?: Readonly<Record<string, number>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A reasoning trace: prompt, reasoning, answer, and what the file told us about them. */
export interface Trace {
  /** Stable within its file: record index, `generations[i]`, problem id… */
  readonly id: string;
  readonly format: TraceFormat;
  readonly prompt: string;
  /** The reasoning text only, without its delimiters. */
  readonly reasoning: string;
  /** True when the closing delimiter is missing (generation cut off): reasoning runs to the end. */
  readonly truncated: boolean;
  /** What follows the reasoning (the visible answer / write-up). */
  readonly answer: string;
  /** `\boxed{…}`, `#### N`, "the answer is …", or the last fenced code block. */
  readonly finalAnswer?: string;
  /** Token logprobs from the file, when it has them. */
  readonly logprobs?: readonly TokenLogprob[];
  /** Steps the file defines itself. */
  readonly chunks?: readonly FileChunk[];
  /** Ground-truth answer or correctness label when the data has one. */
  readonly reference?: { readonly answer?: string; readonly correct?: boolean };
  readonly source: SourceLocation;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Where prompt, reasoning, answer, id and correctness were read from (dotted paths in the record; absent for text files). */
  readonly fields?: TraceFields;
  /** Non-fatal problems: a stable code and a message phrased for a user ("no closing </think>; treated as truncated"). */
  readonly warnings: readonly TraceWarning[];
}

/** A fatal problem reading one record; the rest of the file still loads. */
export interface TraceError {
  /** `unrecognised`: nothing in the record looks like a trace (a folder reader skips such files). */
  readonly code?: 'unrecognised';
  readonly message: string;
  readonly source: SourceLocation;
  readonly column?: number;
  readonly field?: string;
}

/** Options shared by the parsers and readers. */
export interface ParseOptions {
  /** Force a format; `auto` (default) detects it per record. */
  readonly format?: TraceFormat | 'auto';
  /** Custom reasoning delimiters, tried before the known ones. */
  readonly reasoningTags?: readonly [open: string, close: string];
  /** Prompt to use when the record/file has none (e.g. the sibling `prompt.md`). */
  readonly prompt?: string;
  /**
   * Where prompt, reasoning, answer and id sit in each record (dotted paths), when detection is wrong
   * or the record's keys are unusual. Roles left out are found automatically.
   */
  readonly fields?: FieldMapping;
}

/** Traces parsed from one record or file, plus the fatal problems met on the way. */
export interface ParseResult {
  readonly traces: Trace[];
  readonly errors: TraceError[];
}
