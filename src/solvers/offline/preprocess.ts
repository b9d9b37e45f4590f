/**
 * Image → model input, matching the trainer's PIL pipeline pixel for pixel:
 * decode (sharp, or our BMP reader, or for plain PNGs our fast path) → RGBA → alpha flattened onto white →
 * grayscale (ITU-R 601 luma, PIL's fixed-point `L` conversion) → resized to the model height keeping aspect, with PIL's
 * bilinear filter (support scaled by the downscale factor, horizontal pass first, 8-bit
 * fixed-point coefficients, rounding as PIL does) → width clamped → right-padded with white → normalised.
 *
 * The resize is done in JS on the gray pixels because sharp/libvips' bilinear differs from PIL's
 * (no antialiasing when downscaling), and mismatched resizing silently costs accuracy.
 */
import sharp from 'sharp';
import { InvalidImageError } from '../../core/errors.js';
import { animationStill, type AnimationInfo } from '../../core/animation.js';
import { sniffImageFormat, toImageBytes } from '../../core/image.js';
import { decodeBmp, type RawRgba } from './bmp.js';
import { decodePngFast } from './png.js';
import type { ModelSpec } from './model.js';

export type { RawRgba } from './bmp.js';

/** A single-channel 8-bit image, row-major. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The model input for one image. */
export interface ModelInput {
  /** `(gray/255 - mean) / std`, row-major `[height, width]`. */
  data: Float32Array;
  /** Padded width (a multiple of `widthMultiple`). */
  width: number;
  height: number;
  /** Width of the resized image before padding. */
  contentWidth: number;
}

/** Default pixel limit: larger images are refused before they are decoded. */
export const DEFAULT_MAX_INPUT_PIXELS = 4096 * 4096;

const WHERE = 'LocalSolver.recognize';

function invalid(what: string, hint: string, cause?: unknown): InvalidImageError {
  return new InvalidImageError(`${WHERE}: ${what}`, { hint, provider: 'local', step: 'solve', cause });
}

/** Turns a Buffer, Uint8Array, base64 string or data URL into bytes; empty input throws InvalidImageError. */
export function imageBytes(image: Buffer | Uint8Array | string): Buffer {
  if (typeof image !== 'string' && !(image instanceof Uint8Array)) {
    throw invalid(`the image must be a Buffer, a Uint8Array or a base64 string, got ${image === null ? 'null' : typeof image}`, 'Pass the image bytes or their base64');
  }
  let bytes: Buffer;
  try {
    bytes = toImageBytes(image);
  } catch (cause) {
    throw invalid('the image is not base64, a data: URL or bytes', 'Pass the image as a Buffer, base64 or a data: URL', cause);
  }
  if (bytes.length === 0) throw invalid('the image is empty (0 bytes)', 'Capture the captcha again');
  return bytes;
}

/**
 * Decodes any supported format to 8-bit RGBA. An animated GIF/WebP becomes the still a person reads from it
 * (`animationStill`: the frame held longest, or the frames combined), described in `animation`.
 */
export async function decodeToRgba(bytes: Uint8Array, maxPixels = DEFAULT_MAX_INPUT_PIXELS): Promise<RawRgba & { animation?: AnimationInfo }> {
  const format = sniffImageFormat(bytes);
  if (format === 'bmp') return decodeBmp(bytes, maxPixels);
  const png = format === 'png' ? decodePngFast(bytes, maxPixels) : undefined;
  if (png) return png;
  if (format === undefined) {
    throw invalid(`the bytes are not an image (${bytes.length} bytes, starting ${Buffer.from(bytes.subarray(0, 8)).toString('hex')})`, 'Pass PNG, JPEG, GIF, WebP, BMP, TIFF or SVG bytes');
  }
  if (format === 'ico') throw invalid('ICO images are not supported', 'Convert the image to PNG first');
  try {
    const still = await animationStill(bytes, format, { maxPixels });
    if (still) {
      const { rgba, ...animation } = still;
      return { ...rgba, animation };
    }
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1, animated: false })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`unexpected ${info.channels} channels after decoding`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/pixel limit/i.test(message)) {
      throw invalid(`the image is larger than ${maxPixels} px (${format})`, 'Crop the captcha element before solving, or raise `maxInputPixels`', cause);
    }
    throw invalid(`cannot decode the image (${format}: ${message.split('\n')[0]})`, 'The image is truncated or corrupt: capture the captcha again', cause);
  }
}

