/**
 * OCR metrics: exact match (case-sensitive and not), character error rate, latency percentiles,
 * and how well a confidence score separates right answers from wrong ones.
 */

/** Levenshtein distance over Unicode code points. */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = new Array<number>(y.length + 1);
  let cur = new Array<number>(y.length + 1);
  for (let j = 0; j <= y.length; j++) prev[j] = j;
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const sub = prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[y.length]!;
}

/** Linear-interpolated percentile (p in 0–100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export interface Prediction {
  label: string;
  text: string;
  confidence: number;
  ms: number;
  /** Set when the solver threw instead of answering (counted as wrong, empty text). */
  error?: string;
}

export interface Summary {
  n: number;
  /** Exact-match accuracy, case-insensitive (0–1). */
  accuracy: number;
  /** Exact-match accuracy, case-sensitive (0–1). */
  accuracyCase: number;
  /** Sum of edit distances (case-insensitive) / sum of label lengths. */
  cer: number;
  medianMs: number;
  p95Ms: number;
  errors: number;
  /** P(confidence of a right answer > that of a wrong one), case-sensitive; NaN when all right or all wrong. */
  confidenceAuc: number;
  /** With `score: 0.8`: share of right answers still answered, and of wrong ones refused (case-sensitive). */
  at80: { rightKept: number; wrongCaught: number };
}

/** Aggregates predictions. CER compares case-insensitively, like the headline accuracy. */
export function summarize(preds: readonly Prediction[]): Summary {
  let exact = 0, exactCase = 0, dist = 0, len = 0, errors = 0;
  for (const p of preds) {
    const a = p.text.toLowerCase();
    const b = p.label.toLowerCase();
    if (a === b) exact++;
    if (p.text === p.label) exactCase++;
    dist += editDistance(a, b);
    len += Array.from(b).length;
    if (p.error) errors++;
  }
  const n = preds.length;
  // the confidence is the model's case-sensitive one: compare it with case-sensitive correctness
  const right = preds.filter((p) => p.text === p.label).map((p) => p.confidence);
  const wrong = preds.filter((p) => p.text !== p.label).map((p) => p.confidence);
  return {
    n,
    accuracy: n ? exact / n : Number.NaN,
    accuracyCase: n ? exactCase / n : Number.NaN,
    cer: len ? dist / len : Number.NaN,
    medianMs: percentile(preds.map((p) => p.ms), 50),
    p95Ms: percentile(preds.map((p) => p.ms), 95),
    errors,
    confidenceAuc: auc(right, wrong),
    at80: {
      rightKept: right.length ? right.filter((c) => c >= 0.8).length / right.length : Number.NaN,
      wrongCaught: wrong.length ? wrong.filter((c) => c < 0.8).length / wrong.length : Number.NaN,
    },
  };
}

/** Area under the ROC curve: P(score of a positive > score of a negative), ties count half. */
export function auc(positives: readonly number[], negatives: readonly number[]): number {
  if (positives.length === 0 || negatives.length === 0) return Number.NaN;
  const all = [...positives.map((s) => ({ s, pos: true })), ...negatives.map((s) => ({ s, pos: false }))].sort((a, b) => a.s - b.s);
  // rank-sum (Mann-Whitney U) with average ranks for ties
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.pos) rankSum += avg;
    i = j;
  }
  const np = positives.length, nn = negatives.length;
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}
