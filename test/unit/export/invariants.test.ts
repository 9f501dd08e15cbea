/**
 * What every export guarantees, checked as properties over every pruning method × every trace source
 * of ../shared/data (real outputs of generation tools, incl. wild/) and of test/fixtures:
 * - every input record is written in `same` format (same count of JSONL lines, array elements, files);
 * - re-reading the output gives the same traces, none with an emptied reasoning, each with the same
 *   prompt and answer;
 * - bytes outside the reasoning are identical (JSON compared token by token: only string values that
 *   hold a trace's reasoning may differ, and only inside it; stale token `logprobs` may become null);
 * - SFT rows never close a truncated trace with `</think>` and an empty answer, and leave it out by
 *   default.
 * Scores come from the file's logprobs where a trace has them, else from a deterministic word-hash
 * backend (so the budgeted methods prune every trace, not just the few with logprobs).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { repoPath, sharedData } from '../helpers';
import { readTraces } from '../../../src/core/trace';
import { listTraceSources, type TraceSource } from '../../../src/core/trace/read';
import { emptyTotals, exportSource, sourceKind, type AsyncTracePruner, type ExportTotals } from '../../../src/core/export/dataset';
import { writeFileAtomic } from '../../../src/core/export/atomicWrite';
import type { ExportFormat, TruncatedPolicy } from '../../../src/core/export/serialize';
import { METHOD, PICKABLE_METHODS, pruneMethod, type PruneMethodId } from '../../../src/core/prune/methods';
import { segment } from '../../../src/core/steps';
import { backendPruner } from '../../../src/pipeline/pruneRunner';
import type { ScoredText, ScoringBackend, TokenizedText } from '../../../src/model/backend';
import type { Trace } from '../../../src/core/trace/types';

/** Records of a large JSONL file that the properties run on (they hold per record). */
const MAX_RECORDS = 40;
/** The model methods call the backend O(steps²) times: they run on traces of at most this many steps. */
const MAX_SLOW_STEPS = 30;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Word tokens with logprobs, entropy and two candidates from a hash of the word: deterministic scores for any text. */
class WordHashBackend implements ScoringBackend {
  async tokenize(text: string): Promise<TokenizedText> {
    const starts: number[] = [];
    const ends: number[] = [];
    const tokens: string[] = [];
    for (const m of text.matchAll(/\S+/g)) {
      starts.push(m.index);
      ends.push(m.index + m[0].length);
      tokens.push(m[0]);
    }
    return { ids: new Int32Array(tokens.length).fill(-1), tokens, starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
  }
  async score(text: string): Promise<ScoredText> {
    const t = await this.tokenize(text);
    const logprob = Float32Array.from(t.tokens, (w) => -((hash(w) % 997) / 100) - 0.05);
    const entropy = Float32Array.from(t.tokens, (w) => ((hash(`e${w}`) % 500) / 100) + 0.01);
    const top = new Float32Array(t.tokens.length * 2);
    logprob.forEach((lp, i) => {
      top[2 * i] = lp;
      top[2 * i + 1] = lp - 1;
    });
    return { ...t, logprob, entropy, entropyKind: 'full', topK: { k: 2, logprobs: top, tokens: t.tokens.flatMap((w) => [w, `${w}'`]) }, bosPrepended: true };
  }
  async generate(): Promise<never> {
    throw new Error('not a generator');
  }
  describe() {
    return { id: 'word-hash', name: 'word-hash', kind: 'onnx' as const, fullEntropy: true, canGenerate: false };
  }
  async dispose(): Promise<void> {}
}

const backend = new WordHashBackend();
const work = mkdtempSync(join(tmpdir(), 'rl-invariants-'));

/** Every trace source of the shared data and the fixtures (large JSONL files cut to their first records). */
async function sources(): Promise<{ name: string; source: TraceSource }[]> {
  const out: { name: string; source: TraceSource }[] = [];
  for (const root of [sharedData(), repoPath('test', 'fixtures')]) {
    for (const source of (await listTraceSources(root)).sources) {
      const name = relative(root, source.path);
      if (source.kind === 'file' && (await sourceKind(source.path)).kind === 'jsonl') {
        const lines = readFileSync(source.path, 'utf8').split('\n');
        if (lines.length > MAX_RECORDS + 1) {
          const cut = join(work, 'inputs', name);
          mkdirSync(join(cut, '..'), { recursive: true });
          writeFileSync(cut, `${lines.slice(0, MAX_RECORDS).join('\n')}\n`);
          out.push({ name, source: { kind: 'file', path: cut } });
          continue;
        }
      }
      out.push({ name, source });
    }
  }
  return out;
}

/** The pruner of one method (or chain) as the CLI's `--model` and the editor's dataset export build it. */
function pruner(methods: readonly PruneMethodId[]): AsyncTracePruner {
  const prune = backendPruner({
    method: methods[0]!, then: methods.slice(1), budget: { kind: 'ratio', ratio: 0.5 }, segmentation: 'auto', backend, preferFileScores: true,
  });
  if (!methods.some((m) => pruneMethod(m).slow)) return prune;
  return (trace: Trace) => (segment(trace.reasoning, 'auto', trace.chunks).length > MAX_SLOW_STEPS ? { ok: false, reason: 'too many steps for this test' } : prune(trace));
}

/** Exports `source` like the CLI does (a folder source into a folder with its companion files) and returns the output path. */
async function exportTo(source: TraceSource, name: string, methods: readonly PruneMethodId[], format: ExportFormat, truncated: TruncatedPolicy = 'skip'): Promise<{ out: string; totals: ExportTotals }> {
  const totals = emptyTotals();
  const dir = join(work, methods.join('+'), format, truncated, name);
  mkdirSync(dir, { recursive: true });
  const content = exportSource(source.path, pruner(methods), format, totals, { truncated });
  if (format === 'sft') {
    const out = join(dir, 'rows.jsonl');
    await writeFileAtomic(out, content);
    return { out, totals };
  }
  if (source.kind === 'file') {
    const out = join(dir, basename(source.path));
    await writeFileAtomic(out, content);
    return { out, totals };
  }
  const file = source.kind === 'thought-anchors' ? 'base_solution.json' : 'response.md';
  await writeFileAtomic(join(dir, file), content);
  const companion = source.kind === 'thought-anchors' ? 'problem.json' : 'prompt.md';
  if (existsSync(join(source.path, companion))) copyFileSync(join(source.path, companion), join(dir, companion));
  return { out: dir, totals };
}

// ---------------------------------------------------------------------------------------------
// Bytes outside the reasoning

const TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\]:,]|\s+|[^\s{}[\]:,"]+/gy;

function tokens(text: string): string[] {
  TOKEN.lastIndex = 0;
  const out: string[] = [];
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) out.push(m[0]);
  assert.equal(out.join(''), text, 'the JSON tokenizer covers the text');
  return out;
}

