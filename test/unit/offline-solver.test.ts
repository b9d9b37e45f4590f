import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidImageError, InvalidOptionError, UnsolvableError, isCaptchaSolverError } from '../../src/core/errors.js';
import { LocalSolver, ModelError, defaultModelPath, findPackageRoot } from '../../src/solvers/offline/index.js';

const ROOT = join(__dirname, '..', '..');
const SHIPPED = join(ROOT, 'models', 'captcha-ocr.onnx');
const DDDDOCR = join(ROOT, 'bench', '.cache', 'ddddocr', 'common_old.onnx'); // made by `npm run bench:ocr`
/** A model to run against: the shipped one, else the ddddocr baseline if the bench fetched it. */
const MODEL = existsSync(SHIPPED) ? SHIPPED : existsSync(DDDDOCR) ? DDDDOCR : undefined;
if (!MODEL) console.warn('offline-solver: no model (models/captcha-ocr.onnx absent, ddddocr not fetched): model-dependent tests skipped');

const tmp = mkdtempSync(join(tmpdir(), 'offline-solver-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid 1-bit PNG of 10000x10000 white-ish pixels that compresses to ~12 KB. */
function hugePng(): Buffer {
  const W = 10000, H = 10000;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  const raw = Buffer.alloc((1 + W / 8) * H, 0);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

async function textPng(text: string, width = 200, height = 50): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/><text x="12" y="38" font-family="DejaVu Sans, sans-serif" font-size="32" fill="#000">${text}</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('LocalSolver: model location and options', () => {
  it('finds the package root and the shipped model path from src/', () => {
    expect(findPackageRoot()).toBe(ROOT);
    expect(defaultModelPath()).toBe(SHIPPED);
    expect(new LocalSolver().modelPath).toBe(SHIPPED);
    expect(new LocalSolver().name).toBe('local');
  });

  it('validates options', () => {
    expect(() => new LocalSolver({ threads: 0 })).toThrow(InvalidOptionError);
    expect(() => new LocalSolver({ threads: 1.5 })).toThrow(InvalidOptionError);
    expect(() => new LocalSolver({ model: '' })).toThrow(InvalidOptionError);
    expect(() => new LocalSolver({ minConfidence: 2 })).toThrow(InvalidOptionError);
    expect(() => new LocalSolver({ maxInputPixels: -1 })).toThrow(InvalidOptionError);
    for (const secondLook of [{ below: 2, widthScales: [0.9] }, { below: 0.7, widthScales: [] }, { below: 0.7, widthScales: [1] }, { below: 0.7 }, null, { below: 0.7, widthScales: [0.9], combine: 'all' }]) {
      expect(() => new LocalSolver({ secondLook } as never), JSON.stringify(secondLook)).toThrow(InvalidOptionError);
    }
    expect(new LocalSolver({ secondLook: { below: 0.7, widthScales: [0.9, 1.15] } }).name).toBe('local');
  });
});

describe('LocalSolver: bad input gives a typed error, never a crash or a hang', () => {
  // a model path that does not exist: image errors must come first and stay typed
  const solver = new LocalSolver({ model: join(tmp, 'absent.onnx') });

  it('refuses empty, truncated, random and non-image input with InvalidImageError', async () => {
    const png = await textPng('ab12');
    const inputs: [string, Buffer | string][] = [
      ['empty buffer', Buffer.alloc(0)],
      ['empty string', ''],
      ['truncated PNG', png.subarray(0, png.length >> 1)],
      ['PNG signature only', png.subarray(0, 8)],
      ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) & 255))],
      ['text', Buffer.from('hello, I am not an image')],
      ['not base64', '%%%'],
      ['truncated JPEG', (await sharp(png).jpeg().toBuffer()).subarray(0, 200)],
    ];
    for (const [name, input] of inputs) {
      const err = await rejection(solver.recognize(input));
      expect(err, name).toBeInstanceOf(InvalidImageError);
      expect((err as InvalidImageError).code, name).toBe('ICS_ERR_INVALID_IMAGE');
      expect((err as Error).message, name).toMatch(/^LocalSolver\.recognize: /);
    }
    // through solve() too
    expect(await rejection(solver.solve({ body: '' }))).toBeInstanceOf(InvalidImageError);
  });

  it('refuses a 10000x10000 PNG (12 KB compressed) and a huge SVG by pixel count', async () => {
    const big = hugePng();
    expect(big.length).toBeLessThan(64 * 1024);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="10" height="10"/></svg>');
    for (const input of [big, svg, big.toString('base64')]) {
      const err = await rejection(solver.recognize(input));
      expect(err).toBeInstanceOf(InvalidImageError);
      expect((err as Error).message).toMatch(/larger than 16777216 px.*maxInputPixels/);
    }
  });

  it('refuses a BMP claiming more pixels than it holds', async () => {
    const header = Buffer.alloc(54);
    header.write('BM', 0, 'ascii');
    header.writeUInt32LE(54, 10);
    header.writeUInt32LE(40, 14);
    header.writeInt32LE(100, 18);
    header.writeInt32LE(100, 22);
    header.writeUInt16LE(1, 26);
    header.writeUInt16LE(24, 28);
    expect((await rejection(solver.recognize(header))) as Error).toBeInstanceOf(InvalidImageError);
    header.writeInt32LE(20000, 18);
    header.writeInt32LE(20000, 22);
    expect(((await rejection(solver.recognize(header))) as Error).message).toMatch(/too large/);
  });

  it('reports a missing model, a missing sidecar and a corrupt model with ModelError and a hint', async () => {
    const png = await textPng('ab12');
    const missing = await rejection(solver.recognize(png));
    expect(missing).toBeInstanceOf(ModelError);
    expect((missing as ModelError).message).toMatch(/model file is missing \(.*absent\.onnx\)\. Reinstall/);

    const corrupt = join(tmp, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is not a protobuf model at all'));
    const noSidecar = await rejection(new LocalSolver({ model: corrupt }).recognize(png));
    expect(noSidecar).toBeInstanceOf(ModelError);
    expect((noSidecar as Error).message).toMatch(/sidecar \(.*corrupt\.json\)/);

    writeFileSync(join(tmp, 'corrupt.json'), JSON.stringify({ version: 1, height: 32, charset: 'abc' }));
    const bad = await rejection(new LocalSolver({ model: corrupt }).recognize(png));
    expect(bad).toBeInstanceOf(ModelError);
    expect((bad as Error).message).toMatch(/cannot load the ONNX model/);
    expect(isCaptchaSolverError(bad)).toBe(true);
  });

  it('refuses task.images that is empty, over 9 or not an array with InvalidOptionError, before reading anything', async () => {
    const img = (await textPng('12')).toString('base64');
    for (const images of [Array(10).fill(img), [], img as unknown as string[], null as unknown as string[]]) {
      const err = await rejection(solver.solve({ body: img, module: 'number', images }));
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect((err as Error).message).toMatch(/^LocalSolver\.solve: `images` must hold 1 to 9 images \(got (10|0|string|null)\)/);
      expect((err as InvalidOptionError).provider).toBe('local');
    }
  });

  it('rejects with the signal reason when already aborted', async () => {
    const ac = new AbortController();
    const reason = new Error('stop');
    ac.abort(reason);
    expect(await rejection(solver.recognize(await textPng('x'), { signal: ac.signal }))).toBe(reason);
  });
});

