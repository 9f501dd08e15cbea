"""Dump texts + Python-encoder ids for model/verify_tokenizer.mjs.
  /usr/bin/python3 model/tokcheck.py [tok_dir] > model/.work/tokcheck.jsonl"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
from corpus import heldout_docs, codeforces_docs  # noqa: E402

tok_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work", "tok")
enc = bpe.load(tok_dir)
texts = []
for d in heldout_docs()[:600] + codeforces_docs():
    texts.extend(l for l in d.split("\n") if l.strip())
texts = texts[:3500]
texts += heldout_docs()[:50]  # whole documents with special tokens and newlines
texts += ["naïve café — 数学 😀 ünïcödé  \t tabs\n\n  spaces   ", "x = a[i] ** 2 >= b_{j}; // it's ok, we'll see",
          "<|user|>hi<|assistant|><think>\nok\n</think>\n#### 5<|endoftext|>", "   leading and trailing   ", "1234567890 3.14159"]
for t in texts:
    ids = enc.encode(t)
    assert enc.decode(ids) == t, t
    print(json.dumps({"text": t, "ids": ids}, ensure_ascii=False))
