"""Training / held-out documents for the Reasoning Lens tiny model.

Allowed sources only: /work/shared/data/gsm8k/train.jsonl (MIT) and /work/shared/data/codeforces-r1
(CC-BY-4.0). gsm8k/test.jsonl is the HELD-OUT set (perplexity only). thought-anchors is the evaluation
set for the extension and is never read here.
"""
import glob
import json
import os
import re

DATA = os.environ.get("RL_DATA", "/work/shared/data")
EOT, THINK, ETHINK, USER, ASSIST = "<|endoftext|>", "<think>", "</think>", "<|user|>", "<|assistant|>"
SPECIALS = [EOT, THINK, ETHINK, USER, ASSIST]

_CALC = re.compile(r"<<[^<>]*>>")


def format_gsm8k(ex):
    """<|user|>question<|assistant|><think>\\n steps \\n</think>\\n#### N<|endoftext|>"""
    ans = _CALC.sub("", ex["answer"])  # drop calculator annotations <<48/2=24>>
    steps, _, final = ans.rpartition("####")
    return (f"{USER}{ex['question'].strip()}{ASSIST}{THINK}\n{steps.strip()}\n{ETHINK}\n"
            f"#### {final.strip()}{EOT}")


def gsm8k_docs(split):
    assert split in ("train", "test")
    with open(os.path.join(DATA, "gsm8k", f"{split}.jsonl")) as f:
        return [format_gsm8k(json.loads(l)) for l in f if l.strip()]


def codeforces_docs():
    root = os.path.join(DATA, "codeforces-r1")
    docs = []
    for d in sorted(glob.glob(os.path.join(root, "prompt-response*", "*"))):
        p, r = os.path.join(d, "prompt.md"), os.path.join(d, "response.md")
        if os.path.isfile(p) and os.path.isfile(r):
            prompt = open(p, encoding="utf-8").read().strip()
            resp = open(r, encoding="utf-8").read().strip()
            docs.append(f"{USER}{prompt}{ASSIST}{resp}{EOT}")
    for j in sorted(glob.glob(os.path.join(root, "openrouter-responses", "*.json"))):
        m = json.load(open(j, encoding="utf-8"))["choices"][0]["message"]
        reasoning, content = (m.get("reasoning") or "").strip(), (m.get("content") or "").strip()
        if reasoning:
            docs.append(f"{ASSIST}{THINK}\n{reasoning}\n{ETHINK}\n\n{content}{EOT}")
    return docs


def train_docs():
    return gsm8k_docs("train") + codeforces_docs()


def heldout_docs():
    return gsm8k_docs("test")
