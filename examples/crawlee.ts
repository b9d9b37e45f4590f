/**
 * Crawlee — a `PlaywrightCrawler` that solves the captcha on many pages concurrently.
 * The recorder is attached in a pre-navigation hook (before the page requests the image); the request handler
 * solves. One solver instance is shared by every page (create once, solve many).
 *
 *   npx tsx examples/crawlee.ts            (PAGES=8 CONCURRENCY=3 to change the load)
 */
import { Configuration, PlaywrightCrawler } from '@crawlee/playwright';
import { chromium } from 'playwright-core';
import { attachImageRecorder, solveImageCaptcha, type CaptchaResult } from 'image-captcha-solver';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fixtureSite, fixtureSolver, report } from './_site.js';

const pages = Number(process.env.PAGES ?? 6);
const concurrency = Number(process.env.CONCURRENCY ?? 3);
const site = await fixtureSite();
const solver = fixtureSolver(site.url); // or createSolver('capsolver'), createSolver('local'), …
const results: Array<Pick<CaptchaResult, 'text' | 'solved' | 'attempts'> & { url: string }> = [];
const failures: string[] = [];

const crawler = new PlaywrightCrawler(
  {
    launchContext: { launcher: chromium, launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true } },
    browserPoolOptions: { useFingerprints: false },
    maxConcurrency: concurrency,
    maxRequestRetries: 1,
    requestHandlerTimeoutSecs: 90,
    preNavigationHooks: [({ page }) => void attachImageRecorder(page)],
    async requestHandler({ page, request }) {
      const result = await solveImageCaptcha(page, { solver, timeout: 60_000 });
      results.push({ url: request.url, text: result.text, solved: result.solved, attempts: result.attempts });
    },
    failedRequestHandler({ request }, error) {
      failures.push(`${request.url}: ${error.message}`);
    },
  },
  new Configuration({ persistStorage: false, purgeOnStart: true }), // keep the example free of ./storage files
);

try {
  await crawler.run(Array.from({ length: pages }, (_, i) => ({ url: `${site.url}/login?visit=${i}`, uniqueKey: `visit-${i}` })));
  const solved = results.length === pages && results.every((r) => r.solved) && failures.length === 0;
  report({ example: 'crawlee', solved, pages, concurrency, solvedPages: results.filter((r) => r.solved).length, failures });
  if (!solved) process.exitCode = 1;
} finally {
  await crawler.teardown?.();
  await site.close();
}
