/**
 * A @playwright/test project using the `image-captcha-solver/test` fixtures.
 *
 *   npx playwright test -c examples/playwright-test
 *
 * Uses Chromium from CHROMIUM_PATH (default /usr/bin/chromium): no browser download needed.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import type { CaptchaFixtureOptions } from 'image-captcha-solver/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/support/chromium.js';

export default defineConfig<CaptchaFixtureOptions>({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  timeout: 90_000,
  workers: 1,
  retries: 0,
  reporter: process.env.PW_REPORTER ?? 'list',
  outputDir: process.env.PW_OUTPUT_DIR ?? join(tmpdir(), 'image-captcha-playwright-test'),
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    // Flow options for every solveImageCaptcha() call in this project (a call's own options win).
    imageCaptchaOptions: { timeout: 60_000 },
  },
});
