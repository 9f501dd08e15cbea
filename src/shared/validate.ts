/**
 * Small validators for what crosses a host/webview channel (every message is checked on receipt:
 * anything malformed is dropped). No `vscode`, no Node.
 */

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A request id: a positive safe integer. */
export const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
/** A whole number ≥ 0. */
export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** A finite number. */
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const optional = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v);
export const isArrayOf = (v: unknown, check: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(check);
/** A validator for the members of a string list. */
export const isOneOf = <T extends string>(list: readonly T[]) => (v: unknown): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);

/**
 * A validator of a discriminated union from one check per member, keyed by the discriminant `key`
 * (`type` of messages, `kind` of requests). The table lists every member (the compiler asks for a new
 * one) and keeps validators free of switch blocks. Only own keys match: a discriminant of "toString"
 * never reaches Object.prototype.
 */
export function unionOf<U extends { readonly [P in K]: string }, K extends string>(
  key: K,
  checks: { readonly [T in U[K]]: (value: Obj) => boolean },
): (value: unknown) => value is U {
  const table: Readonly<Record<string, (value: Obj) => boolean>> = checks;
  return (value): value is U => {
    if (!isObj(value)) return false;
    const tag = value[key];
    return typeof tag === 'string' && Object.hasOwn(table, tag) && table[tag]!(value);
  };
}
