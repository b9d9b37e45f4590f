/**
 * Animated captchas (GIF, WebP) → the one still image a person reads from them.
 *
 * A solver that reads only the first frame can be wrong every time:
 * - EasyCaptcha's and Hutool's `GifCaptcha` draw one frame per character, each character with an opacity that
 *   cycles from frame to frame, so every frame hides one character (the first frame hides the first) and no
 *   frame shows the whole answer. A person sees them all over a second.
 * - Discuz!'s animator shows the real code in one frame held for seconds, between decoy frames that flash by.
 *
 * So: when one frame is on screen for at least half of the loop (and longer than any other), that frame;
 * otherwise a composite in which each pixel takes its colour from the frame with the second-strongest ink there
 * (the distance from the background colour). What shows in two frames or more survives, at its strongest but one;
 * what shows in one frame only (noise redrawn in each frame) does not.
 */
import type { ImageFormat } from './image.js';
import { loadSharp } from './sharp.js';

/** 8-bit RGBA pixels, row-major. */
export interface RgbaImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** How the still was made, for logs and `CapturedImage.animation`. */
export interface AnimationInfo {
  /** Frames in the file. */
  frames: number;
  /**
   * `frame`: one frame, the one on screen for at least half of the loop (or the first, when the pixel limit
   * leaves room for one frame only); `composite`: the frames combined.
   */
  still: 'frame' | 'composite';
  /** The frame used (0-based), for `still: 'frame'`. */
  frame?: number;
  /** Frames read into the composite (at most `maxFrames`, and what fits `maxPixels`). */
  used: number;
}

export interface AnimationStill extends AnimationInfo {
  rgba: RgbaImage;
}

export interface AnimationOptions {
  /** Refuse to decode more pixels than this, all frames together. */
  maxPixels: number;
  /** Frames read at most; later frames are left out of the composite. @default 32 */
  maxFrames?: number;
}

/** Formats whose files can hold an animation that sharp/libvips decodes frame by frame. */
const ANIMATED_FORMATS: ReadonlySet<ImageFormat> = new Set<ImageFormat>(['gif', 'webp']);

/** A frame on screen for at least this share of the loop (and longer than any other) is what a person reads. */
const HELD_SHARE = 0.5;

/** Browsers show a GIF frame with a delay of 10 ms or less (or none) for 100 ms. */
export function shownFor(delayMs: number | undefined): number {
  return delayMs === undefined || !(delayMs > 10) ? 100 : delayMs;
}

/** The frame shown for at least half of the loop and longer than any other, if one is. */
export function heldFrame(delays: readonly (number | undefined)[]): number | undefined {
  const shown = delays.map(shownFor);
  const total = shown.reduce((a, b) => a + b, 0);
  const max = Math.max(...shown);
  const longest = shown.indexOf(max);
  // two frames of equal length (a two-frame blink) are each half of the loop: neither is the one
  if (longest < 0 || shown.lastIndexOf(max) !== longest) return undefined;
  return max >= HELD_SHARE * total ? longest : undefined;
}

/**
 * The still of an animated image, or `undefined` when `bytes` hold a single frame (or a format that cannot
 * animate). Decoding errors are thrown as sharp reports them; callers map them.
 */
export async function animationStill(bytes: Uint8Array, format: ImageFormat | undefined, options: AnimationOptions): Promise<AnimationStill | undefined> {
  if (!format || !ANIMATED_FORMATS.has(format)) return undefined;
  const sharp = await loadSharp();
  // failOn 'error': as for still images, a GIF cut short is read from the frames it has
  const meta = await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error', animated: false }).metadata();
  const pages = meta.pages ?? 1;
  if (pages < 2) return undefined;
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width < 1 || height < 1) return undefined;
  const decode = async (page: number, count: number): Promise<Uint8Array> => {
    const { data } = await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error', page, pages: count })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  };
  const held = heldFrame(Array.from({ length: pages }, (_, i) => meta.delay?.[i]));
  if (held !== undefined) {
    return { rgba: { data: await decode(held, 1), width, height }, frames: pages, still: 'frame', frame: held, used: 1 };
  }
  const fit = Math.floor(options.maxPixels / (width * height));
  const used = Math.max(1, Math.min(pages, options.maxFrames ?? 32, fit));
  if (used < 2) return { rgba: { data: await decode(0, 1), width, height }, frames: pages, still: 'frame', frame: 0, used: 1 };
  const frames = await decode(0, used);
  return { rgba: compositeFrames(frames, width, height, used), frames: pages, still: 'composite', used };
}

/**
 * `count` frames of `width`x`height` RGBA stacked one under another → one frame in which each pixel is the
 * frame's pixel with the second-strongest ink there (the strongest, with one frame). Ink is the distance
 * (sum over R, G, B, after flattening alpha onto white) from the background: the per-channel median of the
 * first frame's border.
 */
export function compositeFrames(stacked: Uint8Array, width: number, height: number, count: number): RgbaImage {
  const px = width * height;
  if (stacked.length < px * count * 4) throw new RangeError(`compositeFrames: ${stacked.length} bytes for ${count} frames of ${width}x${height}`);
  const flat = (i: number, c: number): number => {
    const a = stacked[i * 4 + 3]!;
    const v = stacked[i * 4 + c]!;
    return a === 255 ? v : Math.round((v * a + 255 * (255 - a)) / 255);
  };
  const bg = borderMedian(width, height, flat);
  const out = new Uint8Array(px * 4);
  for (let p = 0; p < px; p++) {
    let first = -1, firstInk = -1, second = -1, secondInk = -1;
    for (let f = 0; f < count; f++) {
      const i = f * px + p;
      const ink = Math.abs(flat(i, 0) - bg[0]) + Math.abs(flat(i, 1) - bg[1]) + Math.abs(flat(i, 2) - bg[2]);
      if (ink > firstInk) {
        second = first; secondInk = firstInk;
        first = f; firstInk = ink;
      } else if (ink > secondInk) {
        second = f; secondInk = ink;
      }
    }
    const src = (count > 1 ? second : first) * px + p;
    for (let c = 0; c < 3; c++) out[p * 4 + c] = flat(src, c);
    out[p * 4 + 3] = 255;
  }
  return { data: out, width, height };
}

/** Per-channel median of the outermost pixels of the first frame. */
function borderMedian(width: number, height: number, at: (i: number, c: number) => number): [number, number, number] {
  const idx: number[] = [];
  for (let x = 0; x < width; x++) idx.push(x, (height - 1) * width + x);
  for (let y = 1; y < height - 1; y++) idx.push(y * width, y * width + width - 1);
  const median = (c: number): number => {
    const v = idx.map((i) => at(i, c)).sort((a, b) => a - b);
    return v[v.length >> 1] ?? 255;
  };
  return [median(0), median(1), median(2)];
}

/** `animated, 5 frames: composite of 5` / `animated, 10 frames: frame 4`. */
export function describeAnimation(a: AnimationInfo): string {
  return `animated, ${a.frames} frames: ${a.still === 'frame' ? `frame ${a.frame}` : `composite of ${a.used}`}`;
}
