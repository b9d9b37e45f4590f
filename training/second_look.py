#!/usr/bin/env python3
"""Choose the runtime's "second look" for a model and write it into the model's sidecar.

LocalSolver reads an image once; when that reading's confidence is below `below`, it reads the image again
under a few other views: stretched to each of `widthScales` times its width, and for each entry of `crops`
with `crop` of its height cut off the top and the bottom (then stretched `widthScale` times). It then combines
the readings (`combine`: "max" keeps the most confident reading, "sum" the text whose readings' confidences add
up to the most). Each entry of `views` is one more reading through a filter (`filter`: "thin", "thick" or "median", see
`filtered_input`) at `widthScale` (and `crop`, when present).

This script reads the selection sets under every candidate view (one image at a time, each padded to its own
multiple of 8, as the runtime does), tries every threshold, every set of 1-5 views and both ways to combine;
then, to each of the best 40 of those, adds 1-3 filtered views (every threshold and both ways again). It keeps the cheapest
(fewest extra inferences) of all those looks within `--tolerance` of the best mean exact-match accuracy over the
selection sets. `--select real` (the default): the first `--n-dev` images of each real dev set (validation
images: a decode setting is chosen on them, never trained on); `--select synthetic`: synthetic validation images
and the seed-2 hold-out images. The script then prints the accuracy of the choice on every dev set in full and on
the seed-1 hold-out images that bench:ocr scores. With `--write` it also writes `views.json` (filter checks for
the unit tests) into `--testdata`.

  /usr/bin/python3 training/second_look.py --ckpt training/runs/f3/best.pt [--write models/captcha-ocr.json]
"""
import argparse
import itertools
import json
import os
import pickle
import random
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import BLANK, CHARSET, DEV_DIR, HEIGHT, build_model, load_checkpoint, load_labelled_dir, pad_batch  # noqa: E402
from synth import gen, holdout  # noqa: E402
from train import NOT_TEXT_SETS  # noqa: E402

CANDIDATE_SCALES = (0.8, 0.85, 0.9, 0.95, 1.075, 1.15, 1.25)
CANDIDATE_CROPS = (0.05, 0.08, 0.12, 0.16)
CROP_SCALES = (0.9, 1.0, 1.15)
# a view: (crop, widthScale); (0, 1.0) is the first look
VIEWS = [(0.0, sc) for sc in CANDIDATE_SCALES] + [(c, sc) for c in CANDIDATE_CROPS for sc in CROP_SCALES]
MAX_VIEWS = 5
# filtered views, (crop, widthScale, filter), tried as additions to the best look of VIEWS alone
FILTERS = ("thin", "thick", "median")
FILTER_VIEWS = [(0.0, sc, f) for f in FILTERS for sc in (0.85, 1.0, 1.15)]
MAX_FILTER_VIEWS = 3
PLAIN_BASES = 40
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
COMBINE = ("max", "sum")


def view_cost(view) -> float:
    """A view's model work relative to the first look's: its input width (a crop of c off the top and the bottom
    widens the image 1 / (1 - 2c) at the model's height), half again for a filter (run at twice the size)."""
    crop, scale = view[0], view[1]
    return scale / (1 - 2 * crop) * (1.5 if len(view) == 3 else 1.0)


def combine(readings, how):
    """model.ts `combineReadings` (the text only): readings[0] is the first look; ties go to the earlier reading;
    "sum" counts readings that differ only in case as one text and returns its most confident one."""
    if how == "max":
        return max(readings, key=lambda r: r[1])[0]  # max() keeps the first of equal confidences
    support = {}
    for text, conf in readings:
        support[text.lower()] = support.get(text.lower(), 0.0) + conf
    best = readings[0]
    for r in readings:
        a, b = support[r[0].lower()], support[best[0].lower()]
        if a > b or (a == b and r[1] > best[1]):
            best = r
    return best[0]


def width_for(w: int, h: int, scale: float) -> int:
    # LocalSolver's targetWidth(width * scale, height): round half to even, clamp
    return max(common.MIN_WIDTH, min(common.MAX_WIDTH, max(1, round(w * scale * HEIGHT / max(1, h)))))


def confidence(P: np.ndarray, best: np.ndarray) -> float:
    """decode.ts `minUnchanged`: min over steps of P(the step leaves the decoded text unchanged)."""
    T = len(best)
    mn = 1.0
    for t in range(T):
        b = best[t]
        prev = best[t - 1] if t > 0 else BLANK
        nxt = best[t + 1] if t + 1 < T else BLANK
        if b != BLANK:
            ok = P[t, b] + P[t, BLANK]
        else:
            ok = P[t, BLANK]
            if not (prev != BLANK and nxt != BLANK and prev == nxt):
                ok += sum(P[t, c] for c in {prev, nxt} if c != BLANK)
        mn = min(mn, float(ok))
    return mn


