#!/usr/bin/env python3
"""Train the small arithmetic-captcha model (`models/captcha-math.onnx`): reads "3+5=?"-style expressions, and
nothing at all on other captchas. Synthetic data only (synth/math.py over gen.py's styles). Resumable.

  /usr/bin/python3 training/train_math.py --name m1 --minutes 60          # train (Ctrl+C / SIGTERM saves)
  /usr/bin/python3 training/train_math.py --name m1 --minutes 60 --resume # continue
  /usr/bin/python3 training/train_math.py --name m1 --export              # runs/m1/last.pt -> models/captcha-math.*

The cosine learning-rate schedule runs over --minutes of wall time (the CPU budget), not a step count.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import signal
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from synth import math as mathgen  # noqa: E402

CHARSET = mathgen.CHARSET
C2I = {c: i + 1 for i, c in enumerate(CHARSET)}
ARCH = {"ch": (16, 32, 48, 64), "rnn": 48, "head": "conv"}  # ~160k parameters, ~0.65 MB: the two models stay under 5 MB


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def build() -> common.CRNN:
    return common.CRNN(n_classes=len(CHARSET) + 1, ch=ARCH["ch"], rnn=ARCH["rnn"], head=ARCH["head"])


def decode(logits: torch.Tensor) -> list[str]:
    out = []
    for row in logits.argmax(-1).cpu().numpy():
        s, prev = [], 0
        for k in row:
            if k != prev and k != 0:
                s.append(CHARSET[k - 1])
            prev = k
        out.append("".join(s))
    return out


class Batches(torch.utils.data.IterableDataset):
    """Endless batches: half fresh samples, half replayed from the last `keep` (image generation is the cost)."""

    def __init__(self, batch: int, seed: int, keep: int = 4000):
        self.batch, self.seed, self.keep = batch, seed, keep

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed + (info.id if info else 0) * 7919)
        pool: list[tuple[np.ndarray, str]] = []
        while True:
            fresh = []
            for _ in range(self.batch // 2):
                img, label, _ = mathgen.sample_math(rng)
                fresh.append((common.to_array(img), label))
            pool.extend(fresh)
            del pool[: max(0, len(pool) - self.keep)]
            items = fresh + [rng.choice(pool) for _ in range(self.batch - len(fresh))]
            x = common.pad_batch([a for a, _ in items])
            labels = [t for _, t in items]
            flat = torch.tensor([C2I[c] for t in labels for c in t], dtype=torch.long)
            yield x, flat, torch.tensor([len(t) for t in labels], dtype=torch.long)


def val_set(n: int, seed: int = 999):
    rng = random.Random(seed)
    return [(common.to_array(img), label) for img, label, _ in (mathgen.sample_math(rng) for _ in range(n))]


@torch.no_grad()
def evaluate(model, vs) -> dict:
    """Exact readings of synthetic expressions, and how often a non-math captcha reads as anything. Leaves the
    model in eval mode."""
    model.eval()
    pos_ok = pos = neg = neg_fp = 0
    for i in range(0, len(vs), 64):
        chunk = vs[i:i + 64]
        preds = decode(model(common.pad_batch([a for a, _ in chunk])))
        for p, (_, t) in zip(preds, chunk):
            if t:
                pos += 1
                pos_ok += p == t
            else:
                neg += 1
                neg_fp += p != ""
    return {"math_exact": pos_ok / max(1, pos), "nonmath_read_something": neg_fp / max(1, neg), "n": len(vs)}


_EXPR = re.compile(r"^(-?\d+)([-+*x×/÷])(-?\d+)=?\??$")


def value(text: str) -> int | None:
    """The answer a reading or label stands for: an integer as is, "a op b" (an optional "=?" after) worked out."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    m = _EXPR.match(text)
    if not m:
        return None
    a, op, b = int(m.group(1)), m.group(2), int(m.group(3))
    if op in "/÷":
        return a // b if b and a % b == 0 else None
    return a + b if op == "+" else a - b if op == "-" else a * b


def answer_sets(specs: list[str]) -> dict[str, list]:
    """`name=DIR` (DIR/labels.tsv: an answer or an expression per image) -> {name: [(array, answer)]}."""
    out = {}
    for spec in specs:
        name, _, d = spec.partition("=")
        out[name] = [(common.to_array(Image.open(path)), value(label)) for path, label in common.load_labelled_dir(d)]
    return out


@torch.no_grad()
def evaluate_answers(model, items) -> float:
    """The share of images whose reading works out to the labelled answer."""
    model.eval()
    ok = 0
    for i in range(0, len(items), 64):
        chunk = items[i:i + 64]
        preds = decode(model(common.pad_batch([a for a, _ in chunk])))
        ok += sum(value(p) == want for p, (_, want) in zip(preds, chunk))
    return ok / max(1, len(items))


