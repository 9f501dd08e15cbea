/**
 * Scoring and decoding speed of the local backends against a FAIR peer, all in one run.
 *
 * The peer is transformers.js (@huggingface/transformers) on the same model folder, same ONNX file,
 * same thread count: one forward pass over the text (its own API for scoring; timed apart), then the
 * fastest plain JavaScript reduction we know (reduce.ts: one typed-array pass per row for max,
 * log-sum-exp, chosen logprob, entropy and top-5). Ours: onnxruntime-node in chunks with the KV cache
 * and the reduction inside onnxruntime (reductionGraph.ts); and llama.cpp (node-llama-cpp) on GGUF files
 * written from the same weights by model/export_gguf.py. Each precision is compared with the peer at the
 * same precision (fp32 with fp32; 8-bit: our model_quantized.onnx is also what the peer loads as "q8").
 *
 * Sides alternate and the best of several runs counts (the machine is shared). Peak RSS is measured for
 * each side ALONE, in a fresh process. Models: the embedded one and a random-weight SmolLM-135M shape
 * (model/make_random.py, model/quantize_onnx.py, model/export_gguf.py; made on first use in the temp
 * folder). The last line is the verdict on the 135M shape: best local backend vs the peer at ITS best.
 *
 * Run: npm run bench -- scoring
 */
import * as ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { LocalModel } from '../src/model/localModel';
import { loadLocalModel } from '../src/model/loadLocalModel';
import { OnnxType, model, node, valueInfo } from '../src/model/onnx/onnxProto';
import { createReductionOutput, reduceRows, TopKScratch } from '../src/model/onnx/reduce';

process.env.ORT_DISABLE_TELEMETRY = '1';
const root = process.env.RL_REPO_ROOT ?? process.cwd();
const threads = cpus().length;
const TARGET_TOKENS = 1000;
const DECODE_TOKENS = 48;
const TOP_K = 5;
const textPath = join(root, '..', 'shared', 'data', 'codeforces-r1', 'prompt-response', '268', 'response.md');

/**
 * Peak RSS of this process in MB: VmHWM from /proc (Linux). Not `resourceUsage().maxRSS`: Linux carries
 * ru_maxrss across exec, so a child spawned by a big parent would report at least the parent's size.
 */
function rssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
const now = (): number => performance.now();

// ---------------------------------------------------------------- models

function python(args: string[]): boolean {
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  return r.status === 0;
}

/** The 135M-shape folder with fp32 + 8-bit ONNX and F32 + Q8_0 GGUF (made once, in the temp folder). */
function ensureSmolLM(): string | undefined {
  const dir = join(tmpdir(), 'rl-models', 'smollm-135m-random');
  const script = (name: string): string => join(root, 'model', name);
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    console.log(`making ${dir} (model/make_random.py --smollm-135m) …`);
    if (!python([script('make_random.py'), '--smollm-135m', '--out', dir])) return undefined;
  }
  if (!existsSync(join(dir, 'onnx', 'model_quantized.onnx'))) python([script('quantize_onnx.py'), dir]);
  if (!existsSync(join(dir, `${basename(dir)}-Q8_0.gguf`))) python([script('export_gguf.py'), '--from', dir]);
  return dir;
}

interface Precision {
  readonly label: 'fp32' | '8-bit';
  /** ONNX variant (ours and the peer's dtype). */
  readonly variant: string;
  readonly peerDtype: 'fp32' | 'q8';
  readonly gguf: string;
}
const PRECISIONS: readonly Precision[] = [
  { label: 'fp32', variant: 'model', peerDtype: 'fp32', gguf: 'F32' },
  { label: '8-bit', variant: 'model_quantized', peerDtype: 'q8', gguf: 'Q8_0' },
];

// ---------------------------------------------------------------- fp32 MatMul peak

