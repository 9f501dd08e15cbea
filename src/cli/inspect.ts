/**
 * `reasoning-lens inspect <file|folder>…`: reads traces and prints, per trace, its id, format, source,
 * step count, characters, reasoning tokens (in the writing model's tokenizer: `--tokenizer`), truncation, final answer and warnings.
 * Streams: each trace is printed as it is read and then let go, so memory does not grow with the input.
 */
import { segment } from '../core/steps';
import { DEFAULT_SEGMENTATION, SEGMENTATION_MODES } from '../shared/vocabulary';
import type { SourceLocation, Trace, TraceError } from '../core/trace/index';
import { traceItems } from '../core/trace/read';
import type { SegmentationMode } from '../core/types';
import { ArgError, describeOptions, parseArgs } from './args';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from './io';
import { READ_OPTION_SPECS, readOptionsFrom } from './readOptions';
import { TOKENIZER_OPTION_SPEC, tokenizerOptions } from './tokenCounting';
import { alignStepsToTokens } from '../core/align';
import { countTraceTokens, type StepTokenCounter } from '../pipeline/traceTokens';

const specs = {
  ...READ_OPTION_SPECS,
  ...TOKENIZER_OPTION_SPEC,
  segment: { type: 'string', choices: SEGMENTATION_MODES, description: 'segmentation mode (default: auto)' },
  json: { type: 'boolean', description: 'one JSON object per trace' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `usage: reasoning-lens inspect <file|folder>… [options]\n${describeOptions(specs)}\n`;

/** `file:line` (or `file` / `file $.path`) for messages. */
export function formatSource(s: SourceLocation): string {
  return `${s.file}${s.line !== undefined ? `:${s.line}` : ''}${s.jsonPath && s.jsonPath !== '$' ? ` ${s.jsonPath}` : ''}`;
}

function formatError(e: TraceError): string {
  // Messages from the readers often start with the file already.
  return e.message.startsWith(e.source.file) ? e.message : `${e.source.file}${e.source.line !== undefined ? `:${e.source.line}` : ''}: ${e.message}`;
}

function oneLine(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Tokens of each step from the file's reasoning logprobs (the writing model's own tokens), if it has them. */
function fileStepTokens(trace: Trace, steps: ReturnType<typeof segment>): { counts: number[]; reason: string } | undefined {
  const reasoning = trace.logprobs?.filter((t) => t.region === 'reasoning' && t.start >= 0);
  if (!reasoning?.length) return undefined;
  return { counts: alignStepsToTokens(reasoning, steps, 0).map((r) => r.tokenCount), reason: 'the file\'s logprob tokens' };
}

function describe(trace: Trace, mode: SegmentationMode, named: StepTokenCounter): { text: string; json: unknown } {
  const steps = segment(trace.reasoning, mode, trace.chunks);
  const tokens = trace.logprobs?.length;
  const counted = countTraceTokens(trace, steps.map((s) => s.text), named, fileStepTokens(trace, steps));
  const json = {
    id: trace.id,
    format: trace.format,
    source: trace.source,
    fields: trace.fields ?? {},
    truncated: trace.truncated,
    finalAnswer: trace.finalAnswer ?? null,
    characters: trace.reasoning.length,
    promptCharacters: trace.prompt.length,
    answerCharacters: trace.answer.length,
    ...(tokens !== undefined ? { tokens } : {}),
    reasoningTokens: counted.tokens,
    tokenizer: counted.tokenizer,
    tokenizerReason: counted.tokenizerReason,
    tokensEstimated: counted.tokensEstimated,
    steps: steps.map((s) => ({ index: s.index, start: s.start, end: s.end })),
    stepTokens: counted.stepTokens,
    warnings: trace.warnings.map((w) => ({ code: w.code, message: w.message })),
  };
  const fields = Object.entries(trace.fields ?? {}).map(([role, path]) => `${role}=${path}`).join('  ');
  const lines = [
    `${trace.id}  [${trace.format}]  ${formatSource(trace.source)}`,
    ...(fields ? [`  fields: ${fields}`] : []),
    `  steps ${steps.length} (${mode})  chars ${trace.reasoning.length} (prompt ${trace.prompt.length}, answer ${trace.answer.length})  tokens ${counted.tokensEstimated ? '~' : ''}${counted.tokens} (${counted.tokenizerReason})${trace.truncated ? '  TRUNCATED' : ''}`,
    `  answer: ${trace.finalAnswer !== undefined ? oneLine(trace.finalAnswer) : '(none found)'}`,
    ...trace.warnings.map((w) => `  warning [${w.code}]: ${w.message}`),
  ];
  return { text: lines.join('\n') + '\n', json };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv, specs);
  } catch (e) {
    if (e instanceof ArgError) {
      io.stderr(`reasoning-lens inspect: ${e.message}\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const { options, positionals } = parsed;
  if (options.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  if (positionals.length === 0) {
    io.stderr(`reasoning-lens inspect: missing <file|folder>\n${USAGE}`);
    return EXIT_USAGE;
  }
  let parse;
  try {
    parse = readOptionsFrom(options);
  } catch (e) {
    if (e instanceof ArgError) {
      io.stderr(`reasoning-lens inspect: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const mode = (options.segment ?? DEFAULT_SEGMENTATION) as SegmentationMode;
  const { counter } = tokenizerOptions(options);
  let count = 0;
  for (const path of positionals) {
    for await (const item of traceItems(path, parse)) {
      if (item.kind === 'error') io.stderr(`${formatError(item.error)}\n`);
      if (item.kind !== 'trace') continue;
      const d = describe(item.trace, mode, counter);
      io.stdout(options.json ? `${JSON.stringify(d.json)}\n` : d.text);
      await io.drain?.();
      count++;
    }
  }
  if (!options.json) io.stderr(`${count} trace${count === 1 ? '' : 's'}\n`);
  return count > 0 ? EXIT_OK : EXIT_FAILURE;
}

/** The `inspect` subcommand. */
export const inspectCommand: CliCommand = { summary: 'list the traces of files or folders with steps, answers and warnings', usage: USAGE, run };
