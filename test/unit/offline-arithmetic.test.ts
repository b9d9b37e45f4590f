/**
 * Integration: the shipped math model (`models/captcha-math.onnx`) beside the text model. It reads arithmetic
 * captchas drawn by a generator it never trained on (the fixture site's RuoYi style, TS canvas, JPEG) so that
 * `LocalSolver` answers their value; on other captchas it reads no expression, so their answers are untouched.
 * Seeded samples; the floors sit below what was measured.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { svgCaptchaPng } from '../../fixtures/site/generators.js';
import { createRng } from '../../fixtures/site/rng.js';
import { issueStyle, type StyleName } from '../../fixtures/site/styles.js';
import { InvalidOptionError, UnsolvableError } from '../../src/core/errors.js';
import { isModelError } from '../../src/solvers/offline/errors.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';
import { defaultMathModelPath } from '../../src/solvers/offline/model.js';

/**
 * Measured with the shipped math model (run m6): 44/50 on this sample (run m2 45/50 and 132/150 at the same seed;
 * run m1 41/50, 129/150); the misses are mostly the fixture's centred `*` read as `+`. The text model alone reads none of them (it
 * has no `+ - * = ?`).
 */
const MATH_FLOOR = 0.7;
const N_MATH = 50;
/**
 * svg-captcha's math mode ("7-3"), read when told the images are arithmetic. The math model trained on that generator's
 * other draws (training/gen_npm.mjs --only math): run m6 reads 39/40 here (run m2 40/40, and
 * 120/120 at the same seed; svg-captcha
 * places its glyphs and noise with its own randomness); run m1, which never saw it, 2 of 300 (bench page/svg-math).
 */
const SVG_FLOOR = 0.85;
const N_SVG = 40;
/** Styles of the fixture site that draw codes, not sums (trek-captcha picks its own letters with crypto randomness). */
const TEXT_STYLES: StyleName[] = ['securimage', 'gregwar', 'kaptcha', 'phpbb', 'cf7', 'botdetect', 'mews', 'django', 'bitrix', 'captchapng', 'svg-png', 'easy-gif'];

