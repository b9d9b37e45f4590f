#!/usr/bin/env python3
"""An int8 copy of an exported model (QDQ format), for onnxruntime's int8 kernels: about twice as fast on one CPU
thread, the readings nearly the same (measured by bench:ocr, see training/README.md).

  bash training/quantize.sh models/captcha-ocr.onnx        # the whole job: augment, calibrate, quantize, sidecar

which runs, for MODEL.onnx:

  /usr/bin/python3 training/quantize.py augment MODEL.onnx AUG.onnx        # every Relu output also a graph output
  node training/calibrate.mjs AUG.onnx MODEL.json models/rehearsal RANGES.json
  /usr/bin/python3 training/quantize.py quantize MODEL.onnx RANGES.json MODEL.int8.onnx

What `quantize` writes, for graphs of Conv, Relu and MaxPool (both shipped models):
- every Conv weight as int8, symmetric, one scale per output channel; its bias as int32 at scale
  input scale x weight scale (what onnxruntime's QLinearConv fusion asks for);
- a QuantizeLinear/DequantizeLinear pair (uint8) on each Conv's and MaxPool's input: the image at the scale
  its normalisation gives (the sidecar's mean/std), a Relu output at (its calibrated range)/255, zero point 0;
- the rest (reshapes, the final MatMul and Add) stays float.
onnxruntime fuses the pairs into QLinearConv / int8 MaxPool when the session optimises the graph ('all').
The ranges come from generated captchas only (models/rehearsal): never from the real dev sets.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def augment(src: str, out: str) -> None:
    """Writes `src` with each Relu output added as a graph output, for calibrate.mjs."""
    m = onnx.load(src)
    have = {o.name for o in m.graph.output}
    for n in m.graph.node:
        if n.op_type == "Relu" and n.output[0] not in have:
            m.graph.output.append(helper.make_tensor_value_info(n.output[0], onnx.TensorProto.FLOAT, None))
    onnx.save(m, out)


class Builder:
    """Rewrites the nodes of one graph into QDQ form, collecting the new initializers."""

    def __init__(self, graph, scales: dict[str, tuple[float, int]]):
        self.graph = graph
        self.scales = scales
        self.inits = {i.name: i for i in graph.initializer}
        self.producers = {n.output[0]: n for n in graph.node}
        self.nodes: list = []
        self.new_inits: list = []
        self.pairs: dict[str, str] = {}

    def const(self, name: str, value: np.ndarray) -> str:
        self.new_inits.append(numpy_helper.from_array(value, name))
        return name

    def scale_of(self, tensor: str) -> tuple[float, int]:
        """The calibrated scale of `tensor`, or of the tensor it was pooled or reshaped from."""
        while tensor not in self.scales:
            producer = self.producers.get(tensor)
            if producer is None:
                raise SystemExit(f"quantize: no calibrated range reaches {tensor}")
            tensor = producer.input[0]
        return self.scales[tensor]

    def qdq(self, tensor: str) -> str:
        """`tensor` through a QuantizeLinear/DequantizeLinear pair (one pair per tensor, shared by its readers)."""
        if tensor not in self.pairs:
            s, zp = self.scale_of(tensor)
            sn = self.const(f"{tensor}_scale", np.array(s, np.float32))
            zn = self.const(f"{tensor}_zero", np.array(zp, np.uint8))
            self.nodes.append(helper.make_node("QuantizeLinear", [tensor, sn, zn], [f"{tensor}_q"]))
            self.nodes.append(helper.make_node("DequantizeLinear", [f"{tensor}_q", sn, zn], [f"{tensor}_dq"]))
            self.pairs[tensor] = f"{tensor}_dq"
        return self.pairs[tensor]

    def conv(self, n) -> None:
        x, w, b = n.input
        sx, _ = self.scale_of(x)
        weight = numpy_helper.to_array(self.inits[w])
        bias = numpy_helper.to_array(self.inits[b])
        sw = np.abs(weight.reshape(weight.shape[0], -1)).max(1) / 127 + 1e-12
        wq = np.clip(np.round(weight / sw.reshape(-1, *[1] * (weight.ndim - 1))), -127, 127).astype(np.int8)
        bq = np.round(bias / (sx * sw)).astype(np.int32)
        self.nodes.append(helper.make_node(
            "DequantizeLinear", [self.const(f"{w}_int8", wq), self.const(f"{w}_scale", sw.astype(np.float32)),
                                 self.const(f"{w}_zero", np.zeros(len(sw), np.int8))], [f"{w}_dq"], axis=0))
        self.nodes.append(helper.make_node(
            "DequantizeLinear", [self.const(f"{b}_int32", bq), self.const(f"{b}_scale", (sx * sw).astype(np.float32)),
                                 self.const(f"{b}_zero", np.zeros(len(sw), np.int32))], [f"{b}_dq"], axis=0))
        self.copy(n, [self.qdq(x), f"{w}_dq", f"{b}_dq"])

    def copy(self, n, inputs: list[str]) -> None:
        node = helper.make_node(n.op_type, inputs, list(n.output), name=n.name)
        node.attribute.extend(n.attribute)
        self.nodes.append(node)

    def rewrite(self) -> None:
        for n in self.graph.node:
            if n.op_type == "Conv":
                if len(n.input) != 3:
                    raise SystemExit(f"quantize: Conv {n.name} has no bias; export with biases (BatchNorm folded)")
                self.conv(n)
            elif n.op_type == "MaxPool":
                self.copy(n, [self.qdq(n.input[0])])
            else:
                self.nodes.append(n)
        used = {i for n in self.nodes for i in n.input}
        kept = [i for i in self.graph.initializer if i.name in used]
        del self.graph.node[:]
        self.graph.node.extend(self.nodes)
        del self.graph.initializer[:]
        self.graph.initializer.extend(kept + self.new_inits)


def quantize(src: str, ranges_path: str, out: str) -> None:
    m = onnx.load(src)
    calib = json.load(open(ranges_path))
    sidecar = calib["sidecar"]
    image_scale = 1 / sidecar["std"] / 255  # (v/255 - mean)/std for v in 0..255 spans 255 steps of this
    image_zero = int(round(sidecar["mean"] / sidecar["std"] / image_scale))
    if not 0 <= image_zero <= 255:
        raise SystemExit(f"quantize: mean/std {sidecar['mean']}/{sidecar['std']} do not fit a uint8 input")
    scales = {m.graph.input[0].name: (image_scale, image_zero)}
    scales.update({name: (max(top, 1e-6) / 255, 0) for name, top in calib["relu"].items()})
    Builder(m.graph, scales).rewrite()
    if m.opset_import[0].version < 13:  # per-channel DequantizeLinear (axis) needs opset 13
        m.opset_import[0].version = 13
    m.producer_name = "image-captcha-solver training/quantize.py"
    onnx.checker.check_model(m)
    onnx.save(m, out)
    print(f"wrote {out}: {sum(1 for n in m.graph.node if n.op_type == 'Conv')} convolutions in int8, "
          f"{len(calib['relu'])} calibrated activations from {calib['images']} images")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "augment":
        augment(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "quantize":
        quantize(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
