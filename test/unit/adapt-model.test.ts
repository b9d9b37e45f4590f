/**
 * adaptModel end to end on a captcha style of our own (test/support/adapt-style.ts) that the shipped model reads
 * badly: after adapting on 150 images, it must read FRESH images of the style (another seed, never seen) far
 * better, and LocalSolver must load the model folder it writes. With the shipped rehearsal pack mixed in (the
 * default) it keeps reading other styles (the fixture site's generators) better than adapted without it. Plus
 * the refusals, each with its typed reason.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelClasses } from '../../src/adapt/dataset.js';
import { adaptModel, isAdaptError, type AdaptProgress, type AdaptResult } from '../../src/adapt/index.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';
import { createRng } from '../../fixtures/site/rng.js';
import { issueStyle } from '../../fixtures/site/styles.js';
import { defaultRehearsalDir } from '../../src/adapt/index.js';
import { styleImages, sumText } from '../support/adapt-style.js';

const tmp = mkdtempSync(join(tmpdir(), 'adapt-model-'));
const MODELS = join(__dirname, '..', '..', 'models');
const fresh = styleImages(60, 2002);

async function accuracy(model: string | undefined, images: readonly { image: Uint8Array; text: string }[] = fresh, ignoreCase = false, int8 = true): Promise<number> {
  const solver = new LocalSolver({ ...(model ? { model } : {}), math: false, secondLook: false, int8 });
  const same = (a: string, b: string) => (ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b);
  try {
    let ok = 0;
    for (const it of images) ok += Number(same((await solver.recognize(it.image)).text, it.text));
    return ok / images.length;
  } finally {
    await solver.close();
  }
}

/** Images of the fixture site's text styles: what an adapted model should still read. */
async function otherStyles(): Promise<{ image: Uint8Array; text: string }[]> {
  const rng = createRng(77);
  const out: { image: Uint8Array; text: string }[] = [];
  for (const style of ['securimage', 'gregwar', 'mews', 'kaptcha', 'django', 'phpbb', 'cf7', 'bitrix'] as const) {
    for (let i = 0; i < 10; i++) {
      const issued = await issueStyle(style, rng);
      if (issued.image) out.push({ image: issued.image.bytes, text: issued.answer });
    }
  }
  return out;
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('adaptModel on a new style', () => {
  let result: AdaptResult;
  const events: AdaptProgress[] = [];
  const out = join(tmp, 'style-model');

  beforeAll(async () => {
    result = await adaptModel({ data: styleImages(150, 1001), out, epochs: 8, val: 0.15, onProgress: (e) => events.push(e) });
  }, 300_000);

  it('reads fresh images of the style far better than the base model', async () => {
    const base = await accuracy(undefined);
    const adapted = await accuracy(out);
    expect(base).toBeLessThan(0.5);
    expect(adapted).toBeGreaterThanOrEqual(0.7);
    expect(adapted - base).toBeGreaterThanOrEqual(0.35);
  }, 60_000);

  it('reports the validation accuracy before and after, and its progress', () => {
    expect(result.trainImages + result.valImages).toBe(150);
    expect(result.after.accuracy).toBeGreaterThan(result.before.accuracy);
    const epochs = events.filter((e) => e.phase === 'train');
    expect(epochs.length).toBe(result.epochs);
    expect(events.some((e) => e.phase === 'features')).toBe(true);
    expect(events.at(-1)?.phase).toBe('write');
  });

  it('keeps the second look only when it read more validation images right, and says so in the sidecar', () => {
    const sidecar = JSON.parse(readFileSync(join(out, 'captcha-ocr.json'), 'utf8')) as { secondLook?: unknown; adaptedFrom: { secondLook: string } };
    const [, verdict, withIt, n, without] = /^(kept|dropped): (\d+) of (\d+) validation images right with it, (\d+) without$/.exec(sidecar.adaptedFrom.secondLook) ?? [];
    expect(verdict).toBe(result.secondLook ? 'kept' : 'dropped');
    expect(Number(n)).toBe(result.valImages);
    expect(Number(withIt) > Number(without)).toBe(result.secondLook);
    expect(sidecar.secondLook !== undefined).toBe(result.secondLook);
  });

  it('a model of codes, not sums, does not read arithmetic', () => {
    expect(result.readsArithmetic).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'captcha-ocr.json'), 'utf8')).readsArithmetic).toBeUndefined();
  });

  it("writes its own int8 copy (the base's, with the trained head quantized in) and keeps it only when it reads as well", async () => {
    const sidecar = JSON.parse(readFileSync(join(out, 'captcha-ocr.json'), 'utf8')) as { int8?: string; adaptedFrom: { int8: string } };
    const [, verdict, withIt, n, float] = /^(kept|dropped): (\d+) of (\d+) validation images right with it \(one look\), (\d+) in float$/.exec(sidecar.adaptedFrom.int8) ?? [];
    expect(verdict).toBe(result.int8 ? 'kept' : 'dropped');
    expect(Number(n)).toBe(result.valImages);
    expect(Number(withIt) >= Number(float) - 1).toBe(result.int8);
    // on this style the copy reads as the float model does (measured: kept)
    expect(result.int8).toBe(true);
    expect(sidecar.int8).toBe('captcha-ocr.int8.onnx');
    expect(readFileSync(join(out, 'captcha-ocr.int8.onnx')).equals(readFileSync(join(MODELS, 'captcha-ocr.int8.onnx')))).toBe(false);
    const solver = new LocalSolver({ model: out });
    try {
      expect(await solver.loadedFile()).toBe(join(out, 'captcha-ocr.int8.onnx'));
    } finally {
      await solver.close();
    }
    // the fresh images of the style, read by the int8 copy and by the float model
    const [int8Reads, floatReads] = [await accuracy(out), await accuracy(out, fresh, false, false)];
    expect(Math.abs(int8Reads - floatReads)).toBeLessThanOrEqual(0.05);
  }, 60_000);

  it('mixed the shipped rehearsal pack in', () => {
    const rows = readFileSync(join(defaultRehearsalDir(), 'labels.tsv'), 'utf8').trim().split('\n').length - 1;
    expect(rows).toBeGreaterThanOrEqual(200);
    expect(result.rehearsalImages).toBe(rows);
  });

  it('keeps reading other styles, better than adapted without rehearsal', async () => {
    const alone = join(tmp, 'style-model-alone');
    const r = await adaptModel({ data: styleImages(150, 1001), out: alone, epochs: 8, val: 0.15, rehearsal: false });
    expect(r.rehearsalImages).toBe(0);
    const others = await otherStyles();
    const [base, kept, forgot] = [await accuracy(undefined, others, true), await accuracy(out, others, true), await accuracy(alone, others, true)];
    expect(base).toBeGreaterThanOrEqual(0.8);
    // measured: base 0.875, with rehearsal 0.838, without 0.775 (80 images; on real sets the gap is far wider)
    expect(kept, `base ${base}, with rehearsal ${kept}, without ${forgot}`).toBeGreaterThanOrEqual(base - 0.1);
    expect(kept - forgot, `base ${base}, with rehearsal ${kept}, without ${forgot}`).toBeGreaterThanOrEqual(0.03);
  }, 300_000);

  it('refuses to overwrite the model folder without force', async () => {
    const err = await adaptModel({ data: styleImages(60, 3), out }).catch((e: unknown) => e);
    expect(isAdaptError(err) && err.reason).toBe('out-exists');
  });
});

