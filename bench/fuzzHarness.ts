/**
 * Fuzzing the parsers that read untrusted files: seeds are the real files in ../shared/data (every
 * JSONL line a seed of its own), inputs are those seeds mutated (havoc: flips, dictionary tokens,
 * deletions, truncations, duplications, cross-overs, deep nesting, JSON-tree mutations) or generated
 * from the format dictionary alone. Input `i` of a parser is a pure function of (parser, i), so any
 * failure is reproduced by its index. A crash is an exception out of a parser (they promise never to
 * throw on content) or a broken invariant; a hang is an input that takes more than a second.
 *
 * Used by `npm run bench -- fuzz` (≥ 100,000 inputs per parser, in worker threads with a watchdog)
 * and by the unit tier (a small bounded run).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { mulberry32 } from '../src/core/random';
import { JsonArrayScanner } from '../src/core/trace/jsonArrayScanner';
import { readTraces } from '../src/core/trace/read';
import { parseThoughtAnchors, parseTraceRecord, parseTraceText } from '../src/core/trace/records';
import { safeParseJson } from '../src/core/trace/safeJson';

/** A seed: the text of a real file (or of one JSONL line) and where it came from. */
export interface Seed {
  readonly name: string;
  readonly text: string;
  /** Parsed JSON, when the text is JSON (for tree mutations). */
  readonly json?: unknown;
}

/** The seed pools, by kind. */
export interface Corpus {
  /** Every file (text formats and JSON documents alike) and every JSONL line. */
  readonly all: readonly Seed[];
  /** JSON documents and JSONL lines only. */
  readonly json: readonly Seed[];
  /** Thought-Anchors problem folders: their four JSON files. */
  readonly thoughtAnchors: readonly Readonly<Record<TaPart, Seed>>[];
}

const MAX_SEED_CHARS = 256 * 1024;
const TA_PARTS = ['base', 'problem', 'chunks', 'summary'] as const;
type TaPart = (typeof TA_PARTS)[number];
const TA_FILES: Record<TaPart, string> = { base: 'base_solution.json', problem: 'problem.json', chunks: 'chunks_labeled.json', summary: 'summary.json' };

function seedOf(name: string, text: string): Seed {
  const parsed = safeParseJson(text);
  return parsed.ok ? { name, text, json: parsed.value } : { name, text };
}
const LINES_PER_JSONL = 200;

/** Loads every real file under `dataDir` (skipping licences) as seeds. */
export function loadCorpus(dataDir: string): Corpus {
  const all: Seed[] = [];
  const json: Seed[] = [];
  const thoughtAnchors: Record<TaPart, Seed>[] = [];
  const add = (name: string, text: string): void => {
    const seed = seedOf(name, text);
    all.push(seed);
    if (seed.json !== undefined) json.push(seed);
  };
  const walk = (dir: string): void => {
    const names = readdirSync(dir).sort();
    if (names.includes('base_solution.json')) {
      const read = (part: TaPart): Seed => {
        const p = join(dir, TA_FILES[part]);
        return seedOf(p, existsSync(p) ? readFileSync(p, 'utf8') : '');
      };
      thoughtAnchors.push({ base: read('base'), problem: read('problem'), chunks: read('chunks'), summary: read('summary') });
    }
    for (const n of names) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) {
        walk(p);
        continue;
      }
      if (/^LICENSE|README/i.test(n)) continue;
      const text = readFileSync(p, 'utf8');
      if (extname(n) === '.jsonl') {
        const lines = text.split('\n').filter((l) => l.trim());
        const step = Math.max(1, Math.floor(lines.length / LINES_PER_JSONL));
        for (let i = 0; i < lines.length; i += step) add(`${p}:${i + 1}`, lines[i]!.slice(0, MAX_SEED_CHARS));
        // The head of the file as a whole too (several lines: the JSONL reader's view).
        add(`${p} (head)`, lines.slice(0, 5).join('\n'));
      } else {
        add(p, text.slice(0, MAX_SEED_CHARS));
      }
    }
  };
  walk(dataDir);
  if (!all.length) throw new Error(`no seed files under ${dataDir}`);
  return { all, json, thoughtAnchors };
}

