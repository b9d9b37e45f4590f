/**
 * LocalSolver: solves image captchas offline with our ONNX model (onnxruntime-node, CPU).
 * Create once, solve many, close: the session is created lazily on first use and reused.
 */
import { setMaxListeners } from 'node:events';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { describeAnimation, type AnimationInfo } from '../../core/animation.js';
import { Deadline, withDeadline } from '../../core/deadline.js';
import { isFile } from '../../core/fs.js';
import { InvalidImageError, InvalidOptionError, UnsolvableError, isCaptchaSolverError, isInvalidImageError } from '../../core/errors.js';
import { MAX_TASK_IMAGES, type ImageToTextTask, type Solution, type SolveOptions, type Solver } from '../../core/types.js';
import { ctcGreedyDecode, logitsViews, type CtcResult, type LogitsView } from './decode.js';
import { ModelError } from './errors.js';
import { SCRIPTS, charsetClasses, charsetScript, hasCyrillic, hasLatinOnly, latinOnlyClasses, resolveScript, type Script } from './script.js';
import { parseArithmetic } from './math.js';
import { importOrt, type OrtModule } from './ort.js';
import { InferenceBatcher } from './batcher.js';
import { combineReadings, defaultMathModelPath, defaultModelPath, loadModelSpec, resolveModelPath, secondLookProblem, type ModelSpec, type Reading, type SecondLook } from './model.js';
import { DEFAULT_MAX_INPUT_PIXELS, cropRows, decodeToRgba, flattenToGray, imageBytes, toModelInput, type GrayImage, type ModelInput, type ViewFilter } from './preprocess.js';

export interface LocalSolverOptions {
  /**
   * Path to an `.onnx` model; its JSON sidecar (same basename, `.json`) must sit beside it. Or a model folder
   * holding `captcha-ocr.onnx` and `captcha-ocr.json` (what `image-captcha adapt` writes).
   * @default the shipped `models/captcha-ocr.onnx` of this package
   */
  model?: string;
  /**
   * onnxruntime intra-op threads per inference. One thread is fastest per CPU for these small models
   * and leaves cores to the browser.
   * @default 1
   */
  threads?: number;
  /**
   * Images with more pixels than this are refused before decoding (`InvalidImageError`), so a
   * hostile 10000x10000 PNG or SVG cannot exhaust memory.
   * @default 16777216 (4096 x 4096)
   */
  maxInputPixels?: number;
  /**
   * Minimum confidence (0–1) for `solve()` when the task has no `score`; below it `solve()` throws
   * `UnsolvableError` so the flow refreshes the captcha instead of typing a weak guess.
   * `recognize()` never applies it.
   * @default 0 (answer whatever was read)
   */
  minConfidence?: number;
  /**
   * Read unsure images again under other views (other widths, rows cropped, filtered) and combine the readings. `true`
   * uses the model's own setting (its sidecar's `secondLook`, chosen per model by `training/second_look.py`);
   * `false` reads once (fastest); an object sets the threshold, the views and how the readings are combined.
   * @default true
   */
  secondLook?: boolean | SecondLook;
  /**
   * Arithmetic captchas ("3+5=?", "7x2=?"): a second, small model (`models/captcha-math.onnx`) reads each image too,
   * and when it reads an expression confidently enough ({@link MATH_MIN_CONFIDENCE}: 0.5 for `3+5=?`, 0.8 for `3+5=`,
   * 0.9 for `3+5` when the text model is unsure of the image too), the answer is its value (`text: "8"`,
   * `expression: "3+5=?"`). It was trained to read nothing on other captchas. `true` uses the shipped math model
   * (skipped, with a note in the call log, when the file is absent); a path uses that model; `false` never reads
   * arithmetic.
   * @default true
   */
  math?: boolean | string;
  /**
   * Most images per `session.run`: readings of the same input size that wait for the model together (concurrent
   * `recognize()`/`solve()` calls, `recognizeMany()`, the second look's views) share one run, and each gets its own
   * row of the output. Only inputs of one size share a run, so an answer is the same as read alone. `1` runs every
   * reading alone.
   * @default 8
   */
  batch?: number;
  /**
   * The alphabet of the captchas: `'cyrillic'` reads each letter that looks Latin as its Cyrillic twin (`с`, `р`, `н`,
   * …; Russian government sites), `'latin'` never reads Cyrillic, `'auto'` reads a captcha as Cyrillic when it shows a
   * letter only Cyrillic has (`б`, `д`, `ж`, `л`, `п`, …). A model without Cyrillic classes reads Latin whatever this says.
   * `recognize()`'s `script` overrides it for one image; a Cyrillic `charset` implies `'cyrillic'`.
   * @default 'auto'
   */
  script?: Script;
  /**
   * Run the model's int8 copy when its sidecar names one (`int8`; the shipped models have one): about twice as
   * fast on one thread, the readings nearly always the same (`training/quantize.sh`). `false` runs the float model.
   * @default true
   */
  int8?: boolean;
}

/** Most images per run unless `batch` says otherwise (8 images of 32x128 run in ~9 ms on one core). */
export const DEFAULT_BATCH = 8;

/**
 * The confidence (the least certain step) from which the math model's reading of an expression is taken as the
 * answer, by how the expression ends. `=?` is the form RuoYi, Kaptcha and EasyCaptcha draw, and two glyphs that text
 * captchas never show. On other captchas the math model's rare misreadings are a noise line read as a minus between
 * two digits of the code, with a lone `=` or none: a lone `=` needs more confidence, and an expression with no `=`
 * ("12+20", as sign-up forms draw sums in boxes) needs the most, and is taken only when the text model is unsure of
 * the same image too ({@link UNTOLD_MATH_TEXT_BELOW}): a text captcha the math model misreads is one the text model
 * reads well.
 */
