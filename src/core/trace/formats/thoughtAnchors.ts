/**
 * Thought-Anchors problems (arXiv 2506.19143): a folder with `problem.json`, `base_solution.json`
 * (prompt ending `<think>\n`, `solution` = reasoning, `</think>`, write-up) and `chunks_labeled.json`
 * (sentence chunks with function tags and counterfactual importance). Pure: the folder reader in
 * `read.ts` hands the parsed parts in.
 */
import { makeTrace, one } from '../build';
import { copyMetadata, isRecord, own, safeKeys, str } from '../safeJson';
import { splitReasoning } from '../text';
import type { FileChunk, SourceLocation, Trace } from '../types';
import { warning, type TraceWarning } from '../warnings';
import { recordFormat } from './spec';

/**
 * Locates each chunk in `text` in order, ignoring differences in whitespace (the chunker collapses
 * `\n\n` to a space). Unplaced chunks get `undefined`.
 */
export function locateChunks(text: string, chunks: readonly string[]): Array<{ start: number; end: number } | undefined> {
  const index: number[] = [];
  let projected = '';
  for (let i = 0; i < text.length; i++) {
    if (!/\s/.test(text[i]!)) {
      projected += text[i];
      index.push(i);
    }
  }
  let from = 0;
  return chunks.map((chunk) => {
    const needle = chunk.replace(/\s+/g, '');
    if (!needle) return undefined;
    const at = projected.indexOf(needle, from);
    if (at < 0) return undefined;
    from = at + needle.length;
    return { start: index[at]!, end: index[at + needle.length - 1]! + 1 };
  });
}

/** The parts of a Thought-Anchors problem folder, already parsed. */
export interface ThoughtAnchorsParts {
  readonly problem?: unknown;
  readonly base: unknown;
  readonly chunks?: unknown;
  readonly summary?: unknown;
}

/**
 * A Thought-Anchors problem: `base_solution.json` gives the prompt (ending `<think>\n`) and `solution`
 * (reasoning, `</think>`, write-up); `chunks_labeled.json` becomes {@link FileChunk}s located in the
 * reasoning with their function tags and importance values.
 */
export function parseThoughtAnchors(parts: ThoughtAnchorsParts, source: SourceLocation, id: string): Trace {
  const base = isRecord(parts.base) ? parts.base : {};
  const problem = isRecord(parts.problem) ? parts.problem : {};
  const warnings: TraceWarning[] = [];
  const solution = str(base, 'solution') ?? '';
  const split = splitReasoning(solution);
  const reasoning = split.tags ? split.reasoning : solution;
  const prompt = (str(base, 'prompt') ?? str(problem, 'problem') ?? '').replace(/\s*<think>\s*$/, '').trim();
  let chunks: FileChunk[] | undefined;
  if (Array.isArray(parts.chunks)) {
    const raw = parts.chunks.filter(isRecord);
    const places = locateChunks(reasoning, raw.map((c) => str(c, 'chunk') ?? ''));
    let missing = 0;
    chunks = raw.map((c, i) => {
      const place = places[i];
      if (!place) missing++;
      const importance: Record<string, number> = {};
      const metadata: Record<string, unknown> = {};
      for (const k of safeKeys(c)) {
        const v = c[k];
        if (k === 'chunk' || k === 'function_tags') continue;
        if (typeof v === 'number' && (k.includes('importance') || k === 'accuracy' || k === 'overdeterminedness' || k === 'different_trajectories_fraction')) importance[k] = v;
        else metadata[k] = v;
      }
      const tags = own(c, 'function_tags');
      return {
        start: place?.start ?? -1,
        end: place?.end ?? -1,
        ...(Array.isArray(tags) ? { labels: tags.map(String) } : {}),
        importance,
        metadata: { ...metadata, text: str(c, 'chunk') ?? '' },
      };
    });
    if (missing) warnings.push(warning('chunks-unplaced', `${missing} of ${raw.length} chunks could not be located in the reasoning (offsets -1)`));
  }
  const correct = own(base, 'is_correct');
  const gt = str(problem, 'gt_answer');
  const meta = copyMetadata(problem, ['problem']);
  const modelAnswer = own(base, 'answer');
  if (modelAnswer !== undefined) meta.modelAnswer = modelAnswer;
  if (parts.summary !== undefined) meta.summary = parts.summary;
  return makeTrace(
    { format: 'thought-anchors', opts: {}, source, id },
    {
      prompt,
      reasoning,
      truncated: split.truncated,
      answer: split.tags ? split.answer : '',
      fields: { ...(str(base, 'prompt') !== undefined ? { prompt: 'prompt' } : {}), reasoning: 'solution', answer: 'solution' },
      metadata: meta,
      warnings: [...split.warnings, ...warnings],
      ...(chunks ? { chunks } : {}),
      reference: { ...(gt !== undefined ? { answer: gt } : {}), ...(typeof correct === 'boolean' ? { correct } : {}) },
    },
  );
}

export const thoughtAnchors = recordFormat({
  id: 'thought-anchors',
  label: 'Thought-Anchors problem folders (problem.json, base_solution.json, chunks_labeled.json) or a base_solution.json record: chunks become steps with function tags and importance',
  detect: (r) => typeof own(r, 'full_cot') === 'string' && typeof own(r, 'solution') === 'string',
  read: (r, ctx) => one(parseThoughtAnchors({ base: r }, ctx.source, ctx.id)),
});
