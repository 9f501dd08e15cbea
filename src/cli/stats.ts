/**
 * `reasoning-lens stats <file|folder> [--json] [--behaviours N] [--handbook OUT.md]`: one streaming pass
 * over every trace: distributions of reasoning tokens, steps, truncation, loops, answers found and
 * correctness, the traces that loop most and, on request, the recurring behaviours (also as a markdown
 * handbook). `--json` prints one object per line (`type`: summary, histogram, looping, behaviour).
 */
import { assertNotSource, writeFileAtomic } from '../core/export/atomicWrite';
import { behaviourHandbook } from '../core/insights/handbook';
import { collectInsights, type Insights } from '../core/insights/scan';
import type { StatsHistogram } from '../core/insights/stats';
import { SEGMENTATION_MODES } from '../shared/vocabulary';
import { CancelledError, TRACE_FORMATS, type TraceFormat } from '../core/trace';
import type { SegmentationMode } from '../core/types';
import { ArgError, describeOptions, parseOneInput } from './args';
import { formatSource } from './inspect';
import { EXIT_FAILURE, EXIT_OK, type CliCommand, type CliIo } from './io';
import { EXIT_INTERRUPTED, interruptSignal, Progress, reportFailure } from './workerPool';
import { formatCount } from '../shared/format';

