/**
 * Segmentation of reasoning text into steps (shared notes, algorithms.md "Steps (segmentation)").
 *
 * Invariant for every mode: steps are sorted, non-overlapping, `0 <= start < end <= reasoning.length`
 * and `text === reasoning.slice(start, end)`, so steps plus the gaps between them reproduce the text.
 * For the text-based modes the gaps hold whitespace only (pieces are stripped, never rewritten).
 */
import type { SegmentationMode, Step } from './types';
import { DEFAULT_SEGMENTATION } from '../shared/vocabulary';
import type { FileChunk } from './trace/types';
import { looksLikeCode } from './trace/answer';

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
  while (s < e && WHITESPACE.test(text[s]!)) s++;
  while (e > s && WHITESPACE.test(text[e - 1]!)) e--;
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

/** Sentences of `[start, end)`: cut after `.?!` + whitespace, each piece stripped. */
function sentencePieces(text: string, start: number, end: number): Range[] {
  const pieces: Range[] = [];
  const boundary = /[.?!]+(?=\s)/g;
  boundary.lastIndex = start;
  let prev = start;
  for (let m = boundary.exec(text); ; m = boundary.exec(text)) {
    const c = m && m.index < end ? m.index + m[0].length : end;
    if (c > prev) {
      const r = strip(text, prev, Math.min(c, end));
      if (r) pieces.push(r);
      prev = c;
    }
    if (c >= end) break;
  }
  return pieces;
}

/** Merges pieces shorter than `min` characters into the next one (into the previous one when it is the last). */
function mergeShort(pieces: readonly Range[], min: number): Range[] {
  const merged: Range[] = [];
  let pending: Range | undefined;
  for (const p of pieces) {
    const cur: Range = pending ? { start: pending.start, end: p.end } : p;
    pending = undefined;
    if (cur.end - cur.start < min) pending = cur;
    else merged.push(cur);
  }
  if (pending) {
    const last = merged.pop();
    merged.push(last ? { start: last.start, end: pending.end } : pending);
  }
  return merged;
}

/** `sentence` mode (Thought Anchors rules): after `.?!` + whitespace and on blank lines; merge pieces < 10 chars. */
function sentenceRanges(text: string): Range[] {
  return mergeShort(blankLineRanges(text).flatMap((para) => sentencePieces(text, para.start, para.end)), 10);
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

/** `auto` wants at least this many steps before it trusts the paragraphs. */
export const AUTO_MIN_STEPS = 4;
/** A paragraph holding more than this share of the text is cut further. */
const AUTO_DOMINANT_SHARE = 0.5;
/** Pieces shorter than this (characters) join the next one. */
const AUTO_MIN_PIECE = 24;
/** Most lines in one step of code. */
const AUTO_CODE_LINES = 8;

/** Lines of `[start, end)` grouped by `AUTO_CODE_LINES`: cuts only at line ends. */
function lineGroups(text: string, start: number, end: number): Range[] {
  const out: Range[] = [];
  let groupStart = start;
  let lines = 0;
  for (let i = start; i < end; i++) {
    if (text[i] !== '\n') continue;
    if (++lines === AUTO_CODE_LINES) {
      const r = strip(text, groupStart, i);
      if (r) out.push(r);
      groupStart = i + 1;
      lines = 0;
    }
  }
  const r = strip(text, groupStart, end);
  if (r) out.push(r);
  return out;
}

/** Sentences of a prose range, pieces under `AUTO_MIN_PIECE` joined to the next. */
function proseSentences(text: string, start: number, end: number): Range[] {
  return mergeShort(sentencePieces(text, start, end), AUTO_MIN_PIECE);
}

/** A paragraph cut into sentences, with fenced code blocks (or a paragraph that is code) cut into line groups. */
function splitParagraph(text: string, para: Range): Range[] {
  const slice = text.slice(para.start, para.end);
  if (!/```|~~~/.test(slice) && looksLikeCode(slice)) return lineGroups(text, para.start, para.end);
  const out: Range[] = [];
  const fence = /^[^\S\n]*(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^[^\S\n]*\1[^\S\n]*$|(?![\s\S]))/gm;
  let prev = 0;
  for (let m = fence.exec(slice); m; m = fence.exec(slice)) {
    if (m[0].length === 0) {
      fence.lastIndex++;
      continue;
    }
    if (m.index > prev) out.push(...proseSentences(text, para.start + prev, para.start + m.index));
    out.push(...lineGroups(text, para.start + m.index, para.start + m.index + m[0].length));
    prev = m.index + m[0].length;
  }
  if (prev < slice.length) out.push(...proseSentences(text, para.start + prev, para.end));
  return out;
}

/**
 * `auto`: paragraphs, unless the trace has fewer than {@link AUTO_MIN_STEPS} of them or one holds most
 * of the text; then the large paragraphs are cut into sentences, and code (fenced blocks, or a
 * paragraph that reads as code) into groups of whole lines.
 */
function autoRanges(text: string): Range[] {
  const paragraphs = blankLineRanges(text);
  const total = paragraphs.reduce((n, p) => n + p.end - p.start, 0);
  if (total === 0) return paragraphs;
  const largest = Math.max(...paragraphs.map((p) => p.end - p.start));
  const tooFew = paragraphs.length < AUTO_MIN_STEPS;
  if (!tooFew && largest <= AUTO_DOMINANT_SHARE * total) return paragraphs;
  const limit = tooFew ? AUTO_MIN_PIECE * 2 : total / AUTO_MIN_STEPS;
  return paragraphs.flatMap((p) => (p.end - p.start > limit ? splitParagraph(text, p) : [p]));
}

/**
 * Cuts `reasoning` into steps.
 *
 * @param reasoning the reasoning text (`Trace.reasoning`).
 * @param mode `auto` (default): paragraphs, or sentences and code line groups when the paragraphs are too
 *   few or one dominates; `paragraph`: blank lines; `sentence`; `heading`; `marker`; `file`: the file's
 *   own chunks (falls back to `auto` when none are given).
 * @param chunks the file's chunks, used by `file` mode.
 */
export function segment(reasoning: string, mode: SegmentationMode = DEFAULT_SEGMENTATION, chunks?: readonly FileChunk[]): Step[] {
  let ranges: Range[];
  switch (mode) {
    case 'auto':
      ranges = autoRanges(reasoning);
      break;
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
      ranges = chunks && chunks.length > 0 ? chunkRanges(reasoning, chunks) : autoRanges(reasoning);
      break;
    default: {
      const never: never = mode;
      throw new Error(`unknown segmentation mode: ${String(never)}`);
    }
  }
  return ranges.map((r, index) => ({ index, start: r.start, end: r.end, text: reasoning.slice(r.start, r.end) }));
}
