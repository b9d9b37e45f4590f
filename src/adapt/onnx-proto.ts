/**
 * Just enough of the ONNX protobuf to adapt a model: read a ModelProto's graph (nodes, initializers, outputs),
 * overwrite initializer weights in place, and add graph outputs. No dependency: the protobuf wire format is
 * varints and length-prefixed fields. Field numbers from onnx/onnx.proto:
 * ModelProto.graph 7; GraphProto node 1, initializer 5, output 12, value_info 13; NodeProto input 1, output 2,
 * name 3, op_type 4, attribute 5; AttributeProto name 1, i 3, ints 8; TensorProto dims 1, data_type 2, float_data 4,
 * name 8, raw_data 9; ValueInfoProto name 1, type 2; TypeProto tensor_type 1; TypeProto.Tensor elem_type 1.
 */

/** One field of a protobuf message: its number, wire type and where its value lies (absolute offsets). */
interface Field {
  field: number;
  wire: number;
  /** Offset of the tag. */
  tagStart: number;
  /** The value: varint value for wire 0; for wire 2, [start, end) of the bytes. */
  value: number;
  start: number;
  end: number;
}

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Integer and integer-list attributes (`dilations`, `pads`, `kernel_shape`, `perm`, `group`…). */
  ints: Record<string, number[]>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  /** TensorProto.DataType (1 = float32). */
  dataType: number;
  /** Absolute [start, end) of the float bytes (raw_data, or packed float_data). */
  dataStart: number;
  dataEnd: number;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxInitializer>;
  outputs: string[];
  /** Absolute [start, end) of the GraphProto bytes, and the offset of its tag in the ModelProto. */
  graphStart: number;
  graphEnd: number;
  graphTagStart: number;
}

/** A malformed or unsupported protobuf. */
export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new OnnxFormatError('truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
  throw new OnnxFormatError('varint longer than 10 bytes');
}

/** The fields of the message in `buf[start, end)`, in order. */
function fields(buf: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    const [tag, p1] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let value = 0, vStart = p1, vEnd = p1;
    if (wire === 0) [value, vEnd] = readVarint(buf, p1);
    else if (wire === 1) vEnd = p1 + 8;
    else if (wire === 5) vEnd = p1 + 4;
    else if (wire === 2) {
      const [len, p2] = readVarint(buf, p1);
      vStart = p2;
      vEnd = p2 + len;
      value = len;
    } else throw new OnnxFormatError(`unsupported wire type ${wire} at byte ${tagStart}`);
    if (vEnd > end) throw new OnnxFormatError(`field ${field} runs past its message (byte ${tagStart})`);
    out.push({ field, wire, tagStart, value, start: vStart, end: vEnd });
    pos = vEnd;
  }
  return out;
}

const utf8 = new TextDecoder();
const text = (buf: Uint8Array, f: Field): string => utf8.decode(buf.subarray(f.start, f.end));

/** A repeated integer field, packed (wire 2) or not (wire 0). */
function pushInts(buf: Uint8Array, f: Field, into: number[]): void {
  if (f.wire === 0) {
    into.push(f.value);
    return;
  }
  for (let p = f.start; p < f.end; ) {
    const [v, next] = readVarint(buf, p);
    into.push(v);
    p = next;
  }
}

function parseNode(buf: Uint8Array, start: number, end: number): OnnxNode {
  const node: OnnxNode = { name: '', opType: '', inputs: [], outputs: [], ints: {} };
  for (const f of fields(buf, start, end)) {
    if (f.field === 1) node.inputs.push(text(buf, f));
    else if (f.field === 2) node.outputs.push(text(buf, f));
    else if (f.field === 3) node.name = text(buf, f);
    else if (f.field === 4) node.opType = text(buf, f);
    else if (f.field === 5) parseIntAttribute(buf, f, node.ints);
  }
  return node;
}

function parseIntAttribute(buf: Uint8Array, at: Field, into: Record<string, number[]>): void {
  let name = '';
  const values: number[] = [];
  for (const f of fields(buf, at.start, at.end)) {
    if (f.field === 1) name = text(buf, f);
    else if (f.field === 3 && f.wire === 0) values.push(f.value);
    else if (f.field === 8) pushInts(buf, f, values);
  }
  if (name && values.length > 0) into[name] = values;
}

