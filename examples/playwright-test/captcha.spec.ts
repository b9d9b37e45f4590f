/**
 * `test.extend(captchaFixtures)` adds `solveImageCaptcha`, bound to the test's page. Each call attaches the
 * captured image and a JSON (answer, attempts, timings) to the report.
 */
import { test as base, expect } from '@playwright/test';
import { captchaFixtures } from 'image-captcha-solver/test';
import { fixtureSite, fixtureSolver, type Site } from '../_site.js';

// captchaFixtures adds solveImageCaptcha(s); then the fixture site, once per worker (or the one FIXTURE_URL names).
const test = base.extend(captchaFixtures).extend<{}, { site: Site }>({
  site: [
    async ({}, use) => {
      const site = await fixtureSite();
      await use(site);
      await site.close();
    },
    { scope: 'worker' },
  ],
});

test('logs in through the Securimage-style captcha', async ({ page, site, solveImageCaptcha }) => {
  await page.goto(`${site.url}/login`);
  const result = await solveImageCaptcha({ solver: fixtureSolver(site.url) });
  expect(result.solved).toBe(true);
  expect(result.text).not.toBe('');
});

test('a page that keeps rejecting the answer fails with WrongAnswerError (the report gets every answer tried)', async ({ page, site, solveImageCaptcha }) => {
  await page.goto(`${site.url}/login`);
  const alwaysWrong = fixtureSolver(site.url, { wrongFirst: 100 });
  await expect(solveImageCaptcha({ solver: alwaysWrong, retries: 1 })).rejects.toMatchObject({
    name: 'WrongAnswerError',
    answers: [expect.any(String), expect.any(String)],
  });
});

test.describe('with the offline model', () => {
  test.use({ imageCaptchaOptions: { solver: 'local', retries: 8, timeout: 60_000 } }); // a name: one solver per worker

  test('solves the demo page', async ({ page, site, solveImageCaptcha }) => {
    await page.goto(`${site.url}/demo`);
    const result = await solveImageCaptcha();
    expect(result.solved).toBe(true);
  });
});
