import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.js';
import { LocalSolver } from '../../src/solvers/offline/local-solver.js';
import { charsetClasses, charsetScript, hasCyrillic, hasLatinOnly, latinOnlyClasses, resolveScript } from '../../src/solvers/offline/script.js';

describe('script: Latin or Cyrillic per reading', () => {
  it('keeps a reading with no Cyrillic-only letter as read (auto)', () => {
    expect(resolveScript('2cp4H')).toBe('2cp4H');
    expect(resolveScript('xK7m')).toBe('xK7m');
  });

  it('reads every look-alike as Cyrillic once the reading shows a Cyrillic-only letter (auto)', () => {
    // п and д have classes of their own; c, p, H, T, B, M, K are the classes с р н т в м к are drawn as
    expect(resolveScript('п4cpH')).toBe('п4срн');
    expect(resolveScript('дTBMK')).toBe('дтвмк');
    expect(resolveScript('жxyoae')).toBe('жхуоае');
  });

  it('leaves Latin letters with no Cyrillic twin as they are, in lower case, in a Cyrillic reading', () => {
    expect(resolveScript('бQ')).toBe('бq');
  });

  it('follows the script asked for', () => {
    expect(resolveScript('2cp4H', 'cyrillic')).toBe('2ср4н');
    expect(resolveScript('п4cpH', 'latin')).toBe('п4cpH');
  });

  it('maps a Cyrillic charset to the classes its letters are drawn as', () => {
    expect(charsetClasses('2456789бвгджклмнпрст')).toBe('2456789бBгджKлMHпpcT');
    expect(charsetClasses('БГД')).toBe('бгд');
    expect(charsetClasses('abc123')).toBe('abc123');
  });

  it('knows the Latin letters no Cyrillic letter is drawn like', () => {
    expect(latinOnlyClasses(['0', 'a', 'r', 'л', 'S', 'T', 'j'])).toEqual([2, 4, 6]);
    expect(hasLatinOnly('лr5')).toBe(true);
    expect(hasLatinOnly('лcp5TB')).toBe(false);
  });

  it('takes a Cyrillic-only charset as a Cyrillic captcha, and a mixed or Latin one as undecided', () => {
    expect(charsetScript('2456789бвгджклмнпрст')).toBe('cyrillic');
    expect(charsetScript('абвabc')).toBe('auto');
    expect(charsetScript('0123456789')).toBe('auto');
    expect(charsetScript(undefined)).toBe('auto');
    expect(hasCyrillic('abc')).toBe(false);
    expect(hasCyrillic('abж')).toBe(true);
  });
});

describe('LocalSolver: script and Cyrillic charsets with the shipped model', () => {
  const vector = readFileSync(join(__dirname, '..', '..', 'training', 'testdata', 'vector3.png'));

  it('refuses a script it does not know', async () => {
    expect(() => new LocalSolver({ script: 'greek' as never })).toThrow(InvalidOptionError);
    const solver = new LocalSolver();
    try {
      await expect(solver.recognize(vector, { script: 'greek' as never })).rejects.toThrow(InvalidOptionError);
    } finally {
      await solver.close();
    }
  });

  it('reads a Cyrillic charset in Cyrillic (look-alikes through their Latin classes)', async () => {
    const solver = new LocalSolver({ secondLook: false });
    try {
      const r = await solver.recognize(vector, { charset: 'бвгдкмнпрст' });
      expect(r.text.length).toBeGreaterThan(0);
      expect([...r.text].every((c) => 'бвгдкмнпрст'.includes(c)), r.text).toBe(true);
      // told nothing, the same image (a Latin digits captcha) reads as Latin
      expect(hasCyrillic((await solver.recognize(vector)).text)).toBe(false);
    } finally {
      await solver.close();
    }
  });

  // Cyrillic typewriter captchas drawn by training/synth/sites.py (labels лл657д, лжЛвс, НлС8г, Кр5жБЛ, цККЩп), which
  // shipped models have read in mixed scripts (run c3: "nл6578", an л read as the Latin-only n; run c5: "HnC8г",
  // "Kpsжбл", "цKKщn", read again as нлс8г, кр5жбл, цккщп)
  const cyrillic = [1, 2, 3, 4, 5].map((n) => readFileSync(join(__dirname, '..', 'support', 'images', `cyrillic-typewriter-${n}.png`)));

  it('reads a Cyrillic reading again without the Latin-only letters (auto), and never gives them when told Cyrillic', async () => {
    const solver = new LocalSolver({ secondLook: false, math: false });
    try {
      let mixed = 0;
      for (const image of cyrillic) {
        const latin = (await solver.recognize(image, { script: 'latin' })).text;
        const auto = (await solver.recognize(image)).text;
        const told = (await solver.recognize(image, { script: 'cyrillic' })).text;
        if (hasCyrillic(latin) && hasLatinOnly(latin)) mixed++;
        expect(hasCyrillic(auto), auto).toBe(true);
        expect(hasLatinOnly(auto), auto).toBe(false);
        expect(hasLatinOnly(told), told).toBe(false);
      }
      // the rule was exercised: the raw reading of at least one of them mixes the scripts
      expect(mixed).toBeGreaterThan(0);
    } finally {
      await solver.close();
    }
  });
});