/** PIL's RGB→L: `(r*19595 + g*38470 + b*7471 + 0x8000) >> 16`, after flattening alpha onto white. */
export function flattenToGray(img: RawRgba): GrayImage {
  const { data, width, height } = img;
  const n = width * height;
  const out = new Uint8Array(n);
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    let r = data[p]!, g = data[p + 1]!, b = data[p + 2]!;
    const a = data[p + 3]!;
    if (a !== 255) {
      // composite over opaque white: c*a/255 + 255*(1 - a/255), rounded
      const w = 255 - a;
      r = Math.round((r * a + 255 * w) / 255);
      g = Math.round((g * a + 255 * w) / 255);
      b = Math.round((b * a + 255 * w) / 255);
    }
    out[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
  }
  return { data: out, width, height };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [xmin, count] per output pixel
  kk: Float64Array; // fixed-point integer weights, ksize per output pixel
}

/** PIL's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter. */
function precomputeCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Float64Array(outSize * ksize);
  const tmp = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      let t = (x + xmin - center + 0.5) * ss;
      if (t < 0) t = -t;
      const w = t < 1 ? 1 - t : 0;
      tmp[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? tmp[x]! / ww : tmp[x]!;
      kk[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * `Image.resize((outW, outH), Image.BILINEAR)` of PIL (Pillow ≥ 7, no `reducing_gap`) on an `L` image:
 * horizontal pass into an 8-bit temporary, then vertical pass.
 */
export function resizeBilinearPil(src: GrayImage, outW: number, outH: number): GrayImage {
  if (outW < 1 || outH < 1) throw new RangeError(`resize target ${outW}x${outH} is empty`);
  const { width: inW, height: inH } = src;
  if (outW === inW && outH === inH) return { data: src.data.slice(), width: inW, height: inH };
  let cur = src;
  if (outW !== inW) {
    const { ksize, bounds, kk } = precomputeCoeffs(inW, outW);
    const out = new Uint8Array(outW * inH);
    for (let y = 0; y < inH; y++) {
      const row = y * inW;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2]!, n = bounds[xx * 2 + 1]!, k0 = xx * ksize;
        let ss = ONE / 2;
        for (let x = 0; x < n; x++) ss += cur.data[row + xmin + x]! * kk[k0 + x]!;
        out[y * outW + xx] = clip8(ss);
      }
    }
    cur = { data: out, width: outW, height: inH };
  }
  if (outH !== inH) {
    const { ksize, bounds, kk } = precomputeCoeffs(inH, outH);
    const out = new Uint8Array(outW * outH);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = bounds[yy * 2]!, n = bounds[yy * 2 + 1]!, k0 = yy * ksize;
      for (let x = 0; x < outW; x++) {
        let ss = ONE / 2;
        for (let y = 0; y < n; y++) ss += cur.data[(ymin + y) * outW + x]! * kk[k0 + y]!;
        out[yy * outW + x] = clip8(ss);
      }
    }
    cur = { data: out, width: outW, height: outH };
  }
  return cur;
}

/** Python's `round()`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Width after resizing to the model height keeping aspect, as the trainer computes it:
 * `max(minWidth, min(maxWidth, int(round(w * H / h))))` (Python rounding, halves to even).
 */
