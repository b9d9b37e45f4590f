/**
 * The int8 copy of an adapted model: the base model's int8 copy (what training/quantize.sh writes: int8 weights
 * behind DequantizeLinear, a QuantizeLinear/DequantizeLinear pair on each convolution's input) with the trained head
 * written into it. The CNN is the base's and stays as it was quantized; each trained convolution is quantized the
 * way quantize.py does it (int8 weights, one scale per output channel; the bias in int32 at input scale x weight
 * scale), and the ranges of the activations between them are measured again on the adaptation's own images, since
 * training moved them. The final linear layer is float in both copies.
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelSpec } from '../solvers/offline/model.js';
import type { GraySample } from './dataset.js';
import type { HeadConv, HeadLinear } from './head.js';
import type { MatMul } from './matmul.js';
import { forwardHead, makeBatch, type HeadParams } from './network.js';
import { initializerValues, patchInitializers, readOnnxGraph, resizeInitializers } from './onnx-proto.js';
import { countRight } from './second-look.js';
import type { TrainSample } from './train.js';
import { updateSidecar, writeAtomic } from './write.js';

/** The int8 copy's file name in an adapted model folder. */
export const INT8_FILE = 'captcha-ocr.int8.onnx';

/** The percentile of each image's activations, then the percentile over the images, that set a range (as calibrate.mjs). */
const IMAGE_PERCENTILE = 0.9999;
const OVER_IMAGES = 0.99;

/** The base's int8 copy, or undefined when its sidecar names none or the file is absent. */
export async function baseInt8(basePath: string, spec: ModelSpec): Promise<Uint8Array | undefined> {
  if (!spec.int8) return undefined;
  return readFile(join(dirname(basePath), spec.int8)).then((b) => new Uint8Array(b), () => undefined);
}

function percentile(sorted: Float32Array | number[], q: number): number {
  return sorted[Math.floor((sorted.length - 1) * q)] ?? 0;
}

/**
 * The range of the ReLU output of every trained convolution but the last (the inputs of the next one), over the
 * plain view of `samples`: per image the 99.99th percentile, then the 99th over the images.
 */
async function activationRanges(params: HeadParams, samples: readonly TrainSample[], channels: number, mm: MatMul): Promise<number[]> {
  const batch = makeBatch(samples.map((s) => s.views[0]!), channels);
  const { acts } = await forwardHead(params, batch, mm);
  return acts.slice(0, -1).map((act, l) => {
    const rows = params.convs[l]!.outChannels;
    const tops = batch.segments.map(({ start, steps }) => {
      const values = new Float32Array(rows * steps);
      for (let o = 0; o < rows; o++) values.set(act.subarray(o * batch.total + start, o * batch.total + start + steps), o * steps);
      return percentile(values.sort(), IMAGE_PERCENTILE);
    });
    return Math.max(percentile(tops.sort((a, b) => a - b), OVER_IMAGES), 1e-6);
  });
}

/** Per output channel: int8 weights `[out, in*kernel]`, their scales, and the bias in int32 at `inputScale` x scale. */
function quantizeConv(w: Float32Array, b: Float32Array, outChannels: number, inputScale: number): { w: Int8Array; scale: Float32Array; b: Int32Array; bScale: Float32Array } {
  const per = w.length / outChannels;
  const q = new Int8Array(w.length);
  const scale = new Float32Array(outChannels);
  const bq = new Int32Array(outChannels);
  const bScale = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    let max = 0;
    for (let i = o * per; i < (o + 1) * per; i++) max = Math.max(max, Math.abs(w[i]!));
    const s = max / 127 + 1e-12;
    for (let i = o * per; i < (o + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / s)));
    scale[o] = s;
    bScale[o] = inputScale * s;
    bq[o] = Math.round(b[o]! / bScale[o]!);
  }
  return { w: q, scale, b: bq, bScale };
}

/** The float32 scalar initializer `name` of `model`, or undefined when it has none. */
function scalar(model: Uint8Array, graph: ReturnType<typeof readOnnxGraph>, name: string): number | undefined {
  const t = graph.initializers.get(name);
  return t && t.dataType === 1 ? initializerValues(model, t)[0] : undefined;
}

