#!/usr/bin/env python3
"""Turn the shipped ONNX model back into a trainable checkpoint (for `train.py --init` / `gpu.sh`).

  /usr/bin/python3 training/from_onnx.py [--onnx models/captcha-ocr.onnx] --out training/runs/shipped.pt

Checkpoints (`training/runs/`) are not committed, so on a fresh machine the shipped ONNX file is the only copy of
the current weights. The exporter folded each BatchNorm into the convolution before it, so the ONNX graph holds
conv weights + a bias per conv. This script loads them into the CRNN (conv head) and rebuilds BatchNorm layers
that keep the function exact in eval mode *and* close to it in train mode:

  conv(x) = W x                      (fused weights, no bias, as in the CRNN)
  BN(y)   = (y - mu) / sqrt(var + eps) * sqrt(var + eps) + (b + mu)  =  y + b

with mu/var the per-channel statistics of W x measured on synthetic images (so a training batch, which
normalises with its own statistics, starts from almost the same function). It checks that torch and ONNX agree.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import build_model, pad_batch, to_array  # noqa: E402
from synth import gen  # noqa: E402

ARCH = {"ch": [32, 64, 128, 160], "rnn": 128, "head": "conv"}


def convs_and_bns(model):
    """(conv, bn) pairs in graph order, the order in which the exporter emitted the fused Conv nodes."""
    mods = list(model.cnn) + list(model.seq)
    return [(m, mods[i + 1]) for i, m in enumerate(mods) if isinstance(m, (torch.nn.Conv2d, torch.nn.Conv1d))]


def load_onnx_weights(model, path):
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    conv_nodes = [n for n in g.node if n.op_type == "Conv"]
    pairs = convs_and_bns(model)
    if len(conv_nodes) != len(pairs):
        sys.exit(f"{path}: {len(conv_nodes)} Conv nodes, the conv-head CRNN has {len(pairs)}; not this architecture")
    biases = []
    for node, (conv, _bn) in zip(conv_nodes, pairs):
        w = init[node.input[1]]
        b = init[node.input[2]] if len(node.input) > 2 else np.zeros(w.shape[0], np.float32)
        if tuple(w.shape) != tuple(conv.weight.shape):
            sys.exit(f"{path}: conv weight {w.shape} does not fit {tuple(conv.weight.shape)}")
        conv.weight.data.copy_(torch.from_numpy(w.copy()))
        biases.append(torch.from_numpy(b.copy()))
    matmul = [n for n in g.node if n.op_type == "MatMul"][0]
    add = [n for n in g.node if n.op_type == "Add"][-1]
    fc_w = init[matmul.input[1]]                  # [D, C]
    fc_b = init[[i for i in add.input if i in init][0]]
    model.fc.weight.data.copy_(torch.from_numpy(fc_w.T.copy()))
    model.fc.bias.data.copy_(torch.from_numpy(fc_b.copy()))
    return biases


@torch.no_grad()
def calibrate(model, biases, images):
    """Set every BN so that eval(BN(Wx)) == Wx + b exactly, with mean/var = the statistics of Wx on `images`."""
    pairs = convs_and_bns(model)
    for (_conv, bn), b in zip(pairs, biases):     # first: BN = identity + bias (exact), to get later layers' inputs
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0)
        bn.weight.fill_(float(np.sqrt(1.0 + bn.eps)))
        bn.bias.copy_(b)
    stats = {}

    def hook(conv):
        def fn(_m, _inp, out):
            dims = [0, 2, 3] if out.dim() == 4 else [0, 2]
            s = stats.setdefault(conv, [0.0, 0.0, 0])
            s[0] = s[0] + out.sum(dims)
            s[1] = s[1] + (out * out).sum(dims)
            s[2] += out.numel() // out.shape[1]
        return fn

    handles = [conv.register_forward_hook(hook(conv)) for conv, _ in pairs]
    model.eval()
    for s in range(0, len(images), 64):
        model(pad_batch(images[s: s + 64]))
    for h in handles:
        h.remove()
    for (conv, bn), b in zip(pairs, biases):
        total, sq, n = stats[conv]
        mu = total / n
        var = (sq / n - mu * mu).clamp_min(1e-6)
        bn.running_mean.copy_(mu)
        bn.running_var.copy_(var)
        bn.weight.copy_(torch.sqrt(var + bn.eps))
        bn.bias.copy_(b + mu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", default=os.path.join(common.REPO, "models", "captcha-ocr.onnx"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--calib", type=int, default=512, help="synthetic images for the BatchNorm statistics")
    ap.add_argument("--math", action="store_true", help="the arithmetic model (train_math.py's architecture; "
                    "--onnx defaults to models/captcha-math.onnx); the checkpoint is for train_math.py --init")
    a = ap.parse_args()
    if a.math and a.onnx == ap.get_default("onnx"):
        a.onnx = os.path.join(common.REPO, "models", "captcha-math.onnx")

    if a.math:
        import train_math
        from synth import math as mathgen
        model, arch, draw = train_math.build(), train_math.ARCH, mathgen.sample_math
    else:
        # the charset (and so the output width) comes from the model's sidecar: Latin, or Latin + Cyrillic
        with open(os.path.splitext(a.onnx)[0] + ".json", encoding="utf-8") as fh:
            arch = {**ARCH, "charset": json.load(fh)["charset"]}
        model, draw = build_model(arch), gen.sample
    biases = load_onnx_weights(model, a.onnx)
    rng = random.Random(7)
    samples = [draw(rng) for _ in range(a.calib)]
    arrs = [to_array(img) for img, _t, _s in samples]
    arrs.sort(key=lambda x: x.shape[1])
    calibrate(model, biases, arrs)
    model.eval()

    # how far a train-mode forward pass (batch statistics) is from the exact eval-mode function
    x = pad_batch(arrs[:32])
    with torch.no_grad():
        ev = model(x)
        probe_model = copy.deepcopy(model).train()   # a train-mode pass updates running stats: use a copy
        tr = probe_model(x)
    agree = (ev.argmax(-1) == tr.argmax(-1)).float().mean().item()
    if not a.math:   # common.evaluate decodes the text model's charset
        acc, cer, _ = common.evaluate(model, [(img, t) for img, t, _s in samples[:256]])
        model.eval()   # evaluate() leaves the model in train mode
        print(f"eval-mode synthetic exact {acc:.3f} (CER {cer:.3f}) on 256 generator images")
    print(f"loaded {a.onnx}: train-mode argmax agreement with eval mode {agree:.3f}")
    if os.environ.get("FROM_ONNX_CHECK_ORT", "1") != "0":
        check_with_ort(model, a.onnx, x)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save({"model": model.state_dict(), "arch": arch, "step": 0, "samples": 0,
                "args": {"name": "from-onnx", "onnx": os.path.basename(a.onnx)}}, a.out)
    print(f"wrote {a.out}")


def check_with_ort(model, onnx_path, x):
    """Compare torch's logits with onnxruntime-node's on the same input (node is how the package runs it)."""
    import json
    import subprocess
    import tempfile
    tmp = tempfile.mkdtemp()
    x.numpy().astype(np.float32).tofile(os.path.join(tmp, "x.bin"))
    with torch.no_grad():
        ref = model(x).numpy()
    js = r"""
