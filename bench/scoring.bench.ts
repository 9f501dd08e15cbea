/**
 * Scoring throughput of the local ONNX runtime (src/model/onnx) on a ~1,000-token reasoning trace:
 * tokens/s, peak RSS and achieved GFLOP/s (≈ 2 × params × tokens / time) against an fp32 MatMul peak
 * measured in the same run with onnxruntime itself. Models: the embedded one (or a tiny random one) and a
 * random-weight SmolLM-135M-shape model made by model/make_random.py. The peer (transformers.js on the
 * same folder, one forward pass + a plain JS log-softmax) runs when `@huggingface/transformers` resolves.
 *
 * Run: node scripts/runBench.mjs scoring
 */
import * as ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { OnnxCausalLM } from '../src/model/onnx/runtime';

process.env.ORT_DISABLE_TELEMETRY = '1';
const root = process.env.RL_REPO_ROOT ?? process.cwd();
const threads = cpus().length;
const TARGET_TOKENS = 1000;

function rssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function ensureModel(dir: string, flags: string[]): string | undefined {
  if (existsSync(join(dir, 'onnx', 'model.onnx'))) return dir;
  const script = join(root, 'model', 'make_random.py');
  if (!existsSync(script)) return undefined;
  console.log(`making ${dir} (${flags.join(' ')}) …`);
  const r = spawnSync('/usr/bin/python3', [script, ...flags, '--out', dir], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] });
  return r.status === 0 ? dir : undefined;
}

// --- fp32 MatMul peak: a one-node ONNX graph written by hand (protobuf wire format). ---
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const field = (no: number, bytes: number[]): number[] => [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
const fieldInt = (no: number, v: number): number[] => [...varint(no << 3), ...varint(v)];
const str = (s: string): number[] => Array.from(Buffer.from(s, 'utf8'));
function valueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => field(1, fieldInt(1, d)));
  const tensorType = [...fieldInt(1, 1 /* FLOAT */), ...field(2, shape)];
  return [...field(1, str(name)), ...field(2, field(1, tensorType))];
}
function matmulModel(n: number): Uint8Array {
  const node = [...field(1, str('A')), ...field(1, str('B')), ...field(2, str('C')), ...field(4, str('MatMul'))];
  const graph = [...field(1, node), ...field(2, str('peak')), ...field(11, valueInfo('A', [n, n])), ...field(11, valueInfo('B', [n, n])), ...field(12, valueInfo('C', [n, n]))];
  const opset = [...field(1, []), ...fieldInt(2, 13)];
  return Uint8Array.from([...fieldInt(1, 8), ...field(8, opset), ...field(7, graph)]);
}

async function matmulPeak(): Promise<number> {
  const n = 1536;
  const session = await ort.InferenceSession.create(matmulModel(n), { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000), [n, n]);
  const b = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000), [n, n]);
  await session.run({ A: a, B: b });
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await session.run({ A: a, B: b });
    best = Math.min(best, performance.now() - t0);
  }
  await session.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

interface Row {
  model: string;
  params: number;
  tokens: number;
  chunk: number;
  seconds: number;
}

async function benchOurs(dir: string, text: string, chunks: number[], runs: number): Promise<{ rows: Row[]; best: Row; rss: number }> {
  const lm = await OnnxCausalLM.load(dir, { threads });
  const enc = lm.tokenize(text);
  const cut = text.slice(0, enc.ends[Math.min(enc.ids.length, TARGET_TOKENS) - 1]);
  const params = Math.round(lm.folder.weightBytes / 4); // fp32 weights
  await lm.score(cut.slice(0, 200), { topK: 5 }); // warm-up
  const rows: Row[] = [];
  for (const chunk of chunks) {
    let best = Infinity;
    let tokens = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const s = await lm.score(cut, { topK: 5, chunkSize: chunk });
      best = Math.min(best, (performance.now() - t0) / 1000);
      tokens = s.ids.length;
    }
    rows.push({ model: basename(dir), params, tokens, chunk, seconds: best });
  }
  await lm.dispose();
  const best = rows.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { rows, best, rss: rssMb() };
}

