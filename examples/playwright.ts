/**
 * Playwright (playwright-core) — solve the captcha on a page in one call, with the built-in offline model.
 *
 *   npx tsx examples/playwright.ts            (starts the fixture site itself; or set FIXTURE_URL)
 */
import { chromium } from 'playwright-core';
import { attachImageRecorder, createSolver, solveImageCaptcha } from 'image-captcha-solver';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fixtureSite, report } from './_site.js';

const site = await fixtureSite();
const solver = createSolver('local'); // the built-in offline model; 'auto' picks CapSolver when CAPSOLVER_API_KEY is set
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  attachImageRecorder(page); // optional: keeps the exact image bytes the page loaded (one-time captcha URLs)
  await page.goto(`${site.url}/demo`);

  // ← the one line. The offline model misreads some images, so allow fresh ones (cloud solvers need fewer).
  const result = await solveImageCaptcha(page, { solver, retries: 8 });

  report({ example: 'playwright', solved: result.solved, text: result.text, attempts: result.attempts, provider: result.provider, ms: result.timings.total });
  if (!result.solved) process.exitCode = 1;
} finally {
  await browser.close();
  await solver.close?.();
  await site.close();
}
