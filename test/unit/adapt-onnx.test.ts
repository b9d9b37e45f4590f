/**
 * The ONNX editing behind `adaptModel`, on the shipped model: the head is found from the graph, a patched model
 * loads in onnxruntime-node and answers with the patched weights, a grown linear layer (a new class) loads and
 * answers with it, and the TypeScript head reproduces the graph's logits from the features tensor it adds as an
 * output.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { findHead, type Head } from '../../src/adapt/head.js';
import { jsMatMul } from '../../src/adapt/matmul.js';
import { forwardHead, makeBatch, paramsFrom, segmentLogits } from '../../src/adapt/network.js';
import { addGraphOutputs, patchInitializers, readOnnxGraph, resizeInitializers } from '../../src/adapt/onnx-proto.js';
import { defaultModelPath, loadModelSpec, type ModelSpec } from '../../src/solvers/offline/model.js';

const modelPath = defaultModelPath();
const bytes = new Uint8Array(readFileSync(modelPath));
let spec: ModelSpec;
let head: Head;

/** A fixed input image: white with dark vertical stripes. */
function input(width = 96): ort.Tensor {
  const data = new Float32Array(32 * width).fill(1);
  for (let y = 6; y < 26; y++) for (let x = 10; x < width - 10; x++) if (x % 9 < 3) data[y * width + x] = -1;
  return new ort.Tensor('float32', data, [1, 1, 32, width]);
}

