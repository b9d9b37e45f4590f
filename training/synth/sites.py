"""Styles after the real-site captchas the offline model read worst (issue 27), written from what the sites'
generators draw, never from their images: every image here is drawn by us.

- darkcolor: bright coloured digits/letters on a dark background, 2-3 crossing lines, JPEG;
- hatch: mixed-case characters in different colours over dense diagonal hatching;
- grainarc: black condensed capitals on heavy grain, a thick arc that inverts what it crosses (rail/ticket sites);
- typewriter: a typewriter or plain font, letters of mixed case and size, a pale shadow, Cyrillic and digits
  (Russian government sites) or Latin;
- outline3d: bold outlined glyphs with an extruded 3-D edge, and thin pen-like strokes (Chinese-site styles);
- boxed: each character in its own turned square box, faint curves (also drawn with sums for the math model);
- tiny: 4 characters on a ~60x22 canvas under dense salt-and-pepper noise (course/campus sites);
- widesparse: small thin glyphs spread over a wide canvas crossed by long lines;
- pastelitalic: coloured serif italics on a pastel ground, thin dark strike lines (CAS login pages).

Text is Latin or Cyrillic: `cyrillic_text()` draws the letters of the Russian alphabet (labels keep the Cyrillic
code points; common.to_classes maps the look-alikes to Latin classes for training). Registered into gen.STYLES on
import (gen.py imports this module last).
"""
from __future__ import annotations

import colorsys
import math
import os
import random

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from . import extrude3d, gen

CYR_LOWER = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
CYR_UPPER = CYR_LOWER.upper()
# Russian government captchas: digits without the ones that look like letters, and consonants
FSSP_LIKE = "2456789бвгджклмнпрст"

_cyr_fonts: list[str] | None = None


def cyrillic_fonts() -> list[str]:
    """Training fonts that draw Cyrillic (a glyph of their own for ж and д, not the missing-glyph box), found once."""
    global _cyr_fonts
    if _cyr_fonts is None:
        _cyr_fonts = [f for f in gen.FONTS if _draws(f, "жд")]
    return _cyr_fonts


def _draws(path: str, chars: str) -> bool:
    try:
        fnt = gen.font(path, 24)
        def bits(c):
            m = fnt.getmask(c)
            return m.size, bytes(m)
        missing = bits("\ue000")
        return all(bits(c) != missing and fnt.getbbox(c)[2] > 0 for c in chars)
    except Exception:  # a font FreeType cannot use for this: not a Cyrillic font
        return False


def cyrillic_text(rng: random.Random, n: int | None = None) -> str:
    n = n or rng.choice([4, 5, 5, 6])
    kind = rng.random()
    if kind < 0.45:
        pool = FSSP_LIKE
    elif kind < 0.75:
        pool = CYR_LOWER + "23456789"
    else:
        pool = CYR_LOWER + CYR_UPPER
    return "".join(rng.choice(pool) for _ in range(n))


def any_text(rng: random.Random, cyrillic: float = 0.25, kind: str | None = None, n: int | None = None):
    """(text, fonts): Cyrillic with probability `cyrillic`, else gen.random_text."""
    if rng.random() < cyrillic and cyrillic_fonts():
        return cyrillic_text(rng, n), cyrillic_fonts()
    return gen.random_text(rng, kind, n), gen.FONTS


def within(preferred: list[str], fonts: list[str]) -> list[str]:
    """The `preferred` fonts among `fonts` (any_text's list: those that draw the text), else `fonts`."""
    if fonts is gen.FONTS:
        return preferred
    ok = set(fonts)
    return [f for f in preferred if f in ok] or fonts


def bright_color(rng: random.Random, s=(0.6, 1.0), v=(0.75, 1.0)):
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*s), rng.uniform(*v))
    return int(r * 255), int(g * 255), int(b * 255)


def _luma(c) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def _luma_max(img: Image.Image) -> float:
    """The brightest luma of `img` (the 99th percentile, so a few noise pixels do not count)."""
    return float(np.percentile(np.asarray(img.convert("L")), 99))


def _bright_in_gray(rng: random.Random, floor: float, tries: int = 30):
    """A bright, saturated colour whose luma is at least `floor` (drawn again until it is; the lightest of the
    tries when none is)."""
    best = bright_color(rng)
    for _ in range(tries):
        if _luma(best) >= floor:
            return best
        c = bright_color(rng)
        best = c if _luma(c) > _luma(best) else best
    return best


def text_mask(rng, text, fonts, size, W, H, **kw):
    """The glyphs' coverage on a W x H canvas, placed like gen.compose places them; returns (mask, pieces, ox, oy, th)."""
    pieces, tw, th = gen.layout(rng, text, fonts, size, **kw)
    ox = max(0.0, (W - tw) * rng.uniform(0.15, 0.85))
    oy = (H - th) * rng.uniform(0.3, 0.7)
    mask = Image.new("L", (W, H), 0)
    gen.draw_pieces(mask, pieces, ox, oy, [255] * len(pieces), th)
    return mask, pieces, ox, oy, th


