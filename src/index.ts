/**
 * image-captcha-solver: solve image (text) captchas in Playwright and Puppeteer.
 * This entry imports no browser framework.
 */
export * from './core/index.js';
export * from './solvers/index.js';
export * from './flow/index.js';
export * from './collect/index.js';
export * from './adapt/index.js';
