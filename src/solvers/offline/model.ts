/**
 * The model contract: where the shipped model lives, and its JSON sidecar (`<model>.json` beside `<model>.onnx`),
 * read and validated once. Errors say which file and what to do.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, parse as parsePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from './errors.js';
import { VIEW_FILTERS, type ViewFilter } from './preprocess.js';

/** The package whose root holds `models/`. */
const PACKAGE_NAME = 'image-captcha-solver';
/** The shipped model, relative to the package root. */
export const DEFAULT_MODEL_RELATIVE = 'models/captcha-ocr.onnx';
/** File name of the arithmetic model, in the same folder as the shipped text model. */
export const DEFAULT_MATH_MODEL_FILE = 'captcha-math.onnx';

/**
 * What the sidecar JSON says about the model's input and output.
 * Input: float32 `[N,1,height,W]` = `(gray/255 - mean) / std`. Output: float32 logits `[N,T,C]`
 * (or `[T,N,C]` with `layout: "TNC"`), class `blank` = CTC blank, the others map to `charset` in order.
 */
export interface ModelSpec {
  /** Sidecar format version (1). */
  version: number;
  /** Name of the input tensor. */
  input: string;
  /** Name of the output tensor. */
  output: string;
  /** Input height in pixels: images are resized to it, keeping aspect. */
  height: number;
  /** Smallest input width after resizing. */
  minWidth: number;
  /** Largest input width after resizing (0 = no limit). */
  maxWidth: number;
  /** The width is right-padded with white to a multiple of this. */
  widthMultiple: number;
  mean: number;
  std: number;
  /** Output classes in order, blank included at index `blank` (as `''`). */
  classes: string[];
  /** Index of the CTC blank class. */
  blank: number;
  /** Output axis order. */
  layout: 'NTC' | 'TNC';
  /** Resize filter (only `bilinear`, PIL semantics, is implemented). */
  resize: 'bilinear';
  /**
   * A second look for unsure readings, chosen for this model when it was exported (`training/second_look.py`):
   * when the confidence is below `below`, the image is read again stretched to each of `widthScales` times
   * its width, once per entry of `crops` with rows cut off its top and bottom, and once per entry of `views`
   * through a filter, and the readings are combined as `combine` says. Absent: one look only.
   */
  secondLook?: SecondLook;
  /**
   * The model reads arithmetic expressions (`12+20`) as its text: a reading that is one is answered with its value.
   * Set by `adaptModel` when every label it learned from is an expression. Absent: false.
   */
  readsArithmetic?: boolean;
  /**
   * The file name (in the model's folder) of an int8 copy of the model: the same tensors, its convolutions in
   * int8 (`training/quantize.sh`). LocalSolver runs it instead of the float model unless told `int8: false`.
   * Absent: the float model only.
   */
  int8?: string;
}

/** See `ModelSpec.secondLook`. */
export interface SecondLook {
  /** Confidence (0–1) below which the image is read again. */
  below: number;
  /** Horizontal stretch factors of the extra readings (each in 0.25–4, not 1; may be empty when `crops` is not). */
  widthScales: number[];
  /**
   * Extra readings of the image cut down in height: `crop` (0–0.3) of its height off the top and as much off
   * the bottom (rounded half to even), so the text fills more of the model's input, then stretched
   * `widthScale` times. Read after the `widthScales`.
   */
  crops?: CropView[];
  /** Extra readings through a filter (`FilterView`). Read after the `crops`. */
  views?: FilterView[];
  /**
   * How the readings (the first, then one per stretch factor, crop view and filter view) give the answer: `'max'`, the most confident
   * reading; `'sum'`, the text whose readings' confidences add up to the most (a vote weighted by
   * confidence: two fair readings that agree beat one confident outlier).
   * @default 'max'
   */
  combine?: SecondLookCombine;
}

/** See `SecondLook.crops`. */
export interface CropView {
  crop: number;
  widthScale: number;
}

/**
 * See `SecondLook.views`: the image (cut down by `crop` as a `CropView` is, when given) resized to twice the
 * model's input size at `widthScale`, filtered (`ViewFilter`: `'thin'`, `'thick'` or `'median'` over 3x3 pixels) and
 * resized down to the input size.
 */
export interface FilterView {
  widthScale: number;
  crop?: number;
  filter: ViewFilter;
}

/** See `SecondLook.combine`. */
export type SecondLookCombine = 'max' | 'sum';

/** One reading of the second look: the text read with the image (cropped by `crop`) stretched `widthScale` times in width. */
export interface Reading {
  widthScale: number;
  /** The share of the height cut off the top and the bottom (a `secondLook.crops` view); absent: none. */
  crop?: number;
  /** The filter of a `secondLook.views` view; absent: none. */
  filter?: ViewFilter;
  text: string;
  confidence: number;
}

/**
 * The answer of a second look (`readings[0]` is the first reading): the reading `combine` picks, its
 * confidence scaled by the share of readings that agree with it (readings that disagree mean doubt).
 * `'sum'` votes on the characters: readings that differ only in case count as one text, whose most confident
 * reading (and so its case) is returned. Ties go to the earlier reading.
 */
