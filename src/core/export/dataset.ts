/**
 * Exporting a source (a trace file, a JSONL/JSON dataset, a Thought-Anchors or prompt/response folder)
 * with every trace pruned: record by record, in the source's format or as SFT rows. Shared by the
 * extension's "Export Pruned Trace(s)…" and the CLI's `prune`. node:fs only (no vscode).
 *
 * What an export guarantees (tested as properties over every method and every readable file):
 * - every input record is written in `same` format: pruned, or as it was with the reason counted
 *   (`ExportTotals.skipped`); a source that cannot be rewritten in place (a stream capture) is copied;
 * - the reasoning is never emptied: a plan that keeps no step leaves the trace as it was;
 * - nothing outside the reasoning changes (see `serialize.ts`), and a trace without a reasoning section
 *   is never pruned ("no reasoning section");
 * - SFT rows leave out traces cut off before their reasoning ended unless `truncated: 'keep'`.
 */
import { open, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { alignStepsToTokens } from '../align';
import { scoreSteps, type TokenScores } from '../scores';
import { estimateTokens, SEPARATOR_TOKENS } from '../session';
import { segment } from '../steps';
import { budgetShortfall, runCheapPrune, stepSumCounter, PruneInputError } from '../prune/run';
import type { Budget } from '../prune/budget';
import { applyEdits, EmptyReasoningError, pruneEdits, type ReasoningEdit } from '../prune/edits';
import type { PruneMethodId, PrunePlan, StepControls } from '../prune/plan';
import { readsOnlyFirstToken } from '../prune/methods';
import { DEFAULT_MAX_RECORD_BYTES, indexJsonl, isEventStream, parseThoughtAnchors, parseTraceRecord, parseTraceText, readTraces, safeParseJson } from '../trace';
import { fileReadMode, jsonArrayElements, promptBeside, readHead } from '../trace/read';
import { looksLikeSse } from '../trace/containers';
import type { ParseOptions, TokenCandidate, TokenLogprob, Trace } from '../trace/types';
import { splitReasoning } from '../trace/text';
import { decodeUtf8, formatBytes } from '../trace/bytes';
import { readWholeFile } from '../trace/read';
import type { SegmentationMode, Step, StepScores } from '../types';
import { replaceReasoningInText, sftRecord, spliceRecord, type ExportFormat, type PrunedTrace, type TruncatedPolicy } from './serialize';
import { locateValue } from './jsonText';
import { STEP_SEPARATOR } from '../../shared/vocabulary';
import { AbortError } from '../cancel';

/** The outcome of pruning one trace. */
export type TraceOutcome =
  | {
      readonly ok: true;
      readonly plan: PrunePlan;
      /** Edits of the reasoning (offsets into `trace.reasoning`): what the writers apply where it is stored. */
      readonly edits: readonly ReasoningEdit[];
      /** The pruned reasoning. */
      readonly reasoning: string;
      readonly tokensBefore: number;
      readonly tokensAfter: number;
      /** What counted the tokens (`ExportTotals.tokensBy`). */
      readonly tokensBy?: string;
    }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Not a trace to train on at all (no reasoning, cut off): SFT rows leave it out. */
      readonly omit?: boolean;
    };

/** Prunes one trace (the caller decides how: a session's plan, a method on file scores, a model). */
export type TracePruner = (trace: Trace) => TraceOutcome;

/** A pruner that may call a model (scoring, slow methods). */
export type AsyncTracePruner = (trace: Trace) => TraceOutcome | Promise<TraceOutcome>;

/** A trace or record that was not pruned (or not written), and why. */
export interface SkippedTrace {
  readonly id: string;
  readonly where: string;
  readonly reason: string;
}

/** Totals of an export. */
export interface ExportTotals {
  records: number;
  traces: number;
  pruned: number;
  tokensBefore: number;
  tokensAfter: number;
  /** Not pruned: written as they were (`same`), or unpruned (`sft`). */
  readonly skipped: SkippedTrace[];
  /** Not written at all: SFT rows without a reasoning section or cut off, unreadable records in SFT. */
  readonly leftOut: SkippedTrace[];
  /** Pruned, but the kept text is still above the budget, and why. */
  readonly unmet: SkippedTrace[];
  readonly notes: string[];
  /**
   * Pruned traces by what counted their tokens: a named tokenizer (`qwen`), `scoring-model` (the
   * file's logprob tokens or the scoring model's tokenizer) or `estimate` (~4 characters a token).
   */
  readonly tokensBy: Record<string, number>;
}

/** Fresh zero totals. */
export function emptyTotals(): ExportTotals {
  return { records: 0, traces: 0, pruned: 0, tokensBefore: 0, tokensAfter: 0, skipped: [], leftOut: [], unmet: [], notes: [], tokensBy: {} };
}

