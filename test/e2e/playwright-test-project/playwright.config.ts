/**
 * The @playwright/test project run by test/e2e/plugins-playwright-test.test.ts for the fixture's attachment rules
 * (`imageCaptchaAttach: false`, the image attached on a failed solve). Unlike examples/playwright-test it imports
 * the plugin from src/ (no build needed). Needs FIXTURE_URL (a running fixture site).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import type { CaptchaFixtureOptions } from '../../../src/plugins/playwright-test.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../support/chromium.js';

export default defineConfig<CaptchaFixtureOptions>({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  timeout: 90_000,
  workers: 1,
  retries: 0,
  reporter: process.env.PW_REPORTER ?? 'list',
  outputDir: process.env.PW_OUTPUT_DIR ?? join(tmpdir(), 'image-captcha-playwright-test-project'),
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    imageCaptchaOptions: { timeout: 30_000 },
  },
});
