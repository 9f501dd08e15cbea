"""Write a Llama-style model (model/llama.py) as GGUF v3 files that llama.cpp (node-llama-cpp) loads:

  <out>/<name>-F32.gguf    every tensor float32 (parity reference for the ONNX export)
  <out>/<name>-Q8_0.gguf   2-D weights Q8_0 (blocks of 32: fp16 scale + 32 int8), norms float32

Weights come from the same checkpoint as the ONNX export: either the training checkpoint (--ckpt, needs
torch) or the exported folder itself (--from DIR: config.json, tokenizer.json, onnx/model.onnx; needs
only python3-onnx and numpy). In the ONNX file the projections are anonymous MatMul initializers holding
W^T; the consuming node's scope name (/m/layers.3/self_attn/q_proj/MatMul) says which weight each is.

What llama.cpp expects of a Hugging Face Llama (as its convert_hf_to_gguf.py writes it):
- tensor names token_embd / blk.N.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,ffn_gate,ffn_up,
  ffn_down} / output_norm; a tied head has no output.weight (llama.cpp reuses token_embd);
- dims in GGUF order (innermost first), i.e. a [out, in] matrix is written with ne = (in, out);
- Q and K rows permuted from Hugging Face's rotate-half RoPE to llama.cpp's interleaved pairs;
- the byte-level BPE vocabulary as tokenizer.ggml.model "gpt2" with merges and the GPT-2 pre-tokenizer
  (the one model/bpe.py trains with), specials as control tokens. Token ids beyond the tokenizer
  (random-weight models with a larger vocab_size) are unused placeholder tokens.

Usage:
  /usr/bin/python3 model/export_gguf.py --from media/models/reasoning-lens-tiny
  /usr/bin/python3 model/export_gguf.py --from /tmp/rl-models/smollm-135m-random --out /tmp/rl-models/smollm-135m-random
"""
import argparse
import json
import os
import re
import struct
import sys

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGNMENT = 32
# gguf value types
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
# ggml tensor types and general.file_type values
GGML_F32, GGML_Q8_0 = 0, 8
FILE_TYPE = {"F32": 0, "Q8_0": 7}
# llama.cpp token types
TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_UNUSED, TOKEN_BYTE = 1, 3, 5, 6
QK8_0 = 32


class GgufWriter:
    """Key/values and tensors in memory, written in one pass (header, infos, aligned data)."""

    def __init__(self):
        self.kv = []
        self.tensors = []  # (name, ggml_type, ne tuple, bytes)

    # --- key/values ---
    def add(self, key, vtype, value):
        self.kv.append((key, vtype, value))

    def add_u32(self, key, v):
        self.add(key, T_UINT32, int(v))

    def add_f32(self, key, v):
        self.add(key, T_FLOAT32, float(v))

    def add_bool(self, key, v):
        self.add(key, T_BOOL, bool(v))

    def add_str(self, key, v):
        self.add(key, T_STRING, str(v))

    def add_array(self, key, elem_type, values):
        self.add(key, T_ARRAY, (elem_type, list(values)))

    # --- tensors ---
    def add_tensor(self, name, array, qtype):
        """`array` in numpy (row-major) order; GGUF dims are the reverse."""
        a = np.ascontiguousarray(array, dtype=np.float32)
        ne = tuple(reversed(a.shape))
        if qtype == "Q8_0" and a.ndim == 2:
            self.tensors.append((name, GGML_Q8_0, ne, quantize_q8_0(a)))
        else:
            self.tensors.append((name, GGML_F32, ne, a.tobytes()))

    # --- serialisation ---
    @staticmethod
    def _str(s):
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def _value(self, vtype, value):
        if vtype == T_UINT32:
            return struct.pack("<I", value)
        if vtype == T_INT32:
            return struct.pack("<i", value)
        if vtype == T_FLOAT32:
            return struct.pack("<f", value)
        if vtype == T_BOOL:
            return struct.pack("<B", 1 if value else 0)
        if vtype == T_STRING:
            return self._str(value)
        if vtype == T_ARRAY:
            elem_type, items = value
            out = [struct.pack("<IQ", elem_type, len(items))]
            if elem_type == T_INT32:
                out.append(np.asarray(items, dtype="<i4").tobytes())
            elif elem_type == T_FLOAT32:
                out.append(np.asarray(items, dtype="<f4").tobytes())
            else:
                out.extend(self._value(elem_type, x) for x in items)
            return b"".join(out)
        raise ValueError(f"unsupported gguf value type {vtype}")

    def write(self, path):
        header = [GGUF_MAGIC, struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))]
        for key, vtype, value in self.kv:
            header += [self._str(key), struct.pack("<I", vtype), self._value(vtype, value)]
        offset = 0
        offsets = []
        for name, gtype, ne, data in self.tensors:
            offsets.append(offset)
            header += [self._str(name), struct.pack("<I", len(ne)), struct.pack(f"<{len(ne)}Q", *ne),
                       struct.pack("<IQ", gtype, offset)]
            offset += _pad(len(data))
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            head = b"".join(header)
            f.write(head)
            f.write(b"\0" * (_pad(len(head)) - len(head)))
            for (_, _, _, data), off in zip(self.tensors, offsets):
                f.write(data)
                f.write(b"\0" * (_pad(len(data)) - len(data)))
        os.replace(tmp, path)