/** Adds `b` into `a` (`b` may come from an older checkpoint without the newer lists). */
export function addTotals(a: ExportTotals, b: ExportTotals): void {
  a.records += b.records;
  a.traces += b.traces;
  a.pruned += b.pruned;
  a.tokensBefore += b.tokensBefore;
  a.tokensAfter += b.tokensAfter;
  a.skipped.push(...(b.skipped ?? []));
  a.leftOut.push(...(b.leftOut ?? []));
  a.unmet.push(...(b.unmet ?? []));
  for (const n of b.notes ?? []) if (!a.notes.includes(n)) a.notes.push(n);
  for (const [by, n] of Object.entries(b.tokensBy ?? {})) a.tokensBy[by] = (a.tokensBy[by] ?? 0) + n;
}

/** Counts a pruned trace's tokens, and what counted them, in `totals`. */
function addPrunedTokens(totals: ExportTotals, outcome: { readonly tokensBefore: number; readonly tokensAfter: number; readonly tokensBy?: string }): void {
  totals.tokensBefore += outcome.tokensBefore;
  totals.tokensAfter += outcome.tokensAfter;
  if (outcome.tokensBy) totals.tokensBy[outcome.tokensBy] = (totals.tokensBy[outcome.tokensBy] ?? 0) + 1;
}

/** How records are written. */
export interface WriteOptions {
  readonly format: ExportFormat;
  /** SFT rows: leave out (default) or keep traces cut off before their reasoning ended. */
  readonly truncated?: TruncatedPolicy | undefined;
  /** How records are read (field mapping, delimiters): the writer edits the fields the reader used. */
  readonly parse?: ParseOptions | undefined;
}

/** The reason a response without reasoning is never pruned. */
export const NO_REASONING = 'no reasoning section';

/** Why a trace is not pruned at all, before any method runs (undefined: go ahead). */
function notPrunable(trace: Trace, options: WriteOptions): TraceOutcome | undefined {
  if (!trace.reasoning.trim()) return { ok: false, reason: NO_REASONING, omit: true };
  if (options.format === 'sft' && trace.truncated && options.truncated !== 'keep') {
    return { ok: false, reason: 'truncated (the generation was cut off before the reasoning ended): left out of SFT rows; --truncated keep writes it as it was cut off', omit: true };
  }
  return undefined;
}

/**
 * The outcome of a plan on a trace's steps: its edits and the pruned reasoning, or, for a plan that
 * keeps no step, the trace left as it was with the reason.
 */
export function planOutcome(trace: Trace, steps: readonly Step[], plan: PrunePlan, tokens: { readonly before: number; readonly after: number; readonly by?: string }, placeholder?: string | boolean): TraceOutcome {
  let edits: ReasoningEdit[];
  try {
    edits = pruneEdits(steps, plan, placeholder !== undefined ? { placeholder } : {});
  } catch (error) {
    if (error instanceof EmptyReasoningError) return { ok: false, reason: `${error.message}; the trace is left unpruned` };
    throw error;
  }
  const reasoning = applyEdits(trace.reasoning, edits);
  if (!reasoning.trim()) return { ok: false, reason: 'the pruned reasoning would be empty; the trace is left unpruned' };
  return { ok: true, plan, edits, reasoning, tokensBefore: tokens.before, tokensAfter: tokens.after, ...(tokens.by ? { tokensBy: tokens.by } : {}) };
}

/** A thrown pruner error as an outcome: the trace stays as it was, the run goes on. */
function failedOutcome(error: unknown): TraceOutcome {
  if (error instanceof AbortError) throw error;
  return { ok: false, reason: `pruning failed: ${error instanceof Error ? error.message : String(error)}` };
}

/** Runs `prune` on each trace, with the checks every export makes around it. */
export function pruneTraces(traces: readonly Trace[], prune: TracePruner, options: WriteOptions): TraceOutcome[] {
  return traces.map((trace) => {
    const skip = notPrunable(trace, options);
    if (skip) return skip;
    try {
      return prune(trace);
    } catch (error) {
      return failedOutcome(error);
    }
  });
}

/** {@link pruneTraces} with a pruner that may call a model (one trace at a time). */
export async function pruneTracesAsync(traces: readonly Trace[], prune: AsyncTracePruner, options: WriteOptions): Promise<TraceOutcome[]> {
  const out: TraceOutcome[] = [];
  for (const trace of traces) {
    const skip = notPrunable(trace, options);
    if (skip) {
      out.push(skip);
      continue;
    }
    try {
      out.push(await prune(trace));
    } catch (error) {
      out.push(failedOutcome(error));
    }
  }
  return out;
}

