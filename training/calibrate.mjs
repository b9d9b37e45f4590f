#!/usr/bin/env node
// Activation ranges for training/quantize.py: reads each PNG of IMAGES_DIR (generated captchas: models/rehearsal)
// with the augmented model (every Relu output a graph output) through the library's own preprocessing, and
// writes, per Relu output, the 99th percentile over the images of each image's 99.99th-percentile value.
//
//   node training/calibrate.mjs AUG.onnx MODEL.json IMAGES_DIR RANGES.json
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const [augPath, sidecarPath, imagesDir, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node training/calibrate.mjs AUG.onnx MODEL.json IMAGES_DIR RANGES.json');
  process.exit(2);
}
const { decodeToRgba, flattenToGray, toModelInput } = await import('../src/solvers/offline/preprocess.ts');
const { parseModelSpec } = await import('../src/solvers/offline/model.ts');
const { importOrt } = await import('../src/solvers/offline/ort.ts');
const ort = await importOrt();

const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8'));
const spec = parseModelSpec(sidecar, sidecarPath);
const session = await ort.InferenceSession.create(augPath, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
const files = readdirSync(imagesDir).filter((f) => f.endsWith('.png')).sort();
if (files.length === 0) throw new Error(`no PNG images in ${imagesDir}`);

const tops = new Map();
for (const file of files) {
  const gray = flattenToGray(await decodeToRgba(readFileSync(join(imagesDir, file))));
  const input = toModelInput(gray, spec);
  const out = await session.run({ [spec.input]: new ort.Tensor('float32', input.data, [1, 1, input.height, input.width]) });
  for (const name of session.outputNames) {
    if (name === spec.output) continue;
    const values = Float32Array.from(out[name].data).sort();
    if (!tops.has(name)) tops.set(name, []);
    tops.get(name).push(values[Math.floor((values.length - 1) * 0.9999)]);
  }
}
const relu = {};
for (const [name, values] of tops) {
  values.sort((a, b) => a - b);
  relu[name] = values[Math.floor((values.length - 1) * 0.99)];
}
writeFileSync(outPath, `${JSON.stringify({ images: files.length, sidecar: { mean: spec.mean, std: spec.std }, relu }, null, 1)}\n`);
console.log(`calibrated ${tops.size} activations on ${files.length} images -> ${outPath}`);