def fit_size(H: int, lo: float, hi: float, rng) -> int:
    return max(8, int(H * rng.uniform(lo, hi)))


# ---------------------------------------------------------------- styles
def style_darkcolor(rng):
    text, fonts = any_text(rng, 0.1, rng.choice(["digits", "digits", "upper_digits", "all"]), rng.choice([4, 4, 5, 6]))
    W, H = rng.choice([(100, 36), (120, 40), (90, 32), (140, 44), (160, 50), (80, 30)])
    bg = gen.gradient(W, H, gen.rand_color(rng, 0, 70), gen.rand_color(rng, 0, 90), rng) if rng.random() < 0.5 \
        else Image.new("RGB", (W, H), gen.rand_color(rng, 0, 60))
    if rng.random() < 0.3:
        bg = gen.pixel_noise(bg, rng, rng.uniform(5, 25))
    size = fit_size(H, 0.55, 0.85, rng)
    typefaces = within(gen.BOLDISH, fonts) if rng.random() < 0.5 else fonts
    pieces, tw, th = gen.layout(rng, text, typefaces, size, angle=(-25, 25),
                                spacing=(0.85, 1.2), yjit=0.15)
    ox, oy = max(0.0, (W - tw) * rng.uniform(0.1, 0.9)), (H - th) * rng.uniform(0.3, 0.7)
    same = rng.random() < 0.3
    # bright in gray too (the model reads luma): a saturated blue on a dark ground vanishes there
    lit = lambda: _bright_in_gray(rng, _luma_max(bg) + 60)  # noqa: E731
    base = lit()
    gen.draw_pieces(bg, pieces, ox, oy, [base if same else lit() for _ in text], th)
    d = ImageDraw.Draw(bg)
    for _ in range(rng.choice([2, 2, 3, 3, 4])):
        pts = gen.bezier_pts(rng, W, H, 20) if rng.random() < 0.5 else [(rng.uniform(0, W * 0.2), rng.uniform(0, H)),
                                                                       (rng.uniform(W * 0.8, W), rng.uniform(0, H))]
        d.line(pts, fill=bright_color(rng, v=(0.5, 1.0)), width=rng.choice([1, 1, 2, 2, 3]))
    if rng.random() < 0.3:
        gen.noise_dots(bg, rng, rng.uniform(0.01, 0.05), color=None)
    return text, gen.jpeg(bg, rng, rng.randint(25, 85)) if rng.random() < 0.8 else bg


def style_hatch(rng):
    text, fonts = any_text(rng, 0.1, rng.choice(["mixed", "all", "upper_digits"]), rng.choice([4, 4, 4, 5]))
    W, H = rng.choice([(120, 40), (100, 36), (130, 50), (90, 32)])
    img = Image.new("RGB", (W, H), gen.light_color(rng, 200) if rng.random() < 0.7 else (255, 255, 255))
    d = ImageDraw.Draw(img)
    step, slope = rng.randint(2, 6), rng.choice([-1, 1]) * rng.uniform(0.5, 2.0) * H
    for x in range(-int(abs(slope)) - H, W + int(abs(slope)) + H, step):
        d.line([(x, 0), (x + slope, H)], fill=gen.rand_color(rng, 60, 200), width=1)
    if rng.random() < 0.3:  # cross-hatching
        for x in range(-int(abs(slope)) - H, W + int(abs(slope)) + H, step + rng.randint(0, 3)):
            d.line([(x + slope, 0), (x, H)], fill=gen.rand_color(rng, 80, 210), width=1)
    size = fit_size(H, 0.6, 0.9, rng)
    typefaces = within(gen.BOLDISH, fonts) if rng.random() < 0.6 else fonts
    pieces, tw, th = gen.layout(rng, text, typefaces, size, angle=(-20, 20),
                                spacing=(0.85, 1.15), yjit=0.12)
    ox, oy = max(0.0, (W - tw) * rng.uniform(0.1, 0.9)), (H - th) * rng.uniform(0.3, 0.7)
    gen.draw_pieces(img, pieces, ox, oy, [gen.rand_color(rng, 0, 170) for _ in text], th)
    if rng.random() < 0.4:
        gen.noise_lines(img, rng, rng.randint(1, 3))
    return text, gen.finish(img, rng, 0.6)


def style_grainarc(rng):
    """Dark glyphs and one thick arc, XOR'd where they cross, on coarse grain (JPEG or not); half of them after
    THSR's: regular sans capitals spread over the width, the arc a shallow curve through their upper half."""
    text, fonts = any_text(rng, 0.05, rng.choice(["upper", "upper_digits", "upper_digits", "all"]), rng.choice([4, 4, 5]))
    W, H = rng.randint(100, 160), rng.randint(40, 58)
    ink = _arc_through(rng, text, fonts, W, H) if rng.random() < 0.5 else _arc_anywhere(rng, text, fonts, W, H)
    g = np.random.default_rng(rng.getrandbits(32))
    base = g.normal(rng.uniform(170, 220), rng.uniform(20, 45), (H, W))
    a = np.where(np.asarray(ink, bool), g.normal(rng.uniform(10, 50), 15, (H, W)), base)
    if rng.random() < 0.6:  # salt and pepper specks over everything
        a = np.where(g.random((H, W)) < rng.uniform(0.01, 0.05), g.choice([0, 255], (H, W)), a)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L").convert("RGB")
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    return text, gen.jpeg(img, rng, rng.randint(40, 90)) if rng.random() < 0.6 else img