/** Options of `filePruner`. */
export interface FilePrunerOptions {
  readonly method: PruneMethodId;
  /** Methods run after `method`, each on the steps the previous kept (e.g. `loops` then `asap`). */
  readonly then?: readonly PruneMethodId[] | undefined;
  /** The budget (see `PruneRequest.budget`); budgeted methods default to ASAP's 80%. */
  readonly budget?: Budget | undefined;
  /** Rule-based methods stop at the budget too (the user gave one explicitly). */
  readonly ruleBudget?: boolean | undefined;
  readonly segmentation: SegmentationMode;
  /** Replace dropped steps with `[SKIP]` (or this string) instead of removing them. */
  readonly placeholder?: string | boolean | undefined;
  /** Pins / overrides by trace id (e.g. the open session's). */
  readonly controls?: ((trace: Trace) => StepControls | undefined) | undefined;
  /** Anchor text per trace (default: the trace's visible answer). */
  readonly anchor?: ((trace: Trace) => string | undefined) | undefined;
  /**
   * Token counts of a trace's steps in the tokenizer of the model that wrote it (`--tokenizer`); for a
   * trace it returns none for, the file's logprob tokens count, else the ~4-characters estimate.
   */
  readonly stepTokens?: ((trace: Trace, steps: readonly string[]) => StepTokenCounts | undefined) | undefined;
}

/** A trace's step token counts from a named tokenizer. */
export interface StepTokenCounts {
  /** Tokens of each step. */
  readonly counts: readonly number[];
  /** Counts a text the steps do not make up. */
  readonly count: (text: string) => number;
  /** What counted, for `ExportTotals.tokensBy` (a tokenizer id such as `qwen`). */
  readonly by: string;
}

/**
 * Per-step scores from the logprobs a trace file carries (undefined when it has none). Same reduction
 * as the extension's `stepScoresFromTable`, without building the intermediate table twice.
 */
export function fileStepScores(trace: Trace, steps: ReturnType<typeof segment>): readonly StepScores[] | undefined {
  const tokens = trace.logprobs;
  if (!tokens?.length) return undefined;
  const reasoning = tokens.filter((t) => t.region === 'reasoning' && t.start >= 0);
  if (!reasoning.length) return undefined;
  const logprob = new Float64Array(reasoning.length);
  const topK: (number[] | undefined)[] = new Array(reasoning.length);
  let hasTopK = false;
  for (let i = 0; i < reasoning.length; i++) {
    const t = reasoning[i]!;
    logprob[i] = t.logprob;
    if (t.topLogprobs?.length) {
      hasTopK = true;
      topK[i] = t.topLogprobs.map((c) => c.logprob);
    }
  }
  // scoreSteps derives top-k entropy and DeepConf confidence from the candidates itself.
  const scores: TokenScores = { logprob, ...(hasTopK ? { topK } : {}) };
  const ranges = alignStepsToTokens(reasoning, steps, 0);
  return scoreSteps(scores, ranges, { reasoningTokens: { start: 0, end: reasoning.length } }).steps;
}

/**
 * First-token surprisal and token count per step only: what ASAP needs, without the entropy and
 * confidence passes over every token (the bulk of the work on logprob-heavy datasets).
 */
function fileFirstTokenScores(trace: Trace, steps: ReturnType<typeof segment>): readonly StepScores[] | undefined {
  const reasoning = trace.logprobs?.filter((t) => t.region === 'reasoning' && t.start >= 0);
  if (!reasoning?.length) return undefined;
  return alignStepsToTokens(reasoning, steps, 0).map((r) => {
    const lp = r.firstToken >= 0 ? reasoning[r.firstToken]!.logprob : Number.NaN;
    return { index: r.stepIndex, tokens: r.tokenCount, firstTokenStraddles: r.firstTokenStraddles, ...(Number.isFinite(lp) ? { firstTokenSurprisal: -lp } : {}) };
  });
}

/**
 * A pruner that runs cheap methods (asap, entropy, confidence, anchor, loops) on each trace with the
 * scores from the file's own logprobs, counting tokens in the writing model's tokenizer where
 * `stepTokens` names one, else with the file's tokens (else ~4 characters per token).
 */
export function filePruner(options: FilePrunerOptions): TracePruner {
  const methods = [options.method, ...(options.then ?? [])];
  const firstTokenOnly = methods.every(readsOnlyFirstToken);
  return (trace) => {
    const steps = segment(trace.reasoning, options.segmentation, trace.chunks);
    if (steps.length === 0) return { ok: false, reason: 'no steps' };
    const texts = steps.map((s) => s.text);
    const scores = firstTokenOnly ? fileFirstTokenScores(trace, steps) : fileStepScores(trace, steps);
    const named = options.stepTokens?.(trace, texts);
    const countTokens = named
      ? stepSumCounter(texts, named.counts, named.count, STEP_SEPARATOR, SEPARATOR_TOKENS)
      : scores ? stepSumCounter(texts, scores.map((s) => s.tokens), estimateTokens) : estimateTokens;
    const by = named ? named.by : scores ? 'scoring-model' : 'estimate';
    const controls = options.controls?.(trace);
    const anchor = options.anchor?.(trace) ?? trace.answer;
    try {
      const plan = runCheapPrune({
        method: options.method,
        then: options.then,
        budget: options.budget,
        ruleBudget: options.ruleBudget,
        steps: texts,
        scores,
        controls,
        finalAnswer: trace.finalAnswer,
        // An empty answer is no anchor.
        anchor: anchor || undefined,
        countTokens,
      });
      const before = plan.budget?.before ?? countTokens(texts.join(STEP_SEPARATOR));
      const after = plan.budget?.after ?? countTokens(plan.kept.map((i) => texts[i]).join(STEP_SEPARATOR));
      return planOutcome(trace, steps, plan, { before, after, by }, options.placeholder);
    } catch (error) {
      if (error instanceof PruneInputError) return { ok: false, reason: error.message };
      throw error;
    }
  };
}

