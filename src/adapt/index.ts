/**
 * `adaptModel`: fine-tunes the offline model on a site's own labelled captchas (a `collect` folder), on the CPU,
 * in Node alone. The convolutional features stay frozen (computed once per image by onnxruntime); the head's last
 * layers are trained in TypeScript with CTC; the result is the base model with those weights replaced, written as
 * a model folder (`captcha-ocr.onnx` + `captcha-ocr.json`) that `new LocalSolver({ model: out })` reads.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isFile } from '../core/fs.js';
import { parseArithmetic } from '../solvers/offline/math.js';
import { defaultModelPath, loadModelSpec, resolveModelPath, type ModelSpec } from '../solvers/offline/model.js';
import { decodeAll, checkLabels, labelClasses, readLabelledFolder, splitValidation, type GraySample, type LabelledImage } from './dataset.js';
import { AdaptError } from './errors.js';
import { FeatureExtractor, VIEWS, type View } from './features.js';
import { findHead, type Head } from './head.js';
import { ortMatMul } from './matmul.js';
import { paramsFrom } from './network.js';
import { readOnnxGraph } from './onnx-proto.js';
import { rng, trainHead, type EpochReport, type TrainSample } from './train.js';
import { adaptedInt8, baseInt8, settleInt8 } from './int8.js';
import { settleSecondLook } from './second-look.js';
import { checkOut, writeAdapted, type AdaptSummary } from './write.js';

export { AdaptError, isAdaptError, type AdaptErrorReason } from './errors.js';
export { MIN_IMAGES as ADAPT_MIN_IMAGES, type LabelledImage } from './dataset.js';
export type { EpochReport as AdaptEpochReport, Score as AdaptScore } from './train.js';

export interface AdaptOptions {
  /** A folder with labels.tsv (`file<TAB>text`) and the images, or the labelled images themselves. */
  data: string | readonly LabelledImage[];
  /** The model folder to write (`captcha-ocr.onnx` + `captcha-ocr.json`). */
  out: string;
  /** The model to start from: an .onnx file or a model folder. @default the shipped model */
  base?: string;
  /** Most passes over the training images (early stopping may end sooner). @default 40 */
  epochs?: number;
  /** Share of the images held out to measure (and choose) the result, 0.05–0.5. @default 0.1 */
  val?: number;
  /** Overwrite the model files in an existing `out`. @default false */
  force?: boolean;
  /**
   * How many of the head's last 1-D convolutions to train, besides the final linear layer (the shipped model's head
   * has three; more than it has trains them all). @default 3
   */
  trainLayers?: number;
  /** onnxruntime threads for training's matrix products. @default 2 */
  threads?: number;
  /**
   * Generated captchas of other styles (a folder like `data`: labels.tsv and images) mixed into every epoch, half as
   * many as the site's training images, so the adapted model keeps reading what the base read; images whose labels
   * the base cannot output are skipped. `false`: the site's images only (a little better on the site, much worse
   * elsewhere). @default the pack shipped beside the models (`models/rehearsal`, drawn by training/make_rehearsal.py)
   */
  rehearsal?: string | false;
  /**
   * Learn label characters the base model cannot output (a `+` in sums, a symbol the site draws) as new output
   * classes, up to 16, instead of refusing them. A reading that is then an expression (`12+20`) is answered with its
   * value by `LocalSolver`. @default false (such labels are refused with `unknown-characters`, naming them)
   */
  newCharacters?: boolean;
  onProgress?: (event: AdaptProgress) => void;
  signal?: AbortSignal;
}

export type AdaptProgress =
  | { phase: 'features'; done: number; total: number; elapsedMs: number }
  | ({ phase: 'train' } & EpochReport)
  | { phase: 'write'; out: string };

export interface AdaptResult extends AdaptSummary {
  /** The model folder written. */
  out: string;
  /**
   * Whether the adapted model reads unsure images again (the base's second look): kept only when it read more of
   * the validation images right than one look did (the sidecar's `adaptedFrom.secondLook` says how many).
   */
  secondLook: boolean;
  /**
   * Whether the adapted model has an int8 copy that LocalSolver runs (`captcha-ocr.int8.onnx`, about twice as fast):
   * built from the base's int8 copy when it has one, kept when it read as many validation images right as the
   * float model, or one image (1%) fewer (the sidecar's `adaptedFrom.int8` says how many).
   */
  int8: boolean;
  elapsedMs: number;
}

const DEFAULTS = { epochs: 40, val: 0.1, trainLayers: 3, threads: 2 } as const;

/** The rehearsal pack shipped beside the models. */
export function defaultRehearsalDir(): string {
  return join(dirname(defaultModelPath()), 'rehearsal');
}

