/**
 * `image-captcha-solver/puppeteer`: the page flow typed with Puppeteer's own `Page`/`Frame` (type-only import;
 * works with puppeteer-core, puppeteer and puppeteer-extra).
 */
import type { Page, Frame } from 'puppeteer-core';
import * as flow from './flow/index.js';
import type {
  CaptchaCandidate,
  CaptchaResult,
  CaptureOptions,
  CapturedImage,
  FindOptions,
  ImageRecorder,
  ImageRecorderOptions,
  Outcome,
  SolveAllResult,
  SolveImageCaptchaOptions,
  StepOptions,
} from './flow/index.js';

export * from './core/index.js';
export * from './solvers/index.js';
export type * from './flow/index.js';
export { FLOW_DEFAULTS, detectFramework, CaptchaGoneError } from './flow/index.js';

/** A Puppeteer page or frame. */
export type PuppeteerTarget = Page | Frame;

/** See the main entry's `solveImageCaptcha`: find, capture, solve, type, submit, verify, retry. */
export function solveImageCaptcha(page: PuppeteerTarget, selectorOrOptions?: string | SolveImageCaptchaOptions, options?: SolveImageCaptchaOptions): Promise<CaptchaResult> {
  return flow.solveImageCaptcha(page, selectorOrOptions, options);
}

/** Solves every captcha on the page, one after the other. */
export function solveImageCaptchas(page: PuppeteerTarget, options?: SolveImageCaptchaOptions): Promise<SolveAllResult> {
  return flow.solveImageCaptchas(page, options);
}

/** Every captcha candidate with `confidence` and `reasons`, across frames. */
export function findImageCaptchas(page: PuppeteerTarget, options?: FindOptions): Promise<CaptchaCandidate[]> {
  return flow.findImageCaptchas(page, options);
}

/** Starts recording image responses of `page` now (idempotent). */
export function attachImageRecorder(page: Page, options?: ImageRecorderOptions): ImageRecorder {
  return flow.attachImageRecorder(page, options);
}

export function locateCaptcha(page: PuppeteerTarget, selectorOrOptions?: string | (FindOptions & { selector?: string }), options?: FindOptions & { selector?: string }): Promise<CaptchaCandidate> {
  return flow.locateCaptcha(page, selectorOrOptions, options);
}

export function captureCaptcha(page: PuppeteerTarget, captcha: CaptchaCandidate, options?: CaptureOptions & StepOptions): Promise<CapturedImage> {
  return flow.captureCaptcha(page, captcha, options);
}

export function typeAnswer(page: PuppeteerTarget, captcha: CaptchaCandidate, text: string, options?: StepOptions & Pick<SolveImageCaptchaOptions, 'input' | 'typingDelay'>): Promise<void> {
  return flow.typeAnswer(page, captcha, text, options);
}

export function submitAnswer(page: PuppeteerTarget, captcha: CaptchaCandidate, options?: StepOptions & Pick<SolveImageCaptchaOptions, 'submit' | 'input'>): Promise<void> {
  return flow.submitAnswer(page, captcha, options);
}

export function verifyAnswer(
  page: PuppeteerTarget,
  captcha: CaptchaCandidate,
  options?: StepOptions & Pick<SolveImageCaptchaOptions, 'verify' | 'verifyTimeout' | 'input' | 'minConfidence'> & { answer?: string },
): Promise<{ outcome: Outcome; reason: string }> {
  return flow.verifyAnswer(page, captcha, options);
}

export function refreshCaptcha(page: PuppeteerTarget, captcha: CaptchaCandidate, options?: StepOptions & Pick<SolveImageCaptchaOptions, 'refresh'>): Promise<boolean> {
  return flow.refreshCaptcha(page, captcha, options);
}
