import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidImageError } from '../../src/core/errors.js';
import {
  cropRows,
  decodeToRgba,
  flattenToGray,
  preprocess,
  rank3x3,
  resizeBilinearPil,
  roundHalfEven,
  targetWidth,
  toModelInput,
  type ModelSpec,
} from '../../src/solvers/offline/index.js';
import { imageBytes, type ViewFilter } from '../../src/solvers/offline/preprocess.js';

const SPEC: Pick<ModelSpec, 'height' | 'minWidth' | 'maxWidth' | 'widthMultiple' | 'mean' | 'std'> = {
  height: 32, minWidth: 32, maxWidth: 320, widthMultiple: 8, mean: 0.5, std: 0.5,
};

const gray = (data: number[], width: number, height: number) => ({ data: Uint8Array.from(data), width, height });

/** A tiny 24-bit or 8-bit BMP, bottom-up, written by hand. */
function bmp(width: number, height: number, pixel: (x: number, y: number) => [number, number, number], bpp: 24 | 8 = 24, topDown = false): Buffer {
  const palette: [number, number, number][] = [];
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const paletteBytes = bpp === 8 ? 256 * 4 : 0;
  const offset = 54 + paletteBytes;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'ascii');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      if (bpp === 24) {
        buf[row + x * 3] = b; buf[row + x * 3 + 1] = g; buf[row + x * 3 + 2] = r;
      } else {
        let i = palette.findIndex((p) => p[0] === r && p[1] === g && p[2] === b);
        if (i < 0) i = palette.push([r, g, b]) - 1;
        buf[row + x] = i;
      }
    }
  }
  palette.forEach(([r, g, b], i) => {
    buf[54 + i * 4] = b; buf[54 + i * 4 + 1] = g; buf[54 + i * 4 + 2] = r;
  });
  return buf;
}

describe('flattenToGray', () => {
  it('composites alpha onto white and applies PIL luma', () => {
    const rgba = Uint8Array.from([
      255, 0, 0, 255, // red → 76
      0, 255, 0, 255, // green → 150
      0, 0, 255, 255, // blue → 29
      0, 0, 0, 0, // transparent → white
      0, 0, 0, 128, // half-transparent black → 127
      10, 20, 30, 255,
    ]);
    const g = flattenToGray({ data: rgba, width: 6, height: 1 });
    expect(Array.from(g.data)).toEqual([76, 150, 29, 255, 127, 18]);
  });
});

describe('resizeBilinearPil (matches Pillow 9.4 Image.resize(..., BILINEAR))', () => {
  it('upscales 2→4 like PIL', () => {
    expect(Array.from(resizeBilinearPil(gray([0, 255], 2, 1), 4, 1).data)).toEqual([0, 64, 191, 255]);
  });
  it('antialiases when downscaling (support grows with the scale)', () => {
    // plain bilinear sampling would give 0/255-ish values here; PIL averages the neighbourhood
    expect(Array.from(resizeBilinearPil(gray([0, 255, 0, 255, 0, 255, 0, 255], 8, 1), 2, 1).data)).toEqual([118, 137]);
  });
  it('matches PIL on random 2-D images (values computed with Pillow 9.4)', () => {
    const a = gray([139, 74, 229, 241, 169, 65, 6, 160, 149, 106, 38, 175, 188, 205, 175, 229, 98, 249], 6, 3);
    expect(Array.from(resizeBilinearPil(a, 4, 2).data)).toEqual([96, 167, 168, 112, 145, 175, 145, 167]);
    const b = gray([95, 86, 147, 198, 66, 39, 106, 213, 171, 45, 167, 57, 69, 81, 55, 14, 153, 178, 215, 76, 52, 39, 250, 72, 215, 50, 161, 223, 112, 172, 161, 233, 38, 17, 89], 7, 5);
    expect(Array.from(resizeBilinearPil(b, 11, 3).data)).toEqual([146, 135, 121, 108, 133, 185, 107, 59, 53, 76, 95, 87, 93, 103, 108, 137, 184, 158, 129, 98, 95, 96, 81, 137, 198, 146, 160, 225, 109, 53, 76, 116, 146]);
  });
  it('returns a copy when the size is unchanged', () => {
    const a = gray([1, 2, 3, 4], 2, 2);
    const r = resizeBilinearPil(a, 2, 2);
    expect(Array.from(r.data)).toEqual([1, 2, 3, 4]);
    expect(r.data).not.toBe(a.data);
  });
});

