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

/** Whether a prediction matches its label, case-insensitively (the headline exact match). */
const readRight = (p: Prediction) => p.text.toLowerCase() === p.label.toLowerCase();

/** Aggregates predictions. CER compares case-insensitively, like the headline accuracy. */
export function summarize(preds: readonly Prediction[]): Summary {
  let exact = 0, exactCase = 0, dist = 0, len = 0, errors = 0;
  for (const p of preds) {
    const a = p.text.toLowerCase();
    const b = p.label.toLowerCase();
    if (readRight(p)) exact++;
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

/**
 * Wilson score interval for a proportion `k / n` (default 95%): the range of accuracies that this many images
 * cannot tell apart. `[NaN, NaN]` when `n` is 0.
 */
export function wilson(k: number, n: number, z = 1.959964): [number, number] {
  if (n <= 0) return [Number.NaN, Number.NaN];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface Paired {
  n: number;
  /** Images only the first model reads right (case-insensitive exact match). */
  onlyA: number;
  /** Images only the second model reads right. */
  onlyB: number;
  /** Exact two-sided McNemar p-value: the chance of a split at least this uneven if both models were equally good. */
  p: number;
}

/**
 * Paired comparison of two models on the same images, in the same order (McNemar's exact test). Two models that
 * differ by a few images out of a thousand usually differ by noise; this says how likely that is.
 */
export function paired(a: readonly Prediction[], b: readonly Prediction[]): Paired {
  if (a.length !== b.length) throw new Error(`paired: ${a.length} predictions against ${b.length}`);
  let onlyA = 0, onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.label !== b[i]!.label) throw new Error(`paired: image ${i} has label ${a[i]!.label} in one run and ${b[i]!.label} in the other`);
    const ra = readRight(a[i]!);
    const rb = readRight(b[i]!);
    if (ra && !rb) onlyA++;
    else if (rb && !ra) onlyB++;
  }
  return { n: a.length, onlyA, onlyB, p: binomialTwoSided(Math.min(onlyA, onlyB), onlyA + onlyB) };
}

/** P(X <= k or X >= m - k) for X ~ Binomial(m, 1/2), capped at 1; 1 when m is 0. */
function binomialTwoSided(k: number, m: number): number {
  if (m === 0) return 1;
  // sum C(m, i) / 2^m for i <= k, in log space so that m in the thousands does not overflow
  let logC = 0; // log C(m, 0)
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(m - i + 1) - Math.log(i);
    tail += Math.exp(logC - m * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}
