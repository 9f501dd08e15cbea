/**
 * Field paths and field mappings: where in a record a trace's prompt, reasoning, answer, id and correctness sit.
 * A path is dotted with array indices (`choices.0.message.content`, `outputs.0.text`); `*` stands for
 * "every element" in the paths reported for streams. Pure; every lookup reads own properties only.
 */
import { isRecord, own, safeParseJson } from './safeJson';

/** Longest string decoded as JSON. */
const MAX_DECODE_CHARS = 8 * 1024 * 1024;

/** A JSON text held in a string, decoded (objects and arrays only); undefined for any other string. */
export function decodeJsonString(s: string): unknown {
  if (s.length < 2 || s.length > MAX_DECODE_CHARS) return undefined;
  const t = s.trim();
  if (!((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']')))) return undefined;
  const r = safeParseJson(t, 200);
  return r.ok && (isRecord(r.value) || Array.isArray(r.value)) ? r.value : undefined;
}

/**
 * Keys that name the model that wrote a record (`model`, `model_name`, `generator`…): readers keep these
 * in `Trace.metadata`, and token counting picks the writer's tokenizer from them.
 */
export const MODEL_NAME_KEY = /^(?:model|model_name|model_id|generator|source_model|teacher|generation_model)$/i;

/** The roles a field can play. */
export const FIELD_ROLES = ['prompt', 'reasoning', 'answer', 'id', 'correct'] as const;

/** A field role. */
export type FieldRole = (typeof FIELD_ROLES)[number];

/** Paths of the fields a trace was read from (what `inspect --json` prints as `fields`). */
export type TraceFields = { readonly [R in FieldRole]?: string };

/** A user-set mapping: role → dotted path. Roles left out are found automatically. */
export type FieldMapping = { readonly [R in FieldRole]?: string };

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number;

/** Parses `a.b.0.c` (also `a.b[0].c`) into segments; digits become indices. */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const raw of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (raw === '' || raw === '$') continue;
    out.push(/^\d+$/.test(raw) ? Number(raw) : raw);
  }
  return out;
}

/** Segments back to a dotted path. */
export function formatPath(segments: readonly PathSegment[]): string {
  return segments.map(String).join('.');
}

/** Joins a prefix and a relative path (either may be empty). */
export function joinPath(prefix: string | undefined, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (!prefix) return path;
  return path ? `${prefix}.${path}` : prefix;
}

/**
 * The value at `path` in `value`, or undefined. A numeric segment indexes an array (or reads a key
 * such as `"0"` of an object); only own properties are read, so `__proto__` resolves to nothing.
 */
