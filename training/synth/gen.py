"""Synthetic text-captcha generator (own code, no scraped images).

`sample(rng)` returns (PIL.Image RGB, label). The label is exactly the text
that was drawn, with its case. Styles imitate the look of generators that
real sites run (Securimage, Kaptcha/EasyCaptcha, Gregwar, Django simple
captcha, the Python `captcha` library, svg-captcha, WordPress Really Simple
CAPTCHA, GD-based PHP/Perl scripts, noisy digit captchas, "noise line + blur
over gray text"), plus a generic style that randomises everything.

Hold-out families (see holdout.py) use fonts listed in HOLDOUT_FONT_KEYS that
the training generator never loads.
"""
from __future__ import annotations

import glob
import io
import math
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

DIGITS = "0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()
CHARSET = DIGITS + LOWER + UPPER

# Fonts that only the hold-out families use (never loaded for training).
HOLDOUT_FONT_KEYS = ("ComicNeue", "FiraCode", "URWBookman")

_EXCLUDE = (
    "StandardSymbols", "D050000L", "DejaVuMathTeXGyre", "LinBiolinum_K", "LinLibertine_I.",
    "Z003", "Hairline", "Thin", "ExtraLight", "Cantarell-Light", "Initials",
)
FONT_ROOT = os.environ.get("CAPTCHA_FONT_ROOT", "/usr/share/fonts")
# @fontsource/* npm packages (handwritten and rounded fonts that Debian does not package), fetched by
# training/setup.sh; only their Latin subsets, WOFF (FreeType reads it), regular and bold weights.
FONTSOURCE_ROOT = os.environ.get("CAPTCHA_FONTSOURCE_ROOT") or (
    os.path.join(FONT_ROOT, "fontsource") if "CAPTCHA_FONT_ROOT" in os.environ
    else os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "fonts"))


def _font_files(holdout: bool = False) -> list[str]:
    files = []
    for ext in ("ttf", "otf"):
        files += glob.glob(f"{FONT_ROOT}/**/*.{ext}", recursive=True)
    for weight in ("400", "700"):
        files += glob.glob(f"{FONTSOURCE_ROOT}/**/*-latin-{weight}-normal.woff", recursive=True)
    out = []
    for f in sorted(files):
        base = os.path.basename(f)
        if "/noto/" in f and not any(base.startswith(p) for p in ("NotoSans-", "NotoSerif-", "NotoSansMono-")):
            continue
        if any(k in base for k in _EXCLUDE):
            continue
        is_ho = any(k in base for k in HOLDOUT_FONT_KEYS)
        if is_ho == holdout:
            out.append(f)
    return out


FONTS = _font_files(False)
GENTIUM = [f for f in FONTS if "/gentium" in f]
GENTIUM_WP = [f for f in FONTS if os.path.basename(f) in ("GenBkBasR.ttf", "GenBkBasI.ttf", "GenBkBasBI.ttf", "GenBasB.ttf")]
BOLDISH = [f for f in FONTS if any(k in os.path.basename(f) for k in ("Bold", "Black", "Heavy", "-B.", "_RB", "Semibold", "Medium", "Demi"))]
SERIF = [f for f in FONTS if any(k in f for k in ("Serif", "Roman", "Libertine", "gentium", "Caladea", "C059", "P052", "Gentium"))]
MONO = [f for f in FONTS if any(k in f for k in ("Mono", "Hack", "Inconsolata", "Anonymous"))]

_font_cache: dict = {}


def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    key = (path, size)
    f = _font_cache.get(key)
    if f is None:
        if len(_font_cache) > 4000:
            _font_cache.clear()
        f = ImageFont.truetype(path, size)
        _font_cache[key] = f
    return f


# ---------------------------------------------------------------- text choice
def random_text(rng: random.Random, kind: str | None = None, n: int | None = None) -> str:
    if kind is None:
        kind = rng.choices(["digits", "lower", "upper", "mixed", "lower_digits", "upper_digits", "all"],
                           weights=[2, 1.5, 1.5, 1.5, 2, 2, 2])[0]
    pool = {
        "digits": DIGITS, "lower": LOWER, "upper": UPPER, "mixed": LOWER + UPPER,
        "lower_digits": LOWER + DIGITS, "upper_digits": UPPER + DIGITS, "all": CHARSET,
        "wp": "ABCDEFGHJKLMNPQRSTUVWXYZ23456789",
    }[kind]
    if rng.random() < 0.3 and kind not in ("digits", "wp"):
        pool = "".join(c for c in pool if c not in "0O1lI")
    if n is None:
        n = rng.choices([3, 4, 5, 6, 7, 8], weights=[1, 4, 4, 3, 1.5, 1])[0]
    return "".join(rng.choice(pool) for _ in range(n))


# ---------------------------------------------------------------- colours
def rand_color(rng, lo=0, hi=255):
    return tuple(rng.randint(lo, hi) for _ in range(3))


def dark_color(rng, maxv=110):
    return rand_color(rng, 0, maxv)


def light_color(rng, minv=170):
    return rand_color(rng, minv, 255)