/** Index after the JSON value that starts at token `i` (whitespace skipped). */
function valueEnd(toks: readonly string[], i: number): number {
  let depth = 0;
  for (let j = i; j < toks.length; j++) {
    const t = toks[j]!;
    if (t === '{' || t === '[') depth++;
    else if (t === '}' || t === ']') depth--;
    if (depth === 0 && !/^\s+$/.test(t)) return j + 1;
  }
  return toks.length;
}

/** `b` is `a` with the text of one occurrence of one of `reasonings` changed: what precedes and follows it is intact. */
function changedInsideReasoning(a: string, b: string, reasonings: readonly string[]): boolean {
  return reasonings.some((r) => {
    for (let at = a.indexOf(r); at >= 0; at = a.indexOf(r, at + 1)) {
      const before = a.slice(0, at);
      const after = a.slice(at + r.length);
      if (b.length >= before.length + after.length && b.startsWith(before) && b.endsWith(after)) return true;
    }
    return false;
  });
}

/**
 * Compares two JSON texts token by token: equal, except string values changed only inside a
 * reasoning (JSON held in a string is compared the same way) and `logprobs` values set to null.
 */
function assertSameOutsideReasoning(input: string, output: string, reasonings: readonly string[], where: string): void {
  const a = tokens(input);
  const b = tokens(output);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      i++;
      j++;
      continue;
    }
    if (y === 'null' && x !== undefined && (x === '{' || x === '[') && /^"logprobs"$/.test(a.slice(0, i).reverse().find((t) => t !== ':' && !/^\s+$/.test(t)) ?? '')) {
      i = valueEnd(a, i);
      j++;
      continue;
    }
    if (x === undefined || y === undefined || !x.startsWith('"') || !y.startsWith('"')) {
      assert.fail(`${where}: a byte outside any string changed (${JSON.stringify(x)} → ${JSON.stringify(y)})`);
    }
    const sx = JSON.parse(x) as string;
    const sy = JSON.parse(y) as string;
    const nested = /^\s*[[{]/.test(sx) && /^\s*[[{]/.test(sy);
    if (nested) assertSameOutsideReasoning(sx, sy, reasonings, `${where} (JSON in a string)`);
    else assert.ok(changedInsideReasoning(sx, sy, reasonings), `${where}: a string changed outside the reasoning: ${JSON.stringify(sx.slice(0, 80))}`);
    i++;
    j++;
  }
}

/** The text file changed only inside the reasoning the reader found at its offset. */
function assertTextChangedInsideReasoning(input: string, output: string, trace: Trace, where: string): void {
  if (input === output) return;
  const at = trace.metadata.reasoningOffset;
  assert.equal(typeof at, 'number', `${where}: a text trace knows where its reasoning is`);
  const bom = input.charCodeAt(0) === 0xfeff ? 1 : 0;
  const start = bom + (at as number);
  assert.equal(output.slice(0, start), input.slice(0, start), `${where}: text before the reasoning unchanged`);
  const after = input.slice(start + trace.reasoning.length);
  assert.ok(output.endsWith(after), `${where}: text after the reasoning unchanged`);
}

// ---------------------------------------------------------------------------------------------

const METHODS: readonly (readonly PruneMethodId[])[] = [...PICKABLE_METHODS.map((m) => [m.id]), [METHOD.loops, METHOD.asap]];

describe('export invariants: every method × every trace source of ../shared/data and test/fixtures', async () => {
  const all = await sources();
  test('there are real sources to check (wild tools, Thought-Anchors, prompt/response folders, fixtures)', () => {
    assert.ok(all.some((s) => s.name.startsWith('wild')), 'the wild files');
    assert.ok(all.some((s) => s.source.kind === 'thought-anchors') && all.some((s) => s.source.kind === 'prompt-response'));
    assert.ok(all.length > 40, `${all.length} sources`);
  });

  for (const methods of METHODS) {
    const label = methods.join(',');
    test(`${label}: same format — every record written, reasoning never emptied, nothing outside it changed, same traces on re-reading`, { timeout: 300_000 }, async () => {
      let pruned = 0;
      for (const { name, source } of all) {
        const input = await readTraces(source.path);
        const { out, totals } = await exportTo(source, name, methods, 'same');
        pruned += totals.pruned;
        const output = await readTraces(out);
        assert.equal(output.traces.length, input.traces.length, `${name}: same number of traces on re-reading`);
        input.traces.forEach((t, k) => {
          const o = output.traces[k]!;
          if (t.reasoning.trim()) assert.ok(o.reasoning.trim(), `${name} ${t.id}: reasoning emptied`);
          assert.ok(o.reasoning.length <= t.reasoning.length, `${name} ${t.id}: pruning never adds text`);
          assert.equal(o.prompt, t.prompt, `${name} ${t.id}: prompt unchanged`);
          assert.equal(o.answer, t.answer, `${name} ${t.id}: answer unchanged`);
          assert.equal(o.truncated, t.truncated, `${name} ${t.id}: truncated flag unchanged`);
        });
        const kind = (await sourceKind(source.path)).kind;
        const reasonings = input.traces.map((t) => t.reasoning).filter(Boolean);
        if (kind === 'jsonl') {
          const inLines = readFileSync(source.path, 'utf8').split('\n').filter((l) => l.trim());
          const outLines = readFileSync(out, 'utf8').split('\n').filter((l) => l.trim());
          assert.equal(outLines.length, inLines.length, `${name}: one output line per input record`);
          inLines.forEach((line, k) => {
            if (line.replace(/\r$/, '') !== outLines[k]) assertSameOutsideReasoning(line.replace(/^\uFEFF/, '').replace(/\r$/, ''), outLines[k]!, reasonings, `${name} line ${k + 1}`);
          });
        } else if (kind === 'json' || kind === 'thought-anchors') {
          const inText = readFileSync(kind === 'json' ? source.path : join(source.path, 'base_solution.json'), 'utf8');
          const outText = readFileSync(kind === 'json' ? out : join(out, 'base_solution.json'), 'utf8');
          assertSameOutsideReasoning(inText, outText, reasonings, name);
        } else if (kind === 'stream') {
          assert.equal(readFileSync(out, 'utf8'), readFileSync(source.path, 'utf8'), `${name}: a stream capture is copied as it was`);
        } else {
          const file = kind === 'prompt-response' ? 'response.md' : undefined;
          const inText = readFileSync(file ? join(source.path, file) : source.path, 'utf8');
          const outText = readFileSync(file ? join(out, file) : out, 'utf8');
          assertTextChangedInsideReasoning(inText, outText, input.traces[0]!, name);
        }
      }
      assert.ok(pruned > 0, `${label} pruned some traces`);
    });
  }

  test('SFT rows: every trace with reasoning and not cut off, one row each; a truncated one only with --truncated keep, and never closed', { timeout: 300_000 }, async () => {
    for (const methods of [[METHOD.asap], [METHOD.loops]] as const) {
      for (const { name, source } of all) {
        const traces = (await readTraces(source.path)).traces.filter((t) => t.reasoning.trim());
        const truncated = traces.filter((t) => t.truncated).length;
        for (const policy of ['skip', 'keep'] as const) {
          const { out, totals } = await exportTo(source, name, methods, 'sft', policy);
          const rows = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { messages: { role: string; content: string }[] }) : [];
          assert.equal(rows.length, policy === 'keep' ? traces.length : traces.length - truncated, `${name} (${policy}): rows`);
          assert.equal(rows.filter((r) => !r.messages[1]!.content.includes('</think>')).length, policy === 'keep' ? truncated : 0, `${name} (${policy}): only cut-off traces stay open`);
          for (const r of rows) assert.ok(r.messages[1]!.content.replace(/^<think>\n/, '').split('</think>')[0]!.trim(), `${name}: an SFT row with an empty reasoning`);
          assert.equal(totals.pruned + totals.skipped.length, rows.length, `${name}: every row counted`);
        }
      }
    }
  });
});
