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
 *
 * With `minLength` / `maxLength` (the answer's length, when the site's format is known), a greedy reading
 * of the wrong length is replaced by the most probable path whose text has an allowed length (exact Viterbi
 * over (step, characters so far, class)); the confidence is then that of the path, so a forced reading is
 * usually a less confident one. Measured by bench/ocr.mjs (rows `+len`) on `captcha_images_v2` (every answer
 * 5 characters) with the shipped model: 89.7% → 93.6% exact, mending most splits of one glyph in two (`m` read
 * `rn`) and noise-line starts read as a character; ddddocr's default model, decoded the same way: 87.0% → 96.7%.
 */

export interface CtcResult {
  text: string;
  /** min over steps of P(the step leaves the text unchanged) (0–1); 0 for an empty answer. */
  confidence: number;
  /** Candidate aggregations, for evaluation: of the arg-max probability over all steps (`min`, `product`, `mean`) or kept characters (`minKept`), and `minOk` (the confidence). */
  scores: { min: number; product: number; mean: number; minKept: number; minOk: number };
  /** Set when `minLength` or `maxLength` was given. */
  length?: LengthFit;
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
  /** The text has at least this many characters. @default 0 */
  minLength?: number;
  /** The text has at most this many characters (0 = any). @default 0 */
  maxLength?: number;
}

/** The outcome of a length constraint: `kept` (the greedy reading fits), `forced` (a fitting path replaced it), `impossible` (no path fits: the greedy reading is returned). */
export type LengthFit = 'kept' | 'forced' | 'impossible';

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

/**
 * Greedy CTC decode of one sequence. `labels[c]` is the text of class c; `blank` is dropped. With
 * `minLength`/`maxLength`, see the module comment.
 */
export function ctcGreedyDecode(view: LogitsView, labels: readonly string[], blank: number, options: CtcDecodeOptions = {}): CtcResult {
  const fold = options.foldCase ? foldGroups(labels) : undefined;
  const greedy = argmaxPath(view);
  const minLength = options.minLength ?? 0;
  const maxLength = options.maxLength ?? 0;
  if (minLength <= 0 && maxLength <= 0) return pathResult(view, labels, blank, greedy, fold);
  const n = pathLength(greedy, blank, fold);
  if (n >= minLength && (maxLength <= 0 || n <= maxLength)) return { ...pathResult(view, labels, blank, greedy, fold), length: 'kept' };
  const forced = bestPathOfLength(view, blank, fold, minLength, maxLength);
  return forced ? { ...pathResult(view, labels, blank, forced, fold), length: 'forced' } : { ...pathResult(view, labels, blank, greedy, fold), length: 'impossible' };
}

/** The arg-max class of every step. */
function argmaxPath(view: LogitsView): Int32Array {
  const { data, steps, classes, offset, stepStride } = view;
  const path = new Int32Array(steps);
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
    path[t] = best;
  }
  return path;
}

/** Characters a path decodes to (repeats collapsed, blanks dropped; with `fold`, case twins count as one). */
function pathLength(path: Int32Array, blank: number, fold?: Int32Array): number {
  let n = 0;
  let prev = -1;
  for (const c of path) {
    const g = fold && c !== blank ? fold[c]! : c;
    if (g !== prev && c !== blank) n++;
    prev = g;
  }
  return n;
}

/** Text, confidence and scores of one path (one class per step). */
function pathResult(view: LogitsView, labels: readonly string[], blank: number, path: Int32Array, fold?: Int32Array): CtcResult {
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
    const best = path[t]!;
    let maxV = -Infinity;
    for (let c = 0; c < classes; c++) if (data[base + c]! > maxV) maxV = data[base + c]!;
    // softmax probability of the path's class (or of its case group): exp(v - max) / sum(exp(v - max))
    let z = 0;
    let num = 0;
    const group = fold && best !== blank ? fold[best]! : -1;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(data[base + c]! - maxV);
      z += e;
      if (group >= 0 ? fold![c] === group && c !== blank : c === best) num += e;
    }
    const p = num / z;
    if (p < min) min = p;
    logSum += Math.log(p);
    sum += p;
    const run = group >= 0 ? group : best;
    if (run !== prev) {
      if (prev !== -1 && prev !== blank && runMax < minKept) minKept = runMax;
      runMax = 0;
      if (best !== blank) text += labels[best] ?? '';
    }
    if (best !== blank && p > runMax) runMax = p;
    prev = run;
  }
  if (prev !== -1 && prev !== blank && runMax < minKept) minKept = runMax;
  if (fold) text = text.toLowerCase();
  const minOk = steps > 0 ? minUnchanged(view, path, blank, fold) : 0;
  const product = steps > 0 ? Math.exp(logSum) : 0;
  const mean = steps > 0 ? sum / steps : 0;
  if (steps === 0) min = 0;
  if (!text) minKept = 0;
  return { text, confidence: text ? minOk : 0, scores: { min, product, mean, minKept, minOk } };
}