def _xor_ink(rng, mask, arc, xor: float):
    """The 1-bit ink of glyphs and arc: XOR'd (where they cross, the arc cuts the glyph) or OR'd."""
    m, a = (x.point(lambda v: 255 if v > 110 else 0).convert("1") for x in (mask, arc))
    return ImageChops.logical_xor(m, a) if rng.random() < xor else ImageChops.logical_or(m, a)


def _arc_anywhere(rng, text, fonts, W, H):
    size = fit_size(H, 0.7, 1.0, rng)
    typefaces = within(gen.BOLDISH, fonts) if rng.random() < 0.7 else fonts
    mask, *_ = text_mask(rng, text, typefaces, size, W, H, angle=(-12, 12),
                         spacing=(0.72, 0.95), yjit=0.08, xscale=(0.7, 1.0))
    arc = Image.new("L", (W, H), 0)
    d = ImageDraw.Draw(arc)
    x0, y0 = rng.uniform(-0.4, 0.1) * W, rng.uniform(-0.2, 0.6) * H
    x1, y1 = x0 + rng.uniform(1.0, 1.8) * W, y0 + rng.uniform(0.8, 3.0) * H
    start = rng.choice([rng.uniform(180, 240), rng.uniform(0, 40)])
    d.arc([x0, y0, x1, y1], start, start + rng.uniform(100, 160), fill=255, width=rng.randint(2, 6))
    return _xor_ink(rng, mask, arc, 0.7)


def _upright_sans() -> list[str]:
    return [f for f in gen.FONTS if "Sans" in os.path.basename(f)
            and not any(k in os.path.basename(f) for k in ("Italic", "Oblique", "Mono"))] or gen.FONTS


def _arc_through(rng, text, fonts, W, H):
    """Upright sans glyphs, tall and spaced out over the width; one thick arc of a large circle crosses the whole
    picture through the glyphs' upper half (bulging up or down), XOR'd with them (THSR's booking captcha)."""
    fonts = within(_upright_sans() if rng.random() < 0.8 else gen.BOLDISH, fonts)
    size = fit_size(H, 0.75, 1.0, rng)
    for _ in range(4):  # shrink until the text fits the width
        mask, _, _, oy, th = text_mask(rng, text, fonts, size, W, H, angle=(-8, 8), spacing=(0.95, 1.25),
                                        yjit=0.06, xscale=(0.85, 1.15))
        if mask.getbbox() and mask.getbbox()[2] < W - 1:
            break
        size = int(size * 0.88)
    r, cx = rng.uniform(1.5, 4.0) * W, rng.uniform(-0.2, 1.2) * W  # the flattest point may lie off the picture
    mid = oy + th * rng.uniform(0.05, 0.5)  # where the arc crosses the picture's middle column
    drop = r - math.sqrt(r * r - (W / 2 - cx) ** 2)
    arc = Image.new("L", (W, H), 0)
    d = ImageDraw.Draw(arc)
    if rng.random() < 0.6:  # bulging up: the circle's centre below
        top = mid - drop
        d.arc([cx - r, top, cx + r, top + 2 * r], 180, 360, fill=255, width=rng.randint(3, 6))
    else:
        top = mid + drop
        d.arc([cx - r, top - 2 * r, cx + r, top], 0, 180, fill=255, width=rng.randint(3, 6))
    return _xor_ink(rng, mask, arc, 0.85)


def style_typewriter(rng):
    cyr = rng.random() < 0.7 and cyrillic_fonts()
    text = cyrillic_text(rng, rng.choice([5, 5, 5, 4, 6])) if cyr else gen.random_text(rng, None, rng.choice([4, 5, 6]))
    if rng.random() < 0.7:  # letters of mixed case, as the glyphs show them
        text = "".join(c.upper() if c.isalpha() and rng.random() < 0.4 else c for c in text)
    pool = cyrillic_fonts() if cyr else gen.FONTS
    mono = [f for f in pool if f in gen.MONO or "Mono" in f or "Courier" in f or "Nimbus" in f]
    fonts = mono if mono and rng.random() < 0.6 else pool
    W, H = rng.choice([(200, 60), (180, 50), (160, 50), (220, 70)])
    fpath = rng.choice(fonts)
    ink = gen.rand_color(rng, 0, 90) if rng.random() < 0.3 else (rng.randint(10, 60), rng.randint(40, 90), rng.randint(90, 170))
    shadow = tuple(min(255, c + rng.randint(90, 150)) for c in ink)
    img = Image.new("RGB", (W, H), (255, 255, 255) if rng.random() < 0.7 else gen.light_color(rng, 225))
    d = ImageDraw.Draw(img)
    x = rng.uniform(0.04, 0.15) * W
    base = rng.uniform(0.6, 0.8) * H
    dx, dy = rng.choice([-3, -2, 2, 3]), rng.choice([-3, -2, 2, 3])
    for ch in text:
        s = max(10, int(H * rng.uniform(0.35, 0.7)))
        fnt = gen.font(fpath, s)
        y = base + rng.uniform(-0.08, 0.08) * H
        d.text((x + dx, y + dy), ch, font=fnt, fill=shadow, anchor="ls")
        d.text((x, y), ch, font=fnt, fill=ink, anchor="ls")
        x += fnt.getlength(ch) * rng.uniform(1.0, 1.5) + rng.uniform(0, 0.03) * W
    if x > W:
        img = img.resize((int(x + 6), H)).resize((W, H))
    return text, gen.finish(img, rng, 0.5)


