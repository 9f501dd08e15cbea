/**
 * `reasoning-lens prune <file> --method M --budget B [--model DIR|FILE.gguf | --endpoint URL[,URL…] --endpoint-model NAME]
 * [--format same|sft] -o out.jsonl`: prunes every trace of a file or dataset. With the file's own logprobs
 * (no model) a JSONL dataset streams through worker threads; with a model each trace is scored first.
 * Resumable (a checkpoint beside the output), progress on stderr, totals at the end.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { assertNotSource, checkOutput, writeFileAtomic } from '../core/export/atomicWrite';
import { emptyTotals, exportSource, filePruner, pruneTracesAsync, sourceKind, writeRecord, type AsyncTracePruner, type ExportTotals, type WriteOptions } from '../core/export/dataset';
import type { ExportFormat, TruncatedPolicy } from '../core/export/serialize';
import { METHOD, PICKABLE_METHODS, parseMethodChain, pruneMethod } from '../core/prune';
import { formatBudget, parseBudget } from '../core/prune/budgetText';
import { DEFAULT_SEGMENTATION, SEGMENTATION_MODES } from '../shared/vocabulary';
import { listTraceSources } from '../core/trace/read';
import { findEmbeddedModel } from '../model/onnx/modelFolder';
import type { SegmentationMode } from '../core/types';
import type { ScoringBackend } from '../model/backend';
import { InProcessOnnxBackend } from '../model/onnx/local';
import { OnnxBackend } from '../model/onnx/client';
import { OpenAIBackend } from '../model/openai';
import { backendPruner } from '../pipeline/pruneRunner';
import { ArgError, describeOptions, parseOneInput } from './args';
import { isLoopbackHost } from './serveGuard';
import { EXIT_FAILURE, EXIT_OK, type CliCommand, type CliIo } from './io';
import { commandScope, OutputExistsError, runJsonlPipeline, type PipelineOptions } from './workerPool';
import { recordTask } from './workerTask';
import { FIELD_OPTION_SPECS, readOptionsFrom } from './readOptions';
import { TOKENIZER_OPTION_SPEC, tokenizerHeader, tokenizerOptions, tokensLine } from './tokenCounting';
import { formatCount } from '../shared/format';
import { isAbortError } from '../core/cancel';

/** A chain of a rule-based method and a budgeted one, as the help and errors show it. */
const CHAIN_EXAMPLE = `${METHOD.loops},${METHOD.asap}`;

/** The local model's watchdog (`prune` and `score`). */
export const WATCHDOG_OPTION_SPEC = {
  watchdog: { type: 'string', description: 'fail and restart a local model process that reports no progress for this many seconds (default 120; 0 = off)' },
} as const;