export const MATH_MIN_CONFIDENCE = { '=?': 0.5, '=': 0.8, none: 0.9 } as const;

/**
 * An expression with no `=` is taken only when the text model's first reading is below this confidence. Chosen with
 * `npm run bench:math`: with math model m6 and text model c5, no image of the non-arithmetic dev sets, hold-out
 * families or fixture pages gets an expression without `=` at 0.9 or more at all (the highest: 0.604), so this guard
 * is a second line, set where it keeps sums a text model is fairly sure of as text (at 0.5 it took 65 of
 * `cryptowin_math`'s boxed sums, 51 right; at 0.9, 106, 90 right).
 */
export const UNTOLD_MATH_TEXT_BELOW = 0.9;

/**
 * The confidence the expression `text` needs to be taken ({@link MATH_MIN_CONFIDENCE}); above 1 when it never is:
 * an expression with no `=` when the text model read the image with `textConfidence` ≥ {@link UNTOLD_MATH_TEXT_BELOW}
 * (or when that is not given).
 */
export function mathConfidenceNeeded(text: string, textConfidence = 1): number {
  if (text.endsWith('=?')) return MATH_MIN_CONFIDENCE['=?'];
  if (text.endsWith('=')) return MATH_MIN_CONFIDENCE['='];
  return textConfidence < UNTOLD_MATH_TEXT_BELOW ? MATH_MIN_CONFIDENCE.none : Number.POSITIVE_INFINITY;
}

/**
 * The reading of a text model that reads expressions (`spec.readsArithmetic`: adapted with `newCharacters` on sums
 * such as `12+20`), answered with its value (`expression` keeps the reading); any other reading as it is.
 */
function textArithmetic(r: RecognizeResult, spec: ModelSpec): RecognizeResult {
  const parsed = spec.readsArithmetic ? parseArithmetic(r.text) : undefined;
  return parsed ? { ...r, text: String(parsed.value), expression: r.text } : r;
}

/** What `recognize()` read. */
export interface RecognizeResult {
  /** The text, in the model's case (lowercased with `caseSensitive: false`). */
  text: string;
  /**
   * 0–1: the least certain step of the model's reading: the smallest, over the CTC time steps, of the
   * probability that the step leaves the text unchanged. 0 when nothing was read.
   */
  confidence: number;
  /** Wall time of the call in ms (decode, resize, inference, decode). */
  elapsedMs: number;
  /** The horizontal stretch of the reading returned: 1, unless the second look kept a reading at another width. */
  widthScale: number;
  /** Present when the second look kept a reading of the image cropped in height (`secondLook.crops`). */
  crop?: number;
  /** Present when the second look kept a reading through a filter (`secondLook.views`). */
  filter?: ViewFilter;
  /** Present for an animated GIF/WebP: how the still that was read was made from its frames. */
  animation?: AnimationInfo;
  /** Present when the image is an arithmetic captcha: the expression read (e.g. `3+5=?`); `text` is its value. */
  expression?: string;
  /**
   * Every reading, when the first was unsure and the image was read again (the `secondLook`): the first at
   * `widthScale` 1, then one per stretch factor, one per crop view and one per filter view. The answer is the one `secondLook.combine` picks (the most
   * confident, or the text with the most confidence summed over its readings), and its `confidence` is
   * scaled by the share of readings that agree with it (readings that disagree mean doubt).
   */
  readings?: Reading[];
}

export interface RecognizeOptions extends SolveOptions {
  /**
   * `false`: lowercase the text and score it case-insensitively (the probabilities of `A` and `a`
   * are added up, so hesitating between cases does not lower the confidence).
   * @default true (the model's case)
   */
  caseSensitive?: boolean;
  /**
   * Read only these characters (e.g. `'0123456789'` for a digits-only captcha): the model's other classes
   * are ruled out before decoding, so a `5` cannot come out as `S`. Each must be in the model's charset. With
   * `caseSensitive: false`, either case of a letter is allowed (`'abc'` also lets `A`, `B`, `C` count).
   * @default every character the model knows
   */
  charset?: string;
  /**
   * The answer has at least this many characters (when the site's format is known). A reading of another
   * length is replaced by the most probable reading that has an allowed length, usually with a lower
   * confidence (see `ctcGreedyDecode`). @default 0 (any)
   */
  minLength?: number;
  /** The answer has at most this many characters, 0 = any. @default 0 (any) */
  maxLength?: number;
  /**
   * `true` when the image is known to be arithmetic ("12-4", "3+5=?"; `task.math`): the value of any expression the
   * math model reads is the answer, with or without `=` and at any confidence. When it reads none, `text` is the
   * text model's reading and `expression` is absent (`solve()` then refuses the image). @default false (an
   * expression is taken when read confidently enough for how it ends, {@link mathConfidenceNeeded})
   */
  arithmetic?: boolean;
  /** The alphabet of this image (see {@link LocalSolverOptions.script}). @default the solver's `script` */
  script?: Script;
}

/** Options of {@link LocalSolver.recognizeMany}: those of `recognize()` for every image, and how many at once. */
export interface RecognizeManyOptions extends RecognizeOptions {
  /**
   * Images decoded and read at once (their readings share model runs, `batch` at a time). More uses more memory
   * for little gain. `timeout` and `signal` bound the whole call.
   * @default 4 × `batch` (32)
   */
  concurrency?: number;
  /** Called as each image is done (in the order they finish), with its index: for a progress line. */
  onResult?: (index: number, result: PromiseSettledResult<RecognizeResult>) => void;
}

/** What the math model made of an image (see `readArithmetic`). */
interface ArithmeticReading {
  taken?: { expression: string; value: number; confidence: number };
  sawExpression: boolean;
}

