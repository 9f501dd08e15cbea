/**
 * The CPU-bound unit of work of `prune` and `score` when the scores come from the file's logprobs: a
 * batch of JSONL lines in, output lines and totals out. Runs in a worker thread (`worker.ts`) or, with
 * `--workers 0` or when no worker bundle is found, on the main thread. No I/O here.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { emptyTotals, exportJsonlLine, fastChatTraces, fileStepScores, filePruner, passRecord, type ExportTotals, type SkippedTrace, type WriteOptions } from '../core/export/dataset';
import type { ExportFormat, TruncatedPolicy } from '../core/export/serialize';
import type { Budget } from '../core/prune/budget';
import type { PruneMethodId } from '../core/prune/plan';
import { segment } from '../core/steps';
import { parseTraceRecord, safeParseJson } from '../core/trace';
import type { ParseOptions, Trace } from '../core/trace/types';
import type { SegmentationMode, StepScores } from '../core/types';
import type { TokenizerSetting } from '../model/tokenizers';
import { countTraceTokens, namedStepTokens, type StepTokenCounter, type TokenCounting } from '../pipeline/traceTokens';
import { settingName } from './tokenCounting';

/** What a task does with each record. */
export type TaskConfig =
  | {
      readonly kind: 'prune';
      readonly file: string;
      readonly method: PruneMethodId;
      /** Methods run after `method` on the steps it kept. */
      readonly then?: readonly PruneMethodId[];
      readonly budget: Budget;
      /** Rule-based methods stop at the budget too (it was given explicitly). */
      readonly ruleBudget?: boolean;
      readonly segmentation: SegmentationMode;
      readonly format: ExportFormat;
      /** SFT rows of truncated traces: left out (default) or kept. */
      readonly truncated?: TruncatedPolicy;
      readonly placeholder: boolean;
      /** How records are read (field mapping, delimiters); structured-clone safe. */
      readonly parse?: ParseOptions;
      /** What counts tokens for budgets and totals (`--tokenizer`; default `auto`). */
      readonly tokenizer?: TokenizerSetting;
    }
  | { readonly kind: 'score'; readonly file: string; readonly segmentation: SegmentationMode; readonly parse?: ParseOptions; readonly tokenizer?: TokenizerSetting };

/** The tokenizer counter of a task (loads a tokenizer in this thread on the first trace that needs it). */
function taskCounter(config: TaskConfig): StepTokenCounter {
  const setting = config.tokenizer ?? 'auto';
  return namedStepTokens(setting, undefined, settingName(setting));
}

/**
 * A batch of consecutive records, as byte ranges of the input file: the main thread only finds line
 * breaks (no decoding, no copying of record text); whoever processes the batch reads and decodes it.
 */
export interface TaskBatch {
  readonly seq: number;
  /** Byte offset in the input of the batch's first record. */
  readonly offset: number;
  /** Bytes from `offset` to the end of the last record. */
  readonly length: number;
  /** Start of each record, relative to `offset`. */
  readonly starts: readonly number[];
  /** End of each record (exclusive; without the line break and a CR before it), relative to `offset`. */
  readonly ends: readonly number[];
  /** 1-based file line of each record. */
  readonly lineNumbers: readonly number[];
}

/**
 * Reads the records of batches from `path`: one open and one positioned read per batch (invalid UTF-8
 * becomes U+FFFD). The file is not held open between batches, so nothing leaks when a worker is
 * terminated mid-run.
 */
