/**
 * A cloud solver: CapSolver with the key from the environment. The key never appears in output or errors.
 *
 *   CAPSOLVER_API_KEY=CAP-... npx tsx examples/cloud-capsolver.ts
 *
 * `CAPSOLVER_API_BASE` points the client at another CapSolver-compatible API: the project's own local server
 * (`image-captcha serve`), or, in this repository's tests, a stub server on 127.0.0.1.
 */
import { chromium } from 'playwright-core';
import { CapSolver, attachImageRecorder, solveImageCaptcha } from 'image-captcha-solver';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fixtureSite, report } from './_site.js';

if (!process.env.CAPSOLVER_API_KEY) {
  process.stderr.write('Set CAPSOLVER_API_KEY (and optionally CAPSOLVER_API_BASE) to run this example.\n');
  process.exit(2);
}

const site = await fixtureSite();
const solver = new CapSolver(); // reads CAPSOLVER_API_KEY and CAPSOLVER_API_BASE
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  attachImageRecorder(page);
  await page.goto(`${site.url}/login`);

  const result = await solveImageCaptcha(page, { solver, module: 'common', timeout: 60_000 });

  report({ example: 'cloud-capsolver', solved: result.solved, text: result.text, provider: result.provider, taskId: result.taskId, attempts: result.attempts });
  if (!result.solved) process.exitCode = 1;
} finally {
  await browser.close();
  await solver.close?.();
  await site.close();
}
