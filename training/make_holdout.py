#!/usr/bin/env python3
"""Write the hold-out synthetic families (styles training never sees) as PNG + labels.tsv.

Usage: /usr/bin/python3 training/make_holdout.py --out DIR --n 300 --seed 1
Creates DIR/<family>/{00000.png,...,labels.tsv} (same format as /work/shared/data/dev/*).
Labels are case-sensitive (the text drawn); score them case-insensitively unless noted.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synth import holdout  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    for fam in holdout.FAMILIES:
        d = os.path.join(a.out, fam)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "labels.tsv"), "w", encoding="utf-8") as fh:
            fh.write("file\tlabel\n")
            for i, (img, text) in enumerate(holdout.make(fam, a.n, a.seed)):
                name = f"{i:05d}.png"
                img.save(os.path.join(d, name))
                fh.write(f"{name}\t{text}\n")
        print(f"{fam}: {a.n} images -> {d}")


if __name__ == "__main__":
    main()