def style_outline3d(rng):
    """Bold outlined glyphs with an extruded edge, or thin pen strokes; mixed case, overlapping."""
    text, fonts = any_text(rng, 0.05, rng.choice(["mixed", "mixed", "all", "upper"]), rng.choice([4, 4, 4, 5]))
    W, H = rng.choice([(150, 60), (120, 50), (160, 60), (130, 48)])
    kind = rng.random()
    if kind < 0.3:
        return text, _thin_pen(rng, text, fonts, W, H)
    if kind < 0.85:
        text = gen.random_text(rng, rng.choice(["upper_digits", "upper_digits", "upper"]), len(text))
        r = rng.random()
        return text, (extrude3d.render if r < 0.65 else _blocks3d_tilted if r < 0.85 else _blocks3d)(rng, text, W, H)
    size = fit_size(H, 0.6, 0.9, rng)
    mask, *_ = text_mask(rng, text, within(gen.BOLDISH, fonts), size, W, H, angle=(-20, 20), spacing=(0.75, 1.0),
                         yjit=0.15, shear=rng.uniform(-0.3, 0.3))
    img = Image.new("L", (W, H), 255)
    depth, (ux, uy) = rng.randint(2, 5), rng.choice([(1, 1), (-1, 1), (1, -1), (2, 1)])
    for k in range(depth, 0, -1):  # extrusion: dark copies behind the face
        img.paste(0, (k * ux, k * uy, W + k * ux, H + k * uy), mask)
    face = mask.point(lambda v: 255 if v > 128 else 0)
    img.paste(255, (0, 0), face)
    edge = ImageChops.subtract(face, face.filter(ImageFilter.MinFilter(3)))
    img.paste(0, (0, 0), edge)
    if rng.random() < 0.5:  # hatched face
        hatch = Image.new("L", (W, H), 0)
        hd = ImageDraw.Draw(hatch)
        for x in range(-H, W + H, rng.randint(3, 5)):
            hd.line([(x, 0), (x + H, H)], fill=255)
        img.paste(0, (0, 0), ImageChops.multiply(hatch, face.filter(ImageFilter.MinFilter(3))))
    out = img.convert("RGB")
    if rng.random() < 0.5:
        out = gen.salt_pepper(out, rng, rng.uniform(0.01, 0.06))
    return text, out


def _blocks3d(rng, text, W, H):
    """Each glyph a turned 3-D block: a white face with a thin dark outline and speckles, over a deep extrusion
    filled with a dark, grainy texture (not solid), all glyphs extruded the same way; drawn at 2x, then reduced."""
    S = 2
    size = fit_size(H, 0.6, 0.8, rng) * S
    heavy = [f for f in gen.BOLDISH if any(k in f for k in ("Black", "Heavy", "Bold"))] or gen.FONTS
    mask, *_ = text_mask(rng, text, heavy, size, W * S, H * S, angle=(-28, 28), spacing=(0.85, 1.1), yjit=0.15,
                         shear=rng.uniform(-0.25, 0.25))
    mask = mask.filter(ImageFilter.MaxFilter(rng.choice([1, 3, 3, 5])))  # heavier strokes than the font's
    g = np.random.default_rng(rng.getrandbits(32))
    depth = rng.randint(4, 9) * S
    ang = rng.uniform(0, 2 * np.pi) if rng.random() < 0.3 else rng.choice([2.2, 2.4, 0.8, 1.0]) + rng.uniform(-0.2, 0.2)
    dx, dy = np.cos(ang), np.sin(ang)
    side = Image.new("L", mask.size, 0)
    for k in range(depth, 0, -1):
        side.paste(255, (int(round(k * dx)), int(round(k * dy))), mask)
    face = mask.point(lambda v: 255 if v > 128 else 0)
    dens = rng.uniform(0.45, 0.8)
    tex = Image.fromarray(((g.random((H * S, W * S)) < dens) * rng.randint(0, 90)).astype(np.uint8) +
                          ((g.random((H * S, W * S)) >= dens) * 255).astype(np.uint8))
    img = Image.new("L", mask.size, 255)
    img.paste(tex, (0, 0), side)
    img.paste(255, (0, 0), face)
    ring = rng.choice([3, 3, 5])
    edge = ImageChops.subtract(face, face.filter(ImageFilter.MinFilter(ring)))
    img.paste(0, (0, 0), edge)
    if rng.random() < 0.7:  # speckles on the faces
        spk = Image.fromarray(((g.random((H * S, W * S)) < rng.uniform(0.01, 0.06)) * 255).astype(np.uint8))
        img.paste(0, (0, 0), ImageChops.multiply(spk, face))
    out = img.resize((W, H), Image.BILINEAR)
    if rng.random() < 0.6:  # palette GIF look: hard thresholded pixels
        t = rng.randint(110, 170)
        out = out.point(lambda v: 0 if v < t else 255)
    return out.convert("RGB")


