import { describe, expect, it } from 'vitest';
import { combineReadings, ctcGreedyDecode, logitsViews, parseModelSpec, ModelError, isModelError } from '../../src/solvers/offline/index.js';

const LABELS = ['', 'a', 'b', 'A'];
const BIG = 10;

/** Logits where step t has `hot[t]` = BIG (or the given logit), others 0. */
function logits(hot: (number | [number, number])[], classes = LABELS.length): Float32Array {
  const out = new Float32Array(hot.length * classes);
  hot.forEach((h, t) => {
    const [c, v] = Array.isArray(h) ? h : [h, BIG];
    out[t * classes + c] = v;
  });
  return out;
}
const view = (data: Float32Array, steps: number, classes = LABELS.length) => ({ data, steps, classes, offset: 0, stepStride: classes });
const softmaxMax = (v: number, classes = LABELS.length) => Math.exp(v) / (Math.exp(v) + classes - 1);

describe('ctcGreedyDecode', () => {
  it('collapses repeats and drops blanks', () => {
    expect(ctcGreedyDecode(view(logits([1, 1, 0, 1, 2, 2, 0, 0]), 8), LABELS, 0).text).toBe('aab');
    expect(ctcGreedyDecode(view(logits([0, 0, 0]), 3), LABELS, 0).text).toBe('');
    expect(ctcGreedyDecode(view(logits([2, 1, 2]), 3), LABELS, 0).text).toBe('bab');
  });

  it('confidence = min over steps of P(the step leaves the text unchanged)', () => {
    const e = Math.exp;
    // step 0: 'a' (3) vs blank (2.5): either keeps "a"; step 1: blank (3) vs 'a' (2.5): either keeps "a"; step 2: 'b'
    const r = ctcGreedyDecode(view(logits([[1, 3], [0, 3], [2, BIG]]).map((v, i) => (i === 0 ? 2.5 : i === 5 ? 2.5 : v)), 3), LABELS, 0);
    expect(r.text).toBe('ab');
    const okStep = (e(3) + e(2.5)) / (e(3) + e(2.5) + 2);
    expect(r.confidence).toBeCloseTo(okStep, 6);
    expect(r.scores.min).toBeCloseTo(e(3) / (e(3) + e(2.5) + 2), 6); // the plain arg-max minimum is lower
    expect(r.scores.product).toBeCloseTo((e(3) / (e(3) + e(2.5) + 2)) ** 2 * softmaxMax(BIG), 6);
    // a blank between two 'a' runs: emitting 'a' there would turn "aa" into "a", so it does not count
    const twin = ctcGreedyDecode(view(logits([1, [0, 3], 1]).map((v, i) => (i === 5 ? 2.5 : v)), 3), LABELS, 0);
    expect(twin.text).toBe('aa');
    expect(twin.confidence).toBeCloseTo(e(3) / (e(3) + e(2.5) + 2), 6);
  });

  it('gives 0 confidence to an empty answer', () => {
    expect(ctcGreedyDecode(view(logits([0, 0]), 2), LABELS, 0).confidence).toBe(0);
    expect(ctcGreedyDecode(view(new Float32Array(0), 0), LABELS, 0).confidence).toBe(0);
  });

  it('foldCase adds up the probabilities of A and a and lowercases', () => {
    const data = new Float32Array(4);
    data.set([0, 2, 0, 2.1]); // A slightly ahead of a
    const sensitive = ctcGreedyDecode(view(data, 1), LABELS, 0);
    const folded = ctcGreedyDecode(view(data, 1), LABELS, 0, { foldCase: true });
    expect(sensitive.text).toBe('A');
    expect(folded.text).toBe('a');
    const z = 1 + Math.exp(2) + 1 + Math.exp(2.1);
    // the blank (logit 0) also leaves the text unchanged; folding adds 'a' to 'A'
    expect(sensitive.confidence).toBeCloseTo((Math.exp(2.1) + 1) / z, 6);
    expect(folded.confidence).toBeCloseTo((Math.exp(2) + Math.exp(2.1) + 1) / z, 6);
  });

  it('a non-zero blank index works', () => {
    const labels = ['x', 'y', ''];
    expect(ctcGreedyDecode(view(logits([0, 2, 0, 0, 1], 3), 5, 3), labels, 2).text).toBe('xxy');
  });
});

