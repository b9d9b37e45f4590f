#!/usr/bin/env python3
"""How well a model reads each generator style: draws N fresh images of every style in gen.STYLES (seeded),
reads them with the library's own CLI (`image-captcha ocr --json`, int8 copy included, second look included)
and prints the exact-match share per style, worst first. A style far below the others is under-learned (give it
more weight with train.py --style-weights) or too hard to read (look at its images with preview.py).

  npm run build && /usr/bin/python3 training/style_report.py [--model models/captcha-ocr.onnx] [--n 80] [--seed 99]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synth import gen  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(REPO, "models", "captcha-ocr.onnx"))
    ap.add_argument("--n", type=int, default=80, help="images per style")
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--styles", default="", help="comma-separated subset of styles (default: all)")
    args = ap.parse_args()
    cli = os.path.join(REPO, "dist", "cli.js")
    if not os.path.exists(cli):
        raise SystemExit("style_report: dist/cli.js is missing: run `npm run build` first")
    styles = [s for s in args.styles.split(",") if s] or list(gen.STYLES)
    unknown = [s for s in styles if s not in gen.STYLES]
    if unknown:
        raise SystemExit(f"style_report: unknown styles {unknown}; known: {', '.join(gen.STYLES)}")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        labels = {}
        for name in styles:
            for i in range(args.n):
                img, text, _ = gen.sample(rng, name)
                file = f"{name}__{i:04d}.png"
                img.save(os.path.join(tmp, file))
                labels[file] = text
        out = subprocess.run(["node", cli, "ocr", "--json", "--quiet", "--model", args.model, tmp],
                             check=True, capture_output=True, text=True).stdout
    right: dict[str, list[bool]] = {name: [] for name in styles}
    for row in json.loads(out):
        file = os.path.basename(row["file"])
        right[file.split("__")[0]].append(row["text"].lower() == labels[file].lower())
    print(f"# {os.path.relpath(args.model, REPO)}: exact match (case-insensitive) on {args.n} fresh images a style, seed {args.seed}")
    for name, hits in sorted(right.items(), key=lambda kv: sum(kv[1]) / max(1, len(kv[1]))):
        print(f"{name:18s} {100 * sum(hits) / max(1, len(hits)):5.1f}%  (weight {gen.STYLES[name][1]})")
    total = [h for hits in right.values() for h in hits]
    print(f"{'all styles':18s} {100 * sum(total) / max(1, len(total)):5.1f}%")


if __name__ == "__main__":
    main()
