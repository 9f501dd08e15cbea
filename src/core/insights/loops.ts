/**
 * Loop detection in one trace: spans of the reasoning repeated back to back ("a 3-step cycle repeated
 * 15 times"), the waste they cost, and a per-step `repetition` score for heat maps and hovers.
 *
 * Two views of the same text, both exact (verbatim repetition, whitespace aside):
 * - step cycles: the sequence of steps, each step one unit (equal word sequences are equal steps);
 * - word cycles: the sequence of words, seeded by repeated `windowWords`-word spans, for loops that
 *   do not follow step boundaries (a sentence cycle inside one long paragraph).
 * Candidates are kept greedily by wasted words without overlaps; a step cycle is preferred when it
 * explains most of a word cycle's waste, because it can be pruned step by step.
 *
 * Pure and O(n) in the length of the reasoning (plus the lengths of the runs it verifies).
 */
import { estimateTokens } from '../session';
import type { Step } from '../types';
import { scanSpans, type PeriodicRun } from './periodic';
import { sequenceKey, WordScanner, type WordList } from './words';
import { formatCount } from '../../shared/format';

/** Options of {@link detectLoops}. */
export interface LoopOptions {
  /** Steps of the reasoning (`segment(...)`): enables step cycles, step indices and per-step scores. */
  readonly steps?: readonly Step[];
  /**
   * Character offsets (ascending) at which the reasoning's tokens start, for exact token counts (e.g.
   * the `start` of the file's logprob tokens of the reasoning region). Without them tokens are
   * estimated at ~4 characters each.
   */
  readonly tokenStarts?: ArrayLike<number>;
  /** Shortest repeated span that seeds a word cycle and counts toward `repetition` (default 10 words, ~60-80 characters). */
  readonly windowWords?: number;
  /** Fewest occurrences of a cycle for a loop (default 3: the cycle and two repeats). */
  readonly minRepetitions?: number;
  /** Fewest words in the repeats (everything after the first occurrence) for a loop (default 30). */
  readonly minWastedWords?: number;
}

/** Earlier occurrences of a step tried as the start of its cycle (cycles of up to this many repeated steps). */
const STEP_CANDIDATES = 16;

/** Default options, for UIs that show them. */
export const LOOP_DEFAULTS = { windowWords: 10, minRepetitions: 3, minWastedWords: 30 } as const;

/** Steps covered by a loop. */
export interface LoopSteps {
  /** First and last step (0-based, inclusive) that overlap the loop. */
  readonly first: number;
  readonly last: number;
  /** Steps per cycle, when the loop is a step cycle (`unit === 'step'`). */
  readonly period?: number;
  /** Steps that lie wholly in the repeats: what a pruner may remove. */
  readonly repeats: readonly number[];
}

/** One loop: a cycle and its back-to-back repeats. Offsets are into the reasoning, `[start, end)`. */
export interface Loop {
  /** `step`: whole steps repeat; `word`: a word span repeats regardless of step boundaries. */
  readonly unit: 'step' | 'word';
  readonly start: number;
  readonly end: number;
  /** End of the first occurrence: `[start, cycleEnd)` is kept by a pruner, `[cycleEnd, end)` is waste. */
  readonly cycleEnd: number;
  /** Words per cycle. */
  readonly periodWords: number;
  /** Occurrences of the cycle, counting the first and a last one cut short. */
  readonly repetitions: number;
  /** True when the last occurrence is cut short (often the token limit). */
  readonly partial: boolean;
  readonly wastedWords: number;
  readonly wastedChars: number;
  readonly wastedTokens: number;
  readonly steps?: LoopSteps;
  /** For people: "steps 41-87: a 3-step cycle repeated 15 times". */
  readonly description: string;
}

/** Where a step stands in a loop. */
export interface StepLoopPlace {
  /** Index into `LoopReport.loops`. */
  readonly loop: number;
  /** 1 for the first occurrence, 2… for repeats. */
  readonly occurrence: number;
  /** `Loop.repetitions`. */
  readonly of: number;
}

/** Per-step figures. */
export interface StepRepetition {
  readonly index: number;
  /** Share of the step's words inside a `windowWords`-word span already seen earlier in the trace, 0..1. */
  readonly repetition: number;
  /** `loop` when the step lies in a loop (first occurrence included). */
  readonly label?: 'loop';
  readonly loop?: StepLoopPlace;
}

/** Everything {@link detectLoops} found. */
export interface LoopReport {
  readonly loops: readonly Loop[];
  /** Per step, index-aligned with `options.steps` (empty without steps). */
  readonly steps: readonly StepRepetition[];
  readonly words: number;
  /** Share of all words inside a repeated span, 0..1 (see `StepRepetition.repetition`). */
  readonly repetition: number;
  readonly tokens: number;
  /** Sum of the loops' wasted tokens. */
  readonly wastedTokens: number;
  /** The `windowWords`-word span seen most often anywhere in the trace (back to back or not). */
  readonly mostRepeatedSpan?: { readonly start: number; readonly end: number; readonly count: number };
}