export function targetWidth(width: number, height: number, spec: Pick<ModelSpec, 'height' | 'minWidth' | 'maxWidth'>): number {
  let w = Math.max(1, roundHalfEven((width * spec.height) / Math.max(1, height)));
  if (w < spec.minWidth) w = spec.minWidth;
  if (spec.maxWidth > 0 && w > spec.maxWidth) w = spec.maxWidth;
  return w;
}

/**
 * `gray` without `round(height * crop)` rows at the top and as many at the bottom (PIL's
 * `crop((0, p, w, h - p))`); unchanged when that would leave no row.
 */
export function cropRows(gray: GrayImage, crop: number): GrayImage {
  const p = roundHalfEven(gray.height * crop);
  if (p <= 0 || gray.height - 2 * p < 1) return gray;
  const height = gray.height - 2 * p;
  return { data: gray.data.subarray(p * gray.width, (p + height) * gray.width), width: gray.width, height };
}

/**
 * A filter for one view of the second look (`SecondLook.views`), applied at twice the model's input size:
 * `'thin'` replaces each pixel by the lightest of its 3x3 neighbourhood (dark strokes get thinner, thin noise
 * lines vanish); `'thick'` by the darkest (faint outlines and grainy fills become solid strokes, as in 3-D block
 * letters); `'median'` by the median (specks and single-pixel lines vanish, strokes keep their width).
 */
export type ViewFilter = 'thin' | 'thick' | 'median';

/** Every `ViewFilter`, for validating a model sidecar. */
export const VIEW_FILTERS: readonly ViewFilter[] = ['thin', 'thick', 'median'];

/**
 * Each pixel replaced by the lightest (`'thin'`, a grayscale dilation of the light background), the darkest
 * (`'thick'`, an erosion) or the median (`'median'`) of its 3x3 neighbourhood, the edge pixels repeated outwards
 * (numpy's `pad(mode="edge")`).
 */
export function rank3x3(src: GrayImage, filter: ViewFilter): GrayImage {
  if (filter !== 'median') return extreme3x3(src, filter === 'thin' ? Math.max : Math.min);
  const { width: w, height: h, data } = src;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const r0 = Math.max(0, y - 1) * w, r1 = y * w, r2 = Math.min(h - 1, y + 1) * w;
    for (let x = 0; x < w; x++) {
      const c0 = Math.max(0, x - 1), c2 = Math.min(w - 1, x + 1);
      let p0 = data[r0 + c0]!, p1 = data[r0 + x]!, p2 = data[r0 + c2]!;
      let p3 = data[r1 + c0]!, p4 = data[r1 + x]!, p5 = data[r1 + c2]!;
      let p6 = data[r2 + c0]!, p7 = data[r2 + x]!, p8 = data[r2 + c2]!;
      let t: number;
      // the median of 9 in 19 compare-exchanges (the network of N. Devillard's opt_med9)
      if (p1 > p2) { t = p1; p1 = p2; p2 = t; }
      if (p4 > p5) { t = p4; p4 = p5; p5 = t; }
      if (p7 > p8) { t = p7; p7 = p8; p8 = t; }
      if (p0 > p1) { t = p0; p0 = p1; p1 = t; }
      if (p3 > p4) { t = p3; p3 = p4; p4 = t; }
      if (p6 > p7) { t = p6; p6 = p7; p7 = t; }
      if (p1 > p2) { t = p1; p1 = p2; p2 = t; }
      if (p4 > p5) { t = p4; p4 = p5; p5 = t; }
      if (p7 > p8) { t = p7; p7 = p8; p8 = t; }
      if (p0 > p3) { t = p0; p0 = p3; p3 = t; }
      if (p5 > p8) { t = p5; p5 = p8; p8 = t; }
      if (p4 > p7) { t = p4; p4 = p7; p7 = t; }
      if (p3 > p6) { t = p3; p3 = p6; p6 = t; }
      if (p1 > p4) { t = p1; p1 = p4; p4 = t; }
      if (p2 > p5) { t = p2; p2 = p5; p5 = t; }
      if (p4 > p7) { t = p4; p4 = p7; p7 = t; }
      if (p4 > p2) { t = p4; p4 = p2; p2 = t; }
      if (p6 > p4) { t = p6; p6 = p4; p4 = t; }
      if (p4 > p2) { t = p4; p4 = p2; p2 = t; }
      out[r1 + x] = p4;
    }
  }
  return { data: out, width: w, height: h };
}

