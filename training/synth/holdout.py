"""Hold-out style families: fonts (gen.HOLDOUT_FONT_KEYS) + effect combinations that training never sees.

Used by training/make_holdout.py (writes PNG + labels.tsv) and by train.py (in-memory eval)."""
from __future__ import annotations

import random

from PIL import ImageFilter

from . import gen

HO_FONTS = gen._font_files(holdout=True)
COMIC = [f for f in HO_FONTS if "ComicNeue" in f]
FIRA = [f for f in HO_FONTS if "FiraCode" in f]
BOOKMAN = [f for f in HO_FONTS if "URWBookman" in f]


def comic_hollow_dots(rng: random.Random):
    """Comic Neue, outlined (hollow) letters, coloured dots, light gradient background."""
    text = gen.random_text(rng, rng.choice(["all", "upper_digits", "lower_digits"]), rng.randint(4, 6))
    img = gen.compose(rng, text, fonts=COMIC, size=rng.randint(30, 44), stroke=rng.randint(1, 2), hollow=True,
                      bg="gradient", angle=(-12, 12), spacing=(0.9, 1.1))
    gen.noise_dots(img, rng, rng.uniform(0.01, 0.03), size=(1, 2.5))
    return text, img


def fira_grid_wave(rng: random.Random):
    """Fira Code monospace, grid lines behind, sine warp, per-char colours."""
    text = gen.random_text(rng, rng.choice(["all", "mixed", "digits", "lower_digits"]), rng.randint(4, 7))
    bg = gen.Image.new("RGB", (10, 10), gen.light_color(rng, 200))
    w_img = gen.compose(rng, text, fonts=FIRA, size=rng.randint(26, 40), bg=bg,
                        colors=[gen.dark_color(rng, 120) for _ in text], angle=(-8, 8), spacing=(0.95, 1.1))
    img = gen.Image.new("RGB", w_img.size, gen.light_color(rng, 200))
    gen.grid(img, rng)
    mask = w_img.convert("L").point(lambda v: 255 if v < 150 else 0)
    img.paste(w_img, (0, 0), mask)
    img = gen.sine_warp(img, rng, amp=(1.5, 3), period=(0.6, 1.2))
    return text, img


def bookman_arcs_jpeg(rng: random.Random):
    """URW Bookman, coloured arcs over per-char coloured text, slight blur, heavy JPEG."""
    text = gen.random_text(rng, rng.choice(["all", "upper", "lower_digits", "upper_digits"]), rng.randint(4, 6))
    img = gen.compose(rng, text, fonts=BOOKMAN, size=rng.randint(24, 38), bg="light",
                      colors=[gen.dark_color(rng, 140) for _ in text], angle=(-20, 20), spacing=(0.85, 1.05),
                      yjit=0.15)
    gen.noise_arcs(img, rng, rng.randint(2, 4))
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    img = gen.jpeg(img, rng, rng.randint(20, 40))
    return text, img


FAMILIES = {
    "ho_comic_hollow_dots": comic_hollow_dots,
    "ho_fira_grid_wave": fira_grid_wave,
    "ho_bookman_arcs_jpeg": bookman_arcs_jpeg,
}


def make(family: str, n: int, seed: int = 1):
    rng = random.Random(f"{family}:{seed}")
    return [FAMILIES[family](rng)[::-1] for _ in range(n)]  # (img, text)