describe('targetWidth / toModelInput', () => {
  it('keeps aspect with Python rounding and clamps to [minWidth, maxWidth]', () => {
    expect(targetWidth(200, 50, SPEC)).toBe(128);
    expect(targetWidth(72, 24, SPEC)).toBe(96);
    expect(roundHalfEven(12.5)).toBe(12);
    expect(roundHalfEven(13.5)).toBe(14);
    expect(targetWidth(125, 64, { height: 32, minWidth: 1, maxWidth: 0 })).toBe(62); // 62.5 → 62
    expect(targetWidth(10, 50, SPEC)).toBe(32); // 6.4 → clamped up
    expect(targetWidth(2000, 50, SPEC)).toBe(320); // 1280 → clamped down
  });

  it('resizes to the model height, right-pads with white to the width multiple and normalises', () => {
    // 100x32 image: left half black, right half white → width stays 100, padded to 104
    const data = new Uint8Array(100 * 32);
    for (let y = 0; y < 32; y++) for (let x = 50; x < 100; x++) data[y * 100 + x] = 255;
    const input = toModelInput({ data, width: 100, height: 32 }, SPEC);
    expect(input.height).toBe(32);
    expect(input.contentWidth).toBe(100);
    expect(input.width).toBe(104);
    expect(input.data.length).toBe(104 * 32);
    expect(input.data[0]).toBe(-1); // black: (0 - 0.5) / 0.5
    expect(input.data[60]).toBe(1); // white
    expect(input.data[103]).toBe(1); // padding is white
    expect(input.data[31 * 104 + 101]).toBe(1);
    // a 1 px wide, very tall strip would need a huge intermediate buffer: refused, typed
    expect(() => toModelInput({ data: new Uint8Array(100_000), width: 1, height: 100_000 }, SPEC, 1_000_000)).toThrow(InvalidImageError);
    const mid = toModelInput(gray([128], 1, 1), { ...SPEC, minWidth: 1, widthMultiple: 1 });
    expect(mid.data[0]).toBeCloseTo((128 / 255 - 0.5) / 0.5, 6);
  });
});

describe('cropRows (a second look cropped in height)', () => {
  it("cuts round-half-even(height * crop) rows off the top and as many off the bottom, as PIL's crop does", () => {
    const img = gray(Array.from({ length: 3 * 10 }, (_, i) => Math.floor(i / 3)), 3, 10); // row y holds y
    const c = cropRows(img, 0.16); // 1.6 → 2 rows each side
    expect([c.width, c.height]).toEqual([3, 6]);
    expect(Array.from(c.data)).toEqual(Array.from({ length: 18 }, (_, i) => 2 + Math.floor(i / 3)));
    expect(cropRows(img, 0.25).height).toBe(6); // 2.5 → 2 rows each side (half to even)
    expect(cropRows(img, 0.35).height).toBe(2); // 3.5 → 4 rows each side
    expect(cropRows(img, 0.04)).toBe(img); // 0.4 → nothing to cut
    expect(cropRows(gray([0, 0], 1, 2), 0.3)).toEqual(gray([0, 0], 1, 2)); // 0.6 → 1 each side would leave no row
  });
});

