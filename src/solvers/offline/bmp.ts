/**
 * A small BMP decoder (sharp/libvips cannot read BMP): uncompressed 1/4/8/16/24/32-bit, BI_BITFIELDS,
 * bottom-up or top-down, palette images. RLE-compressed BMPs are refused with a clear message.
 * Output: RGBA, 8 bits per channel.
 */
import { InvalidImageError } from '../../core/errors.js';

export interface RawRgba {
  data: Uint8Array;
  width: number;
  height: number;
}

const WHERE = 'LocalSolver.recognize';

function fail(what: string): never {
  throw new InvalidImageError(`${WHERE}: ${what} (BMP)`, {
    hint: 'Pass a PNG, JPEG, GIF, WebP, TIFF, SVG or an uncompressed BMP',
    provider: 'local',
  });
}

/** Decodes a BMP file to RGBA; refuses images above `maxPixels`. */
export function decodeBmp(buf: Uint8Array, maxPixels: number): RawRgba {
  if (buf.length < 26 || buf[0] !== 0x42 || buf[1] !== 0x4d) fail('not a BMP file');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = 0;
  let colorsUsed = 0;
  if (headerSize === 12) {
    // OS/2 BITMAPCOREHEADER
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bpp = view.getUint16(24, true);
  } else if (headerSize >= 40) {
    if (buf.length < 14 + 40) fail('the header is truncated');
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bpp = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    colorsUsed = view.getUint32(46, true);
  } else {
    return fail(`unknown header size ${headerSize}`);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) fail(`bad size ${width}x${height}`);
  if (width * height > maxPixels) {
    throw new InvalidImageError(`${WHERE}: the image is too large (${width}x${height} px, limit ${maxPixels} px)`, {
      hint: 'Crop the captcha element before solving, or raise `maxInputPixels`',
      provider: 'local',
    });
  }
  // masks for 16/32-bit; defaults are 5-5-5 and 8-8-8(-8)
  let masks: [number, number, number, number] | undefined;
  if (compression === 3 || compression === 6) {
    if (bpp !== 16 && bpp !== 32) fail(`BI_BITFIELDS with ${bpp} bits per pixel`);
    const at = 54; // masks follow a 40-byte header, or sit inside V4/V5 headers at the same offset
    if (buf.length < at + 12) fail('the colour masks are truncated');
    const alphaMask = compression === 6 || headerSize >= 56 ? (buf.length >= at + 16 ? view.getUint32(at + 12, true) : 0) : 0;
    masks = [view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true), alphaMask];
  } else if (compression !== 0) {
    fail(`compression ${compression} (RLE or embedded JPEG/PNG) is not supported`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) fail(`${bpp} bits per pixel is not supported`);
  if (!masks && bpp === 16) masks = [0x7c00, 0x03e0, 0x001f, 0];
  const paletteEntry = headerSize === 12 ? 3 : 4;
  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const count = colorsUsed || 1 << bpp;
    const start = 14 + headerSize;
    if (start + count * paletteEntry > buf.length) fail('the palette is truncated');
    palette = new Uint8Array(count * 3);
    for (let i = 0; i < count; i++) {
      const p = start + i * paletteEntry;
      palette[i * 3] = buf[p + 2]!;
      palette[i * 3 + 1] = buf[p + 1]!;
      palette[i * 3 + 2] = buf[p]!;
    }
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + stride * height > buf.length) fail(`the pixel data is truncated (${buf.length} of ${dataOffset + stride * height} bytes)`);
  const out = new Uint8Array(width * height * 4);
  const maskShift = (m: number) => (m === 0 ? 0 : 31 - Math.clz32(m & -m));
  const maskScale = (m: number) => {
    if (m === 0) return 0;
    const bits = 32 - Math.clz32(m >>> maskShift(m));
    return 255 / ((1 << bits) - 1);
  };
  const shifts = masks?.map(maskShift);
  const scales = masks?.map(maskScale);
  // 32-bit BI_RGB: the 4th byte is usually padding; treat it as alpha only if some pixel uses it
  let useAlpha32 = false;
  if (bpp === 32 && !masks) {
    for (let y = 0; y < height && !useAlpha32; y++) {
      const row = dataOffset + y * stride;
      for (let x = 0; x < width; x++) if (buf[row + x * 4 + 3] !== 0) { useAlpha32 = true; break; }
    }
  }
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 4;
    for (let x = 0; x < width; x++, o += 4) {
      let r: number, g: number, b: number, a = 255;
      if (palette) {
        const bit = x * bpp;
        const byte = buf[row + (bit >> 3)]!;
        const idx = bpp === 8 ? byte : (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const p = Math.min(idx, palette.length / 3 - 1) * 3;
        r = palette[p]!; g = palette[p + 1]!; b = palette[p + 2]!;
      } else if (bpp === 24) {
        const p = row + x * 3;
        b = buf[p]!; g = buf[p + 1]!; r = buf[p + 2]!;
      } else if (bpp === 32 && !masks) {
        const p = row + x * 4;
        b = buf[p]!; g = buf[p + 1]!; r = buf[p + 2]!;
        if (useAlpha32) a = buf[p + 3]!;
      } else {
        const v = bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
        const ch = (i: number) => Math.round((((v & masks![i]!) >>> 0) >>> shifts![i]!) * scales![i]!);
        r = ch(0); g = ch(1); b = ch(2);
        if (masks![3]) a = ch(3);
      }
      out[o] = r; out[o + 1] = g; out[o + 2] = b; out[o + 3] = a;
    }
  }
  return { data: out, width, height };
}