function where(trace: Trace): string {
  const s = trace.source;
  return `${s.file}${s.line !== undefined ? `:${s.line}` : ''}${s.jsonPath && s.jsonPath !== '$' ? ` ${s.jsonPath}` : ''}`;
}

/**
 * Writes one JSON record (its raw text and parsed value) with its traces' outcomes: for `same`, the
 * record text with every pruned trace's reasoning edited where the reader found it (one output, always:
 * a record nothing could be done with is written as it was); for `sft`, one row per trace that has a
 * reasoning section (pruned, or unpruned when its method could not run). Counts everything in `totals`.
 */
export function writeRecord(text: string, value: unknown, traces: readonly Trace[], outcomes: readonly TraceOutcome[], options: WriteOptions, totals: ExportTotals): string[] {
  totals.records++;
  const pruned: PrunedTrace[] = [];
  traces.forEach((trace, k) => {
    const o = outcomes[k];
    if (o?.ok) pruned.push({ trace, edits: o.edits, reasoning: o.reasoning });
  });
  const tags = options.parse?.reasoningTags;
  const splice = options.format === 'same' && pruned.length ? spliceRecord(text, value, pruned, tags ? { tags } : {}) : undefined;
  const failed = new Map(splice?.failed.map((f) => [f.trace, f.reason]));
  const rows: string[] = [];
  traces.forEach((trace, k) => {
    totals.traces++;
    const o = outcomes[k] ?? { ok: false, reason: 'not pruned' };
    const notPlaced = failed.get(trace);
    if (o.ok && notPlaced === undefined) {
      totals.pruned++;
      addPrunedTokens(totals, o);
      const short = budgetShortfall(o.plan);
      if (short) totals.unmet.push({ id: trace.id, where: where(trace), reason: short });
      if (options.format === 'sft') rows.push(JSON.stringify(sftRecord(trace, o.reasoning)));
      return;
    }
    const reason = o.ok ? notPlaced! : o.reason;
    const omit = !o.ok && o.omit === true;
    if (options.format === 'sft' && omit) {
      totals.leftOut.push({ id: trace.id, where: where(trace), reason });
      return;
    }
    totals.skipped.push({ id: trace.id, where: where(trace), reason });
    if (options.format === 'sft') rows.push(JSON.stringify(sftRecord(trace, trace.reasoning)));
  });
  for (const n of splice?.notes ?? []) {
    const general = n.replace(/ of .* set to null$/, ' of changed texts set to null');
    if (!totals.notes.includes(general)) totals.notes.push(general);
  }
  return options.format === 'same' ? [splice?.text ?? text] : rows;
}

/** A record with no trace to prune (unreadable, or no trace fields): written as it was in `same` format, left out of SFT. */
export function passRecord(text: string, id: string, at: string, reason: string, options: WriteOptions, totals: ExportTotals): string[] {
  totals.records++;
  if (options.format === 'same') {
    totals.skipped.push({ id, where: at, reason });
    return [text];
  }
  totals.leftOut.push({ id, where: at, reason });
  return [];
}

/** One JSONL line read as a record and its traces, or why it holds none. */
function readJsonlRecord(text: string, source: { file: string; line: number }, parse: ParseOptions): { value: unknown; traces: readonly Trace[] } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const parsed = safeParseJson(text);
    return { reason: parsed.ok ? 'unreadable record' : `not JSON: ${parsed.message}` };
  }
  const loc = { ...source, jsonPath: '$' };
  const traces = fastChatTraces(value, loc, `L${source.line}`, parse) ?? parseTraceRecord(value, parse, loc, `L${source.line}`);
  const list = Array.isArray(traces) ? traces : traces.traces;
  if (!list.length) return { reason: Array.isArray(traces) ? 'no trace in this record' : traces.errors[0]?.message ?? 'no trace in this record' };
  return { value, traces: list };
}

/** A record whose writing failed (e.g. nested too deep to serialize) costs that record's pruning, not the run. */
function writeOrPass(text: string, value: unknown, traces: readonly Trace[], outcomes: readonly TraceOutcome[], source: { file: string; line: number }, options: WriteOptions, totals: ExportTotals): string[] {
  try {
    const scratch = emptyTotals();
    const out = writeRecord(text, value, traces, outcomes, options, scratch);
    addTotals(totals, scratch);
    return out;
  } catch (error) {
    return passRecord(text, `L${source.line}`, `${source.file}:${source.line}`, `could not write: ${error instanceof Error ? error.message : String(error)}`, options, totals);
  }
}

/**
 * Prunes and writes one JSONL line (the unit of work of the CLI's workers). Returns the output lines
 * (without line breaks): exactly one in `same` format.
 */