async function run(model: Uint8Array, fetch?: string[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(model);
  try {
    const feeds = { [spec.input]: input() };
    return (await (fetch ? session.run(feeds, fetch) : session.run(feeds))) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

beforeAll(async () => {
  spec = await loadModelSpec(modelPath);
  head = findHead(bytes, readOnnxGraph(bytes), spec.output, modelPath);
});

describe('the ONNX head', () => {
  it('is found from the graph: conv layers, then a linear layer with one output per class of the sidecar', () => {
    expect(head.convs.length).toBeGreaterThanOrEqual(1);
    expect(head.linear.classes).toBe(spec.classes.length);
    expect(head.convs.at(-1)!.outChannels).toBe(head.linear.inFeatures);
    for (const c of head.convs) expect(c.weight.length).toBe(c.outChannels * c.inChannels * c.kernel);
  });

  it('patching the same weights changes no byte; other weights change the answer', async () => {
    const same = patchInitializers(bytes, new Map([[head.linear.biasName, head.linear.bias]]));
    expect(Buffer.compare(Buffer.from(same), Buffer.from(bytes))).toBe(0);
    const bias = head.linear.bias.slice();
    bias[5] = bias[5]! + 1000; // class 5 wins every time step
    const patched = patchInitializers(bytes, new Map([[head.linear.biasName, bias]]));
    expect(patched.length).toBe(bytes.length);
    const before = (await run(bytes))[spec.output]!;
    const after = (await run(patched))[spec.output]!;
    const [, T, C] = after.dims as number[];
    const data = after.data as Float32Array;
    for (let t = 0; t < T!; t++) {
      const row = Array.from(data.subarray(t * C!, (t + 1) * C!));
      expect(row.indexOf(Math.max(...row))).toBe(5);
    }
    expect(Math.abs((after.data as Float32Array)[0]! - (before.data as Float32Array)[0]!)).toBeLessThan(1e-3);
  });

  it('refuses a patch of the wrong size', () => {
    expect(() => patchInitializers(bytes, new Map([[head.linear.biasName, new Float32Array(3)]]))).toThrow(/bytes/);
  });

  it('a linear layer grown by a class: the old classes read as before, the new one wins where its bias says', async () => {
    const { inFeatures, classes: C, weight, bias, weightName, biasName } = head.linear;
    const w = new Float32Array(inFeatures * (C + 1));
    for (let i = 0; i < inFeatures; i++) w.set(weight.subarray(i * C, (i + 1) * C), i * (C + 1));
    const b = new Float32Array(C + 1);
    b.set(bias);
    const grow = (last: number) => resizeInitializers(bytes, new Map([[weightName, { dims: [inFeatures, C + 1], values: w }], [biasName, { dims: [C + 1], values: Float32Array.from(b, (v, k) => (k === C ? last : v)) }]]));
    const before = (await run(bytes))[spec.output]!;
    const quiet = (await run(grow(-1000)))[spec.output]!;
    const [, T] = before.dims as number[];
    expect(quiet.dims).toEqual([1, T, C + 1]);
    const old = before.data as Float32Array, grown = quiet.data as Float32Array;
    for (let t = 0; t < T!; t++) for (let c = 0; c < C; c++) expect(Math.abs(grown[t * (C + 1) + c]! - old[t * C + c]!)).toBeLessThan(1e-4);
    const loud = (await run(grow(1000)))[spec.output]!.data as Float32Array;
    for (let t = 0; t < T!; t++) {
      const row = Array.from(loud.subarray(t * (C + 1), (t + 1) * (C + 1)));
      expect(row.indexOf(Math.max(...row))).toBe(C);
    }
    expect(() => resizeInitializers(bytes, new Map([[biasName, { dims: [C + 2], values: b }]]))).toThrow(/values for dims/);
    expect(() => resizeInitializers(bytes, new Map([['nope', { dims: [1], values: new Float32Array(1) }]]))).toThrow(/no initializer "nope"/);
  });

  it('the TypeScript head gives the graph\'s logits from the features output it adds', async () => {
    const first = head.convs[0]!;
    const out = await run(addGraphOutputs(bytes, [first.input]), [first.input, spec.output]);
    const features = out[first.input]!;
    const [, channels, steps] = features.dims as number[];
    expect(channels).toBe(first.inChannels);
    const batch = makeBatch([{ data: features.data as Float32Array, steps: steps! }], channels!);
    const { logits } = await forwardHead(paramsFrom(head.convs, head.linear), batch, jsMatMul);
    const ours = segmentLogits(logits, head.linear.classes, batch.total, batch.segments[0]!);
    const theirs = out[spec.output]!.data as Float32Array;
    expect(ours.length).toBe(theirs.length);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
  });
});

describe('patchInitializers on the int8 copy', () => {
  const int8Path = modelPath.replace(/\.onnx$/, '.int8.onnx');
  const int8 = new Uint8Array(readFileSync(int8Path));

  it('writes int8 and int32 initializers in place, and refuses a value of another type or size', async () => {
    const graph = readOnnxGraph(int8);
    const conv = head.convs[head.convs.length - 1]!;
    const w = graph.initializers.get(`${conv.weightName}_int8`)!;
    const b = graph.initializers.get(`${conv.biasName}_int32`)!;
    expect([w.dataType, b.dataType]).toEqual([3, 6]);
    const zeros = new Int8Array(w.dataEnd - w.dataStart);
    const patched = patchInitializers(int8, new Map<string, Int8Array | Int32Array>([[`${conv.weightName}_int8`, zeros], [`${conv.biasName}_int32`, new Int32Array(conv.outChannels)]]));
    expect(patched.length).toBe(int8.length);
    expect([...patched.subarray(w.dataStart, w.dataEnd)].every((v) => v === 0)).toBe(true);
    // the last conv now outputs zeros: every time step reads the same class
    const logits = (await run(patched))[spec.output]!.data as Float32Array;
    const C = spec.classes.length;
    const first = logits.subarray(0, C).join(',');
    for (let t = 1; t < logits.length / C; t++) expect(logits.subarray(t * C, (t + 1) * C).join(',')).toBe(first);
    expect(() => patchInitializers(int8, new Map([[`${conv.weightName}_int8`, new Float32Array(zeros.length / 4)]]))).toThrow(/of type 3, not the .* of type 1/);
    expect(() => patchInitializers(int8, new Map([[`${conv.weightName}_int8`, new Int8Array(3)]]))).toThrow(/holds \d+ bytes/);
  });
});