/** Tokens of the formats the parsers know, and of the ways JSON and text break. */
const DICTIONARY = [
  '<think>', '</think>', '<thinking>', '</thinking>', '<thought>', '</thought>', '<reasoning>', '</reasoning>',
  '<|begin_of_thought|>', '<|end_of_thought|>', '<|begin_of_solution|>', '<|end_of_solution|>',
  '<｜User｜>', '<｜Assistant｜>', '<｜end▁of▁sentence｜>', '<|im_start|>', '<|im_end|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>',
  '\\boxed{', '}', '{', '[', ']', '"', '\\', '\\u', '\\ud800', '\\u0000', ',', ':', 'null', 'true', '1e999', '-0', '9007199254740993',
  '####', '```', '\n', '\r\n', '\r', '\n\n', '\t', '\uFEFF', '\u0000', '\uD800', '\uDC00', '\u2028', '😀', 'é', '日本', 'the answer is ',
  '"__proto__"', '"constructor"', '"prototype"', '"reasoning_content"', '"reasoning"', '"choices"', '"message"', '"logprobs"', '"content"',
  '"messages"', '"conversations"', '"role"', '"assistant"', '"user"', '"from"', '"value"', '"gpt"', '"top_logprobs"', '"token"', '"logprob"',
  '"tokens"', '"token_logprobs"', '"text_offset"', '"prompt_logprobs"', '"delta"', '"object"', '"chat.completion.chunk"', '"generations"',
  '"full_cot"', '"solution"', '"chunk"', '"chunks"', '"function_tags"', '"question"', '"answer"', '"problem"', '"text"', '"type"', '"thinking"',
];

const KEYS = DICTIONARY.filter((d) => /^"[a-z_]+"$/.test(d)).map((d) => d.slice(1, -1));

type Rng = () => number;
type Tree = Record<string, unknown>;

/** Own-property access, as JSON.parse builds objects: `__proto__` is a key like any other, never the prototype. */
const getOwn = (o: Tree, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
const setOwn = (o: Tree, k: string, value: unknown): void => void Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, a: readonly T[]): T => a[int(rng, a.length)]!;

/** A random string of dictionary tokens and noise (the generated, seedless inputs). */
function generated(rng: Rng): string {
  const parts: string[] = [];
  const n = 1 + int(rng, 60);
  for (let i = 0; i < n; i++) {
    const r = rng();
    if (r < 0.6) parts.push(pick(rng, DICTIONARY));
    else if (r < 0.9) parts.push(String.fromCharCode(...Array.from({ length: 1 + int(rng, 8) }, () => 32 + int(rng, 95))));
    else parts.push(String.fromCharCode(int(rng, 0x10000)));
  }
  return parts.join('');
}