export function exportJsonlLine(text: string, source: { file: string; line: number }, prune: TracePruner, options: WriteOptions, totals: ExportTotals): string[] {
  const read = readJsonlRecord(text, source, options.parse ?? {});
  if ('reason' in read) return passRecord(text, `L${source.line}`, `${source.file}:${source.line}`, read.reason, options, totals);
  return writeOrPass(text, read.value, read.traces, pruneTraces(read.traces, prune, options), source, options, totals);
}

/** {@link exportJsonlLine} with a pruner that may call a model. */
export async function exportJsonlLineAsync(text: string, source: { file: string; line: number }, prune: AsyncTracePruner, options: WriteOptions, totals: ExportTotals): Promise<string[]> {
  const read = readJsonlRecord(text, source, options.parse ?? {});
  if ('reason' in read) return passRecord(text, `L${source.line}`, `${source.file}:${source.line}`, read.reason, options, totals);
  return writeOrPass(text, read.value, read.traces, await pruneTracesAsync(read.traces, prune, options), source, options, totals);
}

/**
 * Fast path for the commonest dataset of all, OpenAI-style `chat.completion` records whose reasoning
 * sits between `<think>` tags in `message.content` with `logprobs.content` covering it: the record is
 * parsed without its logprobs and the tokens are placed by walking the content with string
 * comparisons. Whenever anything is unusual (separate reasoning field, tokens that do not concatenate
 * to the content, a token across a delimiter, custom parse options) it returns undefined and the
 * caller uses the general parser, which gives the same result, only slower.
 */