const specs = {
  json: { type: 'boolean', description: 'one JSON object per line: summary, histogram, looping, behaviour' },
  behaviours: { type: 'string', short: 'b', description: 'also mine recurring behaviours and list the top N (default with --handbook: 20)' },
  handbook: { type: 'string', description: 'write the behaviours as a markdown handbook to this file' },
  loops: { type: 'string', description: 'list the N traces that waste most tokens in loops (default 10)' },
  segment: { type: 'string', choices: SEGMENTATION_MODES, description: 'segmentation mode (default: paragraph)' },
  format: { type: 'string', choices: ['auto', ...TRACE_FORMATS], description: 'force a format (default: auto-detect)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `usage: reasoning-lens stats <file|folder> [--json] [--behaviours N] [--handbook OUT.md]\n${describeOptions(specs)}\n`;

const n = formatCount;
const plural = (x: number, one: string): string => `${n(x)} ${one}${x === 1 ? '' : 's'}`;
const pct = (part: number, whole: number): string => `${whole ? ((part / whole) * 100).toFixed(1) : '0.0'}%`;

function count(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isInteger(v) || v < 0) throw new ArgError(`--${name} takes a whole number ≥ 0 (got ${value})`);
  return v;
}

/** A histogram as labelled bars of block characters, one line a bucket. */
function bars(h: StatsHistogram, indent = '  '): string[] {
  const max = Math.max(1, ...h.buckets.map((b) => b.count));
  const width = Math.max(...h.buckets.map((b) => b.label.length));
  return h.buckets.map((b) => `${indent}${b.label.padEnd(width)}  ${'█'.repeat(Math.round((b.count / max) * 30)).padEnd(30)}  ${n(b.count)}`);
}

function textReport(path: string, r: Insights, seconds: number): string {
  const { stats, scan } = r;
  const t = stats.totals;
  const out: string[] = [];
  out.push(`stats: ${path}${scan.files.length > 1 ? ` (${n(scan.files.length)} files)` : ''}`);
  out.push(`traces            ${n(stats.traces)} in ${n(scan.records)} records, ${n(scan.errorCount)} unreadable, ${seconds.toFixed(1)} s`);
  const tokens = stats.histograms.reasoningTokens;
  if (tokens?.summary) {
    const s = tokens.summary;
    out.push(`reasoning tokens  ${n(t.reasoningTokens)} in all${stats.tokensExact ? '' : ' (estimated, ~4 characters a token)'}; median ${n(s.median)}, mean ${n(s.mean)}, p90 ${n(s.p90)}, max ${n(s.max)}`);
    out.push(...bars(tokens));
  }
  const steps = stats.histograms.steps;
  if (steps?.summary) {
    const s = steps.summary;
    out.push(`steps             median ${n(s.median)}, mean ${s.mean.toFixed(1)}, p90 ${n(s.p90)}, max ${n(s.max)}`);
    out.push(...bars(steps));
  }
  out.push(`truncated         ${n(t.truncated)} (${pct(t.truncated, stats.traces)})`);
  out.push(`loops             ${plural(t.looping, 'trace')} (${pct(t.looping, stats.traces)}) with ${plural(t.loops, 'loop')}; ${n(t.wastedTokens)} tokens of repeats (${pct(t.wastedTokens, t.reasoningTokens)} of reasoning tokens)`);
  out.push(`answer found      ${n(t.answerFound)} (${pct(t.answerFound, stats.traces)})`);
  if (t.labelled > 0) out.push(`correct           ${n(t.correct)} of ${n(t.labelled)} labelled (${pct(t.correct, t.labelled)})`);
  if (r.looping.length > 0) {
    out.push('', 'most looping traces');
    for (const l of r.looping) {
      const file = scan.files[l.ref.file] ?? '';
      out.push(`  ${l.ref.id}  ${formatSource({ file, ...(l.ref.line !== undefined ? { line: l.ref.line } : {}) })}  ${n(l.wastedTokens)} of ${n(l.tokens)} tokens in repeats`);
      for (const loop of l.loops.slice(0, 3)) out.push(`    ${loop.description}`);
      if (l.loops.length > 3) out.push(`    … and ${l.loops.length - 3} more`);
    }
  }
  const b = r.behaviours;
  if (b) {
    out.push('', `behaviours (top ${b.behaviours.length}; ${n(b.clusteredSteps)} of ${n(b.steps)} steps compared)`);
    if (b.behaviours.length === 0) out.push('  no step recurs in two or more traces');
    for (const x of b.behaviours) {
      out.push(`  ${String(x.rank).padStart(2)}. ${pct(x.traces, b.traces).padStart(6)} of traces, ${(x.occurrences / x.traces).toFixed(1)}× each, ${x.position}, ~${n(x.averageTokens)} tokens  "${x.label}"`);
    }
  }
  return `${out.join('\n')}\n`;
}

function jsonReport(path: string, r: Insights, seconds: number): string {
  const lines: unknown[] = [
    { type: 'summary', path, files: r.scan.files, records: r.scan.records, traces: r.stats.traces, errors: r.scan.errorCount, skipped: r.scan.skipped, seconds, tokensExact: r.stats.tokensExact, totals: r.stats.totals },
    ...Object.values(r.stats.histograms).map((h) => ({ type: 'histogram', ...h })),
    ...r.looping.map((l) => ({ type: 'looping', file: r.scan.files[l.ref.file], ...l })),
    ...(r.behaviours?.behaviours ?? []).map((b) => ({ type: 'behaviour', ...b, examples: b.examples.map((e) => ({ ...e, path: r.scan.files[e.file] })) })),
  ];
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const interrupt = interruptSignal();
  try {
    const parsed = parseOneInput(argv, specs, USAGE, io.stdout);
    if (!parsed) return EXIT_OK;
    // A missing path is reported by the scan ("cannot read …"), like any unreadable file.
    const { options, input } = parsed;
    const topBehaviours = count(options.behaviours, 'behaviours', options.handbook ? 20 : 0);
    const topLooping = count(options.loops, 'loops', 10);
    if (options.handbook) {
      if (topBehaviours === 0) throw new ArgError('--handbook needs behaviours: drop --behaviours 0');
      await assertNotSource(input, options.handbook);
    }
    const progress = new Progress(io, process.stderr.isTTY === true, 'traces');
    const started = performance.now();
    const insights = await collectInsights(input, {
      segmentation: (options.segment ?? 'paragraph') as SegmentationMode,
      format: (options.format ?? 'auto') as TraceFormat | 'auto',
      behaviours: topBehaviours > 0,
      topBehaviours,
      topLooping,
      cancellation: interrupt.signal,
      // Quiet for runs that end within a second.
      onProgress: (p) => {
        if (performance.now() - started > 1000) progress.update(p.totalBytes ? p.bytesDone / p.totalBytes : 0, p.traces);
      },
    });
    progress.done();
    const seconds = (performance.now() - started) / 1000;
    for (const e of insights.scan.errors) io.stderr(`${e.message.startsWith(e.source.file) ? e.message : `${formatSource(e.source)}: ${e.message}`}\n`);
    if (insights.scan.errorCount > insights.scan.errors.length) io.stderr(`… and ${n(insights.scan.errorCount - insights.scan.errors.length)} more unreadable records\n`);
    io.stdout(options.json ? jsonReport(input, insights, seconds) : textReport(input, insights, seconds));
    if (options.handbook && insights.behaviours) {
      await writeFileAtomic(options.handbook, behaviourHandbook(insights.behaviours, { title: input, files: insights.scan.files }));
      io.stderr(`stats: behaviour handbook written to ${options.handbook}\n`);
    }
    return insights.stats.traces > 0 ? EXIT_OK : EXIT_FAILURE;
  } catch (error) {
    if (error instanceof CancelledError) {
      io.stderr('reasoning-lens stats: interrupted\n');
      return EXIT_INTERRUPTED;
    }
    return reportFailure('stats', USAGE, error, io);
  } finally {
    interrupt.dispose();
  }
}

/** The `stats` subcommand. */
export const statsCommand: CliCommand = { summary: 'dataset figures: tokens, steps, truncation, loops, answers, correctness, behaviours', usage: USAGE, run };
