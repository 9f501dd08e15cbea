/**
 * What every reader shares: the context a format reader gets, building a {@link Trace} from its parts,
 * and splitting a response into reasoning and answer. Pure.
 */
import { extractFinalAnswer } from './answer';
import { joinPath, type TraceFields } from './fields';
import { openTagAtEnd, parseChatTemplate, splitReasoning, type SplitResponse, type TagPair } from './text';
import type { FileChunk, ParseOptions, ParseResult, SourceLocation, TokenLogprob, Trace, TraceFormat } from './types';
import { warning, type TraceWarning } from './warnings';

/** A JSON object. */
export type Rec = Record<string, unknown>;

/** What a format reader is given besides its input. */
export interface ReadContext {
  /** The format the registry chose (readers never name their own id). */
  readonly format: TraceFormat;
  readonly opts: ParseOptions;
  readonly source: SourceLocation;
  /** Id of the record (e.g. `L3`, `$[2]`); readers of multi-trace records add a suffix. */
  readonly id: string;
  /** Path of the input inside the whole record, when it was found nested (e.g. `response.body`). */
  readonly path?: string;
}

/** The parts of a trace as a reader produces them. Field paths are relative to the reader's input. */
export interface TraceParts {
  /** Suffix added to the record id (`/choices[1]`), or a whole id when `idIsFull`. */
  idSuffix?: string;
  idIsFull?: boolean;
  prompt: string;
  reasoning: string;
  truncated: boolean;
  answer: string;
  /** Where the parts came from, relative to the reader's input. */
  fields?: TraceFields;
  /** JSON path of the trace (relative), for `source.jsonPath`. */
  jsonPath?: string;
  line?: number;
  metadata?: Rec;
  warnings?: TraceWarning[];
  logprobs?: TokenLogprob[];
  chunks?: FileChunk[];
  reference?: { answer?: string; correct?: boolean } | undefined;
  finalAnswer?: string;
  /** The answer is code (a `<code>` section): its final answer is the code itself. */
  answerIsCode?: boolean;
}

/** A trace from its parts, in the reader's context (ids, paths and the source are made absolute). */
export function makeTrace(ctx: ReadContext, p: TraceParts): Trace {
  const warnings = p.warnings ?? [];
  if (!p.reasoning.trim() && !warnings.some((w) => w.code === 'no-reasoning')) warnings.push(warning('empty-reasoning', 'empty reasoning'));
  // The final answer comes from the answer; a trace with no separate answer states it in its reasoning.
  const finalAnswer = p.finalAnswer ?? (p.answer.trim() ? extractFinalAnswer(p.answer, p.answerIsCode) : p.truncated ? undefined : extractFinalAnswer(p.reasoning));
  const reference = p.reference && (p.reference.answer !== undefined || p.reference.correct !== undefined) ? p.reference : undefined;
  const fields: Record<string, string> = {};
  for (const [role, path] of Object.entries(p.fields ?? {})) {
    const abs = joinPath(ctx.path, path);
    if (abs !== undefined) fields[role] = abs;
  }
  const id = p.idIsFull && p.idSuffix ? p.idSuffix : `${ctx.id}${p.idSuffix ?? ''}`;
  const basePath = ctx.source.jsonPath ?? '$';
  const rel = joinPath(ctx.path, p.jsonPath);
  return {
    id,
    format: ctx.format,
    prompt: p.prompt,
    reasoning: p.reasoning,
    truncated: p.truncated,
    answer: p.answer,
    ...(finalAnswer !== undefined ? { finalAnswer } : {}),
    ...(p.logprobs && p.logprobs.length ? { logprobs: p.logprobs } : {}),
    ...(p.chunks ? { chunks: p.chunks } : {}),
    ...(reference ? { reference } : {}),
    source: { ...ctx.source, ...(rel ? { jsonPath: `${basePath}.${rel}` } : {}), ...(p.line !== undefined ? { line: p.line } : {}) },
    metadata: p.metadata ?? {},
    fields,
    warnings,
  };
}

/** A result with one trace. */
export function one(trace: Trace): ParseResult {
  return { traces: [trace], errors: [] };
}

/** The user's custom delimiters, if any. */
export function tagsOf(opts: ParseOptions): TagPair | undefined {
  return opts.reasoningTags ? [opts.reasoningTags[0], opts.reasoningTags[1]] : undefined;
}

/**
 * A response string split at its delimiters. Without delimiters: the whole text is the reasoning (CoT
 * datasets), unless `prompt` ends with an opening tag, in which case it is a reasoning cut off.
 */
export function splitAsReasoning(text: string, opts: ParseOptions, prompt = ''): SplitResponse {
  const s = splitReasoning(text, tagsOf(opts), openTagAtEnd(prompt, tagsOf(opts)));
  if (s.tags) return s;
  return { before: '', reasoning: text, reasoningStart: 0, answer: '', answerStart: -1, truncated: false, warnings: [warning('no-delimiters', 'no reasoning delimiters; the whole response is treated as reasoning')] };
}

/**
 * A response string of an API (content): split at delimiters when it has them, else it is all answer
 * and the trace has no reasoning (warned), unless the prompt opened a reasoning tag.
 */
export function splitAsResponse(text: string, opts: ParseOptions, prompt = ''): SplitResponse {
  const s = splitReasoning(text, tagsOf(opts), openTagAtEnd(prompt, tagsOf(opts)));
  if (s.tags) return s;
  return { ...s, warnings: [warning('no-reasoning', 'no reasoning in this response (no reasoning field, no delimiters)')] };
}

/** A split where the reasoning came from its own field and `answer` is the visible response. */
export function separateSplit(reasoning: string, answer: string): SplitResponse {
  return { before: '', reasoning, reasoningStart: 0, answer, answerStart: 0, truncated: false, warnings: [] };
}

/**
 * The prompt as a person reads it: when a prompt field holds a whole chat-template dump (the raw text
 * a model was given), its last user turn; else the text itself.
 */
export function promptFromTemplate(text: string): string {
  const dump = parseChatTemplate(text);
  if (!dump) return text;
  const user = [...dump.messages].reverse().find((m) => m.role === 'user');
  return user ? user.content.trim() : text;
}

/** Finish reasons that mean the generation hit its token limit. */
export function isLengthStop(reason: unknown): boolean {
  return typeof reason === 'string' && /^(length|max_tokens|max_output_tokens|MAX_TOKENS|limit|max_length)$/i.test(reason);
}
