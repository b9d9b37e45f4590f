"""Glyphs as solid 3-D blocks seen in perspective, after zhihu's bold captcha style (2018): each heavy sans glyph
is extruded backwards, turned (yaw, pitch, roll) and projected through a pinhole camera, so its white face is
foreshortened and its dark, grainy sides show above and to the left of it (most images) or elsewhere; the sides'
grain runs along the extrusion, the letters' holes show their inner walls, and the face has a thin, often light,
outline. Glyphs are drawn left to right, each over the one before, at 2x, then reduced to 16 grays as the GIF is.

The projection is exact per layer: every slice of the extrusion at depth z is a plane, whose image is a homography
of the glyph mask (`Image.transform(PERSPECTIVE)`), painted back to front."""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from . import gen


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch), math.cos(roll), math.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


def _perspective_coeffs(src: np.ndarray, dst: np.ndarray) -> tuple:
    """PIL's PERSPECTIVE data (it maps output to input): the homography taking the 4 `dst` points to `src`."""
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return tuple(np.linalg.solve(np.array(a, float), np.array(b, float)))


class _Camera:
    """Projects the glyph plane at depth z (glyph pixels, origin at the mask's centre) onto the output tile."""

    def __init__(self, rot: np.ndarray, focal: float, size: tuple[int, int]):
        self.rot, self.focal, self.w, self.h = rot, focal, size[0], size[1]
        self.offset = np.zeros(2)

    def corners(self, z: float) -> np.ndarray:
        w, h = self.w, self.h
        pts = np.array([[-w / 2, -h / 2, z], [w / 2, -h / 2, z], [w / 2, h / 2, z], [-w / 2, h / 2, z]]) @ self.rot.T
        return self.focal * pts[:, :2] / (pts[:, 2:] + self.focal) + self.offset

    def warp(self, img: Image.Image, z: float, out: tuple[int, int]) -> Image.Image:
        src = np.array([[0, 0], [self.w, 0], [self.w, self.h], [0, self.h]], float)
        return img.transform(out, Image.PERSPECTIVE, _perspective_coeffs(src, self.corners(z)), Image.BILINEAR)


