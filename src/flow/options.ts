/**
 * Options and results of `solveImageCaptcha()` and friends. Defaults live in one block (FLOW_DEFAULTS).
 */
import type { Solver } from '../core/types.js';
import type { CollectOutcome } from './collect.js';
import type { CaptureMethod, CaptureOptions } from '../capture/index.js';
import type { AnimationInfo } from '../core/animation.js';
import type { CaptchaKind, RefreshRef, SubmitRef, ControlRef } from '../locate/types.js';
import type { ChosenControls } from '../core/errors.js';

/** What a `verify` predicate gets. */
export interface VerifyContext {
  /** The native Page. */
  page: unknown;
  /** The native Frame holding the captcha. */
  frame: unknown;
  /** The answer just submitted. */
  answer: string;
  /** 1-based attempt number. */
  attempt: number;
  /** True when the captcha's frame navigated after the submit. */
  navigated: boolean;
}

/** One step of the flow, reported through `onProgress`. */
export interface ProgressEvent {
  step: 'locate' | 'capture' | 'solve' | 'act' | 'verify' | 'refresh' | 'retry' | 'collect' | 'done';
  attempt: number;
  /** Milliseconds since the call started. */
  elapsedMs: number;
  /** A short human-readable note (no secrets). */
  detail?: string;
}

export interface FindOptions {
  /**
   * How long to wait for a captcha to appear and finish loading (lazy or injected images), in ms.
   * Counted inside `timeout`.
   * @default 10_000
   */
  locateTimeout?: number;
  /**
   * Drop heuristic candidates below this confidence (0–1). Ignored when a selector is given.
   * @default 0.4
   */
  minConfidence?: number;
  /**
   * Overall time limit in ms; 0 = none.
   * @default 60_000
   */
  timeout?: number;
  /** Aborts the call; it rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export interface SolveImageCaptchaOptions extends FindOptions {
  /**
   * CSS selector of the captcha image (or of a container holding it). Same as the second argument.
   * @default undefined (found by heuristics)
   */
  selector?: string;
  /**
   * Who reads the image: any `Solver` (CapSolver, Anti-Captcha, CapMonster, 2Captcha, the offline model, your own).
   * @default createSolver('auto') (CapSolver when CAPSOLVER_API_KEY is set, else the offline LocalSolver)
   */
  solver?: Solver;
  /**
   * CSS selector of the answer input.
   * @default undefined (the closest visible short text input)
   */
  input?: string;
  /**
   * How to submit: a CSS selector to click, `'enter'` to press Enter in the input, `false` to only type.
   * @default undefined (the form's submit control, else a primary-verb button, else Enter)
   */
  submit?: string | 'enter' | false;
  /**
   * How to get a new image after a wrong answer: a CSS selector to click, `'click-image'`, or `false` (never).
   * @default undefined (a refresh control next to the image, else clicking the image when it is clickable)
   */
  refresh?: string | 'click-image' | false;
  /**
   * How to tell success from failure after submitting: `'auto'` (navigation, error messages, the image
   * changing, `aria-invalid`, alerts), a CSS selector that appears on success, a predicate, or `false`
   * (do not verify: one attempt, `verified: false`).
   * @default 'auto'
   */
  verify?: 'auto' | string | ((ctx: VerifyContext) => Promise<boolean>) | false;
  /**
   * How long to wait for the page to react to a submit, in ms (counted inside `timeout`).
   * @default 10_000
   */
  verifyTimeout?: number;
  /**
   * New images to try after a wrong answer (attempts = retries + 1).
   * @default 2
   */
  retries?: number;
  /**
   * Recognition module (`common`, `queueit`, `number`, …; CapSolver's field). Queue-it pages get `queueit`
   * automatically, and an answer input that takes digits only (`type=number`, `inputmode=numeric`, a `pattern` such
   * as `[0-9]*`) gets `number`: the offline solver then reads digits only, CapSolver uses its number module, and the
   * task-API clouds are sent `numeric: 1`.
   */
  module?: string;
  /** Minimum recognition confidence 0.8–1 (CapSolver). */
  score?: number;
  /** `true` when the answer is case-sensitive. */
  case?: boolean;
  /**
   * The answer's length bounds (`task.minLength`), when you know the site's format (e.g. 5 for five
   * characters): the offline solver then reads the most probable text of that length, the task-API
   * clouds tell their workers. 0 = any. @default 0
   */
  minLength?: number;
  /**
   * The answer's longest length (`task.maxLength`), 0 = any. @default the located answer input's
   * `maxlength` attribute (1–32) when it has one (a longer answer could not be typed into it), else 0
   */
  maxLength?: number;
  /**
   * `true` when the answer is the value of the arithmetic the captcha shows ("12 - 4", "3+5=?"; `task.math`): the
   * offline solver answers the value of any expression it reads and refuses (then refreshes) an image where it reads
   * none; the task-API clouds tell their workers. Sums ending in `=?` or `=` are answered without it.
   * @default false
   */
  math?: boolean;
  /**
   * Delay between key presses in ms.
   * @default 0
   */
  typingDelay?: number;
  /**
   * A directory for per-attempt artifacts (captured image, screenshot of the captcha, JSON with answer,
   * provider, timings, capture method and outcome; never an API key). `false` turns it off.
   * @default process.env.IMAGE_CAPTCHA_DEBUG
   */
  debug?: string | false;
  /** Called on every step. Exceptions thrown by it are ignored. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * A folder that keeps every verified capture with its accepted answer, to fine-tune the offline model on this
   * site (`image-captcha adapt DIR`): `DIR/<sha1 of the bytes>.<ext>` (the exact bytes the solver read) and one
   * `file<TAB>text` row in `DIR/labels.tsv`, once per distinct image. Only answers the page confirmed
   * (`verified: true`) are written, never arithmetic ones (`math`). Safe for many pages and processes at once.
   * A write failure never fails the solve: see `result.collected`.
   * @default undefined (nothing kept)
   */
  collect?: string;
  /** Image size limits and capture method. */
  capture?: CaptureOptions;
}