export function combineReadings(readings: readonly Reading[], combine: SecondLookCombine = 'max'): Reading {
  if (readings.length === 0) throw new RangeError('combineReadings: no readings');
  const same = combine === 'sum' ? (r: Reading) => r.text.toLowerCase() : (r: Reading) => r.text;
  let best = readings[0]!;
  if (combine === 'max') {
    for (const r of readings) if (r.confidence > best.confidence) best = r;
  } else {
    const support = new Map<string, number>();
    for (const r of readings) support.set(same(r), (support.get(same(r)) ?? 0) + r.confidence);
    for (const r of readings) {
      const a = support.get(same(r))!;
      const b = support.get(same(best))!;
      if (a > b || (a === b && r.confidence > best.confidence)) best = r;
    }
  }
  const agree = readings.filter((r) => same(r) === same(best)).length;
  return { ...best, confidence: best.text ? (best.confidence * agree) / readings.length : 0 };
}

/** What is wrong with a `secondLook` value (sidecar or option), or undefined when it is valid. */
export function secondLookProblem(value: unknown): string | undefined {
  const l = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  const below = l?.['below'];
  const scales = l?.['widthScales'];
  if (typeof below !== 'number' || !(below >= 0 && below <= 1)) return 'without "below" in 0–1';
  const scale = (x: unknown): boolean => typeof x === 'number' && x > 0.25 && x < 4;
  if (!Array.isArray(scales) || scales.length > 8 || !scales.every((x) => scale(x) && x !== 1)) {
    return 'whose "widthScales" is not a list of 0–8 numbers in 0.25–4 (other than 1)';
  }
  const crops = l?.['crops'];
  const cropView = (c: unknown): boolean => {
    const v = typeof c === 'object' && c !== null ? (c as Record<string, unknown>) : {};
    return typeof v['crop'] === 'number' && v['crop'] > 0 && v['crop'] <= 0.3 && scale(v['widthScale']);
  };
  if (crops !== undefined && (!Array.isArray(crops) || crops.length > 8 || !crops.every(cropView))) {
    return 'whose "crops" is not a list of 0–8 { crop: 0–0.3, widthScale: 0.25–4 }';
  }
  const views = l?.['views'];
  const filterView = (f: unknown): boolean => {
    const v = typeof f === 'object' && f !== null ? (f as Record<string, unknown>) : {};
    const crop = v['crop'];
    return (crop === undefined || (typeof crop === 'number' && crop >= 0 && crop <= 0.3)) && scale(v['widthScale']) && VIEW_FILTERS.includes(v['filter'] as ViewFilter);
  };
  if (views !== undefined && (!Array.isArray(views) || views.length > 8 || !views.every(filterView))) {
    return 'whose "views" is not a list of 0–8 { widthScale: 0.25–4, filter: "thin" | "thick" | "median", crop?: 0–0.3 }';
  }
  if (scales.length + (crops?.length ?? 0) + (views?.length ?? 0) === 0) return 'with no extra reading (empty "widthScales", no "crops" and no "views")';
  const combine = l?.['combine'];
  if (combine !== undefined && combine !== 'max' && combine !== 'sum') return 'whose "combine" is not "max" or "sum"';
  return undefined;
}

/** Finds the package root: the nearest directory upwards from `from` whose package.json is ours. */
export function findPackageRoot(from: string = moduleDir()): string | undefined {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === PACKAGE_NAME) return dir;
      } catch {
        // an unreadable package.json is not ours: keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function moduleDir(): string {
  // tsup's `shims: true` provides import.meta.url in the CJS build too.
  return dirname(fileURLToPath(import.meta.url));
}

/** Absolute path of the shipped model (`models/captcha-ocr.onnx` under the package root). */
export function defaultModelPath(): string {
  const root = findPackageRoot();
  if (!root) {
    throw new ModelError(
      `LocalSolver: cannot find the shipped model (no package.json named "${PACKAGE_NAME}" above ${moduleDir()})`,
      { hint: 'Pass `model: "/path/to/captcha-ocr.onnx"` to new LocalSolver()' },
    );
  }
  return join(root, DEFAULT_MODEL_RELATIVE);
}

/** Path of the shipped arithmetic model (`models/captcha-math.onnx`, beside the shipped text model). */
export function defaultMathModelPath(): string {
  return join(dirname(defaultModelPath()), DEFAULT_MATH_MODEL_FILE);
}

/** File name of the model inside a model folder (what `image-captcha adapt` writes, with `captcha-ocr.json`). */
export const MODEL_FOLDER_FILE = 'captcha-ocr.onnx';

/**
 * The .onnx file `model` names: `model` itself, or `model/captcha-ocr.onnx` when `model` is a folder (a model
 * folder, as `image-captcha adapt` writes it). A path that does not exist is returned as it is.
 */
export function resolveModelPath(model: string): string {
  return existsSync(model) && statSync(model).isDirectory() ? join(model, MODEL_FOLDER_FILE) : model;
}

