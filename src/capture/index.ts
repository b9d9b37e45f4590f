/**
 * Capture: the bytes of the image the captcha CURRENTLY shows, as a provider `body`.
 * Order: data:/blob: URL in the page → the recorded network response → the browser cache (CDP) →
 * canvas read-out at natural size / inline SVG rasterised → element screenshot. A one-time URL is never
 * requested again. Bytes are sniffed (MIME labels lie), SVG rasterised, over-large images downscaled.
 */
import type { FrameDriver, PageDriver } from '../browser/driver.js';
import { animationStill, describeAnimation, type AnimationInfo } from '../core/animation.js';
import type { Deadline } from '../core/deadline.js';
import { CaptchaNotFoundError, InvalidImageError, type CaptchaSolverErrorOptions } from '../core/errors.js';
import { sniffImageFormat, toImageBytes, MIME_BY_FORMAT, type ImageFormat } from '../core/image.js';
import { loadSharp } from '../core/sharp.js';
import type { CaptchaKind } from '../locate/types.js';
import { existingRecorder } from './recorder.js';
import { readBlobUrl, readCanvas, readImageState, serializeSvg, type ImageState } from './page-functions.js';

/** How the bytes were obtained. */
export type CaptureMethod = 'data-url' | 'blob' | 'network' | 'cache' | 'canvas' | 'svg' | 'screenshot';

export interface CapturedImage {
  /** base64, no `data:` prefix, no newlines: the provider `body`. */
  body: string;
  /** The same bytes. */
  buffer: Buffer;
  method: CaptureMethod;
  /** Sniffed from the bytes. */
  mime: string;
  width: number;
  height: number;
  /** Size of the body in bytes. */
  bytes: number;
  /** The URL it came from (data: URLs shortened), where there was one. */
  src?: string;
  /** True when it was downscaled/re-encoded to fit `maxBytes`/`maxSide`. */
  resized: boolean;
  /**
   * Present when the captcha is an animated GIF/WebP and `animation` is `'still'`: how the PNG in `body` was made
   * from its frames (the frame on screen for most of the loop, or the frames combined).
   */
  animation?: AnimationInfo;
}

export interface CaptureOptions {
  /**
   * Re-encode images larger than this many bytes.
   * @default 1_000_000
   */
  maxBytes?: number;
  /**
   * Downscale images whose longer side exceeds this many pixels.
   * @default 1200
   */
  maxSide?: number;
  /**
   * Skip methods that return the original bytes and capture with this method (for tests/debugging).
   * @default undefined (best available)
   */
  method?: CaptureMethod;
  /**
   * What to do with an animated GIF/WebP. `'still'`: send one PNG that shows what a person reads (the frame on
   * screen for at least half of the loop, else a composite of the frames), because solvers read only the first
   * frame, and captchas such as EasyCaptcha's `GifCaptcha` hide a different character in every frame.
   * `'keep'`: send the file as it is.
   * @default 'still'
   */
  animation?: 'still' | 'keep';
}

/**
 * The located element was replaced (re-rendered) before it could be captured. The flow re-locates and
 * tries again; it reaches users only from `captureCaptcha()`. Code `ICS_ERR_CAPTCHA_GONE`.
 */
export class CaptchaGoneError extends CaptchaNotFoundError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_CAPTCHA_GONE', step: 'capture', ...options });
  }
}

const CAPTURE_DEFAULTS = { maxBytes: 1_000_000, maxSide: 1200 } as const;

/** Pixels an animated captcha's frames may take together when they are combined into a still. */
const STILL_MAX_PIXELS = 4096 * 4096;

/** Formats every provider accepts as-is. */
const PASS_THROUGH = new Set<ImageFormat>(['png', 'jpeg', 'gif', 'webp', 'bmp']);

interface Target {
  driver: PageDriver;
  frame: FrameDriver;
  handle: string;
  kind: CaptchaKind;
  deadline: Deadline;
  note?: (line: string) => void;
}

function shorten(src: string): string {
  return src.startsWith('data:') ? `${src.slice(0, 40)}…` : src;
}

