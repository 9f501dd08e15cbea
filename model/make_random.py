"""Write a RANDOM-weight Llama model folder (HF/Optimum layout) with the same export code.

  /usr/bin/python3 model/make_random.py --tiny --out /tmp/rl-models/tiny-random
  /usr/bin/python3 model/make_random.py --smollm-135m --out /tmp/rl-models/smollm-135m-random
  /usr/bin/python3 model/make_random.py --d-model 192 --layers 4 --heads 4 --kv-heads 2 --intermediate 512 --out DIR

The tokenizer is always the project's trained BPE (model/.work/tok, or media/models/reasoning-lens-tiny,
trained on the fly with model/bpe.py if neither exists). When --vocab differs from the tokenizer's size the
config's vocab_size is the given one (ids >= tokenizer size are never produced by the tokenizer).
"""
import argparse
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from llama import LlamaConfig, LlamaForCausalLM  # noqa: E402
from export_onnx import write_folder, write_reference  # noqa: E402

PRESETS = {
    "tiny": dict(d_model=64, layers=2, heads=4, kv_heads=2, intermediate=128, vocab=0),
    "smollm_135m": dict(d_model=576, layers=30, heads=9, kv_heads=3, intermediate=1536, vocab=49152),
}


def find_tokenizer():
    for d in (os.path.join(HERE, ".work", "tok"), os.path.join(HERE, "..", "media", "models", "reasoning-lens-tiny")):
        if os.path.isfile(os.path.join(d, "tokenizer.json")):
            return d
    import bpe
    d = os.path.join(HERE, ".work", "tok")
    vocab, merges = bpe.train(bpe.train_docs(), 4096)
    bpe.write_hf(vocab, merges, d)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tiny", action="store_true", help="d 64, 2 layers, 4/2 heads, ffn 128, tokenizer vocab")
    ap.add_argument("--smollm-135m", action="store_true", help="SmolLM-135M shape: 576, 30 layers, 9/3 heads, 1536, vocab 49152")
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=512)
    ap.add_argument("--vocab", type=int, default=0, help="0 = tokenizer size")
    ap.add_argument("--max-pos", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tokenizer-dir", default=None)
    ap.add_argument("--ref", help="also write torch reference logits (JSON) for verify_onnx.mjs --ref")
    a = ap.parse_args()
    p = dict(d_model=a.d_model, layers=a.layers, heads=a.heads, kv_heads=a.kv_heads,
             intermediate=a.intermediate, vocab=a.vocab)
    if a.tiny:
        p = PRESETS["tiny"]
    if a.smollm_135m:
        p = PRESETS["smollm_135m"]
    t0 = time.time()
    tok_dir = a.tokenizer_dir or find_tokenizer()
    import json
    tok_vocab = len(json.load(open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"])
    vocab = p["vocab"] or tok_vocab
    torch.manual_seed(a.seed)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=p["d_model"], intermediate_size=p["intermediate"],
                      num_hidden_layers=p["layers"], num_attention_heads=p["heads"],
                      num_key_value_heads=p["kv_heads"], max_position_embeddings=a.max_pos)
    model = LlamaForCausalLM(cfg).eval()
    # random but non-trivial norms so the graph is not degenerate
    with torch.no_grad():
        for n, prm in model.named_parameters():
            if n.endswith("norm.weight"):
                prm.uniform_(0.8, 1.2)
    extra = {"_random_weights": True}
    if vocab != tok_vocab:
        extra["_note"] = (f"random weights; config vocab_size {vocab} != tokenizer.json size {tok_vocab} "
                          "(the project's BPE): the tokenizer only emits ids < " + str(tok_vocab))
    onnx_path, dt = write_folder(model, a.out, tok_dir, extra)
    size = os.path.getsize(onnx_path)
    if a.ref:
        write_reference(model, a.ref)
    print(f"random model: {model.num_parameters():,} params, d {cfg.hidden_size}, {cfg.num_hidden_layers} layers, "
          f"{cfg.num_attention_heads}/{cfg.num_key_value_heads} heads, ffn {cfg.intermediate_size}, vocab {vocab}")
    if vocab != tok_vocab:
        print(f"NOTE: config vocab_size={vocab} but tokenizer.json (project BPE) has {tok_vocab} tokens")
    print(f"wrote {a.out} (onnx {size / 1e6:.1f} MB) export {dt:.1f}s, total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
