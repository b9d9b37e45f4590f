#!/usr/bin/env python3
"""Write the rehearsal pack that `adaptModel` mixes into a site's images: generated captchas of every style the
shipped model learned (training's own mix), so a head fine-tuned on one site keeps reading the rest (issue 28).

Usage: /usr/bin/python3 training/make_rehearsal.py [--out models/rehearsal] [--n 400] [--seed 4242]
Writes OUT/labels.tsv (`file<TAB>text`, as `collect` writes) and OUT/NNNN.png, each already at the model's input
height (grayscale, the width its aspect gives), so the pack stays small. Every image is drawn by synth/ (never a
site's image); the seed differs from the training and validation seeds.
"""
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from synth import gen  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(common.REPO, "models", "rehearsal"))
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed", type=int, default=4242)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    styles = {}
    with open(os.path.join(a.out, "labels.tsv"), "w", encoding="utf-8") as fh:
        fh.write("file\ttext\n")
        for i in range(a.n):
            img, text, style = gen.sample(rng)
            g = common.flatten(img)
            g = g.resize((common.target_width(*g.size), common.HEIGHT), resample=common.Image.BILINEAR)
            name = f"{i:04d}.png"
            g.save(os.path.join(a.out, name), optimize=True)
            fh.write(f"{name}\t{text}\n")
            styles[style] = styles.get(style, 0) + 1
    size = sum(os.path.getsize(os.path.join(a.out, f)) for f in os.listdir(a.out))
    print(f"{a.n} images, {size / 1024:.0f} KiB -> {a.out}; styles: {dict(sorted(styles.items()))}")


if __name__ == "__main__":
    main()