async function benchPeer(dir: string, text: string, ourTokens: number): Promise<{ seconds: number; tokens: number } | string> {
  let transformers: Record<string, unknown>;
  try {
    require.resolve('@huggingface/transformers');
    transformers = (await import('@huggingface/transformers')) as Record<string, unknown>;
  } catch {
    return 'peer not installed (@huggingface/transformers)';
  }
  const { env, AutoModelForCausalLM, AutoTokenizer, Tensor } = transformers as {
    env: { allowRemoteModels: boolean; localModelPath: string };
    AutoModelForCausalLM: { from_pretrained(name: string, o: object): Promise<(inputs: object) => Promise<{ logits: { data: Float32Array; dims: number[] } }>> };
    AutoTokenizer: { from_pretrained(name: string): Promise<(t: string) => { input_ids: { data: BigInt64Array } }> };
    Tensor: new (type: string, data: unknown, dims: number[]) => object;
  };
  env.allowRemoteModels = false;
  env.localModelPath = dirname(dir) + '/';
  const name = basename(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu' });
  const ids = Array.from(tokenizer(text).input_ids.data, Number).slice(0, ourTokens);
  const n = ids.length;
  const run = async (): Promise<number> => {
    const t0 = performance.now();
    const input_ids = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]);
    const attention_mask = new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
    const { logits } = await (model as unknown as (i: object) => Promise<{ logits: { data: Float32Array; dims: number[] } }>)({ input_ids, attention_mask });
    // The plain way: log-softmax of each row, then pick the observed token and the entropy.
    const V = logits.dims[2];
    let sink = 0;
    for (let t = 0; t < n - 1; t++) {
      const row = logits.data.subarray(t * V, (t + 1) * V);
      const max = row.reduce((m, x) => (x > m ? x : m), -Infinity);
      const logZ = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      const lp = Array.from(row, (x) => x - logZ);
      sink += lp[ids[t + 1]] - lp.reduce((h, l) => h + Math.exp(l) * l, 0);
    }
    if (Number.isNaN(sink)) console.log('(peer produced NaN)');
    return (performance.now() - t0) / 1000;
  };
  await run();
  const seconds = Math.min(await run(), await run());
  return { seconds, tokens: n };
}

/** One side scored in this process alone, so that its peak RSS is its own (see `isolated`). */
async function runIsolated(side: string, dir: string, text: string, tokens: number, chunk: number): Promise<void> {
  let seconds: number;
  let n: number;
  if (side === 'ours') {
    const lm = await OnnxCausalLM.load(dir, { threads });
    const enc = lm.tokenize(text);
    const cut = text.slice(0, enc.ends[Math.min(enc.ids.length, tokens) - 1]);
    const t0 = performance.now();
    n = (await lm.score(cut, { topK: 5, chunkSize: chunk })).ids.length;
    seconds = (performance.now() - t0) / 1000;
  } else {
    const peer = await benchPeer(dir, text, tokens);
    if (typeof peer === 'string') throw new Error(peer);
    ({ seconds, tokens: n } = peer);
  }
  console.log(JSON.stringify({ seconds, tokens: n, rssMb: rssMb() }));
}

/** Runs one side in a fresh Node process and returns its time and peak RSS. */
function isolated(side: 'ours' | 'peer', dir: string, tokens: number, chunk: number): { seconds: number; tokens: number; rssMb: number } | string {
  const r = spawnSync(process.execPath, [__filename, '--isolated', side, dir, String(tokens), String(chunk)], { encoding: 'utf8', env: process.env });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as { seconds: number; tokens: number; rssMb: number };
  } catch {
    return `${side} (isolated) failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' ')}`;
  }
}

