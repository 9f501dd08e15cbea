import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { readTraces, parseTraceRecord } from '../../src/core/trace';
import { fastChatTraces } from '../../src/core/export/dataset';
import { readCheckpoint, runJsonlPipeline } from '../../src/cli/workerPool';
import { makeRecord, jsonlChunks } from '../../bench/pruneFixture';
import { repoPath } from './helpers';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'rl-cli-prune-'));
const data = join(dir, 'chat.jsonl');
writeFileSync(data, [...jsonlChunks(30, 200, 7)].join(''));

let workerScript = '';
before(async () => {
  // The worker bundle the CLI spawns threads from (the test bundle has none beside it).
  workerScript = repoPath('out', 'test-worker', `cliWorker-${process.pid}.js`);
  const { build } = createRequire(repoPath('package.json'))('esbuild') as typeof import('esbuild');
  await build({ entryPoints: [repoPath('src/cli/worker.ts')], outfile: workerScript, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['onnxruntime-node', 'vscode'], logLevel: 'warning' });
});

describe('cli prune', () => {
  test('usage errors exit 2, unreadable input exits 1, the source is never the output', async () => {
    assert.equal((await run('prune', data, '-o', join(dir, 'x.jsonl'))).code, 2, 'missing --method');
    assert.equal((await run('prune', data, '--method', 'asap')).code, 2, 'missing -o');
    const bad = await run('prune', data, '--method', 'asap', '--budget', '150', '-o', join(dir, 'x.jsonl'));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /ambiguous/);
    assert.equal((await run('prune', data, '--method', 'nope', '-o', join(dir, 'x.jsonl'))).code, 2);
    assert.equal((await run('prune', join(dir, 'missing.jsonl'), '--method', 'asap', '-o', join(dir, 'x.jsonl'))).code, 1);
    const self = await run('prune', data, '--method', 'asap', '-o', data);
    assert.equal(self.code, 2);
    assert.match(self.err, /refusing to write over the source/);
    const model = await run('prune', data, '--method', 'perplexity', '-o', join(dir, 'x.jsonl'));
    assert.equal(model.code, 2);
    assert.match(model.err, /--model DIR or --endpoint/);
    assert.equal(existsSync(join(dir, 'x.jsonl')), false);
  });

  test('prunes a JSONL dataset with its own logprobs: totals, same format, readable output', async () => {
    const out = join(dir, 'out.jsonl');
    const r = await run('prune', data, '--method', 'asap', '--budget', '70%', '-o', out, '--workers', '0');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /prune: 30 records, 30 traces, 30 pruned, 0 not pruned/);
    const m = /tokens: ([\d,]+) → ([\d,]+)/.exec(r.err);
    assert.ok(m, r.err);
    const [before, after] = [Number(m[1]!.replace(/,/g, '')), Number(m[2]!.replace(/,/g, ''))];
    assert.ok(after <= Math.floor(before * 0.7) + 30 && after < before, `${before} → ${after}`);
    const back = await readTraces(out);
    const orig = await readTraces(data);
    assert.equal(back.traces.length, 30);
    back.traces.forEach((t, i) => {
      assert.equal(t.format, 'openai-chat');
      assert.ok(t.reasoning.length < orig.traces[i]!.reasoning.length);
      assert.equal(t.answer, orig.traces[i]!.answer);
    });
    // An existing output that is complete: a re-run skips everything.
    const again = await run('prune', data, '--method', 'asap', '--budget', '70%', '-o', out, '--workers', '0');
    assert.equal(again.code, 0);
    assert.match(again.err, /resumed: 30 records were already in the output/);
    // Other options on the same output: refuse instead of mixing two runs.
    const other = await run('prune', data, '--method', 'asap', '--budget', '50%', '-o', out);
    assert.equal(other.code, 2);
    assert.match(other.err, /other options/);
  });

  test('worker threads give byte-identical output to the main thread; SFT rows', async () => {
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    assert.equal((await run('prune', data, '--method', 'entropy', '-o', a, '--workers', '0')).code, 0);
    process.env.RL_CLI_WORKER = workerScript;
    try {
      const r = await run('prune', data, '--method', 'entropy', '-o', b, '--workers', '2');
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /2 worker threads/);
    } finally {
      delete process.env.RL_CLI_WORKER;
    }
    assert.equal(readFileSync(b, 'utf8'), readFileSync(a, 'utf8'));
    const sft = join(dir, 'sft.jsonl');
    assert.equal((await run('prune', data, '--method', 'asap', '--format', 'sft', '-o', sft)).code, 0);
    const row = JSON.parse(readFileSync(sft, 'utf8').split('\n')[0]!);
    assert.match(row.messages[1].content, /^<think>\n[\s\S]+\n<\/think>\nThe answer is \\boxed\{\d+\}\.$/);
  });

  test('resumable: an interrupted run continues from its checkpoint and ends with the same output', async () => {
    const full = join(dir, 'full.jsonl');
    assert.equal((await run('prune', data, '--method', 'asap', '-o', full, '--workers', '0')).code, 0);
    const part = join(dir, 'part.jsonl');
    const controller = new AbortController();
    const io = { stdout: () => undefined, stderr: () => undefined };
    await assert.rejects(
      runJsonlPipeline({
        input: data, output: part, io, isTty: false, workers: 0, batchSize: 4, signal: controller.signal,
        // The options the CLI run below uses by default (auto segmentation), so that it resumes this run.
        config: { kind: 'prune', file: data, method: 'asap', budget: { kind: 'ratio', ratio: 0.8 }, segmentation: 'auto', format: 'same', placeholder: false },
        onProgress: (done) => { if (done >= 8) controller.abort(); },
      }),
      { name: 'AbortError' },
    );
    const cp = readCheckpoint(part);
    assert.ok(cp && !cp.complete && cp.recordsDone >= 8 && cp.recordsDone < 30, JSON.stringify(cp?.recordsDone));
    // Bytes written after the checkpoint (a crash mid-batch) are dropped on resume.
    writeFileSync(part, `${readFileSync(part, 'utf8')}{"half a record`);
    const r = await run('prune', data, '--method', 'asap', '-o', part, '--workers', '0');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`resumed: ${cp.recordsDone} records`));
    assert.match(r.err, /prune: 30 records, 30 traces, 30 pruned/);
    assert.equal(readFileSync(part, 'utf8'), readFileSync(full, 'utf8'));
  });

  test('record boundaries: BOM, CRLF, blank lines and a last line without a break; line numbers in reasons', async () => {
    const recs = [0, 1, 2].map((i) => JSON.stringify(makeRecord(40 + i, 150)));
    const src = join(dir, 'crlf.jsonl');
    writeFileSync(src, `\uFEFF${recs[0]}\r\n\r\n   \r\n${recs[1]}\r\n{"broken": \r\n${recs[2]}`);
    const out = join(dir, 'crlf.out.jsonl');
    const r = await run('prune', src, '--method', 'asap', '-o', out, '--workers', '0');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /4 records, 3 traces, 3 pruned, 1 not pruned/);
    assert.match(r.err, /not JSON.*\(first: [^)]*crlf\.jsonl:5\)/);
    const back = (await readTraces(out)).traces;
    assert.deepEqual(back.map((t) => t.finalAnswer), (await readTraces(src)).traces.map((t) => t.finalAnswer));
  });

  test('traces that cannot be pruned are counted with their reason; nothing prunable exits 1', async () => {
    const src = join(dir, 'nolp.jsonl');
    writeFileSync(src, `${JSON.stringify({ question: 'Q', solution: '<think>\nA.\n\nB.\n</think>\nX' })}\nnot json\n`);
    const r = await run('prune', src, '--method', 'asap', '-o', join(dir, 'nolp.out.jsonl'));
    assert.equal(r.code, 1);
    assert.match(r.err, /2 records, 1 traces, 0 pruned, 2 not pruned/);
    assert.match(r.err, /score the trace first/);
    assert.match(r.err, /not JSON/);
  });

  test('a single trace file (think-text) is exported atomically in its own format', async () => {
    const src = join(dir, 'response.md');
    copyFileSync(repoPath('media/samples/codeforces-r1-cot-174/response.md'), src);
    const out = join(dir, 'response.pruned.md');
    const r = await run('prune', src, '--method', 'confidence', '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.match(readFileSync(out, 'utf8'), /<\/think>/);
    assert.equal((await run('prune', src, '--method', 'confidence', '-o', out)).code, 2, 'exists: needs --force');
    assert.equal((await run('prune', src, '--method', 'confidence', '-o', out, '--force')).code, 0);
  });
});

