/**
 * A fast path for the PNGs most captchas are: 8-bit samples or fewer, not interlaced, no ICC profile. Decoding
 * them here (node:zlib and the scanline filters) takes a few tenths of a millisecond where a sharp call takes 1–2 ms
 * (measured on the dev sets' captchas): more than the model's own reading of the image (about 1 ms in int8).
 *
 * The output is the RGBA sharp gives for the same file, byte for byte (sharp ignores gAMA, cHRM and sRGB too;
 * see the tests). Anything else (16-bit samples, Adam7 interlacing, an ICC profile, APNG, an unknown filter, a
 * truncated or corrupt stream) returns undefined and is left to sharp, which also words the errors.
 */
import { inflateSync } from 'node:zlib';
import type { RawRgba } from './bmp.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Channels per colour type: gray, -, RGB, palette, gray+alpha, -, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Chunks that change the colours sharp returns, or that we do not read: their presence sends the file to sharp. */
const LEFT_TO_SHARP = new Set(['iCCP', 'acTL']);

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
}

interface Chunks {
  header: Header;
  idat: Uint8Array[];
  palette?: Uint8Array;
  trns?: Uint8Array;
}

/** Decodes `buf` when it is a PNG this fast path reads, else undefined (sharp decodes it). */
export function decodePngFast(buf: Uint8Array, maxPixels: number): RawRgba | undefined {
  const chunks = readChunks(buf);
  if (!chunks) return undefined;
  const { width, height, depth, colorType } = chunks.header;
  if (width * height > maxPixels) return undefined;
  const expected = height * (Math.ceil((width * CHANNELS[colorType]! * depth) / 8) + 1);
  let raw: Buffer;
  try {
    // a stream that inflates past the rows the header announces (a zip bomb) fails here and goes to sharp
    raw = inflateSync(concat(chunks.idat), { maxOutputLength: expected + 1024 });
  } catch {
    return undefined;
  }
  const pixels = unfilter(raw, chunks.header);
  const data = pixels && toRgba(pixels, chunks);
  return data && { data, width, height };
}

/** The chunks the decoder needs, or undefined when the file is not a plain PNG it reads. */
function readChunks(buf: Uint8Array): Chunks | undefined {
  if (buf.length < 33 || SIGNATURE.some((b, i) => buf[i] !== b)) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let header: Header | undefined;
  const idat: Uint8Array[] = [];
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  for (let at = 8; at + 12 <= buf.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(buf[at + 4]!, buf[at + 5]!, buf[at + 6]!, buf[at + 7]!);
    const data = buf.subarray(at + 8, at + 8 + length);
    if (data.length !== length) return undefined;
    if (type === 'IHDR') header = readHeader(view, at + 8, length);
    else if (LEFT_TO_SHARP.has(type) || !header) return undefined;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IEND') return idat.length > 0 ? { header, idat, palette, trns } : undefined;
    at += 12 + length;
  }
  return undefined;
}

function readHeader(view: DataView, at: number, length: number): Header | undefined {
  if (length !== 13) return undefined;
  const width = view.getUint32(at);
  const height = view.getUint32(at + 4);
  const depth = view.getUint8(at + 8);
  const colorType = view.getUint8(at + 9);
  const interlaced = view.getUint8(at + 12) !== 0;
  const channels = CHANNELS[colorType];
  if (!channels || interlaced || width < 1 || height < 1 || depth > 8) return undefined;
  if ((colorType === 2 || colorType === 4 || colorType === 6) && depth !== 8) return undefined;
  if (![1, 2, 4, 8].includes(depth)) return undefined;
  return { width, height, depth, colorType };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts);
}

/** Undoes the per-row filters; returns the rows without their filter bytes, or undefined when short or unknown. */
function unfilter(raw: Uint8Array, { width, height, depth, colorType }: Header): Uint8Array | undefined {
  const bpp = Math.max(1, (CHANNELS[colorType]! * depth) >> 3);
  const stride = Math.ceil((width * CHANNELS[colorType]! * depth) / 8);
  if (raw.length < height * (stride + 1)) return undefined;
  const out = new Uint8Array(height * stride);
  const zeros = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = out.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? out.subarray((y - 1) * stride, y * stride) : zeros;
    if (!unfilterRow(filter, line, cur, up, bpp)) return undefined;
  }
  return out;
}

