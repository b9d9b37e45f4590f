/**
 * What `captchaFixtures` attaches to the report. Run by test/e2e/plugins-playwright-test.test.ts, which reads the
 * JSON report and compares the attachments with what the fixture site recorded.
 */
import { test as base, expect } from '@playwright/test';
import { captchaFixtures } from '../../../src/plugins/playwright-test.js';
import { createHttpFixtureSolver } from '../../../fixtures/site/index.js';

const test = base.extend(captchaFixtures);

function siteUrl(): string {
  const url = process.env.FIXTURE_URL;
  if (!url) throw new Error('FIXTURE_URL is not set');
  return url.replace(/\/+$/, '');
}

test.describe('imageCaptchaAttach: false', () => {
  test.use({ imageCaptchaAttach: false });

  test('attach off: a solved and a failed call attach nothing', async ({ page, solveImageCaptcha }, testInfo) => {
    await page.goto(`${siteUrl()}/login`);
    const result = await solveImageCaptcha({ solver: createHttpFixtureSolver(siteUrl()) });
    expect(result.verified).toBe(true);
    await page.goto(`${siteUrl()}/login`);
    await expect(solveImageCaptcha({ solver: createHttpFixtureSolver(siteUrl(), { wrongFirst: 100 }), retries: 0 })).rejects.toMatchObject({ name: 'WrongAnswerError' });
    expect(testInfo.attachments.filter((a) => a.name.startsWith('image-captcha'))).toEqual([]);
  });
});

test('a failed solve attaches the last image the solver read, next to the error JSON', async ({ page, solveImageCaptcha }) => {
  await page.goto(`${siteUrl()}/login`);
  await expect(solveImageCaptcha({ solver: createHttpFixtureSolver(siteUrl(), { wrongFirst: 100 }), retries: 1 })).rejects.toMatchObject({
    name: 'WrongAnswerError',
    answers: [expect.any(String), expect.any(String)],
  });
});

test('a solve that fails before any image was read attaches only the error JSON', async ({ page, solveImageCaptcha }) => {
  await page.setContent('<main><h1>No captcha here</h1><form><input name="q"><button>Go</button></form></main>');
  await expect(solveImageCaptcha({ solver: createHttpFixtureSolver(siteUrl()), locateTimeout: 500 })).rejects.toMatchObject({ name: 'CaptchaNotFoundError' });
});
