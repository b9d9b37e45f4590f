"""Look sheet: a PNG montage of N samples per generator style, so a person can check what the model trains on.

    /usr/bin/python3 training/preview.py --out /tmp/preview.png [--n 8] [--seed 1] [--styles kaptcha_water,mews]
        [--only-new] [--time] [--npm-root training/data/npm]

One row per style: its name, then N samples (each scaled to the row height, labels printed under them). `--only-new`
shows only the styles from synth/imitations.py; `--time` also prints the mean CPU time per sample of each style
(`--time-n` samples after 50 that warm the font cache, drawn before the sheet). `--npm-root DIR` adds a row per
folder of gen_npm.mjs output (DIR/<generator>/labels.tsv), N random images each, transparent ones on white as
training reads them.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from synth import gen  # noqa: E402

ROW_H = 64
LABEL_H = 14
NAME_W = 130


def load_labelled(folder):
    with open(os.path.join(folder, "labels.tsv"), encoding="utf-8") as fh:
        next(fh)
        return [(os.path.join(folder, a), b) for a, b in (ln.rstrip("\n").split("\t")[:2] for ln in fh if "\t" in ln)]


def on_white(img):
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, img).convert("RGB")
    return img.convert("RGB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="preview.png")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--styles", default="")
    ap.add_argument("--only-new", action="store_true")
    ap.add_argument("--time", action="store_true")
    ap.add_argument("--time-n", type=int, default=100)
    ap.add_argument("--npm-root", default="")
    args = ap.parse_args()
    names = list(gen.STYLES)
    if args.only_new:
        from synth import imitations
        names = [n for n in names if n in imitations.IMITATION_STYLES]
    if args.styles:
        names = [n for n in args.styles.split(",") if n]
    if args.time:
        for name in names:
            rng = random.Random(args.seed)
            for _ in range(min(50, args.time_n)):  # warm the font cache first
                gen.sample(rng, name)
            t0 = time.process_time()
            for _ in range(args.time_n):
                gen.sample(rng, name)
            print(f"{name:18s} {(time.process_time() - t0) / args.time_n * 1000:6.2f} ms CPU/sample")
    try:
        label_font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 11)
    except OSError:
        label_font = ImageFont.load_default()
    sources = [(name, None) for name in names]
    if args.npm_root:
        for d in sorted(os.listdir(args.npm_root)):
            if os.path.isfile(os.path.join(args.npm_root, d, "labels.tsv")):
                sources.append((f"npm:{d}", os.path.join(args.npm_root, d)))
    rows = []
    for name, folder in sources:
        rng = random.Random(f"{args.seed}-{name}")
        tiles = []
        items = rng.sample(load_labelled(folder), min(args.n, len(load_labelled(folder)))) if folder else [None] * args.n
        for item in items:
            if item is None:
                img, text, _ = gen.sample(rng, name)
            else:
                img, text = on_white(Image.open(item[0])), item[1]
            w = max(1, round(img.size[0] * ROW_H / img.size[1]))
            tile = Image.new("RGB", (w, ROW_H + LABEL_H), (255, 255, 255))
            tile.paste(img.resize((w, ROW_H), Image.LANCZOS), (0, 0))
            ImageDraw.Draw(tile).text((2, ROW_H + 1), text, font=label_font, fill=(200, 0, 0))
            tiles.append(tile)
        width = NAME_W + sum(t.size[0] + 6 for t in tiles)
        row = Image.new("RGB", (width, ROW_H + LABEL_H + 6), (235, 235, 235))
        ImageDraw.Draw(row).text((4, ROW_H // 2), name, font=label_font, fill=(0, 0, 0))
        x = NAME_W
        for t in tiles:
            row.paste(t, (x, 3))
            x += t.size[0] + 6
        rows.append(row)
    sheet = Image.new("RGB", (max(r.size[0] for r in rows), sum(r.size[1] for r in rows)), (235, 235, 235))
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.size[1]
    sheet.save(args.out)
    print(f"wrote {args.out}: {len(sources)} rows x {args.n} samples, {sheet.size[0]}x{sheet.size[1]}")


if __name__ == "__main__":
    main()