_SERIF_BOLD = ("C059", "NimbusRoman", "P052", "Caladea", "Serif", "Mono", "Italic", "Oblique", "Slab")


def _heavy_sans() -> list[str]:
    picked = [f for f in gen.BOLDISH if any(k in os.path.basename(f) for k in ("Black", "Heavy", "Bold"))
              and not any(k in os.path.basename(f) for k in _SERIF_BOLD)]
    return picked or gen.BOLDISH


def _tilted_block(rng, ch, fpath, size, depth, direction, g):
    """One glyph as a 3-D block seen at an angle: the glyph turned, then a perspective warp (one side nearer);
    an extrusion `depth` px deep towards `direction`, textured with dark streaks and grain; a white face
    with a thin outline and specks. Returns (L image, mask of everything drawn)."""
    fnt = gen.font(fpath, size)
    m = gen.glyph_mask(ch, fnt, rng.uniform(-25, 25), 0, False, rng.uniform(-0.2, 0.2), (rng.uniform(0.85, 1.15), 1.0))
    m = m.filter(ImageFilter.MaxFilter(rng.choice([1, 3, 3])))
    pad = depth + 4
    tile = Image.new("L", (m.size[0] + 2 * pad, m.size[1] + 2 * pad), 0)
    tile.paste(m, (pad, pad))
    w, h = tile.size
    # the source quad's corners pushed outwards by up to 15%: the glyph shrinks unevenly, never leaves the tile
    j = lambda: rng.uniform(0, 0.15)  # noqa: E731
    quad = [-w * j(), -h * j(), -w * j(), h * (1 + j()), w * (1 + j()), h * (1 + j()), w * (1 + j()), -h * j()]
    face = tile.transform((w, h), Image.QUAD, quad, Image.BILINEAR).point(lambda v: 255 if v > 110 else 0)
    dx, dy = direction
    side = Image.new("L", (w, h), 0)
    for k in range(depth, 0, -1):
        side.paste(255, (int(round(k * dx)), int(round(k * dy))), face)
    streak = g.random((h, 1)) * g.random((1, w)) if rng.random() < 0.5 else g.random((h, w))
    light = (streak < rng.uniform(0.02, 0.2)) | (g.random((h, w)) < rng.uniform(0.1, 0.3))
    tex = np.where(light, 255, rng.randint(0, 60)).astype(np.uint8)
    img = Image.new("L", (w, h), 255)
    img.paste(Image.fromarray(tex), (0, 0), side)
    img.paste(255, (0, 0), face)
    edge = ImageChops.subtract(face, face.filter(ImageFilter.MinFilter(rng.choice([3, 3, 5, 7]))))
    img.paste(rng.choice([0, 0, rng.randint(60, 160)]), (0, 0), edge)  # a thin, often light outline
    specks = Image.fromarray(((g.random((h, w)) < rng.uniform(0.0, 0.05)) * 255).astype(np.uint8))
    img.paste(0, (0, 0), ImageChops.multiply(specks, face))
    return img, ImageChops.lighter(face, side)


def _blocks3d_tilted(rng, text, W, H):
    """Heavy sans glyphs, each its own tilted 3-D block (`_tilted_block`), extruded the same way, overlapping;
    drawn at 2x, reduced, usually thresholded to two colours as a palette GIF is."""
    S = 2
    g = np.random.default_rng(rng.getrandbits(32))
    size = fit_size(H, 0.7, 0.95, rng) * S
    fonts = _heavy_sans()
    fpath = rng.choice(fonts)
    # zhihu's blocks recede up and to the left (the dark sides above and left of each white face)
    ang = rng.uniform(3.4, 4.2) if rng.random() < 0.75 else rng.choice([2.3, 2.6, 2.0, 0.9]) + rng.uniform(-0.3, 0.3)
    direction = (np.cos(ang), np.sin(ang))
    depth = int(size * rng.uniform(0.1, 0.22))
    tiles = [_tilted_block(rng, ch, fpath, int(size * rng.uniform(0.9, 1.1)), depth, direction, g) for ch in text]
    pad = depth + 4
    widths = [t.size[0] - 2 * pad for t, _ in tiles]
    step = rng.uniform(0.6, 0.85)
    total = int(sum(widths) * step + 2 * pad)
    canvas = Image.new("L", (max(W * S, total), H * S), 255)
    x = (canvas.size[0] - total) * rng.uniform(0.2, 0.8)
    for (img, cover), w in zip(tiles, widths):
        y = (H * S - img.size[1]) / 2 + rng.uniform(-0.1, 0.1) * H * S
        canvas.paste(img, (int(x), int(y)), cover)
        x += w * step
    out = canvas.resize((W, H), Image.BILINEAR)
    if rng.random() < 0.7:
        t = rng.randint(110, 170)
        out = out.point(lambda v: 0 if v < t else 255)
    return out.convert("RGB")