/** Buffers reused across calls (detection runs once per trace over whole datasets). */
const wordScanner = new WordScanner();
let repeatedBuffer = new Uint8Array(4096);

/** Counts tokens of `[start, end)`: exact from token starts, else the ~4-characters estimate. */
function tokenCounter(text: string, tokenStarts: ArrayLike<number> | undefined): (start: number, end: number) => number {
  if (!tokenStarts || tokenStarts.length === 0) return (start, end) => estimateTokens(text.slice(start, end));
  return (start, end) => firstAtOrAfter(tokenStarts, end) - firstAtOrAfter(tokenStarts, start);
}

/** First index `i` in `[0, arr.length]` with `arr[i] >= x` (ascending `arr`). */
function firstAtOrAfter(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A loop before selection and before its steps are placed. */
type Candidate = Pick<Loop, 'unit' | 'start' | 'end' | 'cycleEnd' | 'periodWords' | 'repetitions' | 'partial' | 'wastedWords'> & {
  /** Step cycles: first step, steps per cycle, step count of the run. */
  readonly stepRun?: { readonly first: number; readonly period: number; readonly length: number };
};

/** Word index range `[from, to)` of each step (words that start inside it): one merge of two sorted lists. */
function stepWordRanges(words: WordList, steps: readonly Step[]): Int32Array {
  const ranges = new Int32Array(steps.length * 2);
  let w = 0;
  steps.forEach((s, i) => {
    while (w < words.count && words.starts[w]! < s.start) w++;
    ranges[2 * i] = w;
    while (w < words.count && words.starts[w]! < s.end) w++;
    ranges[2 * i + 1] = w;
  });
  return ranges;
}

/** 12345 → "12,345": the shared count formatter (one cached Intl.NumberFormat, src/shared/format.ts). */
export const groupDigits: (n: number) => string = formatCount;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${groupDigits(n)} ${n === 1 ? one : many}`;
}

/** The loops of one reasoning text, a repetition score per step, and the waste in tokens. */
export function detectLoops(reasoning: string, options: LoopOptions = {}): LoopReport {
  const windowWords = options.windowWords ?? LOOP_DEFAULTS.windowWords;
  const minRepetitions = Math.max(2, options.minRepetitions ?? LOOP_DEFAULTS.minRepetitions);
  const minWastedWords = options.minWastedWords ?? LOOP_DEFAULTS.minWastedWords;
  const steps = options.steps ?? [];
  const countTokens = tokenCounter(reasoning, options.tokenStarts);
  const words = wordScanner.scan(reasoning);
  if (repeatedBuffer.length < words.count) repeatedBuffer = new Uint8Array(words.count * 2);
  const wordScan = scanSpans(words.keys, windowWords, minRepetitions, 1, repeatedBuffer);
  const candidates: Candidate[] = [];
  const charStartOfWord = (w: number): number => words.starts[w]!;
  const charEndOfWord = (w: number): number => words.ends[w - 1]!;

  for (const run of wordScan.runs) {
    const c = fromWordRun(run);
    if (c) candidates.push(c);
  }
  function fromWordRun(run: PeriodicRun): Candidate | undefined {
    const length = run.end - run.start;
    const wasted = length - run.period;
    if (wasted < minWastedWords) return undefined;
    return {
      unit: 'word',
      start: charStartOfWord(run.start),
      end: charEndOfWord(run.end),
      cycleEnd: charEndOfWord(run.start + run.period),
      periodWords: run.period,
      repetitions: Math.ceil(length / run.period),
      partial: length % run.period !== 0,
      wastedWords: wasted,
    };
  }

  const wordRanges = stepWordRanges(words, steps);
  if (steps.length > 1) {
    const stepKeys = new Float64Array(steps.length);
    for (let i = 0; i < steps.length; i++) stepKeys[i] = sequenceKey(words.keys, wordRanges[2 * i]!, wordRanges[2 * i + 1]!);
    // One-step windows: also try older occurrences, for cycles whose every step recurs inside the cycle.
    for (const run of scanSpans(stepKeys, 1, minRepetitions, STEP_CANDIDATES).runs) {
      const length = run.end - run.start;
      const firstWord = wordRanges[2 * run.start]!;
      const cycleWords = wordRanges[2 * (run.start + run.period)]! - firstWord;
      const wasted = wordRanges[2 * (run.end - 1) + 1]! - wordRanges[2 * (run.start + run.period)]!;
      if (wasted < minWastedWords || cycleWords === 0) continue;
      candidates.push({
        unit: 'step',
        start: steps[run.start]!.start,
        end: steps[run.end - 1]!.end,
        cycleEnd: steps[run.start + run.period - 1]!.end,
        periodWords: cycleWords,
        repetitions: Math.ceil(length / run.period),
        partial: length % run.period !== 0,
        wastedWords: wasted,
        stepRun: { first: run.start, period: run.period, length },
      });
    }
  }

  // Greedy selection: most waste first; a step cycle counts 25% more (it is pruned step by step).
  const weight = (c: Candidate): number => c.wastedWords * (c.unit === 'step' ? 1.25 : 1);
  candidates.sort((a, b) => weight(b) - weight(a) || a.start - b.start);
  const chosen: Candidate[] = [];
  for (const c of candidates) {
    if (chosen.some((o) => c.start < o.end && o.start < c.end)) continue;
    chosen.push(c);
  }
  chosen.sort((a, b) => a.start - b.start);

  const stepPlaces: (StepLoopPlace | undefined)[] = new Array<StepLoopPlace | undefined>(steps.length);
  const stepEnds = chosen.length > 0 ? Int32Array.from(steps, (s) => s.end) : new Int32Array(0);
  const loops: Loop[] = chosen.map((c, loopIndex) => {
    const wastedChars = c.end - c.cycleEnd;
    const wastedTokens = countTokens(c.cycleEnd, c.end);
    let loopSteps: LoopSteps | undefined;
    // The first step that ends after the loop starts (none when the loop lies past the last step).
    const first = firstAtOrAfter(stepEnds, c.start + 1);
    if (first < steps.length && steps[first]!.start < c.end) {
      let last = first;
      while (last + 1 < steps.length && steps[last + 1]!.start < c.end) last++;
      const repeats: number[] = [];
      for (let s = first; s <= last; s++) {
        const step = steps[s]!;
        const inRepeats = step.start >= c.cycleEnd && step.end <= c.end;
        if (inRepeats) repeats.push(s);
        const occurrence = c.stepRun
          ? Math.floor((s - c.stepRun.first) / c.stepRun.period) + 1
          : inRepeats
            ? Math.min(c.repetitions, Math.floor(wordOffset(step.start) / c.periodWords) + 1)
            : 1;
        stepPlaces[s] = { loop: loopIndex, occurrence, of: c.repetitions };
      }
      loopSteps = { first, last, ...(c.stepRun ? { period: c.stepRun.period } : {}), repeats };
    }
    return {
      unit: c.unit,
      start: c.start,
      end: c.end,
      cycleEnd: c.cycleEnd,
      periodWords: c.periodWords,
      repetitions: c.repetitions,
      partial: c.partial,
      wastedWords: c.wastedWords,
      wastedChars,
      wastedTokens,
      ...(loopSteps ? { steps: loopSteps } : {}),
      description: describe(c, loopSteps),
    };
    /** Words from the loop's start to `char` (which occurrence a word-cycle step falls in). */
    function wordOffset(char: number): number {
      return firstAtOrAfter(words.starts, char) - firstAtOrAfter(words.starts, c.start);
    }
  });

  const stepReports: StepRepetition[] = steps.map((s, i) => {
    const from = wordRanges[2 * i]!;
    const to = wordRanges[2 * i + 1]!;
    let rep = 0;
    for (let w = from; w < to; w++) rep += wordScan.repeated[w]!;
    const place = stepPlaces[i];
    return { index: i, repetition: to > from ? rep / (to - from) : 0, ...(place ? { label: 'loop' as const, loop: place } : {}) };
  });

  let repeatedWords = 0;
  for (let w = 0; w < words.count; w++) repeatedWords += wordScan.repeated[w]!;
  const span = wordScan.mostRepeated;
  return {
    loops,
    steps: stepReports,
    words: words.count,
    repetition: words.count ? repeatedWords / words.count : 0,
    tokens: countTokens(0, reasoning.length),
    wastedTokens: loops.reduce((sum, l) => sum + l.wastedTokens, 0),
    ...(span.count > 1 ? { mostRepeatedSpan: { start: words.starts[span.start]!, end: words.ends[span.start + windowWords - 1]!, count: span.count } } : {}),
  };
}

/** "steps 41-87: a 3-step cycle repeated 15 times" / "characters 120-4,300: a 25-word span repeated 7 times". */
function describe(c: Candidate, steps: LoopSteps | undefined): string {
  const where = steps
    ? steps.first === steps.last
      ? `step ${steps.first + 1}`
      : `steps ${steps.first + 1}-${steps.last + 1}`
    : `characters ${groupDigits(c.start)}-${groupDigits(c.end)}`;
  const what = c.stepRun ? `a ${c.stepRun.period}-step cycle` : `a ${groupDigits(c.periodWords)}-word span`;
  const cut = c.partial ? ', the last one cut short' : '';
  return `${where}: ${what} repeated ${plural(c.repetitions, 'time')}${cut} (${plural(c.wastedWords, 'word')} of repeats)`;
}
