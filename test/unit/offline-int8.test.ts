/**
 * The int8 copies of the shipped models (training/quantize.sh): LocalSolver runs them by default, reads what the
 * float model reads (nearly always), and falls back to the float model, with a note, when a copy is missing.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalSolver, parseModelSpec } from '../../src/solvers/offline/index.js';
import { isCaptchaSolverError } from '../../src/core/errors.js';

const require = createRequire(import.meta.url);
const svgCaptcha = require('svg-captcha') as { create(options: Record<string, unknown>): { data: string; text: string } };
const MODELS = join(__dirname, '..', '..', 'models');
const tmp = mkdtempSync(join(tmpdir(), 'int8-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SIDECAR = { version: 1, height: 32, charset: 'abc' };

describe('the sidecar\'s "int8"', () => {
  it('is the file name of a copy beside the model', () => {
    expect(parseModelSpec({ ...SIDECAR, int8: 'm.int8.onnx' }).int8).toBe('m.int8.onnx');
    expect(parseModelSpec(SIDECAR).int8).toBeUndefined();
  });

  it('refuses folders, other extensions and non-strings, naming the field', () => {
    for (const bad of ['../m.onnx', 'sub/m.onnx', 'sub\\m.onnx', 'm.bin', '.onnx', 3, '']) {
      expect(() => parseModelSpec({ ...SIDECAR, int8: bad }, 'x.json')).toThrow(/"int8"/);
    }
  });
});

describe('LocalSolver and the int8 copies', () => {
  const int8 = new LocalSolver({ math: false });
  const float = new LocalSolver({ math: false, int8: false });
  afterAll(async () => {
    await int8.close();
    await float.close();
  });

  it('runs the int8 copy by default, the float model with `int8: false`', async () => {
    expect(await int8.loadedFile()).toBe(join(MODELS, 'captcha-ocr.int8.onnx'));
    expect(await float.loadedFile()).toBe(join(MODELS, 'captcha-ocr.onnx'));
    expect(() => new LocalSolver({ int8: 'yes' as unknown as boolean })).toThrow(/`int8` must be true or false/);
  });

  it('reads what the float model reads on at least 45 of 50 fresh svg-captcha images', async () => {
    let same = 0;
    const differ: string[] = [];
    for (let i = 0; i < 50; i++) {
      const c = svgCaptcha.create({ size: 4 + (i % 3), noise: 1 + (i % 2), color: i % 2 === 0, width: 150, height: 50 });
      const png = await sharp(Buffer.from(c.data)).png().toBuffer();
      const [a, b] = [await int8.recognize(png), await float.recognize(png)];
      if (a.text === b.text) same++;
      else differ.push(`${b.text}→${a.text}`);
    }
    console.log(`int8 vs float on 50 svg-captcha images: ${same} the same; differ: ${differ.join(' ')}`);
    expect(same).toBeGreaterThanOrEqual(45);
  });

  it('reads with the float model, and says so in the log, when the copy its sidecar names is missing', async () => {
    copyFileSync(join(MODELS, 'captcha-ocr.onnx'), join(tmp, 'captcha-ocr.onnx'));
    copyFileSync(join(MODELS, 'captcha-ocr.json'), join(tmp, 'captcha-ocr.json'));
    // a minimum confidence of 1 refuses every reading: the refusal carries the call's log
    const solver = new LocalSolver({ model: tmp, math: false, minConfidence: 1 });
    try {
      const png = await sharp(Buffer.from(svgCaptcha.create({ size: 4, width: 150, height: 50 }).data)).png().toBuffer();
      expect(await solver.loadedFile()).toBe(join(tmp, 'captcha-ocr.onnx'));
      const error = await solver.solve({ body: png.toString('base64') }).catch((e: unknown) => e);
      expect(isCaptchaSolverError(error)).toBe(true);
      expect((error as { log?: string[] }).log?.join('\n')).toMatch(/int8 copy its sidecar names is missing .*captcha-ocr\.int8\.onnx.*running the float model/);
    } finally {
      await solver.close();
    }
  });
});
