/**
 * adaptModel end to end on a captcha style of our own (test/support/adapt-style.ts) that the shipped model reads
 * badly: after adapting on 150 images, it must read FRESH images of the style (another seed, never seen) far
 * better, and LocalSolver must load the model folder it writes. Plus the refusals, each with its typed reason.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelClasses } from '../../src/adapt/dataset.js';
import { adaptModel, isAdaptError, type AdaptProgress, type AdaptResult } from '../../src/adapt/index.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';
import { styleImages } from '../support/adapt-style.js';

const tmp = mkdtempSync(join(tmpdir(), 'adapt-model-'));
const fresh = styleImages(60, 2002);

async function accuracy(model: string | undefined): Promise<number> {
  const solver = new LocalSolver({ ...(model ? { model } : {}), math: false });
  try {
    let ok = 0;
    for (const it of fresh) ok += Number((await solver.recognize(it.image)).text === it.text);
    return ok / fresh.length;
  } finally {
    await solver.close();
  }
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('adaptModel on a new style', () => {
  let result: AdaptResult;
  const events: AdaptProgress[] = [];
  const out = join(tmp, 'style-model');

  beforeAll(async () => {
    result = await adaptModel({ data: styleImages(150, 1001), out, epochs: 8, val: 0.15, onProgress: (e) => events.push(e) });
  }, 120_000);

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

  it('refuses to overwrite the model folder without force', async () => {
    const err = await adaptModel({ data: styleImages(60, 3), out }).catch((e: unknown) => e);
    expect(isAdaptError(err) && err.reason).toBe('out-exists');
  });
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
