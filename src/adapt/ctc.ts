/**
 * CTC loss and its gradient with respect to the logits, for one sequence, in log space (forward-backward,
 * Graves et al. 2006). Same definition as torch.nn.functional.ctc_loss with reduction 'sum' for one sample.
 */

export interface CtcLoss {
  /** −log p(target | logits); Infinity when the target cannot fit in the time steps. */
  loss: number;
  /** d loss / d logits, `[T, C]` (all zero when the loss is infinite). */
  grad: Float32Array;
}

const logAdd = (a: number, b: number): number => {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
};

/** Log-softmax of each row of `logits` `[T, C]`, and the softmax itself. */
export function logSoftmaxRows(logits: ArrayLike<number>, steps: number, classes: number): { logp: Float64Array; prob: Float64Array } {
  const logp = new Float64Array(steps * classes);
  const prob = new Float64Array(steps * classes);
  for (let t = 0; t < steps; t++) {
    const o = t * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[o + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[o + c]! - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < classes; c++) {
      logp[o + c] = logits[o + c]! - lse;
      prob[o + c] = Math.exp(logp[o + c]!);
    }
  }
  return { logp, prob };
}

/** The target with blanks around and between its labels: `_ a _ b _`. */
function extended(target: readonly number[], blank: number): Int32Array {
  const ext = new Int32Array(target.length * 2 + 1).fill(blank);
  target.forEach((k, i) => (ext[2 * i + 1] = k));
  return ext;
}

function forward(logp: Float64Array, ext: Int32Array, steps: number, classes: number, blank: number): Float64Array {
  const S = ext.length;
  const alpha = new Float64Array(steps * S).fill(-Infinity);
  alpha[0] = logp[ext[0]!]!;
  if (S > 1) alpha[1] = logp[ext[1]!]!;
  for (let t = 1; t < steps; t++) {
    const prev = (t - 1) * S, cur = t * S, row = t * classes;
    for (let s = 0; s < S; s++) {
      let a = alpha[prev + s]!;
      if (s > 0) a = logAdd(a, alpha[prev + s - 1]!);
      if (s > 1 && ext[s] !== blank && ext[s] !== ext[s - 2]) a = logAdd(a, alpha[prev + s - 2]!);
      alpha[cur + s] = a === -Infinity ? a : a + logp[row + ext[s]!]!;
    }
  }
  return alpha;
}

function backward(logp: Float64Array, ext: Int32Array, steps: number, classes: number, blank: number): Float64Array {
  const S = ext.length;
  const beta = new Float64Array(steps * S).fill(-Infinity);
  const last = (steps - 1) * S, lastRow = (steps - 1) * classes;
  beta[last + S - 1] = logp[lastRow + ext[S - 1]!]!;
  if (S > 1) beta[last + S - 2] = logp[lastRow + ext[S - 2]!]!;
  for (let t = steps - 2; t >= 0; t--) {
    const next = (t + 1) * S, cur = t * S, row = t * classes;
    for (let s = 0; s < S; s++) {
      let b = beta[next + s]!;
      if (s < S - 1) b = logAdd(b, beta[next + s + 1]!);
      if (s < S - 2 && ext[s] !== blank && ext[s] !== ext[s + 2]) b = logAdd(b, beta[next + s + 2]!);
      beta[cur + s] = b === -Infinity ? b : b + logp[row + ext[s]!]!;
    }
  }
  return beta;
}

/**
 * CTC loss of `target` (class indices, no blanks) under `logits` `[steps, classes]` (raw, before softmax), and
 * its gradient: `softmax - posterior occupancy of each class`.
 */
export function ctcLoss(logits: ArrayLike<number>, steps: number, classes: number, target: readonly number[], blank = 0): CtcLoss {
  const grad = new Float32Array(steps * classes);
  const { logp, prob } = logSoftmaxRows(logits, steps, classes);
  const ext = extended(target, blank);
  const S = ext.length;
  const alpha = forward(logp, ext, steps, classes, blank);
  const lastA = (steps - 1) * S;
  const logP = S > 1 ? logAdd(alpha[lastA + S - 1]!, alpha[lastA + S - 2]!) : alpha[lastA]!;
  if (!Number.isFinite(logP)) return { loss: Infinity, grad };
  const beta = backward(logp, ext, steps, classes, blank);
  const occupancy = new Float64Array(classes);
  for (let t = 0; t < steps; t++) {
    occupancy.fill(0);
    const row = t * classes;
    for (let s = 0; s < S; s++) {
      const g = alpha[t * S + s]! + beta[t * S + s]! - logp[row + ext[s]!]! - logP;
      if (g > -700) occupancy[ext[s]!] = occupancy[ext[s]!]! + Math.exp(g);
    }
    for (let c = 0; c < classes; c++) grad[row + c] = prob[row + c]! - occupancy[c]!;
  }
  return { loss: -logP, grad };
}

/** Greedy CTC decoding of `[steps, classes]` logits: the best class per step, repeats merged, blanks dropped. */
export function greedyDecode(logits: ArrayLike<number>, steps: number, classes: number, blank = 0): number[] {
  const out: number[] = [];
  let prev = blank;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[t * classes + c]! > logits[t * classes + best]!) best = c;
    if (best !== prev && best !== blank) out.push(best);
    prev = best;
  }
  return out;
}