async function matmulPeak(): Promise<number> {
  const n = 1536;
  const bytes = model({ name: 'peak', nodes: [node('MatMul', ['A', 'B'], ['C'])], inputs: [valueInfo('A', OnnxType.Float, [n, n]), valueInfo('B', OnnxType.Float, [n, n])], outputs: [valueInfo('C', OnnxType.Float, [n, n])] }, 13);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000), [n, n]);
  const b = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000), [n, n]);
  await session.run({ A: a, B: b });
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    await session.run({ A: a, B: b });
    best = Math.min(best, now() - t0);
  }
  await session.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

// ---------------------------------------------------------------- the peer

interface PeerModel {
  (inputs: Record<string, unknown>): Promise<{ logits: { data: Float32Array; dims: number[] } }>;
  generate(o: Record<string, unknown>): Promise<{ dims: number[] }>;
  dispose(): Promise<unknown>;
}
interface Peer {
  run(ids: number[]): Promise<{ forward: number; reduce: number }>;
  generate(ids: number[], tokens: number): Promise<{ seconds: number; tokens: number }>;
  dispose(): Promise<void>;
}

async function loadPeer(dir: string, dtype: 'fp32' | 'q8'): Promise<Peer | string> {
  let t: Record<string, unknown>;
  try {
    require.resolve('@huggingface/transformers');
    t = (await import('@huggingface/transformers')) as Record<string, unknown>;
  } catch {
    return 'peer not installed (@huggingface/transformers)';
  }
  const { env, AutoModelForCausalLM, Tensor } = t as {
    env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
    AutoModelForCausalLM: { from_pretrained(name: string, o: object): Promise<PeerModel> };
    Tensor: new (type: string, data: unknown, dims: number[]) => object;
  };
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(dir) + '/';
  const m = await AutoModelForCausalLM.from_pretrained(basename(dir), {
    dtype,
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
  });
  const tensors = (ids: number[]): Record<string, unknown> => ({
    input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  });
  return {
    async run(ids) {
      const t0 = now();
      const { logits } = await m(tensors(ids));
      const t1 = now();
      // The fastest plain-JS reduction (the same loop our fallback uses): logprob, entropy, top-5.
      const V = logits.dims[2]!;
      const rows = ids.length - 1;
      const out = createReductionOutput(rows, TOP_K, true);
      reduceRows(logits.data, 0, rows, V, Int32Array.from(ids.slice(1)), out, 0, new TopKScratch(TOP_K));
      if (Number.isNaN(out.logprob[rows - 1])) console.log('(peer produced NaN)');
      return { forward: (t1 - t0) / 1000, reduce: (now() - t1) / 1000 };
    },
    async generate(ids, tokens) {
      const t0 = now();
      const out = await m.generate({ ...tensors(ids), max_new_tokens: tokens, min_new_tokens: tokens, do_sample: false });
      return { seconds: (now() - t0) / 1000, tokens: out.dims[1]! - ids.length };
    },
    async dispose() {
      await m.dispose();
    },
  };
}

// ---------------------------------------------------------------- one side alone (peak RSS)

type Side = 'ours' | 'peer';

/** Scores the text once in this (fresh) process and prints time + peak RSS as JSON. */
async function runIsolated(side: Side, path: string, precision: Precision, chars: number, ids: number[]): Promise<void> {
  let seconds: number;
  if (side === 'ours') {
    const lm = await loadLocalModel(path, { threads, variant: precision.variant });
    const t0 = now();
    await lm.score(readFileSync(textPath, 'utf8').slice(0, chars), { topK: TOP_K });
    seconds = (now() - t0) / 1000;
  } else {
    const peer = await loadPeer(path, precision.peerDtype);
    if (typeof peer === 'string') throw new Error(peer);
    const r = await peer.run(ids);
    seconds = r.forward + r.reduce;
  }
  console.log(JSON.stringify({ seconds, rssMb: rssMb() }));
}

