// A Playwright user's project (ESM): only playwright-core is installed, no Puppeteer anywhere.
import { chromium, type Page, type Frame } from 'playwright-core';
import { solveImageCaptcha, solveImageCaptchas, attachImageRecorder, CapSolver, TimeoutError, type Solver } from 'image-captcha-solver';
import * as pw from 'image-captcha-solver/playwright';
import { ImageCaptchaPlugin, withImageCaptcha } from 'image-captcha-solver/puppeteer-extra';

const solver: Solver = new CapSolver({ apiKey: 'CAP-not-a-real-key-000000' });
const plugin = ImageCaptchaPlugin({ solver, autoSolve: true, onAutoSolveError: (e) => void e.error });
void plugin.noPuppeteerShim;
void pw;

export async function run(page: Page, frame: Frame): Promise<boolean> {
  attachImageRecorder(page);
  const one = await solveImageCaptcha(page, { solver, timeout: 30_000 });
  const all = await solveImageCaptchas(frame, { solver });
  const f = withImageCaptcha(frame);
  await f.solveImageCaptcha('#captcha');
  void chromium.launch;
  void new TimeoutError('x');
  return one.solved && all.results.every((r) => r.verified !== undefined) && all.errors.length === 0;
}