describe('rank3x3 and filtered views (a second look through a filter)', () => {
  const W = 255, D = 0;
  it("'thin' keeps the lightest of each 3x3 neighbourhood, 'median' the median: a one-pixel line vanishes under both", () => {
    // 5x5 white with a dark one-pixel row 2 and a dark 3-row bar in a 5x7 image
    const line = gray(Array.from({ length: 25 }, (_, i) => (Math.floor(i / 5) === 2 ? D : W)), 5, 5);
    expect(Array.from(rank3x3(line, 'thin').data)).toEqual(Array(25).fill(W));
    expect(Array.from(rank3x3(line, 'median').data)).toEqual(Array(25).fill(W));
    const bar = gray(Array.from({ length: 35 }, (_, i) => (Math.floor(i / 5) >= 2 && Math.floor(i / 5) <= 4 ? D : W)), 5, 7);
    const rows = (img: { data: Uint8Array }) => Array.from({ length: 7 }, (_, y) => img.data[y * 5 + 2]);
    expect(rows(rank3x3(bar, 'thin'))).toEqual([W, W, W, D, W, W, W]); // thinned to its middle row
    expect(rows(rank3x3(bar, 'median'))).toEqual([W, W, D, D, D, W, W]); // keeps its width
  });

  it("'thick' keeps the darkest: a one-pixel line grows to three rows, a light hole in a dark bar closes", () => {
    const line = gray(Array.from({ length: 25 }, (_, i) => (Math.floor(i / 5) === 2 ? D : W)), 5, 5);
    const column = (img: { data: Uint8Array }, n: number) => Array.from({ length: n }, (_, y) => img.data[y * 5 + 2]);
    expect(column(rank3x3(line, 'thick'), 5)).toEqual([W, D, D, D, W]);
    const holed = gray(Array.from({ length: 25 }, (_, i) => (i === 12 ? W : D)), 5, 5);
    expect(Array.from(rank3x3(holed, 'thick').data)).toEqual(Array(25).fill(D));
  });

  it('matches a plain sort of each 3x3 window on random images', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) >> 16) & 255;
    for (const [w, h] of [[7, 5], [1, 4], [3, 1], [12, 9]] as const) {
      const img = gray(Array.from({ length: w * h }, rand), w, h);
      const at = (x: number, y: number) => img.data[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!;
      const win = (x: number, y: number) => [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => at(x + dx, y + dy))).sort((a, b) => a - b);
      const want = (k: number) => Array.from({ length: w * h }, (_, i) => win(i % w, Math.floor(i / w))[k]);
      expect(Array.from(rank3x3(img, 'median').data), `median ${w}x${h}`).toEqual(want(4));
      expect(Array.from(rank3x3(img, 'thin').data), `thin ${w}x${h}`).toEqual(want(8));
      expect(Array.from(rank3x3(img, 'thick').data), `thick ${w}x${h}`).toEqual(want(0));
    }
  });

  it('repeats the edge pixels outwards (numpy pad mode "edge"), not a clipped window', () => {
    // dark (0,0) and (0,1) in a white 3x3: with the edges repeated, (0,0)'s window holds 6 dark of 9
    const img = gray([D, D, W, W, W, W, W, W, W], 3, 3);
    expect(rank3x3(img, 'median').data[0]).toBe(D);
    expect(rank3x3(gray([D, W, W, W, W, W, W, W, W], 3, 3), 'median').data[0]).toBe(W); // 4 of 9
    expect(rank3x3(gray([7], 1, 1), 'thin')).toEqual(gray([7], 1, 1));
  });

  it("toModelInput(..., filter) gives the trainer's filtered_input() for the test vectors (training/testdata/views.json)", async () => {
    const dir = join(__dirname, '..', '..', 'training', 'testdata');
    const { cases } = JSON.parse(readFileSync(join(dir, 'views.json'), 'utf8')) as {
      cases: { file: string; filter: ViewFilter; widthScale: number; width: number; sum: number; weighted: number }[];
    };
    expect(cases.length).toBeGreaterThanOrEqual(4);
    for (const c of cases) {
      const g = flattenToGray(await decodeToRgba(readFileSync(join(dir, c.file))));
      const input = toModelInput(g, SPEC, undefined, c.widthScale, c.filter);
      expect(input.contentWidth, `${c.file} ${c.filter} x${c.widthScale}`).toBe(c.width);
      let sum = 0, weighted = 0, i = 0;
      for (let y = 0; y < input.height; y++) {
        for (let x = 0; x < input.contentWidth; x++, i++) {
          const v = Math.round((input.data[y * input.width + x]! * SPEC.std + SPEC.mean) * 255);
          sum += v;
          weighted += v * ((i % 997) + 1);
        }
      }
      expect({ sum, weighted }, `${c.file} ${c.filter} x${c.widthScale}`).toEqual({ sum: c.sum, weighted: c.weighted });
      // the filter changes what the model sees
      expect(Array.from(input.data)).not.toEqual(Array.from(toModelInput(g, SPEC, undefined, c.widthScale).data));
    }
  });

  it('counts the doubled resize against maxPixels', () => {
    const img = gray(Array(100 * 50).fill(W), 100, 50); // 64 px wide at height 32: 128 x 50 px before the filter
    expect(() => toModelInput(img, SPEC, 64 * 50, 1)).not.toThrow();
    expect(() => toModelInput(img, SPEC, 64 * 50, 1, 'thin')).toThrow(InvalidImageError);
  });
});