describe('cli score', () => {
  test('file logprobs: rows with per-step scores to -o (resumable), a table on stdout, exit codes', async () => {
    const out = join(dir, 'scores.jsonl');
    const r = await run('score', data, '-o', out, '--workers', '0');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /score: 30 records, 30 traces, 30 scored, 0 not scored/);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 30);
    assert.ok(rows[0].steps.length > 2);
    assert.equal(typeof rows[0].steps[0].firstTokenSurprisal, 'number');
    assert.equal(typeof rows[0].steps[0].stepEntropy, 'number');
    const table = await run('score', join(dir, 'out.jsonl').replace('out.jsonl', 'chat.jsonl'));
    assert.equal(table.code, 0);
    assert.match(table.out, /step\s+tokens\s+1st-surp/);
    // No logprobs in the file and no --model: the embedded model scores it (like the editor), or the
    // command says what to give when that model is not built.
    const plain = join(dir, 'plain-response.md');
    writeFileSync(plain, '<think>\nFirst add two and two.\n\nThen check the sum is four.\n</think>\nThe answer is 4.');
    const none = await run('score', plain, '--json');
    if (existsSync(repoPath('media', 'models', 'reasoning-lens-tiny', 'onnx', 'model.onnx'))) {
      assert.equal(none.code, 0, none.err);
      assert.match((JSON.parse(none.out.trim()) as { scoredBy: string }).scoredBy, /onnx|reasoning-lens-tiny/);
    } else {
      assert.equal(none.code, 1);
      assert.match(none.err, /no logprobs in the file and the embedded model is not built/);
    }
    assert.equal((await run('score', data, '--model', join(dir, 'nope'))).code, 2);
    assert.equal((await run('score', data, '--endpoint', 'http://127.0.0.1:9/v1')).code, 2, '--endpoint without --endpoint-model');
  });
});