const specs = {
  ...FIELD_OPTION_SPECS,
  ...WATCHDOG_OPTION_SPEC,
  ...TOKENIZER_OPTION_SPEC,
  method: { type: 'string', short: 'm', description: `pruning method (${PICKABLE_METHODS.map((m) => m.id).join(', ')}), or a chain run in order such as ${CHAIN_EXAMPLE}` },
  budget: { type: 'string', short: 'b', description: `kept share: 0.8, 80%, 1024 tokens (in the --tokenizer's tokens), or auto (difficulty-aware); default 80% for budgeted methods; rule-based methods (${PICKABLE_METHODS.filter((m) => !m.budgeted).map((m) => m.id).join(', ')}) apply their whole rule unless it is given` },
  model: { type: 'string', description: 'score with a local model: an ONNX folder (HF / Optimum layout) or a .gguf file' },
  endpoint: { type: 'string', description: 'score with OpenAI-compatible endpoints, comma-separated base URLs (API key: $OPENAI_API_KEY)' },
  'endpoint-model': { type: 'string', description: 'model name sent to the endpoints' },
  'allow-http-key': { type: 'boolean', description: 'send the API key to plain-http endpoints that are not on this machine (default: https or loopback only)' },
  format: { type: 'string', choices: ['same', 'sft'], description: 'output: the source format (default) or SFT chat rows' },
  truncated: { type: 'string', choices: ['skip', 'keep'], description: 'SFT rows of traces cut off before their reasoning ended: leave out (default) or keep as cut off (never closed with </think>)' },
  segment: { type: 'string', choices: SEGMENTATION_MODES, description: 'segmentation mode (default: auto)' },
  'skip-placeholders': { type: 'boolean', description: 'write [SKIP] in place of each dropped step (step-entropy format)' },
  output: { type: 'string', short: 'o', description: 'output file (required; a folder for a folder input in the same format)' },
  workers: { type: 'string', description: 'worker threads for file-logprob work (default: one per core; 0 = main thread)' },
  force: { type: 'boolean', description: 'overwrite an existing output that is not a resumable run of the same command' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `usage: reasoning-lens prune <file|folder> --method M --budget B [--model DIR|FILE.gguf | --endpoint URLS --endpoint-model NAME] [--tokenizer NAME] [--format same|sft] -o OUT\n${describeOptions(specs)}\n`;

/**
 * Refuses to send an API key where anyone on the path can read it: plain http to a host other than
 * this machine, unless `--allow-http-key`.
 */
function assertKeySafe(endpoints: readonly string[], allowHttp: boolean): void {
  for (const endpoint of endpoints) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ArgError(`--endpoint ${endpoint} is not a URL (e.g. https://host:8000/v1)`);
    }
    if (url.protocol === 'https:' || isLoopbackHost(url.hostname) || allowHttp) continue;
    throw new ArgError(
      `refusing to send the API key ($OPENAI_API_KEY / $RL_API_KEY) over plain ${url.protocol.replace(':', '')} to ${url.host}: ` +
        'use an https:// endpoint or one on this machine, unset the key, or pass --allow-http-key',
    );
  }
}

/** Backend from `--model` / `--endpoint` (undefined: scores come from the file's logprobs). */
export function backendFromOptions(options: { model?: string; endpoint?: string; 'endpoint-model'?: string; 'allow-http-key'?: boolean; watchdog?: string }): ScoringBackend | undefined {
  if (options.model && options.endpoint) throw new ArgError('give --model or --endpoint, not both');
  if (options.model) {
    if (!existsSync(options.model)) throw new ArgError(`--model ${options.model}: no such folder or .gguf file`);
    return localBackend(resolve(options.model), options);
  }
  if (options.endpoint) {
    const endpoints = options.endpoint.split(',').map((s) => s.trim()).filter(Boolean);
    const model = options['endpoint-model'];
    if (!model) throw new ArgError('--endpoint needs --endpoint-model NAME (the served model name)');
    const apiKey = process.env.OPENAI_API_KEY || process.env.RL_API_KEY || undefined;
    if (apiKey) assertKeySafe(endpoints, options['allow-http-key'] === true);
    return new OpenAIBackend({ endpoints, model, ...(apiKey ? { apiKey } : {}) });
  }
  if (options['endpoint-model']) throw new ArgError('--endpoint-model needs --endpoint');
  return undefined;
}

/** The embedded default model (media/models/reasoning-lens-tiny beside the CLI), when it is built. */
export function embeddedBackend(options: { watchdog?: string } = {}): ScoringBackend | undefined {
  const dir = findEmbeddedModel(__dirname) ?? findEmbeddedModel(process.cwd());
  return dir ? localBackend(dir, options) : undefined;
}

/**
 * A local model (ONNX folder or GGUF file) in its own process, like the editor's: Ctrl-C stops it within
 * a second and the watchdog (`--watchdog`) fails and restarts a process that stops reporting progress.
 * In process only where the model worker bundle is missing (a CLI bundled without it).
 */
function localBackend(modelDir: string, options: { watchdog?: string }): ScoringBackend {
  const seconds = options.watchdog !== undefined ? Number(options.watchdog) : undefined;
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0)) throw new ArgError('--watchdog takes a number of seconds ≥ 0 (0 = off)');
  const workerPath = [process.env.RL_MODEL_WORKER, join(__dirname, 'onnxWorker.js')].find((p): p is string => !!p && existsSync(p));
  if (!workerPath) return new InProcessOnnxBackend(modelDir);
  return new OnnxBackend({ modelDir, workerPath, watchdogMs: seconds === undefined ? undefined : seconds * 1000 });
}