function isolated(side: Side, path: string, precision: Precision, chars: number, ids: readonly number[]): { seconds: number; rssMb: number } | string {
  const r = spawnSync(process.execPath, [__filename, '--isolated', side, path, precision.label, String(chars), ids.join(',')], { encoding: 'utf8', env: process.env });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as { seconds: number; rssMb: number };
  } catch {
    return `${side} alone failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' ')}`;
  }
}

// ---------------------------------------------------------------- the run

function cutText(lm: LocalModel, text: string, tokens: number): string {
  const enc = lm.tokenize(text);
  return text.slice(0, enc.ends[Math.min(enc.ids.length, tokens) - 1]);
}

interface Verdict {
  /** The peer's median time at its best precision / our best backend's median time. */
  readonly ratio: number;
  readonly ours: string;
  readonly peer: string;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

/**
 * One model folder, every precision. Scoring: `rounds` rounds, each timing ours and the peer at every
 * precision back to back (the machine is shared: pairs in one round see the same load), so ratios are
 * medians of per-round ratios and times are best of rounds. Then llama.cpp (one run: it is slow), decode
 * speed, and each side's peak RSS alone.
 */
async function benchShape(label: string, dir: string, rounds: number, peak: number): Promise<Verdict | undefined> {
  const text = readFileSync(textPath, 'utf8');
  console.log(`\n### ${label}: ${dir}`);
  const notes: string[] = [];
  interface Sides { precision: Precision; ours: LocalModel; peer: Peer | undefined; cut: string; ids: number[]; ourTimes: number[]; peerTimes: { forward: number; reduce: number }[] }
  const sides: Sides[] = [];
  for (const precision of PRECISIONS) {
    if (!existsSync(join(dir, 'onnx', `${precision.variant}.onnx`))) {
      notes.push(`${precision.label}: no onnx/${precision.variant}.onnx (model/quantize_onnx.py writes it)`);
      continue;
    }
    const ours = await loadLocalModel(dir, { threads, variant: precision.variant });
    const cut = cutText(ours, text, TARGET_TOKENS);
    const ids = Array.from(ours.tokenize(cut).ids);
    const peer = await loadPeer(dir, precision.peerDtype).catch((e: Error) => `peer failed: ${e.message}`);
    if (typeof peer === 'string') notes.push(`${precision.label}: ${peer}`);
    await ours.score(cut.slice(0, 300), { topK: TOP_K });
    if (typeof peer !== 'string') await peer.run(ids.slice(0, 64));
    sides.push({ precision, ours, peer: typeof peer === 'string' ? undefined : peer, cut, ids, ourTimes: [], peerTimes: [] });
  }
  if (sides.length === 0) return undefined;
  for (let r = 0; r < rounds; r++) {
    for (const side of sides) {
      // Alternate who goes first, so that a drift in the machine's load favours neither side.
      const ours = async (): Promise<void> => {
        const t0 = now();
        await side.ours.score(side.cut, { topK: TOP_K });
        side.ourTimes.push((now() - t0) / 1000);
      };
      if (r % 2 === 0) await ours();
      if (side.peer) side.peerTimes.push(await side.peer.run(side.ids));
      if (r % 2 === 1) await ours();
    }
  }
  const params = paramsOf(dir);
  const tokens = sides[0]!.ids.length;
  console.log(`| precision | backend | tokens | s (best of ${rounds} rounds) | tokens/s | GFLOP/s | % of fp32 MatMul peak | vs peer, same precision (median of rounds) |`);
  console.log('|---|---|---|---|---|---|---|---|');
  const row = (precision: Precision, backend: string, seconds: number, vsPeer: string): void => {
    const gflops = (2 * params * tokens) / seconds / 1e9;
    console.log(`| ${precision.label} | ${backend} | ${tokens} | ${seconds.toFixed(3)} | ${(tokens / seconds).toFixed(0)} | ${gflops.toFixed(1)} | ${((100 * gflops) / peak).toFixed(0)}% | ${vsPeer} |`);
  };
  for (const side of sides) {
    const { precision } = side;
    const peerTotals = side.peerTimes.map((p) => p.forward + p.reduce);
    const ratio = side.peer ? `${median(side.ourTimes.map((t, i) => peerTotals[i]! / t)).toFixed(2)}×` : '—';
    row(precision, `ours, onnxruntime (${precision.variant}.onnx, chunks + reduction in the graph)`, Math.min(...side.ourTimes), ratio);
    if (side.peer) {
      row(precision, `peer: transformers.js dtype ${precision.peerDtype}, forward pass only`, Math.min(...side.peerTimes.map((p) => p.forward)), '');
      row(precision, `peer: transformers.js dtype ${precision.peerDtype}, forward + typed-array reduction (best reduction ${Math.min(...side.peerTimes.map((p) => p.reduce)).toFixed(3)} s)`, Math.min(...peerTotals), '1.00×');
    }
  }
  // The verdict: our best backend against the peer at ITS best precision (medians over the rounds).
  let verdict: Verdict | undefined;
  const withPeer = sides.filter((x) => x.peer);
  if (withPeer.length) {
    const peerMedian = (x: Sides): number => median(x.peerTimes.map((p) => p.forward + p.reduce));
    const bestOurs = sides.reduce((a, b) => (median(b.ourTimes) < median(a.ourTimes) ? b : a));
    const bestPeer = withPeer.reduce((a, b) => (peerMedian(b) < peerMedian(a) ? b : a));
    verdict = {
      ratio: peerMedian(bestPeer) / median(bestOurs.ourTimes),
      ours: `onnxruntime ${bestOurs.precision.label} (median ${median(bestOurs.ourTimes).toFixed(3)} s)`,
      peer: `transformers.js ${bestPeer.precision.peerDtype} (median ${peerMedian(bestPeer).toFixed(3)} s)`,
    };
  }

  for (const side of sides) {
    const { precision } = side;
    // llama.cpp on the GGUF file of the same weights at the same precision (one run: it is slow).
    const ggufPath = join(dir, `${basename(dir)}-${precision.gguf}.gguf`);
    if (existsSync(ggufPath)) {
      const g = await loadLocalModel(ggufPath, { threads });
      await g.score(side.cut.slice(0, 300), { topK: TOP_K });
      const t0 = now();
      await g.score(side.cut, { topK: TOP_K });
      const sec = (now() - t0) / 1000;
      row(precision, `ours, llama.cpp (${basename(ggufPath)}, full distribution per token; one run)`, sec, `${(median(side.peerTimes.map((p) => p.forward + p.reduce)) / sec).toFixed(2)}× (vs the peer's median)`);
      notes.push(`${precision.label} decode, llama.cpp ${precision.gguf}: ${await decode(g, side.cut)}`);
      await g.dispose();
    } else notes.push(`${precision.label}: no ${basename(ggufPath)} (model/export_gguf.py writes it)`);
    // Decode speed for the preview: ours vs the peer's generate, same prompt, same number of tokens.
    notes.push(`${precision.label} decode, ours onnxruntime: ${await decode(side.ours, side.cut)}`);
    if (side.peer) {
      const prompt = side.ids.slice(0, 200);
      await side.peer.generate(prompt, 4);
      const p = await side.peer.generate(prompt, DECODE_TOKENS);
      notes.push(`${precision.label} decode, peer transformers.js generate: ${(p.tokens / p.seconds).toFixed(1)} tokens/s (${p.tokens} tokens after a 200-token prompt, ${p.seconds.toFixed(2)} s)`);
      await side.peer.dispose();
    }
    await side.ours.dispose();
    // Peak memory of each side alone (fresh processes, same text and token count).
    const a = isolated('ours', dir, precision, side.cut.length, side.ids);
    const b = side.peer ? isolated('peer', dir, precision, side.cut.length, side.ids) : 'no peer';
    if (typeof a === 'string' || typeof b === 'string') notes.push(`${precision.label} peak RSS: ${typeof a === 'string' ? a : ''} ${typeof b === 'string' ? b : ''}`);
    else notes.push(`${precision.label} peak RSS, each side alone: ours ${a.rssMb.toFixed(0)} MB, transformers.js ${b.rssMb.toFixed(0)} MB (ours ${(a.rssMb / b.rssMb).toFixed(2)}× the peer's)`);
  }
  console.log('');
  for (const n of notes) console.log(n);
  return verdict;
}

/** Greedy decode of DECODE_TOKENS after the first 200 tokens of `text`; tokens/s of the whole call. */
async function decode(lm: LocalModel, text: string): Promise<string> {
  const prompt = text.slice(0, lm.tokenize(text).ends[199]);
  await lm.generate(prompt, { maxTokens: 4 });
  const t0 = now();
  const g = await lm.generate(prompt, { maxTokens: DECODE_TOKENS });
  const s = (now() - t0) / 1000;
  return `${(g.tokenCount / s).toFixed(1)} tokens/s (${g.tokenCount} tokens after a 200-token prompt, ${s.toFixed(2)} s${g.finishReason === 'eos' ? ', stopped at EOS' : ''})`;
}

/** Parameters that do arithmetic per token: all fp32 weights of model.onnx (the tied head counts once). */
function paramsOf(dir: string): number {
  const f = join(dir, 'onnx', 'model.onnx');
  const data = existsSync(`${f}_data`) ? readFileSync(`${f}_data`).length : 0;
  return Math.round((readFileSync(f).length + data) / 4);
}

async function main(): Promise<void> {
  console.log(`threads ${threads}; text ${textPath} (first ~${TARGET_TOKENS} tokens); top-${TOP_K} and full entropy on every side`);
  const peak = await matmulPeak();
  console.log(`fp32 MatMul peak (onnxruntime, 1536³, best of 5): ${peak.toFixed(1)} GFLOP/s`);
  const embedded = join(root, 'media', 'models', 'reasoning-lens-tiny');
  if (existsSync(join(embedded, 'onnx'))) {
    // The embedded model ships fp32 (+ GGUF): its 8-bit ONNX variant is made in the temp folder.
    const q = join(tmpdir(), 'rl-models', 'reasoning-lens-tiny');
    if (!existsSync(join(q, 'onnx', 'model_quantized.onnx'))) {
      spawnSync('cp', ['-rT', embedded, q]);
      python([join(root, 'model', 'quantize_onnx.py'), q]);
    }
    const v = await benchShape('embedded model (reasoning-lens-tiny, 2.4 M)', existsSync(join(q, 'onnx', 'model_quantized.onnx')) ? q : embedded, 7, peak);
    if (v) console.log(`embedded model: best backend ${v.ours} ${v.ratio.toFixed(2)}× the peer at its best, ${v.peer}`);
  }
  const smol = ensureSmolLM();
  const v = smol ? await benchShape('SmolLM-135M shape (random weights)', smol, 5, peak) : undefined;
  if (!smol) console.log('\n135M shape: not made (model/make_random.py needs /usr/bin/python3 with torch and onnx)');
  else if (v) console.log(`\n135M shape: best local backend ${v.ours} against the peer at its best, ${v.peer}`);
  console.log(`scoring: best backend ${v ? v.ratio.toFixed(2) : 'n/a'}× the transformers.js peer (same weights, same run)`);
}

const isolatedAt = process.argv.indexOf('--isolated');
const entry = isolatedAt >= 0
  ? runIsolated(process.argv[isolatedAt + 1] as Side, process.argv[isolatedAt + 2]!, PRECISIONS.find((p) => p.label === process.argv[isolatedAt + 3])!, Number(process.argv[isolatedAt + 4]), process.argv[isolatedAt + 5]!.split(',').map(Number))
  : main();
entry.catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