describe('ctcGreedyDecode with minLength / maxLength', () => {
  const E = Math.exp;
  /** Steps given as full logit rows. */
  const rows = (r: number[][]) => view(Float32Array.from(r.flat()), r.length, r[0]!.length);

  it('keeps a greedy reading that fits, and says so', () => {
    const v = view(logits([1, 0, 2]), 3);
    const plain = ctcGreedyDecode(v, LABELS, 0);
    const hinted = ctcGreedyDecode(v, LABELS, 0, { minLength: 2, maxLength: 2 });
    expect(hinted).toEqual({ ...plain, length: 'kept' });
    expect(plain.length).toBeUndefined();
  });

  it('maxLength drops the least probable extra character, and the confidence falls', () => {
    // 'a', blank, then 'b' (3) barely ahead of the blank (2.5): greedy reads "ab"
    const v = rows([[0, BIG, 0, 0], [BIG, 0, 0, 0], [2.5, 0, 3, 0]]);
    const plain = ctcGreedyDecode(v, LABELS, 0);
    expect(plain.text).toBe('ab');
    const r = ctcGreedyDecode(v, LABELS, 0, { maxLength: 1 });
    expect(r.text).toBe('a');
    expect(r.length).toBe('forced');
    expect(r.confidence).toBeCloseTo(E(2.5) / (E(2.5) + E(3) + 2), 6);
    expect(r.confidence).toBeLessThan(plain.confidence);
  });

  it('minLength splits a run with a blank when that is the most probable way to get more characters', () => {
    // a, then a (3) vs blank (2.5), then a: greedy reads one "a"; two characters need a blank in the middle
    const v = rows([[0, BIG, 0, 0], [2.5, 3, 0, 0], [0, BIG, 0, 0]]);
    expect(ctcGreedyDecode(v, LABELS, 0).text).toBe('a');
    const r = ctcGreedyDecode(v, LABELS, 0, { minLength: 2 });
    expect(r.text).toBe('aa');
    expect(r.length).toBe('forced');
  });

  it('returns the greedy reading, marked impossible, when no path has an allowed length', () => {
    const v = view(logits([1]), 1);
    const r = ctcGreedyDecode(v, LABELS, 0, { minLength: 2 });
    expect(r.text).toBe('a');
    expect(r.length).toBe('impossible');
    expect(ctcGreedyDecode(view(new Float32Array(0), 0), LABELS, 0, { minLength: 1 }).length).toBe('impossible');
  });

  it('counts case twins as one character with foldCase', () => {
    // A then a: case-sensitive that is two characters, folded it is one run
    const v = rows([[0, 4.9, 0, 5], [0, 5, 0, 4.9]]);
    expect(ctcGreedyDecode(v, LABELS, 0).text).toBe('Aa');
    expect(ctcGreedyDecode(v, LABELS, 0, { foldCase: true })).toMatchObject({ text: 'a' });
    expect(ctcGreedyDecode(v, LABELS, 0, { foldCase: true, maxLength: 1 }).length).toBe('kept');
    const forced = ctcGreedyDecode(v, LABELS, 0, { maxLength: 1 });
    expect(forced.length).toBe('forced');
    expect(['A', 'a']).toContain(forced.text);
  });

  it('finds the most probable path of an allowed length (checked against every path of small random inputs)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const C = 4;
    const T = 6;
    for (let trial = 0; trial < 40; trial++) {
      const r = Array.from({ length: T }, () => Array.from({ length: C }, () => rand() * 6 - 3));
      const v = rows(r);
      const logp = r.map((row) => {
        const z = row.reduce((a, x) => a + E(x), 0);
        return row.map((x) => Math.log(E(x) / z));
      });
      const minLength = 1 + (trial % 3);
      const maxLength = minLength + (trial % 2);
      let best = -Infinity;
      for (let code = 0; code < C ** T; code++) {
        const path = Array.from({ length: T }, (_, t) => Math.floor(code / C ** t) % C);
        let n = 0;
        path.forEach((c, t) => {
          if (c !== 0 && c !== path[t - 1]) n++;
        });
        if (n < minLength || n > maxLength) continue;
        best = Math.max(best, path.reduce((a, c, t) => a + logp[t]![c]!, 0));
      }
      const got = ctcGreedyDecode(v, LABELS, 0, { minLength, maxLength });
      const len = got.text.length;
      expect(len).toBeGreaterThanOrEqual(minLength);
      expect(len).toBeLessThanOrEqual(maxLength);
      // the product of the path's per-step probabilities is the best one
      expect(Math.log(got.scores.product)).toBeCloseTo(best, 6);
    }
  });
});