/**
 * `prune` / `score` over a JSONL input: the pipeline (resumable; worker threads, or `asyncTask` one
 * batch at a time on the main thread when a backend scores), its totals on stderr, and the exit code
 * (0 when anything was done, now or in the run it resumed).
 */
export async function runJsonlCommand(command: 'prune' | 'score', options: Omit<PipelineOptions, 'isTty' | 'batchSize'>): Promise<number> {
  const { asyncTask, ...rest } = options;
  const result = await runJsonlPipeline({ ...rest, ...(asyncTask ? { asyncTask, batchSize: 1 } : {}), isTty: process.stderr.isTTY === true });
  printTotals(options.io, command, result.totals, { resumed: result.resumed, seconds: result.seconds, processed: result.processed, workers: result.workers });
  return result.totals.pruned > 0 || result.resumed > 0 ? EXIT_OK : EXIT_FAILURE;
}

/** Prints the totals block shared by `prune` and `score` (`score`: the reasoning tokens, nothing is cut). */
export function printTotals(io: CliIo, command: string, totals: ExportTotals, extra: { resumed?: number; seconds?: number; processed?: number; workers?: number } = {}): void {
  const n = formatCount;
  const done = command === 'score' ? 'scored' : 'pruned';
  const leftOut = totals.leftOut ?? [];
  const lines = [`${command}: ${n(totals.records)} records, ${n(totals.traces)} traces, ${n(totals.pruned)} ${done}, ${n(totals.skipped.length)} not ${done}${leftOut.length ? `, ${n(leftOut.length)} left out` : ''}`];
  if (totals.tokensBefore) lines.push(tokensLine(totals.tokensBefore, command === 'score' ? undefined : totals.tokensAfter, totals.tokensBy));
  if (extra.resumed) lines.push(`resumed: ${n(extra.resumed)} records were already in the output`);
  if (extra.seconds !== undefined && extra.processed !== undefined) {
    lines.push(`time: ${extra.seconds.toFixed(2)} s for ${n(extra.processed)} records (${n(Math.round(extra.processed / Math.max(extra.seconds, 1e-9)))}/s${extra.workers ? `, ${extra.workers} worker threads` : ''})`);
  }
  if (command === 'prune' && totals.skipped.length) lines.push(`not pruned (written as they were, or unpruned as SFT rows):`);
  lines.push(...groupedReasons(`not ${done}`, totals.skipped), ...groupedReasons('left out', leftOut), ...groupedReasons('budget not met', totals.unmet ?? []));
  for (const note of totals.notes) lines.push(`note: ${note}`);
  io.stderr(`${lines.join('\n')}\n`);
}

/** One line per reason (10,000 identical reasons print as one), most frequent first. */
function groupedReasons(label: string, list: readonly { reason: string; where: string }[]): string[] {
  const byReason = new Map<string, { count: number; first: string }>();
  for (const s of list) {
    const key = s.reason.replace(/^line \d+: /, '');
    const e = byReason.get(key);
    if (e) e.count++;
    else byReason.set(key, { count: 1, first: s.where });
  }
  return [...byReason].sort((a, b) => b[1].count - a[1].count).slice(0, 20)
    .map(([reason, { count, first }]) => `  ${label} ${formatCount(count)} × ${reason} (first: ${first})`);
}

/**
 * A folder of sources (Thought-Anchors problems, prompt/response folders, trace files, mixed): with
 * `sft`, one JSONL file of rows from every source; with `same`, `out` is a folder that mirrors the
 * input, each source exported in its own format (a prompt/response folder keeps its `prompt.md`, a
 * Thought-Anchors problem its `problem.json`; `chunks_labeled.json` is not copied, its offsets describe
 * the unpruned text). A file that cannot be read as a trace is copied as it was, with the reason.
 */
