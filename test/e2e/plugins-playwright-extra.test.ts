/**
 * The same plugin object through real playwright-extra `.use()` (`addExtra(playwright-core chromium)`), in real
 * Chromium, against the fixture site. One Chromium for the file (`launchServer`); two playwright-extra instances
 * connect to it: one with a plain plugin, one with `autoSolve`. The plugin here runs on the built-in base class
 * (as for a playwright-extra user without puppeteer-extra-plugin installed): IMAGE_CAPTCHA_PLUGIN_BASE=builtin.
 */
import { chromium as chromiumCore, type Browser, type BrowserServer, type Page } from 'playwright-core';
import { addExtra } from 'playwright-extra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_LAUNCH } from '../support/chromium.js';
import { closeAfterEach, collectUnhandledRejections, expectAutoSolved, useFixtureSite } from '../support/e2e.js';

process.env.IMAGE_CAPTCHA_PLUGIN_BASE = 'builtin';
const { ImageCaptchaPlugin, withImageCaptcha, BuiltinPluginBase } = await import('../../src/plugins/extra.js');
type Plugin = ReturnType<typeof ImageCaptchaPlugin>;

const unhandled = collectUnhandledRejections();
const site = useFixtureSite({ resetEach: true });
let browserServer: BrowserServer;
let plugin: Plugin;
let browser: Browser;
const seenByPlugin: unknown[] = [];

beforeAll(async () => {
  browserServer = await chromiumCore.launchServer(CHROMIUM_LAUNCH);
  plugin = ImageCaptchaPlugin({ solver: site.solver, timeout: 45_000 });
  // Spy on what playwright-extra hands the plugin (native Page vs the puppeteer shim).
  const original = plugin.onPageCreated.bind(plugin);
  (plugin as { onPageCreated: (p: unknown) => Promise<void> }).onPageCreated = async (p: unknown) => {
    seenByPlugin.push(p);
    return original(p);
  };
  const chromium = addExtra(chromiumCore);
  chromium.use(plugin);
  browser = await chromium.connect(browserServer.wsEndpoint());
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await browserServer?.close();
});

const closeLater = closeAfterEach<Page>();
async function newPage(b: Browser = browser): Promise<Page> {
  return closeLater(await b.newPage());
}

describe('playwright-extra plugin', () => {
  it('registers through use() and runs on the built-in base when asked to', { timeout: 10_000 }, () => {
    expect(plugin.base).toBe('builtin');
    expect(plugin).toBeInstanceOf(BuiltinPluginBase);
    const chromium = addExtra(chromiumCore).use(ImageCaptchaPlugin({}));
    expect(chromium.plugins.names).toEqual(['image-captcha']);
  });

  it('gets native Playwright pages (noPuppeteerShim) and solves with page.solveImageCaptchas()', { timeout: 60_000 }, async () => {
    const page = withImageCaptcha(await newPage());
    await page.goto(`${site.server.url}/login`);
    expect(seenByPlugin).toContain(page); // the very object the test holds: not a shim
    expect(typeof (seenByPlugin.at(-1) as Page).locator).toBe('function');
    const { results, errors } = await page.solveImageCaptchas();
    expect(errors).toEqual([]);
    expect(results.map((r) => r.solved)).toEqual([true]);
    expect(results[0]!.attempts).toBe(1);
    expect(results[0]!.capture.method).toBe('network'); // recorder attached by onPageCreated
    expect(site.solver.solutions.at(-1)?.raw).toMatchObject({ matchedBytes: true });
    expect(site.okSubmissions('/login')).toBe(1);
  });

  it('frame.solveImageCaptcha() works on a same-origin iframe that loaded before the call', { timeout: 60_000 }, async () => {
    // Undo earlier patching (withImageCaptcha) so only the plugin's onPageCreated can add the methods.
    const probe = await newPage();
    for (const target of [probe, probe.mainFrame()]) {
      const proto = Object.getPrototypeOf(target) as Record<string, unknown>;
      for (const m of ['solveImageCaptchas', 'solveImageCaptcha', 'findImageCaptchas']) delete proto[m];
    }
    const page = await newPage();
    await page.goto(`${site.server.url}/iframe`);
    const frame = page.frames().find((f) => f !== page.mainFrame() && f.url().includes('/iframe/frame'));
    expect(frame).toBeDefined();
    expect(typeof (frame as unknown as { solveImageCaptcha?: unknown }).solveImageCaptcha).toBe('function');
    const r = await withImageCaptcha(frame!).solveImageCaptcha();
    expect(r.solved).toBe(true);
    expect(site.okSubmissions('/iframe')).toBe(1);
  });

  it('page.findImageCaptchas() lists both captchas of a page with two, without submitting', { timeout: 60_000 }, async () => {
    const page = withImageCaptcha(await newPage());
    await page.goto(`${site.server.url}/two-captchas`);
    const found = await page.findImageCaptchas();
    expect(found).toHaveLength(2);
    expect(site.server.stats().totals.submissions).toBe(0);
  });

  describe('autoSolve', () => {
    let auto: Plugin;
    let autoBrowser: Browser;

    beforeAll(async () => {
      auto = ImageCaptchaPlugin({ solver: site.solver, autoSolve: true, timeout: 45_000 });
      const chromium = addExtra(chromiumCore);
      chromium.use(auto);
      autoBrowser = await chromium.connect(browserServer.wsEndpoint());
    }, 30_000);

    afterAll(async () => {
      await autoBrowser?.close().catch(() => {});
    });

    it('solves the captcha after the page loads and reports it', { timeout: 60_000 }, async () => {
      await expectAutoSolved(auto, await newPage(autoBrowser), site);
      expect(unhandled).toEqual([]);
    });
  });
});
