#!/usr/bin/env python3
"""Average the weights of several checkpoints of one run (stochastic weight averaging, SWA).

  /usr/bin/python3 training/average.py --out training/runs/f1/swa.pt training/runs/f1/snaps/*.pt

Late in a run, successive checkpoints differ mostly by the noise of the last few hundred steps; their
average usually sits in a flatter spot that generalises at least as well as any one of them. Meant for runs
trained with `--freeze-bn`, where the BatchNorm statistics do not change, so the averaged model needs no
BatchNorm re-estimation (the script refuses checkpoints whose statistics differ).
"""
from __future__ import annotations

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_checkpoint  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("ckpts", nargs="+")
    a = ap.parse_args()
    cks = [load_checkpoint(p) for p in a.ckpts]
    first = cks[0]
    avg = {}
    for k, v in first["model"].items():
        vals = [c["model"][k] for c in cks]
        if "running_" in k or "num_batches_tracked" in k:
            if any(not torch.equal(x, v) for x in vals[1:]):
                sys.exit(f"{k} differs between checkpoints: train with --freeze-bn (or re-estimate BatchNorm) first")
            avg[k] = v.clone()
        else:
            avg[k] = torch.stack([x.float() for x in vals]).mean(0).to(v.dtype)
    samples = [c.get("samples", 0) for c in cks]
    out = {"model": avg, "arch": first["arch"], "step": max(c.get("step", 0) for c in cks),
           "samples": max(samples), "args": {**first.get("args", {}), "swa": [os.path.basename(p) for p in a.ckpts]}}
    torch.save(out, a.out)
    print(f"averaged {len(cks)} checkpoints (samples {min(samples)}..{max(samples)}) -> {a.out}")


if __name__ == "__main__":
    main()