export function fastChatTraces(value: unknown, source: { file: string; line: number; jsonPath: string }, id: string, parse: ParseOptions): Trace[] | undefined {
  if (Object.keys(parse).length || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const choices = r.choices;
  if (!Array.isArray(choices) || choices.length !== 1 || r.prompt_logprobs !== undefined) return undefined;
  const c = choices[0] as Record<string, unknown> | null;
  if (!c || typeof c !== 'object' || c.prompt_logprobs !== undefined) return undefined;
  const msg = c.message as Record<string, unknown> | undefined;
  const lp = c.logprobs as Record<string, unknown> | undefined;
  if (!msg || typeof msg !== 'object' || typeof msg.content !== 'string' || msg.reasoning_content !== undefined || msg.reasoning !== undefined) return undefined;
  if (!lp || typeof lp !== 'object' || !Array.isArray(lp.content) || lp.reasoning_content !== undefined || lp.reasoning !== undefined) return undefined;
  const stripped = { ...r, choices: [{ ...c, logprobs: null }] };
  const res = parseTraceRecord(stripped, parse, source, id);
  const trace = res.traces[0];
  if (res.traces.length !== 1 || !trace || !trace.reasoning) return undefined;
  const content = msg.content;
  const split = splitReasoning(content);
  if (!split.tags || split.reasoning !== trace.reasoning) return undefined;
  const rs = split.reasoningStart;
  const re = rs + trace.reasoning.length;
  const tokens: TokenLogprob[] = [];
  let pos = 0;
  for (const t of lp.content as unknown[]) {
    const tok = t as { token?: unknown; logprob?: unknown; top_logprobs?: unknown };
    if (typeof tok?.token !== 'string' || typeof tok.logprob !== 'number' || !content.startsWith(tok.token, pos)) return undefined;
    const start = pos;
    const end = pos + tok.token.length;
    pos = end;
    if (end <= rs || start >= re) continue;
    if (start < rs || end > re) return undefined;
    const top = Array.isArray(tok.top_logprobs) && tok.top_logprobs.length ? (tok.top_logprobs as TokenCandidate[]) : undefined;
    if (top && !top.every((x) => typeof x?.token === 'string' && typeof x.logprob === 'number')) return undefined;
    tokens.push({ token: tok.token, logprob: tok.logprob, region: 'reasoning', start: start - rs, end: end - rs, ...(top ? { topLogprobs: top } : {}) });
  }
  if (pos !== content.length) return undefined;
  return [{ ...trace, logprobs: tokens }];
}

/** What an export reads: a JSONL dataset, one JSON document, a text trace, a problem folder, a stream capture, or a folder of sources. */
export type SourceKind = 'jsonl' | 'json' | 'text' | 'thought-anchors' | 'prompt-response' | 'stream' | 'folder';

/**
 * Which kind of source `path` is, and its natural extension. The content decides, not only the name:
 * a `.json` file of JSON lines is JSONL, a JSONL file of stream events is one stream capture.
 */
export async function sourceKind(path: string): Promise<{ kind: SourceKind; ext: string }> {
  const info = await stat(path);
  if (info.isDirectory()) {
    const ta = await stat(join(path, 'base_solution.json')).then(() => true, () => false);
    if (ta) return { kind: 'thought-anchors', ext: '.json' };
    const pr = await stat(join(path, 'response.md')).then(() => true, () => false);
    if (pr) return { kind: 'prompt-response', ext: '.md' };
    return { kind: 'folder', ext: '' };
  }
  const ext = extname(path).toLowerCase();
  const mode = info.size > 0 ? await fileReadMode(path) : 'whole';
  if (mode !== 'whole') return { kind: mode, ext };
  const head = (await readHead(path, 4096)).toString('utf8').replace(/^\uFEFF/, '');
  // Recordings and SSE captures wrap API bodies: read like streams, written back only as SFT rows.
  if (['.yaml', '.yml', '.httprr', '.sse'].includes(ext) || head.startsWith('httprr trace') || looksLikeSse(head)) return { kind: 'stream', ext };
  const first = head.trimStart()[0];
  if (ext === '.json' || first === '{' || first === '[') return { kind: 'json', ext: ext || '.json' };
  return { kind: 'text', ext: ext || '.md' };
}

/** Options of {@link exportSource}. */
export interface ExportSourceOptions {
  readonly parse?: ParseOptions | undefined;
  /** SFT rows: leave out (default) or keep truncated traces. */
  readonly truncated?: TruncatedPolicy | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Records done of all (JSONL: every 64 records, or every record when a model prunes). */
  readonly onProgress?: ((records: number, total: number) => void) | undefined;
}

/**
 * Exports a whole source as an async sequence of output chunks: for `same`, the source's text with
 * each pruned reasoning edited in place (a JSONL line per input line, a JSON or text document whole);
 * `format: 'sft'` always yields JSONL rows. `prune` may call a model (awaited trace by trace).
 */
export async function* exportSource(
  path: string,
  prune: AsyncTracePruner,
  format: ExportFormat,
  totals: ExportTotals,
  options: ExportSourceOptions = {},
): AsyncGenerator<string> {
  const { kind } = await sourceKind(path);
  const parse = options.parse ?? {};
  const write: WriteOptions = { format, parse, truncated: options.truncated };
  const checkAbort = (): void => {
    if (options.signal?.aborted) throw new AbortError('export cancelled');
  };
  if (kind === 'folder') throw new Error(`${path} is a folder: export each of its trace files (the CLI's prune does this for a folder)`);
  // Whole-file formats obey the same 64 MB cap as the readers (readWholeFile).
  const readText = async (file: string): Promise<string> => decodeUtf8(await readWholeFile(file)).text;
  if (kind === 'stream') {
    // A stream capture or API recording: its traces cannot be written back into the events. SFT rows
    // can; in its own format the file is copied as it was.
    const read = await readTraces(path, parse);
    for (const e of read.errors) totals.skipped.push({ id: '?', where: e.source.file, reason: e.message });
    if (format === 'same') {
      totals.records++;
      for (const trace of read.traces) {
        totals.traces++;
        totals.skipped.push({ id: trace.id, where: where(trace), reason: 'a stream capture or recording cannot be rewritten in place: copied as it was; export as SFT (--format sft) to prune it' });
      }
      yield await readText(path);
      return;
    }
    for (const trace of read.traces) {
      checkAbort();
      const out = writeRecord('', undefined, [trace], await pruneTracesAsync([trace], prune, write), write, totals);
      if (out.length) yield out.map((l) => `${l}\n`).join('');
    }
    return;
  }
  if (kind === 'jsonl') {
    const index = await indexJsonl(path, {});
    let reported = Date.now();
    try {
      for (const e of index.errors) totals.leftOut.push({ id: `L${e.source.line ?? '?'}`, where: `${path}:${e.source.line ?? '?'}`, reason: e.message });
      for (let i = 0; i < index.count; i++) {
        checkAbort();
        const out = await exportJsonlLineAsync(index.readText(i).text, { file: path, line: index.lineOf(i) }, prune, write, totals);
        if (out.length) yield out.map((l) => `${l}\n`).join('');
        // Progress every 64 records, or every record when each takes long (a model scores it).
        if (i % 64 === 63 || Date.now() - reported > 200) {
          reported = Date.now();
          options.onProgress?.(i + 1, index.count);
          // Let the host's event loop breathe (an extension host must keep answering while it exports).
          await new Promise<void>((r) => setImmediate(r));
        }
      }
      options.onProgress?.(index.count, index.count);
    } finally {
      index.close();
    }
    return;
  }
  if (kind === 'thought-anchors') {
    const file = join(path, 'base_solution.json');
    const text = await readText(file);
    const base = JSON.parse(text) as unknown;
    const optional = async (name: string): Promise<unknown> =>
      readText(join(path, name)).then(
        (t) => JSON.parse(t) as unknown,
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          throw e;
        },
      );
    const trace = parseThoughtAnchors({ base, problem: await optional('problem.json'), chunks: await optional('chunks_labeled.json') }, { file: path }, basename(path));
    const out = writeRecord(text, base, [trace], await pruneTracesAsync([trace], prune, write), write, totals);
    if (out.length) yield format === 'same' ? out[0]! : out.map((l) => `${l}\n`).join('');
    return;
  }
  if (kind === 'json' && (await isLargeArray(path))) {
    yield* exportLargeArray(path, prune, write, totals, options);
    return;
  }
  if (kind === 'json') {
    const text = await readText(path);
    const body = text.replace(/^\uFEFF/, '');
    const parsed = safeParseJson(body);
    // A document that is not JSON, or holds no trace, is one record written as it was.
    if (!parsed.ok) {
      yield* passRecord(text, basename(path), path, `not JSON: ${parsed.message}`, write, totals);
      return;
    }
    if (Array.isArray(parsed.value) && !parseTraceRecord(parsed.value, parse).traces.length) {
      // An array of records: each element is a record, edited inside the document.
      const edits: ReasoningEdit[] = [];
      const rows: string[] = [];
      for (const [i, element] of parsed.value.entries()) {
        checkAbort();
        const span = locateValue(text, [i]);
        if (!span || span.parent) throw new Error(`${path}: element $[${i}] could not be found in the file's text`);
        const elementText = text.slice(span.start, span.end);
        const res = parseTraceRecord(element, parse, { file: path, jsonPath: `$[${i}]` }, `$[${i}]`);
        const out = res.traces.length
          ? writeRecord(elementText, element, res.traces, await pruneTracesAsync(res.traces, prune, write), write, totals)
          : passRecord(elementText, `$[${i}]`, `${path} $[${i}]`, res.errors[0]?.message ?? 'no trace', write, totals);
        if (format === 'sft') rows.push(...out);
        else if (out[0] !== elementText) edits.push({ start: span.start, end: span.end, text: out[0]! });
        options.onProgress?.(i + 1, parsed.value.length);
      }
      yield format === 'same' ? applyEdits(text, edits) : rows.map((l) => `${l}\n`).join('');
      return;
    }
    const res = parseTraceRecord(parsed.value, parse, { file: path, jsonPath: '$' }, basename(path));
    if (!res.traces.length) {
      yield* passRecord(text, basename(path), path, res.errors[0]?.message ?? 'no trace in this file', write, totals);
      return;
    }
    const out = writeRecord(text, parsed.value, res.traces, await pruneTracesAsync(res.traces, prune, write), write, totals);
    if (out.length) yield format === 'same' ? out[0]! : out.map((l) => `${l}\n`).join('');
    return;
  }
  // Text: one trace (a prompt/response folder's response.md, or a think-text / chat-template file).
  const file = kind === 'prompt-response' ? join(path, 'response.md') : path;
  const text = await readText(file);
  const promptFile = promptBeside(file);
  const prompt = parse.prompt ?? (promptFile ? await readText(promptFile).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }) : undefined);
  const trace = parseTraceText(text, { ...parse, ...(prompt !== undefined ? { prompt } : {}) }, { file }, basename(file));
  const [outcome] = await pruneTracesAsync([trace], prune, write);
  totals.records++;
  totals.traces++;
  const skip = (reason: string, omit: boolean): string | undefined => {
    (format === 'sft' && omit ? totals.leftOut : totals.skipped).push({ id: trace.id, where: file, reason });
    if (format === 'same') return text;
    return omit ? undefined : `${JSON.stringify(sftRecord(trace, trace.reasoning))}\n`;
  };
  let result: string | undefined;
  if (!outcome?.ok) result = skip(outcome?.reason ?? 'not pruned', outcome?.omit === true);
  else {
    let written: string | undefined;
    try {
      written = format === 'sft' ? `${JSON.stringify(sftRecord(trace, outcome.reasoning))}\n` : replaceReasoningInText(text, trace, outcome.edits);
    } catch (error) {
      result = skip(error instanceof Error ? error.message : String(error), false);
    }
    if (written !== undefined) {
      totals.pruned++;
      addPrunedTokens(totals, outcome);
      const short = budgetShortfall(outcome.plan);
      if (short) totals.unmet.push({ id: trace.id, where: file, reason: short });
      result = written;
    }
  }
  if (result !== undefined) yield result;
}

