// Score a text (per-token surprisal in bits + entropy) and greedy-continue it, with onnxruntime-node
// and @huggingface/tokenizers on a model folder.   node model/sample.mjs DIR "text" [newTokens]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Tokenizer } from '@huggingface/tokenizers';
const ort = createRequire(import.meta.url)('onnxruntime-node');

const [dir, text = '<|user|>Tom has 3 apples and buys 5 more. How many apples does he have?<|assistant|><think>\n', nNew = '30'] = process.argv.slice(2);
const rd = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const cfg = rd('config.json');
const tok = new Tokenizer(rd('tokenizer.json'), rd('tokenizer_config.json'));
const sess = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'), { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
const nL = cfg.num_hidden_layers, nKV = cfg.num_key_value_heads, hd = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads, V = cfg.vocab_size;
const i64 = (a, d) => new ort.Tensor('int64', BigInt64Array.from(a.map(BigInt)), d);
let past = {};
for (let i = 0; i < nL; i++) for (const kv of ['key', 'value']) past[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, nKV, 0, hd]);
let P = 0;
async function step(ids) {
  const T = ids.length;
  const out = await sess.run({ input_ids: i64(ids, [1, T]), attention_mask: i64(Array(P + T).fill(1), [1, P + T]), position_ids: i64(ids.map((_, j) => P + j), [1, T]), ...past });
  past = {};
  for (let i = 0; i < nL; i++) for (const kv of ['key', 'value']) past[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`];
  P += T;
  return out.logits.data;
}
const logSoftmax = (l, off) => { let m = -Infinity; for (let v = 0; v < V; v++) m = Math.max(m, l[off + v]); let s = 0; for (let v = 0; v < V; v++) s += Math.exp(l[off + v] - m); const z = m + Math.log(s); return (v) => l[off + v] - z; };
const ids = Array.from(tok.encode(text, { add_special_tokens: false }).ids);
if (ids.length === 0) throw new Error('empty input: the model needs at least one token');
const logits = await step(ids);
let tot = 0;
for (let j = 1; j < ids.length; j++) {
  const lp = logSoftmax(logits, (j - 1) * V);
  let H = 0; for (let v = 0; v < V; v++) { const p = Math.exp(lp(v)); H -= p * lp(v); }
  tot -= lp(ids[j]);
  if (j <= 12) console.log(JSON.stringify(tok.decode([ids[j]], { skip_special_tokens: false })).padEnd(16), `surprisal ${(-lp(ids[j]) / Math.LN2).toFixed(2)} bits  entropy ${(H / Math.LN2).toFixed(2)} bits`);
}
console.log(`${ids.length} tokens, mean NLL ${(tot / (ids.length - 1)).toFixed(3)} nats (ppl ${Math.exp(tot / (ids.length - 1)).toFixed(1)})`);
let last = logits.subarray((ids.length - 1) * V, ids.length * V), gen = [];
for (let k = 0; k < Number(nNew); k++) {
  let best = 0; for (let v = 1; v < V; v++) if (last[v] > last[best]) best = v;
  gen.push(best);
  if (best === cfg.eos_token_id) break;
  last = await step([best]);
}
console.log('greedy:', JSON.stringify(tok.decode(gen, { skip_special_tokens: false })));