def _pad(n):
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def quantize_q8_0(a):
    """ggml's Q8_0 (quantize_row_q8_0_ref): per block of 32 along each row, d = max|x| / 127 as fp16,
    q = round(x / d) as int8; block = 2-byte scale + 32 bytes."""
    rows, cols = a.shape
    if cols % QK8_0:
        raise ValueError(f"Q8_0 needs rows that are a multiple of {QK8_0} (got {cols})")
    blocks = a.reshape(rows * cols // QK8_0, QK8_0).astype(np.float32)
    amax = np.abs(blocks).max(axis=1)
    d = amax / 127.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0.0).astype(np.float32)
    q = np.round(blocks * inv[:, None]).astype(np.int8)
    out = np.empty(len(blocks), dtype=[("d", "<f2"), ("qs", "i1", QK8_0)])
    out["d"] = d.astype(np.float16)
    out["qs"] = q
    return out.tobytes()


def permute_rope(w, n_head):
    """Rows of a Q or K projection from rotate-half (HF) to interleaved (llama.cpp) order, per head
    (convert_hf_to_gguf.py LlamaModel.permute)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


# --------------------------------------------------------------------------- weight sources

_SCOPE = re.compile(r"/m/(?:model/)?layers\.(\d+)/(self_attn|mlp)/(\w+_proj)/MatMul")


def weights_from_onnx(onnx_path):
    """HF-named float32 weights ([out, in] for projections) from an export of model/export_onnx.py."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(onnx_path)
    inits = {i.name: i for i in model.graph.initializer}
    out = {}
    for name, init in inits.items():
        if name.startswith("m."):
            out[name[2:]] = numpy_helper.to_array(init).astype(np.float32)
    for node in model.graph.node:
        if node.op_type != "MatMul":
            continue
        m = _SCOPE.search(node.name)
        if not m:
            continue
        w = next((x for x in node.input if x in inits), None)
        if w is None:
            continue
        layer, block, proj = m.groups()
        out[f"model.layers.{layer}.{block}.{proj}.weight"] = numpy_helper.to_array(inits[w]).astype(np.float32).T
    return out


def weights_from_ckpt(ckpt_path):
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from llama import load_checkpoint  # noqa: E402

    model = load_checkpoint(ckpt_path)
    return {k: v.detach().float().numpy() for k, v in model.state_dict().items() if k != "lm_head.weight"}


# --------------------------------------------------------------------------- the file

def tokenizer_tables(tokenizer, vocab_size):
    """tokens, token types and merges for tokenizer.ggml.* from a byte-level BPE tokenizer.json."""
    model = tokenizer["model"]
    if model.get("type") != "BPE":
        raise SystemExit(f"only byte-level BPE tokenizers are supported (found {model.get('type')})")
    tokens = [None] * vocab_size
    types = [TOKEN_UNUSED] * vocab_size
    for piece, i in model["vocab"].items():
        if i < vocab_size:
            tokens[i] = piece
            types[i] = TOKEN_NORMAL
    for added in tokenizer.get("added_tokens", []):
        i = added["id"]
        if i < vocab_size:
            tokens[i] = added["content"]
            types[i] = TOKEN_CONTROL if added.get("special") else TOKEN_NORMAL
    for i in range(vocab_size):
        if tokens[i] is None:
            tokens[i] = f"[PAD{i}]"
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    return tokens, types, merges


