import { describe, expect, it } from 'vitest';
import { parseLabels, limitSamples } from '../../bench/lib/datasets.js';
import { auc, editDistance, percentile, summarize } from '../../bench/lib/metrics.js';
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