async function main(): Promise<void> {
  const responsePath = join(root, '..', 'shared', 'data', 'codeforces-r1', 'prompt-response', '268', 'response.md');
  const text = readFileSync(responsePath, 'utf8');
  console.log(`threads ${threads}; text ${responsePath} (first ~${TARGET_TOKENS} tokens)`);
  const peak = await matmulPeak();
  console.log(`fp32 MatMul peak (onnxruntime, 1536³): ${peak.toFixed(1)} GFLOP/s`);
  const models: { dir: string | undefined; chunks: number[]; runs: number }[] = [
    {
      dir: existsSync(join(root, 'media/models/reasoning-lens-tiny/onnx')) ? join(root, 'media/models/reasoning-lens-tiny') : ensureModel(join(tmpdir(), 'rl-models', 'tiny-random'), ['--tiny']),
      chunks: [128, 256, 512, 1024],
      runs: 5,
    },
    { dir: ensureModel(join(tmpdir(), 'rl-models', 'smollm-135m-random'), ['--smollm-135m']), chunks: [128, 256, 512], runs: 2 },
  ];
  console.log('\n| model | params | tokens | chunk | s | tokens/s | GFLOP/s | % of MatMul peak |');
  console.log('|---|---|---|---|---|---|---|---|');
  const summary: string[] = [];
  for (const m of models) {
    if (!m.dir) {
      console.log('| (model missing: model/make_random.py not found) |');
      continue;
    }
    const { rows, best, rss } = await benchOurs(m.dir, text, m.chunks, m.runs);
    for (const r of rows) {
      const gflops = (2 * r.params * r.tokens) / r.seconds / 1e9;
      console.log(`| ${r.model} | ${(r.params / 1e6).toFixed(1)} M | ${r.tokens} | ${r.chunk} | ${r.seconds.toFixed(3)} | ${(r.tokens / r.seconds).toFixed(0)} | ${gflops.toFixed(1)} | ${((100 * gflops) / peak).toFixed(0)}% |`);
    }
    summary.push(`${best.model}: best chunk ${best.chunk}: ${(best.tokens / best.seconds).toFixed(0)} tokens/s, peak RSS so far ${rss.toFixed(0)} MB`);
    const peer = await benchPeer(m.dir, text, best.tokens).catch((e: Error) => `peer failed: ${e.message}`);
    if (typeof peer === 'string') summary.push(`  ${peer}`);
    else summary.push(`  peer transformers.js: ${(peer.tokens / peer.seconds).toFixed(0)} tokens/s → ours ${(peer.seconds / peer.tokens / (best.seconds / best.tokens)).toFixed(2)}× faster`);
    // Peak memory of each side alone (a fresh process each, same text and token count).
    const ours = isolated('ours', m.dir, best.tokens, best.chunk);
    const theirs = isolated('peer', m.dir, best.tokens, best.chunk);
    if (typeof ours === 'string' || typeof theirs === 'string') summary.push(`  peak RSS: ${typeof ours === 'string' ? ours : ''} ${typeof theirs === 'string' ? theirs : ''}`);
    else summary.push(`  peak RSS, each side alone: ours ${ours.rssMb.toFixed(0)} MB, transformers.js ${theirs.rssMb.toFixed(0)} MB (${(theirs.rssMb / ours.rssMb).toFixed(2)}× ours)`);
  }
  console.log('');
  for (const line of summary) console.log(line);
}

const isolatedAt = process.argv.indexOf('--isolated');
const entry = isolatedAt >= 0
  ? runIsolated(process.argv[isolatedAt + 1]!, process.argv[isolatedAt + 2]!, readFileSync(join(root, '..', 'shared', 'data', 'codeforces-r1', 'prompt-response', '268', 'response.md'), 'utf8'), Number(process.argv[isolatedAt + 3]), Number(process.argv[isolatedAt + 4]))
  : main();
entry.catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