def gradient(w, h, c1, c2, rng, horizontal=None):
    if horizontal is None:
        horizontal = rng.random() < 0.5
    t = np.linspace(0, 1, w if horizontal else h, dtype=np.float32)
    a = np.array(c1, np.float32)[None, :] * (1 - t[:, None]) + np.array(c2, np.float32)[None, :] * t[:, None]
    if horizontal:
        arr = np.broadcast_to(a[None, :, :], (h, w, 3))
    else:
        arr = np.broadcast_to(a[:, None, :], (h, w, 3))
    return Image.fromarray(arr.astype(np.uint8), "RGB")


def background(rng, w, h, kind=None):
    kind = kind or rng.choices(["white", "light", "gradient", "noise", "dark"], weights=[3, 3, 3, 1.5, 0.6])[0]
    if kind == "white":
        return Image.new("RGB", (w, h), (255, 255, 255))
    if kind == "light":
        return Image.new("RGB", (w, h), light_color(rng, 180))
    if kind == "gradient":
        return gradient(w, h, light_color(rng, 150), light_color(rng, 150), rng)
    if kind == "noise":
        base = np.array(light_color(rng, 170), np.float32)
        arr = base[None, None, :] + np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(8, 30), (h, w, 3))
        return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    return Image.new("RGB", (w, h), dark_color(rng, 80))  # dark bg, light text chosen by caller


# ---------------------------------------------------------------- glyphs
def glyph_mask(ch, fnt, angle=0.0, stroke=0, hollow=False, shear=0.0, scale_xy=(1.0, 1.0)):
    """Coverage mask of one character and its baseline offset (y of baseline in mask)."""
    asc, desc = fnt.getmetrics()
    l, t, r, b = fnt.getbbox(ch, anchor="ls", stroke_width=stroke)
    pad = 2 + stroke
    w = max(1, r - l + 2 * pad)
    h = asc + desc + 2 * pad + 2 * stroke
    m = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(m)
    org = (pad - l, pad + asc + stroke)
    if hollow and stroke > 0:
        d.text(org, ch, font=fnt, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255)
        inner = Image.new("L", (w, h), 0)
        ImageDraw.Draw(inner).text(org, ch, font=fnt, fill=255, anchor="ls")
        m = Image.fromarray(np.clip(np.asarray(m, np.int16) - np.asarray(inner, np.int16), 0, 255).astype(np.uint8))
    else:
        d.text(org, ch, font=fnt, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255)
    if scale_xy != (1.0, 1.0):
        m = m.resize((max(1, int(w * scale_xy[0])), max(1, int(h * scale_xy[1]))), Image.BILINEAR)
    if shear:
        mw, mh = m.size
        extra = int(abs(shear) * mh) + 1
        m = m.transform((mw + extra, mh), Image.AFFINE, (1, shear, -extra if shear > 0 else 0, 0, 1, 0), Image.BILINEAR)
    if angle:
        m = m.rotate(angle, resample=Image.BILINEAR, expand=True)
    return m


def layout(rng, text, fonts, size, *, angle=(-15, 15), spacing=(0.85, 1.1), yjit=0.12, stroke=0,
           hollow=False, shear=0.0, xscale=(1.0, 1.0), per_char_font=False):
    """Render chars into a list of (mask, x, y) on a virtual line; returns pieces and bbox size."""
    pieces = []
    x = 0
    fpath = rng.choice(fonts)
    maxh = 0
    for ch in text:
        if per_char_font:
            fpath = rng.choice(fonts)
        s = max(6, int(size * rng.uniform(0.92, 1.08)))
        if ch == "*":  # asterisks are drawn from small to large across fonts and generators (math captchas only)
            s = max(6, int(s * rng.uniform(0.8, 1.35)))
        fnt = font(fpath, s)
        sx = rng.uniform(*xscale)
        m = glyph_mask(ch, fnt, rng.uniform(*angle), stroke, hollow, shear, (sx, 1.0))
        adv = fnt.getlength(ch) * sx
        y = int(rng.uniform(-yjit, yjit) * s)
        if ch == "*" and rng.random() < 0.5:  # an asterisk centred on the line, as canvas/GD math captchas draw it
            y += int(rng.uniform(0.2, 0.35) * s)
        pieces.append((m, x + (m.size[0] - adv) * -0.5 if False else x, y))
        x += int(adv * rng.uniform(*spacing)) + stroke
        maxh = max(maxh, m.size[1] + abs(y))
    last_w = pieces[-1][0].size[0]
    width = int(max(x, pieces[-1][1] + last_w))
    return pieces, width, maxh


def draw_pieces(img, pieces, ox, oy, colors, base_h):
    for (m, x, y), col in zip(pieces, colors):
        yy = oy + y + (base_h - m.size[1]) // 2
        if isinstance(col, Image.Image):
            img.paste(col.resize(m.size), (int(ox + x), int(yy)), m)
        else:
            img.paste(col, (int(ox + x), int(yy), int(ox + x) + m.size[0], int(yy) + m.size[1]), m)


