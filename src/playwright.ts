/**
 * `image-captcha-solver/playwright`: the page flow typed with Playwright's own `Page`/`Frame` (type-only import;
 * works with playwright-core, playwright, @playwright/test and playwright-extra).
 */
import type { Page, Frame } from 'playwright-core';
import * as flow from './flow/index.js';
import type { TypedFlow } from './flow/typed.js';

export * from './core/index.js';
export * from './solvers/index.js';
export type * from './flow/index.js';
export type { TypedFlow } from './flow/typed.js';
export { FLOW_DEFAULTS, detectFramework, CaptchaGoneError } from './flow/index.js';

/** A Playwright page or frame. */
export type PlaywrightTarget = Page | Frame;

const typed: TypedFlow<PlaywrightTarget, Page> = flow;

export const { solveImageCaptcha, solveImageCaptchas, findImageCaptchas, attachImageRecorder, locateCaptcha, captureCaptcha, typeAnswer, submitAnswer, verifyAnswer, refreshCaptcha } = typed;
