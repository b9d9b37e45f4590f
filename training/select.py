#!/usr/bin/env python3
"""Score candidate checkpoints on the *selection* images only, to choose which one to export.

  /usr/bin/python3 training/select.py training/runs/f5/best.pt training/runs/f5/last.pt training/runs/f5/swa.pt

Score = exact match (case-sensitive) on N fresh generator images (seed 777, not the seed train.py validates
on) + the mean exact match (case-insensitive) of the three hold-out families drawn with seed 2. bench:ocr
scores the hold-outs drawn with seed 1 and the real dev sets; neither is seen here, so the choice stays honest.
"""
from __future__ import annotations

import argparse
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import build_model, evaluate, load_checkpoint  # noqa: E402
from synth import gen, holdout  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpts", nargs="+")
    ap.add_argument("--n-synth", type=int, default=1000)
    ap.add_argument("--n-holdout", type=int, default=300)
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    rng = random.Random(a.seed)
    synth = [gen.sample(rng)[:2] for _ in range(a.n_synth)]
    ho = {f: holdout.make(f, a.n_holdout, seed=2) for f in holdout.FAMILIES}
    print(f"selection sets: {len(synth)} synthetic (seed {a.seed}), hold-outs {a.n_holdout} each (seed 2)")
    for path in a.ckpts:
        ck = load_checkpoint(path, map_location="cpu")
        model = build_model(ck.get("arch"))
        model.load_state_dict(ck["model"])
        model.eval()
        s = evaluate(model, synth, case_sensitive=True)[0]
        h = {f: evaluate(model, items, case_sensitive=False)[0] for f, items in ho.items()}
        mean = sum(h.values()) / len(h)
        print(f"{path}: score {s + mean:.4f}  synth {s:.4f}  hold-out mean {mean:.4f}  "
              + "  ".join(f"{f.split('_')[1]} {v:.4f}" for f, v in h.items()), flush=True)


if __name__ == "__main__":
    main()