/** How one image is read: case, characters and length allowed, and whether it is known to be arithmetic. */
interface ReadHints {
  caseSensitive: boolean;
  charset?: string;
  /** Latin or Cyrillic (see script.ts); undefined: the solver's own setting. */
  script?: Script;
  minLength: number;
  maxLength: number;
  arithmetic?: boolean;
}

/** Longest answer `minLength`/`maxLength` may ask for (the longest captcha texts are ~10 characters). */
const MAX_ANSWER_LENGTH = 64;

/**
 * Validated `minLength`/`maxLength` (undefined or 0 = any), or an `InvalidOptionError` naming `where`
 * (`task.` for a task's fields).
 */
function lengthHints(minLength: unknown, maxLength: unknown, call: string, where = ''): { minLength: number; maxLength: number } {
  const check = (v: unknown, key: string): number => {
    if (v === undefined) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ANSWER_LENGTH) {
      throw new InvalidOptionError(`${call}: \`${where}${key}\` must be an integer from 0 to ${MAX_ANSWER_LENGTH} (0 = any), got ${String(v)}`, {
        hint: 'Pass the number of characters the captcha shows, or leave it out',
        provider: PROVIDER,
        step: 'solve',
      });
    }
    return v;
  };
  const min = check(minLength, 'minLength');
  const max = check(maxLength, 'maxLength');
  if (max > 0 && min > max) {
    throw new InvalidOptionError(`${call}: \`${where}minLength\` ${min} is above \`${where}maxLength\` ${max}`, { hint: 'Swap them, or use 0 for "any"', provider: PROVIDER, step: 'solve' });
  }
  return { minLength: min, maxLength: max };
}

/** A validated `script` option, or undefined when absent. */
function scriptHint(value: unknown, call: string): Script | undefined {
  if (value === undefined) return undefined;
  if (!SCRIPTS.includes(value as Script)) {
    throw new InvalidOptionError(`${call}: \`script\` must be ${SCRIPTS.map((x) => `'${x}'`).join(', ')}, got ${String(value)}`, { hint: "Omit it to use the solver's setting", provider: PROVIDER, step: 'solve' });
  }
  return value as Script;
}

/** What `task.module` restricts the answer to, offline (CapSolver's `number` module: digits only). */
const MODULE_CHARSETS: Readonly<Record<string, string>> = { number: '0123456789' };

/** The outputs of one run of the model, and the session that ran it (named in errors). */
interface ModelRun {
  outputs: Ort.InferenceSession.OnnxValueMapType;
  session: Ort.InferenceSession;
}

interface Loaded {
  ort: OrtModule;
  session: Ort.InferenceSession;
  spec: ModelSpec;
  /** The ONNX file the session runs: the model, or its int8 copy. */
  file: string;
  /** Why `file` is not the file asked for, noted in each call's log. */
  note?: string;
}

const PROVIDER = 'local';

/** Solves text captchas with the built-in ONNX model; no API key, no network. */
export class LocalSolver implements Solver {
  readonly name = PROVIDER;
  /** Absolute path of the model this solver loads. */
  readonly modelPath: string;
  readonly threads: number;
  readonly maxInputPixels: number;
  readonly minConfidence: number;
  private readonly secondLook: boolean | SecondLook;
  /** The alphabet read when a call does not say (see `LocalSolverOptions.script`). */
  private readonly script: Script;
  /** The math model: a path, `true` for the shipped one, or `false`. */
  private readonly math: boolean | string;
  private readonly int8: boolean;
  /** The solver that reads arithmetic, created on first use (undefined inside: the shipped math model is absent). */
  private mathReader?: Promise<LocalSolver | undefined>;
  private loading?: Promise<Loaded>;
  /**
   * Inference runs one at a time: onnxruntime-node runs a session synchronously on the JS thread
   * (inside setImmediate), so a queue costs nothing, keeps `close()` from releasing a session mid-run,
   * and lets a call that timed out while waiting skip its run.
   */
  private queue: Promise<unknown> = Promise.resolve();
  /** Groups readings that wait for the model together into one run (see `batch`). */
  private readonly batcher: InferenceBatcher<ModelRun>;

