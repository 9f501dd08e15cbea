"""Export a LlamaForCausalLM (model/llama.py) in the Hugging Face / Optimum layout:

  <dir>/config.json, generation_config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx

ONNX I/O (opset 14): input_ids [B,T] int64, attention_mask [B,P+T] int64, position_ids [B,T] int64,
past_key_values.{i}.key|value [B,n_kv,P,head_dim] float32  ->  logits [B,T,V],
present.{i}.key|value [B,n_kv,P+T,head_dim].

Usage: /usr/bin/python3 model/export_onnx.py --ckpt model/.work/ckpt.pt --tokenizer-dir model/.work/tok --out DIR
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama import LlamaForCausalLM, LlamaConfig, load_checkpoint  # noqa: E402


class _Wrapper(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        self.n = m.config.num_hidden_layers

    def forward(self, input_ids, attention_mask, position_ids, *past):
        pkv = [(past[2 * i], past[2 * i + 1]) for i in range(self.n)]
        logits, presents = self.m(input_ids, attention_mask, position_ids, pkv)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def export_onnx(model: LlamaForCausalLM, onnx_path: str):
    cfg = model.config
    model = model.eval()
    n = cfg.num_hidden_layers
    B, T, P = 2, 3, 4
    ids = torch.randint(0, cfg.vocab_size, (B, T), dtype=torch.long)
    am = torch.ones(B, P + T, dtype=torch.long)
    pos = (torch.arange(T) + P).unsqueeze(0).expand(B, T).contiguous()
    past = []
    for _ in range(n):
        past += [torch.zeros(B, cfg.num_key_value_heads, P, cfg.head_dim),
                 torch.zeros(B, cfg.num_key_value_heads, P, cfg.head_dim)]
    in_names = ["input_ids", "attention_mask", "position_ids"]
    out_names = ["logits"]
    dyn = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(n):
        for kv in ("key", "value"):
            a, b = f"past_key_values.{i}.{kv}", f"present.{i}.{kv}"
            in_names.append(a)
            out_names.append(b)
            dyn[a] = {0: "batch_size", 2: "past_sequence_length"}
            dyn[b] = {0: "batch_size", 2: "total_sequence_length"}
    os.makedirs(os.path.dirname(onnx_path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(_Wrapper(model), (ids, am, pos, *past), onnx_path,
                          input_names=in_names, output_names=out_names, dynamic_axes=dyn,
                          opset_version=14, do_constant_folding=True)
    dedupe_tied_head(onnx_path, model)
    check_single_embedding(onnx_path, cfg)


def dedupe_tied_head(onnx_path, model):
    """torch folds W^T of the tied head into a second [d,V] initializer feeding a MatMul. Replace that
    MatMul(h2d, W^T) by Gemm(h2d, W, transB=1) on the embedding initializer and drop the copy."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
    m = onnx.load(onnx_path)
    g = m.graph
    emb = model.model.embed_tokens.weight.detach().numpy()
    emb_name = None
    dup = {}
    for init in g.initializer:
        if tuple(init.dims) == emb.shape and emb_name is None:
            if np.array_equal(numpy_helper.to_array(init), emb):
                emb_name = init.name
        elif tuple(init.dims) == emb.shape[::-1]:
            if np.array_equal(numpy_helper.to_array(init), emb.T):
                dup[init.name] = init
    if not dup:
        return
    assert emb_name is not None, "embedding initializer not found"
    new_nodes = []
    for node in g.node:
        if node.op_type == "MatMul" and node.input[1] in dup:
            new_nodes.append(helper.make_node("Gemm", [node.input[0], emb_name], list(node.output),
                                              name=node.name + "_tied_gemm", transB=1))
        else:
            assert not any(i in dup for i in node.input), f"unexpected use of tied copy in {node.op_type}"
            new_nodes.append(node)
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [i for i in g.initializer if i.name not in dup]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.save(m, onnx_path)


def check_single_embedding(onnx_path, cfg):
    import onnx
    m = onnx.load(onnx_path)
    v, d = cfg.vocab_size, cfg.hidden_size
    big = [i.name for i in m.graph.initializer if sorted(i.dims) == sorted([v, d])]
    if len(big) != 1:
        raise RuntimeError(f"expected ONE [{v},{d}] embedding initializer, found {big}")
    onnx.checker.check_model(onnx_path)


def write_folder(model: LlamaForCausalLM, out_dir: str, tokenizer_dir: str, extra_config=None):
    cfg = model.config
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    conf = cfg.to_hf_dict()
    if extra_config:
        conf.update(extra_config)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(conf, f, indent=2)
        f.write("\n")
    gen = {"bos_token_id": cfg.bos_token_id, "eos_token_id": cfg.eos_token_id,
           "pad_token_id": cfg.pad_token_id, "do_sample": False, "max_new_tokens": 256}
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tokenizer_dir, fn), os.path.join(out_dir, fn))
    t0 = time.time()
    onnx_path = os.path.join(out_dir, "onnx", "model.onnx")
    export_onnx(model, onnx_path)
    return onnx_path, time.time() - t0


def write_reference(model, path, n=40):
    """Torch logits for a fixed id sequence (for verify_onnx.mjs --ref): ids, positions, logits[pos]."""
    V = model.config.vocab_size
    ids = [(j * 37 + 11) % min(V, 4096) for j in range(n)]
    positions = [0, 1, n // 2, n - 2, n - 1]
    with torch.no_grad():
        logits, _ = model.eval()(torch.tensor([ids]))
    ref = {"ids": ids, "positions": positions, "logits": [logits[0, p].tolist() for p in positions]}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(ref, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ref", help="also write torch reference logits (JSON) for verify_onnx.mjs --ref")
    a = ap.parse_args()
    model, ck = load_checkpoint(a.ckpt)
    p, dt = write_folder(model, a.out, a.tokenizer_dir)
    if a.ref:
        write_reference(model, a.ref)
    print(f"exported {p} ({os.path.getsize(p) / 1e6:.2f} MB, {model.num_parameters():,} params) in {dt:.1f}s")


if __name__ == "__main__":
    main()
