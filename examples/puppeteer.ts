/**
 * Puppeteer (puppeteer-core + executablePath) — the same one call on a Puppeteer page. Uses a solver that asks
 * the fixture site for the answer, so the run is deterministic; swap in `'local'` or `'capsolver'` for real use.
 *
 *   npx tsx examples/puppeteer.ts
 */
import puppeteer from 'puppeteer-core';
import { attachImageRecorder, solveImageCaptcha } from 'image-captcha-solver';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fixtureSite, fixtureSolver, report } from './_site.js';

const site = await fixtureSite();
const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
try {
  const page = await browser.newPage();
  attachImageRecorder(page);
  await page.goto(`${site.url}/login`);

  const result = await solveImageCaptcha(page, { solver: fixtureSolver(site.url) }); // ← the one line

  report({ example: 'puppeteer', solved: result.solved, text: result.text, attempts: result.attempts, verified: result.verified });
  if (!result.solved) process.exitCode = 1;
} finally {
  await browser.close();
  await site.close();
}
