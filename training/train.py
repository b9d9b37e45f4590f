#!/usr/bin/env python3
"""Train the CRNN+CTC captcha OCR model on synthetic data only.

  nice -n 10 /usr/bin/python3 training/train.py --name v1 --steps 8000
  ... --resume            # continue training/runs/<name>/last.pt (model, optimizer, scheduler, step, RNG)
  ... --init PATH.pt      # start from another run's weights (fresh optimizer/schedule), e.g. to fine-tune

Data: training/synth/gen.py generated on the fly in DataLoader workers (a small pool recycles each
sample `--reuse` times to save CPU), mixed with PNGs from the npm generators in training/data/npm
(`node training/gen_npm.mjs`). Logs to stdout (redirect to training/runs/<name>/train.log):
throughput, loss, synthetic-val accuracy, hold-out families accuracy and the real dev sets' accuracy
(../shared/data/dev; validation only, never trained on), whose mean chooses best.pt.
"""
from __future__ import annotations

import argparse
import glob
import math
import os
import random
import signal
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import build_model, DEV_DIR, encode, evaluate, load_labelled_dir, pad_batch, to_array  # noqa: E402
from synth import gen, holdout  # noqa: E402

# dev sets the text model is not selected on: their answer is a sum, read by the math model
NOT_TEXT_SETS = {"cryptowin_math"}
EASY = ["clean", "clean", "clean", "wp", "svglike", "django", "lineblur"]
RESAMPLES = [Image.BILINEAR] * 6 + [Image.BICUBIC, Image.LANCZOS, Image.BOX, Image.NEAREST, Image.HAMMING]


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def load_npm(root):
    items = []
    for d in sorted(glob.glob(os.path.join(root, "*"))):
        if os.path.isfile(os.path.join(d, "labels.tsv")):
            items += load_labelled_dir(d)
    return [(p, t) for p, t in items if all(c in common.C2I for c in t)]


class SynthBatches(torch.utils.data.IterableDataset):
    def __init__(self, batch, seed, reuse, npm_prob, npm_root, pool=1024, start_samples=0, easy_until=120000,
                 style_weights=None):
        self.batch, self.seed, self.reuse, self.npm_prob, self.pool = batch, seed, reuse, npm_prob, pool
        # {style: weight} replacing the generator's own mix (gen.STYLES) for training only; evaluation keeps it
        self.style_weights = style_weights
        # curriculum: mostly easy styles at first (gets CTC off its plateau faster), fading out by easy_until
        self.start_samples, self.easy_until, self.made = start_samples, easy_until, 0
        self.npm_root = npm_root

    def _new(self, rng, npm):
        if npm and rng.random() < self.npm_prob:
            path, text = npm[rng.randrange(len(npm))]
            img = Image.open(path)
            img.load()
        else:
            seen = self.start_samples + self.made * self.reuse
            easy_p = max(0.0, 0.7 * (1 - seen / self.easy_until)) if self.easy_until > 0 else 0.0
            style = rng.choice(EASY) if rng.random() < easy_p else None
            if style is None and self.style_weights:
                style = rng.choices(list(self.style_weights), weights=list(self.style_weights.values()))[0]
            img, text, _ = gen.sample(rng, style)
        self.made += 1
        # resolution / aspect jitter so the model does not depend on one resampler or exact scale
        g = common.flatten(img)
        w, h = g.size
        if rng.random() < 0.3:
            w = max(8, int(w * rng.uniform(0.8, 1.2)))
        g = g.resize((common.target_width(w, h), common.HEIGHT), rng.choice(RESAMPLES))
        return np.asarray(g, np.float32) / 255.0, text

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        rng = random.Random(self.seed * 7919 + wid)
        npm = load_npm(self.npm_root) if self.npm_prob > 0 else []
        pool = []
        while True:
            out = []
            for _ in range(self.batch * 8):
                if rng.random() < 1.0 / self.reuse or len(pool) < 256:
                    s = self._new(rng, npm)
                    if len(pool) < self.pool:
                        pool.append(s)
                    else:
                        pool[rng.randrange(len(pool))] = s
                else:
                    s = pool[rng.randrange(len(pool))]
                out.append(s)
            # bucket by width (8 batches at a time) so little compute is spent on padding
            out.sort(key=lambda s: s[0].shape[1])
            chunks = [out[i: i + self.batch] for i in range(0, len(out), self.batch)]
            rng.shuffle(chunks)
            for ch in chunks:
                tg, tl = encode([t for _, t in ch])
                yield pad_batch([a for a, _ in ch]), tg, tl