test('fast chat parse places the same reasoning tokens as the general parser', () => {
  for (let i = 0; i < 20; i++) {
    const rec = makeRecord(i, 120 + i * 10);
    const source = { file: 'x', line: i + 1, jsonPath: '$' };
    const fast = fastChatTraces(rec, source, 'id', {});
    assert.ok(fast, 'the fast path applies to plain chat records');
    const slow = parseTraceRecord(rec, {}, source, 'id').traces[0]!;
    const strip = (t: { logprobs?: readonly { region: string; start: number; end: number; logprob: number; token: string }[] }) =>
      // The general parser also lists the delimiter tokens, clipped to zero width at the region's edges: they belong to no step.
      (t.logprobs ?? []).filter((x) => x.region === 'reasoning' && x.end > x.start).map((x) => [x.token, x.start, x.end, x.logprob]);
    assert.deepEqual(strip(fast[0]!), strip(slow));
    assert.equal(fast[0]!.reasoning, slow.reasoning);
    assert.equal(fast[0]!.finalAnswer, slow.finalAnswer);
  }
  // Not the fast path: tokens that do not spell the content.
  const odd = makeRecord(1);
  ((odd.choices as { logprobs: { content: { token: string }[] } }[])[0]!.logprobs.content[3]!).token = 'zzz';
  assert.equal(fastChatTraces(odd, { file: 'x', line: 1, jsonPath: '$' }, 'id', {}), undefined);
});

describe('cli with a local model', () => {
  const model = repoPath('media/models/reasoning-lens-tiny');
  const hasModel = existsSync(join(model, 'onnx', 'model.onnx'));

  test('prune --model scores each trace with the model (no logprobs needed); score --model prints per-step rows', { skip: hasModel ? false : 'media/models/reasoning-lens-tiny is not built', timeout: 120_000 }, async () => {
    const src = join(dir, 'plain.jsonl');
    const body = (n: number) => `<think>\n${Array.from({ length: 6 }, (_, k) => `Step ${k + 1}: we add ${n + k} and ${k * 3} to get ${n + 4 * k}.`).join('\n\n')}\n</think>\nThe answer is \\boxed{${n}}.`;
    writeFileSync(src, [1, 2].map((n) => JSON.stringify({ question: `What is ${n}?`, solution: body(n) })).join('\n') + '\n');
    const out = join(dir, 'plain.pruned.jsonl');
    const r = await run('prune', src, '--method', 'asap', '--budget', '0.5', '--model', model, '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /scores from reasoning-lens-tiny/);
    assert.match(r.err, /2 records, 2 traces, 2 pruned, 0 not pruned/);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const row of rows) {
      const steps = (row.solution as string).split('</think>')[0]!.split('\n\n');
      assert.ok(steps.length < 6 && steps.length >= 2, `pruned to ${steps.length} of 6 steps`);
    }
    const s = await run('score', src, '--model', model, '--json');
    assert.equal(s.code, 0, s.err);
    const scored = s.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(scored.length, 2);
    assert.match(scored[0].scoredBy, /reasoning-lens-tiny|onnx/);
    assert.equal(scored[0].steps.length, 6);
    assert.ok(scored[0].steps.every((x: { firstTokenSurprisal?: number; tokens: number }) => typeof x.firstTokenSurprisal === 'number' && x.tokens > 0));
  });
});