# ---------------------------------------------------------------- effects
def remap(img, fx, fy):
    """Bilinear remap: out[y,x] = img[fy[y,x], fx[y,x]] (edge-clamped). Gathers each channel from the flat
    array with precomputed indices and weights (twice as fast on RGB as fancy-indexing the 3-D array)."""
    a = np.asarray(img, np.float32)
    h, w = a.shape[:2]
    fx = np.clip(fx, 0, w - 1.001)
    fy = np.clip(fy, 0, h - 1.001)
    x0 = fx.astype(np.int32)
    y0 = fy.astype(np.int32)
    dx = fx - x0
    dy = fy - y0
    w00, w01, w10, w11 = (1 - dx) * (1 - dy), dx * (1 - dy), (1 - dx) * dy, dx * dy
    i00 = y0 * w + x0

    def gather(c):
        f = c.ravel()
        return f[i00] * w00 + f[i00 + 1] * w01 + f[i00 + w] * w10 + f[i00 + w + 1] * w11

    out = gather(a) if a.ndim == 2 else np.stack([gather(a[..., k]) for k in range(a.shape[2])], axis=-1)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), img.mode)


def sine_warp(img, rng, amp=(1, 4), period=(0.5, 2.0), both=True):
    w, h = img.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ay = rng.uniform(*amp) * h / 40
    py = rng.uniform(*period) * w
    fy = yy + ay * np.sin(2 * np.pi * xx / py + rng.uniform(0, 6.3))
    fx = xx
    if both:
        ax = rng.uniform(0, amp[1] * 0.6) * h / 40
        px = rng.uniform(*period) * h
        fx = xx + ax * np.sin(2 * np.pi * yy / px + rng.uniform(0, 6.3))
    return remap(img, fx, fy)


def ripple(img, rng):
    """Kaptcha 'water ripple' / fisheye-ish distortion."""
    w, h = img.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.3, 0.7) * h
    r = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) + 1e-3
    k = rng.uniform(-0.25, 0.25)
    R = max(w, h) * 0.6
    f = 1 + k * np.exp(-(r / R) ** 2)
    return remap(img, cx + (xx - cx) * f, cy + (yy - cy) * f)


def bezier_pts(rng, w, h, n=40, spread=0.5):
    p0 = (rng.uniform(-0.1, 0.2) * w, rng.uniform(0.15, 0.85) * h)
    p3 = (rng.uniform(0.8, 1.1) * w, rng.uniform(0.15, 0.85) * h)
    p1 = (rng.uniform(0.2, 0.5) * w, rng.uniform(0.5 - spread, 0.5 + spread) * h)
    p2 = (rng.uniform(0.5, 0.8) * w, rng.uniform(0.5 - spread, 0.5 + spread) * h)
    pts = []
    for i in range(n + 1):
        t = i / n
        x = (1 - t) ** 3 * p0[0] + 3 * (1 - t) ** 2 * t * p1[0] + 3 * (1 - t) * t ** 2 * p2[0] + t ** 3 * p3[0]
        y = (1 - t) ** 3 * p0[1] + 3 * (1 - t) ** 2 * t * p1[1] + 3 * (1 - t) * t ** 2 * p2[1] + t ** 3 * p3[1]
        pts.append((x, y))
    return pts


def noise_lines(img, rng, n, color=None, width=(1, 2), curved=0.5):
    d = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(n):
        col = color if color is not None else rand_color(rng, 0, 200)
        lw = rng.randint(*width)
        if rng.random() < curved:
            d.line(bezier_pts(rng, w, h), fill=col, width=lw, joint="curve")
        else:
            d.line([(rng.uniform(0, w * 0.3), rng.uniform(0, h)), (rng.uniform(w * 0.7, w), rng.uniform(0, h))], fill=col, width=lw)


def noise_arcs(img, rng, n, color=None):
    d = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(n):
        col = color if color is not None else rand_color(rng, 0, 220)
        x0, y0 = rng.uniform(-w * 0.3, w * 0.7), rng.uniform(-h, h * 0.5)
        x1, y1 = x0 + rng.uniform(w * 0.3, w * 1.2), y0 + rng.uniform(h * 0.5, h * 2)
        d.arc([x0, y0, x1, y1], rng.uniform(0, 360), rng.uniform(0, 360), fill=col, width=rng.randint(1, 2))


def noise_dots(img, rng, density, color=None, size=(1, 2)):
    d = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(int(w * h * density)):
        col = color if color is not None else rand_color(rng, 0, 255)
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        s = rng.uniform(*size) / 2
        if s <= 0.6:
            d.point((x, y), fill=col)
        else:
            d.ellipse([x - s, y - s, x + s, y + s], fill=col)


def grid(img, rng, color=None):
    d = ImageDraw.Draw(img)
    w, h = img.size
    col = color or rand_color(rng, 100, 220)
    step = rng.randint(4, 12)
    off = rng.randint(0, step)
    for x in range(off, w, step):
        d.line([(x, 0), (x + rng.uniform(-3, 3), h)], fill=col)
    for y in range(off, h, step):
        d.line([(0, y), (w, y + rng.uniform(-2, 2))], fill=col)


def pixel_noise(img, rng, sigma):
    a = np.asarray(img, np.float32)
    a = a + np.random.default_rng(rng.getrandbits(32)).normal(0, sigma, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), img.mode)


