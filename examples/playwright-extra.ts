/**
 * playwright-extra — the same plugin object with `chromium.use(...)`, here with `autoSolve: true`: every page
 * load is checked for captchas and solved; outcomes arrive as events (never as unhandled rejections).
 *
 *   npx tsx examples/playwright-extra.ts
 */
import { chromium } from 'playwright-extra'; // uses playwright-core (or playwright), whichever is installed
import { ImageCaptchaPlugin } from 'image-captcha-solver/puppeteer-extra';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fixtureSite, fixtureSolver, report } from './_site.js';

const site = await fixtureSite();
const plugin = ImageCaptchaPlugin({ solver: fixtureSolver(site.url), autoSolve: true });
chromium.use(plugin);

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  const outcome = plugin.waitForAutoSolve(page, { timeout: 60_000 });
  await page.goto(`${site.url}/login`);
  const event = await outcome; // 'solved', 'failed' or 'skipped'
  if (event.type === 'failed') throw event.error;

  const results = event.results?.results ?? [];
  const solved = event.type === 'solved' && results.length > 0 && results.every((r) => r.solved);
  report({ example: 'playwright-extra', event: event.type, solved, texts: results.map((r) => r.text) });
  if (!solved) process.exitCode = 1;
} finally {
  await browser.close();
  await site.close();
}