def block(rng, ch: str, fpath: str, size: int, recede: tuple[float, float], g,
          shear: float = 0.0) -> tuple[Image.Image, Image.Image]:
    """One glyph block (its face sheared by `shear`): returns (L image, coverage mask), the tile just large enough
    to hold it."""
    mask = gen.glyph_mask(ch, gen.font(fpath, size), shear=shear)
    mask = mask.filter(ImageFilter.MaxFilter(rng.choice([1, 3, 3, 5])))  # heavier than the font
    w, h = mask.size
    yaw, pitch = recede[0] * rng.uniform(0.6, 1.3), recede[1] * rng.uniform(0.5, 1.4)
    cam = _Camera(_rotation(yaw, pitch, math.radians(rng.uniform(-22, 22))), h * rng.uniform(2.5, 7), (w, h))
    depth = h * rng.uniform(0.18, 0.4)
    pts = np.vstack([cam.corners(0), cam.corners(depth)])
    lo, hi = pts.min(0), pts.max(0)
    cam.offset = -lo + 2
    out = (int(hi[0] - lo[0]) + 5, int(hi[1] - lo[1]) + 5)
    # the sides' grain: fixed on the glyph (each layer shows the same grain: streaks along the extrusion) or
    # fixed on the picture (plain grain)
    streaks = rng.random() < 0.3
    tw, th = (w, h) if streaks else out
    grain = rng.choice([1, 2, 2, 3])
    dark = g.random((th // grain + 1, tw // grain + 1)) >= rng.uniform(0.05, 0.55)  # zhihu's: often half light
    tex = Image.fromarray(np.where(dark, rng.randint(0, 50), 255).astype(np.uint8)).resize((tw, th), Image.NEAREST)
    img, side = Image.new("L", out, 255), Image.new("L", out, 0)
    step = max(1.0, depth / 12)
    z = depth
    while z > 0.5:
        layer = cam.warp(mask, z, out).point(lambda v: 255 if v > 100 else 0)
        if streaks:
            img.paste(cam.warp(tex, z, out), (0, 0), layer)
        side = ImageChops.lighter(side, layer)
        z -= step
    if not streaks:
        img.paste(tex, (0, 0), side)
    face = cam.warp(mask, 0, out).point(lambda v: 255 if v > 110 else 0)
    img.paste(255, (0, 0), face)
    edge = ImageChops.subtract(face, face.filter(ImageFilter.MinFilter(rng.choice([3, 3, 5]))))
    img.paste(rng.choice([0, rng.randint(30, 120), rng.randint(30, 120)]), (0, 0), edge)
    specks = Image.fromarray(((g.random((out[1], out[0])) < rng.uniform(0.0, 0.04)) * 255).astype(np.uint8))
    img.paste(0, (0, 0), ImageChops.multiply(specks, face))
    return img, ImageChops.lighter(face, side)


def heavy_sans() -> list[str]:
    serif = ("C059", "NimbusRoman", "P052", "Caladea", "Serif", "Mono", "Italic", "Oblique", "Slab")
    picked = [f for f in gen.BOLDISH if any(k in f.rsplit("/", 1)[-1] for k in ("Black", "Heavy", "Bold"))
              and not any(k in f.rsplit("/", 1)[-1] for k in serif)]
    return picked or gen.BOLDISH


def _fit(tile: tuple[Image.Image, Image.Image], height: int) -> tuple[Image.Image, Image.Image]:
    """A block no taller than the canvas (shrunk whole, never cut off)."""
    img, cover = tile
    if img.size[1] <= height:
        return tile
    size = (max(1, img.size[0] * height // img.size[1]), height)
    return img.resize(size, Image.BILINEAR), cover.resize(size, Image.BILINEAR)


def render(rng, text: str, W: int, H: int) -> Image.Image:
    """The whole captcha: glyph blocks side by side, later ones over earlier ones, 16 grays (or 2, or smooth)."""
    S = 2
    g = np.random.default_rng(rng.getrandbits(32))
    fpath = rng.choice(heavy_sans())
    # mostly zhihu's look (sides up and to the left: yaw < 0 shows the left side, pitch > 0 the top)
    if rng.random() < 0.75:
        recede = (-math.radians(rng.uniform(18, 45)), math.radians(rng.uniform(5, 25)))
    else:
        recede = (math.radians(rng.uniform(-35, 35)), math.radians(rng.uniform(-25, 25)))
    if rng.random() < 0.5:  # zhihu's: tall leaning glyphs, each well over the one before
        size, step, shear = int(H * S * rng.uniform(0.85, 1.0)), rng.uniform(0.55, 0.75), rng.uniform(-0.35, 0.35)
    else:
        size, step, shear = int(H * S * rng.uniform(0.75, 1.0)), rng.uniform(0.62, 0.85), 0.0
    tiles = [_fit(block(rng, ch, fpath, int(size * rng.uniform(0.9, 1.1)), recede, g, shear), H * S) for ch in text]
    widths = [t.size[0] for t, _ in tiles]
    total = int(sum(widths[:-1]) * step + widths[-1])
    canvas = Image.new("L", (max(W * S, total + 8), H * S), 255)
    x = (canvas.size[0] - total) * rng.uniform(0.2, 0.8)
    for img, cover in tiles:
        y = (H * S - img.size[1]) / 2 + rng.uniform(-0.08, 0.08) * H * S
        canvas.paste(img, (int(x), int(y)), cover)
        x += img.size[0] * step
    out = canvas.resize((W, H), Image.BILINEAR)
    r = rng.random()
    if r < 0.65:  # a 16-gray palette, as zhihu's GIFs are
        out = out.point(lambda v: min(255, int(round(v / 17)) * 17))
    elif r < 0.85:
        t = rng.randint(130, 190)
        out = out.point(lambda v: 0 if v < t else 255)
    return out.convert("RGB")