describe('logitsViews', () => {
  it('reads [N,T,C] and [T,N,C] layouts', () => {
    // two images, two steps, four classes: image 0 reads "ab", image 1 reads "ba"
    const ntc = new Float32Array(2 * 2 * 4);
    ntc[0 * 8 + 0 * 4 + 1] = BIG; ntc[0 * 8 + 1 * 4 + 2] = BIG;
    ntc[1 * 8 + 0 * 4 + 2] = BIG; ntc[1 * 8 + 1 * 4 + 1] = BIG;
    const tnc = new Float32Array(2 * 2 * 4);
    tnc[0 * 8 + 0 * 4 + 1] = BIG; tnc[1 * 8 + 0 * 4 + 2] = BIG;
    tnc[0 * 8 + 1 * 4 + 2] = BIG; tnc[1 * 8 + 1 * 4 + 1] = BIG;
    for (const [data, layout] of [[ntc, 'NTC'], [tnc, 'TNC']] as const) {
      const views = logitsViews(data, [2, 2, 4], layout);
      expect(views.map((v) => ctcGreedyDecode(v, LABELS, 0).text)).toEqual(['ab', 'ba']);
    }
    expect(() => logitsViews(ntc, [4, 4], 'NTC')).toThrow(RangeError);
  });
});