/** One row: `cur` = `line` plus the prediction of `filter` from the left (`bpp` bytes back) and `up` rows. */
function unfilterRow(filter: number, line: Uint8Array, cur: Uint8Array, up: Uint8Array, bpp: number): boolean {
  const n = line.length;
  switch (filter) {
    case 0:
      cur.set(line);
      return true;
    case 1:
      for (let x = 0; x < n; x++) cur[x] = (line[x]! + (x >= bpp ? cur[x - bpp]! : 0)) & 0xff;
      return true;
    case 2:
      for (let x = 0; x < n; x++) cur[x] = (line[x]! + up[x]!) & 0xff;
      return true;
    case 3:
      for (let x = 0; x < n; x++) cur[x] = (line[x]! + (((x >= bpp ? cur[x - bpp]! : 0) + up[x]!) >> 1)) & 0xff;
      return true;
    case 4:
      for (let x = 0; x < n; x++) {
        const a = x >= bpp ? cur[x - bpp]! : 0, c = x >= bpp ? up[x - bpp]! : 0;
        cur[x] = (line[x]! + paeth(a, up[x]!, c)) & 0xff;
      }
      return true;
    default:
      return false;
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Unfiltered rows → RGBA, 8 bits per channel: low bit depths scaled, palettes looked up, tRNS applied; undefined
 * when a palette index has no entry.
 */
function toRgba(pixels: Uint8Array, { header, palette, trns }: Chunks): Uint8Array | undefined {
  const { width, height, depth, colorType } = header;
  const out = new Uint8Array(width * height * 4);
  const stride = Math.ceil((width * CHANNELS[colorType]! * depth) / 8);
  const max = (1 << depth) - 1;
  const grayKey = colorType === 0 && trns && trns.length >= 2 ? ((trns[0]! << 8) | trns[1]!) : -1;
  const rgbKey = colorType === 2 && trns && trns.length >= 6 ? [trns[1]!, trns[3]!, trns[5]!] : undefined;
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0, o = (y * width) * 4; x < width; x++, o += 4) {
      if (colorType === 6) {
        const p = row + x * 4;
        out[o] = pixels[p]!; out[o + 1] = pixels[p + 1]!; out[o + 2] = pixels[p + 2]!; out[o + 3] = pixels[p + 3]!;
      } else if (colorType === 2) {
        const p = row + x * 3;
        const r = pixels[p]!, g = pixels[p + 1]!, b = pixels[p + 2]!;
        out[o] = r; out[o + 1] = g; out[o + 2] = b;
        out[o + 3] = rgbKey && r === rgbKey[0] && g === rgbKey[1] && b === rgbKey[2] ? 0 : 255;
      } else if (colorType === 4) {
        const p = row + x * 2;
        out[o] = out[o + 1] = out[o + 2] = pixels[p]!; out[o + 3] = pixels[p + 1]!;
      } else {
        const v = sample(pixels, row, x, depth);
        if (colorType === 0) {
          out[o] = out[o + 1] = out[o + 2] = Math.round((v * 255) / max);
          out[o + 3] = v === grayKey ? 0 : 255;
        } else {
          const p = v * 3;
          if (!palette || p + 2 >= palette.length) return undefined;
          out[o] = palette[p]!; out[o + 1] = palette[p + 1]!; out[o + 2] = palette[p + 2]!;
          out[o + 3] = trns && v < trns.length ? trns[v]! : 255;
        }
      }
    }
  }
  return out;
}

/** The `x`-th sample of a row of 1-, 2-, 4- or 8-bit samples. */
function sample(pixels: Uint8Array, row: number, x: number, depth: number): number {
  if (depth === 8) return pixels[row + x]!;
  const perByte = 8 / depth;
  const byte = pixels[row + Math.floor(x / perByte)]!;
  const shift = 8 - depth * ((x % perByte) + 1);
  return (byte >> shift) & ((1 << depth) - 1);
}
