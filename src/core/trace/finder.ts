/**
 * The general pass: finds the trace in a record whose keys no known schema names. It looks at every
 * field (nested objects and arrays too, JSON held in strings decoded), bounded in depth and size:
 * 1. a known response nested anywhere (a batch line's `response.body`, a cassette's `parsed_body`,
 *    an eval dump's `output`), with the prompt from a sibling request;
 * 2. else a string field holding reasoning delimiters or chat-template markers;
 * 3. else fields named like reasoning / answer (`reasoning_trace`, `cot`, `response`, `completion`…).
 * Prompt, id, correctness and reference come from fields named like them. A user mapping pins any role
 * to a path. Never throws on data, never writes to prototypes. Pure.
 */
import { makeTrace, promptFromTemplate, splitAsReasoning, tagsOf, type ReadContext, type Rec } from './build';
import { decodeJsonString, familyRank, formatPath, getPath, MODEL_NAME_KEY, parsePath, textOf, type FieldMapping, type PathSegment, type TraceFields } from './fields';
import { lastUserText } from './formats/common';
import type { RecordFormat, StreamFormat } from './formats/spec';
import { RECORD_FORMATS, STREAM_FORMATS } from './registry';
import { isRecord, own, safeKeys } from './safeJson';
import { openTagAtEnd, parseChatTemplate, splitReasoning } from './text';
import type { ParseResult, Trace } from './types';
import { warning, type TraceWarning } from './warnings';

/** How deep the pass looks into a record. */
export const MAX_FIND_DEPTH = 8;
/** How many values it looks at in one record. */
export const MAX_FIND_NODES = 20_000;

/** A string leaf of the record. */
interface Leaf {
  readonly path: PathSegment[];
  /** The key naming the value (for an array element, its array's key). */
  readonly key: string;
  readonly text: string;
  readonly depth: number;
  /** Inside a message written by the user, system or a tool: input, never the model's output. */
  readonly input?: boolean;
}

/** Message roles whose text is input to the model. */
const INPUT_ROLES = new Set(['user', 'system', 'human', 'tool', 'developer', 'function']);

/** A scalar leaf (number, boolean) kept for id and correctness. */
interface Scalar {
  readonly path: PathSegment[];
  readonly key: string;
  readonly value: unknown;
  readonly depth: number;
}

/** A known response found nested in the record. */
interface Nested {
  readonly path: PathSegment[];
  readonly value: Rec | Rec[];
  readonly format: RecordFormat | StreamFormat;
  /** A sibling request (`{request, response}` pairs) to take the prompt from, and its path. */
  readonly request?: { readonly value: unknown; readonly path: PathSegment[] };
}

/** Keys never holding the trace: requests and settings (pairs are handled apart), and token-level data (large). */
const REQUEST_KEYS = new Set(['request', 'req', 'headers', 'tools', 'functions', 'tool_choice', 'usage', 'usageMetadata', 'generation_settings', 'generationConfig',
  'logprobs', 'top_logprobs', 'prompt_logprobs', 'token_ids', 'prompt_token_ids', 'tokens', 'completion_probabilities', 'context', 'embedding']);

