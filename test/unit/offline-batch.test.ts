/**
 * Issue 29: batched inference gives the same answers as one image per run. The batcher groups inputs of one
 * shape only (padding a narrow input to a wider one changes its reading), and the second look's views share runs.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import svgCaptcha from 'svg-captcha';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.js';
import { InferenceBatcher } from '../../src/solvers/offline/batcher.js';
import { LocalSolver, type RecognizeResult } from '../../src/solvers/offline/index.js';
import type { ModelInput } from '../../src/solvers/offline/preprocess.js';

const ROOT = join(__dirname, '..', '..');
const MODEL = join(ROOT, 'models', 'captcha-ocr.onnx');
const TESTDATA = join(ROOT, 'training', 'testdata');
const DEV = join(ROOT, '..', 'shared', 'data', 'dev');
const PER_DEV_SET = 6;

const input = (width: number, fill = width): ModelInput => ({ data: new Float32Array(2 * width).fill(fill), width, height: 2, contentWidth: width });

describe('InferenceBatcher', () => {
  /** A fake model: records each run's shape and answers the first value of every row. */
  function fake() {
    const runs: { n: number; width: number }[] = [];
    const batcher = new InferenceBatcher(async (data, n, height, width) => {
      runs.push({ n, width });
      return Array.from({ length: n }, (_, i) => data[i * height * width]);
    }, 4);
    return { runs, batcher };
  }

  it('runs the inputs submitted together in one run, each caller getting its own row', async () => {
    const { runs, batcher } = fake();
    const slots = await Promise.all([10, 10, 10].map((w, i) => batcher.submit(input(w, i + 1))));
    expect(runs).toEqual([{ n: 3, width: 10 }]);
    expect(slots.map((s) => s.result[s.index])).toEqual([1, 2, 3]);
  });

  it('never pads: inputs of other widths go to runs of their own, at most maxBatch per run', async () => {
    const { runs, batcher } = fake();
    await Promise.all([8, 16, 8, 8, 8, 8, 16].map((w) => batcher.submit(input(w))));
    expect(runs).toEqual([{ n: 4, width: 8 }, { n: 2, width: 16 }, { n: 1, width: 8 }]);
  });

  it('skips an input whose signal aborted before its run, rejecting with the reason', async () => {
    const { runs, batcher } = fake();
    const controller = new AbortController();
    const reason = new Error('gone');
    const skipped = batcher.submit(input(8), controller.signal);
    const kept = batcher.submit(input(8));
    controller.abort(reason);
    await expect(skipped).rejects.toBe(reason);
    await kept;
    expect(runs).toEqual([{ n: 1, width: 8 }]);
  });

  it('rejects every caller of a run that fails', async () => {
    const batcher = new InferenceBatcher(async () => Promise.reject(new Error('boom')), 8);
    const all = await Promise.allSettled([batcher.submit(input(8)), batcher.submit(input(8))]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

/** What must not change with batching: the answer, its confidence and every reading of the second look. */
const answer = (r: RecognizeResult) => ({ text: r.text, confidence: r.confidence.toFixed(5), readings: r.readings?.map((x) => `${x.text}@${x.confidence.toFixed(5)}`) });

async function compare(images: Buffer[]): Promise<void> {
  // below: 1 sends every image through the second look, so its views are batched too
  const secondLook = { below: 1, widthScales: [0.85], crops: [{ crop: 0.05, widthScale: 1 }, { crop: 0.16, widthScale: 1.15 }], views: [{ widthScale: 1, filter: 'thin' as const }, { widthScale: 1.15, filter: 'median' as const }], combine: 'sum' as const };
  const alone = new LocalSolver({ model: MODEL, batch: 1, secondLook });
  const batched = new LocalSolver({ model: MODEL, batch: 8, secondLook });
  try {
    const one: RecognizeResult[] = [];
    for (const image of images) one.push(await alone.recognize(image));
    const many = await batched.recognizeMany(images);
    expect(many.map((r) => (r.status === 'fulfilled' ? answer(r.value) : String(r.reason)))).toEqual(one.map(answer));
  } finally {
    await Promise.all([alone.close(), batched.close()]);
  }
}

describe.skipIf(!existsSync(MODEL))('LocalSolver: batched and unbatched readings agree', () => {
  it('on the committed synthetic images (training/testdata) and svg-captcha images of mixed sizes', async () => {
    const images: Buffer[] = readdirSync(TESTDATA).filter((f) => f.endsWith('.png')).map((f) => readFileSync(join(TESTDATA, f)));
    expect(images.length).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 9; i++) {
      const c = svgCaptcha.create({ size: 4 + (i % 3), noise: i % 3, width: 120 + 20 * (i % 2), height: 50 });
      images.push(await sharp(Buffer.from(c.data)).png().toBuffer());
    }
    await compare(images);
  }, 60_000);

  it.skipIf(!existsSync(DEV))(`on the first ${PER_DEV_SET} images of every dev set (../shared/data/dev${existsSync(DEV) ? '' : ': absent, skipped'})`, async () => {
    const sets = readdirSync(DEV).filter((d) => existsSync(join(DEV, d, 'labels.tsv')));
    const images = sets.flatMap((d) => readdirSync(join(DEV, d)).filter((f) => f.endsWith('.png')).sort().slice(0, PER_DEV_SET).map((f) => readFileSync(join(DEV, d, f))));
    expect(images.length).toBeGreaterThan(0);
    await compare(images);
  }, 120_000);

  it('recognizeMany keeps input order and reports a broken image in its own slot', async () => {
    const solver = new LocalSolver({ model: MODEL });
    try {
      const good = readFileSync(join(TESTDATA, 'vector1.png'));
      const [a, b, c] = await solver.recognizeMany([good, Buffer.from('not an image'), good]);
      expect(b).toMatchObject({ status: 'rejected', reason: { name: 'InvalidImageError' } });
      const text = (r: PromiseSettledResult<RecognizeResult> | undefined) => (r?.status === 'fulfilled' ? r.value.text : r?.status);
      expect(text(a)).toBe(JSON.parse(readFileSync(join(TESTDATA, 'vectors.json'), 'utf8')).vectors[0].text);
      expect(text(c)).toBe(text(a));
    } finally {
      await solver.close();
    }
  });
});

describe('LocalSolver batch options', () => {
  it.each([0, 65, 1.5])('refuses batch %s with a typed error', (batch) => {
    expect(() => new LocalSolver({ model: MODEL, batch })).toThrow(InvalidOptionError);
  });

  it('refuses a recognizeMany concurrency below 1', async () => {
    const solver = new LocalSolver({ model: MODEL });
    await expect(solver.recognizeMany([], { concurrency: 0 })).rejects.toThrow(/concurrency/);
  });
});