export function batchReader(path: string): { read: (batch: TaskBatch) => string[] } {
  return {
    read: (batch) => {
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.allocUnsafe(batch.length);
        let done = 0;
        while (done < batch.length) {
          const n = readSync(fd, buf, done, batch.length - done, batch.offset + done);
          if (n === 0) throw new Error(`${path} shrank while it was being read (at byte ${batch.offset + done})`);
          done += n;
        }
        return batch.starts.map((start, k) => buf.toString('utf8', start, batch.ends[k]));
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** A batch's result. */
export interface TaskResult {
  readonly seq: number;
  /** Output text (lines with their `\n`). */
  readonly output: string;
  readonly records: number;
  readonly totals: ExportTotals;
}

/** One trace's scores as the `score` command writes them (one JSON line per trace). */
export interface ScoreRow {
  readonly id: string;
  readonly source: string;
  readonly format: string;
  readonly scoredBy: string;
  /** What counted `tokens` and each step's `tokens`: a tokenizer id (`qwen`), `scoring-model` or `estimate`. */
  readonly tokenizer: string;
  /** Why that tokenizer (`DeepSeek-R1 / DeepSeek-V3: model "deepseek-reasoner" in the record`). */
  readonly tokenizerReason: string;
  readonly tokensEstimated: boolean;
  /** Reasoning tokens: the steps' tokens plus one per blank line between them. */
  readonly tokens: number;
  /**
   * Present when the trace was longer than the model's context: tokens from reasoning token `fromToken`
   * (character `fromChar`) on were scored in windows of `size` tokens with at least `overlap` tokens of
   * left context; the steps they touch have `windowed: true`.
   */
  readonly window?: { readonly size: number; readonly overlap: number; readonly fromToken: number; readonly fromChar: number } | undefined;
  readonly steps: readonly (StepScores & { readonly text: string; readonly windowed?: true | undefined })[];
}

/**
 * The per-step scores of a trace as a `score` output row (undefined scores when the file has no
 * logprobs), with token counts in the tokenizer `named` picks for it, else the scores' own.
 */
export function scoreRow(trace: Trace, segmentation: SegmentationMode, scores: readonly StepScores[] | undefined, scoredBy: string, named: StepTokenCounter, window?: ScoreRow['window']): ScoreRow {
  const steps = segment(trace.reasoning, segmentation, trace.chunks);
  const scoring = scores && { counts: scores.map((s) => s.tokens), reason: scoredBy === 'file' ? 'the file\'s logprob tokens' : `the scoring model's tokenizer (${scoredBy})` };
  const counting = countTraceTokens(trace, steps.map((s) => s.text), named, scoring);
  return {
    id: trace.id,
    source: `${trace.source.file}${trace.source.line !== undefined ? `:${trace.source.line}` : ''}`,
    format: trace.format,
    scoredBy,
    tokenizer: counting.tokenizer,
    tokenizerReason: counting.tokenizerReason,
    tokensEstimated: counting.tokensEstimated,
    tokens: counting.tokens,
    window,
    steps: steps.map((s, i) => ({
      ...(scores?.[i] ?? { index: i, tokens: 0 }),
      index: i,
      tokens: counting.stepTokens[i] ?? 0,
      text: s.text.length > 120 ? `${s.text.slice(0, 119)}…` : s.text,
      windowed: window && s.end > window.fromChar ? (true as const) : undefined,
    })),
  };
}

/** Counts a scored trace's tokens, and what counted them, in `totals` (before = after: nothing is cut). */
export function addScoredTokens(totals: ExportTotals, row: Pick<TokenCounting, 'tokens' | 'tokenizer'>): void {
  totals.tokensBefore += row.tokens;
  totals.tokensAfter += row.tokens;
  totals.tokensBy[row.tokenizer] = (totals.tokensBy[row.tokenizer] ?? 0) + 1;
}

/** Builds the function that processes one batch under `config`. */
export function makeTask(config: TaskConfig): (batch: TaskBatch) => TaskResult {
  const reader = batchReader(config.file);
  const named = taskCounter(config);
  if (config.kind === 'prune') {
    const prune = filePruner({ ...config, stepTokens: named });
    const write = writeOptions(config);
    return (batch) => {
      const totals = emptyTotals();
      let output = '';
      const lines = reader.read(batch);
      lines.forEach((line, k) => {
        for (const out of exportJsonlLine(line, { file: config.file, line: batch.lineNumbers[k]! }, prune, write, totals)) output += `${out}\n`;
      });
      return { seq: batch.seq, output, records: lines.length, totals };
    };
  }
  return (batch) => {
    const totals = emptyTotals();
    let output = '';
    const lines = reader.read(batch);
    lines.forEach((line, k) => {
      const lineNo = batch.lineNumbers[k]!;
      totals.records++;
      const skip = (reason: string, id = `L${lineNo}`): void => {
        totals.skipped.push({ id, where: `${config.file}:${lineNo}`, reason } satisfies SkippedTrace);
      };
      const parsed = safeParseJson(line);
      if (!parsed.ok) return skip(`not JSON: ${parsed.message}`);
      const source = { file: config.file, line: lineNo, jsonPath: '$' };
      // The same fast path as prune's for chat completions with logprobs (falls back to the general parser).
      const fast = fastChatTraces(parsed.value, source, `L${lineNo}`, config.parse ?? {});
      const res = fast ? { traces: fast, errors: [] } : parseTraceRecord(parsed.value, config.parse ?? {}, source, `L${lineNo}`);
      if (!res.traces.length) return skip(res.errors[0]?.message ?? 'no trace in this record');
      for (const trace of res.traces) {
        totals.traces++;
        const steps = segment(trace.reasoning, config.segmentation, trace.chunks);
        const scores = fileStepScores(trace, steps);
        if (!scores) {
          skip('no logprobs in the record: give --model DIR or --endpoint URL to score it', trace.id);
          continue;
        }
        totals.pruned++;
        const row = scoreRow(trace, config.segmentation, scores, 'file', named);
        addScoredTokens(totals, row);
        output += `${JSON.stringify(row)}\n`;
      }
    });
    return { seq: batch.seq, output, records: lines.length, totals };
  };
}

/** How a prune task writes records. */
function writeOptions(config: Extract<TaskConfig, { kind: 'prune' }>): WriteOptions {
  return { format: config.format, truncated: config.truncated, parse: config.parse };
}

/**
 * The model-bound task of `prune` and `score` (a backend cannot cross threads, so each batch runs on
 * the main thread): reads the batch's records and hands each readable one to `perRecord`, which
 * returns its output text (whole lines). A record without a trace is written as it was when `write`
 * says the output is in the source's format (prune), else counted as left out.
 */
export function recordTask(
  input: string,
  parse: ParseOptions,
  perRecord: (record: { text: string; value: unknown; traces: readonly Trace[]; line: number }, totals: ExportTotals) => Promise<string>,
  write?: WriteOptions,
): (batch: TaskBatch) => Promise<TaskResult> {
  const reader = batchReader(input);
  return async (batch) => {
    const totals = emptyTotals();
    let output = '';
    const lines = reader.read(batch);
    for (const [k, text] of lines.entries()) {
      const line = batch.lineNumbers[k]!;
      const parsed = safeParseJson(text);
      const res = parsed.ok ? parseTraceRecord(parsed.value, parse, { file: input, line, jsonPath: '$' }, `L${line}`) : undefined;
      if (!parsed.ok || !res?.traces.length) {
        const reason = !parsed.ok ? `not JSON: ${parsed.message}` : res?.errors[0]?.message ?? 'no trace';
        if (write) {
          for (const out of passRecord(text, `L${line}`, `${input}:${line}`, reason, write, totals)) output += `${out}\n`;
        } else {
          totals.records++;
          totals.skipped.push({ id: `L${line}`, where: `${input}:${line}`, reason });
        }
        continue;
      }
      output += await perRecord({ text, value: parsed.value, traces: res.traces, line }, totals);
    }
    return { seq: batch.seq, output, records: lines.length, totals };
  };
}