/** Classes below this probability at every step are left out of the length-constrained search. */
const CANDIDATE_MIN_P = 1e-4;

/**
 * The most probable path (product of per-step probabilities; with `fold`, of case groups) whose text has
 * `minLength`..`maxLength` characters (`maxLength` 0 = any); undefined when none has. Viterbi over
 * (step, characters so far, symbol), where a new character starts when a non-blank symbol differs from the
 * previous step's; symbols are the blank plus every class (or case group) that reaches `CANDIDATE_MIN_P` at
 * some step, or is the arg-max of one.
 */
function bestPathOfLength(view: LogitsView, blank: number, fold: Int32Array | undefined, minLength: number, maxLength: number): Int32Array | undefined {
  const { data, steps, classes, offset, stepStride } = view;
  if (steps === 0) return minLength <= 0 ? new Int32Array(0) : undefined;
  const K = maxLength > 0 ? Math.min(maxLength, steps) : steps;
  if (minLength > K) return undefined;
  // per-step log-probabilities of each group (a class is its own group without `fold`)
  const groupOf = (c: number) => (fold && c !== blank ? fold[c]! : c);
  const logp = new Float64Array(steps * classes).fill(-Infinity);
  const wanted = new Uint8Array(classes);
  wanted[blank] = 1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * stepStride;
    let maxV = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      if (data[base + c]! > maxV) {
        maxV = data[base + c]!;
        arg = c;
      }
    }
    let z = 0;
    const row = t * classes;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(data[base + c]! - maxV);
      z += e;
      const g = groupOf(c);
      logp[row + g] = logp[row + g] === -Infinity ? e : logp[row + g]! + e;
    }
    for (let g = 0; g < classes; g++) {
      if (logp[row + g] === -Infinity) continue;
      const p = logp[row + g]! / z;
      if (p >= CANDIDATE_MIN_P || g === groupOf(arg)) wanted[g] = 1;
      logp[row + g] = Math.log(p);
    }
  }
  const symbols: number[] = [blank];
  for (let g = 0; g < classes; g++) if (wanted[g] && g !== blank) symbols.push(g);
  const S = symbols.length;
  const W = (K + 1) * S;
  let dp = new Float64Array(W).fill(-Infinity);
  let next = new Float64Array(W);
  const back = new Int32Array(steps * W).fill(-1); // previous state (k * S + i) of state (t, k, i)
  dp[0] = logp[symbols[0]!]!;
  if (K >= 1) for (let i = 1; i < S; i++) dp[S + i] = logp[symbols[i]!]!;
  for (let t = 1; t < steps; t++) {
    next.fill(-Infinity);
    const row = t * classes;
    for (let k = 0; k <= K; k++) {
      // best and second-best state of row k (for the blank: stay at k; for row k - 1: start a new character)
      let b1 = -1;
      let b2 = -1;
      for (let i = 0; i < S; i++) {
        const v = dp[k * S + i]!;
        if (b1 < 0 || v > dp[k * S + b1]!) {
          b2 = b1;
          b1 = i;
        } else if (b2 < 0 || v > dp[k * S + b2]!) b2 = i;
      }
      const lb = logp[row + symbols[0]!]!;
      const stayBlank = dp[k * S + b1]! + lb;
      if (stayBlank > next[k * S]!) {
        next[k * S] = stayBlank;
        back[t * W + k * S] = k * S + b1;
      }
      for (let i = 1; i < S; i++) {
        const ls = logp[row + symbols[i]!]!;
        if (ls === -Infinity) continue;
        // continue the same symbol's run: no new character
        const stay = dp[k * S + i]! + ls;
        if (stay > next[k * S + i]!) {
          next[k * S + i] = stay;
          back[t * W + k * S + i] = k * S + i;
        }
        // a new character from row k, to row k + 1, coming from any other symbol (the blank included)
        if (k < K) {
          const from = b1 !== i ? b1 : b2;
          if (from >= 0) {
            const v = dp[k * S + from]! + ls;
            const to = (k + 1) * S + i;
            if (v > next[to]!) {
              next[to] = v;
              back[t * W + to] = k * S + from;
            }
          }
        }
      }
    }
    [dp, next] = [next, dp];
  }
  let end = -1;
  for (let k = Math.max(0, minLength); k <= K; k++) {
    for (let i = 0; i < S; i++) if (dp[k * S + i]! > -Infinity && (end < 0 || dp[k * S + i]! > dp[end]!)) end = k * S + i;
  }
  if (end < 0) return undefined;
  const path = new Int32Array(steps);
  for (let t = steps - 1, state = end; t >= 0; t--) {
    path[t] = symbols[state % S]!;
    state = t > 0 ? back[t * W + state]! : state;
  }
  return path;
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
