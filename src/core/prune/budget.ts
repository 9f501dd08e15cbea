/**
 * Token budgets: a ratio of the trace's tokens, an absolute count, or difficulty-aware (DAP).
 */
import { isReflectionStep } from './reflection';

/** How much of the trace may remain. */
export type Budget =
  | { readonly kind: 'ratio'; readonly ratio: number }
  | { readonly kind: 'tokens'; readonly tokens: number }
  | { readonly kind: 'difficulty'; readonly ratios?: Partial<DifficultyRatios>; readonly thresholds?: Partial<DifficultyThresholds> };

/** Difficulty levels of DAP (arXiv 2505.19716). */
export type DifficultyLevel = 'simple' | 'moderate' | 'complex';

/** Kept-token ratio per level. */
export type DifficultyRatios = Readonly<Record<DifficultyLevel, number>>;

/** Cut-offs of our difficulty rule (see `rateDifficulty`). */
export interface DifficultyThresholds {
  /** At most this many tokens (and low reflection) → simple. */
  readonly simpleMaxTokens: number;
  /** More than this many tokens → complex. */
  readonly complexMinTokens: number;
  /** Reflection density ≤ this may be simple. */
  readonly simpleMaxReflection: number;
  /** Reflection density ≥ this → complex. */
  readonly complexMinReflection: number;
}

/** ASAP's default kept ratio (arXiv 2508.05988). */
export const ASAP_DEFAULT_RATIO = 0.8;

/**
 * Our ratios per level. DAP prunes easy problems hardest and keeps most of a hard problem's reasoning;
 * the numbers are ours (the paper's budgets are in the teacher's prompt, not ratios).
 */
export const DEFAULT_DIFFICULTY_RATIOS: DifficultyRatios = { simple: 0.4, moderate: 0.6, complex: 0.8 };

/** Our cut-offs (tokens of the reasoning, fraction of steps that are reflection). */
export const DEFAULT_DIFFICULTY_THRESHOLDS: DifficultyThresholds = {
  simpleMaxTokens: 1000,
  complexMinTokens: 4000,
  simpleMaxReflection: 0.1,
  complexMinReflection: 0.25,
};

/** A difficulty rating with the figures and the rule that produced it. */
export interface DifficultyRating {
  readonly level: DifficultyLevel;
  readonly tokens: number;
  /** Reflection steps / all steps (0 when there are no steps). */
  readonly reflectionDensity: number;
  readonly rule: string;
}

/**
 * Rate a trace simple / moderate / complex (DAP, arXiv 2505.19716 rates the problem with a teacher model;
 * ours is a transparent rule on the trace itself):
 * - complex: tokens > complexMinTokens (4,000) OR reflection density ≥ complexMinReflection (25%);
 * - simple: tokens ≤ simpleMaxTokens (1,000) AND reflection density ≤ simpleMaxReflection (10%);
 * - moderate otherwise.
 * Reflection density = share of steps that open with Wait / Hmm / Let me check / verify … (`reflection.ts`).
 */
export function rateDifficulty(
  tokens: number,
  stepTexts: readonly string[],
  thresholds: Partial<DifficultyThresholds> = {},
): DifficultyRating {
  const th = { ...DEFAULT_DIFFICULTY_THRESHOLDS, ...thresholds };
  const reflections = stepTexts.filter(isReflectionStep).length;
  const reflectionDensity = stepTexts.length ? reflections / stepTexts.length : 0;
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  const figures = `${tokens} tokens, ${reflections}/${stepTexts.length} reflection steps (${pct(reflectionDensity)})`;
  if (tokens > th.complexMinTokens || reflectionDensity >= th.complexMinReflection) {
    return { level: 'complex', tokens, reflectionDensity, rule: `complex: ${figures}; > ${th.complexMinTokens} tokens or ≥ ${pct(th.complexMinReflection)} reflection` };
  }
  if (tokens <= th.simpleMaxTokens && reflectionDensity <= th.simpleMaxReflection) {
    return { level: 'simple', tokens, reflectionDensity, rule: `simple: ${figures}; ≤ ${th.simpleMaxTokens} tokens and ≤ ${pct(th.simpleMaxReflection)} reflection` };
  }
  return { level: 'moderate', tokens, reflectionDensity, rule: `moderate: ${figures}` };
}

/** A budget turned into a token target. */
export interface ResolvedBudget {
  /** The kept text must have at most this many tokens. */
  readonly target: number;
  /** In words, e.g. "80% of 1,250 tokens = 1,000". */
  readonly description: string;
  readonly difficulty?: DifficultyRating;
}

/**
 * Turn a budget into a token target. Ratio targets are `floor(ratio × tokens)` (Python's `int()`, as in
 * ASAP's script); `stepTexts` is needed only by the difficulty-aware budget.
 */
export function resolveBudget(budget: Budget | number, totalTokens: number, stepTexts: readonly string[] = []): ResolvedBudget {
  const b: Budget = typeof budget === 'number' ? { kind: 'ratio', ratio: budget } : budget;
  switch (b.kind) {
    case 'ratio': {
      checkRatio(b.ratio);
      const target = Math.floor(b.ratio * totalTokens);
      return { target, description: `${fmtPct(b.ratio)} of ${totalTokens} tokens = ${target}` };
    }
    case 'tokens': {
      if (!(b.tokens >= 0)) throw new RangeError(`token budget must be ≥ 0, got ${b.tokens}`);
      return { target: Math.floor(b.tokens), description: `at most ${Math.floor(b.tokens)} tokens` };
    }
    case 'difficulty': {
      const difficulty = rateDifficulty(totalTokens, stepTexts, b.thresholds);
      const ratio = { ...DEFAULT_DIFFICULTY_RATIOS, ...b.ratios }[difficulty.level];
      checkRatio(ratio);
      const target = Math.floor(ratio * totalTokens);
      return { target, difficulty, description: `${difficulty.level} (${difficulty.rule}): ${fmtPct(ratio)} of ${totalTokens} tokens = ${target}` };
    }
    default: {
      const never: never = b;
      throw new Error(`unknown budget ${JSON.stringify(never)}`);
    }
  }
}

function checkRatio(r: number): void {
  if (!(r >= 0 && r <= 1)) throw new RangeError(`budget ratio must be in [0, 1], got ${r}`);
}

function fmtPct(r: number): string {
  return `${Math.round(r * 1000) / 10}%`;
}