describe('parseModelSpec', () => {
  const base = { version: 1, input: 'image', output: 'logits', height: 32, minWidth: 32, maxWidth: 320, widthMultiple: 8, mean: 0.5, std: 0.5, charset: 'abc', blank: 0, resize: 'bilinear' };

  it('maps a charset string to classes with the blank at index 0', () => {
    const s = parseModelSpec(base);
    expect(s.classes).toEqual(['', 'a', 'b', 'c']);
    expect(s.layout).toBe('NTC');
    expect(s.height).toBe(32);
  });

  it('accepts a full class list (ddddocr style)', () => {
    const s = parseModelSpec({ ...base, charset: ['', 'x', 'yz'], layout: 'TNC' });
    expect(s.classes).toEqual(['', 'x', 'yz']);
    expect(s.layout).toBe('TNC');
  });

  it('reads the optional secondLook (absent: one look only)', () => {
    expect(parseModelSpec(base).secondLook).toBeUndefined();
    expect(parseModelSpec({ ...base, secondLook: { below: 0.7, widthScales: [0.9, 1.15] } }).secondLook).toEqual({ below: 0.7, widthScales: [0.9, 1.15] });
    expect(parseModelSpec({ ...base, secondLook: { below: 0.7, widthScales: [0.9], combine: 'sum' } }).secondLook).toEqual({ below: 0.7, widthScales: [0.9], combine: 'sum' });
    const crops = { below: 0.9, widthScales: [], crops: [{ crop: 0.08, widthScale: 1.15 }], combine: 'sum' };
    expect(parseModelSpec({ ...base, secondLook: crops }).secondLook).toEqual(crops);
    const views = { below: 0.8, widthScales: [], views: [{ widthScale: 1, filter: 'thin' }, { widthScale: 1.15, crop: 0.05, filter: 'median' }], combine: 'sum' };
    expect(parseModelSpec({ ...base, secondLook: views }).secondLook).toEqual(views);
  });

  describe('combineReadings', () => {
    const r = (widthScale: number, text: string, confidence: number) => ({ widthScale, text, confidence });
    const readings = [r(1, 'abcd', 0.5), r(0.9, 'abed', 0.7), r(1.1, 'abcd', 0.45), r(1.25, 'abcd', 0.3)];

    it("'max' keeps the most confident reading, its confidence scaled by the share that agrees", () => {
      expect(combineReadings(readings, 'max')).toEqual(r(0.9, 'abed', 0.7 / 4));
      expect(combineReadings(readings)).toEqual(combineReadings(readings, 'max'));
    });

    it("'sum' keeps the text with the most confidence over its readings, at its most confident width", () => {
      // abcd: 0.5 + 0.45 + 0.3 = 1.25 against abed: 0.7
      expect(combineReadings(readings, 'sum')).toEqual(r(1, 'abcd', (0.5 * 3) / 4));
      // one confident reading outweighs two weak ones
      expect(combineReadings([r(1, 'x', 0.2), r(0.9, 'y', 0.9), r(1.1, 'x', 0.3)], 'sum')).toEqual(r(0.9, 'y', 0.9 / 3));
    });

    it("'sum' counts readings that differ only in case as one text and returns its most confident reading", () => {
      const mixed = [r(1, 'aB', 0.3), r(0.9, 'xy', 0.6), r(1.1, 'Ab', 0.4)];
      expect(combineReadings(mixed, 'sum')).toEqual(r(1.1, 'Ab', (0.4 * 2) / 3));
      // 'max' agrees only on the exact text
      expect(combineReadings(mixed, 'max')).toEqual(r(0.9, 'xy', 0.6 / 3));
    });

    it('ties go to the earlier reading; an empty text scores 0; a single reading is returned as is', () => {
      expect(combineReadings([r(1, 'ab', 0.4), r(0.9, 'ba', 0.4)], 'sum').text).toBe('ab');
      expect(combineReadings([r(1, 'ab', 0.4), r(0.9, 'ba', 0.4)], 'max').text).toBe('ab');
      expect(combineReadings([r(1, '', 0.9), r(0.9, '', 0.8)], 'sum')).toEqual(r(1, '', 0));
      expect(combineReadings([r(1, 'q', 0.6)], 'sum')).toEqual(r(1, 'q', 0.6));
      expect(() => combineReadings([], 'sum')).toThrow(RangeError);
    });
  });

  it('refuses broken sidecars with a ModelError naming the file', () => {
    const cases: unknown[] = [
      null, [], 'x', { ...base, height: 0 }, { ...base, height: undefined }, { ...base, charset: '' }, { ...base, std: 0 },
      { ...base, version: 2 }, { ...base, resize: 'nearest' }, { ...base, layout: 'NCT' }, { ...base, maxWidth: 10 },
      { ...base, secondLook: null }, { ...base, secondLook: { below: 1.5, widthScales: [0.9] } }, { ...base, secondLook: { below: 0.7, widthScales: [] } },
      { ...base, secondLook: { below: 0.7, widthScales: [1] } }, { ...base, secondLook: { below: 0.7, widthScales: [0.9, 'x'] } },
      { ...base, secondLook: { below: 0.7, widthScales: [0.9], combine: 'vote' } },
      { ...base, secondLook: { below: 0.7, widthScales: [], crops: [] } }, { ...base, secondLook: { below: 0.7, widthScales: [], crops: [{ crop: 0.5, widthScale: 1 }] } },
      { ...base, secondLook: { below: 0.7, widthScales: [], crops: [{ crop: 0.1 }] } }, { ...base, secondLook: { below: 0.7, widthScales: [0.9], crops: {} } },
      { ...base, secondLook: { below: 0.7, widthScales: [], views: [] } }, { ...base, secondLook: { below: 0.7, widthScales: [], views: [{ widthScale: 1, filter: 'blur' }] } },
      { ...base, secondLook: { below: 0.7, widthScales: [], views: [{ widthScale: 1 }] } }, { ...base, secondLook: { below: 0.7, widthScales: [], views: [{ widthScale: 1, filter: 'thin', crop: 0.4 }] } },
      { ...base, secondLook: { below: 0.7, widthScales: [0.9], views: {} } },
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        parseModelSpec(c, 'm.json');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(c)).toBeInstanceOf(ModelError);
      expect(isModelError(err)).toBe(true);
      expect((err as ModelError).message).toContain('(m.json)');
      expect((err as ModelError).code).toBe('ICS_ERR_MODEL');
    }
  });
});