def crop_rows(gray: Image.Image, crop: float) -> Image.Image:
    """preprocess.ts `cropRows`: round(h * crop) rows off the top and as many off the bottom."""
    w, h = gray.size
    p = round(h * crop)
    return gray if p <= 0 or h - 2 * p < 1 else gray.crop((0, p, w, h - p))


def rank3x3(a: np.ndarray, how: str) -> np.ndarray:
    """preprocess.ts `rank3x3`: each pixel of a uint8 image replaced by the lightest ("thin"), the darkest
    ("thick") or the median ("median") of its 3x3 neighbourhood, the edges repeated outwards."""
    h, w = a.shape
    p = np.pad(a, 1, mode="edge")
    stack = np.stack([p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)])
    picked = stack.max(0) if how == "thin" else stack.min(0) if how == "thick" else np.sort(stack, 0)[4]
    return picked.astype(np.uint8)


def filtered_input(gray: Image.Image, width: int, how: str) -> Image.Image:
    """preprocess.ts `toModelInput(..., filter)`: resized to twice the input size, filtered (`rank3x3`), resized
    down to the input size. At twice the size the filter is gentle and the same for every source resolution:
    "thin" wipes thin lines and thins dark strokes, "thick" makes faint outlines and grainy fills solid, "median"
    removes specks and single-pixel lines."""
    big = np.asarray(gray.resize((2 * width, 2 * HEIGHT), Image.BILINEAR))
    return Image.fromarray(rank3x3(big, how)).resize((width, HEIGHT), Image.BILINEAR)


