/**
 * Row summaries of a dataset: what the table shows for one trace or one unreadable record. Pure (no
 * `vscode`, no I/O) so the same code runs in the extension host and in unit tests.
 */
import { analyseTrace } from '../core/insights/scan';
import { reasoningTokens } from '../core/insights/stats';
import { segment } from '../core/steps';
import type { Step } from '../core/types';
import type { Trace, TraceError } from '../core/trace/types';
import type { DatasetRow } from '../shared/datasetProtocol';
import type { TraceFacts } from './recordFacts';

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
 * The steps the table, the dashboard and the behaviours count: paragraphs (blank-line steps), whatever
 * the editor's segmentation setting, so figures do not change with it (`analyseTrace`'s steps).
 */
export function paragraphSteps(trace: Trace): Step[] {
  return trace.reasoning.trim() ? segment(trace.reasoning, 'paragraph', trace.chunks) : [];
}

/**
 * The row of one trace of record `record` (0-based) at 1-based `line`: reasoning tokens as the
 * dashboard counts them (the file's logprob tokens, else an estimate), paragraph steps and the loops
 * in them (`analyseTrace`, as `reasoning-lens stats` does), and the file's own id and correctness
 * where the reader did not take them (`facts`).
 */
export function summariseTrace(trace: Trace, record: number, line: number, facts: TraceFacts = {}): RowSummary {
  const { tokens, exact } = reasoningTokens(trace);
  const { steps, loops } = analyseTrace(trace, 'paragraph');
  return {
    record,
    line,
    id: facts.id ?? trace.id,
    traceId: trace.id,
    question: preview(trace.prompt, QUESTION_PREVIEW_CHARS),
    steps: steps.length,
    tokens,
    tokensEstimated: !exact,
    truncated: trace.truncated,
    loops: loops.loops.length,
    wastedTokens: loops.wastedTokens,
    answer: preview(trace.finalAnswer ?? '', ANSWER_PREVIEW_CHARS),
    answerFound: trace.finalAnswer !== undefined,
    correct: trace.reference?.correct ?? facts.correct ?? null,
  };
}

/** The error row of a record that yielded no trace. */
export function errorRow(error: TraceError | string, record: number, line: number): RowSummary {
  const message = typeof error === 'string' ? error : error.message;
  return {
    record,
    line,
    id: `line ${line}`,
    traceId: '',
    question: '',
    steps: 0,
    tokens: 0,
    tokensEstimated: false,
    truncated: false,
    loops: 0,
    wastedTokens: 0,
    answer: '',
    answerFound: false,
    correct: null,
    // A message already naming the line keeps it; others get it, so the row says where to look.
    error: preview(/^line \d+/.test(message) ? message : `line ${line}: ${message}`, 500),
  };
}

/** What a record read into: its traces and the problems met. */
export interface RecordResult {
  readonly traces: readonly Trace[];
  readonly errors: readonly TraceError[];
}

const NO_TRACE = 'no trace in this record';

/**
 * The rows of one record: one per trace (a record may hold several: OpenR1 generations, GSM8K model
 * solutions), or one error row when it yielded none. Errors beside traces are kept as their own rows.
 * `facts` (per trace) are the file's own id and correctness.
 */
export function summariseRecord(result: RecordResult, record: number, line: number, facts: readonly TraceFacts[] = []): RowSummary[] {
  const rows = result.traces.map((t, k) => summariseTrace(t, record, line, facts[k]));
  for (const e of result.errors) rows.push(errorRow(e, record, line));
  if (rows.length === 0) rows.push(errorRow(NO_TRACE, record, line));
  return rows;
}

/** The texts full-text search looks at in one row. */
export interface RowText {
  readonly id: string;
  readonly prompt: string;
  readonly reasoning: string;
  readonly answer: string;
  readonly error: string;
}

/** The searchable texts of a record's rows, one per row of {@link summariseRecord} (same order, same count). */
export function recordTexts(result: RecordResult, facts: readonly TraceFacts[] = []): RowText[] {
  const texts: RowText[] = result.traces.map((t, k) => ({ id: facts[k]?.id ?? t.id, prompt: t.prompt, reasoning: t.reasoning, answer: t.answer, error: '' }));
  for (const e of result.errors) texts.push({ id: '', prompt: '', reasoning: '', answer: '', error: e.message });
  if (texts.length === 0) texts.push({ id: '', prompt: '', reasoning: '', answer: '', error: NO_TRACE });
  return texts;
}
