/**
 * The pieces `adaptModel` trains with: the CTC loss against brute force and finite differences, and the head's
 * backward pass against finite differences.
 */
import { describe, expect, it } from 'vitest';
import { ctcLoss, greedyDecode } from '../../src/adapt/ctc.js';
import { jsMatMul, ortMatMul } from '../../src/adapt/matmul.js';
import { backwardHead, forwardHead, makeBatch, segmentLogits, zerosLike, type HeadParams } from '../../src/adapt/network.js';

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const randomArray = (n: number, random: () => number, scale = 1) => Float32Array.from({ length: n }, () => (random() - 0.5) * 2 * scale);

/** −log of the summed probability of every path that collapses to `target` (all C^T paths enumerated). */
function bruteForce(logits: Float32Array, T: number, C: number, target: number[]): number {
  let total = 0;
  const path = new Array<number>(T).fill(0);
  const probs = Array.from({ length: T }, (_, t) => {
    const row = Array.from(logits.subarray(t * C, (t + 1) * C));
    const z = row.reduce((s, v) => s + Math.exp(v), 0);
    return row.map((v) => Math.exp(v) / z);
  });
  const visit = (t: number): void => {
    if (t === T) {
      const collapsed: number[] = [];
      path.forEach((k, i) => {
        if (k !== 0 && k !== path[i - 1]) collapsed.push(k);
      });
      if (collapsed.join(',') === target.join(',')) total += path.reduce((p, k, i) => p * probs[i]![k]!, 1);
      return;
    }
    for (let k = 0; k < C; k++) {
      path[t] = k;
      visit(t + 1);
    }
  };
  visit(0);
  return -Math.log(total);
}

describe('ctcLoss', () => {
  it.each([
    [[1, 2], 4],
    [[1, 1], 5],
    [[2], 3],
  ])('equals the brute-force sum over paths (target %j, T=%i)', (target, T) => {
    const C = 3;
    const logits = randomArray(T * C, rng(T * 7 + target.length), 2);
    expect(ctcLoss(logits, T, C, target).loss).toBeCloseTo(bruteForce(logits, T, C, target), 5);
  });

  it('is infinite, with a zero gradient, when the target cannot fit', () => {
    const r = ctcLoss(new Float32Array(2 * 4), 2, 4, [1, 1]);
    expect(r.loss).toBe(Infinity);
    expect(r.grad.every((g) => g === 0)).toBe(true);
  });

  it('has the gradient finite differences give', () => {
    const T = 7, C = 5, target = [3, 1, 1, 4];
    const logits = randomArray(T * C, rng(11), 1.5);
    const { grad } = ctcLoss(logits, T, C, target);
    const h = 1e-2;
    for (let i = 0; i < T * C; i += 3) {
      const up = logits.slice(), down = logits.slice();
      up[i]! += h;
      down[i]! -= h;
      const numeric = (ctcLoss(up, T, C, target).loss - ctcLoss(down, T, C, target).loss) / (2 * h);
      expect(grad[i]!).toBeCloseTo(numeric, 3);
    }
  });

  it('decodes greedily: repeats merged, blanks dropped', () => {
    const C = 3;
    const steps = [1, 1, 0, 1, 2, 2, 0];
    const logits = new Float32Array(steps.length * C);
    steps.forEach((k, t) => (logits[t * C + k] = 5));
    expect(greedyDecode(logits, steps.length, C)).toEqual([1, 1, 2]);
  });
});

function smallHead(random: () => number): HeadParams {
  const conv = (i: number, o: number, d: number) => ({ w: randomArray(o * i * 3, random, 0.5), b: randomArray(o, random, 0.2), inChannels: i, outChannels: o, kernel: 3, dilation: d });
  return { convs: [conv(4, 6, 1), conv(6, 5, 2)], linear: { w: randomArray(5 * 4, random, 0.5), b: randomArray(4, random, 0.2), inFeatures: 5, classes: 4 } };
}

describe('the head backward pass', () => {
  it('matches finite differences of the CTC loss for conv and linear weights', async () => {
    const random = rng(5);
    const p = smallHead(random);
    const seqs = [{ data: randomArray(4 * 6, random), steps: 6 }, { data: randomArray(4 * 5, random), steps: 5 }];
    const targets = [[1, 2], [3]];
    const batch = makeBatch(seqs, 4);
    const lossOf = async (q: HeadParams) => {
      const { logits } = await forwardHead(q, batch, jsMatMul);
      return batch.segments.reduce((s, seg, k) => s + ctcLoss(segmentLogits(logits, 4, batch.total, seg), seg.steps, 4, targets[k]!).loss, 0);
    };
    const cache = await forwardHead(p, batch, jsMatMul);
    const dlogits = new Float32Array(cache.logits.length);
    batch.segments.forEach((seg, k) => {
      const { grad } = ctcLoss(segmentLogits(cache.logits, 4, batch.total, seg), seg.steps, 4, targets[k]!);
      for (let t = 0; t < seg.steps; t++) for (let c = 0; c < 4; c++) dlogits[c * batch.total + seg.start + t] = grad[t * 4 + c]!;
    });
    const g = zerosLike(p);
    await backwardHead(p, batch, cache, dlogits, g, jsMatMul);
    const checks: [Float32Array, Float32Array][] = [[p.convs[0]!.w, g.convs[0]!.w], [p.convs[1]!.b, g.convs[1]!.b], [p.linear.w, g.linear.w], [p.linear.b, g.linear.b]];
    const h = 1e-2;
    for (const [w, gw] of checks) {
      for (let i = 0; i < w.length; i += 5) {
        const keep = w[i]!;
        w[i] = keep + h;
        const up = await lossOf(p);
        w[i] = keep - h;
        const down = await lossOf(p);
        w[i] = keep;
        expect(gw[i]!).toBeCloseTo((up - down) / (2 * h), 2);
      }
    }
  });

  it('gives the same logits with onnxruntime\'s Gemm as with plain loops', async () => {
    const random = rng(9);
    const p = smallHead(random);
    const batch = makeBatch([{ data: randomArray(4 * 7, random), steps: 7 }], 4);
    const mm = await ortMatMul(1);
    try {
      const fast = (await forwardHead(p, batch, mm)).logits;
      const slow = (await forwardHead(p, batch, jsMatMul)).logits;
      fast.forEach((v, i) => expect(v).toBeCloseTo(slow[i]!, 4));
    } finally {
      await mm.close();
    }
  });
});