def salt_pepper(img, rng, p):
    a = np.array(img)
    g = np.random.default_rng(rng.getrandbits(32))
    m = g.random(a.shape[:2])
    a[m < p / 2] = 0
    a[m > 1 - p / 2] = 255
    return Image.fromarray(a, img.mode)


def jpeg(img, rng, q=None):
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=q or rng.randint(15, 70))
    buf.seek(0)
    return Image.open(buf).convert(img.mode)


def low_res(img, rng, f=None):
    w, h = img.size
    f = f or rng.uniform(0.35, 0.75)
    small = img.resize((max(8, int(w * f)), max(8, int(h * f))), rng.choice([Image.BILINEAR, Image.NEAREST, Image.BOX]))
    return small.resize((w, h), rng.choice([Image.BILINEAR, Image.NEAREST])) if rng.random() < 0.5 else small


def perspective(img, rng, k=0.12):
    w, h = img.size
    d = lambda a: rng.uniform(-k, k) * a  # noqa: E731
    quad = (d(w), d(h), d(w), h + d(h), w + d(w), h + d(h), w + d(w), d(h))
    bgc = img.getpixel((0, 0))
    out = img.transform((w, h), Image.QUAD, quad, Image.BILINEAR, fillcolor=bgc)
    return out


def stripes(img, rng):
    d = ImageDraw.Draw(img)
    w, h = img.size
    col = light_color(rng, 150)
    step = rng.randint(3, 10)
    slope = rng.uniform(-1, 1) * h
    for x in range(-h, w + h, step):
        d.line([(x, 0), (x + slope, h)], fill=col, width=rng.randint(1, 2))


