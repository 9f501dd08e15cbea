/**
 * The "behaviour handbook": recurring behaviours of a dataset as a markdown document (after the
 * behaviour handbook of Metacognitive Reuse, arXiv 2509.13237). Trace text is untrusted: examples are
 * quoted as plain text (markdown and HTML characters escaped), never rendered as markup.
 */
import type { BehaviourReport } from './behaviours';
import { formatCount } from '../../shared/format';

/** Escapes markdown and HTML so file content shows as the characters it is. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-!|<>&~$]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`));
}

function percent(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

/**
 * Renders `report` as markdown: a summary table, then one section per behaviour with its share of
 * traces, position, length and examples (file, line, trace id and 1-based step).
 */
export function behaviourHandbook(report: BehaviourReport, source: { readonly title?: string; readonly files: readonly string[] }): string {
  const n = formatCount;
  const lines: string[] = [];
  lines.push(`# Behaviour handbook${source.title ? `: ${escapeMarkdown(source.title)}` : ''}`, '');
  lines.push(
    `${n(report.traces)} traces, ${n(report.steps)} steps (${n(report.clusteredSteps)} long enough to compare) from ${n(source.files.length)} file${source.files.length === 1 ? '' : 's'}.`,
    'Behaviours are steps that open in nearly the same words in many traces (MinHash on word pairs of the first words, numbers and math ignored).',
    '',
  );
  if (report.behaviours.length === 0) {
    lines.push('No step recurs in two or more traces.', '');
    return lines.join('\n');
  }
  lines.push('| # | behaviour | traces | share | per trace | where | avg tokens |', '|---|---|---|---|---|---|---|');
  for (const b of report.behaviours) {
    lines.push(`| ${b.rank} | ${escapeMarkdown(b.label)} | ${n(b.traces)} | ${percent(b.share)} | ${(b.occurrences / b.traces).toFixed(1)} | ${b.position} | ${Math.round(b.averageTokens)} |`);
  }
  lines.push('');
  for (const b of report.behaviours) {
    lines.push(`## ${b.rank}. ${escapeMarkdown(b.label)}`, '');
    lines.push(
      `- In ${n(b.traces)} of ${n(report.traces)} traces (${percent(b.share)})${b.tracesError ? `, up to ${n(b.tracesError)} more not counted (streaming bound)` : ''}; ${n(b.occurrences)} occurrences.`,
      `- Typically ${b.position} in the trace (early ${percent(b.positionShares[0])}, middle ${percent(b.positionShares[1])}, late ${percent(b.positionShares[2])}).`,
      `- About ${Math.round(b.averageTokens)} tokens per occurrence.`,
      '',
      'Examples:',
      '',
    );
    for (const e of b.examples) {
      const file = source.files[e.file] ?? `file ${e.file}`;
      lines.push(`> ${escapeMarkdown(e.text)}`, '>', `> — ${escapeMarkdown(file)}${e.line !== undefined ? `:${e.line}` : ''}, trace ${escapeMarkdown(e.id)}, step ${e.step + 1}`, '');
    }
  }
  return lines.join('\n');
}