describe.skipIf(!MODEL)('LocalSolver with a model', () => {
  const solver = new LocalSolver({ model: MODEL });
  afterAll(() => solver.close());

  it('reads a clean rendered word and reports a confidence', async () => {
    const r = await solver.recognize(await textPng('x7k2p'));
    expect(r.text.toLowerCase()).toBe('x7k2p');
    expect(r.confidence).toBeGreaterThan(0);
    expect(r.confidence).toBeLessThanOrEqual(1);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('solve(): provider local, lowercases when case is false, refuses empty and weak answers', async () => {
    const body = (await textPng('Hk4Pm')).toString('base64');
    const sol = await solver.solve({ body, case: false });
    expect(sol.provider).toBe('local');
    expect(sol.text).toBe(sol.text.toLowerCase());
    expect(sol.text).toBe((await solver.recognize(body, { caseSensitive: false })).text);
    expect(sol.text).toBe((await solver.recognize(body)).text.toLowerCase());
    expect(sol.confidence).toBeGreaterThan(0);

    const blank = (await sharp({ create: { width: 200, height: 50, channels: 3, background: '#fff' } }).png().toBuffer()).toString('base64');
    const empty = await rejection(solver.solve({ body: blank }));
    expect(empty).toBeInstanceOf(UnsolvableError);
    expect((empty as UnsolvableError).code).toBe('ERROR_CAPTCHA_UNSOLVABLE');
    expect((empty as UnsolvableError).provider).toBe('local');

    const r = await solver.recognize(body);
    if (r.confidence < 1) {
      const weak = await rejection(solver.solve({ body, score: Math.min(1, r.confidence + 1e-6) }));
      expect(weak).toBeInstanceOf(UnsolvableError);
      expect((weak as Error).message).toMatch(/below the minimum/);
    }
    expect((await solver.solve({ body, score: Math.max(0, r.confidence - 1e-6) })).text).toBe(r.text);
    expect(await rejection(solver.solve({ body, score: 5 }))).toBeInstanceOf(InvalidOptionError);
  });

  it('charset and module "number": only the allowed characters come out', async () => {
    const body = (await textPng('SOlZB')).toString('base64'); // letters shaped like 5, 0, 1, 2, 8
    const free = await solver.recognize(body);
    expect(free.text).toMatch(/[A-Za-z]/);
    const digits = await solver.recognize(body, { charset: '0123456789' });
    expect(digits.text).toMatch(/^[0-9]+$/);
    expect(digits.confidence).toBeGreaterThan(0);
    const sol = await solver.solve({ body, module: 'number' });
    expect(sol.text).toBe(digits.text);
    expect((await solver.solve({ body, module: 'common' })).text).toBe(free.text);
    // a digits captcha reads the same with the restriction
    const d = (await textPng('40718')).toString('base64');
    expect((await solver.recognize(d, { charset: '0123456789' })).text).toBe((await solver.recognize(d)).text);
    const unknown = await rejection(solver.recognize(body, { charset: '0€' }));
    expect(unknown).toBeInstanceOf(InvalidOptionError);
    expect((unknown as Error).message).toMatch(/cannot read "€"/);
    expect(await rejection(solver.recognize(body, { charset: '' }))).toBeInstanceOf(InvalidOptionError);
    // case-insensitive reading keeps either case of an allowed letter: uppercase glyphs still read
    const upper = (await textPng('KXWPM')).toString('base64');
    const lowerAllowed = await solver.recognize(upper, { caseSensitive: false, charset: 'kxwpm' });
    expect(lowerAllowed.text).toBe((await solver.recognize(upper, { caseSensitive: false })).text);
    expect((await solver.recognize(upper, { charset: 'kxwpm' })).text).toMatch(/^[kxwpm]*$/);
  });

  it('minLength / maxLength: the reading has an allowed length; one that fits is unchanged', async () => {
    const body = (await textPng('x7k2p')).toString('base64');
    const free = await solver.recognize(body);
    expect(free.text.toLowerCase()).toBe('x7k2p');
    expect(await solver.recognize(body, { minLength: 5, maxLength: 5 })).toMatchObject({ text: free.text, confidence: free.confidence });
    const shorter = await solver.recognize(body, { maxLength: 4, caseSensitive: false });
    expect(shorter.text).toHaveLength(4);
    expect(shorter.confidence).toBeLessThan(free.confidence);
    expect((await solver.recognize(body, { minLength: 6 })).text).toHaveLength(6);
    // the task fields (Anti-Captcha's names) do the same in solve()
    expect((await solver.solve({ body, maxLength: 4, case: false })).text).toBe(shorter.text);
    expect((await solver.solve({ body, minLength: 0, maxLength: 0 })).text).toBe(free.text);
    for (const bad of [{ minLength: -1 }, { maxLength: 2.5 }, { maxLength: 65 }, { minLength: 6, maxLength: 5 }]) {
      const e = await rejection(solver.recognize(body, bad));
      expect(e).toBeInstanceOf(InvalidOptionError);
      expect((e as Error).message).toMatch(/minLength|maxLength/);
    }
    const e = await rejection(solver.solve({ body, minLength: 3, maxLength: 2 }));
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect((e as Error).message).toMatch(/`task\.minLength` 3 is above `task\.maxLength` 2/);
  });

  describe('task.images (several images in one solve)', () => {
    const digits = ['40718', '2539', '6184', '7306', '95', '12', '3', '8', '581'];
    let bodies: string[];
    const b64 = async (text: string) => (await textPng(text)).toString('base64');
    beforeAll(async () => {
      bodies = await Promise.all(digits.map(b64));
    });

    it('module "number": one answer per image, in the order sent; text joins them; confidence is the lowest', async () => {
      const three = bodies.slice(0, 3);
      const sol = await solver.solve({ body: '', module: 'number', images: three });
      expect(sol.answers).toEqual(['40718', '2539', '6184']);
      expect(sol.text).toBe('4071825396184');
      expect(sol.provider).toBe('local');
      expect(sol.elapsedMs).toBeGreaterThanOrEqual(0);
      const singles = await Promise.all(three.map((body) => solver.solve({ body, module: 'number' })));
      expect(sol.confidence).toBe(Math.min(...singles.map((x) => x.confidence!)));

      const reversed = await solver.solve({ body: '', module: 'number', images: [...three].reverse() });
      expect(reversed.answers).toEqual(['6184', '2539', '40718']);
      expect(reversed.text).toBe('6184253940718');

      // 9 images (the most), Buffers and data: URLs too; `body` is ignored
      const nine = await solver.solve({
        body: three[0]!,
        module: 'number',
        images: bodies.map((b, i) => (i % 3 === 1 ? Buffer.from(b, 'base64') : i % 3 === 2 ? `data:image/png;base64,${b}` : b)) as string[],
      });
      expect(nine.answers).toEqual(digits);
      expect(nine.text).toBe(digits.join(''));
      // a single body has no answers
      expect((await solver.solve({ body: three[0]!, module: 'number' })).answers).toBeUndefined();
    });

    it('module "number" reads digits only in every image, as for `body`; case: false lowercases each', async () => {
      const shapes = await b64('SOlZB'); // letters shaped like 5, 0, 1, 2, 8
      const sol = await solver.solve({ body: '', module: 'number', images: [bodies[0]!, shapes] });
      expect(sol.answers![0]).toBe('40718');
      expect(sol.answers![1]).toMatch(/^[0-9]+$/);
      expect(sol.answers![1]).toBe((await solver.solve({ body: shapes, module: 'number' })).text);

      const mixed = await b64('Hk4Pm');
      const lower = await solver.solve({ body: '', images: [mixed, await b64('x7k2p')], case: false });
      expect(lower.answers).toEqual([(await solver.solve({ body: mixed, case: false })).text, 'x7k2p']);
      expect(lower.text).toBe(lower.text.toLowerCase());
      const free = await solver.solve({ body: '', images: [shapes] });
      expect(free.answers![0]).toMatch(/[A-Za-z]/);
    });

    it('the first image that fails fails the call, naming images[i]', async () => {
      const blank = (await sharp({ create: { width: 200, height: 50, channels: 3, background: '#fff' } }).png().toBuffer()).toString('base64');
      const empty = await rejection(solver.solve({ body: '', module: 'number', images: [bodies[0]!, blank, bodies[1]!] }));
      expect(empty).toBeInstanceOf(UnsolvableError);
      expect((empty as UnsolvableError).code).toBe('ERROR_CAPTCHA_UNSOLVABLE');
      expect((empty as Error).message).toMatch(/^LocalSolver\.solve: no text found in images\[1\] \(local model\)/);

      const broken = await rejection(solver.solve({ body: '', images: [bodies[0]!, Buffer.from('not an image').toString('base64')] }));
      expect(broken).toBeInstanceOf(InvalidImageError);
      expect((broken as Error).message).toMatch(/^LocalSolver\.solve: images\[1\]: the bytes are not an image .*\. Pass PNG/);
      expect((broken as InvalidImageError).hint).toMatch(/^Pass PNG/);
      expect((broken as InvalidImageError).provider).toBe('local');

      // score applies to each image: just above the weakest one's confidence fails on that image
      const weak = await b64('x7k2p'); // read as digits: a weak reading
      const r = await solver.solve({ body: weak, module: 'number' });
      if (r.confidence! < 1) {
        const err = await rejection(solver.solve({ body: '', module: 'number', images: [bodies[0]!, weak], score: Math.min(1, r.confidence! + 1e-6) }));
        expect(err).toBeInstanceOf(UnsolvableError);
        expect((err as Error).message).toMatch(/in images\[1\] with confidence .* below the minimum/);
      }
    });
  });

  it('second look: an unsure reading is read again at other widths; the most confident wins, its confidence scaled by agreement', async () => {
    // squeezed text: narrower than the model expects, so the plain reading is unsure of it
    const img = await sharp(await textPng('wmnrm', 260, 50)).resize(130, 50, { fit: 'fill' }).png().toBuffer();
    const scales = [0.8, 1.25, 1.6];
    const solvers = {
      once: new LocalSolver({ model: MODEL, secondLook: false }),
      never: new LocalSolver({ model: MODEL, secondLook: { below: 0, widthScales: scales } }),
      always: new LocalSolver({ model: MODEL, secondLook: { below: 1, widthScales: scales } }),
      voting: new LocalSolver({ model: MODEL, secondLook: { below: 1, widthScales: scales, combine: 'sum' } }),
    };
    const each = scales.map((s) => new LocalSolver({ model: MODEL, secondLook: { below: 1, widthScales: [s] } }));
    try {
      const first = await solvers.once.recognize(img);
      expect(first.widthScale).toBe(1);
      expect(first.readings).toBeUndefined();
      expect(first.confidence).toBeLessThan(1);
      const unsure = await solvers.never.recognize(img);
      expect(unsure).toMatchObject({ text: first.text, confidence: first.confidence, widthScale: 1 });
      expect(unsure.readings).toBeUndefined();

      const r = await solvers.always.recognize(img);
      expect(r.readings?.map((x) => x.widthScale)).toEqual([1, ...scales]);
      expect(r.readings?.[0]).toEqual({ widthScale: 1, text: first.text, confidence: first.confidence });
      // each extra reading is what a solver looking at that one width reads there
      const single = await Promise.all(each.map((s) => s.recognize(img)));
      single.forEach((x, i) => expect(x.readings?.[1]).toEqual(r.readings?.[i + 1]));
      const best = r.readings!.reduce((a, b) => (b.confidence > a.confidence ? b : a));
      const agree = r.readings!.filter((x) => x.text === best.text).length;
      expect(r).toMatchObject({ text: best.text, widthScale: best.widthScale });
      expect(r.confidence).toBeCloseTo((best.confidence * agree) / 4, 12);

      // combine: 'sum' reads the same four and keeps the text with the most summed confidence
      const v = await solvers.voting.recognize(img);
      expect(v.readings).toEqual(r.readings);
      const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
      const support = (text: string) => r.readings!.filter((x) => same(x.text, text)).reduce((n, x) => n + x.confidence, 0);
      const top = Math.max(...r.readings!.map((x) => support(x.text)));
      expect(support(v.text)).toBe(top);
      const agreeing = r.readings!.filter((x) => same(x.text, v.text));
      expect(v.widthScale).toBe(agreeing.reduce((a, b) => (b.confidence > a.confidence ? b : a)).widthScale);
      expect(v.confidence).toBeCloseTo((Math.max(...agreeing.map((x) => x.confidence)) * agreeing.length) / 4, 12);
    } finally {
      await Promise.all([...Object.values(solvers), ...each].map((s) => s.close()));
    }
  });

  it('second look with crops: each crop view reads the image cut down in height, as a solver given that cut-out reads it', async () => {
    const png = await textPng('x7k2p', 200, 50);
    const views = [{ crop: 0.1, widthScale: 1 }, { crop: 0.16, widthScale: 1.15 }];
    const cropping = new LocalSolver({ model: MODEL, secondLook: { below: 1, widthScales: [], crops: views, combine: 'sum' } });
    const single = views.map((v) => new LocalSolver({ model: MODEL, secondLook: v.widthScale === 1 ? false : { below: 1, widthScales: [v.widthScale] } }));
    try {
      const r = await cropping.recognize(png);
      expect(r.readings?.map((x) => [x.widthScale, x.crop])).toEqual([[1, undefined], [1, 0.1], [1.15, 0.16]]);
      // crop 0.1 of 50 rows: 5 off the top and 5 off the bottom; 0.16: 8 each
      for (const [i, v] of views.entries()) {
        const p = Math.round(50 * v.crop);
        const cut = await sharp(png).extract({ left: 0, top: p, width: 200, height: 50 - 2 * p }).png().toBuffer();
        const alone = await single[i]!.recognize(cut);
        const same = v.widthScale === 1 ? alone : alone.readings![1]!;
        expect({ text: r.readings![i + 1]!.text, confidence: r.readings![i + 1]!.confidence }).toEqual({ text: same.text, confidence: same.confidence });
      }
      expect(r.text.toLowerCase()).toBe('x7k2p');
    } finally {
      await Promise.all([cropping, ...single].map((s) => s.close()));
    }
  });

  it('second look with filter views: each reads the image through its filter, after the widths and the crops', async () => {
    const png = await textPng('x7k2p', 200, 50);
    const look = { below: 1, widthScales: [0.9], crops: [{ crop: 0.1, widthScale: 1 }], views: [{ widthScale: 1, filter: 'thin' as const }, { widthScale: 1.15, filter: 'median' as const }, { widthScale: 0.85, filter: 'thick' as const }], combine: 'sum' as const };
    const filtering = new LocalSolver({ model: MODEL, secondLook: look });
    try {
      const r = await filtering.recognize(png);
      expect(r.readings?.map((x) => [x.widthScale, x.crop, x.filter])).toEqual([[1, undefined, undefined], [0.9, undefined, undefined], [1, 0.1, undefined], [1, undefined, 'thin'], [1.15, undefined, 'median'], [0.85, undefined, 'thick']]);
      expect(r.text.toLowerCase()).toBe('x7k2p');
      // every view, filtered or not, read some text (an empty reading has confidence 0)
      for (const x of r.readings!) expect(x.confidence).toBeGreaterThan(0);
    } finally {
      await filtering.close();
    }
  });

  it('skips a filter view whose doubled resize would exceed maxInputPixels, and still answers', async () => {
    const png = await textPng('x7k2p', 200, 50); // 10000 px; read at 128 x 32 from 128 x 50, filtered from 256 x 50
    const look = { below: 1, widthScales: [0.9], views: [{ widthScale: 1, filter: 'thin' as const }], combine: 'sum' as const };
    const tight = new LocalSolver({ model: MODEL, maxInputPixels: 12_000, secondLook: look });
    try {
      const r = await tight.recognize(png);
      expect(r.readings?.map((x) => [x.widthScale, x.filter])).toEqual([[1, undefined], [0.9, undefined]]);
      expect(r.text.toLowerCase()).toBe('x7k2p');
    } finally {
      await tight.close();
    }
  });

  it('runs 20 concurrent solves on one session, all answering as sequential calls do', async () => {
    const words = ['ab12', 'x7k2p', 'mn34', 'q9rs', 'tu56'];
    const images = await Promise.all(words.map((w) => textPng(w)));
    const sequential: string[] = [];
    for (const img of images) sequential.push((await solver.recognize(img)).text);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => solver.solve({ body: images[i % 5]!.toString('base64') })));
    expect(results.map((r) => r.text)).toEqual(Array.from({ length: 20 }, (_, i) => sequential[i % 5]));
  });

  it('close() waits for queued runs, and the next call loads the model again', async () => {
    const img = await textPng('ab12');
    const pending = Promise.all([solver.recognize(img), solver.recognize(img)]);
    await solver.close();
    const [a, b] = await pending;
    expect(a.text).toBe(b.text);
    expect((await solver.recognize(img)).text).toBe(a.text);
  });

  it('a timeout shorter than the work rejects with TimeoutError and later calls still work', async () => {
    const s = new LocalSolver({ model: MODEL });
    try {
      const err = await rejection(s.recognize(await textPng('ab12'), { timeout: 1 })); // loading alone takes longer
      expect((err as Error).name).toBe('TimeoutError');
      expect((await s.recognize(await textPng('ab12'))).text.toLowerCase()).toBe('ab12');
    } finally {
      await s.close();
    }
  });
});
