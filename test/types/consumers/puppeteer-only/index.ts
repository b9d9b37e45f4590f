// A Puppeteer user's project (CommonJS): only puppeteer-core is installed, no Playwright anywhere.
import puppeteer from 'puppeteer-core';
import type { Page } from 'puppeteer-core';
import { solveImageCaptcha, findImageCaptchas, attachImageRecorder, createSolver, isCaptchaSolverError, type Solver } from 'image-captcha-solver';
import * as pup from 'image-captcha-solver/puppeteer';
import { ImageCaptchaPlugin, withImageCaptcha, type ImageCaptchaPluginOptions } from 'image-captcha-solver/puppeteer-extra';

const solver: Solver = createSolver('local');
const options: ImageCaptchaPluginOptions = { solver, autoSolve: false };
const plugin = ImageCaptchaPlugin(options);
plugin.on('failed', (event) => void event.error);
const name: string = plugin.name;
void name;
void pup;

export async function run(page: Page): Promise<string> {
  attachImageRecorder(page);
  await findImageCaptchas(page);
  const result = await solveImageCaptcha(page, '#captcha', { solver });
  const p = withImageCaptcha(page);
  const many = await p.solveImageCaptchas();
  await withImageCaptcha(p.mainFrame()).solveImageCaptchas();
  const text: string = result.text;
  const total: number = result.timings.total;
  void many.results.length;
  void total;
  void puppeteer.launch;
  try {
    return text;
  } catch (e) {
    if (isCaptchaSolverError(e)) return e.code;
    throw e;
  }
}
