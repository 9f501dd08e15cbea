/**
 * ConCISE-style redundant-reflection finder (arXiv 2505.04881). ConCISE detects with a probing prompt;
 * ours is a transparent rule on the text and the per-step DeepConf confidence:
 *
 * 1. Answer step A: the first step that states the final answer (same normalised value: `\boxed{…}`,
 *    `#### N`, "the answer is …", or the right-hand side of a final `= …`) with confidence ≥ threshold.
 * 2. Termination delay: after A, every reflection step (opens with Wait / Hmm / Let me check / verify /
 *    double-check / Alternatively / But wait …, see `reflection.ts`) and the non-reflection steps that
 *    continue its check, up to (not including) the next step that states the final answer again.
 * 3. Confidence deficit: before A, a reflection step whose stated results (values after `=`, boxed, …),
 *    or, when it states none ("Wait, let me double-check."), those of the step right after it, were all
 *    already stated in an earlier step with confidence ≥ threshold: it re-checks a result the model was
 *    already sure of and reaches it again. Both the reflection step and that next step are candidates.
 *
 * Threshold default: the median step confidence of the trace (ours). Without any confidence the rule
 * runs on text alone (every step counts as confident) and says so in the notes.
 */
import { makePlan, normaliseIndices, type DropReason, type PrunePlan } from './plan';
import { METHOD } from './methods';
import { isReflectionStep, reflectionMarker } from './reflection';

/** Kinds of redundant reflection. */
export type ReflectionKind = 'termination-delay' | 'confidence-deficit';

/** One candidate step. */
export interface ReflectionCandidate {
  readonly index: number;
  readonly kind: ReflectionKind;
  readonly rule: string;
}

/** What the rule found, for the UI. */
export interface ConfidenceAnalysis {
  /** Step where the final answer is first stated confidently, or null. */
  readonly answerStep: number | null;
  readonly threshold: number;
  readonly candidates: readonly ReflectionCandidate[];
}

/** Inputs of `confidencePrune`. */
export interface ConfidenceOptions {
  readonly steps: readonly string[];
  /** Per-step DeepConf confidence (`StepScores.confidence`); higher = more confident. */
  readonly confidence?: readonly (number | undefined)[];
  /** The trace's final answer (e.g. `Trace.finalAnswer`); compared by normalised value. */
  readonly finalAnswer: string;
  /** Confidence threshold; default the median step confidence. */
  readonly threshold?: number;
  /** Which kinds to drop (both by default). */
  readonly drop?: { readonly terminationDelay?: boolean; readonly confidenceDeficit?: boolean };
  readonly pinned?: Iterable<number>;
}

/** Result: the plan, and the analysis behind it. */
export interface ConfidenceResult {
  readonly plan: PrunePlan;
  readonly analysis: ConfidenceAnalysis;
}

/**
 * Normalise an answer for comparison: drops `$`, `\boxed{}`, `\text{}`, `\left`/`\right`, spacing macros,
 * whitespace, a trailing period and thousands separators; `\dfrac{a}{b}` → `a/b`; lower case. Plain
 * numbers (integers, decimals, `a/b` fractions, with sign) become a canonical decimal, so `0.5`, `1/2`
 * and `\frac{1}{2}` compare equal.
 */
export function normaliseAnswer(raw: string): string {
  let s = raw.trim();
  s = unwrapMacro(s, '\\boxed');
  s = unwrapMacro(s, '\\text');
  s = unwrapMacro(s, '\\mathrm');
  s = s.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, '($1)/($2)').replace(/\\[dt]?frac\s*(\d)(\d)/g, '$1/$2');
  s = s.replace(/\\left|\\right|\\[,;:! ]|\$|\\\(|\\\)|\\\[|\\\]/g, '');
  s = s.replace(/\s+/g, '').replace(/\.$/, '').replace(/(\d),(?=\d{3}(?!\d))/g, '$1').toLowerCase();
  s = s.replace(/\((-?\d+(?:\.\d+)?)\)/g, '$1');
  const value = numericValue(s);
  return value === undefined ? s : canonicalNumber(value);
}