/** One havoc step on a string. */
function mutateOnce(rng: Rng, s: string, other: () => string): string {
  const at = (): number => int(rng, s.length + 1);
  switch (int(rng, 9)) {
    case 0: {
      // Replace a code unit with any code unit (lone surrogates and control characters included).
      const i = int(rng, Math.max(1, s.length));
      return s.slice(0, i) + String.fromCharCode(int(rng, 0x10000)) + s.slice(i + 1);
    }
    case 1: {
      const i = at();
      return s.slice(0, i) + pick(rng, DICTIONARY) + s.slice(i);
    }
    case 2: {
      const i = at();
      const len = 1 + int(rng, rng() < 0.8 ? 64 : Math.max(1, s.length >> 2));
      return s.slice(0, i) + s.slice(i + len);
    }
    case 3:
      return s.slice(0, at());
    case 4: {
      // Duplicate a slice somewhere else.
      const a = at();
      const b = Math.min(s.length, a + int(rng, 4096));
      const i = at();
      return s.slice(0, i) + s.slice(a, b) + s.slice(i);
    }
    case 5: {
      // Cross-over with another seed.
      const o = other();
      return s.slice(0, at()) + o.slice(int(rng, o.length + 1));
    }
    case 6: {
      // Deep nesting or long runs (recursion limits, quadratic scans).
      const unit = pick(rng, ['[', '{"a":', '{"messages":[', '<think>', '\\', '"', '\n', '{"choices":[{"message":{"content":']);
      const i = at();
      return s.slice(0, i) + unit.repeat(1 + int(rng, 3000)) + s.slice(i);
    }
    case 7: {
      // Swap two slices.
      const a = at();
      const b = at();
      const [x, y] = a < b ? [a, b] : [b, a];
      const m = x + int(rng, y - x + 1);
      return s.slice(0, x) + s.slice(m, y) + s.slice(x, m) + s.slice(y);
    }
    default: {
      // Change a digit run (offsets, indices, counts).
      const i = int(rng, Math.max(1, s.length));
      const j = s.slice(i).search(/\d/);
      if (j < 0) return s;
      const k = i + j;
      const end = k + (/^\d+/.exec(s.slice(k))?.[0].length ?? 1);
      return s.slice(0, k) + pick(rng, ['0', '-1', '999999999', '1e308', '3.5', 'NaN', '18446744073709551616']) + s.slice(end);
    }
  }
}

/** A random JSON value for tree mutations. */
function randomValue(rng: Rng, depth = 0): unknown {
  switch (int(rng, depth > 2 ? 5 : 7)) {
    case 0: return null;
    case 1: return rng() < 0.5;
    case 2: return pick(rng, [0, -1, 1e308, -0, 3.5, 2 ** 53 + 2, 123456789]);
    case 3: return generated(rng);
    case 4: return pick(rng, ['assistant', 'user', 'system', 'gpt', 'chat.completion', 'chat.completion.chunk', '', 'thinking']);
    case 5: return Array.from({ length: int(rng, 4) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Tree = {};
      for (let i = int(rng, 4); i > 0; i--) setOwn(o, pick(rng, KEYS), randomValue(rng, depth + 1));
      return o;
    }
  }
}

/** Mutates a parsed JSON value in place at a random node (replace, delete, wrap, retype). */
function mutateTree(rng: Rng, root: unknown): unknown {
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (depth > 40 || containers.length > 5000 || typeof v !== 'object' || v === null) return;
    containers.push(v as Record<string, unknown>);
    for (const child of Object.values(v)) visit(child, depth + 1);
  };
  visit(root, 0);
  if (!containers.length) return randomValue(rng);
  const target = pick(rng, containers);
  const keys = Object.keys(target);
  const key = keys.length && rng() < 0.8 ? pick(rng, keys) : Array.isArray(target) ? String(target.length) : pick(rng, KEYS);
  const rec = target as Tree;
  const old = getOwn(rec, key);
  switch (int(rng, 5)) {
    case 0: setOwn(rec, key, randomValue(rng)); break;
    case 1: if (Array.isArray(target)) target.splice(Number(key), 1); else delete rec[key]; break;
    case 2: setOwn(rec, key, [old]); break;
    case 3: {
      const wrapped: Tree = {};
      setOwn(wrapped, pick(rng, KEYS), old);
      setOwn(rec, key, typeof old === 'string' ? old.slice(0, int(rng, old.length + 1)) + pick(rng, DICTIONARY) : wrapped);
      break;
    }
    default: if (Array.isArray(target) && target.length) target.push(...target.slice(0, 1 + int(rng, target.length))); else setOwn(rec, pick(rng, KEYS), old);
  }
  return root;
}

/** Input `index` for a text parser: generated (10%), or a seed under 1-5 havoc steps. */
export function mutatedText(seeds: readonly Seed[], index: number, salt: number): string {
  const rng = mulberry32(Math.imul(index + 1, 0x9e3779b1) ^ salt);
  if (rng() < 0.1) return generated(rng);
  let s = pick(rng, seeds).text;
  for (let n = 1 + int(rng, 5); n > 0; n--) s = mutateOnce(rng, s, () => pick(rng, seeds).text);
  return s.length > 2 * MAX_SEED_CHARS ? s.slice(0, 2 * MAX_SEED_CHARS) : s;
}

