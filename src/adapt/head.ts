/**
 * The sequence head of a model exported by training/export.py, found in its graph: the logits output is
 * `Add(bias, MatMul(Transpose(Relu(Conv1d(... Relu(Conv1d(features)))))))`. Walked back from the output, so the
 * class count, widths and the number of 1-D convolutions come from the model itself.
 */
import { ModelError } from '../solvers/offline/errors.js';
import { initializerValues, type OnnxGraph, type OnnxNode } from './onnx-proto.js';

/** One 1-D convolution (+ ReLU) of the head; weights `[out, in, kernel]` as ONNX stores them. */
export interface HeadConv {
  weightName: string;
  biasName: string;
  /** The tensor it reads. */
  input: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  dilation: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** The final projection: `logits[t, c] = sum_d x[d, t] * weight[d, c] + bias[c]`. */
export interface HeadLinear {
  weightName: string;
  biasName: string;
  inFeatures: number;
  classes: number;
  weight: Float32Array;
  bias: Float32Array;
}

export interface Head {
  /** In graph order (the first reads the CNN's features). */
  convs: HeadConv[];
  linear: HeadLinear;
}

function unsupported(what: string, where: string): never {
  throw new ModelError(`adaptModel: the model's sequence head is not the one training/export.py writes (${what}) (${where})`, {
    hint: 'Adapt a model exported by training/export.py with the conv head (Conv1d+ReLU layers, Transpose, MatMul, Add)',
  });
}

/** Finds the head feeding `output` in `graph`, and reads its weights from `model`. */
export function findHead(model: Uint8Array, graph: OnnxGraph, output: string, where: string): Head {
  const producer = new Map<string, OnnxNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const init = (name: string) => graph.initializers.get(name);
  const add = producer.get(output);
  if (add?.opType !== 'Add') unsupported(`"${output}" does not come from an Add`, where);
  const biasName = add.inputs.find((i) => init(i)) ?? unsupported('the Add has no bias', where);
  const matmul = producer.get(add.inputs.find((i) => i !== biasName)!);
  if (matmul?.opType !== 'MatMul' || !init(matmul.inputs[1]!)) unsupported('no MatMul with a weight before the Add', where);
  const linear = readLinear(model, graph, matmul.inputs[1]!, biasName, where);
  const transpose = producer.get(matmul.inputs[0]!);
  if (transpose?.opType !== 'Transpose' || transpose.ints['perm']?.join(',') !== '0,2,1') unsupported('no Transpose [0,2,1] before the MatMul', where);
  const convs: HeadConv[] = [];
  let tensor = transpose.inputs[0]!;
  for (;;) {
    const relu = producer.get(tensor);
    const conv = relu?.opType === 'Relu' ? producer.get(relu.inputs[0]!) : undefined;
    if (!conv || conv.opType !== 'Conv' || init(conv.inputs[1]!)?.dims.length !== 3) break;
    convs.unshift(readConv(model, graph, conv, where));
    tensor = conv.inputs[0]!;
  }
  if (convs.length === 0) unsupported('no Conv1d + ReLU before the Transpose', where);
  if (convs[convs.length - 1]!.outChannels !== linear.inFeatures) unsupported('the last conv and the MatMul disagree on the width', where);
  return { convs, linear };
}

function readLinear(model: Uint8Array, graph: OnnxGraph, weightName: string, biasName: string, where: string): HeadLinear {
  const w = graph.initializers.get(weightName)!;
  const b = graph.initializers.get(biasName)!;
  if (w.dims.length !== 2 || b.dims.length !== 1 || b.dims[0] !== w.dims[1]) unsupported(`MatMul weight [${w.dims}] and bias [${b.dims}]`, where);
  return { weightName, biasName, inFeatures: w.dims[0]!, classes: w.dims[1]!, weight: initializerValues(model, w), bias: initializerValues(model, b) };
}

function readConv(model: Uint8Array, graph: OnnxGraph, node: OnnxNode, where: string): HeadConv {
  const w = graph.initializers.get(node.inputs[1]!)!;
  const biasName = node.inputs[2];
  const b = biasName ? graph.initializers.get(biasName) : undefined;
  const [outChannels, inChannels, kernel] = w.dims as [number, number, number];
  const dilation = node.ints['dilations']?.[0] ?? 1;
  const pads = node.ints['pads'] ?? [0, 0];
  const same = (dilation * (kernel - 1)) / 2;
  if (!b || b.dims[0] !== outChannels) unsupported(`Conv ${node.name} has no bias`, where);
  if (kernel % 2 !== 1 || pads[0] !== same || pads[1] !== same || (node.ints['strides']?.[0] ?? 1) !== 1 || (node.ints['group']?.[0] ?? 1) !== 1) {
    unsupported(`Conv ${node.name} is not a same-length 1-D convolution`, where);
  }
  return { weightName: w.name, biasName: biasName!, input: node.inputs[0]!, inChannels, outChannels, kernel, dilation, weight: initializerValues(model, w), bias: initializerValues(model, b) };
}
