/**
 * `image-captcha-solver/puppeteer`: the page flow typed with Puppeteer's own `Page`/`Frame` (type-only import;
 * works with puppeteer-core, puppeteer and puppeteer-extra).
 */
import type { Page, Frame } from 'puppeteer-core';
import * as flow from './flow/index.js';
import type { TypedFlow } from './flow/typed.js';

export * from './core/index.js';
export * from './solvers/index.js';
export type * from './flow/index.js';
export type { TypedFlow } from './flow/typed.js';
export { FLOW_DEFAULTS, detectFramework, CaptchaGoneError } from './flow/index.js';

/** A Puppeteer page or frame. */
export type PuppeteerTarget = Page | Frame;

const typed: TypedFlow<PuppeteerTarget, Page> = flow;

export const { solveImageCaptcha, solveImageCaptchas, findImageCaptchas, attachImageRecorder, locateCaptcha, captureCaptcha, typeAnswer, submitAnswer, verifyAnswer, refreshCaptcha } = typed;
