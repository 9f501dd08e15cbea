/**
 * Exporting a source (a trace file, a JSONL/JSON dataset, a Thought-Anchors or prompt/response folder)
 * with every trace pruned: record by record, in the source's format or as SFT rows. Shared by the
 * extension's "Export Pruned Trace(s)…" and the CLI's `prune`. node:fs only (no vscode).
 */
import { stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { alignStepsToTokens } from '../align';
import { scoreSteps, type TokenScores } from '../scores';
import { estimateTokens } from '../session';
import { segment } from '../steps';
import { runCheapPrune, stepSumCounter, PruneInputError } from '../prune/run';
import type { Budget } from '../prune/budget';
import type { PruneMethodId, PrunePlan, StepControls } from '../prune/plan';
import { readsOnlyFirstToken } from '../prune/methods';
import { indexJsonl, parseThoughtAnchors, parseTraceRecord, parseTraceText, readTraces, safeParseJson } from '../trace';
import { fileReadMode, readHead } from '../trace/read';
import { looksLikeSse } from '../trace/containers';
import type { ParseOptions, TokenCandidate, TokenLogprob, Trace } from '../trace/types';
import { splitReasoning } from '../trace/text';
import { decodeUtf8 } from '../trace/bytes';
import { readWholeFile } from '../trace/read';
import type { SegmentationMode, StepScores } from '../types';
import { prunedReasoningText, replaceReasoningInRecord, replaceReasoningInText, sftRecord, type ExportFormat, type PrunedReasoning } from './serialize';
import { STEP_SEPARATOR } from '../../shared/vocabulary';
import { AbortError } from '../cancel';

/** The outcome of pruning one trace. */
export type TraceOutcome =
  | { readonly ok: true; readonly reasoning: string; readonly plan: PrunePlan; readonly tokensBefore: number; readonly tokensAfter: number }
  | { readonly ok: false; readonly reason: string };

/** Prunes one trace (the caller decides how: a session's plan, a method on file scores, a model). */
export type TracePruner = (trace: Trace) => TraceOutcome;

/** A trace that was not pruned, and why. */
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
  readonly skipped: SkippedTrace[];
  readonly notes: string[];
}

/** Fresh zero totals. */
export function emptyTotals(): ExportTotals {
  return { records: 0, traces: 0, pruned: 0, tokensBefore: 0, tokensAfter: 0, skipped: [], notes: [] };
}

/** Adds `b` into `a`. */
export function addTotals(a: ExportTotals, b: ExportTotals): void {
  a.records += b.records;
  a.traces += b.traces;
  a.pruned += b.pruned;
  a.tokensBefore += b.tokensBefore;
  a.tokensAfter += b.tokensAfter;
  a.skipped.push(...b.skipped);
  for (const n of b.notes) if (!a.notes.includes(n)) a.notes.push(n);
}

