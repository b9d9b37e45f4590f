import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeToRgba } from '../../src/solvers/offline/index.js';
import { decodePngFast } from '../../src/solvers/offline/png.js';

const LIMIT = 1 << 24;

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

interface PngSpec {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  /** The raw rows' bytes, before filtering. */
  rows: Uint8Array[];
  /** The filter of each row (cycled): 0 none, 1 sub, 2 up, 3 average, 4 paeth. */
  filters: number[];
  extra?: Buffer[];
}

/** A PNG written by hand, each row filtered with the filter asked for, so every filter is decoded. */
function png({ width, height, depth, colorType, rows, filters, extra = [] }: PngSpec): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]!;
  const bpp = Math.max(1, (channels * depth) >> 3);
  const filtered = rows.map((row, y) => {
    const f = filters[y % filters.length]!;
    const up = y > 0 ? rows[y - 1]! : new Uint8Array(row.length);
    const out = new Uint8Array(row.length + 1);
    out[0] = f;
    for (let x = 0; x < row.length; x++) {
      const a = x >= bpp ? row[x - bpp]! : 0, b = up[x]!, c = x >= bpp ? up[x - bpp]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predicted = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f]!;
      out[x + 1] = (row[x]! - predicted) & 0xff;
    }
    return out;
  });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const stream = deflateSync(Buffer.concat(filtered));
  // the stream split over two IDAT chunks, as encoders do for large images
  const half = stream.length >> 1;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), ...extra, chunk('IDAT', stream.subarray(0, half)), chunk('IDAT', stream.subarray(half)), chunk('IEND', new Uint8Array()),
  ]);
}

function randomRows(width: number, height: number, bytesPerRow: number, seed: number): Uint8Array[] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  return Array.from({ length: height }, () => Uint8Array.from({ length: bytesPerRow }, next));
}

async function viaSharp(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes, { failOn: 'error', pages: 1, animated: false }).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer();
}

const FILTERS = [0, 1, 2, 3, 4];

