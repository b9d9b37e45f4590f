/**
 * Launch helpers for the e2e suites: one browser per test file, a fresh context/page per test, for both
 * adapters (Playwright via playwright-core, Puppeteer via puppeteer-core), on Debian's Chromium.
 */
import { CHROMIUM_LAUNCH } from './chromium.js';

export type AdapterName = 'playwright' | 'puppeteer';

/** Both adapters, for suites that run over each. */
export const ADAPTERS: AdapterName[] = ['playwright', 'puppeteer'];

/** What a shared suite needs from a framework. */
export interface BrowserHarness {
  name: AdapterName;
  /** A new isolated page (its own context). */
  newPage(): Promise<HarnessPage>;
  close(): Promise<void>;
}

export interface HarnessPage {
  /** The native page, passed to the library as is. */
  page: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  goto(url: string): Promise<void>;
  setContent(html: string): Promise<void>;
  /** The native frame whose URL contains `part`. */
  frame(part: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Types into a field like a user and leaves it (change + blur fire). */
  fill(selector: string, text: string): Promise<void>;
  /** Runs `fn` in the main frame. */
  evaluate<R>(fn: () => R): Promise<R>;
  close(): Promise<void>;
}

export async function launchPlaywright(): Promise<BrowserHarness> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch(CHROMIUM_LAUNCH);
  return {
    name: 'playwright',
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
      const page = await context.newPage();
      return {
        page,
        goto: async (url) => void (await page.goto(url, { waitUntil: 'load' })),
        setContent: (html) => page.setContent(html, { waitUntil: 'load' }),
        frame: (part) => page.frames().find((f) => f.url().includes(part)),
        fill: async (selector, text) => {
          await page.fill(selector, text);
          await page.press(selector, 'Tab');
        },
        evaluate: (fn) => page.evaluate(fn),
        close: () => context.close().catch(() => {}),
      };
    },
    close: () => browser.close(),
  };
}

export async function launchPuppeteer(): Promise<BrowserHarness> {
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch(CHROMIUM_LAUNCH);
  return {
    name: 'puppeteer',
    async newPage() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1000, height: 800 });
      return {
        page,
        goto: async (url) => void (await page.goto(url, { waitUntil: 'load' })),
        setContent: (html) => page.setContent(html, { waitUntil: 'load' }),
        frame: (part) => page.frames().find((f) => f.url().includes(part)),
        fill: async (selector, text) => {
          await page.type(selector, text);
          await page.keyboard.press('Tab');
        },
        evaluate: (fn) => page.evaluate(fn),
        close: () => context.close().catch(() => {}),
      };
    },
    close: () => browser.close(),
  };
}

export const LAUNCHERS: Record<AdapterName, () => Promise<BrowserHarness>> = {
  playwright: launchPlaywright,
  puppeteer: launchPuppeteer,
};
