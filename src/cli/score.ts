/**
 * `reasoning-lens score <file> [--model DIR|FILE.gguf | --endpoint URL[,URL…] --endpoint-model NAME] [--segment MODE]
 * [--json] [-o out.jsonl]`: per-step scores (first-token surprisal, entropy, confidence…) of every trace,
 * from a model or from the file's own logprobs. With `-o` the rows go to a JSONL file (resumable; a
 * JSONL input with file logprobs streams through worker threads); else to stdout as a table or JSON.
 */
import { existsSync } from 'node:fs';
import { fileStepScores, emptyTotals, sourceKind, type ExportTotals } from '../core/export/dataset';
import { segment } from '../core/steps';
import { DEFAULT_SEGMENTATION, SEGMENTATION_MODES } from '../shared/vocabulary';
import { traceItems } from '../core/trace/read';
import type { ParseOptions, Trace } from '../core/trace/types';
import type { SegmentationMode } from '../core/types';
import type { ScoringBackend } from '../model/backend';
import { scoreTraceTokens, windowWarning } from '../pipeline/scoreTrace';
import { stepScoresFromTable } from '../core/tokenTable';
import { checkOutput } from '../core/export/atomicWrite';
import { ArgError, describeOptions, parseOneInput } from './args';
import { EXIT_FAILURE, EXIT_OK, type CliCommand, type CliIo } from './io';
import { backendFromOptions, embeddedBackend, printTotals, runJsonlCommand, WATCHDOG_OPTION_SPEC } from './prune';
import { READ_OPTION_SPECS, readOptionsFrom } from './readOptions';
import { commandScope } from './workerPool';
import { addScoredTokens, recordTask, scoreRow, type ScoreRow } from './workerTask';
import { TOKENIZER_OPTION_SPEC, tokenizerHeader, tokenizerOptions } from './tokenCounting';
import type { StepTokenCounter } from '../pipeline/traceTokens';

