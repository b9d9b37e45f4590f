#!/usr/bin/env python3
"""Evaluate a checkpoint on the real dev sets (validation only) and the hold-out families; print errors and the
dev mean that train.py selects on.

  /usr/bin/python3 training/eval.py --ckpt training/runs/v2/best.pt [--errors 15] [--limit N]
"""
import argparse
import os
import sys
from collections import Counter

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DEV_DIR, build_model, evaluate, load_checkpoint, load_labelled_dir  # noqa: E402
from synth import holdout  # noqa: E402
from train import NOT_TEXT_SETS  # noqa: E402

CASE_SENSITIVE_SETS = {"wp_really_simple_captcha", "sysu_cas", "zhihu", "pku_elective"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--errors", type=int, default=15)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--holdout-n", type=int, default=300)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ck = load_checkpoint(a.ckpt, map_location="cpu")
    model = build_model(ck.get("arch"))
    model.load_state_dict(ck["model"])
    model.eval()
    print(f"{a.ckpt}: step {ck.get('step')} samples {ck.get('samples')} params {sum(p.numel() for p in model.parameters())}")
    sets = []
    for name in sorted(os.listdir(DEV_DIR)) if os.path.isdir(DEV_DIR) else []:
        d = os.path.join(DEV_DIR, name)
        if name not in NOT_TEXT_SETS and os.path.isfile(os.path.join(d, "labels.tsv")):
            sets.append((name, load_labelled_dir(d, a.limit or None), name in CASE_SENSITIVE_SETS))
    dev_names = [name for name, _, _ in sets]
    for fam in holdout.FAMILIES:
        sets.append((fam, [(im, t) for im, t in holdout.make(fam, a.holdout_n, seed=1)], False))
    dev_acc = {}
    for name, items, cs in sets:
        acc, cer, preds = evaluate(model, items, case_sensitive=cs)
        acc_ci = evaluate(model, items, case_sensitive=False)[0] if cs else acc
        if name in dev_names:
            dev_acc[name] = acc_ci
        print(f"{name:28s} n={len(items):5d} exact={acc:.4f} (case-insensitive {acc_ci:.4f}) CER={cer:.4f}")
        errs = [(lab, p) for (_, lab), p in zip(items, preds) if (p if cs else p.lower()) != (lab if cs else lab.lower())]
        conf = Counter()
        for lab, p in errs:
            if len(lab) == len(p):
                for x, y in zip(lab, p):
                    if (x if cs else x.lower()) != (y if cs else y.lower()):
                        conf[f"{x}->{y}"] += 1
            else:
                conf[f"len {len(lab)}->{len(p)}"] += 1
        print("   errors:", " ".join(f"{l}/{p}" for l, p in errs[: a.errors]))
        print("   top confusions:", conf.most_common(12))
    if dev_acc:
        print(f"dev mean (case-insensitive, {len(dev_acc)} sets; the selection score of train.py): "
              f"{sum(dev_acc.values()) / len(dev_acc):.4f}")


if __name__ == "__main__":
    main()
