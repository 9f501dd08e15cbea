"""Train the Reasoning Lens tiny Llama on CPU (deterministic, wall-clock budgeted).

  OMP_NUM_THREADS=2 /usr/bin/python3 model/train.py --minutes 22
  OMP_NUM_THREADS=2 /usr/bin/python3 model/train.py --steps N      # exact reproduction of a run

Data: gsm8k/train.jsonl (MIT) + codeforces-r1 (CC-BY-4.0), see corpus.py. Held-out perplexity on
gsm8k/test.jsonl. Never reads thought-anchors. With --minutes, the step count is fixed after timing the
clock: warmup, constant LR, then linear decay over the last 30% of the budget; the decay start and
total step count are logged, and `--steps N --decay-start S` with the same seed and thread count replays it.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bpe  # noqa: E402
from corpus import train_docs, heldout_docs  # noqa: E402
from llama import LlamaConfig, LlamaForCausalLM  # noqa: E402


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def encode_stream(enc, docs):
    ids = []
    for d in docs:
        ids.extend(enc.encode(d))
    return np.asarray(ids, dtype=np.int64)


@torch.no_grad()
def evaluate(model, stream, seq, batch, max_windows=None):
    """Mean NLL over non-overlapping windows of the concatenated held-out stream."""
    model.eval()
    n = (len(stream) - 1) // seq
    if max_windows:
        n = min(n, max_windows)
    tot, cnt = 0.0, 0
    for s in range(0, n, batch):
        idx = range(s, min(n, s + batch))
        x = torch.from_numpy(np.stack([stream[i * seq:i * seq + seq] for i in idx]))
        y = torch.from_numpy(np.stack([stream[i * seq + 1:i * seq + seq + 1] for i in idx]))
        logits, _ = model(x)
        tot += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        cnt += y.numel()
    model.train()
    return tot / cnt, cnt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=22.0, help="wall-clock budget for the optimisation loop")
    ap.add_argument("--steps", type=int, default=0, help="fixed step count (overrides --minutes)")
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=512)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.05)
    ap.add_argument("--decay-frac", type=float, default=0.3, help="fraction of the run spent in linear LR decay")
    ap.add_argument("--decay-start", type=int, default=0, help="with --steps: step where decay starts")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--tok-dir", default=os.path.join(HERE, ".work", "tok"))
    ap.add_argument("--out", default=os.path.join(HERE, ".work", "ckpt.pt"))
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    t_start = time.time()

    if not os.path.isfile(os.path.join(a.tok_dir, "tokenizer.json")):
        log("training tokenizer ->", a.tok_dir)
        vocab, merges = bpe.train(train_docs(), 4096, log=log)
        bpe.write_hf(vocab, merges, a.tok_dir)
    enc = bpe.load(a.tok_dir)
    train = encode_stream(enc, train_docs())
    held = encode_stream(enc, heldout_docs())
    log(f"tokens: train {len(train):,}  held-out (gsm8k test) {len(held):,}  ({time.time() - t_start:.1f}s)")

    cfg = LlamaConfig(vocab_size=len(enc.vocab), hidden_size=a.d_model, intermediate_size=a.intermediate,
                      num_hidden_layers=a.layers, num_attention_heads=a.heads, num_key_value_heads=a.kv_heads,
                      max_position_embeddings=2048, bos_token_id=0, eos_token_id=0, pad_token_id=0)
    model = LlamaForCausalLM(cfg)
    nparams = model.num_parameters()
    log(f"model: {nparams:,} params  {json.dumps(cfg.to_hf_dict())}")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)

    total_steps = a.steps or None
    tok_per_step = a.batch * a.seq

    # Warmup-Stable-Decay: constant LR after warmup; the last --decay-frac of the wall-clock budget
    # decays linearly to min-lr. With --minutes the decay start is chosen from the clock (logged); with
    # --steps N --decay-start S the same schedule is replayed exactly.
    decay_start = a.decay_start or (int(a.steps * (1 - a.decay_frac)) if a.steps else None)

    def lr_at(step):
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        if decay_start is None or step < decay_start:
            return a.lr
        prog = min(1.0, (step - decay_start) / max(1, total_steps - decay_start))
        return a.lr * (1 - (1 - a.min_lr_frac) * prog)

    def save(step, extra=None):
        ck = {"config": cfg.to_hf_dict(), "model": model.state_dict(), "step": step, "args": vars(a)}
        if extra:
            ck.update(extra)
        torch.save(ck, a.out + ".tmp")
        os.replace(a.out + ".tmp", a.out)

    loss0, _ = evaluate(model, held, a.seq, a.batch, max_windows=32)
    log(f"init held-out(subset) nll {loss0:.3f} ppl {math.exp(loss0):.1f}")
    model.train()
    t_loop = time.time()
    step, ema = 0, None
    hist = []
    while total_steps is None or step < total_steps:
        starts = rng.integers(0, len(train) - a.seq - 1, size=a.batch)
        xy = torch.from_numpy(np.stack([train[s:s + a.seq + 1] for s in starts]))
        x, y = xy[:, :-1], xy[:, 1:]
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if total_steps is None:
            el = time.time() - t_loop
            if el >= a.minutes * 60 * (1 - a.decay_frac):
                per = el / step  # average over the run so far (contention-robust)
                decay_start = step
                total_steps = step + max(1, int(a.minutes * 60 * a.decay_frac * 0.97 / per))
                log(f"decay starts at step {decay_start}: {per * 1000:.0f} ms/step ({tok_per_step / per:.0f} tok/s) "
                    f"-> total_steps {total_steps}  (reproduce: --steps {total_steps} --decay-start {decay_start})")
        if step % 25 == 0:
            el = time.time() - t_loop
            log(f"step {step}/{total_steps} loss {loss.item():.3f} ema {ema:.3f} lr {lr_at(step):.2e} "
                f"tok {step * tok_per_step:,} {step * tok_per_step / el:.0f} tok/s {el / 60:.1f} min")
        if step % a.eval_every == 0:
            hl, _ = evaluate(model, held, a.seq, a.batch, max_windows=64)
            hist.append({"step": step, "train_ema": ema, "heldout_subset_nll": hl})
            log(f"eval step {step}: held-out(subset 64x{a.seq}) nll {hl:.3f} ppl {math.exp(hl):.2f}")
            save(step)
    train_time = time.time() - t_loop
    hl, n = evaluate(model, held, a.seq, a.batch)
    tokens = step * tok_per_step
    metrics = {"params": nparams, "steps": step, "tokens_trained": tokens, "train_seconds": round(train_time, 1),
               "heldout_gsm8k_test_nll": hl, "heldout_gsm8k_test_ppl": math.exp(hl), "heldout_tokens": n,
               "decay_start": decay_start, "train_stream_tokens": int(len(train)), "final_train_loss_ema": ema, "history": hist,
               "args": vars(a), "torch": torch.__version__, "threads": a.threads}
    save(step, {"metrics": metrics})
    with open(os.path.splitext(a.out)[0] + ".metrics.json", "w") as f:
        json.dump(metrics, f, indent=2)
    log(f"DONE steps {step} tokens {tokens:,} train {train_time / 60:.1f} min; "
        f"GSM8K-test nll {hl:.3f} ppl {math.exp(hl):.2f} over {n:,} tokens; total {(time.time() - t_start) / 60:.1f} min")


if __name__ == "__main__":
    main()
