/** One quick smoke test in real Chromium: the captcha elements render with a real size. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import { startFixtureServer, type FixtureServer } from '../../fixtures/site/index.js';

let server: FixtureServer;
let browser: Browser;

beforeAll(async () => {
  server = await startFixtureServer({ seed: 3 });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('fixture site in Chromium', () => {
  it('renders /login, /svg and the cross-origin iframe captcha; the page loads each one-time image once', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}/login`);
      const img = page.locator('#captcha_image');
      await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(215);
      expect(await img.evaluate((el: HTMLImageElement) => el.naturalHeight)).toBe(80);
      const id = await page.locator('input[name=captcha_id]').inputValue();
      expect(server.stats().captchas.find((c) => c.id === id)).toMatchObject({ imageRequests: 1, issued: 1 });

      await page.goto(`${server.url}/svg`);
      const svg = page.locator('#captcha-svg svg');
      await svg.waitFor();
      const box = await svg.boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(30);
      expect(await svg.locator('path').count()).toBeGreaterThan(4);

      await page.goto(`${server.url}/iframe-cross`);
      const frame = page.frameLocator('#login-frame');
      const crossImg = frame.locator('#captcha_image');
      await expect.poll(() => crossImg.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 10_000 }).toBe(215);
      expect(page.frames().some((f) => f.url().startsWith(server.crossOriginUrl))).toBe(true);
    } finally {
      await page.close();
    }
  });
});
