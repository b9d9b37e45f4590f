/** Debian's Chromium and the flags that keep it off the (closed) network: the same flags the package recommends. */
import { SAFE_CHROMIUM_ARGS } from '../../src/browser/chromium.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: string[] = [...SAFE_CHROMIUM_ARGS];

/** Launch options for Debian's Chromium, headless, with those flags (playwright-core, puppeteer-core and the extras). */
export const CHROMIUM_LAUNCH = { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true as const };
