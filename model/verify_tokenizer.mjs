// Compare @huggingface/tokenizers (JS) with the Python BPE encoder and check decode round-trips.
//   /usr/bin/python3 model/tokcheck.py DIR > model/.work/tokcheck.jsonl
//   node model/verify_tokenizer.mjs DIR model/.work/tokcheck.jsonl
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

const [dir, file] = process.argv.slice(2);
const tj = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
const tc = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
const tok = new Tokenizer(tj, tc);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
let bad = 0, badDec = 0, n = 0;
for (const { text, ids } of rows) {
  const enc = tok.encode(text, { add_special_tokens: false });
  const got = Array.from(enc.ids ?? enc.input_ids ?? enc);
  n += ids.length;
  if (got.length !== ids.length || got.some((x, i) => Number(x) !== ids[i])) {
    if (bad++ < 3) console.log('MISMATCH', JSON.stringify(text).slice(0, 120), '\n py', ids.slice(0, 20), '\n js', got.slice(0, 20));
  }
  const dec = tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  if (dec !== text) { if (badDec++ < 3) console.log('DECODE', JSON.stringify(text).slice(0, 80), '->', JSON.stringify(dec).slice(0, 80)); }
}
console.log(`${rows.length} texts, ${n} tokens: id mismatches ${bad}, decode mismatches ${badDec}`);
if (bad || badDec) process.exitCode = 1;
