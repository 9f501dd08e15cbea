/**
 * `reasoning-lens inspect <file|folder>…`: reads traces and prints, per trace, its id, format, source,
 * step count, characters, tokens (when the file has logprobs), truncation, final answer and warnings.
 */
import { segment, SEGMENTATION_MODES } from '../core/steps';
import { readTraces, TRACE_FORMATS, type SourceLocation, type Trace, type TraceError, type TraceFormat } from '../core/trace/index';
import type { SegmentationMode } from '../core/types';
import { ArgError, describeOptions, parseArgs } from './args';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from './io';

const specs = {
  format: { type: 'string', choices: ['auto', ...TRACE_FORMATS], description: 'force a format (default: auto-detect)' },
  segment: { type: 'string', choices: SEGMENTATION_MODES, description: 'segmentation mode (default: paragraph)' },
  'reasoning-tags': { type: 'string', description: 'custom reasoning delimiters, OPEN,CLOSE' },
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

function describe(trace: Trace, mode: SegmentationMode): { text: string; json: unknown } {
  const steps = segment(trace.reasoning, mode, trace.chunks);
  const tokens = trace.logprobs?.length;
  const json = {
    id: trace.id,
    format: trace.format,
    source: trace.source,
    truncated: trace.truncated,
    finalAnswer: trace.finalAnswer ?? null,
    characters: trace.reasoning.length,
    ...(tokens !== undefined ? { tokens } : {}),
    steps: steps.map((s) => ({ index: s.index, start: s.start, end: s.end })),
    warnings: trace.warnings,
  };
  const lines = [
    `${trace.id}  [${trace.format}]  ${formatSource(trace.source)}`,
    `  steps ${steps.length} (${mode})  chars ${trace.reasoning.length}${tokens !== undefined ? `  tokens ${tokens}` : ''}${trace.truncated ? '  TRUNCATED' : ''}`,
    `  answer: ${trace.finalAnswer !== undefined ? oneLine(trace.finalAnswer) : '(none found)'}`,
    ...trace.warnings.map((w) => `  warning: ${w}`),
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
  let reasoningTags: [string, string] | undefined;
  if (options['reasoning-tags'] !== undefined) {
    const parts = options['reasoning-tags'].split(',');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      io.stderr(`reasoning-lens inspect: --reasoning-tags needs OPEN,CLOSE (got ${options['reasoning-tags']})\n`);
      return EXIT_USAGE;
    }
    reasoningTags = [parts[0], parts[1]];
  }
  const mode = (options.segment ?? 'paragraph') as SegmentationMode;
  const format = (options.format ?? 'auto') as TraceFormat | 'auto';
  let count = 0;
  for (const path of positionals) {
    const result = await readTraces(path, { format, ...(reasoningTags ? { reasoningTags } : {}) });
    for (const trace of result.traces) {
      const d = describe(trace, mode);
      io.stdout(options.json ? `${JSON.stringify(d.json)}\n` : d.text);
      count++;
    }
    for (const e of result.errors) io.stderr(`${formatError(e)}\n`);
  }
  if (!options.json) io.stderr(`${count} trace${count === 1 ? '' : 's'}\n`);
  return count > 0 ? EXIT_OK : EXIT_FAILURE;
}

/** The `inspect` subcommand. */
export const inspectCommand: CliCommand = { summary: 'list the traces of files or folders with steps, answers and warnings', usage: USAGE, run };
