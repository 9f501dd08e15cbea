/**
 * Segmentation of reasoning text into steps (shared notes, algorithms.md "Steps (segmentation)").
 *
 * Invariant for every mode: steps are sorted, non-overlapping, `0 <= start < end <= reasoning.length`
 * and `text === reasoning.slice(start, end)`, so steps plus the gaps between them reproduce the text.
 * For the text-based modes the gaps hold whitespace only (pieces are stripped, never rewritten).
 */
import type { SegmentationMode, Step } from './types';
import type { FileChunk } from './trace/types';

/** A half-open character range. */
interface Range {
  start: number;
  end: number;
}

const WHITESPACE = /\s/;

/** Shrinks `[start, end)` to exclude leading/trailing whitespace; `undefined` when nothing is left. */
function strip(text: string, start: number, end: number): Range | undefined {
  let s = start;
  let e = end;
  while (s < e && WHITESPACE.test(text[s])) s++;
  while (e > s && WHITESPACE.test(text[e - 1])) e--;
  return s < e ? { start: s, end: e } : undefined;
}

/** Cuts `text` at the given positions (sorted, unique), strips each piece and drops empty ones. */
function cutAt(text: string, cuts: readonly number[]): Range[] {
  const out: Range[] = [];
  let prev = 0;
  for (const c of [...cuts, text.length]) {
    if (c <= prev) continue;
    const r = strip(text, prev, c);
    if (r) out.push(r);
    prev = c;
  }
  return out;
}

/** Splits on blank lines: the separators are removed, the pieces stripped. */
function blankLineRanges(text: string, from = 0, to = text.length): Range[] {
  // A blank line may hold spaces/tabs/CR (CRLF files); one or more of them separate paragraphs.
  const separator = /\n[^\S\n]*\n/g;
  separator.lastIndex = from;
  const out: Range[] = [];
  let prev = from;
  for (let m = separator.exec(text); m && m.index < to; m = separator.exec(text)) {
    const r = strip(text, prev, m.index);
    if (r) out.push(r);
    prev = m.index + m[0].length;
    // Allow the next separator to reuse this one's last newline (three newlines = two separators).
    separator.lastIndex = prev - 1;
  }
  const r = strip(text, prev, to);
  if (r) out.push(r);
  return out;
}

/** `sentence` mode (Thought Anchors rules): after `.?!` + whitespace and on blank lines; merge pieces < 10 chars. */
function sentenceRanges(text: string): Range[] {
  const pieces: Range[] = [];
  for (const para of blankLineRanges(text)) {
    const cuts: number[] = [];
    const boundary = /[.?!]+(?=\s)/g;
    boundary.lastIndex = para.start;
    for (let m = boundary.exec(text); m && m.index < para.end; m = boundary.exec(text)) {
      cuts.push(m.index + m[0].length);
    }
    let prev = para.start;
    for (const c of [...cuts, para.end]) {
      if (c <= prev) continue;
      const r = strip(text, prev, Math.min(c, para.end));
      if (r) pieces.push(r);
      prev = c;
    }
  }
  // Merge short pieces into the next one (into the previous one when it is the last).
  const merged: Range[] = [];
  let pending: Range | undefined;
  for (const p of pieces) {
    const cur: Range = pending ? { start: pending.start, end: p.end } : p;
    pending = undefined;
    if (cur.end - cur.start < 10) pending = cur;
    else merged.push(cur);
  }
  if (pending) {
    const last = merged.pop();
    merged.push(last ? { start: last.start, end: pending.end } : pending);
  }
  return merged;
}

/** Line starts of markdown headings (`## Step 2`) and bold label lines (`**Analysis:**`). */
function headingCuts(text: string): number[] {
  const cuts: number[] = [];
  const heading = /^[^\S\n]{0,3}(?:#{1,6}[^\S\n]+\S|\*\*[^*\n]{1,80}\*\*[^\S\n]*:?|\*\*[^*\n]{1,80}:\*\*)/gm;
  for (let m = heading.exec(text); m; m = heading.exec(text)) {
    if (m.index > 0) cuts.push(m.index);
  }
  return cuts;
}

/** Discourse markers that open a new step when they start a sentence. */
const MARKER = /(?:^|(?<=[.?!:]\s+)|(?<=\n[^\S\n]*))(?:But wait|Wait|Hmm|Alternatively|Let me (?:double-check|double check|check|verify|think again)|Actually|So|Therefore)\b/g;

function markerCuts(text: string): number[] {
  const cuts: number[] = [];
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(text); m; m = MARKER.exec(text)) {
    if (m.index > 0) cuts.push(m.index);
  }
  return cuts;
}

/** File chunks as ranges: placed ones only, sorted, overlaps clipped. */
function chunkRanges(text: string, chunks: readonly FileChunk[]): Range[] {
  const placed = chunks
    .filter((c) => c.start >= 0 && c.end > c.start && c.end <= text.length)
    .map((c) => ({ start: c.start, end: c.end }))
    .sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  let prevEnd = 0;
  for (const c of placed) {
    const start = Math.max(c.start, prevEnd);
    if (c.end <= start) continue;
    out.push({ start, end: c.end });
    prevEnd = c.end;
  }
  return out;
}

/**
 * Cuts `reasoning` into steps.
 *
 * @param reasoning the reasoning text (`Trace.reasoning`).
 * @param mode `paragraph` (default): blank lines; `sentence`; `heading`; `marker`; `file`: the file's own
 *   chunks (falls back to `paragraph` when none are given).
 * @param chunks the file's chunks, used by `file` mode.
 */
export function segment(reasoning: string, mode: SegmentationMode = 'paragraph', chunks?: readonly FileChunk[]): Step[] {
  let ranges: Range[];
  switch (mode) {
    case 'paragraph':
      ranges = blankLineRanges(reasoning);
      break;
    case 'sentence':
      ranges = sentenceRanges(reasoning);
      break;
    case 'heading':
      ranges = cutAt(reasoning, headingCuts(reasoning));
      break;
    case 'marker':
      ranges = cutAt(reasoning, markerCuts(reasoning));
      break;
    case 'file':
      ranges = chunks && chunks.length > 0 ? chunkRanges(reasoning, chunks) : blankLineRanges(reasoning);
      break;
    default: {
      const never: never = mode;
      throw new Error(`unknown segmentation mode: ${String(never)}`);
    }
  }
  return ranges.map((r, index) => ({ index, start: r.start, end: r.end, text: reasoning.slice(r.start, r.end) }));
}

/** All segmentation modes, for argument validation and UIs. */
export const SEGMENTATION_MODES: readonly SegmentationMode[] = ['paragraph', 'sentence', 'heading', 'marker', 'file'];
