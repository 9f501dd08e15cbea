/** JSON parsing that neither overflows the stack nor lets keys such as `__proto__` reach prototypes. Pure. */

/** Deepest nesting accepted; deeper documents are rejected before `JSON.parse` sees them. */
export const MAX_JSON_DEPTH = 1000;

/** Keys never copied from untrusted records into our own objects. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Result of {@link safeParseJson}. */
export type JsonResult = { ok: true; value: unknown } | { ok: false; message: string; line?: number; column?: number };

/** Maximum nesting depth of `text` (string- and escape-aware), stopping early once past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** 1-based line and column of UTF-16 `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Parses JSON, reporting the line and column of a syntax error and rejecting documents nested deeper
 * than `maxDepth`. Never throws.
 */
export function safeParseJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonResult {
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) return { ok: false, message: `JSON nested deeper than ${maxDepth} levels` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, message: `JSON too deeply nested (${e.message})` };
    const message = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(message);
    if (pos) {
      const { line, column } = lineColumn(text, Number(pos[1]));
      return { ok: false, message: `invalid JSON: ${message}`, line, column };
    }
    // "Unexpected end of JSON input": the error is at the end.
    const { line, column } = lineColumn(text, text.length);
    return { ok: false, message: `invalid JSON: ${message}`, line, column };
  }
}

/** A plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own enumerable keys of `value` that are safe to copy (no `__proto__`, `constructor`, `prototype`). */
export function safeKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((k) => !UNSAFE_KEYS.has(k));
}

/**
 * A shallow copy of `value` without the unsafe keys and without `omit`; values are copied by
 * `defineProperty`-like semantics so nothing reaches a prototype.
 */
export function copyMetadata(value: Record<string, unknown>, omit: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of safeKeys(value)) {
    if (omit.includes(k)) continue;
    Object.defineProperty(out, k, { value: value[k], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** `value[key]` when it is a string. */
export function str(value: Record<string, unknown>, key: string): string | undefined {
  const v = Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** `value[key]` as an own property only (never inherited). */
export function own(value: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
}