/** `/x/y/model.onnx` → `/x/y/model.json`. */
export function sidecarPath(modelPath: string): string {
  const p = parsePath(modelPath);
  return join(p.dir, `${p.name}.json`);
}

/** Reads and validates the sidecar JSON of `modelPath`. */
export async function loadModelSpec(modelPath: string): Promise<ModelSpec> {
  const file = sidecarPath(modelPath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ModelError(`LocalSolver: cannot read the model sidecar (${file})`, {
      hint: 'Every .onnx model needs its JSON sidecar with the same basename beside it',
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ModelError(`LocalSolver: the model sidecar is not valid JSON (${file})`, {
      hint: 'Reinstall the package or re-export the model',
      cause,
    });
  }
  return parseModelSpec(raw, file);
}

/** Validates a parsed sidecar; `where` names the file in messages. */
export function parseModelSpec(raw: unknown, where = 'sidecar'): ModelSpec {
  const bad = (what: string): never => {
    throw new ModelError(`LocalSolver: the model sidecar ${what} (${where})`, {
      hint: 'Re-export the model with a sidecar that follows the documented format',
    });
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('is not a JSON object');
  const o = raw as Record<string, unknown>;
  const num = (key: string, fallback?: number): number => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) return bad(`has no numeric "${key}"`);
    return v;
  };
  const int = (key: string, min: number, fallback?: number): number => {
    const v = num(key, fallback);
    if (!Number.isInteger(v) || v < min) return bad(`has "${key}" = ${v}, expected an integer >= ${min}`);
    return v;
  };
  const str = (key: string, fallback: string): string => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'string' || v.length === 0) return bad(`has no string "${key}"`);
    return v;
  };
  const version = int('version', 1, 1);
  if (version !== 1) bad(`has version ${version}; this release reads version 1`);
  const height = int('height', 1);
  const minWidth = int('minWidth', 1, 1);
  const maxWidth = int('maxWidth', 0, 0);
  if (maxWidth !== 0 && maxWidth < minWidth) bad(`has maxWidth ${maxWidth} < minWidth ${minWidth}`);
  const widthMultiple = int('widthMultiple', 1, 1);
  const mean = num('mean', 0);
  const std = num('std', 1);
  if (std === 0) bad('has std 0');
  const blank = int('blank', 0, 0);
  const charset = o['charset'];
  let classes: string[];
  if (typeof charset === 'string' && charset.length > 0) {
    // class `blank` is the blank, the others take the charset's characters in order
    const chars = Array.from(charset);
    classes = [...chars.slice(0, blank), '', ...chars.slice(blank)];
  } else if (Array.isArray(charset) && charset.length > 1 && charset.every((c) => typeof c === 'string')) {
    // a full class list (ddddocr style): entry `blank` is the blank
    classes = (charset as string[]).slice();
    if (blank >= classes.length) bad(`has blank ${blank} outside its ${classes.length} classes`);
    classes[blank] = '';
  } else {
    return bad('has no "charset" (a string, or an array of class labels)');
  }
  const layout = str('layout', 'NTC');
  if (layout !== 'NTC' && layout !== 'TNC') bad(`has layout "${layout}"; expected "NTC" or "TNC"`);
  const resize = str('resize', 'bilinear');
  if (resize !== 'bilinear') bad(`asks for resize "${resize}"; only "bilinear" is implemented`);
  let secondLook: SecondLook | undefined;
  if (o['secondLook'] !== undefined) {
    const problem = secondLookProblem(o['secondLook']);
    if (problem) bad(`has a "secondLook" ${problem}`);
    const look = o['secondLook'] as SecondLook;
    secondLook = {
      below: look.below,
      widthScales: look.widthScales.slice(),
      ...(look.crops ? { crops: look.crops.map((c) => ({ crop: c.crop, widthScale: c.widthScale })) } : {}),
      ...(look.views ? { views: look.views.map((v) => ({ widthScale: v.widthScale, ...(v.crop ? { crop: v.crop } : {}), filter: v.filter })) } : {}),
      ...(look.combine ? { combine: look.combine } : {}),
    };
  }
  return {
    version,
    input: str('input', 'image'),
    output: str('output', 'logits'),
    height,
    minWidth,
    maxWidth,
    widthMultiple,
    mean,
    std,
    classes,
    blank,
    layout: layout as 'NTC' | 'TNC',
    resize: 'bilinear',
    ...(secondLook ? { secondLook } : {}),
    ...(o['readsArithmetic'] === true ? { readsArithmetic: true } : {}),
    ...(o['int8'] !== undefined ? { int8: int8File(o['int8'], bad) } : {}),
  };
}

/** The sidecar's `int8`: a plain `.onnx` file name (no folder: the file sits beside the model). */
function int8File(value: unknown, bad: (what: string) => never): string {
  if (typeof value !== 'string' || !/^[^/\\]+\.onnx$/.test(value) || value.startsWith('.')) {
    return bad(`has "int8" = ${JSON.stringify(value)}; expected the file name of the int8 model beside it (e.g. "captcha-ocr.int8.onnx")`);
  }
  return value;
}
