"""Byte-level BPE trainer (GPT-2 style) in plain Python; writes a Hugging Face tokenizer.json.

  /usr/bin/python3 model/bpe.py --vocab 4096 --out model/.work/tok

Word-frequency counting + incremental pair-count updates with a lazy max-heap: ~1 min on ~5-12 MB.
Ids 0..4 are the special tokens, 5..260 the 256 bytes (in byte order), then merges in rank order.
Ties between equally frequent pairs are broken by the smaller (left id, right id): deterministic.
"""
import argparse
import heapq
import json
import os
import sys
import time
from collections import Counter, defaultdict

import regex

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import SPECIALS, train_docs  # noqa: E402

GPT2_PAT = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_PAT = regex.compile(GPT2_PAT)
_SPECIAL_SPLIT = regex.compile("(" + "|".join(regex.escape(s) for s in SPECIALS) + ")")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENC = bytes_to_unicode()
BYTE_DEC = {v: k for k, v in BYTE_ENC.items()}


def split_specials(text):
    """-> list of (piece, is_special)"""
    out = []
    for i, part in enumerate(_SPECIAL_SPLIT.split(text)):
        if part:
            out.append((part, i % 2 == 1))
    return out


def to_unicode(s):
    return "".join(BYTE_ENC[b] for b in s.encode("utf-8"))


def train(texts, vocab_size=4096, log=print):
    t0 = time.time()
    counts = Counter()
    for t in texts:
        for piece, special in split_specials(t):
            if not special:
                counts.update(_PAT.findall(piece))
    vocab = list(SPECIALS) + [BYTE_ENC[b] for b in range(256)]
    tok_id = {t: i for i, t in enumerate(vocab)}
    words, freqs = [], []
    for w, c in counts.items():
        words.append([tok_id[ch] for ch in to_unicode(w)])
        freqs.append(c)
    log(f"bpe: {len(words):,} unique pre-tokens, {sum(freqs):,} total ({time.time() - t0:.1f}s)")

    pair_counts = defaultdict(int)
    where = defaultdict(set)
    for wi, (w, f) in enumerate(zip(words, freqs)):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += f
            where[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negc or negc == 0:
            continue  # stale entry
        a, b = pair
        new = len(vocab)
        vocab.append(vocab[a] + vocab[b])
        merges.append((a, b))
        changed = set()
        for wi in where.pop(pair, ()):
            w = words[wi]
            if len(w) < 2:
                continue
            f = freqs[wi]
            nw, i, hit = [], 0, False
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    nw.append(new)
                    i += 2
                    hit = True
                else:
                    nw.append(w[i])
                    i += 1
            if not hit:
                continue
            for p in zip(w, w[1:]):
                pair_counts[p] -= f
                changed.add(p)
            for p in zip(nw, nw[1:]):
                pair_counts[p] += f
                where[p].add(wi)
                changed.add(p)
            words[wi] = nw
        pair_counts.pop(pair, None)
        for p in changed:
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            elif p in pair_counts:
                del pair_counts[p]
    log(f"bpe: vocab {len(vocab)} ({len(merges)} merges) in {time.time() - t0:.1f}s")
    return vocab, merges


class Encoder:
    """Reference Python encoder (same algorithm as HF BPE: lowest-rank adjacent pair first)."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.ranks = {(vocab[a], vocab[b]): r for r, (a, b) in enumerate(merges)}
        self.cache = {}

    def _bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            best, bi = None, -1
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            x, y = parts[bi], parts[bi + 1]
            out, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == x and parts[i + 1] == y:
                    out.append(x + y)
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        ids = [self.ids[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        out = []
        for piece, special in split_specials(text):
            if special:
                out.append(self.ids[piece])
            else:
                for w in _PAT.findall(piece):
                    out.extend(self._bpe(to_unicode(w)))
        return out

    def decode(self, ids):
        s = "".join(self.vocab[i] for i in ids)
        buf = bytearray()
        out = []
        for ch in s:
            if ch in BYTE_DEC:
                buf.append(BYTE_DEC[ch])
            else:  # special tokens
                out.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                out.append(ch)
        out.append(buf.decode("utf-8", errors="replace"))
        return "".join(out)


def load(tok_dir):
    tj = json.load(open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8"))
    v = tj["model"]["vocab"]
    vocab = [None] * (max(v.values()) + 1)
    for t, i in v.items():
        vocab[i] = t
    ids = {t: i for i, t in enumerate(vocab)}
    merges = [(ids[a], ids[b]) for a, b in tj["model"]["merges"]]
    return Encoder(vocab, merges)


CHAT_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'user' %}<|user|>{{ m['content'] }}"
    "{% elif m['role'] == 'assistant' %}<|assistant|>{{ m['content'] }}<|endoftext|>{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|><think>\n{% endif %}"
)


def write_hf(vocab, merges, out_dir, model_max_length=2048):
    os.makedirs(out_dir, exist_ok=True)
    added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(SPECIALS)]
    tj = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(vocab)},
            "merges": [[vocab[a], vocab[b]] for a, b in merges],
        },
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    cfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model_max_length,
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "bos_token": SPECIALS[0],
        "eos_token": SPECIALS[0],
        "pad_token": SPECIALS[0],
        "unk_token": None,
        "additional_special_tokens": SPECIALS[1:],
        "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in added},
        "chat_template": CHAT_TEMPLATE,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work", "tok"))
    a = ap.parse_args()
    docs = train_docs()
    print(f"corpus: {len(docs)} docs, {sum(len(d) for d in docs) / 1e6:.2f} M chars")
    vocab, merges = train(docs, a.vocab)
    write_hf(vocab, merges, a.out)
    print(f"wrote {a.out}/tokenizer.json, tokenizer_config.json")


if __name__ == "__main__":
    main()
