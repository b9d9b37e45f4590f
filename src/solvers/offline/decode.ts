/**
 * Greedy CTC decoding of the model's logits, with a confidence score.
 *
 * Per time step: the arg-max class; decoding collapses repeats and drops the blank. Confidence =
 * the smallest, over all time steps, of the probability that the step leaves the decoded text
 * unchanged: the winning class, plus the blank for a character step (its run only gets shorter), plus
 * the adjacent character for a blank step (that run only gets longer, unless it would merge two runs
 * of the same character). Plain "min of the arg-max probability" punishes the steps at a character's
 * edge, where blank and character share the mass without any doubt about the text.
 *
 * Measured on the shipped interim model (300 images per set, case-insensitive answers): ROC AUC of
 * right vs wrong 0.75 / 0.81 / 0.81 / 0.88 (captcha_images_v2 and three hold-out families) against
 * 0.70 / 0.77 / 0.82 / 0.83 for the plain minimum, and at `score` 0.8 it keeps 55 % (not 16 %) of the
 * right answers on captcha_images_v2 while refusing 86 % of the wrong ones. bench/ocr.mjs prints both.
 *
 * With `foldCase`, classes that differ only in case (`A`, `a`) count as one, and the text is lowercased.
 */

export interface CtcResult {
  text: string;
  /** min over steps of P(the step leaves the text unchanged) (0–1); 0 for an empty answer. */
  confidence: number;
  /** Candidate aggregations, for evaluation: of the arg-max probability over all steps (`min`, `product`, `mean`) or kept characters (`minKept`), and `minOk` (the confidence). */
  scores: { min: number; product: number; mean: number; minKept: number; minOk: number };
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

export interface CtcDecodeOptions {
  /** Sum the probabilities of classes that differ only in case, and lowercase the text. @default false */
  foldCase?: boolean;
}

const foldCache = new WeakMap<readonly string[], Int32Array>();

/** For each class, the index of the first class with the same lowercased label. */
function foldGroups(labels: readonly string[]): Int32Array {
  let g = foldCache.get(labels);
  if (!g) {
    g = new Int32Array(labels.length);
    const first = new Map<string, number>();
    labels.forEach((l, i) => {
      const k = l.toLowerCase();
      const f = l === '' ? i : (first.get(k) ?? i);
      if (!first.has(k) && l !== '') first.set(k, i);
      g![i] = f;
    });
    foldCache.set(labels, g);
  }
  return g;
}

/** Greedy CTC decode of one sequence. `labels[c]` is the text of class c; `blank` is dropped. */
export function ctcGreedyDecode(view: LogitsView, labels: readonly string[], blank: number, options: CtcDecodeOptions = {}): CtcResult {
  const { data, steps, classes, offset, stepStride } = view;
  const fold = options.foldCase ? foldGroups(labels) : undefined;
  let text = '';
  let prev = -1;
  let min = 1;
  let minKept = 1;
  let logSum = 0;
  let sum = 0;
  let runMax = 0; // best probability within the current run of a kept character
  const bests = new Int32Array(steps);
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
    // softmax probability of the arg-max (or of its case group): exp(v - max) / sum(exp(v - max))
    let z = 0;
    let num = 0;
    const group = fold ? fold[best]! : -1;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(data[base + c]! - bestV);
      z += e;
      if (fold && fold[c] === group && c !== blank) num += e;
    }
    const p = fold && best !== blank ? num / z : 1 / z;
    bests[t] = best;
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
  if (fold) text = text.toLowerCase();
  const minOk = steps > 0 ? minUnchanged(view, bests, blank, fold) : 0;
  const product = steps > 0 ? Math.exp(logSum) : 0;
  const mean = steps > 0 ? sum / steps : 0;
  if (steps === 0) min = 0;
  if (!text) minKept = 0;
  return { text, confidence: text ? minOk : 0, scores: { min, product, mean, minKept, minOk } };
}

/**
 * Per step, the probability that the step leaves the decoded text unchanged: a character step may also
 * be blank (its run just gets shorter); a blank step may also be the character of an adjacent step
 * (that run just gets longer) unless that would merge two runs of the same character. Min over steps.
 */
function minUnchanged(view: LogitsView, bests: Int32Array, blank: number, fold?: Int32Array): number {
  const { data, steps, classes, offset, stepStride } = view;
  const same = (a: number, b: number) => a === b || (fold !== undefined && a !== blank && b !== blank && fold[a] === fold[b]);
  let min = 1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * stepStride;
    const best = bests[t]!;
    let bestV = -Infinity;
    for (let c = 0; c < classes; c++) if (data[base + c]! > bestV) bestV = data[base + c]!;
    let z = 0;
    let ok = 0;
    const prev = t > 0 ? bests[t - 1]! : blank;
    const next = t + 1 < steps ? bests[t + 1]! : blank;
    const merges = prev !== blank && next !== blank && same(prev, next);
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(data[base + c]! - bestV);
      z += e;
      if (same(c, best) || (best !== blank && c === blank) || (best === blank && c !== blank && !merges && ((prev !== blank && same(c, prev)) || (next !== blank && same(c, next))))) ok += e;
    }
    const p = ok / z;
    if (p < min) min = p;
  }
  return min;
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
