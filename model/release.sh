#!/usr/bin/env bash
# Export the trained checkpoint to media/models/reasoning-lens-tiny and verify it in Node.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
OUT=media/models/reasoning-lens-tiny
/usr/bin/python3 model/export_onnx.py --ckpt model/.work/ckpt.pt --tokenizer-dir model/.work/tok --out "$OUT" \
  --ref model/.work/ref-trained.json
node model/verify_onnx.mjs "$OUT" --ref model/.work/ref-trained.json
/usr/bin/python3 model/tokcheck.py "$OUT" > model/.work/tokcheck.jsonl
node model/verify_tokenizer.mjs "$OUT" model/.work/tokcheck.jsonl
du -sh "$OUT"
