/**
 * The text of a trace view: the trace as markdown with one heading per part. Pure (no `vscode`).
 * The reasoning is copied verbatim so that a step's `[start, end)` maps to the rendered text by adding
 * one offset; nothing of the trace is interpreted, it is only placed under headings.
 */
import type { Trace } from '../core/trace/types';

/** A rendered trace and where each part starts in the text. */
export interface RenderedTrace {
  readonly text: string;
  /** Offset of `trace.reasoning` in `text`. */
  readonly reasoningOffset: number;
  readonly promptOffset: number;
  readonly answerOffset: number;
}

/** Section headings of a trace view (also what Outline and breadcrumbs show from the markdown grammar). */
export const SECTION_HEADINGS = { prompt: '# Prompt', reasoning: '# Reasoning', answer: '# Answer' } as const;

/**
 * The header line: the format and where each part was read from (`prompt ← problem · reasoning ←
 * full_response`), so a user sees at once when detection picked the wrong field.
 */
export function fieldsHeader(trace: Trace): string {
  const roles = Object.entries(trace.fields ?? {}).map(([role, path]) => `${role} ← \`${path.replace(/`/g, "'")}\``);
  return `> ${trace.format}${roles.length ? ` · ${roles.join(' · ')}` : ''}`;
}

/** Renders `trace` as a header line, then `# Prompt`, `# Reasoning` and `# Answer` sections. */
export function renderTrace(trace: Trace): RenderedTrace {
  const parts: string[] = [];
  let length = 0;
  const push = (s: string): number => {
    const at = length;
    parts.push(s);
    length += s.length;
    return at;
  };
  push(`${fieldsHeader(trace)}\n\n${SECTION_HEADINGS.prompt}\n\n`);
  const promptOffset = push(trace.prompt.trim() ? trace.prompt.replace(/\s+$/, '') : '_(no prompt in the file)_');
  push(`\n\n${SECTION_HEADINGS.reasoning}${trace.truncated ? ' (truncated: no closing tag)' : ''}\n\n`);
  const reasoningOffset = push(trace.reasoning);
  push(`\n\n${SECTION_HEADINGS.answer}\n\n`);
  const answerOffset = push(trace.answer.trim() ? trace.answer.replace(/^\s+/, '') : '_(no answer after the reasoning)_');
  push('\n');
  return { text: parts.join(''), reasoningOffset, promptOffset, answerOffset };
}
