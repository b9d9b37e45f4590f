/**
 * The page flow's signatures with the page type as a parameter. `image-captcha-solver/playwright` and
 * `image-captcha-solver/puppeteer` export the flow under this interface, typed with the framework's own
 * `Page`/`Frame`; this file itself names no framework.
 */
import type { CapturedImage, CaptureOptions } from '../capture/index.js';
import type { ImageRecorder, ImageRecorderOptions } from '../capture/recorder.js';
import type { CaptchaCandidate, CaptchaResult, FindOptions, SolveImageCaptchaOptions } from './options.js';
import type { Outcome } from './steps.js';
import type { SolveAllResult, StepOptions } from './index.js';

export interface TypedFlow<Target, Page> {
  /** Finds, captures, solves, types, submits, verifies and retries (see the main entry's `solveImageCaptcha`). */
  solveImageCaptcha(page: Target, selectorOrOptions?: string | SolveImageCaptchaOptions, options?: SolveImageCaptchaOptions): Promise<CaptchaResult>;
  /** Solves every captcha on the page, one after the other. */
  solveImageCaptchas(page: Target, options?: SolveImageCaptchaOptions): Promise<SolveAllResult>;
  /** Every captcha candidate with `confidence` and `reasons`, across frames. */
  findImageCaptchas(page: Target, options?: FindOptions): Promise<CaptchaCandidate[]>;
  /** Starts recording image responses of `page` now (idempotent). */
  attachImageRecorder(page: Page, options?: ImageRecorderOptions): ImageRecorder;
  /** The best captcha (by `selector`, else heuristics). Throws CaptchaNotFoundError. */
  locateCaptcha(page: Target, selectorOrOptions?: string | (FindOptions & { selector?: string }), options?: FindOptions & { selector?: string }): Promise<CaptchaCandidate>;
  /** The bytes the captcha shows right now (recorded response, browser cache, canvas/svg, or a screenshot). */
  captureCaptcha(page: Target, captcha: CaptchaCandidate, options?: CaptureOptions & StepOptions): Promise<CapturedImage>;
  /** Clears the captcha's answer input and types `text` with real keyboard events. */
  typeAnswer(page: Target, captcha: CaptchaCandidate, text: string, options?: StepOptions & Pick<SolveImageCaptchaOptions, 'input' | 'typingDelay'>): Promise<void>;
  /** Submits (the form's submit control, a primary-verb button, or Enter). Call `verifyAnswer` next. */
  submitAnswer(page: Target, captcha: CaptchaCandidate, options?: StepOptions & Pick<SolveImageCaptchaOptions, 'submit' | 'input'>): Promise<void>;
  /** After `submitAnswer`: `success`, `failure` or `unknown` (no sign either way within `verifyTimeout`). */
  verifyAnswer(
    page: Target,
    captcha: CaptchaCandidate,
    options?: StepOptions & Pick<SolveImageCaptchaOptions, 'verify' | 'verifyTimeout' | 'input' | 'minConfidence'> & { answer?: string },
  ): Promise<{ outcome: Outcome; reason: string }>;
  /** Clicks the refresh control (or the image). Resolves to false when there is no way to refresh. */
  refreshCaptcha(page: Target, captcha: CaptchaCandidate, options?: StepOptions & Pick<SolveImageCaptchaOptions, 'refresh'>): Promise<boolean>;
}
