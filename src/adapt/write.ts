/**
 * Writing the adapted model folder: the base ONNX with the trained weights patched into its initializers (same
 * graph, same speed) and the base sidecar with a note of how it was adapted.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sidecarPath } from '../solvers/offline/model.js';
import { AdaptError } from './errors.js';
import type { HeadConv, HeadLinear } from './head.js';
import type { HeadParams } from './network.js';
import { patchInitializers, resizeInitializers } from './onnx-proto.js';
import type { Score } from './train.js';

/** File names inside a model folder (what `LocalSolver` looks for). */
export const MODEL_FILE = 'captcha-ocr.onnx';
export const SIDECAR_FILE = 'captcha-ocr.json';

/** Refuses an existing `out` unless `force`. */
export async function checkOut(out: string, force: boolean): Promise<void> {
  const exists = await stat(out).then((s) => s, () => undefined);
  if (exists && !force) {
    throw new AdaptError(`adaptModel: ${out} already exists`, { reason: 'out-exists', files: [out], hint: 'Choose another --out, or pass --force (force: true) to overwrite its model files' });
  }
  if (exists && !exists.isDirectory()) {
    throw new AdaptError(`adaptModel: ${out} exists and is not a folder`, { reason: 'out-exists', files: [out], hint: 'Choose another --out' });
  }
}

/** An adapted model's sidecar as JSON, with the `adaptedFrom` note `writeAdapted` put in it. */
export type AdaptedSidecar = Record<string, unknown> & { adaptedFrom: Record<string, unknown> };

/** Reads `out`'s sidecar, lets `change` edit it, and writes it back atomically. */
export async function updateSidecar(out: string, change: (sidecar: AdaptedSidecar) => void): Promise<void> {
  const file = join(out, SIDECAR_FILE);
  const sidecar = JSON.parse(await readFile(file, 'utf8')) as AdaptedSidecar;
  change(sidecar);
  await writeAtomic(file, `${JSON.stringify(sidecar, null, 2)}\n`);
}

/** What an adaptation did (in the result of `adaptModel` and the sidecar's `adaptedFrom`). */
export interface AdaptSummary {
  images: number;
  trainImages: number;
  valImages: number;
  /** Rehearsal images (generated, other styles) mixed into training; 0 without. */
  rehearsalImages: number;
  /** Label characters learned as new output classes (`newCharacters`); empty: none. */
  newCharacters: string[];
  /**
   * Every label is an arithmetic expression (`12+20`): the adapted model answers a reading that is one with its value
   * (the sidecar's `readsArithmetic`).
   */
  readsArithmetic: boolean;
  /** The base model on the validation images (one look, no second look). */
  before: Score;
  /** The adapted model on the same images. */
  after: Score;
  epochs: number;
}

const pct = (x: number) => Math.round(x * 1000) / 10;

export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** The sidecar's charset (a string, or a full class list) with `added` appended: the grown classes' labels. */
function withCharacters(charset: unknown, added: readonly string[]): string | string[] {
  return Array.isArray(charset) ? [...(charset as string[]), ...added] : `${String(charset)}${added.join('')}`;
}

/** Writes `out/captcha-ocr.onnx` (base + trained weights) and `out/captcha-ocr.json`. */
export async function writeAdapted(out: string, base: { path: string; bytes: Uint8Array }, convs: readonly HeadConv[], linear: HeadLinear, params: HeadParams, summary: AdaptSummary): Promise<void> {
  const weights = new Map<string, Float32Array>();
  convs.forEach((c, i) => {
    weights.set(c.weightName, params.convs[i]!.w);
    weights.set(c.biasName, params.convs[i]!.b);
  });
  // the MatMul's weight and the Add's bias, in the layout the graph holds them; grown by new classes, rewritten
  const added = summary.newCharacters;
  const { w, b, inFeatures, classes } = params.linear;
  if (added.length === 0) {
    weights.set(linear.weightName, w);
    weights.set(linear.biasName, b);
  }
  let model = patchInitializers(base.bytes, weights);
  if (added.length > 0) model = resizeInitializers(model, new Map([[linear.weightName, { dims: [inFeatures, classes], values: w }], [linear.biasName, { dims: [classes], values: b }]]));
  const sidecar = JSON.parse(await readFile(sidecarPath(base.path), 'utf8')) as Record<string, unknown>;
  if (added.length > 0) sidecar['charset'] = withCharacters(sidecar['charset'], added);
  if (summary.readsArithmetic) sidecar['readsArithmetic'] = true;
  else delete sidecar['readsArithmetic'];
  // the base's int8 copy holds the base's weights, not these: settleInt8 names the adapted model's own
  delete sidecar['int8'];
  sidecar['adaptedFrom'] = {
    model: base.path,
    at: new Date().toISOString(),
    images: summary.images,
    trainImages: summary.trainImages,
    valImages: summary.valImages,
    epochs: summary.epochs,
    trained: [...convs.map((c) => c.weightName), linear.weightName],
    ...(added.length > 0 ? { newCharacters: added.join('') } : {}),
    valAccuracyBefore: pct(summary.before.accuracy),
    valAccuracyAfter: pct(summary.after.accuracy),
    note: 'image-captcha adapt: the base model with its sequence head fine-tuned (CTC) on these labelled images; the CNN features are the base model\'s',
  };
  await mkdir(out, { recursive: true });
  await writeAtomic(join(out, MODEL_FILE), model);
  await writeAtomic(join(out, SIDECAR_FILE), `${JSON.stringify(sidecar, null, 2)}\n`);
}