describe('adaptModel with newCharacters on sums (a "+" the shipped model cannot spell)', () => {
  const out = join(tmp, 'sum-model');
  let result: AdaptResult;

  beforeAll(async () => {
    result = await adaptModel({ data: styleImages(200, 1101, sumText), out, epochs: 12, val: 0.15, newCharacters: true });
  }, 300_000);

  it('learns "+" as a new class, written into the sidecar\'s charset', () => {
    expect(result.newCharacters).toEqual(['+']);
    const sidecar = JSON.parse(readFileSync(join(out, 'captcha-ocr.json'), 'utf8')) as { charset: string; readsArithmetic?: boolean; adaptedFrom: { newCharacters: string } };
    expect(sidecar.charset.endsWith('+')).toBe(true);
    expect(result.readsArithmetic).toBe(true);
    expect(sidecar.readsArithmetic).toBe(true);
    expect(sidecar.adaptedFrom.newCharacters).toBe('+');
  });

  it('reads fresh sums of the style, and answers each with its value', async () => {
    const fresh = styleImages(40, 2202, sumText);
    const solver = new LocalSolver({ model: out, math: false });
    let right = 0;
    try {
      for (const it of fresh) {
        const r = await solver.recognize(it.image);
        const [a, b] = it.text.split('+').map(Number);
        if (r.expression === it.text && r.text === String(a! + b!)) right++;
      }
    } finally {
      await solver.close();
    }
    expect(right / fresh.length).toBeGreaterThanOrEqual(0.6);
  }, 60_000);
});

