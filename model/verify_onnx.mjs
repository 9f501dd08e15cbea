// Verify a model folder in onnxruntime-node: I/O names, forward with empty past, KV-cache parity.
//   node model/verify_onnx.mjs /tmp/rl-models/tiny-random [--ref model/.work/ref.json]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const dir = process.argv[2];
const refIdx = process.argv.indexOf('--ref');
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
const nL = cfg.num_hidden_layers, nKV = cfg.num_key_value_heads;
const hd = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads, V = cfg.vocab_size;
const t0 = performance.now();
const sess = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'),
  { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
console.log(`loaded in ${(performance.now() - t0).toFixed(0)} ms`);
console.log('inputs :', sess.inputNames.join(', '));
console.log('outputs:', sess.outputNames.join(', '));

const i64 = (arr, dims) => new ort.Tensor('int64', BigInt64Array.from(arr.map(BigInt)), dims);
function emptyPast(B) {
  const f = {};
  for (let i = 0; i < nL; i++) for (const kv of ['key', 'value'])
    f[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [B, nKV, 0, hd]);
  return f;
}
async function run(ids, past, P) {
  const T = ids.length;
  const feeds = {
    input_ids: i64(ids, [1, T]),
    attention_mask: i64(new Array(P + T).fill(1), [1, P + T]),
    position_ids: i64(ids.map((_, j) => P + j), [1, T]),
    ...past,
  };
  const out = await sess.run(feeds);
  const next = {};
  for (let i = 0; i < nL; i++) for (const kv of ['key', 'value'])
    next[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`];
  return { logits: out.logits, past: next };
}

let ids;
let ref = null;
if (refIdx > 0) { ref = JSON.parse(fs.readFileSync(process.argv[refIdx + 1], 'utf8')); ids = ref.ids; }
else { ids = Array.from({ length: 40 }, (_, j) => (j * 37 + 11) % Math.min(V, 4096)); }
const T = ids.length;
let t1 = performance.now();
const full = await run(ids, emptyPast(1), 0);
console.log(`full pass T=${T}: logits dims [${full.logits.dims}] in ${(performance.now() - t1).toFixed(1)} ms`);
// cached: chunks of 17, then 1 token at a time for the rest
let past = emptyPast(1), P = 0;
const parts = [ids.slice(0, 17), ids.slice(17, 30), ...ids.slice(30).map((x) => [x])];
let maxDiff = 0;
for (const chunk of parts) {
  const r = await run(chunk, past, P);
  for (let j = 0; j < chunk.length; j++) for (let v = 0; v < V; v++) {
    const a = r.logits.data[j * V + v], b = full.logits.data[(P + j) * V + v];
    maxDiff = Math.max(maxDiff, Math.abs(a - b));
  }
  past = r.past; P += chunk.length;
}
console.log(`KV-cache parity (chunks 17+13+1x${T - 30}) max |diff| = ${maxDiff.toExponential(2)} ${maxDiff < 1e-4 ? 'OK' : 'FAIL'}`);
// batch 2 with left padding on row 1 must match the unpadded row
{
  const L = 12, pad = 3, a = ids.slice(0, L), b = ids.slice(0, L - pad);
  const feeds = {
    input_ids: i64([...a, ...new Array(pad).fill(0), ...b], [2, L]),
    attention_mask: i64([...new Array(L).fill(1), ...new Array(pad).fill(0), ...new Array(L - pad).fill(1)], [2, L]),
    position_ids: i64([...a.map((_, j) => j), ...new Array(pad).fill(0), ...b.map((_, j) => j)], [2, L]),
    ...emptyPast(2),
  };
  const out = await sess.run(feeds);
  let d = 0;
  for (let j = 0; j < L - pad; j++) for (let v = 0; v < V; v++)
    d = Math.max(d, Math.abs(out.logits.data[(L + pad + j) * V + v] - full.logits.data[j * V + v]));
  console.log(`batch-2 left-padding parity max |diff| = ${d.toExponential(2)} ${d < 1e-4 ? 'OK' : 'FAIL'}`);
  if (d >= 1e-4) process.exitCode = 1;
}
if (ref) {
  let d = 0;
  for (let j = 0; j < ref.logits.length; j++) for (let v = 0; v < V; v++)
    d = Math.max(d, Math.abs(full.logits.data[(ref.positions[j]) * V + v] - ref.logits[j][v]));
  console.log(`torch vs onnxruntime-node logits max |diff| = ${d.toExponential(2)} ${d < 1e-3 ? 'OK' : 'FAIL'}`);
  if (d >= 1e-3) process.exitCode = 1;
}
if (maxDiff >= 1e-4) process.exitCode = 1;
