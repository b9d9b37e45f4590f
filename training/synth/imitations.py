"""Imitations of widely deployed server-side captcha generators (issue 27: breadth of data beats volume), each
written from the generator's published source code, never from images it drew: every image here is drawn by us.
Sources read (public repositories):

- base64Captcha (Go, mojocn/base64Captcha: driver_string.go, item_char.go, random_math.go): `b64_string`;
  driver_digit.go / item_digit.go, which port dchest/captcha (Go, dchest/captcha: image.go, font.go): `dotdigits`;
- Hutool (Java, dromara/hutool: hutool-captcha LineCaptcha / CircleCaptcha / ShearCaptcha, AbstractCaptcha,
  hutool-core GraphicsUtil.drawString): `hutool_line`, `hutool_circle`, `hutool_shear`;
- EasyCaptcha (Java, ele-admin/EasyCaptcha: SpecCaptcha.java, base/Captcha.java): `easy_spec`;
- Kaptcha (Java, penggle/kaptcha: DefaultWordRenderer, DefaultNoise, WaterRipple, ShadowGimpy, FishEyeGimpy and the
  jhlabs Water/Ripple/Shadow filters they configure): `kaptcha_water`, `kaptcha_shadow`, `kaptcha_fisheye`;
- CodeIgniter 2/3 (PHP, system/helpers/captcha_helper.php create_captcha): `codeigniter`;
- Laravel mews/captcha (PHP, mewebstudio/captcha: src/Captcha.php, config/captcha.php): `mews`;
- cool-php-captcha (PHP, josecl/cool-php-captcha: captcha.php SimpleCaptcha): `coolphp`;
- simple-php-captcha (PHP, claviska's, read in manayop/simple-php-captcha): `simplephp`;
- Python `captcha` (lepture/captcha: src/captcha/image.py ImageCaptcha): `pycaptcha_lib`;
- django-simple-captcha (mbi/django-simple-captcha: captcha/views.py captcha_image, helpers.py, conf/settings.py):
  `django_simple`;
- Gregwar/Captcha (PHP, Gregwar/Captcha: src/Gregwar/Captcha/CaptchaBuilder.php, PhraseBuilder.php):
  `gregwar_builder`;
- rucaptcha (Ruby gem with a Rust core, huacnlee/rucaptcha: ext/rucaptcha/src/captcha.rs): `rucaptcha`.

Each style reproduces the generator's canvas sizes, character sets, drawing order, noise and colours; fonts are the
nearest Debian / @fontsource font where the generator ships its own (Arial -> Liberation Sans, Courier -> Nimbus Mono,
Java's SansSerif -> DejaVu Sans, Vera Sans -> DejaVu Sans, ...). Where a generator picks text colours uniformly at
random (Hutool, mews) a colour that would vanish into the background is drawn again, so every label is readable.
Registered into gen.STYLES on import (gen.py imports this module last).
"""
from __future__ import annotations

import math
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from . import gen


# ---------------------------------------------------------------- fonts
def _by_name(*names: str) -> list[str]:
    out = [f for f in gen.FONTS if os.path.basename(f) in names]
    return out or list(gen.BOLDISH)


def _by_prefix(*prefixes: str) -> list[str]:
    out = [f for f in gen.FONTS if os.path.basename(f).startswith(prefixes)]
    return out or list(gen.BOLDISH)


JAVA_SANS = _by_name("DejaVuSans.ttf", "LiberationSans-Regular.ttf")
ARIAL_BOLD = _by_name("LiberationSans-Bold.ttf", "NimbusSans-Bold.otf")
COURIER_BOLD = _by_name("LiberationMono-Bold.ttf", "NimbusMonoPS-Bold.otf")
SERIF_BOLD = _by_name("LiberationSerif-Bold.ttf", "NimbusRoman-Bold.otf", "DejaVuSerif-Bold.ttf", "C059-Bold.otf")
SERIF_REG = _by_name("LiberationSerif-Regular.ttf", "NimbusRoman-Regular.otf", "Caladea-Regular.ttf",
                     "DejaVuSerifCondensed.ttf", "P052-Roman.otf")
HANDWRITTEN = [f for f in gen.FONTS if f.endswith(".woff")] or list(gen.FONTS)
GD_MONO = _by_name("DejaVuSansMono-Bold.ttf", "LiberationMono-Bold.ttf")
# cool-php-captcha's nine font configurations (spacing, min/max point size) with the nearest font we have
COOL_FONTS = [
    (-3, 27, 30, _by_name("C059-Bold.otf", "P052-Bold.otf")),                        # AntykwaBold
    (-1.5, 28, 31, _by_prefix("fredoka-latin-", "balsamiq-sans-latin-700")),          # Candice
    (-2, 24, 30, _by_prefix("gochi-hand-latin", "short-stack-latin", "coming-soon-latin")),  # Ding-DongDaddyO
    (-2, 30, 38, _by_name("NimbusSansNarrow-Bold.otf", "LiberationSansNarrow-Bold.ttf")),   # Duality
    (-2, 24, 34, _by_name("LiberationSans-Bold.ttf", "Lato-Black.ttf")),              # Heineken
    (-2, 28, 32, _by_name("URWGothic-Book.otf", "URWGothic-Demi.otf")),              # Jura
    (-1.5, 28, 32, _by_prefix("varela-round-latin", "nunito-latin-700")),             # StayPuft
    (-2, 28, 34, _by_name("LiberationSerif-Bold.ttf", "NimbusRoman-Bold.otf")),       # TimesNewRomanBold
    (-1, 20, 28, _by_name("DejaVuSans-Bold.ttf")),                                    # VeraSansBold
]

GD_PT = 96 / 72  # GD's imagettftext sizes are points at 96 dpi


def decorative_fonts(rng):
    """base64Captcha / EasyCaptcha ship decorative fonts (3Dumb, Flim-Flam, actionj, ransom ...): handwritten,
    bold or any training font."""
    r = rng.random()
    return HANDWRITTEN if r < 0.45 else gen.BOLDISH if r < 0.8 else gen.FONTS


# ---------------------------------------------------------------- helpers
def text_mask(s, fnt, angle=0.0, shear=0.0):
    """Coverage mask of `s` rotated by `angle` degrees counter-clockwise about its baseline origin (as GD's
    imagettftext and freetype draw), optionally slanted (synthetic italic). Returns (mask, ox, oy): the origin's
    position inside the mask. An empty string or blank glyph gives a 1x1 mask."""
    l, t, r, b = fnt.getbbox(s, anchor="ls")
    R = int(max(-l, r, -t, b, 1) * (1 + abs(shear))) + 3
    m = Image.new("L", (2 * R, 2 * R), 0)
    ImageDraw.Draw(m).text((R, R), s, font=fnt, fill=255, anchor="ls")
    if shear:
        m = m.transform(m.size, Image.AFFINE, (1, shear, -shear * R, 0, 1, 0), Image.BILINEAR)
    if angle:
        m = m.rotate(angle, resample=Image.BILINEAR, center=(R, R))
    bb = m.getbbox()
    if bb is None:
        return Image.new("L", (1, 1), 0), 0, 0
    return m.crop(bb), R - bb[0], R - bb[1]


def paste_text(img, s, fnt, x, y, fill, angle=0.0, shear=0.0, alpha=1.0):
    """Draw `s` with its baseline origin at (x, y); returns the right edge of what was drawn."""
    m, ox, oy = text_mask(s, fnt, angle, shear)
    if alpha < 1.0:
        m = Image.fromarray((np.asarray(m, np.float32) * alpha).astype(np.uint8), "L")
    x0, y0 = int(round(x - ox)), int(round(y - oy))
    img.paste(fill, (x0, y0, x0 + m.size[0], y0 + m.size[1]), m)
    return x0 + m.size[0]


def _lum(c):
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def visible(rng, make, bg, min_diff=60, tries=20):
    """Draw a colour with `make(rng)` until it differs from the background's luminance by `min_diff`."""
    c = make(rng)
    for _ in range(tries):
        if abs(_lum(c) - _lum(bg)) >= min_diff:
            return c
        c = make(rng)
    return (0, 0, 0) if _lum(bg) > 128 else (255, 255, 255)


def any_color(rng):
    return (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))


_RANDOM_TEXT = gen.random_text


def pick_text(rng, pool, n):
    """`n` characters from the generator's own pool; while synth/math.py has swapped gen.random_text for its
    expressions, that expression instead (so these styles draw sums for the math model too)."""
    if gen.random_text is not _RANDOM_TEXT:
        return gen.random_text(rng)
    return "".join(rng.choice(pool) for _ in range(n))