function unwrapMacro(s: string, macro: string): string {
  let out = s;
  for (;;) {
    const at = out.indexOf(`${macro}{`);
    if (at < 0) return out;
    const open = at + macro.length;
    const close = matchingBrace(out, open);
    if (close < 0) return out;
    out = out.slice(0, at) + out.slice(open + 1, close) + out.slice(close + 1);
  }
}

function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function numericValue(s: string): number | undefined {
  const m = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)(?:\/(\d+(?:\.\d+)?))?$/.exec(s);
  if (!m) return undefined;
  const num = Number(m[2]);
  const den = m[3] === undefined ? 1 : Number(m[3]);
  if (!den) return undefined;
  return (m[1] === '-' ? -1 : 1) * (num / den);
}

function canonicalNumber(v: number): string {
  return String(Number(v.toPrecision(12)));
}

const NUMBER_OR_FRAC = String.raw`-?\s*(?:\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\}|\d+(?:,\d{3})*(?:\.\d+)?(?:\s*/\s*\d+)?)`;
const ANSWER_IS = /\banswer\s*(?:is|:|=)\s*:?\s*([^\n]+?)(?=\s*(?:[.;!?](?:\s|$)|\n|$))/gi;
const HASHES = /^####\s*(.+)$/gm;
const EQUALS_RHS = new RegExp(String.raw`(?<![=<>!])=(?!=)\s*\$?\s*(${NUMBER_OR_FRAC})`, 'g');
const IS_VALUE = new RegExp(String.raw`\b(?:is|be|equals|gives|get)\s+\$?(${NUMBER_OR_FRAC})(?=\$?\s*(?:[.,;!?](?:\s|$)|\n|$))`, 'gi');

/**
 * Values a step states as results: `\boxed{…}` contents, `#### N`, "the answer is X", the value right
 * after each `=`, and "is/equals/gives X" with X a number at the end of a clause. Raw, not normalised.
 */
export function statedValues(text: string): string[] {
  const out: string[] = [];
  let at = text.indexOf('\\boxed{');
  while (at >= 0) {
    const close = matchingBrace(text, at + 6);
    if (close < 0) break;
    out.push(text.slice(at + 7, close));
    at = text.indexOf('\\boxed{', close);
  }
  for (const re of [HASHES, ANSWER_IS, EQUALS_RHS, IS_VALUE]) {
    for (const m of text.matchAll(re)) out.push(m[1]!.trim());
  }
  return out;
}

