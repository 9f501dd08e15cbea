/**
 * `loops`: drop the repeats of every loop (a cycle of steps, or a word span, repeated back to back; see
 * `core/insights/loops.ts`), keep each cycle's first occurrence and everything around the loop. Rule
 * based, no scores, no budget: a budget method can run after it on the kept steps. Ours; motivated by
 * small distilled models that repeat "Wait, …" cycles until the token limit.
 */
import { detectLoops, groupDigits, type LoopOptions, type LoopReport } from '../insights/loops';
import type { Step } from '../types';
import { makePlan, normaliseIndices, type DropReason, type PrunePlan } from './plan';
import { METHOD } from './methods';
import { STEP_SEPARATOR } from '../../shared/vocabulary';

/** Inputs of {@link loopsPrune}. */
export interface LoopsPruneOptions {
  /** Step texts, in order (as every method gets them). */
  readonly steps: readonly string[];
  readonly pinned?: Iterable<number>;
  /**
   * A loop report already computed on these steps (`detectLoops(reasoning, { steps })`), so a view
   * and the pruner agree; without it the steps are analysed here (joined by blank lines: loops are
   * found on words, so the separator does not matter).
   */
  readonly report?: LoopReport;
  /** Detection thresholds when no report is given. */
  readonly detection?: Omit<LoopOptions, 'steps'>;
}

/** Steps with offsets into their `STEP_SEPARATOR` join: what `detectLoops` needs when only texts are known. */
export function stepsOfTexts(texts: readonly string[]): { reasoning: string; steps: Step[] } {
  const steps: Step[] = [];
  let pos = 0;
  texts.forEach((text, index) => {
    if (index > 0) pos += STEP_SEPARATOR.length;
    steps.push({ index, start: pos, end: pos + text.length, text });
    pos += text.length;
  });
  return { reasoning: texts.join(STEP_SEPARATOR), steps };
}

function analyse(texts: readonly string[], detection: LoopsPruneOptions['detection']): LoopReport {
  const { reasoning, steps } = stepsOfTexts(texts);
  return detectLoops(reasoning, { ...detection, steps });
}

/**
 * Drop every step that lies wholly in a loop's repeats. Pinned steps stay (the rest of the repeats
 * still go); the first occurrence of each cycle always stays, so the reasoning is never emptied.
 */
export function loopsPrune(options: LoopsPruneOptions): PrunePlan {
  const n = options.steps.length;
  const report = options.report ?? analyse(options.steps, options.detection);
  if (report.steps.length !== n) throw new RangeError(`the loop report covers ${report.steps.length} steps, the trace has ${n}`);
  const pinned = normaliseIndices(options.pinned ?? [], n);
  const pinSet = new Set(pinned);
  const reasons = new Map<number, DropReason>();
  const notes: string[] = [];
  report.loops.forEach((loop) => {
    if (!loop.steps) return;
    const where = loop.steps.period !== undefined
      ? `the ${loop.steps.period}-step cycle that starts at step ${loop.steps.first + 1}`
      : `the ${groupDigits(loop.periodWords)}-word span that starts in step ${loop.steps.first + 1}`;
    let kept = 0;
    for (const s of loop.steps.repeats) {
      if (s >= n) continue;
      if (pinSet.has(s)) {
        kept++;
        continue;
      }
      const place = report.steps[s]?.loop;
      const score = report.steps[s]?.repetition;
      reasons.set(s, {
        method: METHOD.loops,
        ...(score !== undefined ? { score } : {}),
        scoreName: 'repetition',
        rank: 0,
        rule: `repeat ${place?.occurrence ?? '?'} of ${loop.repetitions} of ${where}`,
      });
    }
    notes.push(`${loop.description}: ${loop.steps.repeats.length - kept} step(s) of repeats dropped${kept ? `, ${kept} pinned kept` : ''}, ~${groupDigits(loop.wastedTokens)} tokens`);
  });
  // Invariant: a plan never empties the reasoning (a loop keeps its first occurrence, so this only
  // guards against a report that does not belong to these steps).
  if (n > 0 && reasons.size === n) reasons.delete(0);
  // Rank = the order a budget removes them: the last repeats first, so a loop shortens from its end.
  const ranked = new Map([...reasons.keys()].sort((a, b) => b - a).map((i, k) => [i, { ...reasons.get(i)!, rank: k + 1 }]));
  return makePlan(METHOD.loops, n, ranked, pinned, { notes });
}