/** Captures the captcha element `handle` in `frame`. */
export async function captureElement(t: Target, options: CaptureOptions = {}): Promise<CapturedImage> {
  const opts = { ...CAPTURE_DEFAULTS, ...options };
  const { frame, deadline } = t;
  const note = (line: string) => {
    deadline.note(`capture: ${line}`);
    t.note?.(line);
  };
  const state: ImageState = await deadline.race(frame.evaluate(readImageState, t.handle));
  if (!state.exists) {
    throw new CaptchaGoneError(`solveImageCaptcha: the captcha element disappeared before capture (${t.handle} in ${frame.url()})`, {
      hint: 'The page re-rendered the captcha; call again or pass a selector',
    });
  }
  const src = state.src || state.background;
  const tries: Array<[CaptureMethod, () => Promise<Buffer | undefined>]> = [];
  if (src.startsWith('data:')) tries.push(['data-url', async () => toImageBytes(src)]);
  if (src.startsWith('blob:')) {
    tries.push(['blob', async () => {
      const b64 = await deadline.race(frame.evaluate(readBlobUrl, src));
      return b64 ? Buffer.from(b64, 'base64') : undefined;
    }]);
  }
  if (/^(https?|blob):/i.test(src)) {
    // the recorder also keeps what the <img> loaded from a blob: URL, which is all that is left once the page
    // has revoked the object URL (a common pattern right after `onload`)
    tries.push(['network', async () => {
      const rec = existingRecorder(t.driver)?.get(src);
      return rec ? await deadline.race(rec.bytes) : undefined;
    }]);
  }
  if (/^https?:/i.test(src)) tries.push(['cache', () => deadline.race(t.driver.resourceContent(src))]);
  if (t.kind === 'canvas' || state.tag === 'img') {
    tries.push(['canvas', async () => {
      const url = await deadline.race(frame.evaluate(readCanvas, t.handle));
      return url ? toImageBytes(url) : undefined;
    }]);
  }
  if (t.kind === 'svg') {
    tries.push(['svg', async () => {
      const xml = await deadline.race(frame.evaluate(serializeSvg, t.handle));
      return xml ? Buffer.from(xml, 'utf8') : undefined;
    }]);
  }
  tries.push(['screenshot', () => deadline.race(frame.screenshot(t.handle, { timeout: deadline.budget(10_000) }))]);

  const failures: string[] = [];
  for (const [method, run] of tries) {
    if (opts.method && method !== opts.method && method !== 'screenshot') continue;
    let buf: Buffer | undefined;
    try {
      buf = await run();
    } catch (err) {
      if (deadline.aborted) throw deadline.signal.reason;
      failures.push(`${method}: ${(err as Error).message?.split('\n')[0]}`);
      continue;
    }
    if (!buf || buf.length === 0) {
      failures.push(`${method}: nothing`);
      continue;
    }
    const format = sniffImageFormat(buf);
    if (!format) {
      failures.push(`${method}: not an image (${buf.length} bytes)`);
      continue;
    }
    note(`${method} gave ${format} ${buf.length} bytes${src ? ` from ${shorten(src)}` : ''}`);
    const captured = await finish(buf, format, method, src ? shorten(src) : undefined, state, opts, note);
    if (captured.animation) note(`${describeAnimation(captured.animation)}, sent as a still PNG`);
    return captured;
  }
  throw new InvalidImageError(`solveImageCaptcha: could not capture the captcha image (${t.handle} in ${frame.url()}). Tried ${failures.join('; ')}`, {
    step: 'capture',
    hint: 'Pass a selector for the image element, or call attachImageRecorder(page) before the page loads',
    log: [...deadline.log],
  });
}

async function finish(
  input: Buffer,
  format: ImageFormat,
  method: CaptureMethod,
  src: string | undefined,
  state: ImageState,
  opts: Required<Pick<CaptureOptions, 'maxBytes' | 'maxSide'>> & Pick<CaptureOptions, 'animation'>,
  note: (line: string) => void,
): Promise<CapturedImage> {
  const sharp = await loadSharp();
  let buf = input;
  let fmt = format;
  let resized = false;
  let animation: AnimationInfo | undefined;
  if (opts.animation !== 'keep') {
    // undefined for a still image; a frame that does not decode leaves the file as it is (the solver then reports
    // what it can read of it)
    const still = await animationStill(buf, fmt, { maxPixels: STILL_MAX_PIXELS }).catch((error: unknown) => {
      note(`kept the ${fmt} as it is: its frames do not decode (${(error as Error).message?.split('\n')[0]})`);
      return undefined;
    });
    if (still) {
      const { rgba, ...info } = still;
      buf = await sharp(rgba.data, { raw: { width: rgba.width, height: rgba.height, channels: 4 } }).png().toBuffer();
      fmt = 'png';
      animation = info;
    }
  }
  if (!PASS_THROUGH.has(fmt)) {
    // SVG, ICO, TIFF, AVIF: rasterise/re-encode to PNG at the size the page shows.
    const w = state.naturalWidth || Math.round(state.width) || undefined;
    const h = state.naturalHeight || Math.round(state.height) || undefined;
    let img = sharp(buf, { density: 144 });
    if (w && h) img = img.resize(w, h, { fit: 'fill' });
    buf = await img.flatten({ background: '#ffffff' }).png().toBuffer();
    fmt = 'png';
    resized = format !== 'svg';
  }
  let meta = await sharp(buf, { animated: false }).metadata();
  let width = meta.width ?? 0;
  let height = meta.pageHeight ?? meta.height ?? 0;
  if (buf.length > opts.maxBytes || Math.max(width, height) > opts.maxSide) {
    let img = sharp(buf, { animated: false }).resize(opts.maxSide, opts.maxSide, { fit: 'inside', withoutEnlargement: true });
    buf = await img.png({ compressionLevel: 9 }).toBuffer();
    fmt = 'png';
    if (buf.length > opts.maxBytes) {
      img = sharp(buf).flatten({ background: '#ffffff' }).jpeg({ quality: 85 });
      buf = await img.toBuffer();
      fmt = 'jpeg';
    }
    resized = true;
    meta = await sharp(buf).metadata();
    width = meta.width ?? 0;
    height = meta.height ?? 0;
  }
  if (width === 0 || height === 0) {
    throw new InvalidImageError(`solveImageCaptcha: the captured image is empty (${method}${src ? ` from ${src}` : ''})`, { step: 'capture', hint: 'Wait for the captcha to render, or pass a selector' });
  }
  return { body: buf.toString('base64'), buffer: buf, method, mime: MIME_BY_FORMAT[fmt], width, height, bytes: buf.length, src, resized, ...(animation ? { animation } : {}) };
}