/** A JSON array over the whole-file cap: streamed element by element instead of read whole. */
async function isLargeArray(path: string): Promise<boolean> {
  if ((await stat(path)).size <= DEFAULT_MAX_RECORD_BYTES) return false;
  return (await readHead(path, 4096)).toString('utf8').replace(/^\uFEFF/, '').trimStart().startsWith('[');
}

/**
 * A JSON array too large to read whole (over 64 MB), exported as it streams (`jsonArrayElements`): for
 * `same`, the file's bytes copied as they are between elements and each element's text edited in place
 * (what the whole-document path writes, one element at a time); for `sft`, rows. Memory: one read of
 * the file and its elements. An array of stream events is not streamed (a capture is one response).
 */
async function* exportLargeArray(path: string, prune: AsyncTracePruner, write: WriteOptions, totals: ExportTotals, options: ExportSourceOptions): AsyncGenerator<string> {
  const handle = await open(path, 'r');
  try {
    const total = (await handle.stat()).size;
    /** The file's bytes `[from, to)` as they are, 1 MB at a time (between elements; an element too large to read). */
    async function* copy(from: number, to: number): AsyncGenerator<string> {
      const decoder = new TextDecoder();
      for (let at = from; at < to; ) {
        const buf = Buffer.alloc(Math.min(1 << 20, to - at));
        const { bytesRead } = await handle.read(buf, 0, buf.length, at);
        if (bytesRead === 0) break;
        at += bytesRead;
        yield decoder.decode(buf.subarray(0, bytesRead), { stream: at < to });
      }
    }
    let copied = 0;
    let first = true;
    for await (const items of jsonArrayElements(path, { ...(options.parse ?? {}), ...(options.signal ? { cancellation: options.signal } : {}) })) {
      if (first && items.length) {
        first = false;
        const values = items.slice(0, 2).filter((i) => i.value !== undefined).map((i) => i.value);
        if (values.length && isEventStream(values)) throw new Error(`${path}: a stream capture of more than ${formatBytes(DEFAULT_MAX_RECORD_BYTES)}: too large to export`);
      }
      for (const item of items) {
        if (options.signal?.aborted) throw new AbortError('export cancelled');
        const e = item.element;
        // A broken array (unterminated, junk after it): nothing sound can be written.
        if (!e) throw new Error(item.error?.message ?? `${path}: not a JSON array`);
        const id = `$[${e.index}]`;
        const res = item.error ? undefined : parseTraceRecord(item.value, options.parse ?? {}, item.source, id);
        const out = res?.traces.length && item.text !== undefined
          ? writeRecord(item.text, item.value, res.traces, await pruneTracesAsync(res.traces, prune, write), write, totals)
          : passRecord(item.text ?? '', id, `${path} ${id}`, item.error?.message ?? res?.errors[0]?.message ?? 'no trace', write, totals);
        if (write.format === 'same') {
          // An element is written as the writer gave it, or copied as it is when it could not be read.
          yield* copy(copied, e.start);
          if (item.text === undefined) yield* copy(e.start, e.end);
          else yield out[0] ?? item.text;
        } else if (out.length) yield out.map((l) => `${l}\n`).join('');
        copied = e.end;
      }
      options.onProgress?.(copied, total);
    }
    if (write.format === 'same') yield* copy(copied, total);
  } finally {
    await handle.close();
  }
}

