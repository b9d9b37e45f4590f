/**
 * The trainable part of the head in plain TypeScript: 1-D convolutions (+ ReLU) then the linear layer, forward and
 * backward over a batch of sequences laid side by side in time (`[channels, total steps]`, each sequence padded
 * with zeros at its own edges, as the ONNX Conv pads it).
 */
import type { HeadConv, HeadLinear } from './head.js';
import type { MatMul } from './matmul.js';

export interface ConvParams {
  /** `[out, in * kernel]` (ONNX's `[out, in, kernel]` flattened). */
  w: Float32Array;
  b: Float32Array;
  inChannels: number;
  outChannels: number;
  kernel: number;
  dilation: number;
}

export interface LinearParams {
  /** `[in, classes]` (the MatMul's layout). */
  w: Float32Array;
  b: Float32Array;
  inFeatures: number;
  classes: number;
}

export interface HeadParams {
  convs: ConvParams[];
  linear: LinearParams;
}

/** Where each sequence of a batch lies along the time axis. */
export interface Segment {
  start: number;
  steps: number;
}

export interface Batch {
  /** `[inChannels of the first conv, total]`. */
  x: Float32Array;
  segments: Segment[];
  total: number;
}

interface ForwardCache {
  /** Per conv: its im2col input `[in*kernel, total]` and its output after ReLU `[out, total]`. */
  cols: Float32Array[];
  acts: Float32Array[];
  /** `[classes, total]`. */
  logits: Float32Array;
}

/** Trainable copies of the head's weights. */
export function paramsFrom(convs: readonly HeadConv[], linear: HeadLinear): HeadParams {
  return {
    convs: convs.map((c) => ({ w: c.weight.slice(), b: c.bias.slice(), inChannels: c.inChannels, outChannels: c.outChannels, kernel: c.kernel, dilation: c.dilation })),
    linear: { w: linear.weight.slice(), b: linear.bias.slice(), inFeatures: linear.inFeatures, classes: linear.classes },
  };
}

/** Every weight array of `p`, in a fixed order (for the optimiser). */
export function tensorsOf(p: HeadParams): Float32Array[] {
  return [...p.convs.flatMap((c) => [c.w, c.b]), p.linear.w, p.linear.b];
}

/** Zero-filled gradients shaped like `p`. */
export function zerosLike(p: HeadParams): HeadParams {
  return {
    convs: p.convs.map((c) => ({ ...c, w: new Float32Array(c.w.length), b: new Float32Array(c.b.length) })),
    linear: { ...p.linear, w: new Float32Array(p.linear.w.length), b: new Float32Array(p.linear.b.length) },
  };
}

/** im2col: `col[i*kernel + j, t] = x[i, t + (j - half)*dilation]`, zero outside t's own sequence. */
function toColumns(x: Float32Array, channels: number, batch: Batch, kernel: number, dilation: number): Float32Array {
  const { total, segments } = batch;
  const col = new Float32Array(channels * kernel * total);
  const half = (kernel - 1) / 2;
  for (let i = 0; i < channels; i++) {
    for (let j = 0; j < kernel; j++) {
      const shift = (j - half) * dilation, dst = (i * kernel + j) * total, src = i * total;
      for (const { start, steps } of segments) {
        const lo = Math.max(0, -shift), hi = Math.min(steps, steps - shift);
        for (let t = lo; t < hi; t++) col[dst + start + t] = x[src + start + t + shift]!;
      }
    }
  }
  return col;
}

/** col2im: the gradient of `toColumns`, added into `dx` `[channels, total]`. */
function fromColumns(dcol: Float32Array, channels: number, batch: Batch, kernel: number, dilation: number): Float32Array {
  const { total, segments } = batch;
  const dx = new Float32Array(channels * total);
  const half = (kernel - 1) / 2;
  for (let i = 0; i < channels; i++) {
    for (let j = 0; j < kernel; j++) {
      const shift = (j - half) * dilation, src = (i * kernel + j) * total, dst = i * total;
      for (const { start, steps } of segments) {
        const lo = Math.max(0, -shift), hi = Math.min(steps, steps - shift);
        for (let t = lo; t < hi; t++) dx[dst + start + t + shift] = dx[dst + start + t + shift]! + dcol[src + start + t]!;
      }
    }
  }
  return dx;
}