/** Input `index` for a record parser: a JSON seed's tree mutated (half), else its text mutated and re-parsed. */
function mutatedRecord(seeds: readonly Seed[], index: number, salt: number): unknown {
  const rng = mulberry32(Math.imul(index + 1, 0x85ebca6b) ^ salt);
  const seed = pick(rng, seeds);
  if (seed.json !== undefined && rng() < 0.5) {
    let value: unknown = structuredClone(seed.json);
    for (let n = 1 + int(rng, 4); n > 0; n--) value = mutateTree(rng, value);
    return value;
  }
  const parsed = safeParseJson(mutatedText(seeds, index, salt ^ 0x5bd1e995));
  return parsed.ok ? parsed.value : randomValue(rng);
}

/** The outcome of one input. */
type Outcome = { ok: true } | { ok: false; error: string };

/** A parser under test: builds input `index` and runs it (returns, or throws a crash). */
export interface FuzzTarget {
  readonly name: string;
  /** Runs input `index`; resolves when done. Throws (or rejects) on a crash. */
  run(index: number): void | Promise<void>;
  /** The input as text, for a failure report. */
  describe(index: number): string;
  dispose?(): void;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}

/** Every parser that reads untrusted input, with its invariants. */
export function fuzzTargets(corpus: Corpus): FuzzTarget[] {
  const text = (salt: number) => (i: number): string => mutatedText(corpus.all, i, salt);
  const jsonText = (salt: number) => (i: number): string => mutatedText(corpus.json, i, salt);
  let folder: string | undefined;
  const scratch = (): string => (folder ??= mkdtempSync(join(tmpdir(), 'rl-fuzz-')));
  // Each part of a real problem folder: as it is (40%), mutated (40%) or replaced by a random value.
  const taInput = (i: number): Record<TaPart, unknown> => {
    const rng = mulberry32(Math.imul(i + 1, 0xc2b2ae35));
    const ta = pick(rng, corpus.thoughtAnchors);
    const parts = {} as Record<TaPart, unknown>;
    TA_PARTS.forEach((k, n) => {
      const r = rng();
      parts[k] = r < 0.4 ? structuredClone(ta[k].json) : r < 0.8 ? mutatedRecord([ta[k]], i * 4 + n, 0x1234) : randomValue(rng);
    });
    return parts;
  };
  const fileBytes = (i: number): Buffer => {
    const rng = mulberry32(Math.imul(i + 1, 0x27d4eb2f));
    const body = Buffer.from(mutatedText(corpus.all, i, 0x77), 'utf8');
    // Byte-level damage too: invalid UTF-8, NULs, a BOM.
    for (let n = int(rng, 3); n > 0 && body.length; n--) body[int(rng, body.length)] = int(rng, 256);
    return rng() < 0.1 ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
  };
  const fileExt = (i: number): string => pick(mulberry32(i ^ 0x3c6ef372), ['.jsonl', '.json', '.md', '.txt', '.ndjson']);
  return [
    {
      name: 'parseTraceText',
      run: (i) => {
        const input = text(1)(i);
        const t = parseTraceText(input);
        const offset = t.metadata.reasoningOffset as number;
        check(input.replace(/^\uFEFF/, '').slice(offset, offset + t.reasoning.length) === t.reasoning, 'reasoning is the text at reasoningOffset');
      },
      describe: text(1),
    },
    {
      name: 'safeParseJson',
      run: (i) => {
        const r = safeParseJson(jsonText(2)(i));
        check(r.ok || typeof r.message === 'string', 'an error has a message');
      },
      describe: jsonText(2),
    },
    {
      name: 'parseTraceRecord',
      run: (i) => {
        const { traces, errors } = parseTraceRecord(mutatedRecord(corpus.json, i, 3));
        for (const t of traces) {
          check(typeof t.reasoning === 'string' && typeof t.answer === 'string' && typeof t.prompt === 'string', 'text fields are strings');
          for (const lp of t.logprobs ?? []) check((lp.start === -1 && lp.end === -1) || (lp.start >= 0 && lp.end >= lp.start), 'token offsets are -1 or ordered');
        }
        for (const e of errors) check(typeof e.message === 'string', 'an error has a message');
      },
      describe: (i) => JSON.stringify(mutatedRecord(corpus.json, i, 3)) ?? 'undefined',
    },
    {
      name: 'parseThoughtAnchors',
      run: (i) => {
        const t = parseThoughtAnchors(taInput(i), { file: 'fuzz' }, `ta-${i}`);
        check(typeof t.reasoning === 'string', 'reasoning is a string');
        for (const c of t.chunks ?? []) check((c.start === -1 && c.end === -1) || (c.start >= 0 && c.end >= c.start && c.end <= t.reasoning.length), 'chunks lie inside the reasoning or are -1');
      },
      describe: (i) => JSON.stringify(taInput(i)) ?? 'undefined',
    },
    {
      name: 'JsonArrayScanner',
      run: (i) => {
        const bytes = Buffer.from(`[${jsonText(5)(i)}]`, 'utf8');
        const rng = mulberry32(i ^ 0x165667b1);
        const scanner = new JsonArrayScanner();
        let pos = 0;
        let last = -1;
        while (pos < bytes.length) {
          const n = 1 + int(rng, 4096);
          scanner.feed(bytes.subarray(pos, pos + n), (e) => {
            check(e.start > last && e.start <= e.end && e.end <= bytes.length, 'elements are ordered and inside the input');
            last = e.end;
          });
          pos += n;
        }
        scanner.finish();
      },
      describe: (i) => `[${jsonText(5)(i)}]`,
    },
    {
      name: 'readTraces (files)',
      run: async (i) => {
        const path = join(scratch(), `input${fileExt(i)}`);
        writeFileSync(path, fileBytes(i));
        const r = await readTraces(path);
        for (const t of r.traces) check(typeof t.reasoning === 'string', 'reasoning is a string');
        for (const e of r.errors) check(typeof e.message === 'string', 'an error has a message');
      },
      describe: (i) => `${fileExt(i)}: ${fileBytes(i).toString('latin1')}`,
      dispose: () => {
        if (folder) rmSync(folder, { recursive: true, force: true });
      },
    },
  ];
}