def _thin_pen(rng, text, fonts, W, H):
    hand = [f for f in fonts if "/fonts/" in f and "fontsource" not in f] if rng.random() < 0.3 else fonts
    size = fit_size(H, 0.6, 0.95, rng) * 2
    mask, *_ = text_mask(rng, text, hand or fonts, size, W * 2, H * 2, angle=(-25, 25), spacing=(0.7, 0.95), yjit=0.15,
                         shear=rng.uniform(-0.3, 0.3))
    thin = ImageChops.subtract(mask, mask.filter(ImageFilter.MinFilter(rng.choice([3, 3, 5]))))  # the outline only
    if rng.random() < 0.5:
        thin = mask.filter(ImageFilter.MinFilter(5)) if size > 60 else mask  # or a thinned body
    img = Image.new("L", (W * 2, H * 2), 255)
    img.paste(gen.rand_color(rng, 0, 60)[0], (0, 0), thin)
    return img.resize((W, H), Image.BILINEAR).convert("RGB")


def style_tiny(rng):
    text, fonts = any_text(rng, 0.05, rng.choice(["mixed", "all", "all", "upper_digits"]), rng.choice([4, 4, 4, 5]))
    W, H = rng.randint(52, 80), rng.randint(18, 26)
    img = Image.new("RGB", (W, H), (255, 255, 255) if rng.random() < 0.7 else gen.light_color(rng, 200))
    size = fit_size(H, 0.6, 0.85, rng)
    typefaces = within(gen.BOLDISH, fonts) if rng.random() < 0.5 else fonts
    pieces, tw, th = gen.layout(rng, text, typefaces, size, angle=(-8, 8),
                                spacing=(0.9, 1.15), yjit=0.06)
    if tw > W - 2:
        W = tw + 4
        img = img.resize((W, H))
    ox, oy = max(0.0, (W - tw) * rng.uniform(0.1, 0.9)), (H - th) * rng.uniform(0.3, 0.7)
    gen.draw_pieces(img, pieces, ox, oy, [gen.dark_color(rng, 60)] * len(text), th)
    r = rng.random()
    if r < 0.5:
        img = gen.salt_pepper(img, rng, rng.uniform(0.04, 0.2))
    elif r < 0.8:  # dark specks only
        a = np.array(img)
        a[np.random.default_rng(rng.getrandbits(32)).random(a.shape[:2]) < rng.uniform(0.03, 0.15)] = gen.dark_color(rng, 60)
        img = Image.fromarray(a)
    return text, gen.jpeg(img, rng, rng.randint(50, 95)) if rng.random() < 0.5 else img


def style_widesparse(rng):
    text, fonts = any_text(rng, 0.05, None, rng.choice([4, 4, 5, 6]))
    W, H = rng.randint(180, 320), rng.randint(40, 70)
    img = gen.background(rng, W, H, rng.choice(["white", "light", "gradient"]))
    size = max(10, int(H * rng.uniform(0.25, 0.45)))
    thin = [f for f in fonts if f not in gen.BOLDISH] or fonts
    pieces, tw, th = gen.layout(rng, text, thin, size, angle=(-25, 25), spacing=(1.6, 3.2), yjit=0.6)
    if tw > W - 4:
        pieces, tw, th = gen.layout(rng, text, thin, size, angle=(-25, 25), spacing=(1.1, 1.6), yjit=0.4)
    ox, oy = max(0.0, (W - tw) * rng.uniform(0.05, 0.95)), (H - th) * rng.uniform(0.2, 0.8)
    gen.draw_pieces(img, pieces, ox, oy, [gen.dark_color(rng, 150) for _ in text], th)
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(2, 6)):
        y0, y1 = rng.uniform(0, H), rng.uniform(0, H)
        d.line([(0, y0), (W, y1)] if rng.random() < 0.7 else gen.bezier_pts(rng, W, H, 30), fill=gen.rand_color(rng, 0, 200),
               width=rng.choice([1, 1, 1, 2]))
    return text, gen.finish(img, rng, 0.5)