describe('decodePngFast (PNG fast path)', () => {
  const cases: [string, Omit<PngSpec, 'rows' | 'filters'>, number][] = [
    ['RGBA', { width: 23, height: 11, depth: 8, colorType: 6 }, 4 * 23],
    ['RGB', { width: 17, height: 9, depth: 8, colorType: 2 }, 3 * 17],
    ['gray + alpha', { width: 13, height: 7, depth: 8, colorType: 4 }, 2 * 13],
    ['gray 8-bit', { width: 19, height: 6, depth: 8, colorType: 0 }, 19],
    ['gray 4-bit', { width: 19, height: 6, depth: 4, colorType: 0 }, 10],
    ['gray 2-bit', { width: 19, height: 6, depth: 2, colorType: 0 }, 5],
    ['gray 1-bit', { width: 19, height: 6, depth: 1, colorType: 0 }, 3],
  ];
  for (const [name, header, bytesPerRow] of cases) {
    it(`gives sharp's RGBA byte for byte: ${name}, every row filter`, async () => {
      const bytes = png({ ...header, rows: randomRows(header.width, header.height, bytesPerRow, header.width), filters: FILTERS });
      const fast = decodePngFast(bytes, LIMIT);
      expect(fast).toBeDefined();
      expect(Buffer.from(fast!.data).equals(await viaSharp(bytes))).toBe(true);
      expect([fast!.width, fast!.height]).toEqual([header.width, header.height]);
    });
  }

  it("applies palettes (1, 4 and 8 bits) and tRNS (palette alpha, gray and RGB colour keys) as sharp does", async () => {
    const palette = Uint8Array.from({ length: 16 * 3 }, (_, i) => (i * 37) & 0xff);
    for (const depth of [1, 4, 8]) {
      const count = Math.min(16, 1 << depth);
      const rows = randomRows(21, 5, Math.ceil((21 * depth) / 8), depth).map((r) => (depth === 8 ? r.map((v) => v % count) : r));
      const bytes = png({ width: 21, height: 5, depth, colorType: 3, rows, filters: FILTERS, extra: [chunk('PLTE', palette.subarray(0, count * 3)), chunk('tRNS', Uint8Array.from([0, 90]))] });
      expect(Buffer.from(decodePngFast(bytes, LIMIT)!.data).equals(await viaSharp(bytes)), `${depth}-bit palette`).toBe(true);
    }
    const grayKey = png({ width: 8, height: 2, depth: 8, colorType: 0, rows: [Uint8Array.from([0, 7, 7, 9, 7, 1, 2, 3]), new Uint8Array(8).fill(7)], filters: [0], extra: [chunk('tRNS', Uint8Array.from([0, 7]))] });
    const rgbKey = png({ width: 2, height: 1, depth: 8, colorType: 2, rows: [Uint8Array.from([1, 2, 3, 1, 2, 4])], filters: [0], extra: [chunk('tRNS', Uint8Array.from([0, 1, 0, 2, 0, 3]))] });
    for (const bytes of [grayKey, rgbKey]) expect(Buffer.from(decodePngFast(bytes, LIMIT)!.data).equals(await viaSharp(bytes))).toBe(true);
    expect(decodePngFast(rgbKey, LIMIT)!.data[3]).toBe(0);
  });

  it('reads PNGs written by sharp (palette and not), which ignores gAMA/sRGB as we do', async () => {
    const raw = Buffer.from(Uint8Array.from({ length: 40 * 20 * 3 }, (_, i) => (i * 7919) % 251));
    const input = sharp(raw, { raw: { width: 40, height: 20, channels: 3 } });
    for (const bytes of [await input.clone().png().toBuffer(), await input.clone().png({ palette: true, colours: 8 }).toBuffer()]) {
      const fast = decodePngFast(bytes, LIMIT);
      expect(fast).toBeDefined();
      expect(Buffer.from(fast!.data).equals(await viaSharp(bytes))).toBe(true);
    }
  });

  it('leaves to sharp what it does not read: 16-bit, interlaced, ICC profiles, APNG, broken streams, too many pixels', async () => {
    const rows = randomRows(4, 4, 4 * 8, 1);
    const rgba16 = png({ width: 4, height: 4, depth: 16, colorType: 6, rows, filters: [0] });
    const interlaced = png({ width: 4, height: 4, depth: 8, colorType: 0, rows: randomRows(4, 4, 4, 2), filters: [0] });
    interlaced[8 + 8 + 12] = 1; // IHDR's interlace byte (the CRC no longer matches; the fast path does not get that far)
    const plain = png({ width: 4, height: 4, depth: 8, colorType: 0, rows: randomRows(4, 4, 4, 3), filters: [0] });
    const withIcc = png({ width: 4, height: 4, depth: 8, colorType: 0, rows: randomRows(4, 4, 4, 3), filters: [0], extra: [chunk('iCCP', Uint8Array.from([0x61, 0, 0, 0x78, 0x9c]))] });
    const badFilter = png({ width: 4, height: 4, depth: 8, colorType: 0, rows: randomRows(4, 4, 4, 3), filters: [0] });
    const truncated = plain.subarray(0, plain.length - 20);
    expect(decodePngFast(rgba16, LIMIT)).toBeUndefined();
    expect(decodePngFast(interlaced, LIMIT)).toBeUndefined();
    expect(decodePngFast(withIcc, LIMIT)).toBeUndefined();
    expect(decodePngFast(truncated, LIMIT)).toBeUndefined();
    expect(decodePngFast(plain, 15)).toBeUndefined();
    expect(decodePngFast(plain, 16)).toBeDefined();
    // a filter byte of 9 is no filter: sharp is asked, and its error reaches the user
    const stream = deflateSync(Buffer.concat(randomRows(4, 4, 4, 4).map((r) => Buffer.concat([Buffer.from([9]), r]))));
    const bad = Buffer.concat([badFilter.subarray(0, 33), chunk('IDAT', stream), chunk('IEND', new Uint8Array())]);
    expect(decodePngFast(bad, LIMIT)).toBeUndefined();
    // 16-bit still decodes, through sharp
    const rgba = await decodeToRgba(rgba16);
    expect([rgba.width, rgba.height, rgba.data.length]).toEqual([4, 4, 64]);
  });
});

describe('decodePngFast on a stream that inflates past its rows', () => {
  it('stops inflating and leaves the file to sharp', () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(4, 0);
    ihdr.writeUInt32BE(4, 4);
    ihdr[8] = 8;
    ihdr[9] = 0;
    // 4x4 gray needs 20 bytes; the stream holds 64 MB of zeros
    const bomb = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64 << 20))), chunk('IEND', new Uint8Array()),
    ]);
    expect(decodePngFast(bomb, LIMIT)).toBeUndefined();
  });
});