/** What a campaign found. */
export interface FuzzReport {
  readonly target: string;
  inputs: number;
  readonly crashes: { index: number; error: string }[];
  readonly hangs: { index: number; ms: number }[];
  /** Slowest input (ms) and its index. */
  slowest: { index: number; ms: number };
}

/** Runs inputs `[from, to)` of `target` in this thread; `onInput` is told each index before it runs (watchdogs). */
export async function runCampaign(target: FuzzTarget, from: number, to: number, onInput?: (index: number) => void): Promise<FuzzReport> {
  const report: FuzzReport = { target: target.name, inputs: 0, crashes: [], hangs: [], slowest: { index: -1, ms: 0 } };
  const polluted = (): boolean => Object.keys(Object.prototype).length > 0 || ({} as Record<string, unknown>).polluted !== undefined;
  for (let i = from; i < to; i++) {
    onInput?.(i);
    const started = performance.now();
    let outcome: Outcome = { ok: true };
    try {
      await target.run(i);
      if (polluted()) outcome = { ok: false, error: 'Object.prototype was modified' };
    } catch (e) {
      outcome = { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
    const ms = performance.now() - started;
    report.inputs++;
    if (!outcome.ok) report.crashes.push({ index: i, error: outcome.error });
    if (ms > 1000) report.hangs.push({ index: i, ms });
    if (ms > report.slowest.ms) report.slowest = { index: i, ms };
  }
  return report;
}