const fs = require('fs'); const ort = require(process.argv[2]);
(async () => {
  const s = await ort.InferenceSession.create(process.argv[3]);
  const buf = fs.readFileSync(process.argv[4] + '/x.bin');
  const shape = JSON.parse(process.argv[5]);
  const out = await s.run({ image: new ort.Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), shape) });
  const d = out.logits.data;
  fs.writeFileSync(process.argv[4] + '/y.bin', Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  console.log(JSON.stringify(out.logits.dims));
})().catch((e) => { console.error(e); process.exit(2); });
"""
    with open(os.path.join(tmp, "run.cjs"), "w") as fh:
        fh.write(js)
    ort_mod = os.path.join(common.REPO, "node_modules", "onnxruntime-node")
    r = subprocess.run(["node", os.path.join(tmp, "run.cjs"), ort_mod, os.path.abspath(onnx_path), tmp,
                        json.dumps(list(x.shape))], capture_output=True, text=True)
    if r.returncode != 0:
        print("onnxruntime-node check skipped:", r.stderr.strip()[-300:])
        return
    y = np.fromfile(os.path.join(tmp, "y.bin"), np.float32).reshape(ref.shape)
    diff = float(np.abs(y - ref).max())
    same = float((y.argmax(-1) == ref.argmax(-1)).mean())
    print(f"onnxruntime-node vs torch: max |diff| {diff:.2e}, argmax agreement {same:.4f}")
    if diff > 1e-3:
        sys.exit("the rebuilt model does not match the ONNX file")


if __name__ == "__main__":
    main()
