/**
 * Dangling references after pruning (SPIRIT, arXiv 2502.13260, shows "36" derived in a removed step and
 * used later): a number or identifier introduced only in dropped steps and used in a kept later step.
 *
 * Rule (ours):
 * - Numbers: integers with ≥ 2 digits (one-digit integers are everywhere: enumerations, small
 *   coefficients), decimals (`3.14`, `0.5`) and fractions (`3/4`, `-5/12` as `5/12`). A number is one
 *   token: `36` does not match inside `360`, `3.6` or `36/7`; thousands separators are removed.
 * - Identifiers: names that look like code or indexed math, not English: containing `_` (`x_1`,
 *   `max_val`), camelCase (`maxSum`), one to three letters followed by digits (`x1`, `a2`, `dp2`), or
 *   a name of ≥ 2 characters directly followed by `[` or `(` (`dp[i]`, `gcd(`) or assigned with `=`
 *   (`dp = …`). Single letters and capitalised words are left out (too noisy). A word glued to a
 *   number is a missing space, not a name: `and5`, `is6`, `at1`, `becomes5` (a short English word, or
 *   four or more letters, before the digits) are no identifiers, and their digits no number.
 * - "Introduced": the first step (in order) that mentions the token is dropped, and the token does not
 *   occur in the context (the prompt). It dangles when some kept step after that step mentions it.
 */

/** One dangling reference. */
export interface DanglingReference {
  readonly token: string;
  readonly kind: 'number' | 'identifier';
  /** The dropped step that introduces it (the first mention). */
  readonly sourceStep: number;
  /** Kept steps after `sourceStep` that use it. */
  readonly usedInSteps: readonly number[];
}

const NUMBER = /(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\/\d+(?:\.\d+)?)?(?![\w]|\.\d)/g;
const ENGLISH_CALLS = new Set(['if', 'is', 'in', 'of', 'or', 'as', 'at', 'be', 'by', 'do', 'so', 'to', 'we', 'an', 'it', 'on', 'up', 'and', 'the', 'for', 'but', 'not', 'are', 'was', 'let', 'then', 'with', 'from', 'this', 'that', 'which', 'where', 'when', 'also', 'case', 'step', 'part', 'each', 'both', 'term', 'terms', 'note', 'value', 'values', 'equation', 'equations']);
const IDENTIFIER_PATTERNS: readonly RegExp[] = [
  /(?<![\w\\])[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+/g, // x_1, max_val
  /(?<![\w\\])[a-z]+[A-Z][A-Za-z0-9]*/g, // camelCase
  /(?<![\w\\])[A-Za-z]{1,3}\d+\b/g, // x1, a2, dp2 (not becomes5: see GLUED_WORDS)
  /(?<![\w\\])([a-z][a-z0-9]+)(?=\[|\()/g, // dp[i], gcd(
  /(?<![\w\\])([a-z][a-z0-9]+)(?=\s*=(?!=))/g, // dp = …
];

/**
 * Short English words that a missing space glues to a number in real traces ("Days4 and5", "H is6",
 * "at1", "add2", "by5"): letters-then-digits with these letters are typos, not names.
 */
const GLUED_WORDS = new Set([
  'an', 'as', 'at', 'be', 'by', 'do', 'go', 'if', 'in', 'is', 'it', 'me', 'my', 'no', 'of', 'on', 'or', 'so', 'to', 'up', 'us', 'we',
  'add', 'all', 'and', 'any', 'are', 'but', 'can', 'day', 'did', 'for', 'get', 'got', 'had', 'has', 'its', 'let', 'may', 'not', 'now',
  'off', 'one', 'our', 'out', 'put', 'see', 'set', 'the', 'too', 'two', 'use', 'was', 'way', 'yes', 'yet', 'you',
]);

/** Numbers a text mentions (normalised: thousands separators removed). */
export function extractNumbers(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(NUMBER)) {
    const token = m[0].replace(/,/g, '');
    if (/^\d$/.test(token)) continue;
    out.add(token);
  }
  return out;
}

/** Identifiers a text introduces or uses (see the module comment for the rule). */
export function extractIdentifiers(text: string): Set<string> {
  const out = new Set<string>();
  for (const re of IDENTIFIER_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const name = m[1] ?? m[0];
      if (ENGLISH_CALLS.has(name.toLowerCase())) continue;
      const glued = /^([A-Za-z]+)\d+$/.exec(name);
      if (glued && GLUED_WORDS.has(glued[1]!.toLowerCase())) continue;
      out.add(name);
    }
  }
  return out;
}

function mentions(text: string, token: string, kind: 'number' | 'identifier'): boolean {
  if (kind === 'number') return extractNumbers(text).has(token);
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w\\\\])${escaped}(?!\\w)`).test(text);
}

/** Inputs of `findDanglingReferences`. */
export interface DanglingOptions {
  readonly steps: readonly string[];
  /** Kept step indices (e.g. `PrunePlan.kept`). */
  readonly kept: readonly number[];
  /** Text that precedes the reasoning (the prompt): tokens it mentions are not introduced by any step. */
  readonly context?: string;
}

/** Flag numbers and identifiers introduced only in dropped steps and used in later kept steps. */
export function findDanglingReferences(options: DanglingOptions): DanglingReference[] {
  const { steps } = options;
  const kept = new Set(options.kept);
  const context = options.context ?? '';
  const firstMention = new Map<string, { step: number; kind: 'number' | 'identifier' }>();
  steps.forEach((text, i) => {
    for (const t of extractNumbers(text)) if (!firstMention.has(`n:${t}`)) firstMention.set(`n:${t}`, { step: i, kind: 'number' });
    for (const t of extractIdentifiers(text)) if (!firstMention.has(`i:${t}`)) firstMention.set(`i:${t}`, { step: i, kind: 'identifier' });
  });
  const out: DanglingReference[] = [];
  for (const [key, { step, kind }] of firstMention) {
    if (kept.has(step)) continue;
    const token = key.slice(2);
    if (mentions(context, token, kind)) continue;
    // An identifier first *introduced* in a dropped step may be mentioned earlier in plain use; the
    // extraction above only sees introducing forms, so check earlier kept steps too.
    let usedEarlier = false;
    for (let j = 0; j < step && !usedEarlier; j++) if (kept.has(j) && mentions(steps[j]!, token, kind)) usedEarlier = true;
    if (usedEarlier) continue;
    const usedInSteps: number[] = [];
    for (let j = step + 1; j < steps.length; j++) if (kept.has(j) && mentions(steps[j]!, token, kind)) usedInSteps.push(j);
    if (usedInSteps.length) out.push({ token, kind, sourceStep: step, usedInSteps });
  }
  return out.sort((a, b) => a.sourceStep - b.sourceStep || a.usedInSteps[0]! - b.usedInSteps[0]! || (a.token < b.token ? -1 : 1));
}
