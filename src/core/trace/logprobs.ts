/**
 * Placing file-given token logprobs on the text (shared notes, "Token alignment": when logprobs come
 * from a file, use their tokens and `bytes` instead of re-tokenizing). Pure.
 *
 * Tokens are walked along the UTF-8 bytes of the text they were generated for; `bytes` (OpenAI) is used
 * when present, so a multi-byte character split over several tokens is placed exactly: the character
 * belongs to the token in which it starts (later pieces get an empty span at its end).
 */
import type { TokenCandidate, TokenLogprob, TraceRegion } from './types';
import { warning, type TraceWarning } from './warnings';

/** A token as the file gives it, before placement. */
export interface RawToken {
  readonly token: string;
  readonly logprob: number;
  readonly bytes?: readonly number[];
  readonly topLogprobs?: readonly TokenCandidate[];
}

/** A region of the walked text: `[start, end)` in that text maps to `region`'s own string. */
export interface RegionSpan {
  readonly region: TraceRegion;
  readonly start: number;
  readonly end: number;
}

const encoder = new TextEncoder();

/** True when `needle` occurs in `hay` at `at`. */
function bytesAt(hay: Uint8Array, needle: Uint8Array, at: number): boolean {
  if (at + needle.length > hay.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[at + i] !== needle[i]) return false;
  return true;
}

/** How far ahead a token may be found after a mismatch (bytes). */
const RESYNC_WINDOW = 256;

/** For each UTF-8 byte boundary, the UTF-16 offset; bytes inside a character round up. */
function byteToUtf16Map(text: string): { bytes: Uint8Array; map: Int32Array } {
  const bytes = encoder.encode(text);
  const map = new Int32Array(bytes.length + 1);
  let b = 0;
  for (let u = 0; u < text.length; ) {
    const cp = text.codePointAt(u) ?? 0;
    const units = cp > 0xffff ? 2 : 1;
    const len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    // A lone surrogate is encoded as U+FFFD (3 bytes) by TextEncoder.
    map[b] = u;
    for (let k = 1; k < len; k++) map[b + k] = u + units;
    b += len;
    u += units;
  }
  map[bytes.length] = text.length;
  return { bytes, map };
}

/**
 * Places `tokens` on `text` and assigns each to the region that contains it, with offsets relative to
 * that region's string. Tokens that cannot be placed get `start = end = -1`; the count is pushed to
 * `warnings`. A token that covers a delimiter (e.g. `<think>`) is clipped to the region it overlaps.
 */
export function alignTokens(tokens: readonly RawToken[], text: string, regions: readonly RegionSpan[], warnings: TraceWarning[], label = 'logprobs'): TokenLogprob[] {
  const { bytes, map } = byteToUtf16Map(text);
  const out: TokenLogprob[] = [];
  let cursor = 0;
  let unplaced = 0;
  const fallbackRegion: TraceRegion = regions[0]?.region ?? 'answer';
  for (const t of tokens) {
    const tb = t.bytes && t.bytes.length > 0 ? Uint8Array.from(t.bytes) : encoder.encode(t.token);
    let at = -1;
    for (let k = cursor; k <= cursor + RESYNC_WINDOW && k + tb.length <= bytes.length; k++) {
      if (bytesAt(bytes, tb, k)) {
        at = k;
        break;
      }
    }
    const base = { token: t.token, logprob: t.logprob, ...(t.topLogprobs ? { topLogprobs: t.topLogprobs } : {}) };
    if (at < 0) {
      unplaced++;
      out.push({ ...base, region: fallbackRegion, start: -1, end: -1 });
      continue;
    }
    cursor = at + tb.length;
    const s = map[at]!;
    const e = map[cursor]!;
    const region = regionOf(regions, s, e);
    if (!region) {
      out.push({ ...base, region: fallbackRegion, start: -1, end: -1 });
      unplaced++;
      continue;
    }
    const cs = Math.min(Math.max(s, region.start), region.end) - region.start;
    const ce = Math.min(Math.max(e, region.start), region.end) - region.start;
    out.push({ ...base, region: region.region, start: cs, end: Math.max(cs, ce) });
  }
  if (unplaced > 0) warnings.push(warning('logprobs-unplaced', `${label}: ${unplaced} of ${tokens.length} tokens could not be placed on the text (offsets -1)`));
  return out;
}

/** The region overlapping `[s, e)` most; for an empty span the one containing `s`. */
function regionOf(regions: readonly RegionSpan[], s: number, e: number): RegionSpan | undefined {
  let best: RegionSpan | undefined;
  let bestOverlap = -1;
  for (const r of regions) {
    const overlap = Math.min(e, r.end) - Math.max(s, r.start);
    if (overlap > bestOverlap && (overlap > 0 || (s >= r.start && s <= r.end))) {
      best = r;
      bestOverlap = overlap;
    }
  }
  if (best) return best;
  // Between regions (on a delimiter): the next region, else the last.
  return regions.find((r) => r.start >= e) ?? regions[regions.length - 1];
}

/** Reads OpenAI `top_logprobs` in either shape: `[{token, logprob}]` (chat) or `{token: logprob}` (legacy). */
export function readCandidates(value: unknown): TokenCandidate[] | undefined {
  if (Array.isArray(value)) {
    const out: TokenCandidate[] = [];
    for (const c of value) {
      if (c && typeof c === 'object' && typeof (c as { token?: unknown }).token === 'string') {
        const lp = Number((c as { logprob?: unknown }).logprob);
        out.push({ token: (c as { token: string }).token, logprob: lp });
      }
    }
    return out;
  }
  if (value && typeof value === 'object') {
    return Object.keys(value).map((token) => ({ token, logprob: Number((value as Record<string, unknown>)[token]) }));
  }
  return undefined;
}