def make_eval_sets(n_synth, n_ho, ho_seed):
    rng = random.Random(12345)
    synth = []
    for _ in range(n_synth):
        img, text, _ = gen.sample(rng)
        synth.append((img, text))
    ho = {f: holdout.make(f, n_ho, seed=ho_seed) for f in holdout.FAMILIES}
    dev = {}
    for name in sorted(os.listdir(DEV_DIR)) if os.path.isdir(DEV_DIR) else []:
        d = os.path.join(DEV_DIR, name)
        if name not in NOT_TEXT_SETS and os.path.isfile(os.path.join(d, "labels.tsv")):
            dev[name] = load_labelled_dir(d)
    return synth, ho, dev


def run_eval(model, sets, device, dev_limit=None):
    synth, ho, dev = sets
    res = {}
    res["synth"] = evaluate(model, synth, case_sensitive=True, device=device)[0]
    for f, items in ho.items():
        res[f] = evaluate(model, [(im, t) for im, t in items], case_sensitive=False, device=device)[0]
    for name, items in dev.items():
        acc, cer, _ = evaluate(model, items[:dev_limit] if dev_limit else items, case_sensitive=False, device=device)
        res[name] = acc
        res[name + "_cer"] = cer
    return res


def selection_score(r, dev_names):
    """best.pt is chosen on the mean case-insensitive exact match over the real dev sets (validation only: never
    trained on); without them, on synthetic + hold-out accuracy."""
    if dev_names:
        return sum(r[n] for n in dev_names) / len(dev_names)
    return r["synth"] + sum(r[f] for f in holdout.FAMILIES) / len(holdout.FAMILIES)


