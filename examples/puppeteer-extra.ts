/**
 * puppeteer-extra — `puppeteer.use(ImageCaptchaPlugin(...))`, then `page.solveImageCaptchas()`.
 * The plugin records captcha images from the network as soon as a page is created.
 *
 *   npx tsx examples/puppeteer-extra.ts
 */
import { addExtra } from 'puppeteer-extra';
import puppeteerCore, { type Browser } from 'puppeteer-core';
import { ImageCaptchaPlugin, withImageCaptcha } from 'image-captcha-solver/puppeteer-extra';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fixtureSite, fixtureSolver, report } from './_site.js';

const site = await fixtureSite();
// puppeteer-extra's types predate puppeteer-core 24, hence the cast. With the full `puppeteer` package:
// `import puppeteer from 'puppeteer-extra'`.
const puppeteer = addExtra(puppeteerCore as unknown as Parameters<typeof addExtra>[0]);
puppeteer.use(ImageCaptchaPlugin({ solver: fixtureSolver(site.url) }));

const browser: Browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
try {
  const page = withImageCaptcha(await browser.newPage()); // withImageCaptcha only adds the method types
  await page.goto(`${site.url}/login`);

  const { results, errors } = await page.solveImageCaptchas(); // solved ones, and per-captcha errors

  const solved = results.length > 0 && errors.length === 0 && results.every((r) => r.solved);
  report({ example: 'puppeteer-extra', solved, texts: results.map((r) => r.text), errors: errors.map((e) => e.error.message) });
  if (!solved) process.exitCode = 1;
} finally {
  await browser.close();
  await site.close();
}