/** The lightest (`pick` = Math.max) or darkest (Math.min) of each 3x3 neighbourhood: separable, across each row,
 * then down each column. */
function extreme3x3(src: GrayImage, pick: (a: number, b: number, c: number) => number): GrayImage {
  const { width: w, height: h, data } = src;
  const across = new Uint8Array(w * h);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) across[r + x] = pick(data[r + Math.max(0, x - 1)]!, data[r + x]!, data[r + Math.min(w - 1, x + 1)]!);
  }
  for (let y = 0; y < h; y++) {
    const up = Math.max(0, y - 1) * w, r = y * w, down = Math.min(h - 1, y + 1) * w;
    for (let x = 0; x < w; x++) out[r + x] = pick(across[up + x]!, across[r + x]!, across[down + x]!);
  }
  return { data: out, width: w, height: h };
}

/**
 * Resizes, pads with white and normalises a gray image into the model's input. Refuses shapes whose
 * intermediate resize buffer (new width x old height) would exceed `maxPixels` (e.g. a 1x16M px strip).
 * `widthScale` stretches the width on top of keeping aspect (the target width is computed for a
 * `width * widthScale` wide image; 1 = plain). With a `filter`, the image is resized to twice the input
 * size, filtered (`rank3x3`) and resized down to it (`training/second_look.py`'s `filtered_input`).
 */
export function toModelInput(
  gray: GrayImage,
  spec: Pick<ModelSpec, 'height' | 'minWidth' | 'maxWidth' | 'widthMultiple' | 'mean' | 'std'>,
  maxPixels = DEFAULT_MAX_INPUT_PIXELS,
  widthScale = 1,
  filter?: ViewFilter,
): ModelInput {
  const w = targetWidth(gray.width * widthScale, gray.height, spec);
  const h = spec.height;
  const first = filter ? 2 * w : w;
  if (first * gray.height > maxPixels) {
    throw invalid(`the image shape ${gray.width}x${gray.height} px is too extreme to resize to ${first}x${filter ? 2 * h : h}`, 'Crop the captcha element before solving');
  }
  const resized = filter ? resizeBilinearPil(rank3x3(resizeBilinearPil(gray, 2 * w, 2 * h), filter), w, h) : resizeBilinearPil(gray, w, h);
  const m = spec.widthMultiple;
  const padded = Math.ceil(w / m) * m;
  const data = new Float32Array(padded * h);
  // a lookup table keeps the float maths identical to numpy's float32 `(x/255 - mean)/std`
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = (Math.fround(v / 255) - spec.mean) / spec.std;
  const white = lut[255]!;
  for (let y = 0; y < h; y++) {
    const o = y * padded, r = y * w;
    for (let x = 0; x < w; x++) data[o + x] = lut[resized.data[r + x]!]!;
    for (let x = w; x < padded; x++) data[o + x] = white;
  }
  return { data, width: padded, height: h, contentWidth: w };
}

/** Bytes (any supported format) → model input. */
export async function preprocess(bytes: Uint8Array, spec: ModelSpec, maxPixels = DEFAULT_MAX_INPUT_PIXELS): Promise<ModelInput> {
  const rgba = await decodeToRgba(bytes, maxPixels);
  if (rgba.width < 1 || rgba.height < 1) throw invalid(`the image has no pixels (${rgba.width}x${rgba.height})`, 'Capture the captcha again');
  return toModelInput(flattenToGray(rgba), spec, maxPixels);
}