function parseInitializer(buf: Uint8Array, start: number, end: number): OnnxInitializer {
  const t: OnnxInitializer = { name: '', dims: [], dataType: 0, dataStart: -1, dataEnd: -1 };
  for (const f of fields(buf, start, end)) {
    if (f.field === 1) pushInts(buf, f, t.dims);
    else if (f.field === 2) t.dataType = f.value;
    else if (f.field === 8) t.name = text(buf, f);
    else if ((f.field === 9 || f.field === 4) && f.wire === 2) {
      t.dataStart = f.start;
      t.dataEnd = f.end;
    }
  }
  return t;
}

/** Reads the graph of a serialized ModelProto. */
export function readOnnxGraph(model: Uint8Array): OnnxGraph {
  const graphField = fields(model, 0, model.length).find((f) => f.field === 7 && f.wire === 2);
  if (!graphField) throw new OnnxFormatError('the file has no ONNX graph (ModelProto field 7)');
  const graph: OnnxGraph = { nodes: [], initializers: new Map(), outputs: [], graphStart: graphField.start, graphEnd: graphField.end, graphTagStart: graphField.tagStart };
  for (const f of fields(model, graphField.start, graphField.end)) {
    if (f.field === 1 && f.wire === 2) graph.nodes.push(parseNode(model, f.start, f.end));
    else if (f.field === 5 && f.wire === 2) {
      const t = parseInitializer(model, f.start, f.end);
      graph.initializers.set(t.name, t);
    } else if (f.field === 12 && f.wire === 2) {
      const name = fields(model, f.start, f.end).find((g) => g.field === 1);
      if (name) graph.outputs.push(text(model, name));
    }
  }
  return graph;
}

/** The float32 values of an initializer (a copy). */
export function initializerValues(model: Uint8Array, t: OnnxInitializer): Float32Array {
  if (t.dataType !== 1 || t.dataStart < 0) throw new OnnxFormatError(`initializer ${t.name} is not float32 data`);
  return new Float32Array(model.slice(t.dataStart, t.dataEnd).buffer);
}

/** TensorProto.DataType of the typed arrays {@link patchInitializers} writes: float32 1, int8 3, int32 6. */
function dataTypeOf(values: Float32Array | Int8Array | Int32Array): number {
  return values instanceof Float32Array ? 1 : values instanceof Int8Array ? 3 : 6;
}

/**
 * A copy of `model` with the given initializers' values replaced (same names, same types, same sizes: the graph
 * and every other byte stay as they were): float32, int8 or int32. {@link resizeInitializers} changes their shapes.
 */
export function patchInitializers(model: Uint8Array, weights: ReadonlyMap<string, Float32Array | Int8Array | Int32Array>): Uint8Array {
  const graph = readOnnxGraph(model);
  const out = model.slice();
  for (const [name, values] of weights) {
    const t = graph.initializers.get(name);
    if (!t) throw new OnnxFormatError(`the model has no initializer "${name}"`);
    if (t.dataType !== dataTypeOf(values) || t.dataStart < 0 || t.dataEnd - t.dataStart !== values.byteLength) {
      throw new OnnxFormatError(`initializer "${name}" holds ${t.dataEnd - t.dataStart} bytes of type ${t.dataType}, not the ${values.byteLength} of type ${dataTypeOf(values)} given`);
    }
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), t.dataStart);
  }
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function lengthDelimited(field: number, body: Uint8Array | number[]): number[] {
  return [...varint(field * 8 + 2), ...varint(body.length), ...body];
}

/** A ValueInfoProto for a float32 tensor of unknown shape. */
function floatValueInfo(name: string): number[] {
  const elemType = [...varint(1 * 8 + 0), 1];
  const tensorType = lengthDelimited(1, elemType);
  return [...lengthDelimited(1, new TextEncoder().encode(name)), ...lengthDelimited(2, tensorType)];
}

/** A copy of `model` whose graph also outputs the (float32) tensors `names`, so a session can return them. */
export function addGraphOutputs(model: Uint8Array, names: readonly string[]): Uint8Array {
  const graph = readOnnxGraph(model);
  const extra = names.filter((n) => !graph.outputs.includes(n)).flatMap((n) => lengthDelimited(12, floatValueInfo(n)));
  const body = new Uint8Array(graph.graphEnd - graph.graphStart + extra.length);
  body.set(model.subarray(graph.graphStart, graph.graphEnd));
  body.set(extra, graph.graphEnd - graph.graphStart);
  return withGraph(model, graph, body);
}

/** A float32 TensorProto: dims, data_type 1, name, raw_data (little-endian, as ONNX stores it). */
function floatTensor(name: string, dims: readonly number[], values: Float32Array): number[] {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return [...dims.flatMap((d) => varintField(1, d)), ...varintField(2, 1), ...lengthDelimited(8, utf8Bytes(name)), ...lengthDelimited(9, raw)];
}

