/**
 * The on-disk score cache: keys that cannot collide by moving text across the prompt/reasoning
 * boundary, cached offsets checked against the trace before use, and a size cap with
 * least-recently-used eviction. Tables come from the embedded model scoring real traces.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraces } from '../../../src/core/trace';
import type { Trace } from '../../../src/core/trace/types';
import { DEFAULT_SCORE_CACHE_BYTES, ScoreCache, tableFitsText, traceContentHash } from '../../../src/pipeline/scoreCache';
import { scoreTraceTokens } from '../../../src/pipeline/scoreTrace';
import type { TokenTable } from '../../../src/core/tokenTable';
import { InProcessOnnxBackend } from '../../../src/model/onnx/local';
import { modelUnavailable, tinyModelDir } from '../model/fixtures';
import { repoPath, sharedData } from '../helpers';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'rl-cache-'));
const shifted = (t: Trace, prompt: string, reasoning: string): Trace => ({ ...t, prompt, reasoning });

describe('score cache', { skip: modelUnavailable() }, () => {
  let traces: Trace[];
  let tables: TokenTable[];
  let backendId: string;
  before(async () => {
    const gsm = (await readTraces(sharedData('gsm8k', 'test.jsonl'))).traces.slice(0, 3);
    const r1 = (await readTraces(repoPath('media/samples/codeforces-r1-cot-174'))).traces;
    traces = [...gsm, { ...r1[0]!, reasoning: r1[0]!.reasoning.slice(0, 1500) }];
    const backend = new InProcessOnnxBackend(tinyModelDir(), { threads: 1 });
    try {
      backendId = (await backend.load()).id;
      tables = [];
      for (const t of traces) tables.push(await scoreTraceTokens(t, backend));
    } finally {
      await backend.dispose();
    }
  });

  test('prompt and reasoning are length-prefixed: text moved across the boundary is another entry', async () => {
    const t = traces[0]!;
    const cut = t.prompt.length - 5;
    // Same concatenated text with a NUL where the old key put its separator: the old keys were equal.
    const a = shifted(t, `${t.prompt.slice(0, cut)}\u0000${t.prompt.slice(cut)}`, t.reasoning);
    const b = shifted(t, t.prompt.slice(0, cut), `${t.prompt.slice(cut)}\u0000${t.reasoning}`);
    assert.notEqual(traceContentHash(a), traceContentHash(b));
    const cache = new ScoreCache(fresh());
    await cache.set(a, backendId, tables[0]!);
    assert.ok(await cache.get(a, backendId));
    assert.equal(await cache.get(b, backendId), undefined, 'a different trace was served another trace\'s scores');
    assert.equal(await cache.get(a, `${backendId}x`), undefined, 'another backend');
  });

  test('cached token offsets are checked against the trace before use; a bad entry is a miss and is removed', async () => {
    const folder = fresh();
    const cache = new ScoreCache(folder);
    const t = traces[3]!;
    const table = tables[3]!;
    assert.ok(tableFitsText(table, t.reasoning.length));
    await cache.set(t, backendId, table);
    const [file] = readdirSync(folder);
    const bytes = readFileSync(join(folder, file!));
    // Point the last token's end far past the reasoning (a corrupt or hostile file). The arrays end the
    // file: starts, ends, logprob, then entropy, confidence and rank when present.
    const endsAt = bytes.length - table.ends.byteLength * (2 + (table.entropy ? 1 : 0) + (table.confidence ? 1 : 0) + (table.rank ? 1 : 0));
    bytes.writeInt32LE(t.reasoning.length + 1000, endsAt + table.ends.byteLength - 4);
    writeFileSync(join(folder, file!), bytes);
    assert.equal(await cache.get(t, backendId), undefined);
    assert.deepEqual(readdirSync(folder), [], 'the bad entry was deleted');

    const unordered: TokenTable = { ...table, starts: Int32Array.from(table.starts).reverse() };
    assert.equal(tableFitsText(unordered, t.reasoning.length), false);
    assert.equal(tableFitsText(table, t.reasoning.length - 1), false, 'a table of a longer text');
    await cache.set(t, backendId, unordered);
    assert.deepEqual(readdirSync(folder), [], 'a table that does not fit its trace is not stored');
  });

  test('the folder is capped: least recently used entries go first, a hit makes an entry recent', async () => {
    const folder = fresh();
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const f = fresh();
      await new ScoreCache(f).set(traces[i]!, backendId, tables[i]!);
      sizes.push(readdirSync(f).reduce((n, name) => n + readFileSync(join(f, name)).length, 0));
    }
    // Room for the two largest, not for all three.
    const cap = sizes.reduce((a, b) => a + b, 0) - Math.min(...sizes) + 1;
    const cache = new ScoreCache(folder, cap);
    const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 30));
    await cache.set(traces[0]!, backendId, tables[0]!);
    await pause();
    await cache.set(traces[1]!, backendId, tables[1]!);
    await pause();
    assert.ok(await cache.get(traces[0]!, backendId), 'entry 0 is used again: now the most recent');
    await pause();
    await cache.set(traces[2]!, backendId, tables[2]!);
    const total = readdirSync(folder).reduce((n, name) => n + readFileSync(join(folder, name)).length, 0);
    assert.ok(total <= cap, `${total} bytes in a ${cap}-byte cache`);
    assert.ok(await cache.get(traces[0]!, backendId), 'the recently used entry stays');
    assert.ok(await cache.get(traces[2]!, backendId), 'the new entry stays');
    assert.equal(await cache.get(traces[1]!, backendId), undefined, 'the least recently used entry was evicted');

    const off = new ScoreCache(fresh(), 0);
    await off.set(traces[0]!, backendId, tables[0]!);
    assert.equal(await off.get(traces[0]!, backendId), undefined, 'a cap of 0 caches nothing');
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } };
    assert.equal(pkg.contributes.configuration.properties['reasoningLens.scoreCache.maxSizeMB']?.default, 256);
    assert.equal(DEFAULT_SCORE_CACHE_BYTES, 256 * 1024 * 1024);
  });
});
