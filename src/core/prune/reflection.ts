/**
 * Reflection steps: those that open with a self-checking discourse marker. Shared by the ConCISE-style
 * method (termination delay, confidence deficit) and the difficulty rating of budgets (DAP).
 */

/**
 * Markers at the start of a step (after optional markdown emphasis / quotes), case-insensitive:
 * Wait, Hmm, But wait, Alternatively, Let me (double-)check / verify / re-check / confirm / make sure /
 * think again / reconsider, Double-check(ing), Verify(ing), Actually, Hold on, On second thought.
 */
export const REFLECTION_PATTERN =
  /^[\s*_>"'`]*(?:but\s+)?(?:wait|hmm+|alternatively|hold on|on second thought|actually|let me (?:double[- ]?check|re-?check|check|verify|confirm|make sure|think again|reconsider|re-?examine|re-?evaluate)|let's (?:double[- ]?check|re-?check|check|verify|confirm)|double[- ]?check(?:ing)?|verify(?:ing)?|to (?:double[- ]?check|verify|confirm))\b/i;

/** True when a step's text opens with a reflection marker. */
export function isReflectionStep(text: string): boolean {
  return REFLECTION_PATTERN.test(text);
}

/** The marker a reflection step opens with (trimmed, as written), or undefined. */
export function reflectionMarker(text: string): string | undefined {
  const m = REFLECTION_PATTERN.exec(text);
  return m ? m[0].replace(/^[\s*_>"'`]+/, '') : undefined;
}