function invalid(what: string, hint: string): AdaptError {
  return new AdaptError(`adaptModel: ${what}`, { reason: 'invalid-option', hint });
}

function checkOptions(o: AdaptOptions): { epochs: number; val: number; trainLayers: number } {
  const { epochs = DEFAULTS.epochs, val = DEFAULTS.val, trainLayers = DEFAULTS.trainLayers } = o;
  if (!o || (typeof o.data !== 'string' && !Array.isArray(o.data))) throw invalid('`data` must be a folder path or an array of { name, image, text }', 'Pass the folder `collect` wrote');
  if (typeof o.out !== 'string' || o.out === '') throw invalid('`out` must be a folder path', 'Pass where to write the adapted model');
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 1000) throw invalid(`\`epochs\` must be an integer 1–1000, got ${String(epochs)}`, 'Omit it for 40');
  if (typeof val !== 'number' || !(val >= 0.05 && val <= 0.5)) throw invalid(`\`val\` must be a share 0.05–0.5, got ${String(val)}`, 'Omit it for 0.1');
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > 64)) throw invalid(`\`threads\` must be an integer 1–64, got ${String(o.threads)}`, 'Omit it for 2');
  if (!Number.isInteger(trainLayers) || trainLayers < 1) throw invalid(`\`trainLayers\` must be an integer >= 1, got ${String(trainLayers)}`, 'Omit it for 3');
  if (o.newCharacters !== undefined && typeof o.newCharacters !== 'boolean') throw invalid('`newCharacters` must be true or false', 'Omit it to refuse labels the model cannot spell');
  if (o.rehearsal !== undefined && o.rehearsal !== false && (typeof o.rehearsal !== 'string' || o.rehearsal === '')) throw invalid('`rehearsal` must be a folder path or false', 'Omit it for the shipped pack');
  return { epochs, val, trainLayers };
}

interface Base {
  path: string;
  bytes: Uint8Array;
  spec: ModelSpec;
  head: Head;
}

async function loadBase(base: string | undefined): Promise<Base> {
  const path = resolveModelPath(base === undefined ? defaultModelPath() : resolve(base));
  const spec = await loadModelSpec(path);
  const bytes = new Uint8Array(await readFile(path));
  const head = findHead(bytes, readOnnxGraph(bytes), spec.output, path);
  if (head.linear.classes !== spec.classes.length) {
    throw invalid(`the model has ${head.linear.classes} output classes but its sidecar lists ${spec.classes.length} (${path})`, 'Use the sidecar exported with this model');
  }
  return { path, bytes, spec, head };
}

/** The decoded samples, and the label characters to add as new classes (`newCharacters`). */
async function loadSamples(data: AdaptOptions['data'], spec: ModelSpec, newCharacters: boolean): Promise<{ samples: GraySample[]; added: string[] }> {
  const items = typeof data === 'string' ? await readLabelledFolder(resolve(data)) : data;
  const added = checkLabels(items, spec, newCharacters);
  return { samples: await decodeAll(items, typeof data === 'string' ? data : '`data`'), added };
}

/**
 * The base with `added` characters as new output classes at the end: the linear layer grown by one column each,
 * its weights small and seeded, its bias the lowest of the others (a new class starts rarely read).
 */
function withNewClasses(base: Base, added: readonly string[]): Base {
  if (added.length === 0) return base;
  const { linear } = base.head;
  const C = linear.classes, K = C + added.length;
  const weight = new Float32Array(linear.inFeatures * K);
  const random = rng(12345);
  const small = () => (random() - 0.5) * 0.02;
  for (let i = 0; i < linear.inFeatures; i++) {
    weight.set(linear.weight.subarray(i * C, (i + 1) * C), i * K);
    for (let k = C; k < K; k++) weight[i * K + k] = small();
  }
  const bias = new Float32Array(K);
  bias.set(linear.bias);
  bias.fill(Math.min(...linear.bias), C);
  return { ...base, spec: { ...base.spec, classes: [...base.spec.classes, ...added] }, head: { ...base.head, linear: { ...linear, classes: K, weight, bias } } };
}

/** The rehearsal images the base can learn from (labels it can output); none when turned off or absent by default. */
async function loadRehearsal(option: AdaptOptions['rehearsal'], spec: ModelSpec): Promise<GraySample[]> {
  if (option === false) return [];
  const dir = option === undefined ? defaultRehearsalDir() : resolve(option);
  if (option === undefined && !(await isFile(join(dir, 'labels.tsv')))) return [];
  const items = (await readLabelledFolder(dir)).filter((it) => labelClasses(it.text, spec).every((k) => k !== undefined));
  return decodeAll(items, dir);
}

