#!/usr/bin/env bash
# Train on a lent GPU machine (the workplace's `device` tool), whose calls last at most 10 minutes and
# which has no fonts, no Node and no network. What it needs travels in `.gpu/` (gitignored, carried):
#   .gpu/fonts.tar.xz  the generator's fonts (training + hold-out), relative to /usr/share/fonts
#   .gpu/npm/          a subset of training/data/npm (node training/gen_npm.mjs), flattened to gray
#   .gpu/init.pt       weights to start from (train.py --init): INIT=path.pt, else the shipped model
#                      rebuilt from models/captcha-ocr.onnx by training/from_onnx.py (checkpoints are not committed)
# Prepare them here with `bash training/gpu.sh pack` (it also generates training/data/npm when missing).
#
# On the device machine:
#   bash training/gpu.sh start NAME MINUTES [train.py args...]   # starts a detached run that ends in MINUTES
#   bash training/gpu.sh watch NAME SECONDS                      # copies log + checkpoints to $OUT meanwhile
# `start` watches for up to WATCH_S seconds (default 540) itself. The run lives in its own process session,
# so it outlives a call and later `watch` calls on the same (still warm) machine pick it up.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?usage: gpu.sh pack | start NAME MINUTES [args] | watch NAME SECONDS}
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"

copy_out() {
  local dir=$1
  for f in train.log best.pt last.pt; do
    [ -f "$dir/$f" ] && cp "$dir/$f" "$OUT/$f.tmp" && mv "$OUT/$f.tmp" "$OUT/$f"
  done
  # weights-only snapshots (train.py --snap-min), for training/average.py
  if [ -d "$dir/snaps" ]; then mkdir -p "$OUT/snaps" && cp -u "$dir"/snaps/*.pt "$OUT/snaps/" 2>/dev/null; fi
  return 0
}

watch_run() {
  local name=$1 secs=$2 dir="training/runs/$1" t0=$SECONDS
  while (( SECONDS - t0 < secs )); do
    sleep 20
    copy_out "$dir"
    if ! pgrep -f "train.py --name $name" >/dev/null; then
      echo "training process has exited"; break
    fi
  done
  copy_out "$dir"
  grep -E "EVAL|new best|finished|Error|error" "$dir/train.log" | tail -n 20 || true
  tail -n 3 "$dir/train.log"
}

case "$cmd" in
  pack)
    mkdir -p .gpu
    if [ -n "${INIT:-}" ]; then
      cp "$INIT" .gpu/init.pt
    else   # always rebuilt, so it is never an older model than the one shipped
      /usr/bin/python3 training/from_onnx.py --out .gpu/init.pt
    fi
    [ -f training/data/npm/svg-captcha/labels.tsv ] || node training/gen_npm.mjs --n 8000
    (cd training && /usr/bin/python3 -c "
import os, sys
from synth import gen
sys.stdout.write('\0'.join(os.path.relpath(f, gen.FONT_ROOT) for f in gen._font_files(False) + gen._font_files(True)
                            if not f.startswith(gen.FONTSOURCE_ROOT)))") >/tmp/ics-fontlist
    # the @fontsource fonts go in as fontsource/..., where gen.py looks when CAPTCHA_FONT_ROOT is set
    tar chf - -C /usr/share/fonts --null -T /tmp/ics-fontlist --no-null -C "$PWD/training/data" \
      --transform 's,^fonts,fontsource,' --exclude '*.woff2' fonts | xz -T2 -6 >.gpu/fonts.tar.xz
    /usr/bin/python3 - <<'EOF'
import os, sys
sys.path.insert(0, "training")
import common
from PIL import Image
for name, n in (("svg-captcha", 3500), ("captchapng", 1500), ("trek-captcha", 1500)):
    items = common.load_labelled_dir(os.path.join("training/data/npm", name))[:n]
    od = os.path.join(".gpu/npm", name)
    os.makedirs(od, exist_ok=True)
    with open(os.path.join(od, "labels.tsv"), "w") as fh:
        fh.write("file\tlabel\n")
        for p, t in items:
            b = os.path.basename(p)
            common.flatten(Image.open(p)).save(os.path.join(od, b), optimize=True)
            fh.write(f"{b}\t{t}\n")
EOF
    du -sh .gpu
    ;;
  start)
    name=${2:?name}; minutes=${3:?minutes}; shift 3
    mkdir -p /tmp/fonts "training/runs/$name"
    tar xJf .gpu/fonts.tar.xz -C /tmp/fonts
    # the run reads its data from /tmp: a later call re-copies the working tree (and .gpu) under it
    rm -rf /tmp/ics-npm && cp -r .gpu/npm /tmp/ics-npm
    end=$(date -u -d "+$minutes min" +%H:%M)
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    echo "run $name ends at $end UTC; $(nproc) cores"
    CAPTCHA_FONT_ROOT=/tmp/fonts PYTHONUNBUFFERED=1 setsid nohup python3 training/train.py --name "$name" \
      --npm-root /tmp/ics-npm --end-time "$end" --steps 10000000 "$@" \
      >"training/runs/$name/train.log" 2>&1 </dev/null &
    watch_run "$name" "${WATCH_S:-540}"
    ;;
  watch)
    watch_run "${2:?name}" "${3:?seconds}"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