def style_pastelitalic(rng):
    text, fonts = any_text(rng, 0.05, rng.choice(["mixed", "all", "all"]), 4)
    serif_italic = [f for f in gen.SERIF if "Italic" in f or "I." in f or "Oblique" in f] or gen.SERIF
    if rng.random() < 0.6:  # sysu's is a regular-weight italic, as Times is
        serif_italic = [f for f in serif_italic if "Bold" not in f and "BI" not in os.path.basename(f)] or serif_italic
    if not text.isascii():  # a Cyrillic text: only the italics that draw it (else the missing-glyph box)
        serif_italic = within(serif_italic, fonts)
    W, H = rng.choice([(90, 32), (100, 36), (120, 40)])
    h, s = rng.random(), rng.uniform(0.02, 0.2)
    bg = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(h, s, rng.uniform(0.9, 1.0)))
    img = Image.new("RGB", (W, H), bg)
    size = fit_size(H, 0.6, 0.95, rng)
    # close together, or (sysu's) large letters spread over the whole width
    spread = (0.95, 1.3) if rng.random() < 0.5 else (1.2, 1.7)
    pieces, tw, th = gen.layout(rng, text, serif_italic if rng.random() < 0.8 else fonts, size, angle=(-10, 10),
                                spacing=spread, yjit=0.08)
    if tw > W - 2:
        img = img.resize((tw + 6, H))
    ox, oy = max(0.0, (img.size[0] - tw) * rng.uniform(0.1, 0.9)), (H - th) * rng.uniform(0.3, 0.7)
    # some letters (sysu's) come out pale, barely darker than the pastel background
    pale = rng.choice([0.0, 0.15, 0.3])
    inks = [bright_color(rng, (0.15, 0.45), (0.7, 0.88)) if rng.random() < pale else bright_color(rng, (0.4, 0.9), (0.35, 0.7))
            for _ in text]
    gen.draw_pieces(img, pieces, ox, oy, inks, th)
    d = ImageDraw.Draw(img)
    Wi = img.size[0]
    for _ in range(rng.randint(1, 6)):
        x0 = rng.uniform(-0.1, 0.8) * Wi
        reach = rng.uniform(10, Wi * 0.6) if rng.random() < 0.5 else rng.uniform(0.5, 1.0) * Wi
        d.line([(x0, rng.uniform(0, H)), (x0 + reach, rng.uniform(0, H))], fill=gen.dark_color(rng, 50), width=1)
    return text, gen.finish(img, rng, 0.4)


def style_boxed(rng):
    """Each character in its own small square box, turned at its own angle, over faint curves (crypto sign-up
    forms; their arithmetic "12+20" reads the same way)."""
    text = gen.random_text(rng, rng.choice(["digits", "all", "upper_digits"]), rng.choice([4, 5, 5]))
    if rng.random() < 0.4:
        return text, _boxed_row(rng, text)
    # small boxes inside the canvas, or (the narrow-strip variant) boxes nearly as tall as the canvas, cut by its
    # edges, in pale greyish colours, hollow glyphs and many faint curves
    strip = rng.random() < 0.5
    H = rng.randint(26, 34) if strip else rng.randint(28, 44)
    box = int(H * (rng.uniform(0.6, 0.95) if strip else rng.uniform(0.42, 0.68)))
    W = max(rng.randint(130, 200), int(len(text) * box * (1.6 if strip else 1.5)) + 10)
    img = Image.new("RGB", (W, H), (255, 255, 255) if rng.random() < 0.8 else gen.light_color(rng, 230))
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(6, 16) if strip else rng.randint(2, 9)):
        d.line(gen.bezier_pts(rng, W, H, 24, 1.0), fill=(rng.randint(185, 235),) * 3, width=1)
    fonts = gen.BOLDISH if rng.random() < 0.3 else gen.FONTS
    fpath = rng.choice(fonts)
    same = rng.random() < 0.4
    sat, val = ((0.1, 0.5), (0.35, 0.7)) if strip else ((0.3, 0.8), (0.4, 0.8))
    col = bright_color(rng, sat, val)
    hollow = strip and rng.random() < 0.4
    filled = not hollow and rng.random() < 0.5  # a pale tint of the glyph's colour inside each box
    x = (rng.uniform(-0.25, 0.3) * box) if strip else rng.uniform(0.02, 0.25) * (W - len(text) * box * 1.3)
    for ch in text:
        c = col if same else bright_color(rng, sat, val)
        tile = _boxed_tile(rng, ch, fpath, box, hollow, filled)
        if filled:
            tile, inside = tile
        if strip:
            y = (H - tile.size[1]) / 2 + rng.uniform(-0.25, 0.25) * box
        else:
            y = rng.uniform(-0.1, 1.0) * max(1, H - tile.size[1])
        if filled:
            tint = tuple(int(255 - (255 - v) * rng.uniform(0.08, 0.25)) for v in c)
            img.paste(tint, (int(x), int(y)), inside)
        img.paste(c, (int(x), int(y)), tile)
        x += box * (rng.uniform(1.1, 2.0) if strip else rng.uniform(1.0, 1.7))
    return text, gen.finish(img, rng, 0.4)


_BOXED_INKS = ((105, 105, 215), (125, 120, 205), (150, 150, 60), (165, 160, 75), (110, 110, 110), (95, 95, 130))