def confusers(img, rng):
    """Faint small glyphs in the background (not part of the answer)."""
    w, h = img.size
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(3, 12)):
        f = font(rng.choice(FONTS), rng.randint(max(6, h // 6), max(8, h // 3)))
        d.text((rng.uniform(0, w), rng.uniform(0, h)), rng.choice(CHARSET), font=f, fill=light_color(rng, 185))


def shadow_text(img, rng):
    """Drop shadow: offset, blurred copy of the dark pixels underneath."""
    a = np.asarray(img.convert("L"), np.float32)
    m = Image.fromarray(np.clip((200 - a) * 2, 0, 255).astype(np.uint8))
    m = m.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    sh = img.copy()
    dx, dy = rng.randint(1, 3), rng.randint(1, 3)
    sh.paste(rand_color(rng, 100, 190), (dx, dy, img.size[0] + dx, img.size[1] + dy), m)
    return Image.composite(img, sh, m)


def finish(img, rng, p=1.0):
    """Generic post-processing shared by styles (blur, noise, jpeg, low-res)."""
    if rng.random() < 0.25 * p:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.2 * p:
        img = pixel_noise(img, rng, rng.uniform(4, 20))
    if rng.random() < 0.08 * p:
        img = salt_pepper(img, rng, rng.uniform(0.005, 0.04))
    if rng.random() < 0.15 * p:
        img = low_res(img, rng)
    if rng.random() < 0.2 * p:
        img = jpeg(img, rng)
    return img


# ---------------------------------------------------------------- composition
def compose(rng, text, *, fonts=None, size=None, bg=None, colors="dark", angle=(-15, 15), spacing=(0.85, 1.1),
            yjit=0.12, stroke=0, hollow=False, shear=0.0, xscale=(1.0, 1.0), pad=(0.05, 0.3), hpad=(0.15, 0.6),
            per_char_font=False, canvas=None):
    fonts = fonts or FONTS
    size = size or rng.randint(20, 44)
    pieces, tw, th = layout(rng, text, fonts, size, angle=angle, spacing=spacing, yjit=yjit, stroke=stroke,
                            hollow=hollow, shear=shear, xscale=xscale, per_char_font=per_char_font)
    if canvas:
        W, H = canvas
        ox = max(0, (W - tw) * rng.uniform(0.1, 0.9))
        oy = (H - th) * rng.uniform(0.3, 0.7)
    else:
        W = int(tw * (1 + rng.uniform(*pad) * 2)) + 4
        H = int(th * (1 + rng.uniform(*hpad)))
        ox = (W - tw) * rng.uniform(0.2, 0.8)
        oy = (H - th) * rng.uniform(0.2, 0.8)
    if isinstance(bg, Image.Image):
        img = bg.resize((W, H))
    else:
        img = background(rng, W, H, bg)
    dark_bg = np.asarray(img.resize((4, 4))).mean() < 110
    if colors == "dark":
        if dark_bg:
            base = light_color(rng, 170)
            cols = [base] * len(text)
        else:
            mode = rng.random()
            if mode < 0.5:
                cols = [dark_color(rng)] * len(text)
            elif mode < 0.85:
                cols = [dark_color(rng, 140) for _ in text]
            else:
                cols = [gradient(8, 8, dark_color(rng), dark_color(rng, 150), rng) for _ in text]
    else:
        cols = colors if isinstance(colors, list) else [colors] * len(text)
    draw_pieces(img, pieces, ox, oy, cols, th)
    return img


# ---------------------------------------------------------------- styles
def style_generic(rng):
    text, fonts = random_text(rng), FONTS
    if rng.random() < CYRILLIC_SHARE:
        text, fonts = sites.any_text(rng, 1.0)
    bg = None
    r = rng.random()
    if r < 0.08:
        bg = background(rng, 10, 10, "light")
        bg = bg.resize((400, 120))
        stripes(bg, rng)
    img = compose(rng, text, fonts=fonts, bg=bg, angle=rng.choice([(-5, 5), (-15, 15), (-30, 30)]),
                  spacing=rng.choice([(0.95, 1.15), (0.8, 1.0), (0.65, 0.85), (1.1, 1.5)]),
                  yjit=rng.choice([0.0, 0.1, 0.25]), stroke=rng.choice([0, 0, 0, 1, 2]), hollow=rng.random() < 0.1,
                  shear=rng.choice([0, 0, rng.uniform(-0.4, 0.4)]), xscale=rng.choice([(1, 1), (0.7, 1.3)]),
                  per_char_font=rng.random() < 0.2, size=rng.randint(14, 48))
    if rng.random() < 0.08:
        confusers(img, rng)
    if rng.random() < 0.06:
        img = shadow_text(img, rng)
    if rng.random() < 0.3:
        img = sine_warp(img, rng)
    if rng.random() < 0.15:
        img = perspective(img, rng)
    if rng.random() < 0.1:
        mask = fuzz_mask(Image.fromarray((255 - np.asarray(img.convert("L"))).astype(np.uint8)), rng, (0.7, 2))
        img = Image.composite(Image.new("RGB", img.size, dark_color(rng)), img, mask.point(lambda v: 255 if v > 110 else 0))
    if rng.random() < 0.4:
        noise_lines(img, rng, rng.randint(1, 4))
    if rng.random() < 0.2:
        noise_arcs(img, rng, rng.randint(1, 3))
    if rng.random() < 0.3:
        noise_dots(img, rng, rng.uniform(0.005, 0.04))
    if rng.random() < 0.08:
        grid(img, rng)
    return text, finish(img, rng)


def fuzz_mask(mask, rng, amount=(1.0, 3.0)):
    """Speckled halo around strokes (random per-pixel displacement), like cheap 'shadow' captcha effects."""
    w, h = mask.size
    g = np.random.default_rng(rng.getrandbits(32))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    s = rng.uniform(*amount)
    dx = g.normal(rng.uniform(-1, 1.5), s, (h, w)).astype(np.float32)
    dy = g.normal(0, s * 0.6, (h, w)).astype(np.float32)
    sp = np.asarray(remap(mask, xx + dx, yy + dy), np.float32)
    sp = np.where(g.random((h, w)) < rng.uniform(0.4, 0.8), sp, 0)
    m = np.maximum(np.asarray(mask, np.float32), sp * rng.uniform(0.6, 1.0))
    return Image.fromarray(np.clip(m, 0, 255).astype(np.uint8), "L")


def style_lineblur(rng):
    """Near-black text on a horizontal gray->white gradient, tight overlap, speckled stroke halo, one thick
    noise polyline across the text, light blur (the 'captcha version 2' look) - plus variations."""
    text = random_text(rng, rng.choice(["lower_digits", "lower_digits", "lower_digits", "all", "upper_digits", "digits"]),
                       rng.choice([4, 5, 5, 5, 5, 6, 7]))
    if rng.random() < 0.15:  # wide/multi-leg letters next to each other (m, w, n ...), which a squeezed font merges
        text = "".join(rng.choice("mmwwnnuvrh" if rng.random() < 0.6 else LOWER + DIGITS) for _ in text)
    W, H = rng.choice([(200, 50), (200, 50), (200, 50), (180, 50), (220, 60), (160, 40), (240, 60)])
    g1, g2 = rng.randint(165, 230), rng.randint(230, 255)
    if rng.random() < 0.2:
        g1, g2 = g2, g1
    bg = gradient(W, H, (g1,) * 3, (g2,) * 3, rng, horizontal=rng.random() < 0.85)
    fonts = BOLDISH if rng.random() < 0.7 else FONTS
    size = rng.randint(int(H * 0.6), int(H * 0.95))
    pieces, tw, th = layout(rng, text, fonts, size, angle=(-5, 5), spacing=(0.68, 0.92), yjit=0.04,
                            xscale=rng.choice([(0.8, 1.05), (0.8, 1.05), (0.95, 1.25), (0.68, 0.9)]), stroke=rng.choice([0, 0, 0, 1]))
    mask = Image.new("L", (W, H), 0)
    ox = rng.uniform(0.08, 0.3) * W
    if ox + tw > W - 4:
        ox = max(0, (W - tw) / 2)
    oy = (H - th) * rng.uniform(0.3, 0.6)
    draw_pieces(mask, pieces, ox, oy, [255] * len(text), th)
    if rng.random() < 0.8:
        mask = fuzz_mask(mask, rng)
    img = bg.copy()
    tc = (rng.randint(0, 40),) * 3
    img.paste(tc, (0, 0, W, H), mask)
    d = ImageDraw.Draw(img)
    n = rng.choice([2, 2, 3, 4])
    # the line starts just before the first glyph (its start must not read as a character) and usually runs
    # well past the text towards the right edge
    x0 = min(ox - rng.uniform(-0.05, 0.12) * W, rng.uniform(0.05, 0.3) * W)
    x1 = max(ox + tw + rng.uniform(-0.1, 0.15) * W, rng.uniform(0.6, 0.92) * W)
    if rng.random() < 0.6:
        x0 = max(0.0, ox - rng.uniform(0.0, 0.08) * W)
        x1 = max(x1, rng.uniform(0.85, 0.98) * W)
    pts = [(x0 + (x1 - x0) * i / (n - 1) + rng.uniform(-5, 5), rng.uniform(0.2, 0.85) * H) for i in range(n)]
    r = rng.random()
    if r < 0.35:  # short steep hook at the start, in front of / before the first glyph
        hx, hy = pts[0]
        pts.insert(0, (hx - rng.uniform(3, 12), hy + rng.choice([-1, 1]) * rng.uniform(0.2, 0.5) * H))
    elif r < 0.7:  # a near-vertical stroke on top of the first glyph's left part, then the line runs right
        hx = ox + rng.uniform(-0.04, 0.05) * W
        y_a, y_b = rng.uniform(0.1, 0.35) * H, rng.uniform(0.6, 0.9) * H
        if rng.random() < 0.5:
            y_a, y_b = y_b, y_a
        pts[0] = (hx + rng.uniform(-3, 3), y_b)
        pts.insert(0, (hx + rng.uniform(-4, 4), y_a))
        if rng.random() < 0.3:  # zig-zag: down, up and then away
            pts.insert(1, (hx + rng.uniform(4, 12), (y_a + y_b) / 2 + rng.uniform(-5, 5)))
    # as thick as a glyph's stroke in most images (the 'captcha version 2' line is 3-5 px at 50 px height)
    lw = max(1, round(rng.choice([1, 2, 3, 3, 4, 4, 5]) * H / 50))
    d.line(pts, fill=tc, width=lw, joint="curve")
    if rng.random() < 0.25:
        noise_lines(img, rng, 1, color=tc, width=(1, 2))
    if rng.random() < 0.7:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    if rng.random() < 0.3:
        img = pixel_noise(img, rng, rng.uniform(2, 8))
    return text, img


def style_wp(rng):
    """WordPress Really Simple CAPTCHA look: 72x24, Gentium, 4 chars, per-char angle and baseline jitter."""
    text = random_text(rng, rng.choice(["wp", "wp", "upper_digits", "all"]), rng.choice([4, 4, 4, 3, 5]))
    W, H = 72 + 15 * (len(text) - 4), 24
    fonts = GENTIUM_WP if rng.random() < 0.6 else (GENTIUM if rng.random() < 0.5 else SERIF)
    ssaa = 4
    img = Image.new("L", (W * ssaa, H * ssaa), 255 if rng.random() < 0.9 else rng.randint(200, 255))
    x = rng.uniform(4, 8)
    fg = rng.randint(0, 60)
    size = rng.uniform(17, 20.5)
    for ch in text:
        f = font(rng.choice(fonts), int(size * ssaa))
        m = Image.new("L", (int(size * 2.2 * ssaa), int(size * 2.2 * ssaa)), 0)
        cx, cy = m.size[0] // 2, m.size[1] // 2
        ImageDraw.Draw(m).text((cx, cy), ch, font=f, fill=255, anchor="ls")
        m = m.rotate(rng.uniform(-12, 12), resample=Image.BILINEAR, center=(cx, cy))
        bx, by = x * ssaa, (18 + rng.randint(-2, 2)) * ssaa
        img.paste(fg, (int(bx - cx), int(by - cy)), m)
        x += rng.uniform(14, 16)
    img = img.resize((W, H), Image.BOX).convert("RGB")
    if rng.random() < 0.3:
        img = finish(img, rng, 0.5)
    return text, img


def style_securimage(rng):
    text = random_text(rng, rng.choice(["all", "mixed", "lower_digits", "upper_digits"]), rng.randint(4, 7))
    bg = rng.choice(["white", "light", "gradient"])
    tc = rand_color(rng, 0, 150)
    img = compose(rng, text, bg=bg, colors=tc, angle=(-10, 10), spacing=(0.8, 1.0), yjit=0.1,
                  size=rng.randint(26, 44), canvas=None)
    img = sine_warp(img, rng, amp=(2, 5), period=(0.4, 1.2))
    noise_lines(img, rng, rng.randint(3, 8), color=tc if rng.random() < 0.6 else None, width=(1, 3), curved=0.8)
    if rng.random() < 0.3:
        noise_dots(img, rng, 0.02, color=tc)
    return text, finish(img, rng, 0.6)


def style_kaptcha(rng):
    text = random_text(rng, rng.choice(["lower_digits", "all", "lower", "digits"]), rng.randint(4, 6))
    bg = gradient(10, 10, light_color(rng, 180), light_color(rng, 180), rng)
    tc = rng.choice([(0, 0, 0), dark_color(rng), (0, 0, 200)])
    img = compose(rng, text, bg=bg, colors=tc if rng.random() < 0.6 else "dark", angle=(-5, 5), spacing=(0.85, 1.05),
                  yjit=0.05, size=rng.randint(28, 44), canvas=None)
    img = ripple(img, rng)
    if rng.random() < 0.7:
        noise_lines(img, rng, 1, color=tc, width=(1, 2), curved=1.0)
    if rng.random() < 0.5:
        img = sine_warp(img, rng, amp=(1, 3))
    if rng.random() < 0.3:  # EasyCaptcha bubbles
        noise_arcs(img, rng, rng.randint(2, 5))
    return text, finish(img, rng, 0.5)


def style_gregwar(rng):
    text = random_text(rng, rng.choice(["lower_digits", "all", "mixed"]), rng.randint(5, 6))
    bg = light_color(rng, 160)
    img = Image.new("RGB", (10, 10), bg)
    cols = [dark_color(rng, 130) for _ in text]
    img = compose(rng, text, bg=img, colors=cols, angle=(-10, 10), spacing=(0.85, 1.05), size=rng.randint(26, 40),
                  canvas=(150, 40) if rng.random() < 0.6 else None)
    noise_lines(img, rng, rng.randint(1, 4), width=(1, 2), curved=0.2)
    img = sine_warp(img, rng, amp=(1, 3), period=(0.5, 1.5))
    noise_lines(img, rng, rng.randint(0, 3), width=(1, 2), curved=0.2)
    return text, finish(img, rng, 0.5)


def style_django(rng):
    text = random_text(rng, rng.choice(["upper", "upper_digits", "lower", "all"]), rng.randint(4, 6))
    img = compose(rng, text, bg="white", colors=(0x00, 0x11, 0x00) if rng.random() < 0.5 else "dark",
                  angle=(-35, 35), spacing=(0.8, 1.0), yjit=0.15, size=rng.randint(22, 36))
    noise_arcs(img, rng, rng.randint(1, 3), color=(0x00, 0x11, 0x00))
    noise_dots(img, rng, rng.uniform(0.01, 0.04), color=(0x00, 0x11, 0x00))
    return text, finish(img, rng, 0.5)


def style_pycaptcha(rng):
    """Python `captcha` library look: each glyph warped (affine/perspective), coloured, overlapping; dots + curve."""
    text = random_text(rng, rng.choice(["all", "upper_digits", "digits", "lower_digits"]), rng.randint(4, 6))
    W, H = rng.choice([(160, 60), (200, 60), (170, 70)])
    bgc = light_color(rng, 200)
    img = Image.new("RGB", (W, H), bgc)
    fc = rand_color(rng, 10, 180)
    glyphs = []
    for ch in text:
        f = font(rng.choice(FONTS), rng.randint(int(H * 0.6), int(H * 0.9)))
        m = glyph_mask(ch, f, rng.uniform(-30, 30))
        w, h = m.size
        dx, dy = w * rng.uniform(0.1, 0.3), h * rng.uniform(0.1, 0.3)
        x1, y1 = int(rng.uniform(-dx, dx)), int(rng.uniform(-dy, dy))
        x2, y2 = int(rng.uniform(-dx, dx)), int(rng.uniform(-dy, dy))
        w2, h2 = w + abs(x1) + abs(x2), h + abs(y1) + abs(y2)
        data = (x1, y1, -x1, h2 - y2, w2 + x2, h2 + y2, w2 - x2, -y1)
        m = m.resize((w2, h2)).transform((w, h), Image.QUAD, data, Image.BILINEAR)
        glyphs.append(m)
    total = sum(g.size[0] for g in glyphs)
    avg = total / len(glyphs)
    rand = int(0.25 * avg)
    offset = int(avg * 0.1)
    x = offset
    canvas_w = max(W, int(total - rand * (len(glyphs) - 1) + 2 * offset + 10))
    if canvas_w > W:
        img = img.resize((canvas_w, H))
    for g in glyphs:
        gh = min(g.size[1], H)
        y = max(0, (H - gh) // 2 + rng.randint(-3, 3))
        img.paste(fc, (x, y, x + g.size[0], y + g.size[1]), g)
        x += g.size[0] - rng.randint(0, max(1, rand))
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(10, 40)):
        px, py = rng.uniform(0, img.size[0]), rng.uniform(0, H)
        r = rng.uniform(0.5, 2)
        d.ellipse([px - r, py - r, px + r, py + r], fill=fc)
    noise_lines(img, rng, 1, color=fc, width=(1, 3), curved=1.0)
    if img.size[0] != W and rng.random() < 0.6:
        img = img.resize((W, H))
    img = img.filter(ImageFilter.SMOOTH) if rng.random() < 0.5 else img
    return text, finish(img, rng, 0.4)


def style_gd(rng):
    """GD/Perl style: small non-antialiased bitmap-ish text, random pixels, rectangles, low res."""
    text = random_text(rng, rng.choice(["digits", "upper_digits", "lower_digits", "all"]), rng.randint(4, 6))
    size = rng.randint(10, 16)
    img = compose(rng, text, fonts=MONO + BOLDISH if rng.random() < 0.5 else FONTS, size=size,
                  bg=rng.choice(["white", "light", "noise"]), angle=(-8, 8), spacing=(0.95, 1.4), yjit=0.2,
                  pad=(0.05, 0.2), hpad=(0.2, 0.6))
    # crush anti-aliasing like GD's imagestring / non-AA imagettftext
    if rng.random() < 0.6:
        a = np.asarray(img.convert("L"))
        thr = rng.randint(100, 180)
        bgc, fgc = light_color(rng, 200), dark_color(rng, 90)
        arr = np.where(a[..., None] < thr, np.array(fgc, np.uint8), np.array(bgc, np.uint8)).astype(np.uint8)
        img = Image.fromarray(arr, "RGB")
    noise_dots(img, rng, rng.uniform(0.01, 0.08), size=(1, 1))
    if rng.random() < 0.5:
        noise_lines(img, rng, rng.randint(1, 3), width=(1, 1), curved=0)
    if rng.random() < 0.5:
        f = rng.choice([2, 2, 3])
        img = img.resize((img.size[0] * f, img.size[1] * f), Image.NEAREST)
    return text, finish(img, rng, 0.4)


def style_dotted(rng):
    text = random_text(rng, rng.choice(["digits", "digits", "upper_digits", "lower_digits"]), rng.randint(4, 6))
    img = compose(rng, text, bg=rng.choice(["white", "light", "noise"]), angle=(-20, 20), spacing=(0.9, 1.2),
                  size=rng.randint(20, 36), stroke=rng.choice([0, 1]))
    dc = rand_color(rng, 0, 160) if rng.random() < 0.5 else None
    noise_dots(img, rng, rng.uniform(0.02, 0.08), color=dc, size=(1, 2.5))
    if rng.random() < 0.4:
        noise_lines(img, rng, rng.randint(1, 4), width=(1, 1), curved=0.3)
    return text, finish(img, rng, 0.6)


def style_svglike(rng):
    """svg-captcha look: coloured bg, per-char colours and sizes, bezier noise lines of random colours."""
    text = random_text(rng, rng.choice(["all", "all", "lower_digits", "upper_digits"]), rng.randint(4, 6))
    bg = rng.choice(["white", "light", "light"])
    img = compose(rng, text, bg=bg, colors=[rand_color(rng, 0, 180) for _ in text], angle=(-20, 20),
                  spacing=(0.9, 1.3), yjit=0.2, size=rng.randint(28, 44), per_char_font=True)
    noise_lines(img, rng, rng.randint(0, 4), width=(1, 2), curved=1.0)
    return text, finish(img, rng, 0.4)


def style_hollow(rng):
    text = random_text(rng)
    img = compose(rng, text, stroke=rng.randint(1, 2), hollow=True, size=rng.randint(26, 48),
                  angle=(-15, 15), spacing=(0.8, 1.05), bg=rng.choice(["white", "light", "gradient", "gradient"]),
                  colors="dark" if rng.random() < 0.6 else [dark_color(rng, 160) for _ in text])
    if rng.random() < 0.5:
        noise_lines(img, rng, rng.randint(1, 3))
    if rng.random() < 0.5:  # confetti of dots in random colours, some as dark as the outlines
        noise_dots(img, rng, rng.uniform(0.005, 0.04), size=(1, 2.5))
    return text, finish(img, rng, 0.5)


def style_clean(rng):
    text = random_text(rng)
    img = compose(rng, text, angle=(-3, 3), spacing=(0.95, 1.1), yjit=0.02, size=rng.randint(14, 40),
                  bg=rng.choice(["white", "light"]))
    return text, finish(img, rng, 0.3)


STYLES = {
    "generic": (style_generic, 5.0),
    "lineblur": (style_lineblur, 3.5),
    "wp": (style_wp, 1.5),
    "securimage": (style_securimage, 1.2),
    "kaptcha": (style_kaptcha, 1.0),
    "gregwar": (style_gregwar, 1.0),
    "django": (style_django, 0.8),
    "pycaptcha": (style_pycaptcha, 1.2),
    "gd": (style_gd, 1.0),
    "dotted": (style_dotted, 0.8),
    "svglike": (style_svglike, 0.8),
    "hollow": (style_hollow, 1.5),
    "clean": (style_clean, 0.6),
}
# the generic style's share of Cyrillic texts (the real-site styles in sites.py draw their own)
CYRILLIC_SHARE = 0.08


def sample(rng: random.Random, style: str | None = None):
    name = style or rng.choices(list(STYLES), weights=[w for _, w in STYLES.values()])[0]
    text, img = STYLES[name][0](rng)
    if img.mode != "RGB":
        img = img.convert("RGB")
    if rng.random() < 0.04 and name not in ("wp", "lineblur"):  # inverted captchas
        img = Image.fromarray(255 - np.asarray(img))
    return img, text, name


from synth import sites  # noqa: E402  (after everything it uses from here)

STYLES.update(sites.SITE_STYLES)
from synth import imitations  # noqa: E402  (server-side generators imitated from their source: synth/imitations.py)
STYLES.update(imitations.IMITATION_STYLES)
