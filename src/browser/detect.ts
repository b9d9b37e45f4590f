/**
 * Tells a Playwright Page/Frame from a Puppeteer Page/Frame by shape (no framework import), and hands
 * back one cached PageDriver per native page.
 */
import type { Page as PwPage } from 'playwright-core';
import type { Page as PpPage } from 'puppeteer-core';
import { InvalidOptionError } from '../core/errors.js';
import type { Framework, FrameDriver, PageDriver, PageLike } from './driver.js';
import { playwrightDriver } from './playwright.js';
import { puppeteerDriver } from './puppeteer.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const drivers = new WeakMap<object, PageDriver>();

function fn(obj: Any, name: string): boolean {
  return obj != null && typeof obj[name] === 'function';
}

/** `playwright` / `puppeteer` for a Page or Frame of either, else `undefined`. */
export function detectFramework(target: unknown): Framework | undefined {
  const t = target as Any;
  if (!fn(t, 'evaluate') || !fn(t, 'url')) return undefined;
  // Playwright pages and frames have getByRole/frameLocator; Puppeteer's have $$eval and no getByRole.
  if (fn(t, 'getByRole') && fn(t, 'frameLocator')) return 'playwright';
  if (fn(t, '$$eval') && (fn(t, 'createCDPSession') || fn(t, 'isOOPFrame') || fn(t, 'waitForDevicePrompt') || fn(t, 'page'))) return 'puppeteer';
  return undefined;
}

/** True for a Page (has mainFrame), false for a Frame. */
function isPage(t: Any): boolean {
  return fn(t, 'mainFrame');
}

export interface ResolvedTarget {
  driver: PageDriver;
  /** Set when the caller passed a Frame: search only this frame and its descendants. */
  frame?: FrameDriver;
}

/** The cached driver for a native page (created on first use). */
export function driverFor(page: object, framework: Framework): PageDriver {
  let d = drivers.get(page);
  if (!d) {
    d = framework === 'playwright' ? playwrightDriver(page as PwPage) : puppeteerDriver(page as PpPage);
    drivers.set(page, d);
  }
  return d;
}

/** Resolves what the user passed into a driver (+ a frame to restrict to). */
export function resolveTarget(target: PageLike | unknown, where = 'solveImageCaptcha'): ResolvedTarget {
  const framework = detectFramework(target);
  if (!framework) {
    throw new InvalidOptionError(
      `${where}: the first argument is not a Playwright or Puppeteer Page or Frame (got ${describe(target)})`,
      { hint: 'Pass the `page` (or a `frame`) object from playwright, playwright-core, @playwright/test, puppeteer or puppeteer-core' },
    );
  }
  const t = target as Any;
  if (isPage(t)) return { driver: driverFor(t, framework) };
  const page = t.page();
  const driver = driverFor(page, framework);
  return { driver, frame: driver.frame(t) };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const name = (v as Any).constructor?.name;
  return name ? `an object of class ${name}` : 'a plain object';
}
