"""Minimal Llama-style decoder (RMSNorm, rotate-half RoPE, GQA, SwiGLU, tied embeddings).

Parameter names follow Hugging Face `LlamaForCausalLM` (model.embed_tokens.weight,
model.layers.{i}.self_attn.q_proj.weight, ..., model.norm.weight); lm_head is tied to the
embedding and is NOT a separate parameter. The forward pass takes the same inputs as the
Optimum "text-generation-with-past" ONNX export, so one code path serves training and export.
"""
import json
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class LlamaConfig:
    vocab_size: int = 4096
    hidden_size: int = 192
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 0  # 0 -> hidden_size // num_attention_heads
    max_position_embeddings: int = 2048
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    bos_token_id: int = 0
    eos_token_id: int = 0
    pad_token_id: int = 0

    def __post_init__(self):
        if not self.head_dim:
            self.head_dim = self.hidden_size // self.num_attention_heads
        assert self.num_attention_heads % self.num_key_value_heads == 0

    def to_hf_dict(self):
        d = asdict(self)
        d.update({
            "model_type": "llama",
            "architectures": ["LlamaForCausalLM"],
            "hidden_act": "silu",
            "tie_word_embeddings": True,
            "attention_bias": False,
            "mlp_bias": False,
            "initializer_range": 0.02,
            "use_cache": True,
            "torch_dtype": "float32",
            "rope_scaling": None,
        })
        return d

    @classmethod
    def from_dict(cls, d):
        keys = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in keys})


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.nh, self.nkv, self.hd = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        d = cfg.hidden_size
        self.q_proj = nn.Linear(d, self.nh * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.nkv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.nkv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.nh * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        present = (k, v)
        rep = self.nh // self.nkv
        if rep > 1:
            S = k.shape[2]
            k = k[:, :, None].expand(B, self.nkv, rep, S, self.hd).reshape(B, self.nh, S, self.hd)
            v = v[:, :, None].expand(B, self.nkv, rep, S, self.hd).reshape(B, self.nh, S, self.hd)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd))
        att = att + mask
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, self.nh * self.hd)
        return self.o_proj(y), present


class MLP(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        d, f = cfg.hidden_size, cfg.intermediate_size
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, present


class LlamaModel(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.config = cfg
        self.model = LlamaModel(cfg)
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.apply(self._init)
        # GPT-2 style scaled init of residual projections
        for n, p in self.named_parameters():
            if n.endswith("o_proj.weight") or n.endswith("down_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.num_hidden_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def num_parameters(self):
        return sum(p.numel() for p in self.parameters())

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None):
        """input_ids [B,T]; attention_mask [B,P+T] (1 = keep); position_ids [B,T];
        past_key_values: list of (k, v) [B,n_kv,P,hd] or None.
        Returns logits [B,T,V] and list of present (k, v) [B,n_kv,P+T,hd]."""
        B, T = input_ids.shape
        if past_key_values is not None:
            P = past_key_values[0][0].shape[2]
        else:
            P = 0
        if position_ids is None:
            position_ids = torch.arange(T, dtype=torch.long, device=input_ids.device).unsqueeze(0) + P
            position_ids = position_ids.expand(B, T)
        freqs = position_ids.unsqueeze(-1).to(torch.float32) * self.inv_freq  # [B,T,hd/2]
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)  # [B,1,T,hd]
        cos, sin = emb.cos(), emb.sin()

        # additive mask [B,1,T,P+T]: causal on absolute positions + key padding
        S = T + P
        q_pos = torch.arange(T, device=input_ids.device).unsqueeze(1) + P
        k_pos = torch.arange(S, device=input_ids.device).unsqueeze(0)
        allowed = (k_pos <= q_pos).unsqueeze(0).unsqueeze(0)  # [1,1,T,S]
        if attention_mask is not None:
            allowed = allowed & (attention_mask[:, None, None, :] > 0)
        mask = torch.where(allowed, torch.zeros((), dtype=torch.float32),
                           torch.full((), -1e9, dtype=torch.float32))

        h = self.model.embed_tokens(input_ids)
        presents = []
        for i, layer in enumerate(self.model.layers):
            pk, pv = past_key_values[i] if past_key_values is not None else (None, None)
            h, present = layer(h, cos, sin, mask, pk, pv)
            presents.append(present)
        h = self.model.norm(h)
        # Tied head: 2-D F.linear exports as Gemm(transB=1) on the SAME initializer as the Gather,
        # so the ONNX file holds one embedding matrix.
        d = h.shape[-1]
        logits = F.linear(h.reshape(-1, d), self.model.embed_tokens.weight)
        logits = logits.reshape(B, T, -1)
        return logits, presents


def load_checkpoint(path):
    ck = torch.load(path, map_location="cpu")
    cfg = LlamaConfig.from_dict(ck["config"])
    m = LlamaForCausalLM(cfg)
    m.load_state_dict(ck["model"])
    return m, ck
