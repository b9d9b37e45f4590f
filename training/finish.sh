#!/usr/bin/env bash
# Export a checkpoint as a candidate model (into a folder, not models/), choose its second look on the real dev
# sets, and measure it against the shipped model and ddddocr with bench:ocr. Ship it only when the real-set mean
# improved: then copy CANDIDATE/captcha-ocr.{onnx,int8.onnx,json} into models/ (and the test vectors it wrote).
#
#   bash training/finish.sh training/runs/c2/best.pt [candidate dir, default training/runs/<run>/export]
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt="$1"
out="${2:-$(dirname "$ckpt")/export}"
mkdir -p "$out/testdata"
/usr/bin/python3 training/export.py --ckpt "$ckpt" --out "$out" --testdata "$out/testdata"
/usr/bin/python3 training/second_look.py --ckpt "$ckpt" --write "$out/captcha-ocr.json" --testdata "$out/testdata" \
  --cache "$out/second_look.pkl" | tee "$out/second_look.txt"
# the int8 copy LocalSolver runs by default (names itself in the sidecar): the bench measures what users get
bash training/quantize.sh "$out/captcha-ocr.onnx"
node bench/ocr.mjs --only dev/ --no-length-hint --model "$out/captcha-ocr.onnx" --baseline models/captcha-ocr.onnx \
  | tee "$out/bench.txt"
