/**
 * ASAP stage 1 validation by matching (arXiv 2508.05988): keep the original steps that align with an
 * anchor text (a short direct solution). Both are split on `"\n\n"`; for each anchor section, scan
 * forward through the original steps and accept the first whose
 * `SequenceMatcher(None, original, anchorSection).ratio() >= 0.6`.
 */
import { gestaltRatio } from '../gestalt';
import { makePlan, normaliseIndices, type DropReason, type PrunePlan } from './plan';
import { METHOD } from './methods';
import { STEP_SEPARATOR } from '../../shared/vocabulary';

/** ASAP's acceptance threshold. */
export const ANCHOR_MATCH_THRESHOLD = 0.6;

/** How one anchor section was matched. */
export interface AnchorMatch {
  /** Index of the anchor section. */
  readonly section: number;
  readonly text: string;
  /** Original step it matched, or null. */
  readonly step: number | null;
  /** Ratio of the accepted match (0 when none). */
  readonly ratio: number;
}

/** Inputs of `anchorPrune`. */
export interface AnchorOptions {
  /** Original step texts, in order. */
  readonly steps: readonly string[];
  /** The anchor text; split on `"\n\n"`, sections stripped, empty ones dropped. */
  readonly anchor: string;
  readonly threshold?: number;
  readonly pinned?: Iterable<number>;
  /**
   * Rank the dropped steps least like any anchor section first (their best gestalt ratio, ascending),
   * the order in which a budget removes them; otherwise in step order. Costs one ratio per dropped
   * step and section.
   */
  readonly rankBySimilarity?: boolean;
}

/** Result: the plan and the section-by-section matches. */
export interface AnchorResult {
  readonly plan: PrunePlan;
  readonly matches: readonly AnchorMatch[];
}

/** Anchor sections: `text.split("\n\n")`, stripped, empty pieces dropped. */
export function anchorSections(anchor: string): string[] {
  return anchor.split(STEP_SEPARATOR).map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Match anchor sections to steps in order. The scan for the next section starts after the last accepted
 * step; a section that matches nothing leaves the position where it was (ours: so one unmatched
 * paraphrase does not discard every later section).
 */
export function matchAnchor(steps: readonly string[], anchor: string, threshold = ANCHOR_MATCH_THRESHOLD): AnchorMatch[] {
  const out: AnchorMatch[] = [];
  let from = 0;
  anchorSections(anchor).forEach((text, section) => {
    for (let j = from; j < steps.length; j++) {
      // difflib argument order as in ASAP: a = original, b = anchor section (autojunk indexes b).
      const ratio = gestaltRatio(steps[j]!.trim(), text);
      if (ratio >= threshold) {
        out.push({ section, text, step: j, ratio });
        from = j + 1;
        return;
      }
    }
    out.push({ section, text, step: null, ratio: 0 });
  });
  return out;
}

/** Keep the steps an anchor section matched (plus pins); drop the rest. */
export function anchorPrune(options: AnchorOptions): AnchorResult {
  const n = options.steps.length;
  const threshold = options.threshold ?? ANCHOR_MATCH_THRESHOLD;
  const pinned = normaliseIndices(options.pinned ?? [], n);
  const pinSet = new Set(pinned);
  const matches = matchAnchor(options.steps, options.anchor, threshold);
  const matched = new Set(matches.flatMap((m) => (m.step === null ? [] : [m.step])));
  const dropped = Array.from({ length: n }, (_, i) => i).filter((i) => !matched.has(i) && !pinSet.has(i));
  const sections = options.rankBySimilarity ? anchorSections(options.anchor) : [];
  const similarity = new Map(sections.length ? dropped.map((i) => [i, Math.max(...sections.map((text) => gestaltRatio(options.steps[i]!.trim(), text)))]) : []);
  const order = options.rankBySimilarity ? [...dropped].sort((a, b) => (similarity.get(a) ?? 0) - (similarity.get(b) ?? 0) || a - b) : dropped;
  const reasons = new Map<number, DropReason>();
  order.forEach((i, k) => {
    const score = similarity.get(i);
    reasons.set(i, {
      method: METHOD.anchor,
      ...(score !== undefined ? { score } : {}),
      scoreName: 'gestaltRatio',
      rank: k + 1,
      rule: `no anchor section matched this step with gestalt ratio ≥ ${threshold} (ASAP stage 1)`,
    });
  });
  const unmatched = matches.filter((m) => m.step === null);
  const notes = unmatched.map((m) => `anchor section ${m.section + 1} matched no step`);
  return { plan: makePlan(METHOD.anchor, n, reasons, pinned, { notes }), matches };
}