  constructor(options: LocalSolverOptions = {}) {
    const { model, threads = 1, maxInputPixels = DEFAULT_MAX_INPUT_PIXELS, minConfidence = 0, secondLook = true, math = true, batch = DEFAULT_BATCH, int8 = true } = options;
    this.script = scriptHint(options.script, 'new LocalSolver') ?? 'auto';
    if (!Number.isInteger(batch) || batch < 1 || batch > 64) {
      throw new InvalidOptionError(`new LocalSolver: \`batch\` must be an integer 1–64, got ${String(batch)}`, { hint: `Omit it (${DEFAULT_BATCH}), or pass 1 to run every image alone`, provider: PROVIDER });
    }
    this.batcher = new InferenceBatcher((data, n, height, width) => this.runModel(data, n, height, width), batch);
    if (typeof math !== 'boolean' && (typeof math !== 'string' || math.length === 0)) {
      throw new InvalidOptionError('new LocalSolver: `math` must be true, false or a path to an .onnx file', { hint: 'Omit it to use the shipped math model', provider: PROVIDER });
    }
    if (typeof int8 !== 'boolean') {
      throw new InvalidOptionError(`new LocalSolver: \`int8\` must be true or false, got ${String(int8)}`, { hint: 'Omit it to run the int8 copy of the model when it has one', provider: PROVIDER });
    }
    if (model !== undefined && (typeof model !== 'string' || model.length === 0)) {
      throw new InvalidOptionError('new LocalSolver: `model` must be a path to an .onnx file', { hint: 'Omit it to use the shipped model', provider: PROVIDER });
    }
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new InvalidOptionError(`new LocalSolver: \`threads\` must be an integer 1–64, got ${String(threads)}`, { hint: 'Use 1 unless you solve large batches', provider: PROVIDER });
    }
    if (!Number.isInteger(maxInputPixels) || maxInputPixels < 1) {
      throw new InvalidOptionError(`new LocalSolver: \`maxInputPixels\` must be a positive integer, got ${String(maxInputPixels)}`, { provider: PROVIDER });
    }
    if (typeof minConfidence !== 'number' || !(minConfidence >= 0 && minConfidence <= 1)) {
      throw new InvalidOptionError(`new LocalSolver: \`minConfidence\` must be within 0–1, got ${String(minConfidence)}`, { provider: PROVIDER });
    }
    if (typeof secondLook !== 'boolean' && secondLookProblem(secondLook)) {
      throw new InvalidOptionError('new LocalSolver: `secondLook` must be true, false or { below: 0–1, widthScales: [0–8 numbers in 0.25–4, not 1], crops?: [0–8 { crop: 0–0.3, widthScale }], views?: [0–8 { widthScale, filter: \'thin\' | \'median\', crop? }], combine?: \'max\' | \'sum\' } with at least one extra reading', {
        hint: 'Omit it to use the model\'s own setting',
        provider: PROVIDER,
      });
    }
    this.modelPath = model === undefined ? defaultModelPath() : resolveModelPath(resolvePath(model));
    this.threads = threads;
    this.maxInputPixels = maxInputPixels;
    this.minConfidence = minConfidence;
    this.secondLook = secondLook;
    this.math = typeof math === 'string' ? resolvePath(math) : math;
    this.int8 = int8;
  }

  /** The ONNX file the session runs once loaded (the int8 copy when the sidecar names one and `int8` is on). */
  async loadedFile(options: SolveOptions = {}): Promise<string> {
    return withDeadline({ ...options, label: 'LocalSolver.loadedFile' }, async (deadline) => (await deadline.race(this.ensureLoaded())).file);
  }

  /** Loads the model now (it otherwise loads on the first call). Resolves to the sidecar spec. */
  async load(options: SolveOptions = {}): Promise<ModelSpec> {
    return withDeadline({ ...options, label: 'LocalSolver.load' }, async (deadline) => (await deadline.race(this.ensureLoaded())).spec);
  }

  /** Reads the text of one image (Buffer, Uint8Array, base64 or data URL). */
  async recognize(image: Buffer | Uint8Array | string, options: RecognizeOptions = {}): Promise<RecognizeResult> {
    const lengths = lengthHints(options.minLength, options.maxLength, 'LocalSolver.recognize');
    const arithmetic = this.arithmeticHint(options.arithmetic, 'LocalSolver.recognize', 'arithmetic');
    return withDeadline({ ...options, label: 'LocalSolver.recognize' }, (deadline) =>
      this.recognizeWith(image, deadline, { caseSensitive: options.caseSensitive !== false, charset: options.charset, script: scriptHint(options.script, 'LocalSolver.recognize'), ...lengths, arithmetic }),
    );
  }

  /**
   * Reads many images, `concurrency` at a time, their readings batched into shared model runs; the answers are
   * the same as `recognize()` gives one by one. Resolves with one settled result per image, in input order
   * (`{ status: 'fulfilled', value }` or `{ status: 'rejected', reason }`), so a broken image does not hide the
   * others' answers. Rejects only when the whole call times out or is aborted.
   */
  async recognizeMany(images: readonly (Buffer | Uint8Array | string)[], options: RecognizeManyOptions = {}): Promise<PromiseSettledResult<RecognizeResult>[]> {
    const call = 'LocalSolver.recognizeMany';
    if (!Array.isArray(images)) throw new InvalidOptionError(`${call}: \`images\` must be an array of images`, { hint: 'Pass [buffer, base64, …]', provider: PROVIDER, step: 'solve' });
    const { concurrency = 4 * this.batcher.maxBatch, onResult } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidOptionError(`${call}: \`concurrency\` must be a positive integer, got ${String(concurrency)}`, { hint: 'Omit it to read 4 × `batch` images at once', provider: PROVIDER, step: 'solve' });
    }
    const hints = { caseSensitive: options.caseSensitive !== false, charset: options.charset, script: scriptHint(options.script, call), ...lengthHints(options.minLength, options.maxLength, call), arithmetic: this.arithmeticHint(options.arithmetic, call, 'arithmetic') };
    return withDeadline({ ...options, label: call }, async (deadline) => {
      // one abort listener per image being read (its own Deadline), and the call's own
      setMaxListeners(concurrency + 10, deadline.signal);
      const out = new Array<PromiseSettledResult<RecognizeResult>>(images.length);
      let next = 0;
      const readNext = async (): Promise<void> => {
        for (let i = next++; i < images.length; i = next++) {
          // each image its own call log, under the one budget of the call
          const own = new Deadline({ signal: deadline.signal, label: call });
          try {
            out[i] = { status: 'fulfilled', value: await this.recognizeWith(images[i]!, own, hints) };
          } catch (reason) {
            deadline.check();
            out[i] = { status: 'rejected', reason };
          } finally {
            own.dispose();
          }
          onResult?.(i, out[i]!);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, images.length) }, readNext));
      return out;
    });
  }

  /**
   * Solves an ImageToTextTask. `task.case === false` lowercases the answer; otherwise the model's
   * case is kept. `task.score` (0.8–1), else `minConfidence`, is the minimum confidence: below it
   * the call throws `UnsolvableError` (code `ERROR_CAPTCHA_UNSOLVABLE`). `task.module === 'number'` reads
   * digits only; other modules (`common`, `queueit`, …) read every character the model knows.
   * `task.minLength` / `task.maxLength` (Anti-Captcha's fields, 0 = any) constrain the answer's length, as
   * {@link RecognizeOptions.minLength} does. `task.math === true` (Anti-Captcha's field) says the image is arithmetic,
   * as {@link RecognizeOptions.arithmetic} does: an image where the math model reads no expression is refused
   * (`UnsolvableError`).
   *
   * `task.images` (1–9 images, as CapSolver's `number` module takes them; `body` is then ignored): each image is
   * read in turn, with the same `module`, `case` and minimum confidence, within the one timeout. The solution
   * has `answers` (one per image, in order), `text` (the answers joined with no separator) and `confidence`
   * (the lowest of the images'); the first image that fails fails the call, its error naming `images[i]`.
   */
  async solve(task: ImageToTextTask, options: SolveOptions = {}): Promise<Solution> {
    if (!task || typeof task !== 'object') {
      throw new InvalidOptionError('LocalSolver.solve: the task must be an object with a `body`', { hint: 'Pass { body: base64 }', provider: PROVIDER, step: 'solve' });
    }
    const score = task.score;
    if (score !== undefined && (typeof score !== 'number' || !(score >= 0 && score <= 1))) {
      throw new InvalidOptionError(`LocalSolver.solve: \`score\` must be within 0–1, got ${String(score)}`, { hint: 'Use 0.8–1, or omit it', provider: PROVIDER, step: 'solve' });
    }
    const images = task.images;
    if (images !== undefined && (!Array.isArray(images) || images.length < 1 || images.length > MAX_TASK_IMAGES)) {
      throw new InvalidOptionError(`LocalSolver.solve: \`images\` must hold 1 to ${MAX_TASK_IMAGES} images (got ${Array.isArray(images) ? images.length : images === null ? 'null' : typeof images})`, {
        hint: `Pass up to ${MAX_TASK_IMAGES} images per call (as CapSolver's number module), or one image in \`body\``,
        provider: PROVIDER,
        step: 'solve',
      });
    }
    const lengths = lengthHints(task.minLength, task.maxLength, 'LocalSolver.solve', 'task.');
    const arithmetic = this.arithmeticHint(task.math, 'LocalSolver.solve', 'task.math');
    return withDeadline({ ...options, label: 'LocalSolver.solve' }, async (deadline) => {
      const charset = typeof task.module === 'string' ? MODULE_CHARSETS[task.module.toLowerCase()] : undefined;
      const read = { caseSensitive: task.case !== false, charset, ...lengths, arithmetic, min: score ?? this.minConfidence };
      if (images) {
        const answers: string[] = [];
        let confidence = 1;
        for (const [i, image] of images.entries()) {
          const r = await this.solveOne(image, deadline, read, i);
          answers.push(r.text);
          confidence = Math.min(confidence, r.confidence);
        }
        return { text: answers.join(''), answers, provider: PROVIDER, elapsedMs: deadline.elapsed(), confidence };
      }
      const r = await this.solveOne(task.body, deadline, read);
      return { text: r.text, provider: PROVIDER, elapsedMs: deadline.elapsed(), confidence: r.confidence, ...(r.expression ? { expression: r.expression } : {}) };
    });
  }

  /** A validated `arithmetic` / `task.math` flag: a boolean, and true only where this solver has a math model. */
  private arithmeticHint(value: unknown, call: string, name: string): boolean {
    if (value === undefined || value === false) return false;
    if (value !== true) throw new InvalidOptionError(`${call}: \`${name}\` must be true or false, got ${String(value)}`, { hint: 'Pass true when the answer is the value of the arithmetic the image shows', provider: PROVIDER, step: 'solve' });
    if (this.math === false) {
      throw new InvalidOptionError(`${call}: \`${name}\` asks for the value of an arithmetic captcha, but this LocalSolver was made with \`math: false\``, {
        hint: 'Create the LocalSolver without `math: false` (the shipped math model), or with `math: "/path/model.onnx"`', provider: PROVIDER, step: 'solve',
      });
    }
    return true;
  }

  /** Releases the ONNX session after the runs already queued; a later call loads the model again. */
  async close(): Promise<void> {
    await (await this.mathReader)?.close();
    const loading = this.loading;
    this.loading = undefined;
    if (!loading) return;
    const release = this.queue.then(async () => {
      const loaded = await loading.catch(() => undefined);
      await loaded?.session.release();
    });
    this.queue = release.catch(() => {});
    await release;
  }

  /**
   * One image of `solve()`: read, then refused (`UnsolvableError`) when empty or below `min`. `index` is the
   * image's place in `task.images`, named in the errors (undefined for `body`).
   */
  private async solveOne(
    image: Buffer | Uint8Array | string,
    deadline: Deadline,
    read: ReadHints & { min: number },
    index?: number,
  ): Promise<RecognizeResult> {
    const where = index === undefined ? 'the image' : `images[${index}]`;
    let r: RecognizeResult;
    try {
      r = await this.recognizeWith(image, deadline, read);
    } catch (error) {
      throw index === undefined ? error : atImage(error, index);
    }
    if (read.arithmetic && r.expression === undefined) {
      throw new UnsolvableError(`LocalSolver.solve: \`task.math\` says ${where} is arithmetic, but the math model read no expression in it (the text model read "${r.text}") (local model)`, {
        code: 'ERROR_CAPTCHA_UNSOLVABLE', provider: PROVIDER, step: 'solve', hint: 'Refresh the captcha and try a new image; leave `math` out if the captcha is not arithmetic', log: [...deadline.log],
      });
    }
    if (r.text === '') {
      throw new UnsolvableError(`LocalSolver.solve: no text found in ${where} (local model)`, {
        code: 'ERROR_CAPTCHA_UNSOLVABLE', provider: PROVIDER, step: 'solve', hint: 'Check that the image is the captcha itself, or refresh it', log: [...deadline.log],
      });
    }
    if (r.confidence < read.min) {
      throw new UnsolvableError(
        `LocalSolver.solve: read "${r.text}"${index === undefined ? '' : ` in ${where}`} with confidence ${r.confidence.toFixed(3)}, below the minimum ${read.min} (local model)`,
        { code: 'ERROR_CAPTCHA_UNSOLVABLE', provider: PROVIDER, step: 'solve', hint: 'Refresh the captcha and try a new image, or lower `score`', log: [...deadline.log] },
      );
    }
    return r;
  }

  private async recognizeWith(image: Buffer | Uint8Array | string, deadline: Deadline, hints: ReadHints): Promise<RecognizeResult> {
    const { charset } = hints;
    const started = Date.now();
    if (charset !== undefined && (typeof charset !== 'string' || charset.length === 0)) {
      throw new InvalidOptionError('LocalSolver: `charset` must be a non-empty string of the characters to read', { provider: PROVIDER, step: 'solve' });
    }
    const bytes = imageBytes(image);
    // load the model while decoding; a broken image fails on its own even when the model is missing
    this.ensureLoaded().catch(() => {});
    const rgba = await deadline.race(decodeToRgba(bytes, this.maxInputPixels));
    const gray = flattenToGray(rgba);
    deadline.note(`decoded ${gray.width}x${gray.height}${rgba.animation ? `, ${describeAnimation(rgba.animation)}` : ''}`);
    const { spec, note } = await deadline.race(this.ensureLoaded());
    if (note) deadline.note(note);
    // the script is settled once: the caller's, else a Cyrillic charset's, else the solver's
    hints = { ...hints, script: hints.script ?? (charsetScript(charset) === 'cyrillic' ? 'cyrillic' : this.script) };
    // outside the charset, and (a captcha told to be Cyrillic has none) the Latin letters no Cyrillic one looks like
    const ruledOut = [
      ...(charset === undefined ? [] : classesOutside(spec, charsetClasses(charset), hints.caseSensitive)),
      ...(hints.script === 'cyrillic' ? latinOnlyClasses(spec.classes) : []),
    ];
    const firstInput = this.inputFor(gray, 1, 0, undefined, spec, deadline);
    const first = await this.readInput(firstInput, spec, deadline, ruledOut, hints);
    const animation = rgba.animation ? { animation: rgba.animation } : {};
    const { taken: arithmetic, sawExpression } = await this.readArithmetic(gray, { input: firstInput, spec, confidence: first.confidence }, deadline, hints);
    if (arithmetic) {
      return { text: String(arithmetic.value), confidence: arithmetic.confidence, elapsedMs: Date.now() - started, widthScale: 1, expression: arithmetic.expression, ...animation };
    }
    const look = this.secondLook === true ? spec.secondLook : this.secondLook || undefined;
    // told the image is arithmetic, the text reading is only what is returned when no expression was read; and
    // where the math model read an expression it was not sure enough of, the image is a sum the text model (no
    // + - = classes) cannot read at any width: no second look
    if (!look || hints.arithmetic || sawExpression || first.confidence >= look.below) return textArithmetic({ text: first.text, confidence: first.confidence, elapsedMs: Date.now() - started, widthScale: 1, ...animation }, spec);
    const readings: Reading[] = [{ widthScale: 1, text: first.text, confidence: first.confidence }];
    const views: { widthScale: number; crop?: number; filter?: ViewFilter }[] = [...look.widthScales.map((widthScale) => ({ widthScale })), ...(look.crops ?? []), ...(look.views ?? [])];
    // every view is prepared first, then all wait for the model together: views of one width share a run
    const inputs = views.map(({ widthScale, crop = 0, filter }) => {
      try {
        return this.inputFor(gray, widthScale, crop, filter, spec, deadline);
      } catch (error) {
        // a filter view first resizes to twice the input size: a shape too extreme for that goes without the view
        if (!filter || !isInvalidImageError(error)) throw error;
        deadline.note(`skipped the ${filter} view at x${widthScale}: ${error.message}`);
        return undefined;
      }
    });
    const again = await Promise.all(inputs.map((input) => input && this.readInput(input, spec, deadline, ruledOut, hints)));
    views.forEach(({ widthScale, crop = 0, filter }, i) => {
      const r = again[i];
      if (r) readings.push({ widthScale, ...(crop ? { crop } : {}), ...(filter ? { filter } : {}), text: r.text, confidence: r.confidence });
    });
    const combine = look.combine ?? 'max';
    const best = combineReadings(readings, combine);
    deadline.note(`second look (confidence ${first.confidence.toFixed(3)} < ${look.below}, ${combine}): kept "${best.text}" read at x${best.widthScale}${best.crop ? ` cropped ${best.crop}` : ''}${best.filter ? ` filtered (${best.filter})` : ''}, confidence ${best.confidence.toFixed(3)} from ${readings.length} readings`);
    return textArithmetic({ text: best.text, confidence: best.confidence, elapsedMs: Date.now() - started, widthScale: best.widthScale, ...(best.crop ? { crop: best.crop } : {}), ...(best.filter ? { filter: best.filter } : {}), ...animation, readings }, spec);
  }

  /**
   * The math model's reading of `gray` (`taken`) when it is an arithmetic expression read confidently enough
   * ({@link MATH_MIN_CONFIDENCE}; any expression at any confidence when the caller says the image is arithmetic), and
   * its value fits the caller's charset and length; `sawExpression` when it read an expression it was not sure
   * enough of to take.
   */
  private async readArithmetic(gray: GrayImage, first: { input: ModelInput; spec: ModelSpec; confidence: number }, deadline: Deadline, hints: ReadHints): Promise<ArithmeticReading> {
    const reader = await this.arithmeticReader(deadline);
    if (!reader) return { sawExpression: false };
    const { spec, note } = await deadline.race(reader.ensureLoaded());
    if (note) deadline.note(`arithmetic: ${note}`);
    // both shipped models take the same input (height, widths, mean, std): the text model's is read as it is
    const input = sameInput(spec, first.spec) ? first.input : reader.inputFor(gray, 1, 0, undefined, spec, deadline);
    if (input === first.input) deadline.note('arithmetic: the math model reads the same input');
    const read = await reader.readInput(input, spec, deadline, [], { caseSensitive: true, minLength: 0, maxLength: 0 });
    const parsed = parseArithmetic(read.text);
    if (!parsed) {
      if (hints.arithmetic) deadline.note(`arithmetic: asked for, but the math model read no expression ("${read.text}")`);
      return { sawExpression: false };
    }
    if (!hints.arithmetic && read.confidence < mathConfidenceNeeded(read.text, first.confidence)) {
      deadline.note(`arithmetic: read ${read.text} at ${read.confidence.toFixed(3)}, not sure enough to take it`);
      return { sawExpression: true };
    }
    const answer = String(parsed.value);
    // a negative value's sign is typed too, also into a digits-only field (`module: 'number'`, `type=number`)
    const fits = (hints.charset === undefined || [...answer.replace(/^-/, '')].every((c) => hints.charset!.includes(c)))
      && answer.length >= hints.minLength && (hints.maxLength === 0 || answer.length <= hints.maxLength);
    deadline.note(`arithmetic: ${read.text} = ${answer}${fits ? '' : ` (not taken: the answer must fit the charset and length asked for)`}`);
    return fits ? { taken: { ...parsed, confidence: read.confidence }, sawExpression: true } : { sawExpression: false };
  }

  /**
   * The solver for the math model, created once (concurrent first calls share it); undefined when `math` is false
   * or the shipped math model is absent.
   */
  private async arithmeticReader(deadline: Deadline): Promise<LocalSolver | undefined> {
    if (this.math === false) return undefined;
    // the path is found once (finding the package root reads package.json files synchronously)
    const math = this.math;
    this.mathReader ??= (async () => {
      const path = math === true ? defaultMathModelPath() : math;
      if (math === true && !(await isFile(path))) return undefined;
      return new LocalSolver({ model: path, threads: this.threads, maxInputPixels: this.maxInputPixels, secondLook: false, math: false, batch: this.batcher.maxBatch, int8: this.int8 });
    })();
    const reader = await this.mathReader;
    if (!reader) deadline.note(`arithmetic: no math model at ${defaultMathModelPath()}; reading text only`);
    return reader;
  }

  /** The model input of `gray` (its rows cropped by `crop`) stretched `widthScale` times in width (through `filter`). */
  private inputFor(gray: GrayImage, widthScale: number, crop: number, filter: ViewFilter | undefined, spec: ModelSpec, deadline: Deadline): ModelInput {
    const input = toModelInput(crop ? cropRows(gray, crop) : gray, spec, this.maxInputPixels, widthScale, filter);
    deadline.note(`resized to ${input.contentWidth}x${input.height}${widthScale === 1 ? '' : ` (x${widthScale})`}${crop ? ` cropped ${crop}` : ''}${filter ? ` filtered (${filter})` : ''}, padded to ${input.width}`);
    return input;
  }

  /** One reading of a prepared model input: infer (queued), decode. */
  private async readInput(input: ModelInput, spec: ModelSpec, deadline: Deadline, ruledOut: readonly number[], hints: ReadHints): Promise<CtcResult> {
    let result: ModelRun;
    let index: number;
    try {
      // a reading whose call timed out while it waited is skipped
      ({ result, index } = await deadline.race(this.batcher.submit(input, deadline.signal)));
    } catch (cause) {
      if (isCaptchaSolverError(cause)) throw cause;
      if (deadline.aborted) throw deadline.signal.reason;
      throw new ModelError(`LocalSolver.recognize: inference failed (${this.modelPath}: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`, {
        hint: 'The model and its sidecar do not match: check "input" and "height" in the sidecar',
        cause,
      });
    }
    const out = result.outputs[spec.output] as Ort.Tensor | undefined;
    if (!out || out.type !== 'float32') {
      throw new ModelError(`LocalSolver.recognize: the model has no float32 output "${spec.output}" (${this.modelPath})`, { hint: `Its outputs are: ${result.session.outputNames.join(', ')}; fix "output" in the sidecar` });
    }
    const view = logitsViews(out.data as Float32Array, out.dims, spec.layout)[index];
    if (!view || view.classes !== spec.classes.length) {
      throw new ModelError(`LocalSolver.recognize: the model output has shape [${out.dims.join(',')}] but the sidecar lists ${spec.classes.length} classes (${this.modelPath})`, { hint: 'Use the sidecar exported with this model' });
    }
    if (ruledOut.length > 0) ruleOut(view, ruledOut);
    const read = this.decodeInScript(view, spec, hints, deadline);
    const decoded = { ...read, text: resolveScript(read.text, hints.script) };
    const fit = decoded.length === 'forced' ? ', the most probable reading of the allowed length' : decoded.length === 'impossible' ? ', no reading of the allowed length' : '';
    deadline.note(`read "${decoded.text}" (confidence ${decoded.confidence.toFixed(3)}${fit})`);
    return decoded;
  }

  /**
   * The reading of `view` in the hinted script. A Cyrillic captcha has no Latin-only letter (r, i, l, …): a reading
   * told to be Cyrillic never had them (`recognizeWith` rules them out), and an `auto` reading that came out
   * Cyrillic with one of them in it (the model's `r` there is a `г`, its `ji` an `л`) is decoded again without them.
   */
  private decodeInScript(view: LogitsView, spec: ModelSpec, hints: ReadHints, deadline: Deadline): CtcResult {
    const decode = () => ctcGreedyDecode(view, spec.classes, spec.blank, { foldCase: !hints.caseSensitive, minLength: hints.minLength, maxLength: hints.maxLength });
    const read = decode();
    if (hints.script !== 'auto' || !hasCyrillic(read.text) || !hasLatinOnly(read.text)) return read;
    ruleOut(view, latinOnlyClasses(spec.classes));
    deadline.note(`"${read.text}" is Cyrillic but for its Latin-only letters: read again without them`);
    return decode();
  }

  /** One `session.run` over `n` stacked inputs of one shape, after the runs queued before it (see `queue`). */
  private runModel(data: Float32Array, n: number, height: number, width: number): Promise<ModelRun> {
    const run = this.queue.then(async () => {
      // the current session: if close() ran meanwhile, this loads the model again
      const { ort, session, spec } = await this.ensureLoaded();
      const outputs = await session.run({ [spec.input]: new ort.Tensor('float32', data, [n, 1, height, width]) });
      return { outputs, session };
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private ensureLoaded(): Promise<Loaded> {
    if (!this.loading) {
      const p = this.loadModel();
      this.loading = p;
      // a failed load is not cached: the next call tries again (e.g. after the file is installed)
      p.catch(() => {
        if (this.loading === p) this.loading = undefined;
      });
    }
    return this.loading;
  }

  private async loadModel(): Promise<Loaded> {
    const path = this.modelPath;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new Error('not a file');
    } catch (cause) {
      throw new ModelError(`LocalSolver: the model file is missing (${path})`, {
        hint: 'Reinstall image-captcha-solver (models/ ships in the package), or pass `model: "/path/to/model.onnx"`',
        cause,
      });
    }
    const spec = await loadModelSpec(path);
    const { file, note } = await this.sessionFile(path, spec);
    let ort: OrtModule;
    try {
      // telemetry off: onnxruntime 1.29-1.30's crashes on a long command line (see ort.ts)
      ort = await importOrt();
    } catch (cause) {
      throw new ModelError('LocalSolver: cannot load onnxruntime-node', { hint: 'Install it: npm install onnxruntime-node', cause });
    }
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
    } catch (cause) {
      throw new ModelError(`LocalSolver: cannot load the ONNX model (${file}: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`, {
        hint: 'The file is corrupt or not an ONNX model: reinstall the package or re-export the model',
        cause,
      });
    }
    if (!session.inputNames.includes(spec.input) || !session.outputNames.includes(spec.output)) {
      await session.release().catch(() => {});
      throw new ModelError(`LocalSolver: the model's tensors (inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')}) do not match its sidecar ("${spec.input}" → "${spec.output}") (${file})`, {
        hint: 'Fix "input"/"output" in the sidecar JSON',
      });
    }
    return { ort, session, spec, file, ...(note ? { note } : {}) };
  }

  /**
   * The file to run, and a note when it is not the one asked for: the int8 copy the sidecar names (unless `int8`
   * is off), else the model itself; the float model, noted, when the copy is missing (a model and sidecar copied
   * without it still read, at the float model's speed).
   */
  private async sessionFile(path: string, spec: ModelSpec): Promise<{ file: string; note?: string }> {
    if (!this.int8 || !spec.int8) return { file: path };
    const file = join(dirname(path), spec.int8);
    if (await isFile(file)) return { file };
    return { file: path, note: `the int8 copy its sidecar names is missing (${file}): running the float model` };
  }
}