/** Walks the record once, collecting string leaves, scalars and nested known responses. */
function walk(record: unknown): { leaves: Leaf[]; scalars: Scalar[]; nested: Nested[] } {
  const leaves: Leaf[] = [];
  const scalars: Scalar[] = [];
  const nested: Nested[] = [];
  let budget = MAX_FIND_NODES;
  const visit = (value: unknown, path: PathSegment[], key: string, depth: number, decoded: number, input = false): void => {
    if (--budget < 0 || depth > MAX_FIND_DEPTH) return;
    if (typeof value === 'string') {
      // JSON inside a string is looked into when it holds objects (a response body); `[1,2,3]` stays text.
      const inner = decoded < 2 ? decodeJsonString(value) : undefined;
      if (inner !== undefined && (isRecord(inner) || (inner as unknown[]).some((v) => isRecord(v) || Array.isArray(v)))) visit(inner, path, key, depth, decoded + 1, input);
      else leaves.push({ path, key, text: value, depth, ...(input ? { input } : {}) });
      return;
    }
    if (Array.isArray(value)) {
      if (depth > 0 && value.length > 1 && value.every(isRecord)) {
        const stream = STREAM_FORMATS.find((f) => f.isEvent(value[0] as Rec) && f.isEvent(value[1] as Rec));
        if (stream) {
          nested.push({ path, value: value as Rec[], format: stream });
          return;
        }
      }
      for (let i = 0; i < value.length && budget >= 0; i++) visit(value[i], [...path, i], key, depth + 1, decoded, input);
      return;
    }
    if (isRecord(value)) {
      if (depth > 0) {
        const known = RECORD_FORMATS.find((f) => f.nestable && f.detect(value));
        if (known) {
          nested.push({ path, value, format: known });
          return;
        }
        // A request/response pair: the response holds the trace, the request the prompt.
        const responseKey = own(value, 'response') !== undefined ? 'response' : 'res';
        const requestKey = own(value, 'request') !== undefined ? 'request' : 'req';
        if (own(value, requestKey) !== undefined && own(value, responseKey) !== undefined) {
          const before = nested.length;
          visit(value[responseKey], [...path, responseKey], responseKey, depth + 1, decoded);
          const request = { value: value[requestKey], path: [...path, requestKey] };
          for (let i = before; i < nested.length; i++) nested[i] = { ...nested[i]!, request };
          return;
        }
      }
      const role = own(value, 'role') ?? own(value, 'from');
      const isInput = input || (typeof role === 'string' && INPUT_ROLES.has(role.toLowerCase()));
      for (const k of safeKeys(value)) {
        if (budget < 0) break;
        if (depth > 0 && REQUEST_KEYS.has(k)) continue;
        visit(value[k], [...path, k], k, depth + 1, decoded, isInput);
      }
      return;
    }
    if (typeof value === 'number' || typeof value === 'boolean') scalars.push({ path, key, value, depth });
  };
  visit(record, [], '', 0, 0);
  return { leaves, scalars, nested };
}

/** The prompt of a request body: its last user message, `contents`, or a `prompt` / `input` string. */
function promptOfRequest(request: unknown): { text: string; path: string } | undefined {
  let found: { text: string; path: string } | undefined;
  let budget = 2000;
  const visit = (v: unknown, path: PathSegment[], depth: number): void => {
    if (found || --budget < 0 || depth > 6) return;
    if (typeof v === 'string') {
      const inner = decodeJsonString(v);
      if (inner !== undefined) visit(inner, path, depth);
      return;
    }
    if (!isRecord(v)) return;
    for (const k of ['messages', 'contents', 'input']) {
      const user = lastUserText(own(v, k));
      if (user) {
        found = { text: user.text, path: formatPath([...path, k, user.index]) };
        return;
      }
    }
    for (const k of ['prompt', 'input']) {
      if (typeof own(v, k) === 'string') {
        found = { text: v[k] as string, path: formatPath([...path, k]) };
        return;
      }
    }
    for (const k of safeKeys(v)) if (k !== 'headers') visit(v[k], [...path, k], depth + 1);
  };
  visit(request, [], 0);
  return found;
}

const isNoneText = (s: string): boolean => !s.trim() || s.trim() === 'None' || s.trim() === 'null';

/** A leaf that names a reference (ground truth): never the model's output. */
const isReference = (l: { key: string }): boolean => familyRank(l.key, 'reference') >= 0;

/** A leaf that may be the model's output: not a reference, not named like a prompt, not in a user / system message. */
const isOutput = (l: Leaf): boolean => !isReference(l) && !l.input && familyRank(l.key, 'prompt') < 0;