/** What {@link adaptedInt8} builds from. */
export interface Int8Source {
  /** The base model's int8 copy. */
  int8: Uint8Array;
  /** The trained convolutions, as the float graph names them, and the linear layer (grown when `grown`). */
  convs: readonly HeadConv[];
  linear: HeadLinear;
  grown: boolean;
  /** Their trained values. */
  params: HeadParams;
  /** Images whose plain view measures the activation ranges, with the first trained convolution's input width. */
  samples: readonly TrainSample[];
  channels: number;
  mm: MatMul;
}

/**
 * The adapted model's int8 copy built from the base's, or undefined when that graph is not the one quantize.py
 * writes around these convolutions.
 */
export async function adaptedInt8({ int8, convs, linear, grown, params, samples, channels, mm }: Int8Source): Promise<Uint8Array | undefined> {
  const graph = readOnnxGraph(int8);
  const needed = convs.flatMap((c) => [`${c.weightName}_int8`, `${c.weightName}_scale`, `${c.biasName}_int32`, `${c.biasName}_scale`, `${c.input}_scale`]);
  if (!needed.every((n) => graph.initializers.has(n)) || !graph.initializers.has(linear.weightName)) return undefined;
  const ranges = await activationRanges(params, samples, channels, mm);
  const patch = new Map<string, Float32Array | Int8Array | Int32Array>();
  let inputScale = scalar(int8, graph, `${convs[0]!.input}_scale`)!;
  convs.forEach((c, l) => {
    if (l > 0) {
      inputScale = ranges[l - 1]! / 255;
      patch.set(`${c.input}_scale`, Float32Array.of(inputScale));
    }
    const q = quantizeConv(params.convs[l]!.w, params.convs[l]!.b, c.outChannels, inputScale);
    patch.set(`${c.weightName}_int8`, q.w).set(`${c.weightName}_scale`, q.scale).set(`${c.biasName}_int32`, q.b).set(`${c.biasName}_scale`, q.bScale);
  });
  const { w, b, inFeatures, classes } = params.linear;
  if (!grown) return patchInitializers(int8, patch.set(linear.weightName, w).set(linear.biasName, b));
  return resizeInitializers(patchInitializers(int8, patch), new Map([[linear.weightName, { dims: [inFeatures, classes], values: w }], [linear.biasName, { dims: [classes], values: b }]]));
}

/**
 * Writes `copy` as `out`'s int8 copy and keeps it (named in the sidecar, so LocalSolver runs it) when it reads as
 * many validation images right as the float model, or at most one image (1%) fewer; else removes it. Says which in
 * the sidecar's `adaptedFrom.int8`. Returns whether the copy is kept and, when it was measured, how many validation
 * images the model that now runs reads right in one look (for the second look's verdict).
 */
export async function settleInt8(out: string, copy: Uint8Array | undefined, val: readonly GraySample[]): Promise<{ kept: boolean; oneLook?: number }> {
  if (!copy) {
    await updateSidecar(out, (s) => {
      s.adaptedFrom['int8'] = 'none: the base model has no int8 copy written by training/quantize.sh; the model runs in float';
    });
    return { kept: false };
  }
  await writeAtomic(join(out, INT8_FILE), copy);
  await updateSidecar(out, (s) => {
    s['int8'] = INT8_FILE;
  });
  const withIt = await countRight(out, val, false, true);
  const float = await countRight(out, val, false, false);
  const kept = withIt >= float - Math.max(1, Math.floor(val.length / 100));
  await updateSidecar(out, (s) => {
    s.adaptedFrom['int8'] = `${kept ? 'kept' : 'dropped'}: ${withIt} of ${val.length} validation images right with it (one look), ${float} in float`;
    if (!kept) delete s['int8'];
  });
  if (!kept) await rm(join(out, INT8_FILE), { force: true });
  return { kept, oneLook: kept ? withIt : float };
}