export function getPath(value: unknown, path: string | readonly PathSegment[]): unknown {
  let cur = value;
  for (const seg of typeof path === 'string' ? parsePath(path) : path) {
    // A JSON text inside a string is looked into like the value it encodes.
    if (typeof cur === 'string') cur = decodeJsonString(cur);
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isRecord(cur)) cur = own(cur, String(seg));
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** One string of a field's text, where it sits in the value, and where it starts in the joined text. */
export interface TextPiece {
  /** Path of the string inside the field value (empty when the value is the string). */
  readonly path: readonly PathSegment[];
  readonly text: string;
  /** Offset of `text` in the joined text (`textOf`). */
  readonly offset: number;
}

/**
 * Text of a field value, and the strings it is made of in order: a string; a list of strings (joined
 * by blank lines); content parts of any common provider (`{type:'text', text}`, `{type:'thinking',
 * thinking}`, `{value}`, `{content}`). Undefined for values that hold no text. The pieces let a writer
 * put an edited text back into the parts it came from.
 */
export function textPieces(value: unknown, depth = 0): { readonly text: string; readonly pieces: readonly TextPiece[] } | undefined {
  if (typeof value === 'string') return { text: value, pieces: [{ path: [], text: value, offset: 0 }] };
  if (depth > 4) return undefined;
  if (Array.isArray(value)) {
    // A list of strings is a list of passages; a list of content parts is one text in pieces.
    const joiner = value.every((v) => typeof v === 'string') ? '\n\n' : '';
    let text = '';
    const pieces: TextPiece[] = [];
    let parts = 0;
    value.forEach((v, i) => {
      const part = textPieces(v, depth + 1);
      if (!part || part.text === '') return;
      if (parts++ > 0) text += joiner;
      for (const p of part.pieces) pieces.push({ path: [i, ...p.path], text: p.text, offset: text.length + p.offset });
      text += part.text;
    });
    return parts ? { text, pieces } : undefined;
  }
  if (isRecord(value)) {
    for (const k of ['text', 'thinking', 'value', 'content', 'reasoning']) {
      const t = own(value, k);
      if (typeof t === 'string') return { text: t, pieces: [{ path: [k], text: t, offset: 0 }] };
    }
  }
  return undefined;
}

/** Text of a field value (see {@link textPieces}); undefined for values that hold no text. */
export function textOf(value: unknown): string | undefined {
  return textPieces(value)?.text;
}

/**
 * Parses `--field role=path` values into a mapping; throws with a readable message on a bad role or
 * an empty path.
 */
export function parseFieldMapping(specs: readonly string[]): FieldMapping {
  const out: Partial<Record<FieldRole, string>> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const role = (eq >= 0 ? spec.slice(0, eq) : spec).trim();
    const path = eq >= 0 ? spec.slice(eq + 1).trim() : '';
    if (!(FIELD_ROLES as readonly string[]).includes(role)) throw new Error(`--field ${spec}: the role must be one of ${FIELD_ROLES.join(', ')} (role=path)`);
    if (!path) throw new Error(`--field ${spec}: give a path after the =, e.g. ${role}=outputs.0.text`);
    out[role as FieldRole] = path;
  }
  return out;
}

/** True when `mapping` sets any of prompt, reasoning or answer (an id alone does not change how a record is read). */
export function mapsContent(mapping: FieldMapping | undefined): boolean {
  return !!mapping && (mapping.prompt !== undefined || mapping.reasoning !== undefined || mapping.answer !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Name families (the general pass chooses fields by name and by content)

/** The words of a key: `reasoning_content` → reasoning, content; `finalAnswer` → final, answer. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Words that name a field of each kind, most telling first. */
export const NAME_FAMILIES = {
  prompt: ['prompt', 'question', 'problem', 'instruction', 'query', 'input', 'task'],
  reasoning: ['reasoning', 'thinking', 'thought', 'thoughts', 'think', 'cot', 'rationale', 'scratchpad', 'trajectory', 'analysis'],
  answer: ['response', 'completion', 'generation', 'generations', 'output', 'outputs', 'raw', 'full', 'answer', 'solution', 'final', 'text', 'content', 'prediction', 'pred', 'code', 'attempt', 'resps', 'result', 'generated'],
  id: ['custom', 'id', 'uid', 'idx', 'uuid', 'key'],
  correct: ['correct', 'correctness', 'score', 'pass', 'passed', 'accuracy', 'acc', 'match', 'verified', 'reward'],
  reference: ['gt', 'ground', 'truth', 'gold', 'target', 'reference', 'expected', 'label', 'golden'],
} as const;

/** Which families a key belongs to (a key may belong to several: `gt_cot` is reference and reasoning). */
export type NameFamily = keyof typeof NAME_FAMILIES;

/** The rank of `key` in `family` (0 = best), or -1 when it does not belong. */
export function familyRank(key: string, family: NameFamily): number {
  const words = keyWords(key);
  const list = NAME_FAMILIES[family] as readonly string[];
  let best = -1;
  for (const w of words) {
    // Short run-together ids (`qid`, `pid`, `docid`) are ids too.
    const i = family === 'id' && /^[a-z]{1,3}id$/.test(w) ? list.indexOf('id') : list.indexOf(w);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}