/**
 * One trace (e.g. the editor's, with its plan and manual edits) written on its own: in its source's
 * format (its record, read again from the file at the trace's source location, edited in place: one
 * JSONL line, the JSON document, the text file) or as one SFT row. `documentText` is the text of a
 * text-format trace as the editor holds it (unsaved edits included).
 */
export async function exportTrace(trace: Trace, outcome: TraceOutcome, write: WriteOptions, totals: ExportTotals, documentText?: string): Promise<string> {
  if (write.format === 'sft') return writeRecord('', undefined, [trace], [outcome], write, totals).map((l) => `${l}\n`).join('');
  const file = trace.source.file;
  if (trace.format === 'think-text' || trace.format === 'chat-template') {
    const text = documentText ?? decodeUtf8(await readWholeFile(file)).text;
    totals.records++;
    totals.traces++;
    if (!outcome.ok) {
      totals.skipped.push({ id: trace.id, where: file, reason: outcome.reason });
      return text;
    }
    const out = replaceReasoningInText(text, trace, outcome.edits);
    totals.pruned++;
    addPrunedTokens(totals, outcome);
    return out;
  }
  const { kind } = await sourceKind(file);
  if (kind === 'stream') throw new Error('a stream capture or recording cannot be rewritten in place; export as SFT instead');
  if (kind === 'jsonl') {
    const index = await indexJsonl(file, {});
    try {
      for (let i = 0; i < index.count; i++) {
        if (index.lineOf(i) !== trace.source.line) continue;
        const text = index.readText(i).text;
        return `${writeRecord(text, JSON.parse(text) as unknown, [trace], [outcome], write, totals)[0]}\n`;
      }
    } finally {
      index.close();
    }
    throw new Error(`line ${trace.source.line ?? '?'} of ${file} holds no record any more; open the trace again`);
  }
  const document = kind === 'thought-anchors' ? join(file, 'base_solution.json') : file;
  const text = decodeUtf8(await readWholeFile(document)).text;
  const element = /^\$\[(\d+)\]$/.exec(trace.source.jsonPath ?? '');
  if (!element) return writeRecord(text, JSON.parse(text.replace(/^\uFEFF/, '')) as unknown, [trace], [outcome], write, totals)[0]!;
  // An element of a JSON array: edited inside the document, the rest of it unchanged.
  const span = locateValue(text, [Number(element[1])]);
  if (!span || span.parent) throw new Error(`${trace.source.jsonPath} could not be found in ${document}`);
  const elementText = text.slice(span.start, span.end);
  const out = writeRecord(elementText, JSON.parse(elementText) as unknown, [trace], [outcome], write, totals)[0]!;
  return applyEdits(text, [{ start: span.start, end: span.end, text: out }]);
}

/** Re-export for callers that read back what they wrote (tests, the CLI's resume check). */
export { readTraces };