def write_filter_vectors(testdata: str) -> None:
    """`views.json` beside the trainer's test vectors: each vector image's filtered model input (uint8, before
    normalising) under both filters at two widths, as checksums the unit tests compare preprocess.ts against."""
    vectors = json.load(open(os.path.join(testdata, "vectors.json")))["vectors"]
    cases = []
    for v in vectors:
        gray = common.flatten(Image.open(os.path.join(testdata, v["file"])))
        for how in FILTERS:
            for sc in (0.85, 1.0):
                a = np.asarray(filtered_input(gray, width_for(*gray.size, sc), how), np.int64).ravel()
                cases.append({"file": v["file"], "filter": how, "widthScale": sc, "width": int(a.size // HEIGHT),
                              "sum": int(a.sum()), "weighted": int((a * (np.arange(a.size) % 997 + 1)).sum())})
    with open(os.path.join(testdata, "views.json"), "w") as fh:
        json.dump({"note": "second_look.py filtered_input() of each vector image: sum and sum of value * (index % 997 + 1)",
                   "cases": cases}, fh, indent=2)
        fh.write("\n")
    print(f"wrote {len(cases)} filter checks into {testdata}/views.json")


@torch.no_grad()
def read(model, gray: Image.Image, scale: float, crop: float = 0.0, how: str = ""):
    gray = crop_rows(gray, crop) if crop else gray
    w, h = gray.size
    width = width_for(w, h, scale)
    small = filtered_input(gray, width, how) if how else gray.resize((width, HEIGHT), Image.BILINEAR)
    a = np.asarray(small, np.float32) / 255.0
    logits = model(pad_batch([a]))[0]
    if common.cyrillic_misread(logits.argmax(-1).numpy()):  # as the runtime: those classes' logits -inf
        logits[:, common.LATIN_ONLY] = float("-inf")
    P = logits.softmax(-1).numpy()
    best = P.argmax(-1)
    text = common.collapse(best)
    return common.resolve_script(text), (confidence(P, best) if text else 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--n-synth", type=int, default=600)
    ap.add_argument("--n-holdout", type=int, default=300)
    ap.add_argument("--write", default="", help="sidecar JSON to add the chosen secondLook to")
    ap.add_argument("--tolerance", type=float, default=0.0025, help="looks this close to the best count as tied")
    ap.add_argument("--testdata", default=os.path.join(common.ROOT, "testdata"),
                    help="with --write, where to write views.json (filter checks for the unit tests)")
    ap.add_argument("--cache", default="", help="pickle of the readings: loaded when it exists, else written (for re-runs)")
    ap.add_argument("--select", choices=("real", "synthetic"), default="real",
                    help="choose on the real dev sets' first --n-dev images, or on synthetic + seed-2 hold-out images")
    ap.add_argument("--n-dev", type=int, default=200)
    ap.add_argument("--budget", type=float, default=4.0,
                    help="most model work the second look may add to an unsure image, in first looks (view_cost); "
                         "bounds the latency of the images read again, which are most of the hard sets")
    a = ap.parse_args()
    torch.set_num_threads(1)
    ck = load_checkpoint(a.ckpt)
    model = build_model(ck.get("arch"))
    model.load_state_dict(ck["model"])
    model.eval()

    dev = {}
    for name in sorted(os.listdir(DEV_DIR)) if os.path.isdir(DEV_DIR) else []:
        d = os.path.join(DEV_DIR, name)
        if name not in NOT_TEXT_SETS and os.path.isfile(os.path.join(d, "labels.tsv")):
            dev[name] = [(Image.open(p), t) for p, t in load_labelled_dir(d)]
    select = {}
    if a.select == "real" and dev:
        select = {f"{name} (first {a.n_dev})": items[: a.n_dev] for name, items in dev.items()}
    else:
        rng = random.Random(4242)
        select["synthetic"] = [gen.sample(rng)[:2] for _ in range(a.n_synth)]
        for fam in holdout.FAMILIES:
            select[f"{fam} (seed 2)"] = holdout.make(fam, a.n_holdout, seed=2)
    report = dict(dev)
    for fam in holdout.FAMILIES:
        report[f"{fam} (seed 1)"] = holdout.make(fam, a.n_holdout, seed=1)

    labels = {name: [t for _, t in items] for name, items in {**select, **report}.items()}
    readings = {}  # readings[set][view] = [(text, confidence)] per image
    if a.cache and os.path.exists(a.cache):
        with open(a.cache, "rb") as fh:
            cached = pickle.load(fh)
        if cached["ckpt"] != os.path.abspath(a.ckpt) or cached["labels"] != labels:
            sys.exit(f"{a.cache} holds readings of other weights or images; remove it")
        readings = cached["readings"]

    def read_views(names, views):
        items = {**select, **report}
        fresh = False
        for name in names:
            todo = [v for v in views if v not in readings.get(name, {})]
            if todo:
                grays = [common.flatten(im) for im, _ in items[name]]
                for v in todo:
                    readings.setdefault(name, {})[v] = [read(model, g, v[1], v[0], *v[2:]) for g in grays]
                print(f"read {name}: {len(grays)} images under {len(todo)} views", flush=True)
                fresh = True
        if a.cache and fresh:
            with open(a.cache, "wb") as fh:
                pickle.dump({"ckpt": os.path.abspath(a.ckpt), "labels": labels, "readings": readings}, fh)

    first = (0.0, 1.0)
    ALL = VIEWS + FILTER_VIEWS
    read_views(select, [first] + ALL)
    # arrays per selection set: [view, image], view 0 the first look, then ALL's
    arr = {}
    for name in select:
        rows = [readings[name][v] for v in [first] + ALL]
        ids = {}
        tid = np.array([[ids.setdefault(t.lower(), len(ids)) for t, _ in row] for row in rows])
        conf = np.array([[c for _, c in row] for row in rows])
        ok = np.array([[t.lower() == lab.lower() for (t, _), lab in zip(row, labels[name])] for row in rows])
        arr[name] = (tid, conf, ok)

    def accuracy(name, look):
        """Mean exact match and the share of images read again, for look = (below, view indices, combine)."""
        tid, conf, ok = arr[name]
        need = conf[0] < look[0]
        rows = [0] + [k + 1 for k in look[1]]
        t, c, o = tid[rows][:, need], conf[rows][:, need], ok[rows][:, need]
        if look[2] == "max":
            pick = c.argmax(0)  # the first of equal confidences
        else:  # combineReadings: the most summed confidence over readings of one text, then the most confident
            support = ((t[:, None, :] == t[None, :, :]) * c[None, :, :]).sum(1)
            pick = np.where(support == support.max(0), c, -1.0).argmax(0)
        right = ok[0][~need].sum() + o[pick, np.arange(o.shape[1])].sum()
        return right / len(need), need.mean()

    def score(look):
        return float(np.mean([accuracy(n, look)[0] for n in select]))

    def cost(look):  # extra inferences per image, averaged over the selection sets
        return float(np.mean([accuracy(n, look)[1] for n in select])) * len(look[1])

    def affordable(vs):
        return sum(view_cost(ALL[k]) for k in vs) <= a.budget

    looks = [(thr, vs, how) for k in range(1, MAX_VIEWS + 1) for vs in itertools.combinations(range(len(VIEWS)), k)
             if affordable(vs) for thr in THRESHOLDS for how in COMBINE]
    print(f"scoring {len(looks)} looks ...", flush=True)
    scores = {look: score(look) for look in looks}
    # stage 2: each of the best PLAIN_BASES sets of plain views (the best alone may leave no budget for a filter)
    # plus 1-3 filtered views, at every threshold and both ways to combine
    bases = list(dict.fromkeys(look[1] for look in sorted(looks, key=scores.get, reverse=True)))[:PLAIN_BASES]
    filtered = [(thr, base + add, how) for base in bases for k in range(1, MAX_FILTER_VIEWS + 1)
                for add in itertools.combinations(range(len(VIEWS), len(ALL)), k) if affordable(base + add)
                for thr in THRESHOLDS for how in COMBINE]
    print(f"scoring {len(filtered)} looks with filtered views added to the best {len(bases)} plain ones ...", flush=True)
    scores.update({look: score(look) for look in filtered})
    for look in sorted(filtered, key=scores.get, reverse=True)[:3]:
        print(f"  with filters: below {look[0]}, views {[ALL[k] for k in look[1]]}, {look[2]}: {scores[look]:.4f}")
    looks += filtered
    ranked = sorted(looks, key=scores.get, reverse=True)

    def describe(look):
        return f"below {look[0]}, views {[ALL[k] for k in look[1]]}, {look[2]}"

    current = None
    if a.write:
        with open(a.write) as fh:
            old = json.load(fh).get("secondLook")
        if old:
            vs = [(0.0, sc) for sc in old["widthScales"]] + [(c["crop"], c["widthScale"]) for c in old.get("crops", [])]
            vs += [(v.get("crop", 0.0), v["widthScale"], v["filter"]) for v in old.get("views", [])]
            if all(v in ALL for v in vs) and old["below"] in THRESHOLDS:
                current = (old["below"], tuple(ALL.index(v) for v in vs), old.get("combine", "max"))
    print(f"one look: selection mean {score((0.0, (), 'max')):.4f}")
    if current:
        print(f"the sidecar's look now ({describe(current)}): selection mean {score(current):.4f}")
    for look in ranked[:5]:
        print(f"{describe(look)}: selection mean {scores[look]:.4f}, {cost(look):.2f} extra inferences per image")
    # the cheapest of the looks within a quarter point of the best (the differences there are noise)
    near = [look for look in ranked if scores[look] >= scores[ranked[0]] - a.tolerance]
    best = min(near, key=lambda look: (cost(look), -scores[look]))
    print(f"{len(near)} looks within {a.tolerance} of the best; the cheapest: {cost(best):.2f} extra inferences per image, "
          f"{sum(view_cost(ALL[k]) for k in best[1]):.2f} first looks of work on an image read again (budget {a.budget})")
    views = [ALL[k] for k in best[1]]
    widths = [v[1] for v in views if len(v) == 2 and v[0] == 0]
    crops = [{"crop": v[0], "widthScale": v[1]} for v in views if len(v) == 2 and v[0] > 0]
    fviews = [{**({"crop": v[0]} if v[0] else {}), "widthScale": v[1], "filter": v[2]} for v in views if len(v) == 3]
    print(f"\nchosen: below {best[0]}, widthScales {widths}, crops {crops}, views {fviews}, combine {best[2]}")

    read_views(report, [first] + views)
    print(f"{'set':40s} {'one look':>9s} {'second look':>12s} {'read again':>11s}")
    # the runtime's order: widthScales, crops, views
    order = [first] + sorted(views, key=lambda v: (len(v) == 3, v[0] > 0))
    for name in labels:
        right, extra = 0, 0
        for i, lab in enumerate(labels[name]):
            text, conf = readings[name][first][i]
            if conf < best[0]:
                extra += 1
                text = combine([readings[name][v][i] for v in order], best[2])
            right += text.lower() == lab.lower()
        one = np.mean([t.lower() == lab.lower() for (t, _), lab in zip(readings[name][first], labels[name])])
        print(f"{name:40s} {one:9.3f} {right / len(labels[name]):12.3f} {extra / len(labels[name]):10.0%}")
    if a.write:
        with open(a.write) as fh:
            meta = json.load(fh)
        meta["secondLook"] = {"below": best[0], "widthScales": widths, **({"crops": crops} if crops else {}),
                              **({"views": fviews} if fviews else {}), "combine": best[2]}
        with open(a.write, "w") as fh:
            json.dump(meta, fh, indent=2)
            fh.write("\n")
        print(f"wrote secondLook into {a.write}")
        write_filter_vectors(a.testdata)


if __name__ == "__main__":
    main()
