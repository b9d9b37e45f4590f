/**
 * Fine-tuning the head: mini-batches of (image, random view) features, CTC loss, Adam, gradients clipped, weights
 * pulled gently back toward the base model's (so what it knew is not thrown away), and the epoch that reads the
 * validation images best kept (early stopping).
 */
import { ctcLoss, greedyDecode } from './ctc.js';
import type { Features } from './features.js';
import type { MatMul } from './matmul.js';
import { backwardHead, forwardHead, makeBatch, segmentLogits, tensorsOf, zerosLike, type HeadParams } from './network.js';

/** One training image: its features under each view (`views[0]`: as it is) and its label as class indices. */
export interface TrainSample {
  views: Features[];
  target: number[];
  /** The label in the model's classes (a Cyrillic look-alike as the Latin class it is read from). */
  text: string;
}

export interface Score {
  /** Exact match, case as labelled. */
  accuracy: number;
  /** Exact match ignoring case. */
  accuracyIgnoreCase: number;
  /** Mean CTC loss per image. */
  loss: number;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  /** Mean training loss of the epoch. */
  loss: number;
  val: Score;
  best: Score;
  elapsedMs: number;
  /** Estimated time to the last epoch (early stopping may end sooner). */
  etaMs: number;
}

export interface TrainOptions {
  epochs: number;
  classes: readonly string[];
  blank: number;
  channels: number;
  batchSize?: number;
  learningRate?: number;
  /** Epochs without a better validation score before stopping. */
  patience?: number;
  signal?: AbortSignal;
  onEpoch?: (report: EpochReport) => void;
  seed?: number;
  /** The matrix product engine (onnxruntime's Gemm in adaptModel). */
  mm: MatMul;
  /** Images of other styles, a random `rehearsalShare` of the training count of them mixed into each epoch. */
  rehearsal?: readonly TrainSample[];
  /** @default 0.5 */
  rehearsalShare?: number;
}

const DEFAULTS = { batchSize: 16, learningRate: 1e-3, patience: 8, seed: 7, clipNorm: 5, pullBack: 10, dropout: 0.2, ema: 0.95, rehearsalShare: 0.5 } as const;

/** A seeded generator of numbers in [0, 1) (a linear congruential one: small, fast, reproducible). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Reads `samples` (first view) with `params`: exact-match accuracy and mean loss. */
export async function scoreHead(params: HeadParams, samples: readonly TrainSample[], opts: Pick<TrainOptions, 'classes' | 'blank' | 'channels' | 'mm'>): Promise<Score> {
  let ok = 0, okCase = 0, loss = 0;
  const C = params.linear.classes;
  for (let s = 0; s < samples.length; s += 32) {
    const chunk = samples.slice(s, s + 32);
    const batch = makeBatch(chunk.map((x) => x.views[0]!), opts.channels);
    const { logits } = await forwardHead(params, batch, opts.mm);
    chunk.forEach((sample, k) => {
      const seg = batch.segments[k]!;
      const lg = segmentLogits(logits, C, batch.total, seg);
      const text = greedyDecode(lg, seg.steps, C, opts.blank).map((c) => opts.classes[c]).join('');
      ok += Number(text === sample.text);
      okCase += Number(text.toLowerCase() === sample.text.toLowerCase());
      const l = ctcLoss(lg, seg.steps, C, sample.target, opts.blank).loss;
      loss += Number.isFinite(l) ? l : 100;
    });
  }
  const n = Math.max(1, samples.length);
  return { accuracy: ok / n, accuracyIgnoreCase: okCase / n, loss: loss / n };
}

/** Higher accuracy, or the same with a clearly lower loss (a small gain is not worth drifting further from the base). */
const better = (a: Score, b: Score): boolean => a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.loss < 0.9 * b.loss);

class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private step = 0;
  constructor(private readonly params: Float32Array[], private readonly base: Float32Array[]) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }

  /** One update from `grads` (scaled by `scale`), with learning rate `lr`. */
  update(grads: Float32Array[], scale: number, lr: number): void {
    this.step++;
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const c1 = 1 - b1 ** this.step, c2 = 1 - b2 ** this.step;
    this.params.forEach((p, k) => {
      const g = grads[k]!, m = this.m[k]!, v = this.v[k]!, w0 = this.base[k]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * scale;
        m[i] = b1 * m[i]! + (1 - b1) * gi;
        v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
        p[i] = p[i]! - lr * ((m[i]! / c1) / (Math.sqrt(v[i]! / c2) + eps) + DEFAULTS.pullBack * (p[i]! - w0[i]!));
      }
    });
  }
}

function globalNorm(grads: Float32Array[]): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return Math.sqrt(s);
}

/** Inverted dropout on the input features (in place): each value zeroed with probability `p`, the rest scaled up. */
function dropout(x: Float32Array, p: number, random: () => number): void {
  const keep = 1 / (1 - p);
  for (let i = 0; i < x.length; i++) x[i] = random() < p ? 0 : x[i]! * keep;
}

