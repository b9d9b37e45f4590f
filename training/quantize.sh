#!/usr/bin/env bash
# Writes MODEL.int8.onnx beside MODEL.onnx (training/quantize.py: int8 convolutions, calibrated on the generated
# captchas in models/rehearsal) and names it in MODEL.json ("int8"), so LocalSolver runs it by default.
#
#   bash training/quantize.sh models/captcha-ocr.onnx [calibration images dir, default models/rehearsal]
set -euo pipefail
cd "$(dirname "$0")/.."
model="$1"
images="${2:-models/rehearsal}"
base="${model%.onnx}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 training/quantize.py augment "$model" "$work/aug.onnx"
node training/calibrate.mjs "$work/aug.onnx" "$base.json" "$images" "$work/ranges.json"
/usr/bin/python3 training/quantize.py quantize "$model" "$work/ranges.json" "$base.int8.onnx"
/usr/bin/python3 - "$base.json" "$(basename "$base.int8.onnx")" <<'EOF'
import json, sys
path, name = sys.argv[1], sys.argv[2]
sidecar = json.load(open(path))
sidecar["int8"] = name
open(path, "w").write(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")
print(f"{path}: \"int8\": \"{name}\"")
EOF