def export(run_dir: str, out_dir: str) -> None:
    ck = common.load_checkpoint(os.path.join(run_dir, "last.pt"))
    model = build()
    model.load_state_dict(ck["model"])
    model.eval()
    onnx_path = os.path.join(out_dir, "captcha-math.onnx")
    torch.onnx.export(model, torch.full((1, 1, common.HEIGHT, 128), 1.0), onnx_path, input_names=["image"], output_names=["logits"],
                      opset_version=14, dynamic_axes={"image": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "time"}},
                      do_constant_folding=True)
    meta = {"version": 1, "input": "image", "output": "logits", "height": common.HEIGHT, "minWidth": common.MIN_WIDTH,
            "maxWidth": common.MAX_WIDTH, "widthMultiple": common.WIDTH_MULTIPLE, "mean": common.MEAN, "std": common.STD,
            "charset": CHARSET, "blank": 0, "resize": "bilinear",
            "trainedOn": f"synthetic arithmetic captchas (training/synth/math.py over gen.py's styles, 35% non-math captchas "
                         f"labelled empty), {ck['samples']} samples, run {ck['args']['name']}, CRNN conv head",
            "params": sum(p.numel() for p in model.parameters())}
    with open(os.path.join(out_dir, "captcha-math.json"), "w") as fh:
        json.dump(meta, fh, indent=2)
        fh.write("\n")
    log(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), params={meta['params']}, eval {ck.get('eval')}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="m1")
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-time budget the cosine schedule runs over")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init", default="", help="start from these weights (fresh optimiser and schedule), e.g. the "
                    "shipped model rebuilt by `from_onnx.py --math`")
    ap.add_argument("--freeze-bn", action="store_true", help="keep BatchNorm's running statistics as initialised (a "
                    "fine-tune on a new mix then cannot shift how every other style is normalised)")
    ap.add_argument("--eval-dir", action="append", default=[], metavar="NAME=DIR",
                    help="also score answers on DIR/labels.tsv at every eval (repeatable), e.g. "
                    "svg=bench/.cache/page/svg-math")
    ap.add_argument("--export", action="store_true")
    ap.add_argument("--out", default=os.path.join(common.REPO, "models"))
    args = ap.parse_args()
    run_dir = os.path.join(common.ROOT, "runs", args.name)
    if args.export:
        export(run_dir, args.out)
        return
    os.makedirs(run_dir, exist_ok=True)
    last = os.path.join(run_dir, "last.pt")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = build()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    step, samples, spent = 0, 0, 0.0
    if args.resume and os.path.exists(last):
        ck = common.load_checkpoint(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, samples, spent = ck["step"], ck["samples"], ck["spent"]
        log(f"resumed at step {step}, {samples} samples, {spent / 60:.1f} min spent")
    elif args.init:
        model.load_state_dict(common.load_checkpoint(args.init)["model"])
        log(f"initialised from {args.init}")
    log(f"params={sum(p.numel() for p in model.parameters())} charset={CHARSET!r}")
    vs = val_set(600)
    answers = answer_sets(args.eval_dir)
    dl = torch.utils.data.DataLoader(Batches(args.batch, args.seed * 100003 + step), batch_size=None, num_workers=args.workers,
                                     **({"persistent_workers": True, "prefetch_factor": 4} if args.workers else {}))
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))

    def save(extra=None):
        ck = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "samples": samples, "spent": spent,
              "args": vars(args), "arch": ARCH, **(extra or {})}
        torch.save(ck, last + ".tmp")
        os.replace(last + ".tmp", last)

    def train_mode():
        model.train()
        if args.freeze_bn:
            for mod in model.modules():
                if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                    mod.eval()

    budget = args.minutes * 60
    t_start, t_ck, t_ev, loss_avg = time.time() - spent, time.time(), time.time(), None
    train_mode()
    for x, tg, tl in dl:
        spent = time.time() - t_start
        p = min(1.0, spent / budget)
        lr = args.lr * (step + 1) / 200 if step < 200 else args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p)))
        for g in opt.param_groups:
            g["lr"] = lr
        loss = common.ctc_step(model, opt, x, tg, tl)
        step += 1
        samples += x.shape[0]
        loss_avg = loss if loss_avg is None else 0.98 * loss_avg + 0.02 * loss
        if step % 100 == 0:
            log(f"step {step} samples {samples} loss {loss_avg:.4f} lr {lr:.2e} progress {p:.3f}")
        done = p >= 1.0 or stop["flag"]
        if time.time() - t_ev > 300 or done:
            r = evaluate(model, vs)
            r.update({name: round(evaluate_answers(model, items), 4) for name, items in answers.items()})
            train_mode()
            log(f"EVAL step {step} samples {samples} " + json.dumps(r))
            t_ev = time.time()
            save({"eval": r})
            t_ck = time.time()
        elif time.time() - t_ck > 180:
            save()
            t_ck = time.time()
        if done:
            log("finished" if p >= 1.0 else "stopped by signal; saved")
            return


if __name__ == "__main__":
    main()