def init_from(model, path, device):
    """Start from another checkpoint's weights (matching names and shapes). An output layer with fewer classes
    (a model from before the Cyrillic classes) gives its rows to the same classes; the new rows start small, with
    a bias below every old class's, so the start reads as the old model does."""
    ck = common.load_checkpoint(path, map_location=device)
    own = model.state_dict()
    take = {k: v for k, v in ck["model"].items() if k in own and own[k].shape == v.shape}
    for k in ("fc.weight", "fc.bias"):
        v = ck["model"].get(k)
        if v is not None and k not in take and v.shape[0] < own[k].shape[0] and v.shape[1:] == own[k].shape[1:]:
            grown = own[k].clone()
            if k == "fc.weight":
                grown[v.shape[0]:] *= 0.1
            else:
                grown[v.shape[0]:] = v[1:].min() - 1.0
            grown[: v.shape[0]] = v
            take[k] = grown
    model.load_state_dict(take, strict=False)
    log(f"initialised {len(take)}/{len(own)} tensors from {path} (matching names and shapes; grown output rows kept)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="v1")
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=0, help="0 = 64 on CPU, 256 on CUDA")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reuse", type=float, default=2.0)
    ap.add_argument("--npm-prob", type=float, default=0.12)
    ap.add_argument("--npm-root", default=os.path.join(common.ROOT, "data", "npm"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--head", default="conv", choices=["conv", "gru"])
    ap.add_argument("--ch", default="32,64,128,160")
    ap.add_argument("--rnn", type=int, default=128, help="GRU hidden size / half the conv head width")
    ap.add_argument("--easy-until", type=int, default=120000, help="curriculum length in samples (0 = off)")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init", default="")
    ap.add_argument("--freeze-bn", action="store_true",
                    help="keep BatchNorm in eval mode (fixed statistics) while training: a fine-tune then starts "
                    "exactly at the --init model instead of drifting with each batch's statistics")
    ap.add_argument("--end-time", default="", help="UTC HH:MM; the cosine schedule also advances with wall time so "
                    "training ends by then on a busy machine (progress = max(step/steps, elapsed/budget))")
    ap.add_argument("--dev-limit", type=int, default=200, help="first images of each dev set read in every evaluation (best.pt is chosen on their mean)")
    ap.add_argument("--ckpt-min", type=float, default=4.0)
    ap.add_argument("--snap-min", type=float, default=0.0,
                    help="also keep a weights-only snapshot snaps/<samples>.pt every N minutes (0 = off), "
                    "for averaging with average.py")
    ap.add_argument("--eval-min", type=float, default=10.0)
    ap.add_argument("--n-synth-val", type=int, default=400)
    ap.add_argument("--n-holdout", type=int, default=150)
    ap.add_argument("--holdout-seed", type=int, default=2,
                    help="hold-out images used to pick best.pt; bench:ocr uses seed 1, so selection never sees them")
    ap.add_argument("--style-weights", default="",
                    help="change the training mix of generator styles, e.g. 'hollow=3,lineblur=3' (others keep "
                         "their gen.STYLES weight); validation keeps the generator's own mix")
    args = ap.parse_args()
    style_weights = None
    if args.style_weights:
        style_weights = {k: w for k, (_, w) in gen.STYLES.items()}
        for part in args.style_weights.split(","):
            k, _, v = part.partition("=")
            if k.strip() not in style_weights:
                ap.error(f"--style-weights: unknown style {k.strip()!r} (styles: {', '.join(gen.STYLES)})")
            style_weights[k.strip()] = float(v)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(args.threads)
    batch = args.batch or (256 if device == "cuda" else 64)
    run_dir = os.path.join(common.ROOT, "runs", args.name)
    os.makedirs(run_dir, exist_ok=True)
    last_path = os.path.join(run_dir, "last.pt")

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    arch = {"ch": [int(v) for v in args.ch.split(",")], "rnn": args.rnn, "head": args.head, "charset": common.CHARSET}
    if args.resume and os.path.exists(last_path):
        arch = common.load_checkpoint(last_path, map_location="cpu").get("arch", {"ch": [32, 64, 128, 160], "rnn": 128, "head": "gru"})
    model = build_model(arch).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)

    def next_utc(hhmm: str, after: float) -> float:
        """The first UTC `HH:MM` after `after`: 00:30 said at 22:48 is the next day's."""
        hh, mm = map(int, hhmm.split(":"))
        e = after - after % 86400 + hh * 3600 + mm * 60
        return e if e > after else e + 86400

    end_at = next_utc(args.end_time, time.time()) if args.end_time else None  # fixed once, at launch

    def progress(step, t0):
        p = step / max(1, args.steps)
        if end_at is not None and end_at > t0:
            p = max(p, (time.time() - t0) / (end_at - t0))
        return min(1.0, p)

    def lr_at(step, p):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p)))

    step, samples, best, t0, p = 0, 0, -1.0, time.time(), 0.0
    if args.resume and os.path.exists(last_path):
        ck = common.load_checkpoint(last_path, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, samples, best = ck["step"], ck["samples"], ck.get("best", -1.0)
        t0 = ck.get("t0", t0)
        torch.set_rng_state(ck["torch_rng"].cpu())
        random.setstate(ck["py_rng"])
        log(f"resumed {last_path} at step {step} ({samples} samples)")
    elif args.init:
        init_from(model, args.init, device)
    log(f"arch={arch} device={device} params={n_params} batch={batch} steps={args.steps} threads={args.threads}")

    # data seed depends on the step so a resumed run does not replay the same samples
    ds = SynthBatches(batch, args.seed * 100003 + step, args.reuse, args.npm_prob, args.npm_root,
                      start_samples=samples, easy_until=args.easy_until, style_weights=style_weights)
    if style_weights:
        log(f"training style mix: {style_weights}")
    dl_kw = dict(persistent_workers=True, prefetch_factor=4) if args.workers > 0 else {}
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=args.workers, **dl_kw)
    log("building eval sets ...")
    sets = make_eval_sets(args.n_synth_val, args.n_holdout, args.holdout_seed)
    log(f"eval sets: synth={len(sets[0])} holdout={ {k: len(v) for k, v in sets[1].items()} } dev={ {k: len(v) for k, v in sets[2].items()} }")

    def save(path, extra=None):
        ck = {"model": model.state_dict(), "opt": opt.state_dict(), "t0": t0, "progress": p, "step": step,
              "samples": samples, "best": best, "torch_rng": torch.get_rng_state(), "py_rng": random.getstate(),
              "args": vars(args), "arch": arch, "params": n_params, "time": time.time()}
        if extra:
            ck.update(extra)
        tmp = path + ".tmp"
        torch.save(ck, tmp)
        os.replace(tmp, path)

    def train_mode():
        model.train()
        if args.freeze_bn:
            for mod in model.modules():
                if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                    mod.eval()

    train_mode()
    t_ck = t_ev = t_snap = time.time()
    t_log, s_log = time.time(), samples
    loss_avg = None
    it = iter(dl)
    stop = {"flag": False}

    def on_term(signum, frame):  # checkpoint and exit cleanly on SIGTERM/SIGINT
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while True:
        p = progress(step, t0)
        if p >= 1.0:
            break
        lr = lr_at(step, p)
        for g in opt.param_groups:
            g["lr"] = lr
        if stop["flag"]:
            save(last_path)
            log(f"stopped by signal at step {step}; saved {last_path}")
            return
        x, tg, tl = next(it)
        loss = common.ctc_step(model, opt, x.to(device), tg.to(device), tl.to(device))
        step += 1
        samples += x.shape[0]
        loss_avg = loss if loss_avg is None else 0.98 * loss_avg + 0.02 * loss
        if step % 50 == 0:
            dt = time.time() - t_log
            log(f"step {step} samples {samples} loss {loss_avg:.4f} lr {lr:.2e} progress {p:.3f} "
                f"{(samples - s_log) / dt:.1f} samples/s")
            t_log, s_log = time.time(), samples
        now = time.time()
        done = progress(step, t0) >= 1.0
        if now - t_ev > args.eval_min * 60 or done:
            te = time.time()
            r = run_eval(model, sets, device, dev_limit=args.dev_limit)
            score = selection_score(r, list(sets[2]))
            log("EVAL%s step %d samples %d " % (" (final)" if done else "", step, samples) + " ".join(f"{k}={v:.4f}" for k, v in r.items())
                + f" score={score:.4f} ({time.time() - te:.0f}s)")
            if score > best:
                best = score
                save(os.path.join(run_dir, "best.pt"), {"eval": r})
                log(f"new best (selection score {score:.4f}) -> best.pt")
            train_mode()   # evaluate() leaves every module in train mode
            t_ev = time.time()
            t_log, s_log = time.time(), samples
        if now - t_ck > args.ckpt_min * 60 or done:
            save(last_path)
            t_ck = time.time()
        if args.snap_min > 0 and (now - t_snap > args.snap_min * 60 or done):
            os.makedirs(os.path.join(run_dir, "snaps"), exist_ok=True)
            snap = os.path.join(run_dir, "snaps", f"{samples:010d}.pt")
            torch.save({"model": model.state_dict(), "arch": arch, "step": step, "samples": samples}, snap + ".tmp")
            os.replace(snap + ".tmp", snap)
            t_snap = time.time()
    log("finished")


if __name__ == "__main__":
    main()
