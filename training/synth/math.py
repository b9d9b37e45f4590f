"""Arithmetic captchas ("3+5=?"): the expression drawn in the training styles of gen.py.

Generators that real sites run draw them like this (our own imitation, no scraped images):
- RuoYi / Kaptcha math: `x op y=?`, one digit each, op in + - * / (Java `KaptchaTextCreator`);
- EasyCaptcha `ArithmeticCaptcha`: two or three one-digit numbers, + - and `x` for times, then `=?`;
- svg-captcha `createMathExpr`, Securimage "mathematic", Laravel mews math: `a + b` (often one or two digits), some
  with ` =` or ` = ?` after it; a few with `×` or `÷`.
The label is exactly what is drawn, without spaces. `sample_math(rng)` also returns non-math captchas (the usual
styles) with an empty label, so the math model learns to read nothing where there is no expression. When
`training/data/npm-math/` holds images of npm generators' math modes (`node training/gen_npm.mjs --only math`:
svg-captcha's "7+3"), a share of the expressions comes from there.
"""
from __future__ import annotations

import os
import random

from PIL import Image

from . import gen

CHARSET = "0123456789+-*/x×÷=?"


def math_text(rng: random.Random) -> str:
    kind = rng.choices(["ruoyi", "easy", "loose"], weights=[3, 3, 4])[0]
    if kind == "ruoyi":
        op = rng.choices("+-*/", weights=[1, 1, 2, 1])[0]  # `*` weighted up: read as `+` when rarer (run m2)
        x, y = rng.randint(0, 9), rng.randint(1, 9)
        if op == "-" and y > x:
            x, y = y, x
        if op == "/":
            x = y * rng.randint(0, 9 // y)
        return f"{x}{op}{y}=?"
    if kind == "easy":
        n = rng.choice([2, 2, 3])
        parts = [str(rng.randint(0, 9))]
        for _ in range(n - 1):
            parts.append(rng.choice("+-x") + str(rng.randint(0, 9)))
        return "".join(parts) + "=?"
    a, b = rng.randint(1, rng.choice([9, 20, 50])), rng.randint(1, rng.choice([9, 9, 20]))
    op = rng.choices(["+", "-", "×", "÷", "*"], weights=[5, 4, 1, 0.5, 2])[0]
    if op == "-" and b > a:
        a, b = b, a
    if op == "÷":
        a = b * rng.randint(1, 9)
    tail = rng.choices(["", "=", "=?"], weights=[3, 2, 2])[0]
    return f"{a}{op}{b}{tail}"


# sums drawn a symbol to a box, with no "=" (crypto sign-up forms): numbers 0-30, "+" and now and then "-"
BOXED_SHARE = 0.25


def boxed_sum(rng: random.Random) -> str:
    a, b = rng.randint(0, 30), rng.randint(0, 30)
    op = "+" if rng.random() < 0.85 else "-"
    if op == "-" and b > a:
        a, b = b, a
    return f"{a}{op}{b}"


NPM_MATH_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "npm-math")
NPM_MATH_SHARE = 0.15  # of the expressions, when NPM_MATH_DIR has images
_npm_math: list[tuple[str, str]] | None = None


def npm_math() -> list[tuple[str, str]]:
    """(path, expression) of every image under NPM_MATH_DIR/*/labels.tsv (empty when there is none), read once."""
    global _npm_math
    if _npm_math is None:
        _npm_math = []
        for sub in sorted(os.listdir(NPM_MATH_DIR)) if os.path.isdir(NPM_MATH_DIR) else []:
            tsv = os.path.join(NPM_MATH_DIR, sub, "labels.tsv")
            if os.path.isfile(tsv):
                with open(tsv, encoding="utf-8") as fh:
                    rows = [line.rstrip("\n").split("\t") for line in fh][1:]
                _npm_math += [(os.path.join(NPM_MATH_DIR, sub, f), t) for f, t in rows if t and all(c in CHARSET for c in t)]
    return _npm_math


# the styles whose text comes from gen.random_text (all of them), minus the 72x24 WordPress one
MATH_STYLES = [s for s in gen.STYLES if s not in ("wp", "rucaptcha")]  # these two never draw random_text()


def sample_math(rng: random.Random, negatives: float = 0.35):
    """(image, label, style): an expression in one of gen.py's styles, or (with probability `negatives`) a usual
    captcha with an empty label."""
    if rng.random() < negatives:
        img, _, style = gen.sample(rng)
        return img, "", style
    if npm_math() and rng.random() < NPM_MATH_SHARE:
        path, text = rng.choice(npm_math())
        img = Image.open(path)
        img.load()
        return img, text, "npm-math"
    boxed = rng.random() < BOXED_SHARE
    while True:
        text = boxed_sum(rng) if boxed else math_text(rng)
        original = gen.random_text
        gen.random_text = lambda *_a, **_k: text  # the styles draw whatever random_text returns
        try:
            img, drawn, style = gen.sample(rng, "boxed" if boxed else rng.choice(MATH_STYLES))
        finally:
            gen.random_text = original
        if drawn == text:  # a few variations of a style swap in their own letters: draw again
            return img, text, style