describe('decodeToRgba / preprocess', () => {
  const red = { r: 255, g: 0, b: 0, alpha: 1 };

  it('decodes PNG, JPEG, GIF, WebP, TIFF, SVG and BMP to RGBA', async () => {
    const base = sharp({ create: { width: 8, height: 4, channels: 4, background: red } });
    const formats = {
      png: await base.clone().png().toBuffer(),
      webp: await base.clone().webp({ lossless: true }).toBuffer(),
      tiff: await base.clone().tiff().toBuffer(),
      gif: await base.clone().gif().toBuffer(),
      jpeg: await base.clone().jpeg({ quality: 100 }).toBuffer(),
      svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="4"><rect width="8" height="4" fill="#f00"/></svg>'),
      bmp24: bmp(8, 4, () => [255, 0, 0]),
      bmp8: bmp(8, 4, () => [255, 0, 0], 8),
    };
    for (const [name, bytes] of Object.entries(formats)) {
      const img = await decodeToRgba(bytes);
      expect([name, img.width, img.height]).toEqual([name, 8, 4]);
      expect(img.data.length).toBe(8 * 4 * 4);
      const [r, g, b, a] = img.data;
      expect(r, name).toBeGreaterThan(240);
      expect(g, name).toBeLessThan(15);
      expect(b, name).toBeLessThan(15);
      expect(a, name).toBe(255);
    }
  });

  it('reads BMP rows bottom-up and top-down, 24-bit and palette', async () => {
    const pix = (x: number, y: number): [number, number, number] => [x * 40, y * 80, 7];
    for (const [bpp, topDown] of [[24, false], [24, true], [8, false]] as const) {
      const img = await decodeToRgba(bmp(5, 3, pix, bpp, topDown));
      for (let y = 0; y < 3; y++) {
        for (let x = 0; x < 5; x++) {
          const p = (y * 5 + x) * 4;
          expect(Array.from(img.data.subarray(p, p + 4))).toEqual([x * 40, y * 80, 7, 255]);
        }
      }
    }
  });

  it('keeps transparency so flattening puts transparent pixels on white', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const g = flattenToGray(await decodeToRgba(png));
    expect(Array.from(g.data)).toEqual(new Array(16).fill(255));
  });

  it('takes the first frame of an animated GIF', async () => {
    const frames = await sharp({ create: { width: 4, height: 8, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 4, height: 4, channels: 3, background: '#fff' } }, top: 4, left: 0 }])
      .raw()
      .toBuffer();
    // 2 pages of 4x4: page 0 black, page 1 white
    const gif = await sharp(frames, { raw: { width: 4, height: 8, channels: 3, pageHeight: 4 } }).gif().toBuffer();
    const img = await decodeToRgba(gif);
    expect([img.width, img.height]).toEqual([4, 4]);
    expect(img.data[0]).toBeLessThan(10);
  });

  it('produces the model input from bytes', async () => {
    const png = await sharp({ create: { width: 200, height: 50, channels: 3, background: '#fff' } }).png().toBuffer();
    const spec = { ...SPEC, version: 1, input: 'image', output: 'logits', classes: ['', 'a'], blank: 0, layout: 'NTC', resize: 'bilinear' } as ModelSpec;
    const input = await preprocess(png, spec);
    expect([input.contentWidth, input.width, input.height]).toEqual([128, 128, 32]);
    expect(input.data.every((v) => v === 1)).toBe(true);
  });

  it('accepts base64 and data URLs, refuses empty input', async () => {
    const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#fff' } }).png().toBuffer();
    expect(imageBytes(png.toString('base64')).equals(png)).toBe(true);
    expect(imageBytes(`data:image/png;base64,${png.toString('base64')}`).equals(png)).toBe(true);
    expect(() => imageBytes(Buffer.alloc(0))).toThrow(InvalidImageError);
    expect(() => imageBytes('')).toThrow(InvalidImageError);
    expect(() => imageBytes('not base64 at all!')).toThrow(InvalidImageError);
  });
});