/** The built-in defaults, in one place. */
export const FLOW_DEFAULTS = {
  retries: 2,
  timeout: 60_000,
  locateTimeout: 10_000,
  verifyTimeout: 10_000,
  minConfidence: 0.4,
  typingDelay: 0,
  verify: 'auto',
} as const;

/** A control as reported to users. */
export type { ControlRef, SubmitRef, RefreshRef, CaptchaKind, CaptureMethod };

/** A captcha found on the page. */
export interface CaptchaCandidate {
  kind: CaptchaKind;
  /** A readable selector for the captcha element. */
  selector: string;
  /** A CSS selector that finds this very element again (a `data-ics` token set by the scan). */
  handle: string;
  /** The native Frame holding it. */
  frame: object;
  frameUrl: string;
  /** 0–1; 1 when matched by your selector. */
  confidence: number;
  /** Why it was picked (tokens, size, paired input, refresh control…). */
  reasons: string[];
  /** Rendered size in CSS px. */
  width: number;
  height: number;
  /** Intrinsic size (0 when unknown). */
  naturalWidth: number;
  naturalHeight: number;
  /** The image URL (data: URLs shortened), '' for canvas/svg. */
  src: string;
  input?: ControlRef;
  submit?: SubmitRef;
  refresh?: RefreshRef;
  /** True on Queue-it challenge pages (`module: 'queueit'`). */
  queueit: boolean;
}

export interface CaptchaResult {
  /** The answer that was submitted last. */
  text: string;
  /** True when an answer was typed (and submitted unless `submit: false`) and the page did not reject it. */
  solved: boolean;
  /** True when the page showed evidence of success (navigation away from the captcha, success selector/predicate). */
  verified: boolean;
  /**
   * What the verify step concluded and why, for logs: `success: …`, `unknown: …` (no proof either way, or the
   * submit led to an HTTP error page), or `typed, not verified` with `submit: false` / `verify: false`.
   */
  verification: string;
  /** Images tried. */
  attempts: number;
  /** The captcha element's selector. */
  selector: string;
  frameUrl: string;
  /**
   * The answer input, submit and refresh the flow used, each with `selector` (when there is one), `method` and the
   * `reasons` it was chosen, e.g. `{ input: { selector: '#code', reasons: ['follows the image on its row', …] }, … }`.
   */
  chosen: ChosenControls;
  provider: string;
  taskId?: string;
  /** How the last image was captured; `animation` when an animated GIF/WebP was sent as a still (`CapturedImage.animation`). */
  capture: { method: CaptureMethod; mime: string; width: number; height: number; bytes: number; animation?: AnimationInfo };
  /** Base64 of the last captured image (for reports). */
  image?: string;
  /** Milliseconds per step, summed over attempts. */
  timings: { locate: number; capture: number; solve: number; act: number; verify: number; total: number };
  /** Every answer tried, in order. */
  answers: string[];
  /** With `collect`: whether this capture was written (`added`, `duplicate`, `skipped`, `failed` with `error`). */
  collected?: CollectOutcome;
}