def texture(rng, W, H):
    """A light background picture like the ones PHP captcha packages ship (fabric, paper, waves): smooth coloured
    noise, sometimes with a fine weave or diagonal pattern."""
    g = np.random.default_rng(rng.getrandbits(32))
    base = np.array(gen.light_color(rng, 175), np.float32)
    k = rng.choice([3, 5, 8, 12])
    low = g.normal(0, rng.uniform(6, 22), (k, max(2, k * W // max(H, 1)), 3)).astype(np.float32)
    low = np.asarray(Image.fromarray(np.clip(low + 128, 0, 255).astype(np.uint8), "RGB").resize((W, H), Image.BICUBIC),
                     np.float32) - 128
    a = base[None, None, :] + low + g.normal(0, rng.uniform(1, 9), (H, W, 1))
    r = rng.random()
    if r < 0.3:  # weave
        yy, xx = np.mgrid[0:H, 0:W]
        p = rng.randint(2, 5)
        a += (((xx // p + yy // p) % 2) * rng.uniform(-14, 14))[..., None]
    elif r < 0.55:  # diagonal lines / waves
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        p = rng.uniform(4, 14)
        a += (np.sin((xx + yy * rng.uniform(-1.5, 1.5) + 4 * np.sin(xx / rng.uniform(6, 20))) * 2 * np.pi / p)
              * rng.uniform(4, 16))[..., None]
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")


def _disc_offsets(r):
    """Pixels of a filled midpoint circle of radius r (the filled circles dchest/captcha draws)."""
    return [(dx, dy) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dx * dx + dy * dy <= r * r + 0.8 * r]


def stamp(canvas, xs, ys, r, val):
    """Filled circles of radius r at the integer centres (xs, ys) on a 2-D index canvas (clipped)."""
    H, W = canvas.shape
    xs = np.asarray(xs, np.int64)
    ys = np.asarray(ys, np.int64)
    vals = np.broadcast_to(np.asarray(val, canvas.dtype), xs.shape)
    for dx, dy in _disc_offsets(max(0, int(r))):
        X, Y = xs + dx, ys + dy
        ok = (X >= 0) & (X < W) & (Y >= 0) & (Y < H)
        canvas[Y[ok], X[ok]] = vals[ok]


def on_page(rng, rgba):
    """A transparent PNG as a browser shows it: on white, or sometimes on a light page colour."""
    bg = (255, 255, 255) if rng.random() < 0.75 else gen.light_color(rng, 225)
    out = Image.new("RGBA", rgba.size, bg + (255,))
    return Image.alpha_composite(out, rgba).convert("RGB")


# ---------------------------------------------------------------- base64Captcha DriverString
def _b64_deep(rng):
    """randDeepColor: randColor() (blue = 400 - r - g) darkened by 30 + rand(255), abs(); as uint8."""
    r, g = rng.randint(0, 254), rng.randint(0, 254)
    b = 0 if r + g > 400 else min(255, 400 - r - g)
    inc = 30 + rng.randint(0, 254)
    return tuple(int(abs(min(c - inc, 255))) & 255 for c in (r, g, b))


def _b64_light(rng):
    return (rng.randint(200, 254), rng.randint(200, 254), rng.randint(200, 254))


def style_b64_string(rng):
    W, H = rng.choice([(240, 80), (240, 60), (240, 60), (150, 50), (120, 40), (200, 60), (160, 60), (100, 40)])
    n = rng.choice([4, 4, 5, 5, 6])
    source = rng.choice(["1234567890qwertyuioplkjhgfdsazxcvbnm", "1234567890qwertyuioplkjhgfdsazxcvbnm",
                         "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "1234567890",
                         "ABCDEFGHJKMNPQRSTUVWXYZ23456789"])
    text = pick_text(rng, source, n)
    bgc = _b64_light(rng) if rng.random() < 0.6 else rng.choice([(255, 255, 255), (254, 254, 254), (240, 240, 246)])
    img = Image.new("RGB", (W, H), bgc)
    a = np.array(img)
    opts = rng.choice([0, 2, 4, 6, 8, 10, 12, 14, 2 | 4, 2 | 8])
    if opts & 2:  # drawHollowLine: a light sine hump h/20 thick
        first = W // 20
        x1, x2 = rng.randint(0, max(0, first - 1)), rng.randint(0, max(0, first - 1)) + first * 19
        mult = (rng.randint(0, 4) + 3) / 5
        if int(mult * 10) % 3 == 0:
            mult = -mult
        xs = np.arange(x1, x2)
        ys = np.sin(xs * math.pi * mult / W) * (H // 3)
        if mult < 0:
            ys = ys + H // 2
        col = np.array(_b64_light(rng), np.uint8)
        for i in range(H // 20 + 1):
            yy = ys.astype(np.int64) + i
            ok = (yy >= 0) & (yy < H) & (xs < W)
            a[yy[ok], xs[ok]] = col
    if opts & 8:  # drawSineLine: a deep-coloured sine, smeared h/5 px to the right
        amp = rng.randint(0, max(0, H // 2 - 1))
        b = rng.uniform(-H / 4, H / 4)
        f = rng.uniform(-H / 4, H / 4)
        t = rng.uniform(W / 2, H) if H > W / 2 else (H if H == W / 2 else rng.uniform(H, W / 2))
        w = 2 * math.pi / t
        px = np.arange(0, int(rng.uniform(0.8 * W, W)))
        py = (amp * np.sin(w * px + f) + b + W / 5).astype(np.int64)
        col = np.array(_b64_deep(rng), np.uint8)
        for i in range(1, H // 5 + 1):
            X = px + i
            ok = (X < W) & (py >= 0) & (py < H)
            a[py[ok], X[ok]] = col
    img = Image.fromarray(a)
    d = ImageDraw.Draw(img)
    if opts & 4:  # drawSlimLine(3): Bresenham lines with a 5 px horizontal brush
        first, y3 = W // 10, H // 3
        for i in range(3):
            p1 = [rng.randint(0, max(0, first - 1)), 0]
            p2 = [rng.randint(0, max(0, first - 1)) + first * 9, 0]
            if i % 2 == 0:
                p1[1], p2[1] = rng.randint(0, y3 - 1) + y3 * 2, rng.randint(0, y3 - 1)
            else:
                p1[1], p2[1] = rng.randint(0, y3 - 1) + y3, rng.randint(0, y3 - 1) + y3 * 2
            col = _b64_deep(rng)
            for ox in (-2, -1, 0, 1, 2):
                d.line([(p1[0] + ox, p1[1]), (p2[0] + ox, p2[1])], fill=col)
    fonts = decorative_fonts(rng)
    nnoise = rng.choice([0, 0, 0, 5, 10, 20, 40])
    if nnoise:  # drawNoise: light characters and punctuation all over
        raw = H / (1 + rng.randint(0, 6) / 10)
        pool = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,.[]<>"
        for _ in range(nnoise):
            fnt = gen.font(rng.choice(fonts), max(6, int(raw / 2 + rng.randint(0, 4))))
            d.text((rng.randint(0, W - 1), rng.randint(0, H - 1)), rng.choice(pool), font=fnt, fill=_b64_light(rng),
                   anchor="ls")
    fw = W // len(text)
    for i, ch in enumerate(text):  # drawText
        fs = H / (1 + rng.randint(0, 6) / 9)
        fnt = gen.font(rng.choice(fonts), max(8, int(fs)))
        x = fw * i + fw // int(fs)
        y = 5 + rng.randint(0, H // 2 - 1) + int(fs / 2)
        y = min(y, H - 2)  # (the library can put the baseline below the image; keep most of the glyph in)
        d.text((x, y), ch, font=fnt, fill=_b64_deep(rng), anchor="ls")
    return text, img


# ---------------------------------------------------------------- dchest/captcha & base64Captcha DriverDigit
DIGIT_FONT = [
    "00011111000" "00111111100" "01110001110" "01100000110" "11100000110" "11000000011" "11000000011" "11000000011"
    "11000000011" "11000000011" "11000000011" "11000000011" "11000000011" "11000000111" "01100000110" "01110001110"
    "00111111100" "00011111000",
    "00000110000" "00011110000" "00111110000" "01110110000" "01100110000" "00000110000" "00000110000" "00000110000"
    "00000110000" "00000110000" "00000110000" "00000110000" "00000110000" "00000110000" "00000110000" "00000110000"
    "00000110000" "00000110000",
    "00011110000" "01111111100" "11100001110" "01000000110" "00000000110" "00000000110" "00000000110" "00000001100"
    "00000001100" "00000011000" "00000110000" "00001110000" "00011100000" "00111000000" "01110000000" "01100000000"
    "11111111111" "11111111111",
    "00111111000" "11111111100" "11000001110" "00000000110" "00000000110" "00000000110" "00000011100" "00111110000"
    "00111111100" "00000001110" "00000000111" "00000000011" "00000000011" "00000000011" "00000000111" "10000001110"
    "11111111100" "01111111000",
    "00000001100" "00000011100" "00000111100" "00000101100" "00001101100" "00011001100" "00011001100" "00110001100"
    "01100001100" "01100001100" "11000001100" "10000001100" "11111111111" "11111111111" "00000001100" "00000001100"
    "00000001100" "00000001100",
    "01111111110" "01111111110" "01100000000" "01100000000" "01100000000" "01100000000" "01111111000" "01111111100"
    "00000001110" "00000000111" "00000000011" "00000000011" "00000000011" "00000000011" "00000000111" "11000001110"
    "11111111100" "00111111000",
    "00000111110" "00011111110" "00111000000" "01100000000" "01100000000" "01000000000" "11001111000" "11011111110"
    "11110000110" "11100000111" "11000000011" "11000000011" "11000000011" "11000000011" "01100000111" "01110001110"
    "00111111100" "00011111000",
    "11111111111" "11111111111" "00000000011" "00000000110" "00000000110" "00000001110" "00000001100" "00000001100"
    "00000011000" "00000011000" "00000111000" "00000110000" "00001110000" "00001100000" "00001100000" "00011100000"
    "00011000000" "00111000000",
    "00011111000" "00111111110" "01110000111" "01100000011" "01100000011" "01100000011" "00110000110" "00111111100"
    "00001111000" "00111011100" "01110001110" "11100000111" "11000000011" "11000000011" "11000000011" "11100000110"
    "01111111110" "00011111000",
    "00011111000" "01111111100" "01100001110" "11000000110" "11000000011" "11000000011" "11000000011" "11000000111"
    "01100001111" "01111111011" "00011110011" "00000000011" "00000000110" "00000000110" "00000001110" "00000011100"
    "01111111000" "01111100000",
]
DIGIT_DOTS = [[(i % 11, i // 11) for i, c in enumerate(g) if c == "1"] for g in DIGIT_FONT]


def style_dotdigits(rng):
    """Digits drawn as dot matrices (an 11x18 font) of filled circles, skewed per digit, a wavy strike-through band
    of dots, a sine distortion of the whole image, then random circles in brightness variations of the colour,
    on a transparent PNG (dchest/captcha, and base64Captcha's DriverDigit, its port)."""
    b64 = rng.random() < 0.5
    W, H = rng.choice([(240, 80), (240, 80), (240, 80), (160, 60), (120, 40), (200, 70), (300, 80), (180, 60)])
    n = rng.choice([4, 5, 5, 6] if b64 else [6, 6, 6, 4, 5])
    digits = [rng.randint(0, 9) for _ in range(n)]
    dotcount = 80 if b64 else 20
    prim = (rng.randint(0, 128), rng.randint(0, 128), rng.randint(0, 128))
    pal = [prim]
    for _ in range(dotcount - 1):
        mn, mx = min(prim), max(prim)
        k = rng.randint(0, 255 - mx - 1) - mn
        pal.append(tuple(c + k for c in prim))
    canvas = np.zeros((H, W), np.uint8)
    border = (H if W > H else W) // 4
    w, h = float(W - 2 * border), float(H - 2 * border)
    fw, fh = 12.0, 18.0
    nw = w / n
    nh = nw * fh / fw
    if nh > h:
        nh = h
        nw = fw / fh * nh
    dot = max(1, int(nh / fh))
    numw, numh = int(nw) - dot, int(nh)
    maxx = W - (numw + dot) * n - dot
    maxy = H - numh - dot * 2
    border = (H if W > H else W) // 5
    x = rng.randint(border, max(border, maxx - border))
    y = rng.randint(border, max(border, maxy - border))
    r = dot // 2
    cx, cy = [], []
    for dg in digits:  # drawDigit
        skf = rng.uniform(-0.7, 0.7)
        xs = float(x)
        yy = y + rng.randint(-r, r)
        xx = x
        rows: dict[int, list[int]] = {}
        for (xo, yo) in DIGIT_DOTS[dg]:
            rows.setdefault(yo, []).append(xo)
        for yo in range(18):
            for xo in rows.get(yo, ()):
                cx.append(xx + xo * dot)
                cy.append(yy + yo * dot)
            xs += skf
            xx = int(xs)
        x += numw + dot
    stamp(canvas, cx, cy, r, 1)
    # strikeThrough: for each column, `dot` circles of radius rand(0..dot)/2 stacked `dot` px apart on a sine
    y0 = rng.randint(H // 3, H - H // 3)
    amp, period = rng.uniform(5, 20), rng.uniform(80, 180)
    dxp = 2 * math.pi / period
    xo = int(amp * math.cos(y0 * dxp))
    g = np.random.default_rng(rng.getrandbits(32))
    colx = np.arange(W)
    yo = (amp * np.sin(colx * dxp)).astype(np.int64)
    sx = np.repeat(colx + xo, dot)
    sy = np.repeat(y0 + yo, dot) + np.tile(np.arange(dot) * dot, W)
    sr = g.integers(0, dot + 1, sx.shape) // 2
    for rr in np.unique(sr):
        sel = sr == rr
        stamp(canvas, sx[sel], sy[sel], int(rr), 1)
    # distort(amp 5..10, period 100..200): new(x, y) = old(x + amp sin(y dx), y + amp cos(x dx)), outside -> transparent
    amp, period = rng.uniform(5, 10), rng.uniform(100, 200)
    dxp = 2 * math.pi / period
    yy, xx = np.mgrid[0:H, 0:W]
    sx = xx + np.trunc(amp * np.sin(yy * dxp)).astype(np.int64)
    sy = yy + np.trunc(amp * np.cos(xx * dxp)).astype(np.int64)
    ok = (sx >= 0) & (sx < W) & (sy >= 0) & (sy < H)
    out = np.zeros_like(canvas)
    out[ok] = canvas[sy[ok], sx[ok]]
    canvas = out
    # fillWithCircles(dotcount, dot): colour index 1 .. dotcount-1, radius 1 .. dot
    circles = []
    for _ in range(dotcount):
        ci = rng.randint(1, dotcount - 1)
        rr = rng.randint(1, dot)
        circles.append((rr, rng.randint(rr, W - rr), rng.randint(rr, H - rr), ci))
    for rr in sorted({c[0] for c in circles}):  # stamped a radius at a time (only overlaps between them reorder)
        cs = [c for c in circles if c[0] == rr]
        stamp(canvas, [c[1] for c in cs], [c[2] for c in cs], rr, [c[3] for c in cs])
    lut = np.zeros((256, 4), np.uint8)
    for i, c in enumerate(pal):
        lut[i + 1] = c + (255,)
    rgba = Image.fromarray(lut[canvas], "RGBA")
    return "".join(map(str, digits)), on_page(rng, rgba)


# ---------------------------------------------------------------- Hutool
HUTOOL_SIZES = [(200, 100), (200, 100), (130, 48), (120, 40), (100, 30), (150, 50), (200, 80), (160, 60), (90, 30)]
HUTOOL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def _hutool_setup(rng):
    W, H = rng.choice(HUTOOL_SIZES)
    n = rng.choice([4, 4, 5, 5, 5, 6])
    pool = HUTOOL_CHARS if rng.random() < 0.8 else rng.choice(["0123456789", "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"])
    bg = (255, 255, 255) if rng.random() < 0.85 else gen.light_color(rng, 220)
    return W, H, pick_text(rng, pool, n), bg


def _hutool_text(rng, img, text, W, H, bg):
    """GraphicsUtil.drawString: SansSerif PLAIN at 0.75 x height, char i at x = i * (width / len), baseline centred
    (getCenterY; older versions: ascent - leading - descent), a random colour per character."""
    fnt = gen.font(rng.choice(JAVA_SANS), max(8, int(H * 0.75)))
    asc, desc = fnt.getmetrics()
    y = (H - (asc + desc)) // 2 + asc if rng.random() < 0.7 else asc - desc
    cw = W // len(text)
    d = ImageDraw.Draw(img)
    for i, ch in enumerate(text):
        d.text((i * cw, y), ch, font=fnt, fill=visible(rng, any_color, bg), anchor="ls")


def style_hutool_line(rng):
    W, H, text, bg = _hutool_setup(rng)
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    for _ in range(rng.choice([150, 150, 100, 50, 200])):  # short random-coloured strokes
        xs, ys = rng.randint(0, W - 1), rng.randint(0, H - 1)
        d.line([(xs, ys), (xs + rng.randint(0, max(0, W // 8 - 1)), ys + rng.randint(0, max(0, H // 8 - 1)))],
               fill=any_color(rng))
    _hutool_text(rng, img, text, W, H, bg)
    return text, img


def style_hutool_circle(rng):
    W, H, text, bg = _hutool_setup(rng)
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    for _ in range(rng.choice([15, 15, 10, 20, 30])):  # drawOval(rand w, rand h, rand h/2, rand h/2)
        x, y = rng.randint(0, W - 1), rng.randint(0, H - 1)
        ow, oh = rng.randint(0, max(0, H // 2 - 1)), rng.randint(0, max(0, H // 2 - 1))
        d.ellipse([x, y, x + ow, y + oh], outline=any_color(rng))
    _hutool_text(rng, img, text, W, H, bg)
    return text, img


def _hutool_shear_once(rng, a, bga, W, H):
    p = rng.randint(0, W - 1)
    rows = np.arange(H)
    dx = np.trunc((p >> 1) * np.sin(rows / p)).astype(np.int64) if p else np.zeros(H, np.int64)
    xx = np.arange(W)[None, :] - dx[:, None]
    ok = (xx >= 0) & (xx < W)
    out = np.empty_like(a)
    out[:] = bga
    yy = np.broadcast_to(rows[:, None], xx.shape)
    out[ok] = a[yy[ok], xx[ok]]
    q = rng.randint(0, max(0, (H >> 1) - 1))
    cols = np.arange(W)
    dy = np.trunc((q >> 1) * np.sin(cols / q + 2 * math.pi * 7 / 20)).astype(np.int64) if q else np.zeros(W, np.int64)
    yy = np.arange(H)[:, None] - dy[None, :]
    ok = (yy >= 0) & (yy < H)
    out2 = np.empty_like(out)
    out2[:] = bga
    xx = np.broadcast_to(cols[None, :], yy.shape)
    out2[ok] = out[yy[ok], xx[ok]]
    return out2


def style_hutool_shear(rng):
    """ShearCaptcha: text, then each row shifted by (p/2) sin(i/p) (p < width: mostly a slant), each column by
    (q/2) sin(i/q + 7/20 2pi) (q < height/2), vacated pixels in the background colour, then one thick line."""
    W, H, text, bg = _hutool_setup(rng)
    img = Image.new("RGB", (W, H), bg)
    _hutool_text(rng, img, text, W, H, bg)
    a = np.asarray(img)
    bga = np.array(bg, np.uint8)
    ink = int((a != bga).any(axis=2).sum())
    for _ in range(6):  # a shear that moves over 8% of the text off the picture is drawn again (the label would lie)
        out2 = _hutool_shear_once(rng, a, bga, W, H)
        if (out2 != bga).any(axis=2).sum() >= 0.92 * ink:
            break
    img = Image.fromarray(out2)
    # drawInterfere(0, rand(h)+1, w, rand(h)+1, thickness 4, random colour): a filled quadrilateral
    y1, y2 = rng.randint(0, H - 1) + 1, rng.randint(0, H - 1) + 1
    th = rng.choice([4, 4, 4, 2, 3, 5])
    L = math.hypot(W, y2 - y1)
    s = th / (2 * L)
    ddx, ddy = -s * (y2 - y1), s * W
    ddx += 0.5 if ddx > 0 else -0.5
    ddy += 0.5 if ddy > 0 else -0.5
    ix, iy = int(ddx), int(ddy)
    ImageDraw.Draw(img).polygon([(ix, y1 + iy), (-ix, y1 - iy), (W - ix, y2 - iy), (W + ix, y2 + iy)],
                                fill=visible(rng, any_color, bg, 40))
    return text, img


# ---------------------------------------------------------------- EasyCaptcha SpecCaptcha
EASY_ALPHA = "23456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz"


def style_easy_spec(rng):
    """SpecCaptcha (130x48, 5 chars, a bold 32 px font): 3 light lines and 8 light circles with a 1.3 px
    anti-aliased stroke, then each char in its own cell at 80% opacity, plain or italic, colour 20 + rand(110)."""
    W, H = rng.choice([(130, 48), (130, 48), (130, 48), (111, 36), (120, 40), (150, 50), (160, 60), (100, 38)])
    n = rng.choice([4, 4, 5, 5, 5, 6])
    kind = rng.random()
    pool = EASY_ALPHA if kind < 0.65 else "0123456789" if kind < 0.8 else \
        "ABCDEFGHJKMNPQRSTUVWXYZ" if kind < 0.9 else "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    text = pick_text(rng, pool, n)
    fs = 32 if H >= 44 else max(18, int(H * rng.uniform(0.6, 0.7)))
    S = 2  # the noise layer drawn at 2x and reduced: the stroke is anti-aliased and 1.3 px wide
    big = Image.new("RGB", (W * S, H * S), (255, 255, 255))
    d = ImageDraw.Draw(big)

    def col(lo, hi):
        return tuple(lo + rng.randint(0, hi - lo - 1) for _ in range(3))

    for _ in range(3):
        x1, y1 = rng.randint(-10, W - 11), rng.randint(5, H - 6)
        x2, y2 = rng.randint(10, W + 9), rng.randint(2, H - 3)
        d.line([(x1 * S, y1 * S), (x2 * S, y2 * S)], fill=col(150, 250), width=3)
    for _ in range(8):
        x, y = rng.randint(0, W - 1), rng.randint(0, H - 1)
        ow, oh = 10 + rng.randint(0, 19), 10 + rng.randint(0, 19)
        d.ellipse([x * S, y * S, (x + ow) * S, (y + oh) * S], outline=col(100, 250), width=3)
    img = big.resize((W, H), Image.BOX)
    fpath = rng.choice(gen.BOLDISH if rng.random() < 0.6 else decorative_fonts(rng))
    fnt = gen.font(fpath, fs)
    hp = (H - fs) >> 1
    h = H - hp
    w = W // n
    sp = (w - fs) // 2
    for i, ch in enumerate(text):
        x = i * w + sp + rng.randint(0, 2)
        y = h - rng.randint(3, 5)
        x = max(8, x) if x + fs <= W else W - fs
        y = min(y, H)
        if y - fs < 0:
            y = fs
        c = (20 + rng.randint(0, 109), 20 + rng.randint(0, 109), 20 + rng.randint(0, 109))
        paste_text(img, ch, fnt, x, y, c, shear=0.21 if rng.random() < 0.5 else 0.0, alpha=0.8)
    return text, img


# ---------------------------------------------------------------- Kaptcha
KAPTCHA_DEFAULT_CHARS = "abcde2345678gfynmnpwx"


def _kaptcha_config(rng, gimpy):
    c = {}
    r = rng.random()
    if r < 0.35:  # defaults
        c.update(W=200, H=50, fs=40, n=5, chars=KAPTCHA_DEFAULT_CHARS, color=(0, 0, 0), space=2,
                 border=(0, 0, 0), bg=((192, 192, 192), (255, 255, 255)), noise=(0, 0, 0))
    elif r < 0.6 and gimpy == "shadow":  # RuoYi's configuration
        c.update(W=160, H=60, fs=38, n=4, chars=KAPTCHA_DEFAULT_CHARS if rng.random() < 0.5 else "0123456789",
                 color=(0, 0, 255), space=2, border=(105, 179, 90), bg=((192, 192, 192), (255, 255, 255)),
                 noise=(0, 0, 0))
    else:  # the usual overrides people set
        W, H = rng.choice([(200, 50), (150, 50), (120, 40), (130, 45), (160, 60), (100, 40), (180, 50)])
        c.update(W=W, H=H, fs=int(H * rng.uniform(0.6, 0.8)), n=rng.choice([4, 4, 5, 5, 6]),
                 chars=rng.choice([KAPTCHA_DEFAULT_CHARS, "0123456789", "ABCDEFGHJKLMNPQRSTUVWXYZ23456789",
                                   "abcdefghijkmnpqrstuvwxyz23456789"]),
                 color=rng.choice([(0, 0, 0), (0, 0, 0), (0, 0, 255), (255, 0, 0), gen.dark_color(rng, 120)]),
                 space=rng.choice([2, 2, 3, 4, 5, 6]),
                 border=rng.choice([(0, 0, 0), (105, 179, 90), None, None]),
                 bg=rng.choice([((192, 192, 192), (255, 255, 255)), ((255, 255, 255), (255, 255, 255)),
                                (gen.light_color(rng, 200), gen.light_color(rng, 200))]),
                 noise=rng.choice([(0, 0, 0), (0, 0, 0), (0, 0, 255), gen.dark_color(rng, 150)]))
    c["fonts"] = [rng.choice(ARIAL_BOLD), rng.choice(COURIER_BOLD)]
    return c


def _kaptcha_word(rng, c, text):
    """DefaultWordRenderer: fonts chosen per char, x advances by the glyph's visual width + char space, the word
    centred horizontally, baseline at (h - fontSize)/5 + fontSize; on a transparent ARGB image."""
    W, H, fs = c["W"], c["H"], c["fs"]
    fonts = [gen.font(rng.choice(c["fonts"]), fs) for _ in text]
    widths = []
    for ch, f in zip(text, fonts):
        l, t, r, b = f.getbbox(ch, anchor="ls")
        widths.append(max(1, r - l))
    need = sum(widths) + 2 * (len(text) - 1)
    x = (W - need) // 2
    y = (H - fs) // 5 + fs
    mask = Image.new("L", (W, H), 0)
    d = ImageDraw.Draw(mask)
    for ch, f, w in zip(text, fonts, widths):
        d.text((x, y), ch, font=f, fill=255, anchor="ls")
        x += w + c["space"]
    return mask


def _colored(mask, color):
    rgba = Image.new("RGBA", mask.size, color + (0,))
    rgba.putalpha(mask)
    return rgba


def _kaptcha_noise(rng, img, c, f1, f2, f3, f4):
    """DefaultNoise: a cubic curve from x = w f1 to w f4, strokes 3.6, 2.7, 1.8 px on its first segments."""
    W, H = img.size
    p = [(W * f1, H * rng.random()), (W * f2, H * rng.random()), (W * f3, H * rng.random()), (W * f4, H * rng.random())]
    k = max(3, int(abs(p[3][0] - p[0][0]) / 12) + 2)
    pts = []
    for i in range(k + 1):
        t = i / k
        u = 1 - t
        pts.append((int(u ** 3 * p[0][0] + 3 * u * u * t * p[1][0] + 3 * u * t * t * p[2][0] + t ** 3 * p[3][0]),
                    int(u ** 3 * p[0][1] + 3 * u * u * t * p[1][1] + 3 * u * t * t * p[2][1] + t ** 3 * p[3][1])))
    d = ImageDraw.Draw(img)
    for i in range(len(pts) - 1):
        wdt = [4, 3, 2][i] if i < 3 else 2
        d.line([pts[i], pts[i + 1]], fill=c["noise"] + (255,), width=wdt, joint="curve")


def _kaptcha_finish(rng, rgba, c):
    """DefaultBackground (a gradient from colorFrom at the top left to colorTo at the bottom right) behind the
    distorted word, then the 1 px border."""
    W, H = rgba.size
    (c1, c2) = c["bg"]
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    t = np.clip((xx * W + yy * H) / float(W * W + H * H), 0, 1)[..., None]
    bg = np.array(c1, np.float32) * (1 - t) + np.array(c2, np.float32) * t
    img = Image.fromarray(bg.astype(np.uint8), "RGB").convert("RGBA")
    img = Image.alpha_composite(img, rgba).convert("RGB")
    if c["border"] is not None:
        ImageDraw.Draw(img).rectangle([0, 0, W - 1, H - 1], outline=c["border"])
    return img


def style_kaptcha_water(rng):
    """Kaptcha's default WaterRipple: jhlabs WaterFilter (amplitude 1.5, wavelength 2, phase 10, radius 50 around
    the centre) then RippleFilter (x amplitude 2.6 over wavelength 15, y 1.7 over 5), two noise curves."""
    c = _kaptcha_config(rng, "water")
    text = pick_text(rng, c["chars"], c["n"])
    mask = _kaptcha_word(rng, c, text)
    W, H = mask.size
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    rx = xx + 2.6 * np.sin(yy / 15)  # ripple (applied last, so looked up first)
    ry = yy + 1.7 * np.sin(xx / 5)
    dx, dy = rx - W * 0.5, ry - H * 0.5
    dist = np.sqrt(dx * dx + dy * dy)
    inside = dist < 50
    amount = 1.5 * np.sin(dist / 2 * 2 * np.pi - 10) * (50 - dist) / 50
    amount = np.where(inside & (dist > 0), amount * 2 / np.maximum(dist, 1e-6), 0)
    rgba = _colored(gen.remap(mask, rx + dx * amount, ry + dy * amount), c["color"])
    _kaptcha_noise(rng, rgba, c, .1, .1, .25, .25)
    _kaptcha_noise(rng, rgba, c, .1, .25, .5, .9)
    return text, _kaptcha_finish(rng, rgba, c)


def style_kaptcha_shadow(rng):
    """ShadowGimpy (RuoYi's choice): RippleFilter (x amplitude 7.6 over wavelength 8..14, y 1..2 over 2..4), a black
    shadow (blur radius 10, 5 px down, opacity 1) under the word, two noise curves."""
    c = _kaptcha_config(rng, "shadow")
    text = pick_text(rng, c["chars"], c["n"])
    mask = _kaptcha_word(rng, c, text)
    W, H = mask.size
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    yamp, xwl, ywl = rng.random() + 1.0, rng.randint(0, 6) + 8, rng.randint(0, 2) + 2
    mask = gen.remap(mask, xx + 7.6 * np.sin(yy / xwl), yy + yamp * np.sin(xx / ywl))
    sh = Image.new("L", (W, H), 0)
    sh.paste(mask.filter(ImageFilter.GaussianBlur(10 / 3)), (0, 5))
    rgba = Image.alpha_composite(_colored(sh, (0, 0, 0)), _colored(mask, c["color"]))
    _kaptcha_noise(rng, rgba, c, .1, .1, .25, .25)
    _kaptcha_noise(rng, rgba, c, .1, .25, .5, .9)
    return text, _kaptcha_finish(rng, rgba, c)


def style_kaptcha_fisheye(rng):
    """FishEyeGimpy: blue horizontal and red vertical lines every ~7 px over the word, then a fish-eye lens
    (g(s) = -3/4 s^3 + 3/2 s^2 + 1/4 s) of radius w/4..w/3 in the middle, nearest-pixel; no noise curves."""
    c = _kaptcha_config(rng, "fisheye")
    text = pick_text(rng, c["chars"], c["n"])
    rgba = _colored(_kaptcha_word(rng, c, text), c["color"])
    W, H = rgba.size
    d = ImageDraw.Draw(rgba)
    hl, vl = H // 7, W // 7
    hg, vg = max(1, H // (hl + 1)), max(1, W // (vl + 1))
    for i in range(hg, H, hg):
        d.line([(0, i), (W, i)], fill=(0, 0, 255, 255))
    for i in range(vg, W, vg):
        d.line([(i, 0), (i, H)], fill=(255, 0, 0, 255))
    a = np.asarray(rgba)
    D = float(int(W // 4 + (W // 3 - W // 4 + 1) * rng.random()))
    cx, cy = W // 2, H // 2
    yy, xx = np.mgrid[0:H, 0:W]
    rx, ry = xx - cx, yy - cy
    d1 = np.sqrt(rx * rx + ry * ry)
    s = d1 / D
    gs = np.where(s > 1, s, -0.75 * s ** 3 + 1.5 * s ** 2 + 0.25 * s)
    f = np.where(d1 > 0, gs * D / np.maximum(d1, 1e-9), 0)
    j2 = np.clip(cx + np.trunc(f * rx).astype(np.int64), 0, W - 1)
    k2 = np.clip(cy + np.trunc(f * ry).astype(np.int64), 0, H - 1)
    out = np.where((d1 < D)[..., None], a[k2, j2], a)
    return text, _kaptcha_finish(rng, Image.fromarray(out.astype(np.uint8), "RGBA"), c)


# ---------------------------------------------------------------- CodeIgniter create_captcha
CI_POOL = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def style_codeigniter(rng, _depth=0):
    """create_captcha(): 150x30, 8 chars from 0-9a-zA-Z, a pink spiral (20 turns of 32 segments) around a random
    point, the word in (204,153,153) either with a TTF font at 16 pt (x += 16, baseline h/2 .. h-3, one angle for
    the word when it has more than 6 chars) or GD's built-in font 5 (x += 10, top 0 .. h/2), a border, JPEG."""
    W, H = rng.choice([(150, 30), (150, 30), (150, 30), (150, 50), (200, 50), (160, 40), (120, 30), (180, 40)])
    L = rng.choice([8, 8, 8, 6, 5, 4])
    pool = CI_POOL if rng.random() < 0.7 else rng.choice(["0123456789", "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"])
    text = pick_text(rng, pool, L)
    if rng.random() < 0.7:
        colors = dict(bg=(255, 255, 255), border=(153, 102, 102), text=(204, 153, 153), grid=(255, 182, 182))
    else:  # the colours array people pass
        colors = dict(bg=gen.light_color(rng, 225), border=gen.rand_color(rng, 0, 200), text=gen.dark_color(rng, 150),
                      grid=gen.light_color(rng, 160))
    angle = rng.randint(-(L - 6), L - 6) if L >= 6 else 0
    x_axis = rng.randint(6, max(6, 360 // L - 16))
    y_axis = rng.randint(H, W) if angle >= 0 else rng.randint(6, H)
    img = Image.new("RGB", (W, H), colors["bg"])
    d = ImageDraw.Draw(img)
    theta, thetac, radius, circles, points = 1.0, 7.0, 16.0, 20, 32
    for i in range(circles * points - 1):
        theta += thetac
        rad = radius * (i / points)
        x, y = rad * math.cos(theta) + x_axis, rad * math.sin(theta) + y_axis
        theta += thetac
        rad1 = radius * ((i + 1) / points)
        x1, y1 = rad1 * math.cos(theta) + x_axis, rad1 * math.sin(theta) + y_axis
        theta -= thetac
        if (-5 < x < W + 5 or -5 < x1 < W + 5) and (-5 < y < H + 5 or -5 < y1 < H + 5):
            d.line([(int(x), int(y)), (int(x1), int(y1))], fill=colors["grid"])
    if rng.random() < 0.7:  # a TTF font (CI ships texb.ttf; sites pass their own)
        fnt = gen.font(rng.choice(SERIF_BOLD + ARIAL_BOLD if rng.random() < 0.6 else gen.FONTS), int(16 * GD_PT))
        x = rng.randint(0, int(W / (L / 1.5)))
        for ch in text:
            y = rng.randint(H // 2, H - 3)
            right = paste_text(img, ch, fnt, x, y, colors["text"], angle=angle)
            x += 16
    else:  # imagestring(font 5): a 9x15 bitmap font, not anti-aliased
        fnt = gen.font(rng.choice(GD_MONO), 14)
        d.fontmode = "1"
        x = rng.randint(0, int(W / (L / 3)))
        for ch in text:
            d.text((x, rng.randint(0, H // 2)), ch, font=fnt, fill=colors["text"], anchor="la")
            right = x + 9
            x += 10
    if right > W - 2 and _depth < 4:  # the last characters ran off the picture: the label would lie
        return style_codeigniter(rng, _depth + 1)
    d.rectangle([0, 0, W - 1, H - 1], outline=colors["border"])
    return text, gen.jpeg(img, rng, 75)


# ---------------------------------------------------------------- Laravel mews/captcha
MEWS_CHARS = "2346789abcdefghjmnpqrtuxyzABCDEFGHJMNPQRTUXYZ"
MEWS_FLAT_COLORS = [(0x2c, 0x3e, 0x50), (0xc0, 0x39, 0x2b), (0x16, 0xa0, 0x85), (0xc0, 0x39, 0x2b), (0x8e, 0x44, 0xad),
                    (0x30, 0x3f, 0x9f), (0xf5, 0x7c, 0x00), (0x79, 0x55, 0x48)]


def style_mews(rng):
    """mews/captcha's configurations (default 120x36 with 5 or 9 chars, flat 160x46 x6 on #ecf2f4 with its 8 colours,
    mini 60x32 x3, inverse 120x36 x5): char i top-left at (i w/len, h/len), size rand(h-10, h), angle +-15 (inverse
    12), then lines+1 random lines; the default draws over one of its background pictures."""
    cfg = rng.choice(["default", "default", "default9", "flat", "flat", "mini", "inverse"])
    W, H, L, lines, angle = 120, 36, 5, 3, 15
    bg_image, colors, invert = True, None, False
    if cfg == "default9":
        L = 9
    elif cfg == "flat":
        W, H, L, lines, bg_image, colors = 160, 46, 6, 6, False, MEWS_FLAT_COLORS
    elif cfg == "mini":
        W, H, L = 60, 32, 3
    elif cfg == "inverse":
        angle, invert = 12, True
    text = pick_text(rng, MEWS_CHARS, L)
    img = texture(rng, W, H) if bg_image else Image.new("RGB", (W, H), (0xec, 0xf2, 0xf4))
    bgc = tuple(int(v) for v in np.asarray(img).reshape(-1, 3).mean(0))

    def color(r):
        return r.choice(colors) if colors else visible(r, any_color, bgc, 70)

    fonts = gen.FONTS if rng.random() < 0.5 else _by_prefix("OpenSans-", "Roboto-", "Lato-", "DejaVuSans", "Liberation")
    mt = H / L
    for i, ch in enumerate(text):
        fnt = gen.font(rng.choice(fonts), rng.randint(H - 10, H))
        l, t, r, b = fnt.getbbox(ch, anchor="ls")
        paste_text(img, ch, fnt, i * W / L - l, mt - t, color(rng), angle=rng.randint(-angle, angle))
    d = ImageDraw.Draw(img)
    for i in range(lines + 1):
        d.line([(rng.randint(0, W) + i * rng.randint(0, H), rng.randint(0, H)), (rng.randint(0, W), rng.randint(0, H))],
               fill=color(rng))
    if invert:  # sharpen 10, blur 2, invert
        img = img.filter(ImageFilter.UnsharpMask(1, 60, 2)).filter(ImageFilter.GaussianBlur(0.8))
        img = Image.fromarray(255 - np.asarray(img))
    return text, img


# ---------------------------------------------------------------- cool-php-captcha
def _cool_text(rng, n):
    if gen.random_text is not _RANDOM_TEXT:  # an expression for synth/math.py
        return gen.random_text(rng)
    words, vocals = "abcdefghijlmnopqrstvwyz", "aeiou"
    v = rng.randint(0, 1)
    out = []
    for _ in range(n):
        out.append(rng.choice(vocals) if v else rng.choice(words))
        v = not v
    return "".join(out)


def _gd_wave_index(H, W, rng, scale, xperiod=11, xamp=5, yperiod=12, yamp=14):
    """WaveImage() as a gather index (flat, into an H x W picture): columns moved up/down by sin(k + i/xp) (in place,
    column i copied to i-1), then rows moved sideways by sin(k + i/yp); where a moved strip does not reach, the
    old pixels stay. The two passes are composed into one index."""
    flat = np.arange(H * W, dtype=np.int32).reshape(H, W)
    xp = scale * xperiod * rng.randint(1, 3)
    k = rng.randint(0, 100)
    dy = np.trunc(np.sin(k + np.arange(W) / xp) * (scale * xamp)).astype(np.int32)
    sy = np.arange(H, dtype=np.int32)[:, None] - dy[None, 1:]  # destination column c = i-1 <- column i moved by dy_i
    idx1 = flat.copy()
    idx1[:, :-1] = np.where((sy >= 0) & (sy < H), sy * W + np.arange(1, W, dtype=np.int32)[None, :], flat[:, :-1])
    k = rng.randint(0, 100)
    yp = scale * yperiod * rng.randint(1, 2)
    dx = np.trunc(np.sin(k + np.arange(H) / yp) * (scale * yamp)).astype(np.int32)
    sx = np.arange(W, dtype=np.int32)[None, :] - dx[1:, None]  # destination row r = i-1 <- row i moved by dx_i
    idx2 = flat
    idx2[:-1, :] = np.where((sx >= 0) & (sx < W), np.arange(1, H, dtype=np.int32)[:, None] * W + sx, flat[:-1, :])
    return idx1.ravel()[idx2.ravel()]


def style_coolphp(rng, _depth=0):
    """cool-php-captcha SimpleCaptcha: a 200x70 picture drawn at scale 2, a random font configuration, letters at
    rand(min, max) pt (+9% per letter short of 8) rotated +-8 deg, spaced by the font's spacing, in blue, green or
    red; optional shadow and line; the X/Y wave; reduced to size; JPEG 80. (Text and shadow are drawn as coverage
    masks, reduced, waved, then coloured.)"""
    W, H = rng.choice([(200, 70), (200, 70), (200, 70), (250, 80), (180, 60), (160, 60)])
    scale = rng.choice([2, 2, 2, 3])
    blur = scale == 3 and rng.random() < 0.7
    text = _cool_text(rng, rng.randint(5, 8))
    color = rng.choice([(27, 78, 181), (22, 163, 35), (214, 36, 7)])
    shadow = rng.random() < 0.15  # black, one (scaled) pixel right and down
    line_w = rng.choice([0, 0, 0, 0, 3])
    SW, SH = W * scale, H * scale
    ink = Image.new("L", (SW, SH), 0)
    shd = Image.new("L", (SW, SH), 0) if shadow else None
    spacing, smin, smax, fonts = rng.choice(COOL_FONTS)
    fpath = rng.choice(fonts)
    factor = 1 + (8 - len(text)) * 0.09
    x = 20 * scale
    y = round(H * 27 / 40 * scale)
    right = x
    for ch in text:
        deg = rng.randint(-8, 8)
        fnt = gen.font(fpath, max(8, int(rng.randint(smin, smax) * scale * factor * GD_PT)))
        m, ox, oy = text_mask(ch, fnt, deg)
        if shd is not None:
            shd.paste(255, (int(x - ox + scale), int(y - oy + scale), int(x - ox + scale) + m.size[0],
                            int(y - oy + scale) + m.size[1]), m)
        x0, y0 = int(round(x - ox)), int(round(y - oy))
        ink.paste(255, (x0, y0, x0 + m.size[0], y0 + m.size[1]), m)
        right = x0 + m.size[0]
        x = right + spacing * scale
    if right > SW - 8 * scale and _depth < 4:  # the word ran off (wide fonts; the wave moves it 14 px more): the label would lie
        return style_coolphp(rng, _depth + 1)
    if line_w:
        x1, y1 = SW * .15, rng.randint(int(SH * .40), int(SH * .65))
        y2 = rng.randint(int(SH * .40), int(SH * .65))
        ImageDraw.Draw(ink).line([(x1, y1), (x, y2)], fill=255, width=line_w * scale)
    # the wave moves strips of `scale` px by multiples of `scale` px on the large picture; done here after the
    # reduction with the same periods and amplitudes in output pixels (a quarter of the pixels to move)
    idx = _gd_wave_index(H, W, rng, 1)
    layers = []
    for m in (ink, shd):
        if m is None:
            continue
        if blur:
            m = m.filter(ImageFilter.GaussianBlur(1))
        m = m.resize((W, H), Image.BILINEAR, reducing_gap=2.0)
        layers.append(Image.fromarray(np.asarray(m).ravel()[idx].reshape(H, W), "L"))
    img = Image.new("RGB", (W, H), (255, 255, 255))
    if shadow:
        img.paste((0, 0, 0), (0, 0, W, H), layers[1])
    img.paste(color, (0, 0, W, H), layers[0])
    return text, gen.jpeg(img, rng, 80) if rng.random() < 0.85 else img


# ---------------------------------------------------------------- simple-php-captcha
SIMPLE_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZabcdefghjkmnprstuvwxyz23456789"


def style_simplephp(rng):
    """simple-php-captcha: one of its background pictures, the 5-char code as one string at 28 pt, angle 0..10,
    #666 with a white shadow 1 px left and down, anywhere the box fits."""
    W, H = rng.choice([(200, 80), (200, 80), (180, 70), (220, 80), (200, 60)])
    text = pick_text(rng, SIMPLE_CHARS, rng.choice([5, 5, 5, 4, 6]))
    img = texture(rng, W, H)
    size = rng.choice([28, 28, 28, 24, 22])
    fnt = gen.font(rng.choice(SERIF_REG if rng.random() < 0.7 else gen.FONTS), int(size * GD_PT))
    ang = rng.randint(0, 10)
    color = (0x66, 0x66, 0x66) if rng.random() < 0.7 else gen.dark_color(rng, 120)
    l, t, r, b = fnt.getbbox(text, anchor="ls")
    bw = r - l
    bh = b - t
    tx = rng.randint(0, max(0, W - bw))
    ty = rng.randint(min(bh, H - 2), max(min(bh, H - 2), int(H - bh / 2)))
    ty = min(ty, H - max(2, b))
    if rng.random() < 0.9:
        paste_text(img, text, fnt, tx - 1, ty + 1, (255, 255, 255), angle=ang)
    paste_text(img, text, fnt, tx, ty, color, angle=ang)
    return text, img


# ---------------------------------------------------------------- Python captcha (lepture/captcha ImageCaptcha)
PY_MONO = _by_name("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf", "NotoSansMono-Regular.ttf")  # ~DroidSansMono


def _py_glyph(rng, ch, fnt, color):
    """One character as ImageCaptcha draws it: the text at a small random offset on a transparent tile, cropped to
    its ink, turned -30..30 degrees (tile expanded), then squeezed back into the unturned text's box through a
    random quadrilateral (its warp: up to w*0.2+0.1 px across, h*0.1+0.2 px down). RGBA."""
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    _, _, w, h = probe.multiline_textbbox((1, 1), ch, font=fnt)
    w, h = max(1, int(w)), max(1, int(h))
    dx1, dy1 = rng.randint(0, 4), rng.randint(0, 6)
    tile = Image.new("RGBA", (w + dx1, h + dy1))
    ImageDraw.Draw(tile).text((dx1, dy1), ch, font=fnt, fill=color)
    box = tile.getbbox()
    if box:
        tile = tile.crop(box)
    tile = tile.rotate(rng.uniform(-30, 30), Image.BILINEAR, expand=True)
    # the generator's warp ranges are w*U*(0.3-0.1)+0.1 and h*U*(0.3-0.2)+0.2 (its parentheses as written)
    dx2, dy2 = w * rng.random() * 0.2 + 0.1, h * rng.random() * 0.1 + 0.2
    x1, y1 = int(rng.uniform(-dx2, dx2)), int(rng.uniform(-dy2, dy2))
    x2, y2 = int(rng.uniform(-dx2, dx2)), int(rng.uniform(-dy2, dy2))
    w2, h2 = w + abs(x1) + abs(x2), h + abs(y1) + abs(y2)
    quad = (x1, y1, -x1, h2 - y2, w2 + x2, h2 + y2, w2 - x2, -y1)
    return tile.resize((w2, h2)).transform((w, h), Image.QUAD, quad)


def style_pycaptcha_lib(rng):
    """Python `captcha`'s ImageCaptcha (default 160x60, font sizes 42/50/56, DroidSansMono or the user's fonts): a
    blank glyph (a space) before each character half the time; glyphs overlap by up to a quarter of their mean
    width; text wider than the canvas widens it, then the picture is squeezed back to 160 px. Each glyph is pasted
    through its luminance x 1.97 as mask, so dark text colours come out faint. 30 dots (3 px strokes) and one arc
    in the text colour, then PIL's SMOOTH filter."""
    W, H = (160, 60) if rng.random() < 0.7 else rng.choice([(200, 60), (170, 60), (280, 90), (120, 40)])
    sizes = [int(s * H / 60) for s in (42, 50, 56)]
    fonts = PY_MONO if rng.random() < 0.6 else gen.FONTS
    n = rng.choice([4, 4, 5, 6]) if rng.random() < 0.8 else rng.randint(3, 8)
    text = gen.random_text(rng, rng.choice(["digits", "all", "upper_digits", "lower_digits"]), n)
    bg = tuple(rng.randint(238, 255) for _ in range(3))
    color = tuple(rng.randint(10, 200) for _ in range(3)) + (rng.randint(220, 255),)
    pieces = []
    for ch in text:
        for c in ((" ", ch) if rng.random() > 0.5 else (ch,)):
            fnt = gen.font(rng.choice(fonts), rng.choice(sizes))
            pieces.append(_py_glyph(rng, c, fnt, color))
    text_w = sum(p.size[0] for p in pieces)
    width = max(text_w, W)
    img = Image.new("RGB", (width, H), bg)
    average = int(text_w / len(text))
    overlap, x = int(0.25 * average), int(average * 0.1)
    lut = [min(255, int(i * 1.97)) for i in range(256)]
    for p in pieces:
        mask = p.convert("L").point(lut)
        img.paste(p.convert("RGB"), (x, int((H - p.size[1]) / 2)), mask)
        x += p.size[0] - rng.randint(0, overlap)
    if width > W:
        img = img.resize((W, H))
    d = ImageDraw.Draw(img)
    rgb = color[:3]
    for _ in range(30):
        px, py = rng.randint(0, W), rng.randint(0, H)
        d.line(((px, py), (px - 1, py - 1)), fill=rgb, width=3)
    x1 = rng.randint(0, W // 5)
    x2 = rng.randint(0, W - W // 5) + W // 5
    y1 = rng.randint(0, H - 2 * (H // 5)) + H // 5
    y2 = rng.randint(0, H - y1 - H // 5) + y1
    d.arc([x1, y1, x2, y2], rng.randint(0, 20), rng.randint(160, 200), fill=rgb)
    img = img.filter(ImageFilter.SMOOTH)
    return text, gen.jpeg(img, rng, rng.randint(60, 95)) if rng.random() < 0.2 else img


# ---------------------------------------------------------------- django-simple-captcha (captcha_image view)
def style_django_simple(rng):
    """django-simple-captcha's image view with its defaults (Vera 22 -> DejaVu Sans, four letters upper-cased,
    #001100 on white): each letter drawn as " X " on its own tile, turned -35..34 degrees inside the tile (corners
    cut off), cropped to its ink and pasted 4 px from the top, 2 px after the previous one; the canvas twice the
    text's width and 1.4 times its height, cut after the last letter; an arc and two long lines, dots on a tenth of
    the pixels, all in the text colour, then SMOOTH. Sometimes as sites configure it: letters and digits, other
    lengths, sizes, colours, the 2x image, a fixed image size, no noise."""
    fonts = JAVA_SANS if rng.random() < 0.7 else gen.FONTS
    scale = 2 if rng.random() < 0.15 else 1
    fnt = gen.font(rng.choice(fonts), (22 if rng.random() < 0.6 else rng.randint(18, 36)) * scale)
    n = 4 if rng.random() < 0.7 else rng.randint(4, 8)
    text = gen.random_text(rng, "upper" if rng.random() < 0.7 else "upper_digits", n)
    fg = (0x00, 0x11, 0x00) if rng.random() < 0.6 else gen.dark_color(rng, 120)
    bg = (255, 255, 255) if rng.random() < 0.8 else gen.light_color(rng, 215)
    left, top, right, bottom = fnt.getbbox(text)
    fixed = rng.random() < 0.2
    size = ((right - left) * 2, int((bottom - top) * 1.4))
    if fixed:
        size = (max(size[0] // 2 + 30, rng.randint(100, 160)) * scale, max(size[1], rng.randint(30, 50) * scale))
    img = Image.new("RGB", size, bg)
    x = 2
    for ch in text:
        _, _, cw, ch_h = fnt.getbbox(f" {ch} ")
        tile = Image.new("L", (max(1, cw), max(1, ch_h)), 0)
        ImageDraw.Draw(tile).text((0, 0), f" {ch} ", font=fnt, fill=255)
        tile = tile.rotate(rng.randrange(-35, 35), resample=Image.BICUBIC, expand=False)
        box = tile.getbbox()
        if box:
            tile = tile.crop(box)
        mask = Image.new("L", size, 0)
        mask.paste(tile, (x, 4))
        img = Image.composite(Image.new("RGB", size, fg), img, mask)
        x += 2 + tile.size[0]
    if fixed:
        out = Image.new("RGB", size, bg)
        out.paste(img, (int((size[0] - x) / 2), int((size[1] - tile.size[1]) / 2 - 4)))
        img = out
    else:
        img = img.crop((0, 0, min(size[0], x + 1), size[1]))
    W, H = img.size
    d = ImageDraw.Draw(img)
    if rng.random() < 0.9:
        d.arc([-20, -20, W, 20], 0, 295, fill=fg)
        d.line([-20, 20, W + 20, H - 20], fill=fg)
        d.line([-20, 0, W + 20, H], fill=fg)
        a = np.asarray(img).copy()
        ys, xs = np.random.default_rng(rng.getrandbits(32)).integers(0, [H, W], size=(int(W * H * 0.1), 2)).T
        a[ys, xs] = fg
        img = Image.fromarray(a)
    return text, img.filter(ImageFilter.SMOOTH)


# ---------------------------------------------------------------- Gregwar/Captcha (CaptchaBuilder::build)
def _gregwar_line(rng, d, W, H, color):
    """CaptchaBuilder::drawLine: half the time across (left half to right half), else down; 1-3 px."""
    if rng.random() < 0.5:
        pts = (rng.randint(0, W // 2), rng.randint(0, H), rng.randint(W // 2, W), rng.randint(0, H))
    else:
        pts = (rng.randint(0, W), rng.randint(0, H // 2), rng.randint(0, W), rng.randint(H // 2, H))
    d.line(pts, fill=color, width=rng.randint(1, 3))


def _gregwar_distort(rng, img, bg):
    """CaptchaBuilder::distort: a radial ripple about a random point (r -> r + 4 sin(r/30)) and a vertical sine
    (amplitude 1.1-1.43 px, period 2*pi/0.2 px), read back bilinearly; what falls outside is the background."""
    W, H = img.size
    cx, cy, phase, scale = rng.randint(0, W), rng.randint(0, H), rng.randint(0, 10), 1.1 + rng.randint(0, 10000) / 30000
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    vx, vy = xs - cx, ys - cy
    vn = np.hypot(vx, vy)
    k = np.where(vn > 0, (vn + 4 * np.sin(vn / 30)) / np.where(vn > 0, vn, 1), 1.0)
    nx, ny = cx + vx * k, cy + vy * k
    ny = ny + scale * np.sin(phase + nx * 0.2)
    padded = Image.new("RGB", (W + 2, H + 2), bg)
    padded.paste(img, (1, 1))
    return gen.remap(padded, np.clip(nx + 1, 0, W + 1), np.clip(ny + 1, 0, H + 1))


def _gd_contrast(a, c):
    """GD's IMG_FILTER_CONTRAST: ((v/255 - 0.5) * ((100 - c)/100)^2 + 0.5) * 255, clamped."""
    k = ((100 - c) / 100.0) ** 2
    return np.clip(((a / 255.0 - 0.5) * k + 0.5) * 255.0, 0, 255)


def _gregwar_post(rng, img):
    """CaptchaBuilder::postEffect (default colours): negate half the time, edge-detect one time in 11, contrast
    -50..10, colourise one time in 6."""
    a = np.asarray(img, np.float64)
    if rng.randint(0, 1) == 0:
        a = 255 - a
    if rng.randint(0, 10) == 0:
        edge = Image.fromarray(a.astype(np.uint8)).filter(ImageFilter.Kernel((3, 3), [-1, 0, -1, 0, 4, 0, -1, 0, -1], 1, 127))
        a = np.asarray(edge, np.float64)
    a = _gd_contrast(a, rng.randint(-50, 10))
    if rng.randint(0, 5) == 0:
        a = np.clip(a + np.array([rng.randint(-80, 50) for _ in range(3)]), 0, 255)
    return Image.fromarray(a.astype(np.uint8))


def style_gregwar_builder(rng):
    """Gregwar/Captcha's CaptchaBuilder::build with its defaults: 150x40, five characters of
    `abcdefghijklmnpqrstuvwxyz123456789` (PhraseBuilder), a light background, 2-3 lines behind the text (black: the
    builder reads its unset line colour as 0), the phrase at width/length - 1..4 points, each letter turned -8..8
    degrees and moved -5..5 px up or down, in one colour (0-150 a channel), 2-3 lines in the text colour over it,
    the ripple distortion, then the post effects; JPEG 90. One of six bundled fonts -> any of ours."""
    W, H = (150, 40) if rng.random() < 0.75 else rng.choice([(120, 40), (180, 50), (200, 60), (100, 30)])
    n = 5 if rng.random() < 0.7 else rng.randint(4, 7)
    pool = "abcdefghijklmnpqrstuvwxyz123456789" if rng.random() < 0.8 else gen.CHARSET
    text = "".join(rng.choice(pool) for _ in range(n))
    bg = tuple(rng.randint(200, 255) for _ in range(3))
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    square = W * H
    for _ in range(rng.randint(square // 3000, square // 2000)):
        _gregwar_line(rng, d, W, H, (0, 0, 0))
    fpath = rng.choice(gen.FONTS)
    size = W / n - rng.randint(0, 3) - 1
    fnt = gen.font(fpath, max(8, int(round(size * GD_PT))))
    left, top, right, bottom = fnt.getbbox(text)
    x = (W - (right - left)) / 2
    y = (H - (bottom - top)) / 2 + size  # the baseline, as the builder places it (its point size added as pixels)
    col = tuple(rng.randint(0, 150) for _ in range(3))
    for ch in text:
        l, _, r, _ = fnt.getbbox(ch)
        paste_text(img, ch, fnt, x, y + rng.randint(-5, 5), col, angle=rng.randint(-8, 8))
        x += r - l
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(square // 3000, square // 2000)):
        _gregwar_line(rng, d, W, H, col)
    img = _gregwar_distort(rng, img, bg)
    img = _gregwar_post(rng, img)
    return text, gen.jpeg(img, rng, 90)


# ---------------------------------------------------------------- rucaptcha (ext/rucaptcha/src/captcha.rs)
RUCAPTCHA_CHARS = "23456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz"
RUCAPTCHA_COLORS = [(197, 166, 3), (187, 87, 5), (176, 7, 7), (186, 9, 56), (204, 11, 143), (124, 10, 190),
                    (87, 0, 200), (61, 86, 168), (63, 166, 126), (69, 187, 48), (105, 208, 3), (160, 208, 3),
                    (216, 219, 2), (50, 50, 50)]
RUCAPTCHA_FONTS = _by_prefix("handlee-latin", "patrick-hand-latin", "indie-flower-latin", "kalam-latin", "schoolbell-latin")


def _ru_colors(rng, n):
    start = rng.randint(0, len(RUCAPTCHA_COLORS))
    return [RUCAPTCHA_COLORS[(start + i) % len(RUCAPTCHA_COLORS)] for i in range(n)]


def style_rucaptcha(rng):
    """rucaptcha's CaptchaBuilder with its defaults: 220x70 white, four of its 54 characters, 45 px type (55 for
    up to three, 32 for six or more) squeezed to xscale = 36-45 px wide and h - 0..14 px tall, the i-th letter at
    x = 10 + i*(w-20)/n, y = h/3 - 15, each drawn 1-4 times a few px apart (a smeared, bolder stroke) in colours
    that follow its palette from a random start; behind the text one cubic curve and one filled disc (r 10-20) per
    letter in a second run of the palette. Handlee / Fuzzy Bubbles -> our handwritten fonts. Sometimes its
    `noise` option (gaussian noise)."""
    W, H = (220, 70) if rng.random() < 0.8 else rng.choice([(160, 50), (200, 60), (240, 80)])
    n = 4 if rng.random() < 0.75 else rng.randint(3, 6)
    text = "".join(rng.choice(RUCAPTCHA_CHARS) for _ in range(n))
    img = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(img)
    scale = 55 if n <= 3 else 45 if n <= 5 else 32
    colors, line_colors = _ru_colors(rng, n), _ru_colors(rng, n)
    xscale = scale - rng.randint(0, int(scale * 0.2))
    yscale = H - rng.randint(0, int(H * 0.2))
    for lc in line_colors:
        y1 = 5 + rng.randint(0, H // 2 - 5)
        ctrl = [(rng.uniform(W / 6, W * 3 / 4), rng.uniform(5, H - 5)), (rng.uniform(W / 12, W * 3 / 12), rng.uniform(5, H - 5))]
        p0, p3 = (5.0, y1), (W - 5.0, 5 + rng.randint(0, H - 10))
        pts = [((1 - t) ** 3 * p0[0] + 3 * (1 - t) ** 2 * t * ctrl[0][0] + 3 * (1 - t) * t ** 2 * ctrl[1][0] + t ** 3 * p3[0],
                (1 - t) ** 3 * p0[1] + 3 * (1 - t) ** 2 * t * ctrl[0][1] + 3 * (1 - t) * t ** 2 * ctrl[1][1] + t ** 3 * p3[1])
               for t in np.linspace(0, 1, 60)]
        d.line(pts, fill=lc, width=1)
        r = 10 + rng.randint(0, 10)
        cx, cy = rng.randint(0, W - 25), rng.randint(0, H - 15)
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=lc)
    fnt = gen.font(rng.choice(RUCAPTCHA_FONTS), int(yscale))
    step, y = (W - 20) // n, H // 3 - 15
    for i, (ch, col) in enumerate(zip(text, colors)):
        _, _, r, b = fnt.getbbox(ch)
        tile = Image.new("L", (max(1, r), max(1, b)), 0)
        ImageDraw.Draw(tile).text((0, 0), ch, font=fnt, fill=255)
        tile = tile.resize((max(1, int(tile.size[0] * xscale / yscale)), tile.size[1]), Image.BILINEAR)
        # the ink kept on the canvas (our fonts sit lower in their box than its two): a cut-off j reads as i
        top = min(y, H - 2 - tile.size[1])
        for j in range(rng.randint(0, 3) + 1):
            off = j * rng.randint(0, 2)
            img.paste(col, (10 + off + i * step, top), tile)
    if rng.random() < 0.2:
        a = np.asarray(img, np.float32) + np.random.default_rng(rng.getrandbits(32)).normal(4, 40, (H, W, 1))
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return text, img


IMITATION_STYLES = {
    "b64_string": (style_b64_string, 0.8),
    "dotdigits": (style_dotdigits, 0.6),
    "hutool_line": (style_hutool_line, 0.5),
    "hutool_circle": (style_hutool_circle, 0.5),
    "hutool_shear": (style_hutool_shear, 0.6),
    "easy_spec": (style_easy_spec, 0.7),
    "kaptcha_water": (style_kaptcha_water, 0.6),
    "kaptcha_shadow": (style_kaptcha_shadow, 0.6),
    "kaptcha_fisheye": (style_kaptcha_fisheye, 0.5),
    "codeigniter": (style_codeigniter, 0.7),
    "mews": (style_mews, 0.8),
    "coolphp": (style_coolphp, 0.7),
    "simplephp": (style_simplephp, 0.5),
    "pycaptcha_lib": (style_pycaptcha_lib, 1.0),
    "django_simple": (style_django_simple, 1.0),
    "gregwar_builder": (style_gregwar_builder, 1.0),
    "rucaptcha": (style_rucaptcha, 0.8),
}