def build(folder, weights, qtype, name):
    config = json.load(open(os.path.join(folder, "config.json")))
    tokenizer = json.load(open(os.path.join(folder, "tokenizer.json")))
    tok_config_path = os.path.join(folder, "tokenizer_config.json")
    tok_config = json.load(open(tok_config_path)) if os.path.isfile(tok_config_path) else {}
    d = config["hidden_size"]
    n_head = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads", n_head)
    head_dim = config.get("head_dim") or d // n_head
    vocab = config["vocab_size"]
    n_layers = config["num_hidden_layers"]

    w = GgufWriter()
    w.add_str("general.architecture", "llama")
    w.add_str("general.name", name)
    w.add_u32("general.file_type", FILE_TYPE[qtype])
    w.add_u32("general.quantization_version", 2)
    w.add_u32("general.alignment", ALIGNMENT)
    w.add_u32("llama.context_length", config.get("max_position_embeddings", 2048))
    w.add_u32("llama.embedding_length", d)
    w.add_u32("llama.block_count", n_layers)
    w.add_u32("llama.feed_forward_length", config["intermediate_size"])
    w.add_u32("llama.attention.head_count", n_head)
    w.add_u32("llama.attention.head_count_kv", n_kv)
    w.add_u32("llama.attention.key_length", head_dim)
    w.add_u32("llama.attention.value_length", head_dim)
    w.add_u32("llama.rope.dimension_count", head_dim)
    w.add_f32("llama.rope.freq_base", config.get("rope_theta", 10000.0))
    w.add_f32("llama.attention.layer_norm_rms_epsilon", config.get("rms_norm_eps", 1e-5))
    w.add_u32("llama.vocab_size", vocab)

    tokens, types, merges = tokenizer_tables(tokenizer, vocab)
    w.add_str("tokenizer.ggml.model", "gpt2")
    w.add_str("tokenizer.ggml.pre", "gpt-2")
    w.add_array("tokenizer.ggml.tokens", T_STRING, tokens)
    w.add_array("tokenizer.ggml.token_type", T_INT32, types)
    w.add_array("tokenizer.ggml.merges", T_STRING, merges)
    for key, cfg_key in (("bos", "bos_token_id"), ("eos", "eos_token_id"), ("padding", "pad_token_id")):
        v = config.get(cfg_key)
        if isinstance(v, list):
            v = v[0] if v else None
        if isinstance(v, int):
            w.add_u32(f"tokenizer.ggml.{key}_token_id", v)
    w.add_bool("tokenizer.ggml.add_bos_token", bool(tok_config.get("add_bos_token", False)))
    w.add_bool("tokenizer.ggml.add_eos_token", bool(tok_config.get("add_eos_token", False)))
    if isinstance(tok_config.get("chat_template"), str):
        w.add_str("tokenizer.chat_template", tok_config["chat_template"])

    def t(hf_name):
        if hf_name not in weights:
            raise SystemExit(f"weight {hf_name} not found in the source (have {len(weights)} tensors)")
        return weights[hf_name]

    # Embedding first: llama.cpp reads it for the tied output head too.
    w.add_tensor("token_embd.weight", t("model.embed_tokens.weight"), qtype)
    for i in range(n_layers):
        p = f"model.layers.{i}."
        w.add_tensor(f"blk.{i}.attn_norm.weight", t(p + "input_layernorm.weight"), "F32")
        w.add_tensor(f"blk.{i}.attn_q.weight", permute_rope(t(p + "self_attn.q_proj.weight"), n_head), qtype)
        w.add_tensor(f"blk.{i}.attn_k.weight", permute_rope(t(p + "self_attn.k_proj.weight"), n_kv), qtype)
        w.add_tensor(f"blk.{i}.attn_v.weight", t(p + "self_attn.v_proj.weight"), qtype)
        w.add_tensor(f"blk.{i}.attn_output.weight", t(p + "self_attn.o_proj.weight"), qtype)
        w.add_tensor(f"blk.{i}.ffn_norm.weight", t(p + "post_attention_layernorm.weight"), "F32")
        w.add_tensor(f"blk.{i}.ffn_gate.weight", t(p + "mlp.gate_proj.weight"), qtype)
        w.add_tensor(f"blk.{i}.ffn_up.weight", t(p + "mlp.up_proj.weight"), qtype)
        w.add_tensor(f"blk.{i}.ffn_down.weight", t(p + "mlp.down_proj.weight"), qtype)
    w.add_tensor("output_norm.weight", t("model.norm.weight"), "F32")
    if not config.get("tie_word_embeddings", True) and "lm_head.weight" in weights:
        w.add_tensor("output.weight", weights["lm_head.weight"], qtype)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", default="media/models/reasoning-lens-tiny",
                    help="model folder with config.json + tokenizer.json (+ onnx/model.onnx unless --ckpt)")
    ap.add_argument("--ckpt", help="training checkpoint (torch) instead of the folder's onnx/model.onnx")
    ap.add_argument("--out", help="output folder (default: the --from folder)")
    ap.add_argument("--types", default="F32,Q8_0", help="comma-separated: F32, Q8_0")
    ap.add_argument("--name", help="file name stem (default: the folder's name)")
    a = ap.parse_args()
    out = a.out or a.src
    name = a.name or os.path.basename(os.path.normpath(a.src))
    weights = weights_from_ckpt(a.ckpt) if a.ckpt else weights_from_onnx(os.path.join(a.src, "onnx", "model.onnx"))
    os.makedirs(out, exist_ok=True)
    for qtype in a.types.split(","):
        qtype = qtype.strip().upper()
        if qtype not in FILE_TYPE:
            raise SystemExit(f"unknown type {qtype} (F32 or Q8_0)")
        path = os.path.join(out, f"{name}-{qtype}.gguf")
        build(a.src, weights, qtype, name).write(path)
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
