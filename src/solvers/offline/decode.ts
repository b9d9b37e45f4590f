/**
 * Greedy CTC decoding of the model's logits, with a confidence score.
 *
 * Per time step: the arg-max class and its softmax probability. Decoding collapses repeats and drops
 * the blank. Confidence = the smallest per-step max probability along the whole greedy path (blank
 * steps included): one uncertain step — a character that might be missing, doubled or another
 * one — makes the whole answer uncertain. On our validation sets the minimum separated right from
 * wrong answers better than the product or the mean (see bench/ocr.mjs, `--confidence`).
 */

export interface CtcResult {
  text: string;
  /** min over steps of the max softmax probability (0–1). */
  confidence: number;
  /** The three candidate aggregations, for evaluation. */
  scores: { min: number; product: number; mean: number; minKept: number };
}

export interface LogitsView {
  data: Float32Array;
  /** Number of time steps. */
  steps: number;
  /** Number of classes. */
  classes: number;
  /** Offset of step t, class c: `offset + t * stepStride + c`. */
  offset: number;
  stepStride: number;
}

/** Greedy CTC decode of one sequence. `labels[c]` is the text of class c; `blank` is dropped. */
export function ctcGreedyDecode(view: LogitsView, labels: readonly string[], blank: number): CtcResult {
  const { data, steps, classes, offset, stepStride } = view;
  let text = '';
  let prev = -1;
  let min = 1;
  let minKept = 1;
  let logSum = 0;
  let sum = 0;
  let runMax = 0; // best probability within the current run of a kept character
  for (let t = 0; t < steps; t++) {
    const base = offset + t * stepStride;
    let best = 0;
    let bestV = data[base]!;
    for (let c = 1; c < classes; c++) {
      const v = data[base + c]!;
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    // softmax probability of the arg-max: 1 / sum(exp(v - max))
    let z = 0;
    for (let c = 0; c < classes; c++) z += Math.exp(data[base + c]! - bestV);
    const p = 1 / z;
    if (p < min) min = p;
    logSum += Math.log(p);
    sum += p;
    if (best !== prev) {
      if (prev !== -1 && prev !== blank && runMax < minKept) minKept = runMax;
      runMax = 0;
      if (best !== blank) text += labels[best] ?? '';
    }
    if (best !== blank && p > runMax) runMax = p;
    prev = best;
  }
  if (prev !== -1 && prev !== blank && runMax < minKept) minKept = runMax;
  const product = steps > 0 ? Math.exp(logSum) : 0;
  const mean = steps > 0 ? sum / steps : 0;
  if (steps === 0) min = 0;
  return { text, confidence: min, scores: { min, product, mean, minKept: text ? minKept : 0 } };
}

/**
 * Splits a logits tensor into per-image views. `dims` is `[N,T,C]` (layout NTC) or `[T,N,C]` (TNC).
 */
export function logitsViews(data: Float32Array, dims: readonly number[], layout: 'NTC' | 'TNC'): LogitsView[] {
  if (dims.length !== 3) throw new RangeError(`expected 3 output dims, got [${dims.join(',')}]`);
  const [a, b, classes] = dims as [number, number, number];
  const n = layout === 'NTC' ? a : b;
  const steps = layout === 'NTC' ? b : a;
  const views: LogitsView[] = [];
  for (let i = 0; i < n; i++) {
    views.push(
      layout === 'NTC'
        ? { data, steps, classes, offset: i * steps * classes, stepStride: classes }
        : { data, steps, classes, offset: i * classes, stepStride: n * classes },
    );
  }
  return views;
}