const specs = {
  ...READ_OPTION_SPECS,
  ...WATCHDOG_OPTION_SPEC,
  ...TOKENIZER_OPTION_SPEC,
  model: { type: 'string', description: 'score with a local model: an ONNX folder (HF / Optimum layout) or a .gguf file' },
  endpoint: { type: 'string', description: 'score with OpenAI-compatible endpoints, comma-separated base URLs (API key: $OPENAI_API_KEY)' },
  'endpoint-model': { type: 'string', description: 'model name sent to the endpoints' },
  'allow-http-key': { type: 'boolean', description: 'send the API key to plain-http endpoints that are not on this machine (default: https or loopback only)' },
  segment: { type: 'string', choices: SEGMENTATION_MODES, description: 'segmentation mode (default: auto)' },
  json: { type: 'boolean', description: 'one JSON row per trace on stdout (always JSON with -o)' },
  output: { type: 'string', short: 'o', description: 'write JSONL rows to this file (resumable)' },
  workers: { type: 'string', description: 'worker threads for file-logprob work (default: one per core; 0 = main thread)' },
  force: { type: 'boolean', description: 'overwrite an existing output that is not a resumable run of the same command' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `usage: reasoning-lens score <file|folder> [--model DIR|FILE.gguf | --endpoint URLS --endpoint-model NAME] [--tokenizer NAME] [--segment MODE] [--json] [-o out.jsonl]\n${describeOptions(specs)}\n`;

/**
 * The score row of one trace: from the backend, or from the file's logprobs (scores undefined when it
 * has none). A trace longer than the model's context is said so on stderr and in the row.
 */
async function scoredRow(trace: Trace, segmentation: SegmentationMode, backend: ScoringBackend | undefined, named: StepTokenCounter, io: CliIo, signal?: AbortSignal): Promise<{ row: ScoreRow; scored: boolean }> {
  const steps = segment(trace.reasoning, segmentation, trace.chunks);
  if (!backend) {
    const scores = fileStepScores(trace, steps);
    return { row: scoreRow(trace, segmentation, scores, 'file', named), scored: !!scores };
  }
  const table = await scoreTraceTokens(trace, backend, signal ? { signal } : {});
  const warning = windowWarning(table);
  if (warning) io.stderr(`warning: ${trace.id} (${trace.source.file}${trace.source.line !== undefined ? `:${trace.source.line}` : ''}): ${warning}\n`);
  const window = table.window ? { size: table.window.size, overlap: table.window.overlap, fromToken: table.window.from, fromChar: table.starts[table.window.from] ?? 0 } : undefined;
  return { row: scoreRow(trace, segmentation, stepScoresFromTable(table, steps).scores.steps, backend.describe().id, named, window), scored: true };
}

/** True when a trace carries token logprobs of its reasoning. */
function hasReasoningLogprobs(trace: Trace): boolean {
  return !!trace.logprobs?.some((t) => t.region === 'reasoning' && t.start >= 0);
}

/** True when any of the first traces of a JSONL dataset has reasoning logprobs (decides file scores vs the embedded model). */
async function jsonlHasLogprobs(path: string, parse: ParseOptions): Promise<boolean> {
  let seen = 0;
  // Stops after 16 traces: the rest of the file is never read.
  for await (const item of traceItems(path, parse)) {
    if (item.kind !== 'trace') continue;
    if (hasReasoningLogprobs(item.trace)) return true;
    if (++seen >= 16) break;
  }
  return false;
}

function fmt(x: number | undefined, digits = 2): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function table(row: ScoreRow): string {
  const head = `${row.id}  [${row.format}]  ${row.source}  (scores: ${row.scoredBy}; tokens ${row.tokensEstimated ? '~' : ''}${row.tokens}: ${row.tokenizerReason})`;
  const lines = row.steps.map((s) => `  ${String(s.index + 1).padStart(4)}  ${String(s.tokens).padStart(6)}  ${fmt(s.firstTokenSurprisal).padStart(8)}  ${fmt(s.stepEntropy).padStart(8)}  ${fmt(s.confidence).padStart(8)}  ${s.text.replace(/\s+/g, ' ').slice(0, 60)}`);
  return `${head}\n  step  tokens  1st-surp   entropy  confid.  text\n${lines.join('\n')}\n`;
}

function run(argv: readonly string[], io: CliIo): Promise<number> {
  return commandScope('score', USAGE, io, async ({ signal, hold }) => {
    let backend: ScoringBackend | undefined;
    let fallback: ScoringBackend | undefined;
    const parsed = parseOneInput(argv, specs, USAGE, io.stdout);
    if (!parsed) return EXIT_OK;
    const { options, input } = parsed;
    if (!existsSync(input)) {
      io.stderr(`reasoning-lens score: ${input}: no such file or folder\n`);
      return EXIT_FAILURE;
    }
    const workers = options.workers !== undefined ? Number(options.workers) : undefined;
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) throw new ArgError('--workers takes a whole number ≥ 0');
    const segmentation = (options.segment ?? DEFAULT_SEGMENTATION) as SegmentationMode;
    const parse = readOptionsFrom(options);
    const tokenizer = tokenizerOptions(options);
    backend = hold(backendFromOptions(options));
    const scoringTokens = backend ? `the scoring model's tokenizer (${backend.describe().name})` : 'the file\'s logprob tokens, else the embedded model\'s tokenizer';
    io.stderr(`${await tokenizerHeader(input, parse, tokenizer, scoringTokens)}\n`);

    if (options.output) {
      await checkOutput(input, options.output, options.force ? { force: true } : {});
      const kind = await sourceKind(input);
      if (kind.kind !== 'jsonl') throw new ArgError('-o needs a JSONL dataset (for other inputs, omit -o and redirect --json output)');
      // No model named and no logprobs in the file: score with the embedded model, like the editor.
      if (!backend && !(await jsonlHasLogprobs(input, parse))) backend = hold(embeddedBackend(options));
      const b = backend;
      const asyncTask = b
        ? recordTask(input, parse, async ({ traces, line }, totals) => {
            totals.records++;
            let output = '';
            for (const t of traces) {
              totals.traces++;
              if (!t.reasoning.trim()) {
                totals.skipped.push({ id: t.id, where: `${input}:${line}`, reason: 'empty reasoning' });
                continue;
              }
              totals.pruned++;
              const { row } = await scoredRow(t, segmentation, b, tokenizer.counter, io, signal);
              addScoredTokens(totals, row);
              output += `${JSON.stringify(row)}\n`;
            }
            return output;
          })
        : undefined;
      return await runJsonlCommand('score', {
        input, output: options.output, io, signal,
        config: { kind: 'score', file: input, segmentation, ...(Object.keys(parse).length ? { parse } : {}), ...(tokenizer.setting !== 'auto' ? { tokenizer: tokenizer.setting } : {}) },
        ...(workers !== undefined ? { workers } : {}),
        ...(asyncTask ? { asyncTask } : {}),
        ...(options.force ? { force: true } : {}),
      });
    }

    // Streams: each trace is scored, printed and let go, so memory does not grow with the input.
    const totals: ExportTotals = emptyTotals();
    // Without --model / --endpoint: the file's logprobs where a trace has them, else the embedded model (like the editor).
    for await (const item of traceItems(input, { ...parse, cancellation: signal })) {
      if (item.kind === 'error') totals.skipped.push({ id: '?', where: item.error.source.file, reason: item.error.message });
      if (item.kind !== 'trace') continue;
      const trace = item.trace;
      totals.records++;
      totals.traces++;
      if (!trace.reasoning.trim()) {
        totals.skipped.push({ id: trace.id, where: trace.source.file, reason: 'empty reasoning' });
        continue;
      }
      let by = backend;
      if (!by && !hasReasoningLogprobs(trace)) by = fallback ??= hold(embeddedBackend(options));
      const { scored, row } = await scoredRow(trace, segmentation, by, tokenizer.counter, io, signal);
      if (!scored) {
        totals.skipped.push({ id: trace.id, where: trace.source.file, reason: 'no logprobs in the file and the embedded model is not built: give --model DIR or --endpoint URL to score it' });
        continue;
      }
      totals.pruned++;
      addScoredTokens(totals, row);
      io.stdout(options.json ? `${JSON.stringify(row)}\n` : table(row));
      await io.drain?.();
    }
    printTotals(io, 'score', totals);
    return totals.pruned > 0 ? EXIT_OK : EXIT_FAILURE;
  });
}

/** The `score` subcommand. */
export const scoreCommand: CliCommand = { summary: 'per-step scores of every trace (from a model, an endpoint or the file\'s logprobs)', usage: USAGE, run };