/** The best leaf of `family`: lowest rank, then shallowest, then longest. */
function best(leaves: readonly Leaf[], family: 'prompt' | 'reasoning' | 'answer', filter: (l: Leaf) => boolean = () => true): Leaf | undefined {
  let found: { leaf: Leaf; rank: number } | undefined;
  for (const l of leaves) {
    const rank = familyRank(l.key, family);
    if (rank < 0 || !filter(l)) continue;
    if (!found || rank < found.rank || (rank === found.rank && (l.depth < found.leaf.depth || (l.depth === found.leaf.depth && l.text.length > found.leaf.text.length)))) found = { leaf: l, rank };
  }
  return found?.leaf;
}

/** Correctness as a boolean: true/false, 1/0, "True"/"False", or a one-element list of those. */
export function asCorrect(v: unknown): boolean | undefined {
  if (Array.isArray(v) && v.length === 1) return asCorrect(v[0]);
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

/** The id and correctness at the paths a user mapping names (each absent when unmapped or unusable). */
export function mappedFacts(record: unknown, mapping: FieldMapping | undefined): { id?: string; correct?: boolean } {
  const id = mapping?.id !== undefined ? getPath(record, mapping.id) : undefined;
  const correct = mapping?.correct !== undefined ? asCorrect(getPath(record, mapping.correct)) : undefined;
  return { ...(typeof id === 'string' || typeof id === 'number' ? { id: String(id) } : {}), ...(correct !== undefined ? { correct } : {}) };
}

/** Prompt, id, correctness and reference from fields named like them. */
interface RecordFacts {
  /** `raw`: the field as written (a template prompt ending in `<think>` tells that the reasoning was opened). */
  prompt?: { text: string; path: string; raw?: string };
  id?: { value: string; path: string };
  correct?: boolean;
  reference?: string;
  /** Names of the model that wrote the record (`model_name: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"`), kept as metadata. */
  metadata?: Rec;
}

function recordFacts(record: unknown, leaves: readonly Leaf[], scalars: readonly Scalar[], used: ReadonlySet<string>, mapping: FieldMapping | undefined): RecordFacts {
  const facts: RecordFacts = {};
  const prompt = best(leaves, 'prompt', (l) => !isReference(l) && !used.has(formatPath(l.path)) && l.text.trim() !== '' && familyRank(l.key, 'reasoning') < 0);
  if (prompt) facts.prompt = { text: promptFromTemplate(prompt.text), raw: prompt.text, path: formatPath(prompt.path) };
  else if (isRecord(record)) {
    for (const k of ['messages', 'conversations', 'contents']) {
      const user = lastUserText(own(record, k));
      if (user) {
        facts.prompt = { text: user.text, path: `${k}.${user.index}.content` };
        break;
      }
    }
  }
  const mapped = mappedFacts(record, mapping);
  if (mapping?.id !== undefined) {
    if (mapped.id !== undefined) facts.id = { value: mapped.id, path: mapping.id };
  } else {
    const ids = [...leaves, ...scalars.filter((s) => typeof s.value === 'number')]
      .filter((l) => l.depth <= 2 && familyRank(l.key, 'id') >= 0 && !isReference(l))
      .sort((a, b) => familyRank(a.key, 'id') - familyRank(b.key, 'id') || a.depth - b.depth);
    const id = ids[0];
    if (id) facts.id = { value: 'text' in id ? id.text : String(id.value), path: formatPath(id.path) };
  }
  if (mapping?.correct !== undefined) {
    if (mapped.correct !== undefined) facts.correct = mapped.correct;
  } else {
    const correct = [...scalars, ...leaves.map((l) => ({ ...l, value: l.text }))]
      .filter((s) => s.depth <= 2 && familyRank(s.key, 'correct') >= 0 && asCorrect(s.value) !== undefined)
      .sort((a, b) => a.depth - b.depth || familyRank(a.key, 'correct') - familyRank(b.key, 'correct'))[0];
    if (correct) facts.correct = asCorrect(correct.value)!;
    // `score: [true]` is a list: look at top-level lists of one value too.
    if (facts.correct === undefined && isRecord(record)) {
      for (const k of safeKeys(record).slice(0, 1000)) {
        if (familyRank(k, 'correct') < 0) continue;
        const c = asCorrect(record[k]);
        if (c !== undefined) {
          facts.correct = c;
          break;
        }
      }
    }
  }
  const refLeaf = leaves.filter((l) => l.depth <= 2 && isReference(l) && !isNoneText(l.text) && familyRank(l.key, 'reasoning') < 0).sort((a, b) => a.depth - b.depth)[0];
  const refScalar = scalars.find((s) => s.depth <= 2 && isReference(s) && typeof s.value === 'number');
  const answerScalar = isRecord(record) ? own(record, 'answer') : undefined;
  const reference = refLeaf?.text ?? (refScalar ? String(refScalar.value) : undefined) ?? (typeof answerScalar === 'number' ? String(answerScalar) : typeof answerScalar === 'string' && answerScalar.length <= 100 && !used.has('answer') ? answerScalar : undefined);
  if (reference !== undefined) facts.reference = reference;
  const models = leaves.filter((l) => l.depth <= 2 && !l.input && MODEL_NAME_KEY.test(l.key) && l.text.trim() !== '' && l.text.length <= 200);
  if (models.length) facts.metadata = Object.fromEntries(models.map((l) => [l.key, l.text]));
  return facts;
}

/** A trace found from a response text (delimited or not) and the record's facts. */
function traceFromText(ctx: ReadContext, leaf: Leaf, facts: RecordFacts, extra: { idSuffix?: string; answerLeaf?: Leaf; reasoningLeaf?: Leaf; inferredTruncation?: boolean; warnings?: TraceWarning[] }): Trace {
  const opts = ctx.opts;
  const warnings: TraceWarning[] = [...(extra.warnings ?? [])];
  const dump = parseChatTemplate(leaf.text);
  const path = formatPath(leaf.path);
  let prompt = opts.prompt ?? facts.prompt?.text ?? '';
  let promptPath = opts.prompt ? undefined : facts.prompt?.path;
  let response = leaf.text;
  if (dump) {
    const ai = dump.messages.map((m) => m.role).lastIndexOf('assistant');
    const user = [...dump.messages.slice(0, ai < 0 ? undefined : ai)].reverse().find((m) => m.role === 'user');
    if (user && !opts.prompt) {
      prompt = user.content.trim();
      promptPath = path;
    }
    response = ai >= 0 ? dump.messages[ai]!.content : '';
  }
  const rawPrompt = facts.prompt?.raw ?? facts.prompt?.text ?? '';
  let reasoning: string;
  let answer: string;
  let truncated: boolean;
  let answerIsCode = false;
  const fields: Record<string, string> = {};
  if (extra.reasoningLeaf) {
    // Reasoning in its own field; the answer in another.
    reasoning = extra.reasoningLeaf.text;
    answer = extra.answerLeaf?.text ?? '';
    truncated = false;
    fields.reasoning = formatPath(extra.reasoningLeaf.path);
    if (extra.answerLeaf) fields.answer = formatPath(extra.answerLeaf.path);
  } else if (extra.inferredTruncation) {
    reasoning = response;
    answer = '';
    truncated = true;
    fields.reasoning = path;
    warnings.push(warning('truncated-inferred', 'the record names an empty reasoning field beside a response without a closing delimiter: read as a reasoning cut off before it closed'));
  } else {
    const split = splitReasoning(response, tagsOf(opts), openTagAtEnd(dump ? '' : rawPrompt, tagsOf(opts)));
    if (split.tags) {
      reasoning = split.reasoning;
      answer = split.answer;
      truncated = split.truncated;
      answerIsCode = !!split.answerIsCode;
      warnings.push(...split.warnings);
      fields.reasoning = path;
      fields.answer = path;
    } else {
      const whole = splitAsReasoning(response, opts);
      reasoning = whole.reasoning;
      answer = '';
      truncated = false;
      warnings.push(...whole.warnings);
      fields.reasoning = path;
    }
  }
  if (promptPath) fields.prompt = promptPath;
  if (facts.id) fields.id = facts.id.path;
  return makeTrace(ctx, {
    ...(extra.idSuffix !== undefined ? { idSuffix: extra.idSuffix, idIsFull: !!facts.id } : {}),
    ...(facts.metadata ? { metadata: facts.metadata } : {}),
    prompt,
    reasoning,
    truncated,
    answer,
    ...(answerIsCode ? { answerIsCode } : {}),
    fields,
    jsonPath: formatPath(leaf.path).replace(/\.(\d+)(?=\.|$)/g, '[$1]'),
    warnings,
    reference: { ...(facts.reference !== undefined ? { answer: facts.reference } : {}), ...(facts.correct !== undefined ? { correct: facts.correct } : {}) },
  });
}

/** Gives found traces the record's id (when one was found) and fills prompt / reference gaps. */
function withFacts(traces: Trace[], facts: RecordFacts, ctx: ReadContext, request?: { text: string; path: string }): Trace[] {
  return traces.map((t, i) => {
    const prompt = t.prompt || ctx.opts.prompt || request?.text || facts.prompt?.text || '';
    const fields: TraceFields = {
      ...t.fields,
      ...(!t.prompt && !ctx.opts.prompt && (request ?? facts.prompt) ? { prompt: (request ?? facts.prompt)!.path } : {}),
      ...(facts.id ? { id: facts.id.path } : {}),
    };
    const reference = t.reference ?? (facts.reference !== undefined || facts.correct !== undefined ? { ...(facts.reference !== undefined ? { answer: facts.reference } : {}), ...(facts.correct !== undefined ? { correct: facts.correct } : {}) } : undefined);
    return {
      ...t,
      id: facts.id ? (traces.length > 1 ? `${facts.id.value}/${i}` : facts.id.value) : t.id,
      prompt,
      fields,
      ...(reference ? { reference } : {}),
      // The nested response's own fields (its `model`) win over the record's.
      ...(facts.metadata ? { metadata: { ...facts.metadata, ...t.metadata } } : {}),
    };
  });
}

/**
 * The general pass over one record. Undefined when nothing in it looks like a trace (the caller
 * reports the record as unrecognised).
 */
export function findTraces(record: unknown, ctx: ReadContext, mapping?: FieldMapping): ParseResult | undefined {
  const { leaves, scalars, nested } = walk(record);
  if (mapping && (mapping.prompt !== undefined || mapping.reasoning !== undefined || mapping.answer !== undefined)) return readMapped(record, ctx, mapping, leaves, scalars);
  const guessed = warning('fields-guessed', 'fields found by name and content (set them with --field role=path or reasoningLens.fieldMapping if this is wrong)');

  // 1. Known responses nested in the record.
  if (nested.length) {
    const traces: Trace[] = [];
    const errors: ParseResult['errors'] = [];
    const used = new Set(nested.map((n) => formatPath(n.path)));
    const facts = recordFacts(record, leaves.filter((l) => !nested.some((n) => isUnder(l.path, n.path))), scalars, used, mapping);
    nested.forEach((n, k) => {
      const sub: ReadContext = { ...ctx, format: n.format.id as ReadContext['format'], path: formatPath(n.path), id: nested.length > 1 ? `${ctx.id}/${shortPath(n.path)}` : ctx.id };
      const res = n.format.kind === 'record' ? n.format.read(n.value as Rec, sub) : readStreamEvents(n.format, n.value as Rec[], sub);
      const found = n.request ? promptOfRequest(n.request.value) : undefined;
      const request = found && n.request ? { text: found.text, path: formatPath([...n.request.path, ...parsePath(found.path)]) } : undefined;
      traces.push(...withFacts(res.traces, nested.length > 1 ? { ...facts, ...(facts.id ? { id: { ...facts.id, value: `${facts.id.value}/${k}` } } : {}) } : facts, ctx, request));
      errors.push(...res.errors);
    });
    return { traces, errors };
  }

  // 2. A string holding reasoning delimiters or a chat template.
  const candidates = leaves.filter((l) => isOutput(l) && (splitReasoning(l.text, tagsOf(ctx.opts)).tags !== undefined || parseChatTemplate(l.text) !== undefined));
  if (candidates.length) {
    // Several generations side by side (`code: [g1, g2]`, `responses: [...]`): one trace each.
    const first = pickResponse(candidates);
    const siblings = candidates.filter((l) => l.key === first.key && l.path.length === first.path.length && formatPath(l.path.slice(0, -1)) === formatPath(first.path.slice(0, -1)) && typeof l.path[l.path.length - 1] === 'number');
    const chosen = siblings.length > 1 ? siblings : [first];
    const used = new Set(chosen.map((l) => formatPath(l.path)));
    const facts = recordFacts(record, leaves, scalars, used, mapping);
    return { traces: chosen.map((l, i) => traceFromText(ctx, l, facts, { warnings: [guessed], ...(chosen.length > 1 ? { idSuffix: facts.id ? `${facts.id.value}/${i}` : `/${formatPath(l.path)}` } : facts.id ? { idSuffix: facts.id.value } : {}) })), errors: [] };
  }

  // 3. Fields named like reasoning and answer.
  const reasoningLeaves = leaves.filter((l) => isOutput(l) && familyRank(l.key, 'reasoning') >= 0);
  const reasoningLeaf = best(reasoningLeaves, 'reasoning', (l) => !isNoneText(l.text));
  const answerLeaf = best(leaves, 'answer', (l) => isOutput(l) && familyRank(l.key, 'reasoning') < 0 && !isNoneText(l.text) && l !== reasoningLeaf);
  if (reasoningLeaf) {
    const used = new Set([formatPath(reasoningLeaf.path), ...(answerLeaf ? [formatPath(answerLeaf.path)] : [])]);
    const facts = recordFacts(record, leaves, scalars, used, mapping);
    return { traces: [traceFromText(ctx, reasoningLeaf, facts, { reasoningLeaf, ...(answerLeaf ? { answerLeaf } : {}), warnings: [guessed], ...(facts.id ? { idSuffix: facts.id.value } : {}) })], errors: [] };
  }
  if (answerLeaf && (answerLeaf.text.length >= 200 || reasoningLeaves.length > 0 || recordHasPrompt(leaves))) {
    const used = new Set([formatPath(answerLeaf.path)]);
    const facts = recordFacts(record, leaves, scalars, used, mapping);
    // An empty reasoning field beside an undelimited response: the splitter found no closing tag.
    const inferredTruncation = reasoningLeaves.length > 0;
    return { traces: [traceFromText(ctx, answerLeaf, facts, { inferredTruncation, warnings: [guessed], ...(facts.id ? { idSuffix: facts.id.value } : {}) })], errors: [] };
  }
  return undefined;
}

function recordHasPrompt(leaves: readonly Leaf[]): boolean {
  return leaves.some((l) => familyRank(l.key, 'prompt') >= 0 && !isReference(l) && l.text.trim() !== '');
}

/** `interactions.0.response.parsed_body` → `interactions[0]`: enough to tell siblings apart. */
function shortPath(path: readonly PathSegment[]): string {
  const at = path.findIndex((s) => typeof s === 'number');
  const head = at < 0 ? path : path.slice(0, at + 1);
  return head.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
}

function isUnder(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

/** The most likely full response among delimited strings: answer-like names first, then the longest. */
function pickResponse(candidates: readonly Leaf[]): Leaf {
  return [...candidates].sort((a, b) => {
    const ra = familyRank(a.key, 'answer');
    const rb = familyRank(b.key, 'answer');
    const fa = ra < 0 ? 99 : 0;
    const fb = rb < 0 ? 99 : 0;
    return fa - fb || b.text.length - a.text.length;
  })[0]!;
}

/** Reads every stream in `events` with `format`. */
export function readStreamEvents(format: StreamFormat, events: readonly Rec[], ctx: ReadContext): ParseResult {
  const streams = format.split ? format.split(events) : [[...events]];
  const traces: Trace[] = [];
  const errors: ParseResult['errors'] = [];
  streams.forEach((s, i) => {
    const res = format.read(s, { ...ctx, format: format.id as ReadContext['format'], ...(streams.length > 1 ? { id: `${ctx.id}/stream[${i}]` } : {}) });
    traces.push(...res.traces);
    errors.push(...res.errors);
  });
  return { traces, errors };
}

/** A record read with a user mapping: pinned roles from their paths, the rest found as usual. */
function readMapped(record: unknown, ctx: ReadContext, mapping: FieldMapping, leaves: Leaf[], scalars: Scalar[]): ParseResult {
  const warnings: TraceWarning[] = [];
  const read = (role: 'prompt' | 'reasoning' | 'answer'): string | undefined => {
    const path = mapping[role];
    if (path === undefined) return undefined;
    const text = textOf(getPath(record, path));
    if (text === undefined) warnings.push(warning('field-missing', `${role}=${path}: no text at this path in this record`));
    return text;
  };
  const reasoningText = read('reasoning');
  const answerText = read('answer');
  const promptMapped = read('prompt');
  if (reasoningText === undefined && answerText === undefined && (mapping.reasoning !== undefined || mapping.answer !== undefined)) {
    const keys = isRecord(record) ? safeKeys(record).slice(0, 20).join(', ') : typeof record;
    return { traces: [], errors: [{ message: `the mapped ${mapping.reasoning !== undefined ? `reasoning=${mapping.reasoning}` : `answer=${mapping.answer}`} is not in this record (keys seen: ${keys})`, source: ctx.source, field: (mapping.reasoning ?? mapping.answer)! }] };
  }
  const used = new Set([mapping.prompt, mapping.reasoning, mapping.answer].filter((p): p is string => p !== undefined).map((p) => formatPath(parsePath(p))));
  const facts = recordFacts(record, leaves, scalars, used, mapping);
  if (promptMapped !== undefined) facts.prompt = { text: promptMapped, path: mapping.prompt! };
  const leafOf = (text: string, path: string): Leaf => ({ path: parsePath(path), key: String(parsePath(path).filter((s) => typeof s === 'string').pop() ?? ''), text, depth: 0 });
  let trace: Trace;
  if (reasoningText !== undefined) {
    const split = splitReasoning(reasoningText, tagsOf(ctx.opts));
    if (split.tags && answerText === undefined) {
      trace = traceFromText(ctx, leafOf(reasoningText, mapping.reasoning!), facts, { warnings });
    } else {
      const answerLeaf = answerText !== undefined ? leafOf(answerText, mapping.answer!) : undefined;
      const reasoningLeaf = leafOf(split.tags ? split.reasoning : reasoningText, mapping.reasoning!);
      trace = traceFromText(ctx, reasoningLeaf, facts, { reasoningLeaf, ...(answerLeaf ? { answerLeaf } : {}), warnings });
    }
  } else {
    // Only the answer (a raw field): split at its delimiters; without any, the reasoning is found by name.
    const answerLeaf = leafOf(answerText!, mapping.answer!);
    if (splitReasoning(answerText!, tagsOf(ctx.opts)).tags !== undefined || parseChatTemplate(answerText!) !== undefined) {
      trace = traceFromText(ctx, answerLeaf, facts, { warnings });
    } else {
      const reasoningLeaf = best(leaves, 'reasoning', (l) => !isReference(l) && !isNoneText(l.text) && formatPath(l.path) !== formatPath(answerLeaf.path));
      trace = reasoningLeaf
        ? traceFromText(ctx, reasoningLeaf, facts, { reasoningLeaf, answerLeaf, warnings })
        : makeTrace(ctx, {
            prompt: ctx.opts.prompt ?? facts.prompt?.text ?? '',
            reasoning: '',
            truncated: false,
            answer: answerText!,
            fields: { answer: mapping.answer!, ...(facts.prompt ? { prompt: facts.prompt.path } : {}) },
            warnings: [...warnings, warning('no-reasoning', 'no reasoning: the mapped answer has no delimiters and no field is named like reasoning')],
          });
    }
  }
  const withId = facts.id ? { ...trace, id: facts.id.value, fields: { ...trace.fields, id: facts.id.path } } : trace;
  return { traces: [withId], errors: [] };
}
