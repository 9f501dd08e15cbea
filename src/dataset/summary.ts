/**
 * Row summaries of a dataset: what the table shows for one trace or one unreadable record. Pure (no
 * `vscode`, no I/O) so the same code runs in the extension host and in unit tests.
 */
import { segment } from '../core/steps';
import { estimateTokens } from '../core/session';
import type { Trace, TraceError } from '../core/trace/types';
import type { DatasetRow } from '../shared/datasetProtocol';

/** Characters of the prompt kept for the question column (and for filtering). */
export const QUESTION_PREVIEW_CHARS = 80;
/** Characters of an extracted answer kept for the answer column. */
export const ANSWER_PREVIEW_CHARS = 120;

/** A row before it has its place in the row list (`index` is assigned when the list is laid out). */
export type RowSummary = Omit<DatasetRow, 'index'>;

/** Collapses whitespace and cuts `text` to `max` characters, with an ellipsis when cut. */
export function preview(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  // Do not split a surrogate pair: a lone half renders as a replacement box.
  let cut = max - 1;
  const code = flat.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${flat.slice(0, cut)}…`;
}

/**
 * Tokens of the generated text: the file's own logprob tokens for the reasoning and answer when it has
 * them (exact), else an estimate from the character count.
 */
function traceTokens(trace: Trace): { tokens: number; estimated: boolean } {
  if (trace.logprobs && trace.logprobs.length > 0) {
    let n = 0;
    for (const t of trace.logprobs) if (t.region !== 'prompt') n++;
    if (n > 0) return { tokens: n, estimated: false };
  }
  return { tokens: estimateTokens(trace.reasoning) + estimateTokens(trace.answer), estimated: true };
}

/** The row of one trace of record `record` (0-based) at 1-based `line`. */
export function summariseTrace(trace: Trace, record: number, line: number): RowSummary {
  const { tokens, estimated } = traceTokens(trace);
  return {
    record,
    line,
    id: trace.id,
    question: preview(trace.prompt, QUESTION_PREVIEW_CHARS),
    // The table counts paragraphs (blank-line steps), whatever the editor's segmentation setting.
    steps: trace.reasoning.trim() ? segment(trace.reasoning, 'paragraph').length : 0,
    tokens,
    tokensEstimated: estimated,
    truncated: trace.truncated,
    answer: preview(trace.finalAnswer ?? '', ANSWER_PREVIEW_CHARS),
    correct: trace.reference?.correct ?? null,
  };
}

/** The error row of a record that yielded no trace. */
export function errorRow(error: TraceError | string, record: number, line: number): RowSummary {
  const message = typeof error === 'string' ? error : error.message;
  return {
    record,
    line,
    id: `line ${line}`,
    question: '',
    steps: 0,
    tokens: 0,
    tokensEstimated: false,
    truncated: false,
    answer: '',
    correct: null,
    // A message already naming the line keeps it; others get it, so the row says where to look.
    error: preview(/^line \d+/.test(message) ? message : `line ${line}: ${message}`, 500),
  };
}

/**
 * The rows of one record: one per trace (a record may hold several: OpenR1 generations, GSM8K model
 * solutions), or one error row when it yielded none. Errors beside traces are kept as their own rows.
 */
export function summariseRecord(result: { traces: readonly Trace[]; errors: readonly TraceError[] }, record: number, line: number): RowSummary[] {
  const rows = result.traces.map((t) => summariseTrace(t, record, line));
  for (const e of result.errors) rows.push(errorRow(e, record, line));
  if (rows.length === 0) rows.push(errorRow('no trace in this record', record, line));
  return rows;
}