describe('LocalSolver: arithmetic captchas', () => {
  const solver = new LocalSolver();
  afterAll(() => solver.close());

  it(`answers the value of at least ${MATH_FLOOR * 100}% of ${N_MATH} seeded RuoYi-style sums ("3*4=?"), a generator it never trained on`, async () => {
    const rng = createRng(21);
    let right = 0;
    const misses: string[] = [];
    for (let i = 0; i < N_MATH; i++) {
      const { answer, shown, image } = await issueStyle('ruoyi-math', rng);
      const r = await solver.recognize(image!.bytes);
      if (r.text === answer && r.expression === shown) right++;
      else misses.push(`${shown} → ${r.expression ?? '(no expression)'} = ${r.text}`);
    }
    expect(right / N_MATH, misses.join('; ')).toBeGreaterThanOrEqual(MATH_FLOOR);
  }, 60_000);

  it('reads no expression on 120 seeded captchas of 12 text styles, so their answers are the text model\'s', async () => {
    const rng = createRng(22);
    const found: string[] = [];
    for (let i = 0; i < 120; i++) {
      const style = TEXT_STYLES[i % TEXT_STYLES.length]!;
      const { answer, image } = await issueStyle(style, rng);
      const r = await solver.recognize(image!.bytes);
      if (r.expression !== undefined) found.push(`${style} ${answer} → ${r.expression} = ${r.text}`);
    }
    expect(found).toEqual([]);
  }, 60_000);

  it('solve() answers the value and names the expression; math: false reads the text only', async () => {
    const { answer, shown, image } = await issueStyle('ruoyi-math', createRng(23));
    const body = image!.bytes.toString('base64');
    const solution = await solver.solve({ body });
    expect(solution).toMatchObject({ text: answer, expression: shown, provider: 'local' });
    const textOnly = new LocalSolver({ math: false });
    try {
      const r = await textOnly.recognize(body);
      expect(r.expression).toBeUndefined();
      expect(r.text).not.toBe(answer);
    } finally {
      await textOnly.close();
    }
  }, 30_000);

  it('the value must fit the charset and length asked for, else the text reading stands', async () => {
    const { answer, shown, image } = await issueStyle('ruoyi-math', createRng(24)); // "9+3=?" → 12
    expect([shown, answer]).toEqual(['9+3=?', '12']);
    expect((await solver.recognize(image!.bytes, { charset: '0123456789', maxLength: 2 })).text).toBe('12');
    expect((await solver.recognize(image!.bytes, { maxLength: 1 })).expression).toBeUndefined();
    expect((await solver.recognize(image!.bytes, { charset: 'abcdef' })).expression).toBeUndefined();
  }, 30_000);

  it('a negative value fits a digits-only charset (the sign is typed too: `module: number`, a type=number field)', async () => {
    const sums = ['2-8', '3-7', '1-9', '4-6'];
    const answers: string[] = [];
    for (const shown of sums) {
      const { bytes } = await svgCaptchaPng(shown, { noise: 1, color: true, background: '#f6f6f0' });
      answers.push((await solver.recognize(bytes, { arithmetic: true, charset: '0123456789' })).text);
    }
    const values = sums.map((sum) => { const [a, b] = sum.split('-').map(Number); return String(a! - b!); });
    const right = answers.filter((a, i) => a === values[i]).length;
    expect(right, answers.join(' ')).toBeGreaterThanOrEqual(3); // the math model reads ~99% of these when told
  }, 30_000);

  it(`told the captchas are arithmetic (\`arithmetic: true\`), answers the value of at least ${SVG_FLOOR * 100}% of ${N_SVG} svg-captcha sums ("7-3", no "="); untold, most of them, each with the answer it gives when told`, async () => {
    const rng = createRng(25);
    let right = 0;
    const misses: string[] = [];
    const untold = { right: 0, differs: [] as string[] };
    for (let i = 0; i < N_SVG; i++) {
      const { answer, shown, image } = await issueStyle('svg-math', rng);
      const r = await solver.recognize(image!.bytes, { arithmetic: true });
      if (r.text === answer && r.expression === shown) right++;
      else misses.push(`${shown} → ${r.expression ?? `(no expression; text ${r.text})`}`);
      const plain = await solver.recognize(image!.bytes);
      if (plain.expression === undefined) continue;
      if (plain.expression !== r.expression || plain.text !== r.text) untold.differs.push(`${shown}: told ${r.expression}, untold ${plain.expression}`);
      if (plain.expression === shown && plain.text === answer) untold.right++;
    }
    expect(right / N_SVG, misses.join('; ')).toBeGreaterThanOrEqual(SVG_FLOOR);
    // untold, an expression without "=" is taken only when the math model is sure and the text model is not
    // (mathConfidenceNeeded), and then it is the math model's reading, the one it gives when told: the rule picks which
    // images, never another answer. Most are taken (m6 with text model c5: 161 of 200 at this seed; a misread sum the
    // math model is sure of, as "1+8" read "1+3", is taken as it is when told; svg-captcha draws with its own randomness)
    expect(untold.differs).toEqual([]);
    expect(untold.right).toBeGreaterThanOrEqual(N_SVG / 2);
  }, 60_000);

  it('gives no second look to an image where the math model read an expression it would not take unasked (a sum the text model cannot read)', async () => {
    const rng = createRng(25);
    const textOnly = new LocalSolver({ math: false });
    try {
      let skipped = 0;
      for (let i = 0; i < N_SVG; i++) {
        // svg-captcha sums under 8 noise lines (the fixture draws 1): the math model still reads most as an expression,
        // but about a third below the confidence it needs to take one unasked (12 of 40 when measured)
        const shown = `${rng.int(1, 9)}${rng.pick(['+', '-'])}${rng.int(1, 9)}`;
        const image = await svgCaptchaPng(shown, { noise: 8, color: true, background: '#f6f6f0' });
        const plain = await solver.recognize(image.bytes);
        if (plain.expression !== undefined || plain.readings !== undefined) continue;
        // without the math model, the same unsure reading is read again
        const alone = await textOnly.recognize(image.bytes);
        if (alone.confidence < 0.9) {
          expect(alone.readings?.length ?? 0).toBeGreaterThan(1);
          skipped++;
        }
      }
      expect(skipped).toBeGreaterThan(0);
    } finally {
      await textOnly.close();
    }
  }, 60_000);

  it('solve({ math: true }) refuses an image with no expression (UnsolvableError) and validates the flag', async () => {
    const { image } = await issueStyle('securimage', createRng(26));
    const body = image!.bytes.toString('base64');
    const text = await solver.solve({ body });
    expect(text.expression).toBeUndefined();
    const error = await solver.solve({ body, math: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsolvableError);
    expect((error as Error).message).toMatch(/`task\.math` says the image is arithmetic, but the math model read no expression in it \(the text model read "\w+"\)/);
    const sum = await issueStyle('ruoyi-math', createRng(24)); // "9+3=?"
    expect(await solver.solve({ body: sum.image!.bytes.toString('base64'), math: true })).toMatchObject({ text: '12', expression: '9+3=?' });
    await expect(solver.solve({ body, math: 'yes' as never })).rejects.toThrow(/`task\.math` must be true or false, got yes/);
    await expect(solver.recognize(body, { arithmetic: 1 as never })).rejects.toThrow(/`arithmetic` must be true or false/);
    const textOnly = new LocalSolver({ math: false });
    try {
      const refused = await textOnly.solve({ body, math: true }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidOptionError);
      expect((refused as Error).message).toMatch(/made with `math: false`/);
      expect((await textOnly.solve({ body, math: false })).text).toBe(text.text);
    } finally {
      await textOnly.close();
    }
  }, 30_000);

  it('a math model that takes another input than the text model resizes the image for itself', async () => {
    // the shipped models share one input (the text model's resize is reused); this sidecar pads to 16 instead of 8
    const dir = await mkdtemp(join(tmpdir(), 'ics-math-'));
    const own = new LocalSolver({ math: join(dir, 'captcha-math.onnx') });
    try {
      await copyFile(defaultMathModelPath(), join(dir, 'captcha-math.onnx'));
      const sidecar = JSON.parse(await readFile(defaultMathModelPath().replace(/\.onnx$/, '.json'), 'utf8')) as Record<string, unknown>;
      expect(sidecar['widthMultiple']).toBe(8);
      await writeFile(join(dir, 'captcha-math.json'), JSON.stringify({ ...sidecar, widthMultiple: 16 }));
      const { image } = await issueStyle('ruoyi-math', createRng(24)); // "9+3=?"
      expect(await own.recognize(image!.bytes)).toMatchObject({ text: '12', expression: '9+3=?' });
    } finally {
      await own.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('a math model that is missing is a ModelError when named, and validates the option', async () => {
    const named = new LocalSolver({ math: '/nonexistent/captcha-math.onnx' });
    try {
      const { image } = await issueStyle('ruoyi-math', createRng(24));
      const error = await named.recognize(image!.bytes).catch((e: unknown) => e);
      expect(isModelError(error)).toBe(true);
      expect((error as Error).message).toMatch(/model file is missing \(\/nonexistent\/captcha-math\.onnx\)/);
    } finally {
      await named.close();
    }
    expect(() => new LocalSolver({ math: '' })).toThrow(/`math` must be true, false or a path/);
    expect(() => new LocalSolver({ math: 1 as never })).toThrow(/`math` must be true, false or a path/);
  });
});
