import { describe, expect, it } from 'vitest';
import { parseLabels, limitSamples } from '../../bench/lib/datasets.js';
import { auc, editDistance, paired, percentile, summarize, wilson, type Prediction } from '../../bench/lib/metrics.js';
import { ddddocrSidecar } from '../../bench/lib/ddddocr.js';
import { parseModelSpec } from '../../src/solvers/offline/index.js';

describe('bench metrics', () => {
  it('editDistance', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('abcd', 'abdc')).toBe(2);
    expect(editDistance('日本', '日')).toBe(1);
  });

  it('percentile interpolates', () => {
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([0, 10], 95)).toBeCloseTo(9.5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('auc', () => {
    expect(auc([0.9, 0.8], [0.1, 0.2])).toBe(1);
    expect(auc([0.1], [0.9])).toBe(0);
    expect(auc([0.5], [0.5])).toBe(0.5);
    expect(auc([0.9, 0.3], [0.5])).toBe(0.5);
    expect(auc([], [1])).toBeNaN();
  });

  it('summarize: accuracy with and without case, CER, latency', () => {
    const s = summarize([
      { label: 'AbC', text: 'AbC', confidence: 0.9, ms: 10 },
      { label: 'AbC', text: 'abc', confidence: 0.5, ms: 20 },
      { label: 'xyz', text: 'xy', confidence: 0.2, ms: 30 },
      { label: 'qq', text: '', confidence: 0, ms: 40, error: 'boom' },
    ]);
    expect(s.n).toBe(4);
    expect(s.accuracy).toBe(0.5);
    expect(s.accuracyCase).toBe(0.25);
    expect(s.cer).toBeCloseTo(3 / 11);
    expect(s.medianMs).toBe(25);
    expect(s.errors).toBe(1);
    expect(s.confidenceAuc).toBe(1); // the only case-exact answer has the top confidence
    expect(s.at80).toEqual({ rightKept: 1, wrongCaught: 1 });
  });
});

describe('bench intervals and paired comparison', () => {
  it('wilson interval', () => {
    const [lo, hi] = wilson(90, 100);
    expect(lo).toBeCloseTo(0.8256, 3);
    expect(hi).toBeCloseTo(0.9448, 3);
    expect(wilson(0, 10)[0]).toBe(0);
    expect(wilson(10, 10)[1]).toBeCloseTo(1, 12);
    expect(wilson(0, 0)[0]).toBeNaN();
    // more images, a narrower interval
    const w = (k: number, n: number) => wilson(k, n)[1] - wilson(k, n)[0];
    expect(w(900, 1000)).toBeLessThan(w(90, 100));
  });

  const pred = (label: string, text: string): Prediction => ({ label, text, confidence: 1, ms: 1 });

  it('paired counts the images only one model reads right, case-insensitively', () => {
    const a = [pred('ab', 'AB'), pred('cd', 'cd'), pred('ef', 'xx'), pred('gh', 'gh')];
    const b = [pred('ab', 'zz'), pred('cd', 'cd'), pred('ef', 'ef'), pred('gh', 'g')];
    const r = paired(a, b);
    expect(r).toMatchObject({ n: 4, onlyA: 2, onlyB: 1 });
    expect(r.p).toBe(1); // 2 against 1 is no evidence either way
  });

  it('paired p-value is the exact two-sided binomial one', () => {
    // a run where image i is read right when rightAt(i)
    const run = (n: number, rightAt: (i: number) => boolean) =>
      Array.from({ length: n }, (_, i) => pred(`x${i}`, rightAt(i) ? `x${i}` : '?'));
    const right = (n: number) => run(n, () => true);
    const wrong = (n: number) => run(n, () => false);
    // 10 discordant images, all one way: 2 / 2^10
    expect(paired(right(10), wrong(10)).p).toBeCloseTo(2 / 1024, 10);
    // 8 against 2: 2 * (1 + 10 + 45) / 1024
    const a = run(10, (i) => i < 8);
    const b = run(10, (i) => i >= 8);
    expect(paired(a, b)).toMatchObject({ onlyA: 8, onlyB: 2 });
    expect(paired(a, b).p).toBeCloseTo(112 / 1024, 10);
    // thousands of discordant images do not overflow
    expect(paired(right(3000), wrong(3000)).p).toBe(0);
    expect(paired([], []).p).toBe(1);
  });

  it('paired refuses runs over different images', () => {
    expect(() => paired([pred('a', 'a')], [])).toThrow(/1 predictions against 0/);
    expect(() => paired([pred('a', 'a')], [pred('b', 'b')])).toThrow(/label a/);
  });
});

describe('bench datasets', () => {
  it('parses labels.tsv with a header, skips blank lines, rejects lines without a tab', () => {
    expect(parseLabels('file\tlabel\na.png\tAB1\r\n\nb.png\tx y\n')).toEqual([
      { file: 'a.png', label: 'AB1' },
      { file: 'b.png', label: 'x y' },
    ]);
    expect(() => parseLabels('file\tlabel\nbroken\n', 'l.tsv')).toThrow(/l.tsv:2/);
    expect(limitSamples([{ file: 'a', label: 'a' }, { file: 'b', label: 'b' }], 1)).toHaveLength(1);
    expect(limitSamples([{ file: 'a', label: 'a' }], 0)).toHaveLength(1);
  });

  it('describes ddddocr with a valid sidecar', () => {
    const spec = parseModelSpec(ddddocrSidecar(['', '掀', 'a']));
    expect(spec).toMatchObject({ height: 64, mean: 0.5, std: 0.5, layout: 'TNC', input: 'input1', output: '387', maxWidth: 0, widthMultiple: 1 });
    expect(spec.classes).toEqual(['', '掀', 'a']);
  });
});