interface Split {
  train: GraySample[];
  val: GraySample[];
  rehearsal: GraySample[];
}

/** Features of every image: all views for training images, the plain view for validation and rehearsal images. */
async function extract(base: Base, firstTrained: number, split: Split, o: AdaptOptions): Promise<{ train: TrainSample[]; val: TrainSample[]; rehearsal: TrainSample[]; channels: number }> {
  const conv = base.head.convs[firstTrained]!;
  const channels = conv.inChannels;
  const fx = await FeatureExtractor.create(base.bytes, base.spec, conv.input, channels);
  const total = split.train.length + split.val.length + split.rehearsal.length;
  const started = Date.now();
  let done = 0;
  const one = async (s: GraySample, views: readonly View[]): Promise<TrainSample> => {
    o.signal?.throwIfAborted();
    const target = labelClasses(s.text, base.spec) as number[];
    const out: TrainSample = { views: [], target, text: target.map((k) => base.spec.classes[k]).join('') };
    for (const v of views) out.views.push(await fx.run(s.gray, v));
    if (++done % 25 === 0 || done === total) o.onProgress?.({ phase: 'features', done, total, elapsedMs: Date.now() - started });
    return out;
  };
  try {
    const train: TrainSample[] = [];
    for (const s of split.train) train.push(await one(s, VIEWS));
    const val: TrainSample[] = [];
    for (const s of split.val) val.push(await one(s, VIEWS.slice(0, 1)));
    const rehearsal: TrainSample[] = [];
    for (const s of split.rehearsal) rehearsal.push(await one(s, VIEWS.slice(0, 1)));
    return { train, val, rehearsal, channels };
  } finally {
    await fx.close();
  }
}

/**
 * Trains the head (`convs` on, then the linear layer) on `features`, and builds the adapted model's int8 copy from
 * the base's while the matrix engine is still open (undefined when the base has none).
 */
async function trainAndQuantize(base: Base, convs: Base['head']['convs'], grown: boolean, features: Awaited<ReturnType<typeof extract>>, epochs: number, o: AdaptOptions): Promise<{ result: Awaited<ReturnType<typeof trainHead>>; int8: Uint8Array | undefined }> {
  const mm = await ortMatMul(o.threads ?? DEFAULTS.threads);
  try {
    const result = await trainHead(paramsFrom(convs, base.head.linear), features.train, features.val, {
      mm,
      rehearsal: features.rehearsal,
      epochs,
      classes: base.spec.classes,
      blank: base.spec.blank,
      channels: features.channels,
      ...(o.signal ? { signal: o.signal } : {}),
      onEpoch: (r) => o.onProgress?.({ phase: 'train', ...r }),
    });
    const baseCopy = await baseInt8(base.path, base.spec);
    const int8 = baseCopy && await adaptedInt8({ int8: baseCopy, convs, linear: base.head.linear, grown, params: result.params, samples: [...features.val, ...features.rehearsal], channels: features.channels, mm });
    return { result, int8 };
  } finally {
    await mm.close();
  }
}

/** Fine-tunes the base model on `data` and writes the adapted model folder `out`. */
export async function adaptModel(options: AdaptOptions): Promise<AdaptResult> {
  const started = Date.now();
  const { epochs, val, trainLayers } = checkOptions(options);
  options.signal?.throwIfAborted();
  const out = resolve(options.out);
  await checkOut(out, options.force === true);
  const loaded = await loadBase(options.base);
  const { samples, added } = await loadSamples(options.data, loaded.spec, options.newCharacters === true);
  const base = withNewClasses(loaded, added);
  options.signal?.throwIfAborted();
  const rehearsal = await loadRehearsal(options.rehearsal, base.spec);
  options.signal?.throwIfAborted();
  const split = { ...splitValidation(samples, val), rehearsal };
  const first = base.head.convs.length - Math.min(trainLayers, base.head.convs.length);
  const features = await extract(base, first, split, options);
  const convs = base.head.convs.slice(first);
  const { result, int8 } = await trainAndQuantize(base, convs, added.length > 0, features, epochs, options);
  options.onProgress?.({ phase: 'write', out });
  const summary = { images: samples.length, trainImages: split.train.length, valImages: split.val.length, rehearsalImages: rehearsal.length, newCharacters: added, readsArithmetic: samples.every((x) => parseArithmetic(x.text) !== undefined), before: result.before, after: result.after, epochs: result.epochsRun };
  await writeAdapted(out, base, convs, base.head.linear, result.params, summary);
  const settled = await settleInt8(out, int8, split.val);
  const secondLook = await settleSecondLook(out, split.val, settled.oneLook);
  return { out, ...summary, secondLook, int8: settled.kept, elapsedMs: Date.now() - started };
}