describe('adaptModel refuses bad input', () => {
  const out = join(tmp, 'never-written');

  it('too few images', async () => {
    const err = await adaptModel({ data: styleImages(49, 4), out }).catch((e: unknown) => e);
    expect(isAdaptError(err) && err.reason).toBe('too-few-images');
    expect(String(err)).toMatch(/49 labelled image\(s\) is too few.*at least 50/);
  });

  it('labels with characters the model cannot output, naming them and their files', async () => {
    const data = styleImages(60, 5);
    data[3]!.text = 'ab+c';
    data[7]!.text = 'λм9с4';
    const err = await adaptModel({ data, out }).catch((e: unknown) => e);
    expect(isAdaptError(err) && err.reason).toBe('unknown-characters');
    if (!isAdaptError(err)) return;
    // м and с are drawn like Latin M and c: the model reads them from those classes (script.ts), so only + and the
    // Greek λ (no class in any of our models) are refused
    expect(err.characters).toEqual(['+', 'λ']);
    expect(err.files).toEqual([data[3]!.name, data[7]!.name]);
    expect(err.message).toContain('"+"');
    expect(err.hint).toMatch(/newCharacters: true/);
  });

  it('with newCharacters: spaces and control characters, and more than 16 new characters', async () => {
    const data = styleImages(60, 5);
    data[2]!.text = 'ab c';
    const spaced = await adaptModel({ data, out, newCharacters: true }).catch((e: unknown) => e);
    expect(isAdaptError(spaced) && spaced.message).toMatch(/" ".*spaces and control characters cannot be learned/);
    data[2]!.text = '!#$%&()*+,./:;<=>@';
    const many = await adaptModel({ data, out, newCharacters: true }).catch((e: unknown) => e);
    expect(isAdaptError(many) && many.message).toMatch(/more than 16 to learn/);
    await expect(adaptModel({ data, out, newCharacters: 'yes' as never })).rejects.toThrow(/`newCharacters` must be true or false/);
  });

  it('unreadable images, naming each', async () => {
    const dir = join(tmp, 'broken');
    mkdirSync(dir);
    const data = styleImages(60, 6);
    data.forEach((it) => writeFileSync(join(dir, it.name), it.image));
    writeFileSync(join(dir, data[1]!.name), 'not an image');
    writeFileSync(join(dir, 'labels.tsv'), `file\ttext\n${data.map((it) => `${it.name}\t${it.text}`).join('\n')}\nmissing.png\tabcde\n`);
    const err = await adaptModel({ data: dir, out }).catch((e: unknown) => e);
    expect(isAdaptError(err) && err.reason).toBe('unreadable-images');
    expect(String(err)).toContain('missing.png');
    rmSync(join(dir, 'labels.tsv'));
    writeFileSync(join(dir, 'labels.tsv'), `file\ttext\n${data.map((it) => `${it.name}\t${it.text}`).join('\n')}\n`);
    const err2 = await adaptModel({ data: dir, out }).catch((e: unknown) => e);
    expect(isAdaptError(err2) && err2.files).toEqual([data[1]!.name]);
  });

  it('an aborted call rejects with the signal\'s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(adaptModel({ data: styleImages(60, 8), out, signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('labelClasses', () => {
  const spec = { classes: ['', '2', 'c', 'M', 'п'], blank: 0 };
  it('maps each character to its class; a Cyrillic look-alike to the Latin class it is drawn as', () => {
    expect(labelClasses('2cM', spec)).toEqual([1, 2, 3]);
    expect(labelClasses('ср', spec)).toEqual([2, undefined]); // с is drawn as c; р's Latin twin p is not a class here
    expect(labelClasses('пм+', spec)).toEqual([4, 3, undefined]);
  });
});
