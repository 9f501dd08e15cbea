/**
 * Step-level alignment of original vs pruned (or anchor-rewritten) steps, with the gestalt ratio
 * (Ratcliff/Obershelp, as difflib), and an inline character diff for changed steps.
 */
import { codePoints, SequenceMatcher } from './gestalt';

/** How an original step relates to the pruned sequence. */
export type StepPairKind = 'kept' | 'dropped' | 'changed' | 'inserted';

/** One character-level edit, in UTF-16 offsets of the two step texts (ready for `slice`). */
export interface InlineEdit {
  readonly op: 'equal' | 'delete' | 'insert' | 'replace';
  readonly originalStart: number;
  readonly originalEnd: number;
  readonly prunedStart: number;
  readonly prunedEnd: number;
}

/** One row of the alignment. */
export interface StepPair {
  readonly original: number | null;
  readonly pruned: number | null;
  /** Gestalt ratio of the pair (1 for identical, 0 for unpaired). */
  readonly ratio: number;
  readonly kind: StepPairKind;
  /** Character diff, for `changed` pairs. */
  readonly inline?: readonly InlineEdit[];
}

/** Options of `diffSteps`. */
export interface DiffOptions {
  /** Minimum ratio to pair two different steps as `changed` (default 0.6, ASAP's acceptance ratio). */
  readonly minRatio?: number;
}

/**
 * Align two step sequences in order. Identical texts are paired first (longest common subsequence);
 * between those anchors, different steps are paired by a dynamic programme that maximises the summed
 * gestalt ratio over pairs with ratio ≥ `minRatio`. Unpaired originals are `dropped`, unpaired pruned
 * steps `inserted`. Rows come in original order, inserted rows where they fall.
 */
export function diffSteps(original: readonly string[], pruned: readonly string[], options: DiffOptions = {}): StepPair[] {
  const minRatio = options.minRatio ?? 0.6;
  const pairs = lcsPairs(original, pruned);
  const rows: StepPair[] = [];
  let i = 0;
  let j = 0;
  for (const [pi, pj] of [...pairs, [original.length, pruned.length] as const]) {
    rows.push(...alignGap(original, pruned, i, pi, j, pj, minRatio));
    if (pi < original.length) rows.push({ original: pi, pruned: pj, ratio: 1, kind: 'kept' });
    i = pi + 1;
    j = pj + 1;
  }
  return rows;
}

/** Exact-equality LCS between the two sequences, as index pairs. */
function lcsPairs(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const dp = new Uint32Array((n + 1) * (m + 1));
  const w = m + 1;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i * w + j] = a[i] === b[j] ? dp[(i + 1) * w + j + 1]! + 1 : Math.max(dp[(i + 1) * w + j]!, dp[i * w + j + 1]!);
    }
  }
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push([i, j]);
      i++;
      j++;
    } else if (dp[(i + 1) * w + j]! >= dp[i * w + j + 1]!) i++;
    else j++;
  }
  return out;
}

function alignGap(
  a: readonly string[],
  b: readonly string[],
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
  minRatio: number,
): StepPair[] {
  const n = ahi - alo;
  const m = bhi - blo;
  const rows: StepPair[] = [];
  if (n === 0 || m === 0) {
    for (let i = alo; i < ahi; i++) rows.push({ original: i, pruned: null, ratio: 0, kind: 'dropped' });
    for (let j = blo; j < bhi; j++) rows.push({ original: null, pruned: j, ratio: 0, kind: 'inserted' });
    return rows;
  }
  const ratio = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const sm = new SequenceMatcher(codePoints(a[alo + i]!), codePoints(b[blo + j]!));
      const r = sm.realQuickRatio() < minRatio || sm.quickRatio() < minRatio ? 0 : sm.ratio();
      ratio[i * m + j] = r >= minRatio ? r : 0;
    }
  }
  // best[i][j] = best summed ratio aligning a[alo+i..] with b[blo+j..].
  const w = m + 1;
  const best = new Float64Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const r = ratio[i * m + j]!;
      const diag = r > 0 ? r + best[(i + 1) * w + j + 1]! : -1;
      best[i * w + j] = Math.max(diag, best[(i + 1) * w + j]!, best[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const r = ratio[i * m + j]!;
    if (r > 0 && best[i * w + j] === r + best[(i + 1) * w + j + 1]!) {
      rows.push({ original: alo + i, pruned: blo + j, ratio: r, kind: 'changed', inline: inlineDiff(a[alo + i]!, b[blo + j]!) });
      i++;
      j++;
    } else if (best[i * w + j] === best[(i + 1) * w + j]!) {
      rows.push({ original: alo + i, pruned: null, ratio: 0, kind: 'dropped' });
      i++;
    } else {
      rows.push({ original: null, pruned: blo + j, ratio: 0, kind: 'inserted' });
      j++;
    }
  }
  for (; i < n; i++) rows.push({ original: alo + i, pruned: null, ratio: 0, kind: 'dropped' });
  for (; j < m; j++) rows.push({ original: null, pruned: blo + j, ratio: 0, kind: 'inserted' });
  return rows;
}

/** UTF-16 offset of each code-point index (length + 1 entries). */
function utf16Offsets(points: readonly string[]): number[] {
  const out = [0];
  for (const p of points) out.push(out[out.length - 1]! + p.length);
  return out;
}

/** Character diff of two texts from difflib's opcodes (matching blocks), in UTF-16 offsets. */
export function inlineDiff(original: string, pruned: string): InlineEdit[] {
  const a = codePoints(original);
  const b = codePoints(pruned);
  const ao = utf16Offsets(a);
  const bo = utf16Offsets(b);
  return new SequenceMatcher(a, b).getOpcodes().map((op) => ({
    op: op.tag,
    originalStart: ao[op.aStart]!,
    originalEnd: ao[op.aEnd]!,
    prunedStart: bo[op.bStart]!,
    prunedEnd: bo[op.bEnd]!,
  }));
}
