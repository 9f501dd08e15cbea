/** Helpers for backends that only see top-k candidates (APIs, logprobs files). */

/**
 * Entropy of the top-k candidates renormalised over themselves ("top-k entropy"): a lower bound-ish
 * proxy for the full entropy, labelled as such wherever it is shown. NaN for an empty row.
 */
export function topKEntropy(logprobs: ArrayLike<number>, from = 0, to = logprobs.length): number {
  let max = -Infinity;
  for (let i = from; i < to; i++) if (logprobs[i]! > max) max = logprobs[i]!;
  if (max === -Infinity || Number.isNaN(max)) return NaN;
  let z = 0;
  for (let i = from; i < to; i++) if (!Number.isNaN(logprobs[i])) z += Math.exp(logprobs[i]! - max);
  const logZ = max + Math.log(z);
  let h = 0;
  for (let i = from; i < to; i++) {
    if (Number.isNaN(logprobs[i]) || logprobs[i] === -Infinity) continue;
    const lp = logprobs[i]! - logZ;
    h -= Math.exp(lp) * lp;
  }
  return h;
}

/** Maps code-point offsets (what Python servers count) to UTF-16 offsets (JavaScript string indices). */
export function codePointToUtf16(text: string): (codePointOffset: number) => number {
  let astral = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      astral = true;
      break;
    }
  }
  if (!astral) return (o) => Math.min(o, text.length);
  const map: number[] = [];
  for (let i = 0; i < text.length; ) {
    map.push(i);
    const c = text.codePointAt(i)!;
    i += c > 0xffff ? 2 : 1;
  }
  map.push(text.length);
  return (o) => (o >= map.length ? text.length : map[o]!);
}
