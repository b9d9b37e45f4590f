/**
 * The image limits each provider documents, and `fitImage()`, which makes a captcha fit them (re-encode
 * to PNG/JPEG, downscale) rather than pay for a request the provider will reject. sharp is loaded lazily,
 * only when an image has to change.
 */
import { InvalidImageError } from '../core/errors.js';
import { sniffImageFormat, type ImageFormat } from '../core/image.js';
import { loadSharp } from '../core/sharp.js';

export interface ImageLimits {
  /** Largest accepted file, in bytes (decoded, not base64). */
  maxBytes?: number;
  /** Smallest accepted file, in bytes. */
  minBytes?: number;
  /** Largest accepted width or height, in px. */
  maxSide?: number;
  /** Accepted formats; anything else is converted to PNG (or JPEG when size demands). */
  formats?: readonly ImageFormat[];
}

/**
 * Documented limits, per provider:
 * - Anti-Captcha (https://anti-captcha.com/apidoc/errors): ERROR_ZERO_CAPTCHA_FILESIZE "less than 100 bytes",
 *   ERROR_TOO_BIG_CAPTCHA_FILESIZE "more than 500,000 bytes"; ERROR_IMAGE_TYPE_NOT_SUPPORTED: JPG, GIF, PNG only.
 * - CapMonster Cloud (https://zennolab.atlassian.net/wiki/spaces/APIS/pages/295396/Error+Types): the same
 *   100-byte and 500,000-byte bounds.
 * - 2Captcha (https://2captcha.com/api-docs/normal-captcha): "Supported image formats: JPEG, PNG, GIF. Max file
 *   size: 100 kB. Max image size: 1000px on any side"; its error list (ERROR_TOO_BIG_CAPTCHA_FILESIZE) says
 *   "more than 100 kB or bigger than 600px on any side", so we keep to the stricter 600px; ERROR_ZERO_CAPTCHA_FILESIZE
 *   "less than 100 bytes".
 * - CapSolver documents no size limit for ImageToTextTask: its bodies are sent as given.
 */
export const IMAGE_LIMITS = {
  anticaptcha: { minBytes: 100, maxBytes: 500_000, formats: ['png', 'jpeg', 'gif'] },
  capmonster: { minBytes: 100, maxBytes: 500_000, formats: ['png', 'jpeg', 'gif'] },
  '2captcha': { minBytes: 100, maxBytes: 100_000, maxSide: 600, formats: ['png', 'jpeg', 'gif'] },
} as const satisfies Record<string, ImageLimits>;

export interface FitResult {
  /** Base64 body that fits the limits. */
  body: string;
  /** True when the image was re-encoded or resized. */
  changed: boolean;
  /** Format of `body` (undefined when unchanged and not recognised). */
  format?: ImageFormat;
  bytes: number;
  /** What was done, for the call log. */
  note?: string;
}

/** JPEG qualities tried, best first, before the image is downscaled further. */
const QUALITIES = [90, 75, 60, 45] as const;
const MAX_SHRINK_STEPS = 8;

/**
 * Returns `body` unchanged when it fits `limits`; otherwise a PNG (format only), or a JPEG re-encoded at falling
 * quality and downscaled until it fits. Throws InvalidImageError when the bytes are not an image sharp can read,
 * or nothing fits.
 */
export async function fitImage(body: string, limits: ImageLimits, call = 'fitImage'): Promise<FitResult> {
  const bytes = Buffer.from(body, 'base64');
  const format = sniffImageFormat(bytes);
  const side = limits.maxSide;
  const tooBig = limits.maxBytes !== undefined && bytes.length > limits.maxBytes;
  const tooSmall = limits.minBytes !== undefined && bytes.length < limits.minBytes;
  const badFormat = limits.formats !== undefined && (format === undefined || !limits.formats.includes(format));
  let dims: { width: number; height: number } | undefined;
  if (!tooBig && !tooSmall && !badFormat && side === undefined) return { body, changed: false, format, bytes: bytes.length };

  const sharp = await loadSharp();
  try {
    const meta = await sharp(bytes, { animated: false }).metadata();
    dims = { width: meta.width ?? 0, height: meta.height ?? 0 };
  } catch (error) {
    throw new InvalidImageError(`${call}: The image cannot be decoded (${bytes.length} bytes, format ${format ?? 'unknown'})`, {
      hint: 'Capture the captcha again as PNG or JPEG',
      cause: error,
    });
  }
  const oversize = side !== undefined && Math.max(dims.width, dims.height) > side;
  if (!tooBig && !tooSmall && !badFormat && !oversize) return { body, changed: false, format, bytes: bytes.length };

  const scaleToSide = oversize ? side! / Math.max(dims.width, dims.height) : 1;
  const notes: string[] = [];
  if (oversize) notes.push(`${dims.width}x${dims.height} > ${side}px`);
  if (tooBig) notes.push(`${bytes.length} bytes > ${limits.maxBytes}`);
  if (tooSmall) notes.push(`${bytes.length} bytes < ${limits.minBytes}`);
  if (badFormat) notes.push(`format ${format ?? 'unknown'} not accepted`);

  const render = async (scale: number, as: 'png' | 'jpeg', quality = 90): Promise<Buffer> => {
    let pipeline = sharp(bytes, { animated: false });
    if (scale < 1) {
      pipeline = pipeline.resize({
        width: Math.max(1, Math.floor(dims!.width * scale)),
        height: Math.max(1, Math.floor(dims!.height * scale)),
        fit: 'inside',
      });
    }
    // JPEG has no alpha: flatten transparent captchas onto white, as browsers show them.
    return as === 'png' ? pipeline.png().toBuffer() : pipeline.flatten({ background: '#ffffff' }).jpeg({ quality, mozjpeg: false }).toBuffer();
  };
  const fits = (out: Buffer) =>
    (limits.maxBytes === undefined || out.length <= limits.maxBytes) && (limits.minBytes === undefined || out.length >= limits.minBytes);

  // Lossless first when only the format or the pixel size is wrong: text captchas suffer from JPEG artefacts.
  if (!tooBig && !tooSmall) {
    const png = await render(scaleToSide, 'png');
    if (fits(png)) return done(png, 'png');
  }
  let scale = scaleToSide;
  for (let step = 0; step < MAX_SHRINK_STEPS; step++) {
    for (const quality of QUALITIES) {
      const jpeg = await render(scale, 'jpeg', tooSmall ? 100 : quality);
      if (fits(jpeg)) return done(jpeg, 'jpeg', quality, scale);
      if (tooSmall) break;
    }
    if (tooSmall) break;
    scale *= 0.75;
  }
  throw new InvalidImageError(`${call}: The image cannot be made to fit the provider's limits (${notes.join(', ')})`, {
    hint: 'Crop the captcha element instead of sending a screenshot of the page',
  });

  function done(out: Buffer, as: ImageFormat, quality?: number, scale = scaleToSide): FitResult {
    const how = [`re-encoded as ${as}${quality !== undefined ? ` q${quality}` : ''}`];
    if (scale < 1) how.push(`scaled ×${scale.toFixed(2)}`);
    return { body: out.toString('base64'), changed: true, format: as, bytes: out.length, note: `${notes.join(', ')}: ${how.join(', ')} → ${out.length} bytes` };
  }
}