/** Options of `filePruner`. */
export interface FilePrunerOptions {
  readonly method: PruneMethodId;
  readonly budget: Budget;
  readonly segmentation: SegmentationMode;
  /** Replace dropped steps with `[SKIP]` (or this string) instead of removing them. */
  readonly placeholder?: string | boolean;
  /** Pins / overrides by trace id (e.g. the open session's). */
  readonly controls?: (trace: Trace) => StepControls | undefined;
  /** Anchor text per trace (default: the trace's visible answer). */
  readonly anchor?: (trace: Trace) => string | undefined;
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
 * A pruner that runs a cheap method (asap, entropy, confidence, anchor) on each trace with the scores
 * from the file's own logprobs, counting tokens with the file's tokens (else ~4 characters per token).
 */
export function filePruner(options: FilePrunerOptions): TracePruner {
  return (trace) => {
    if (!trace.reasoning.trim()) return { ok: false, reason: 'empty reasoning' };
    const steps = segment(trace.reasoning, options.segmentation, trace.chunks);
    if (steps.length === 0) return { ok: false, reason: 'no steps' };
    const texts = steps.map((s) => s.text);
    const scores = readsOnlyFirstToken(options.method) ? fileFirstTokenScores(trace, steps) : fileStepScores(trace, steps);
    const countTokens = scores ? stepSumCounter(texts, scores.map((s) => s.tokens), estimateTokens) : estimateTokens;
    const controls = options.controls?.(trace);
    const anchor = options.anchor?.(trace) ?? trace.answer;
    try {
      const plan = runCheapPrune({
        method: options.method,
        budget: options.budget,
        steps: texts,
        scores,
        controls,
        finalAnswer: trace.finalAnswer,
        // An empty answer is no anchor.
        anchor: anchor || undefined,
        countTokens,
      });
      const reasoning = prunedReasoningText(trace.reasoning, texts, plan, options.placeholder !== undefined ? { placeholder: options.placeholder } : {});
      const tokensBefore = plan.budget?.before ?? countTokens(texts.join(STEP_SEPARATOR));
      const tokensAfter = plan.budget?.after ?? countTokens(plan.kept.map((i) => texts[i]).join(STEP_SEPARATOR));
      return { ok: true, reasoning, plan, tokensBefore, tokensAfter };
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
 * Prunes the traces of one parsed record and serializes it: one JSON value for `same` (the record with
 * its reasoning replaced), one SFT row per pruned trace for `sft`. Records without a prunable trace
 * produce nothing.
 */
export function exportRecord(record: unknown, traces: readonly Trace[], prune: TracePruner, format: ExportFormat, totals: ExportTotals): unknown[] {
  totals.records++;
  const done: PrunedReasoning[] = [];
  for (const trace of traces) {
    totals.traces++;
    let outcome: TraceOutcome;
    try {
      outcome = prune(trace);
    } catch (error) {
      outcome = { ok: false, reason: `pruning failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (!outcome.ok) {
      totals.skipped.push({ id: trace.id, where: where(trace), reason: outcome.reason });
      continue;
    }
    totals.pruned++;
    totals.tokensBefore += outcome.tokensBefore;
    totals.tokensAfter += outcome.tokensAfter;
    done.push({ trace, reasoning: outcome.reasoning });
  }
  if (!done.length) return [];
  if (format === 'sft') return done.map((d) => sftRecord(d.trace, d.reasoning));
  const replaced = replaceReasoningInRecord(record, done);
  for (const id of replaced.missing) {
    const t = done.find((d) => d.trace.id === id)!.trace;
    totals.skipped.push({ id, where: where(t), reason: 'the reasoning is not stored verbatim in the record; export as SFT instead' });
    totals.pruned--;
  }
  if (replaced.notes.length && !totals.notes.some((n) => n.startsWith('stale logprobs'))) totals.notes.push('stale logprobs of changed messages were set to null');
  return replaced.replaced.length ? [replaced.record] : [];
}

/**
 * Prunes and serializes one JSONL line (the unit of work of the CLI's workers). Returns the output
 * lines (without line breaks).
 */
export function exportJsonlLine(
  text: string,
  source: { file: string; line: number },
  prune: TracePruner,
  format: ExportFormat,
  totals: ExportTotals,
  parse: ParseOptions = {},
): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const parsed = safeParseJson(text);
    totals.records++;
    totals.skipped.push({ id: `L${source.line}`, where: `${source.file}:${source.line}`, reason: parsed.ok ? 'unreadable record' : `not JSON: ${parsed.message}` });
    return [];
  }
  const loc = { ...source, jsonPath: '$' };
  const traces = fastChatTraces(value, loc, `L${source.line}`, parse) ?? parseTraceRecord(value, parse, loc, `L${source.line}`);
  const list = Array.isArray(traces) ? traces : traces.traces;
  if (!list.length) {
    totals.records++;
    const reason = Array.isArray(traces) ? 'no trace in this record' : traces.errors[0]?.message ?? 'no trace in this record';
    totals.skipped.push({ id: `L${source.line}`, where: `${source.file}:${source.line}`, reason });
    return [];
  }
  try {
    return exportRecord(value, list, prune, format, totals).map((r) => JSON.stringify(r));
  } catch (error) {
    // A pathological record (e.g. nested too deep to serialize) costs that record, not the run.
    totals.skipped.push({ id: `L${source.line}`, where: `${source.file}:${source.line}`, reason: `could not serialize: ${error instanceof Error ? error.message : String(error)}` });
    return [];
  }
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

/**
 * Exports a whole source as an async sequence of output chunks (lines for JSONL and SFT, one document
 * for JSON and text). `format: 'sft'` always yields JSONL.
 */
export async function* exportSource(
  path: string,
  prune: TracePruner,
  format: ExportFormat,
  totals: ExportTotals,
  options: { parse?: ParseOptions; signal?: AbortSignal; only?: (trace: Trace) => boolean; onProgress?: (records: number, total: number) => void } = {},
): AsyncGenerator<string> {
  const { kind } = await sourceKind(path);
  const parse = options.parse ?? {};
  if (kind === 'folder') throw new Error(`${path} is a folder: export each of its trace files (the CLI's prune does this for a folder)`);
  const selected = (traces: readonly Trace[]): Trace[] => (options.only ? traces.filter(options.only) : [...traces]);
  const emit = (values: unknown[], asDocument: boolean): string =>
    asDocument && format === 'same' ? `${JSON.stringify(values[0], null, 2)}\n` : values.map((v) => `${JSON.stringify(v)}\n`).join('');
  if (kind === 'stream') {
    // A stream capture or API recording: its traces cannot be written back into the events; SFT rows can.
    const read = await readTraces(path, parse);
    for (const e of read.errors) totals.skipped.push({ id: '?', where: e.source.file, reason: e.message });
    for (const trace of selected(read.traces)) {
      if (format !== 'sft') {
        totals.records++;
        totals.traces++;
        totals.skipped.push({ id: trace.id, where: where(trace), reason: 'a stream capture or recording cannot be rewritten in place; export as SFT (--format sft)' });
        continue;
      }
      const out = exportRecord(undefined, [trace], prune, 'sft', totals);
      if (out.length) yield emit(out, false);
    }
    return;
  }
  if (kind === 'jsonl') {
    const index = await indexJsonl(path, {});
    try {
      for (const e of index.errors) totals.skipped.push({ id: `L${e.source.line ?? '?'}`, where: `${path}:${e.source.line ?? '?'}`, reason: e.message });
      for (let i = 0; i < index.count; i++) {
        if (options.signal?.aborted) throw new AbortError('export cancelled');
        const line = index.lineOf(i);
        if (options.only) {
          const res = index.readTraces(i, parse);
          if (!res.traces.some(options.only)) continue;
        }
        const out = exportJsonlLine(index.readText(i).text, { file: path, line }, prune, format, totals, parse);
        if (out.length) yield out.map((l) => `${l}\n`).join('');
        if (i % 64 === 63) {
          options.onProgress?.(i + 1, index.count);
          // Let the host's event loop breathe (an extension host must keep answering while it exports).
          await new Promise<void>((r) => setImmediate(r));
        }
      }
    } finally {
      index.close();
    }
    return;
  }
  // Whole-file formats obey the same 64 MB cap as the readers (readWholeFile).
  const readText = async (file: string): Promise<string> => decodeUtf8(await readWholeFile(file)).text;
  if (kind === 'thought-anchors') {
    const base = JSON.parse(await readText(join(path, 'base_solution.json'))) as unknown;
    const optional = async (name: string): Promise<unknown> =>
      readText(join(path, name)).then(
        (t) => JSON.parse(t) as unknown,
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          throw e;
        },
      );
    const trace = parseThoughtAnchors({ base, problem: await optional('problem.json'), chunks: await optional('chunks_labeled.json') }, { file: path }, basename(path));
    const out = exportRecord(base, selected([trace]), prune, format, totals);
    if (out.length) yield emit(out, true);
    return;
  }
  if (kind === 'json') {
    const text = (await readText(path)).replace(/^\uFEFF/, '');
    const parsed = safeParseJson(text);
    if (!parsed.ok) throw new Error(`${path}: ${parsed.message}`);
    if (Array.isArray(parsed.value) && !parseTraceRecord(parsed.value, parse).traces.length) {
      // An array of records: export element by element, keeping the array shape for `same`.
      const outputs: unknown[] = [];
      parsed.value.forEach((element, i) => {
        const res = parseTraceRecord(element, parse, { file: path, jsonPath: `$[${i}]` }, `$[${i}]`);
        if (!res.traces.length) {
          totals.records++;
          totals.skipped.push({ id: `$[${i}]`, where: `${path} $[${i}]`, reason: res.errors[0]?.message ?? 'no trace' });
          return;
        }
        outputs.push(...exportRecord(element, selected(res.traces), prune, format, totals));
      });
      if (format === 'same') yield `${JSON.stringify(outputs, null, 2)}\n`;
      else yield emit(outputs, false);
      return;
    }
    const res = parseTraceRecord(parsed.value, parse, { file: path, jsonPath: '$' }, basename(path));
    if (!res.traces.length) throw new Error(`${path}: ${res.errors[0]?.message ?? 'no trace in this file'}`);
    const out = exportRecord(parsed.value, selected(res.traces), prune, format, totals);
    if (out.length) yield emit(out, true);
    return;
  }
  // Text: one trace (a prompt/response folder's response.md, or a think-text / chat-template file).
  const file = kind === 'prompt-response' ? join(path, 'response.md') : path;
  const text = await readText(file);
  let prompt: string | undefined;
  if (kind === 'prompt-response') {
    prompt = await readText(join(path, 'prompt.md')).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
  }
  const trace = parseTraceText(text, { ...parse, ...(prompt !== undefined ? { prompt } : {}) }, { file }, basename(file));
  totals.records++;
  totals.traces++;
  if (options.only && !options.only(trace)) return;
  const outcome = prune(trace);
  if (!outcome.ok) {
    totals.skipped.push({ id: trace.id, where: file, reason: outcome.reason });
    return;
  }
  totals.pruned++;
  totals.tokensBefore += outcome.tokensBefore;
  totals.tokensAfter += outcome.tokensAfter;
  yield format === 'sft' ? `${JSON.stringify(sftRecord(trace, outcome.reasoning))}\n` : replaceReasoningInText(text, trace, outcome.reasoning);
}

/** Re-export for callers that read back what they wrote (tests, the CLI's resume check). */
export { readTraces };