/** One mini-batch: forward, CTC, backward; adds into `grads`, returns the summed loss and the images counted. */
async function batchStep(params: HeadParams, items: readonly { features: Features; target: number[] }[], grads: HeadParams, opts: TrainOptions, random: () => number): Promise<{ loss: number; counted: number }> {
  const { blank, channels, mm } = opts;
  const C = params.linear.classes;
  const batch = makeBatch(items.map((x) => x.features), channels);
  dropout(batch.x, DEFAULTS.dropout, random);
  const cache = await forwardHead(params, batch, mm);
  const dlogits = new Float32Array(cache.logits.length);
  let loss = 0, counted = 0;
  items.forEach((it, k) => {
    const seg = batch.segments[k]!;
    const r = ctcLoss(segmentLogits(cache.logits, C, batch.total, seg), seg.steps, C, it.target, blank);
    if (!Number.isFinite(r.loss)) return; // the label cannot fit this view's time steps: skipped, as zero_infinity does
    loss += r.loss;
    counted++;
    for (let t = 0; t < seg.steps; t++) for (let c = 0; c < C; c++) dlogits[c * batch.total + seg.start + t] = r.grad[t * C + c]!;
  });
  await backwardHead(params, batch, cache, dlogits, grads, mm);
  return { loss, counted };
}

/** The epoch's images: every training image, and a fresh random share of the rehearsal images, shuffled. */
function epochImages(train: readonly TrainSample[], random: () => number, opts: TrainOptions): TrainSample[] {
  const pool = opts.rehearsal ?? [];
  const extra = Math.min(pool.length, Math.round(train.length * (opts.rehearsalShare ?? DEFAULTS.rehearsalShare)));
  const picked = shuffle([...pool], random).slice(0, extra);
  return shuffle([...train, ...picked], random);
}

/** Fisher–Yates, in place. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** One pass over the training images (plus rehearsal), each under one random view. Returns the mean loss. */
async function runEpoch(params: HeadParams, ema: HeadParams, adam: Adam, train: readonly TrainSample[], lr: number, random: () => number, opts: TrainOptions): Promise<number> {
  const bs = opts.batchSize ?? DEFAULTS.batchSize;
  const images = epochImages(train, random, opts);
  let total = 0, n = 0;
  for (let s = 0; s < images.length; s += bs) {
    opts.signal?.throwIfAborted();
    const items = images.slice(s, s + bs).map((sample) => {
      return { features: sample.views[Math.floor(random() * sample.views.length)]!, target: sample.target };
    });
    const grads = zerosLike(params);
    const { loss, counted } = await batchStep(params, items, grads, opts, random);
    if (counted > 0) {
      const g = tensorsOf(grads);
      const norm = globalNorm(g) / counted;
      adam.update(g, (1 / counted) * Math.min(1, DEFAULTS.clipNorm / Math.max(norm, 1e-12)), lr);
      average(ema, params, DEFAULTS.ema);
    }
    total += loss;
    n += counted;
  }
  return total / Math.max(1, n);
}

/** `avg = decay * avg + (1 - decay) * p`, tensor by tensor: the averaged weights read steadier than the last step's. */
function average(avg: HeadParams, p: HeadParams, decay: number): void {
  const a = tensorsOf(avg), q = tensorsOf(p);
  a.forEach((t, k) => {
    const src = q[k]!;
    for (let i = 0; i < t.length; i++) t[i] = decay * t[i]! + (1 - decay) * src[i]!;
  });
}

function copyParams(p: HeadParams): HeadParams {
  return { convs: p.convs.map((c) => ({ ...c, w: c.w.slice(), b: c.b.slice() })), linear: { ...p.linear, w: p.linear.w.slice(), b: p.linear.b.slice() } };
}

/**
 * Trains `params` (in place) on `train`, keeps the epoch with the best validation score, and returns that
 * copy with the scores before and after.
 */
export async function trainHead(params: HeadParams, train: readonly TrainSample[], val: readonly TrainSample[], opts: TrainOptions): Promise<{ params: HeadParams; before: Score; after: Score; epochsRun: number }> {
  const started = Date.now();
  const random = rng(opts.seed ?? DEFAULTS.seed);
  const adam = new Adam(tensorsOf(params), tensorsOf(copyParams(params)));
  const before = await scoreHead(params, val, opts);
  let best = { score: before, params: copyParams(params) };
  const ema = copyParams(params);
  let stale = 0, epoch = 0;
  const lr0 = opts.learningRate ?? DEFAULTS.learningRate;
  while (epoch < opts.epochs && stale < (opts.patience ?? DEFAULTS.patience)) {
    const lr = lr0 * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * epoch) / opts.epochs)));
    const loss = await runEpoch(params, ema, adam, train, lr, random, opts);
    epoch++;
    const score = await scoreHead(ema, val, opts);
    if (better(score, best.score)) {
      best = { score, params: copyParams(ema) };
      stale = 0;
    } else stale++;
    const elapsedMs = Date.now() - started;
    opts.onEpoch?.({ epoch, epochs: opts.epochs, loss, val: score, best: best.score, elapsedMs, etaMs: (elapsedMs / epoch) * (opts.epochs - epoch) });
  }
  return { params: best.params, before, after: best.score, epochsRun: epoch };
}