def _looping_curve(rng, W, H):
    """A long cubic whose control points lie far outside the picture, so it sweeps and loops across it."""
    p = [(rng.uniform(-0.3, 1.3) * W, rng.uniform(-1.0, 2.0) * H) for _ in range(4)]
    n = 60
    return [tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * e
                  for a, b, c, e in zip(*p)) for t in (i / n for i in range(n + 1))]


def _boxed_row(rng, text):
    """The crypto sign-up look (a 155x30 strip): each symbol in a small square box, 0.52-0.72 of the height, turned
    up to 40 degrees, the glyph filling most of it, in a regular or a bold weight (a "+" or "-" drawn a little
    larger, about as large as the digits), the boxes in a row 1.2-2.1 boxes apart from the left edge (the first one
    often cut by it), each in one of a few inks (blue-violet, olive, grey), sometimes faintly tinted inside; long,
    pale, looping curves behind and over them; JPEG."""
    W, H = rng.choice([(155, 30), (155, 30), (150, 30), (160, 32), (140, 28), (170, 34)])
    img = Image.new("RGB", (W, H), (255, 255, 255) if rng.random() < 0.85 else gen.light_color(rng, 240))
    d = ImageDraw.Draw(img)
    curve_ink = lambda: tuple(min(255, rng.randint(190, 225) + k) for k in (0, 0, rng.randint(0, 20)))  # noqa: E731
    curves = rng.randint(6, 16)
    behind = rng.randint(curves // 2, curves)
    for _ in range(behind):
        d.line(_looping_curve(rng, W, H), fill=curve_ink(), width=1)
    fpath = rng.choice(gen.BOLDISH if rng.random() < 0.5 else gen.FONTS)
    box = int(H * rng.uniform(0.52, 0.72))
    glyph = rng.uniform(0.95, 1.2)  # digits filling most of the box, and a "+" about as large as they are
    x = rng.uniform(-0.35, 0.4) * box
    for ch in text:
        ink = rng.choice(_BOXED_INKS) if rng.random() < 0.7 else bright_color(rng, (0.2, 0.6), (0.4, 0.8))
        ink = tuple(max(0, min(255, v + rng.randint(-15, 15))) for v in ink)
        tile, inside = _boxed_tile(rng, ch, fpath, box, False, True, glyph * (rng.uniform(1.1, 1.45) if ch in "+-" else 1.0))
        y = H * rng.uniform(0.2, 0.65) - tile.size[1] / 2
        if rng.random() < 0.4:
            tint = tuple(int(255 - (255 - v) * rng.uniform(0.03, 0.1)) for v in ink)
            img.paste(tint, (int(x), int(y)), inside)
        img.paste(ink, (int(x), int(y)), tile)
        x += box * rng.uniform(1.2, 2.1)
    for _ in range(curves - behind):
        d.line(_looping_curve(rng, W, H), fill=curve_ink(), width=1)
    return gen.jpeg(img, rng, rng.randint(55, 90)) if rng.random() < 0.8 else img


def _boxed_tile(rng, ch, fpath, box, hollow, fill=False, scale=1.0):
    """One character and its square outline, turned, as a coverage mask (the glyph at 0.7-0.9 of the box times
    `scale`); with `fill`, also the square's inside (a second mask, turned the same way) for a pale tint under it."""
    tile = Image.new("L", (box + 2, box + 2), 0)
    td = ImageDraw.Draw(tile)
    td.rectangle([0, 0, box + 1, box + 1], outline=255, width=1)
    fnt = gen.font(fpath, max(8, int(box * rng.uniform(0.7, 0.9) * scale)))
    if hollow:  # the glyph's outline only
        glyph = Image.new("L", tile.size, 0)
        ImageDraw.Draw(glyph).text(((box + 2) / 2, (box + 2) / 2), ch, font=fnt, fill=255, anchor="mm",
                                   stroke_width=1, stroke_fill=255)
        inner = Image.new("L", tile.size, 0)
        ImageDraw.Draw(inner).text(((box + 2) / 2, (box + 2) / 2), ch, font=fnt, fill=255, anchor="mm")
        tile = ImageChops.lighter(tile, ImageChops.subtract(glyph, inner.filter(ImageFilter.MinFilter(3))))
    else:
        td.text(((box + 2) / 2, (box + 2) / 2), ch, font=fnt, fill=255, anchor="mm")
    angle = rng.uniform(-40, 40)
    ink = tile.rotate(angle, resample=Image.BILINEAR, expand=True)
    if not fill:
        return ink
    inside = Image.new("L", tile.size, 0)
    ImageDraw.Draw(inside).rectangle([1, 1, box, box], fill=255)
    return ink, inside.rotate(angle, resample=Image.BILINEAR, expand=True)


SITE_STYLES = {
    "boxed": (style_boxed, 0.6),
    "darkcolor": (style_darkcolor, 2.0),
    "hatch": (style_hatch, 1.5),
    "grainarc": (style_grainarc, 1.5),
    "typewriter": (style_typewriter, 1.8),
    "outline3d": (style_outline3d, 1.5),
    "tiny": (style_tiny, 1.2),
    "widesparse": (style_widesparse, 1.0),
    "pastelitalic": (style_pastelitalic, 1.0),
}