/** Adds `bias[o]` to row o of `m` `[rows, total]` (in place). */
function addBias(m: Float32Array, bias: Float32Array, rows: number, total: number): Float32Array {
  for (let o = 0; o < rows; o++) {
    const b = bias[o]!;
    for (let t = o * total, end = t + total; t < end; t++) m[t] = m[t]! + b;
  }
  return m;
}

function addInto(into: Float32Array, g: Float32Array): void {
  for (let i = 0; i < into.length; i++) into[i] = into[i]! + g[i]!;
}

/** Runs the head over a batch; keeps what backward needs. */
export async function forwardHead(p: HeadParams, batch: Batch, mm: MatMul): Promise<ForwardCache> {
  const cols: Float32Array[] = [];
  const acts: Float32Array[] = [];
  const total = batch.total;
  let x = batch.x;
  for (const c of p.convs) {
    const r = c.inChannels * c.kernel;
    const col = toColumns(x, c.inChannels, batch, c.kernel, c.dilation);
    const z = addBias(await mm.mul({ data: c.w, rows: c.outChannels, cols: r }, { data: col, rows: r, cols: total }), c.b, c.outChannels, total);
    for (let i = 0; i < z.length; i++) if (z[i]! < 0) z[i] = 0;
    cols.push(col);
    acts.push(z);
    x = z;
  }
  const { linear } = p;
  const w = { data: linear.w, rows: linear.inFeatures, cols: linear.classes };
  const logits = addBias(await mm.mul(w, { data: x, rows: linear.inFeatures, cols: total }, true), linear.b, linear.classes, total);
  return { cols, acts, logits };
}

/** Adds the gradients of the batch into `g`, given `dlogits` `[classes, total]`. */
export async function backwardHead(p: HeadParams, batch: Batch, cache: ForwardCache, dlogits: Float32Array, g: HeadParams, mm: MatMul): Promise<void> {
  const { linear } = p;
  const total = batch.total;
  const dl = { data: dlogits, rows: linear.classes, cols: total };
  const last = cache.acts[cache.acts.length - 1]!;
  addInto(g.linear.w, await mm.mul({ data: last, rows: linear.inFeatures, cols: total }, dl, false, true));
  rowSums(g.linear.b, dlogits, linear.classes, total);
  let dact = await mm.mul({ data: linear.w, rows: linear.inFeatures, cols: linear.classes }, dl);
  for (let l = p.convs.length - 1; l >= 0; l--) {
    const c = p.convs[l]!, act = cache.acts[l]!, r = c.inChannels * c.kernel;
    for (let i = 0; i < dact.length; i++) if (act[i]! <= 0) dact[i] = 0;
    const dz = { data: dact, rows: c.outChannels, cols: total };
    addInto(g.convs[l]!.w, await mm.mul(dz, { data: cache.cols[l]!, rows: r, cols: total }, false, true));
    rowSums(g.convs[l]!.b, dact, c.outChannels, total);
    if (l === 0) break;
    const dcol = await mm.mul({ data: c.w, rows: c.outChannels, cols: r }, dz, true);
    dact = fromColumns(dcol, c.inChannels, batch, c.kernel, c.dilation);
  }
}

function rowSums(into: Float32Array, m: Float32Array, rows: number, total: number): void {
  for (let o = 0; o < rows; o++) {
    let s = 0;
    for (let t = 0; t < total; t++) s += m[o * total + t]!;
    into[o] = into[o]! + s;
  }
}

/** The logits of sequence `seg` as `[steps, classes]` (what the ONNX model outputs for it). */
export function segmentLogits(logits: Float32Array, classes: number, total: number, seg: Segment): Float32Array {
  const out = new Float32Array(seg.steps * classes);
  for (let c = 0; c < classes; c++) for (let t = 0; t < seg.steps; t++) out[t * classes + c] = logits[c * total + seg.start + t]!;
  return out;
}

/** Lays sequences `[channels, steps]` side by side into one batch. */
export function makeBatch(items: readonly { data: Float32Array; steps: number }[], channels: number): Batch {
  const segments: Segment[] = [];
  let total = 0;
  for (const it of items) {
    segments.push({ start: total, steps: it.steps });
    total += it.steps;
  }
  const x = new Float32Array(channels * total);
  items.forEach((it, k) => {
    const { start, steps } = segments[k]!;
    for (let i = 0; i < channels; i++) x.set(it.data.subarray(i * steps, (i + 1) * steps), i * total + start);
  });
  return { x, segments, total };
}