/** Whether two models take the same input tensor from one image (so one resize serves both). */
function sameInput(a: ModelSpec, b: ModelSpec): boolean {
  return a.height === b.height && a.minWidth === b.minWidth && a.maxWidth === b.maxWidth && a.widthMultiple === b.widthMultiple
    && a.mean === b.mean && a.std === b.std && a.resize === b.resize;
}

/**
 * An image error of `task.images[index]`, renamed so the message says which image (`LocalSolver.solve:
 * images[2]: the image is empty …`); anything else (model errors, timeouts, abort reasons) as it came.
 */
function atImage(error: unknown, index: number): unknown {
  if (!isInvalidImageError(error)) return error;
  let what = error.message.replace(/^LocalSolver\.\w+: /, '');
  if (error.hint && what.endsWith(`. ${error.hint}`)) what = what.slice(0, -(error.hint.length + 2));
  return new InvalidImageError(`LocalSolver.solve: images[${index}]: ${what}`, { hint: error.hint, provider: PROVIDER, step: 'solve', cause: error });
}

/**
 * The classes (blank excepted) whose label is not in `charset` (either case of it, when reading case-insensitively);
 * throws when `charset` names a character the model lacks.
 */
function classesOutside(spec: ModelSpec, charset: string, caseSensitive: boolean): number[] {
  const known = new Set(spec.classes);
  const unknown = [...new Set(charset)].filter((c) => !known.has(c));
  if (unknown.length > 0) {
    throw new InvalidOptionError(`LocalSolver: the model cannot read ${unknown.map((c) => JSON.stringify(c)).join(', ')} (\`charset\`)`, {
      hint: 'Use characters of the model\'s charset (models/captcha-ocr.json: digits, a-z, A-Z and, in a model with Cyrillic classes, Cyrillic)',
      provider: PROVIDER,
      step: 'solve',
    });
  }
  const wanted = new Set(caseSensitive ? charset : charset.toLowerCase() + charset.toUpperCase());
  const out: number[] = [];
  spec.classes.forEach((label, c) => {
    if (c !== spec.blank && !wanted.has(label)) out.push(c);
  });
  return out;
}

/** Sets the logits of `classes` to −∞ at every step (in place), so decoding and confidence ignore them. */
function ruleOut(view: LogitsView, classes: readonly number[]): void {
  for (let t = 0; t < view.steps; t++) {
    const base = view.offset + t * view.stepStride;
    for (const c of classes) view.data[base + c] = Number.NEGATIVE_INFINITY;
  }
}