async function pruneFolder(input: string, out: string, pruner: AsyncTracePruner, write: WriteOptions, totals: ExportTotals, signal: AbortSignal): Promise<void> {
  const { sources } = await listTraceSources(input);
  const options = { parse: write.parse, truncated: write.truncated, signal };
  const skip = (path: string, error: unknown): void => {
    // Ctrl-C stops the run; it is not a source that could not be exported.
    if (isAbortError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    (write.format === 'sft' ? totals.leftOut : totals.skipped).push({ id: '?', where: path, reason });
  };
  if (write.format === 'sft') {
    async function* rows(): AsyncGenerator<string> {
      for (const source of sources) {
        try {
          yield* exportSource(source.path, pruner, 'sft', totals, options);
        } catch (error) {
          skip(source.path, error);
        }
      }
    }
    await writeFileAtomic(out, rows(), { keep: () => totals.pruned > 0 });
    return;
  }
  for (const source of sources) {
    const rel = relative(input, source.path);
    const target = source.kind === 'thought-anchors' ? join(out, rel, 'base_solution.json') : source.kind === 'prompt-response' ? join(out, rel, 'response.md') : join(out, rel);
    await mkdir(dirname(target), { recursive: true });
    try {
      // Streamed into the file as it is exported (a large source is never held whole).
      await writeFileAtomic(target, exportSource(source.path, pruner, 'same', totals, options));
      const companion = source.kind === 'thought-anchors' ? 'problem.json' : source.kind === 'prompt-response' ? 'prompt.md' : undefined;
      if (companion && existsSync(join(source.path, companion))) await copyFile(join(source.path, companion), join(out, rel, companion));
    } catch (error) {
      skip(source.path, error);
      if (source.kind === 'file') await copyFile(source.path, target);
    }
  }
}

function run(argv: readonly string[], io: CliIo): Promise<number> {
  return commandScope('prune', USAGE, io, async ({ signal, hold }) => {
    let backend: ScoringBackend | undefined;
    const parsed = parseOneInput(argv, specs, USAGE, io.stdout);
    if (!parsed) return EXIT_OK;
    const { options, input } = parsed;
    if (!options.method) throw new ArgError(`missing --method (one of ${PICKABLE_METHODS.map((m) => m.id).join(', ')}, or a chain such as ${CHAIN_EXAMPLE})`);
    if (!options.output) throw new ArgError('missing -o OUT (the output file)');
    const chain = parseMethodChain(options.method);
    if (!chain.ok) throw new ArgError(`--method: ${chain.message}`);
    // Budgeted methods default to ASAP's 80%; a budget given explicitly also caps rule-based methods.
    const parsedBudget = parseBudget(options.budget ?? '0.8');
    if (!parsedBudget.ok) throw new ArgError(`--budget: ${parsedBudget.message}`);
    const ruleBudget = options.budget !== undefined;
    const workers = options.workers !== undefined ? Number(options.workers) : undefined;
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) throw new ArgError('--workers takes a whole number ≥ 0');
    if (options.truncated !== undefined && options.format !== 'sft') throw new ArgError('--truncated applies to --format sft (in the source\'s format a truncated trace is pruned in place and stays unterminated)');
    if (!existsSync(input)) {
      io.stderr(`reasoning-lens prune: ${input}: no such file or folder\n`);
      return EXIT_FAILURE;
    }
    const { method, then } = chain;
    const methods = [method, ...then];
    const budget = parsedBudget.budget;
    const format = (options.format ?? 'same') as ExportFormat;
    const truncated = (options.truncated ?? 'skip') as TruncatedPolicy;
    const segmentation = (options.segment ?? DEFAULT_SEGMENTATION) as SegmentationMode;
    const placeholder = options['skip-placeholders'] ?? false;
    // `--format` is prune's output format; only delimiters and fields say how the input is read.
    const parse = readOptionsFrom({ ...(options['reasoning-tags'] !== undefined ? { 'reasoning-tags': options['reasoning-tags'] } : {}), ...(options.field ? { field: options.field } : {}) });
    const write: WriteOptions = { format, truncated, parse };
    const tokenizer = tokenizerOptions(options);
    backend = hold(backendFromOptions(options));
    const modelMethod = methods.find((m) => pruneMethod(m).needs.model);
    if (!backend && modelMethod) {
      throw new ArgError(`--method ${modelMethod} calls a model for every step: give --model DIR or --endpoint URL`);
    }
    const kind = await sourceKind(input);
    // A folder pruned in its own format is written to a folder that mirrors it; everything else to one file.
    const mirror = kind.kind === 'folder' && format === 'same';
    if (mirror) await assertNotSource(input, options.output);
    const target = mirror ? { exists: existsSync(options.output) } : await checkOutput(input, options.output, options.force ? { force: true } : {});
    const budgetWords = methods.some((m) => pruneMethod(m).budgeted) || ruleBudget ? `budget ${formatBudget(budget)}` : 'no budget (the rule decides)';
    io.stderr(`prune: ${input} with ${methods.map((m) => pruneMethod(m).label).join(', then ')}, ${budgetWords}, ${backend ? `scores from ${backend.describe().name}` : 'scores from the file\'s logprobs'}\n`);
    const scoringTokens = backend ? `the scoring model's tokenizer (${backend.describe().name})` : 'the file\'s logprob tokens, else ~4 characters a token';
    io.stderr(`${await tokenizerHeader(input, parse, tokenizer, scoringTokens)}\n`);
    const methodOptions = { method, then, budget, ruleBudget, segmentation, placeholder, stepTokens: tokenizer.counter };
    const pruner: AsyncTracePruner = backend ? backendPruner({ ...methodOptions, backend, signal }) : filePruner(methodOptions);

    if (kind.kind === 'jsonl') {
      const asyncTask = backend
        ? recordTask(input, parse, async ({ text, value, traces }, totals) =>
            writeRecord(text, value, traces, await pruneTracesAsync(traces, pruner, write), write, totals).map((l) => `${l}\n`).join(''),
          write)
        : undefined;
      return await runJsonlCommand('prune', {
        input, output: options.output, io, signal,
        // The checkpoint compares this config as JSON: options that do not apply stay out of it.
        config: {
          kind: 'prune', file: input, method, ...(then.length ? { then } : {}), budget, ...(ruleBudget ? { ruleBudget: true } : {}), segmentation, format,
          ...(format === 'sft' ? { truncated } : {}), placeholder, ...(Object.keys(parse).length ? { parse } : {}),
          ...(tokenizer.setting !== 'auto' ? { tokenizer: tokenizer.setting } : {}),
        },
        ...(workers !== undefined ? { workers } : {}),
        ...(asyncTask ? { asyncTask } : {}),
        ...(options.force ? { force: true } : {}),
      });
    }

    // A single JSON document, text file, trace folder, or a folder of them: written atomically.
    if (target.exists && !options.force) throw new OutputExistsError(`${options.output} already exists; use --force to overwrite it`);
    const totals = emptyTotals();
    const started = Date.now();
    // Nothing pruned: nothing written (no empty file or copy, and an existing output is left as it was).
    if (mirror) {
      await pruneFolder(input, options.output, pruner, write, totals, signal);
      if (totals.pruned === 0 && !target.exists) await rm(options.output, { recursive: true, force: true });
    } else if (kind.kind === 'folder') await pruneFolder(input, options.output, pruner, write, totals, signal);
    else await writeFileAtomic(options.output, exportSource(input, pruner, format, totals, { parse: write.parse, truncated, signal }), { keep: () => totals.pruned > 0 });
    printTotals(io, 'prune', totals, { seconds: (Date.now() - started) / 1000, processed: totals.records });
    return totals.pruned > 0 ? EXIT_OK : EXIT_FAILURE;
  });
}

/** The `prune` subcommand. */
export const pruneCommand: CliCommand = { summary: 'prune every trace of a file or dataset (same format or SFT rows)', usage: USAGE, run };
