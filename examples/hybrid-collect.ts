/**
 * Local first, cloud when unsure, and keep what the page accepted: the offline model reads every captcha and
 * CapSolver gets only the ones it is unsure of; every verified capture lands in a collect folder
 * (`<sha1>.<ext>` + labels.tsv) that `image-captcha adapt` fine-tunes the model on.
 *
 *   CAPSOLVER_API_KEY=CAP-... npx tsx examples/hybrid-collect.ts     (COLLECT_DIR=./captchas/shop to keep them)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { attachImageRecorder, createSolver, readCollection, solveImageCaptcha, type HybridSolver } from 'image-captcha-solver';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fixtureSite, report } from './_site.js';

if (!process.env.CAPSOLVER_API_KEY) {
  process.stderr.write('Set CAPSOLVER_API_KEY (and optionally CAPSOLVER_API_BASE) to run this example.\n');
  process.exit(2);
}

const site = await fixtureSite();
const collect = process.env.COLLECT_DIR ?? join(mkdtempSync(join(tmpdir(), 'captchas-')), 'shop');
// the offline model, and CapSolver (CAPSOLVER_API_KEY) for readings below 0.8 confidence
const solver = createSolver('hybrid', { minConfidence: 0.8 }) as HybridSolver;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  let solved = 0;
  for (const path of ['/demo', '/login', '/login']) {
    const page = await browser.newPage();
    attachImageRecorder(page);
    await page.goto(`${site.url}${path}`);
    const result = await solveImageCaptcha(page, { solver, collect, retries: 4, timeout: 60_000 });
    if (result.verified) solved++;
    await page.close();
  }
  const s = solver.stats(); // e.g. { local: 2, cloud: 1, localAccepted: 2, cloudAccepted: 1, saved: { requests: 2, ms: … } }
  const collected = (await readCollection(collect)).length;
  report({ example: 'hybrid-collect', solved: solved === 3, local: s.local, cloud: s.cloud, saved: s.saved, collected, collect });
  if (solved !== 3) process.exitCode = 1;
} finally {
  await browser.close();
  await solver.close();
  await site.close();
}