/** True when the step states `finalAnswer` (by normalised value). */
export function statesAnswer(text: string, finalAnswer: string): boolean {
  const target = normaliseAnswer(finalAnswer);
  return target.length > 0 && statedValues(text).some((v) => normaliseAnswer(v) === target);
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Find termination-delay and confidence-deficit candidates (no plan). */
export function analyseReflection(options: ConfidenceOptions): { analysis: ConfidenceAnalysis; notes: string[] } {
  const { steps, finalAnswer } = options;
  const notes: string[] = [];
  const conf = options.confidence ?? [];
  const finite = conf.filter((c): c is number => c !== undefined && Number.isFinite(c));
  const textOnly = finite.length === 0;
  if (textOnly) notes.push('no step confidence: the rule ran on the text alone (every step counts as confident)');
  const threshold = options.threshold ?? (textOnly ? Number.NaN : median(finite));
  const confident = (i: number): boolean => {
    if (textOnly) return true;
    const c = conf[i];
    return c !== undefined && Number.isFinite(c) && c >= threshold;
  };
  const reflection = steps.map(isReflectionStep);
  const answerAt = steps.map((s) => statesAnswer(s, finalAnswer));
  let answerStep: number | null = null;
  for (let i = 0; i < steps.length; i++) {
    if (answerAt[i] && confident(i)) {
      answerStep = i;
      break;
    }
  }
  if (answerStep === null) notes.push(`no step states the final answer "${finalAnswer}" with confidence ≥ threshold`);
  const candidates: ReflectionCandidate[] = [];
  const fmt = (c: number | undefined): string => (c === undefined || !Number.isFinite(c) ? 'n/a' : c.toFixed(3));

  // Confidence deficit: before A (or everywhere when there is no A).
  const end = answerStep ?? steps.length;
  const firstConfidentStatement = new Map<string, number>();
  const taken = new Set<number>();
  for (let i = 0; i < end; i++) {
    if (reflection[i] && !taken.has(i)) {
      let checked = [i];
      let values = statedValues(steps[i]!).map(normaliseAnswer);
      if (!values.length && i + 1 < end && !reflection[i + 1]) {
        checked = [i, i + 1];
        values = statedValues(steps[i + 1]!).map(normaliseAnswer);
      }
      const sources = values.map((v) => firstConfidentStatement.get(v));
      if (values.length && sources.every((s) => s !== undefined)) {
        const src = sources[0]!;
        for (const k of checked) {
          taken.add(k);
          candidates.push({
            index: k,
            kind: 'confidence-deficit',
            rule: `${k === i ? `reflection ("${reflectionMarker(steps[i]!) ?? ''}")` : 'check following a reflection'} re-derives ${[...new Set(values)].join(', ')}, already stated in step ${src + 1} with confidence ${fmt(conf[src])} ≥ ${fmt(threshold)}`,
          });
        }
      }
    }
    if (confident(i)) for (const v of statedValues(steps[i]!).map(normaliseAnswer)) if (!firstConfidentStatement.has(v)) firstConfidentStatement.set(v, i);
  }

  // Termination delay: after A.
  if (answerStep !== null) {
    let inEpisode = false;
    for (let i = answerStep + 1; i < steps.length; i++) {
      if (reflection[i]) inEpisode = true;
      else if (answerAt[i]) {
        inEpisode = false;
        continue;
      }
      if (inEpisode) {
        candidates.push({
          index: i,
          kind: 'termination-delay',
          rule: reflection[i]
            ? `reflection ("${reflectionMarker(steps[i]!) ?? ''}") after the answer was stated in step ${answerStep + 1} with confidence ${fmt(conf[answerStep])}`
            : `continues a reflection after the answer was stated in step ${answerStep + 1}`,
        });
      }
    }
  }
  candidates.sort((a, b) => a.index - b.index);
  return { analysis: { answerStep, threshold, candidates }, notes };
}

/** Drop termination-delay and/or confidence-deficit candidates (pins respected). */
export function confidencePrune(options: ConfidenceOptions): ConfidenceResult {
  const n = options.steps.length;
  const pinned = normaliseIndices(options.pinned ?? [], n);
  const pinSet = new Set(pinned);
  const { analysis, notes } = analyseReflection(options);
  const want = { terminationDelay: true, confidenceDeficit: true, ...options.drop };
  const reasons = new Map<number, DropReason>();
  let rank = 0;
  // Rank = the order a budget removes them: termination delay first (the reflection after the answer,
  // from the end back), then confidence deficit (from the end back).
  const order = [...analysis.candidates].sort((a, b) => Number(a.kind !== 'termination-delay') - Number(b.kind !== 'termination-delay') || b.index - a.index);
  for (const c of order) {
    if (pinSet.has(c.index)) continue;
    if (c.kind === 'termination-delay' ? !want.terminationDelay : !want.confidenceDeficit) continue;
    const score = options.confidence?.[c.index];
    reasons.set(c.index, {
      method: METHOD.confidence,
      ...(score !== undefined && Number.isFinite(score) ? { score } : {}),
      scoreName: 'confidence',
      rank: ++rank,
      rule: `${c.kind}: ${c.rule}`,
    });
  }
  return { plan: makePlan(METHOD.confidence, n, reasons, pinned, { notes }), analysis };
}