/** `model` with its GraphProto replaced by `body` (the ModelProto's other fields kept). */
function withGraph(model: Uint8Array, graph: OnnxGraph, body: Uint8Array): Uint8Array {
  const head = Uint8Array.from([...varint(7 * 8 + 2), ...varint(body.length)]);
  return concat([model.subarray(0, graph.graphTagStart), head, body, model.subarray(graph.graphEnd)]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A copy of `model` whose initializers `weights` names get new shapes and values (a linear layer grown by new
 * output classes). The graph outputs lose their declared shapes and the intermediate `value_info` hints are dropped
 * (they would name the old sizes); onnxruntime infers both again.
 */
export function resizeInitializers(model: Uint8Array, weights: ReadonlyMap<string, { dims: readonly number[]; values: Float32Array }>): Uint8Array {
  const graph = readOnnxGraph(model);
  const parts: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const f of fields(model, graph.graphStart, graph.graphEnd)) {
    const name = f.wire === 2 && (f.field === 5 || f.field === 12) ? initializerOrValueName(model, f) : undefined;
    const w = f.field === 5 && name !== undefined ? weights.get(name) : undefined;
    if (w) {
      if (w.dims.reduce((a, b) => a * b, 1) !== w.values.length) throw new OnnxFormatError(`initializer "${name}": ${w.values.length} values for dims [${w.dims.join(',')}]`);
      parts.push(Uint8Array.from(lengthDelimited(5, floatTensor(name!, w.dims, w.values))));
      seen.add(name!);
    } else if (f.field === 12 && name !== undefined) parts.push(Uint8Array.from(lengthDelimited(12, floatValueInfo(name))));
    else if (f.field !== 13) parts.push(model.subarray(f.tagStart, f.end));
  }
  const missing = [...weights.keys()].filter((n) => !seen.has(n));
  if (missing.length > 0) throw new OnnxFormatError(`the model has no initializer ${missing.map((n) => `"${n}"`).join(', ')}`);
  return withGraph(model, graph, concat(parts));
}

/** The name of an initializer (TensorProto field 8) or a value info (ValueInfoProto field 1). */
function initializerOrValueName(model: Uint8Array, at: Field): string | undefined {
  const nameField = at.field === 5 ? 8 : 1;
  const f = fields(model, at.start, at.end).find((g) => g.field === nameField && g.wire === 2);
  return f ? text(model, f) : undefined;
}

function varintField(field: number, value: number): number[] {
  return [...varint(field * 8), ...varint(value)];
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s);

/** A float32 rank-2 ValueInfoProto with symbolic dimensions `rows` and `cols`. */
function matrixValueInfo(name: string, rows: string, cols: string): number[] {
  const dim = (p: string) => lengthDelimited(1, lengthDelimited(2, utf8Bytes(p)));
  const shape = lengthDelimited(2, [...dim(rows), ...dim(cols)]);
  const tensorType = lengthDelimited(1, [...varintField(1, 1), ...shape]);
  return [...lengthDelimited(1, utf8Bytes(name)), ...lengthDelimited(2, tensorType)];
}

/**
 * A one-node ONNX model `y = Gemm(a, b)` (opset 14) with `transA`/`transB`, any sizes: onnxruntime's matrix
 * product, much faster than JavaScript loops, for training.
 */
export function gemmModel(transA: boolean, transB: boolean): Uint8Array {
  const attr = (name: string, v: number) => lengthDelimited(5, [...lengthDelimited(1, utf8Bytes(name)), ...varintField(3, v), ...varintField(20, 2)]);
  const node = lengthDelimited(1, [
    ...lengthDelimited(1, utf8Bytes('a')),
    ...lengthDelimited(1, utf8Bytes('b')),
    ...lengthDelimited(2, utf8Bytes('y')),
    ...lengthDelimited(4, utf8Bytes('Gemm')),
    ...attr('transA', transA ? 1 : 0),
    ...attr('transB', transB ? 1 : 0),
  ]);
  const graph = [
    ...node,
    ...lengthDelimited(2, utf8Bytes('gemm')),
    ...lengthDelimited(11, matrixValueInfo('a', 'a0', 'a1')),
    ...lengthDelimited(11, matrixValueInfo('b', 'b0', 'b1')),
    ...lengthDelimited(12, matrixValueInfo('y', 'y0', 'y1')),
  ];
  const opset = lengthDelimited(8, [...lengthDelimited(1, []), ...varintField(2, 14)]);
  return Uint8Array.from([...varintField(1, 7), ...opset, ...lengthDelimited(7, graph)]);
}
